// SPDX-License-Identifier: Apache-2.0
/// \file The verdict step: judge -> retry -> FLAKY -> waiver, without a process.
#include "run/verdict.h"

#include <gtest/gtest.h>

namespace cuconform::run {
namespace {

const Outcome kBadParam = Outcome::error(Domain::Cudnn, "CUDNN_STATUS_BAD_PARAM");

TEST(Verdict, ExpectedErrorObservedIsAPass) {
    const auto step = decide_verdict({kBadParam, kBadParam}, nullptr);
    EXPECT_FALSE(step.retry);
    EXPECT_EQ(step.verdict, Verdict::Pass);
}

TEST(Verdict, FailureWithAttemptsLeftIsRetriedThenFlakyWhenItPasses) {
    Attempt first{Outcome::ok(), Outcome::crash(11), 1, 2};
    EXPECT_TRUE(decide_verdict(first, nullptr).retry);
    Attempt second{Outcome::ok(), Outcome::ok(), 2, 2, {Outcome::crash(11)}};
    const auto step = decide_verdict(second, nullptr);
    EXPECT_FALSE(step.retry);
    EXPECT_EQ(step.verdict, Verdict::Flaky);
    EXPECT_NE(step.reason.find("failed on attempt 1 (crash"), std::string::npos) << step.reason;
    EXPECT_NE(step.reason.find("passed on attempt 2"), std::string::npos) << step.reason;
}

TEST(Verdict, FailureOutOfAttemptsIsRecordedWithItsKind) {
    const auto step = decide_verdict({kBadParam, Outcome::ok(), 3, 2, {Outcome::ok(), Outcome::ok()}}, nullptr);
    EXPECT_FALSE(step.retry);
    EXPECT_EQ(step.verdict, Verdict::Fail);
    EXPECT_EQ(step.fail_kind, FailKind::UnexpectedPass);
}

TEST(Verdict, AWaiverCoversOnlyFailures) {
    Waiver waiver;
    waiver.where = "waivers.yaml:3";
    waiver.reason = "cuDNN 8 aborts";
    waiver.bug = "https://example.invalid/bug";
    int asked = 0;
    const WaiverLookup lookup = [&](Verdict v) -> const Waiver* {
        ++asked;
        return v == Verdict::Crash ? &waiver : nullptr;
    };
    const auto waived = decide_verdict({Outcome::ok(), Outcome::crash(6)}, lookup);
    EXPECT_EQ(waived.verdict, Verdict::Waived);
    EXPECT_NE(waived.reason.find("CRASH waived by waivers.yaml:3: cuDNN 8 aborts"), std::string::npos) << waived.reason;
    const auto passed = decide_verdict({Outcome::ok(), Outcome::ok()}, lookup);
    EXPECT_EQ(passed.verdict, Verdict::Pass);
    EXPECT_EQ(asked, 1);  // a pass is never looked up
}

TEST(Verdict, HarnessUnsupportedKeepsItsReason) {
    const auto step =
        decide_verdict({Outcome::ok(), Outcome::unsupported("hidden library in /usr/lib"), 1, 0, {}, true}, nullptr);
    EXPECT_EQ(step.verdict, Verdict::Unsupported);
    EXPECT_EQ(step.reason, "hidden library in /usr/lib");
}

}  // namespace
}  // namespace cuconform::run
