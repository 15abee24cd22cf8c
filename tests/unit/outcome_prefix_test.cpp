// SPDX-License-Identifier: Apache-2.0
/// \file Verdicts for cuDNN 9 sub-codes against an expected status category.
#include <gtest/gtest.h>

#include "core/outcome.h"

namespace cuconform {
namespace {

TEST(OutcomeSameAs, CudnnCategoryAcceptsSubCode) {
    const auto expected = Outcome::error(Domain::Cudnn, "CUDNN_STATUS_BAD_PARAM");
    EXPECT_EQ(judge(expected, Outcome::error(Domain::Cudnn, "CUDNN_STATUS_BAD_PARAM_NULL_POINTER")).verdict,
              Verdict::Pass);
    EXPECT_EQ(judge(expected, Outcome::error(Domain::Cudnn, "CUDNN_STATUS_BAD_PARAMX")).verdict, Verdict::Fail);
    EXPECT_EQ(judge(expected, Outcome::error(Domain::Cudnn, "CUDNN_STATUS_NOT_SUPPORTED")).verdict, Verdict::Fail);
    // A sub-code expected is not satisfied by its category, and the rule is cuDNN's only.
    EXPECT_EQ(judge(Outcome::error(Domain::Cudnn, "CUDNN_STATUS_BAD_PARAM_NULL_POINTER"),
                    Outcome::error(Domain::Cudnn, "CUDNN_STATUS_BAD_PARAM")).verdict,
              Verdict::Fail);
    EXPECT_EQ(judge(Outcome::error(Domain::Cuda, "CUDA_ERROR"), Outcome::error(Domain::Cuda, "CUDA_ERROR_X")).verdict,
              Verdict::Fail);
}

}  // namespace
}  // namespace cuconform
