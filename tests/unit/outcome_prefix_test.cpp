// SPDX-License-Identifier: Apache-2.0
/// \file Verdicts for cuDNN 9 sub-codes against an expected status category; outcomes in rule syntax.
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

// Found by tests/fuzz (fuzz_expect): a reason holding bytes that are not UTF-8 (an expectation's text, or a library
// path or dlerror() text in an observed outcome) made Outcome::str() throw nlohmann's type_error.316 out of the
// parser, the runner and every report. The bytes are replaced (U+FFFD), as results.jsonl replaces them.
TEST(OutcomeStr, AReasonThatIsNotUtf8IsWrittenWithReplacements) {
    const auto outcome = Outcome::unsupported("no libcudnn.so.9 in /opt/caf\xe9/lib \xff");
    EXPECT_EQ(outcome.str(), "unsupported(\"no libcudnn.so.9 in /opt/caf\xef\xbf\xbd/lib \xef\xbf\xbd\")");
}

}  // namespace
}  // namespace cuconform
