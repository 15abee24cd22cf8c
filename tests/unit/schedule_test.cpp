// SPDX-License-Identifier: Apache-2.0
/// \file Which case may start beside the running ones: a case that takes the GPU's memory runs alone among GPU cases.
#include "run/schedule.h"

#include <gtest/gtest.h>

#include "catalog/case.h"

namespace cuconform::run {
namespace {

CaseSpec with_needs(std::vector<Need> needs) {
    CaseSpec spec;
    spec.id = "fixture.schedule.case";
    spec.needs = std::move(needs);
    return spec;
}

const CaseSpec kHost = with_needs({Need::Cudnn});
const CaseSpec kGpu = with_needs({Need::Driver, Need::Gpu});
const CaseSpec kWholeGpu = with_needs({Need::WholeGpu});

TEST(Schedule, GpuCasesShareTheGpu) { EXPECT_TRUE(may_start_beside(kGpu, {&kGpu, &kHost}, true)); }

TEST(Schedule, AWholeGpuCaseWaitsForEveryGpuCaseToEnd) {
    EXPECT_FALSE(may_start_beside(kWholeGpu, {&kHost, &kGpu}, true));
    EXPECT_TRUE(may_start_beside(kWholeGpu, {&kHost, &kHost}, true));
}

TEST(Schedule, NoGpuCaseStartsBesideAWholeGpuCase) {
    EXPECT_FALSE(may_start_beside(kGpu, {&kWholeGpu}, true));
    EXPECT_FALSE(may_start_beside(kWholeGpu, {&kWholeGpu}, true));
    EXPECT_TRUE(may_start_beside(kHost, {&kWholeGpu}, true));  // host cases take no device memory
}

TEST(Schedule, WithoutAGpuNothingWaits) {
    // GPU cases are then settled UNSUPPORTED without a process.
    EXPECT_TRUE(may_start_beside(kWholeGpu, {&kGpu}, false));
    EXPECT_TRUE(may_start_beside(kGpu, {&kWholeGpu}, false));
}

TEST(Schedule, AWholeGpuNeedIsAGpuNeedAndDerivesNoRule) {
    EXPECT_TRUE(kWholeGpu.needs_gpu());
    EXPECT_TRUE(kWholeGpu.needs_whole_gpu());
    EXPECT_FALSE(kGpu.needs_whole_gpu());
    EXPECT_EQ(kWholeGpu.all_labels().front(), "gpu");
    EXPECT_EQ(kWholeGpu.rules(), "");
}

}  // namespace
}  // namespace cuconform::run
