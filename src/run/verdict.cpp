// SPDX-License-Identifier: Apache-2.0
/// \file judge -> retry -> FLAKY -> waiver.
#include "run/verdict.h"

#include <fmt/format.h>

namespace cuconform::run {

VerdictStep decide_verdict(const Attempt& a, const WaiverLookup& waiver_for) {
    VerdictStep step;
    const Judgement j =
        a.harness_unsupported ? Judgement{Verdict::Unsupported, FailKind::None} : judge(a.expected, a.observed);
    step.verdict = j.verdict;
    step.fail_kind = j.fail_kind;
    if (a.observed.is_unsupported()) step.reason = a.observed.reason;
    if (is_failure(step.verdict) && a.number <= a.retries) {
        step.retry = true;
        return step;
    }
    if (!a.earlier.empty() && !is_failure(step.verdict)) {
        step.verdict = Verdict::Flaky;
        step.reason = fmt::format("failed on attempt 1 ({}), passed on attempt {}", a.earlier.front().str(), a.number);
    }
    if (is_failure(step.verdict)) {
        if (const Waiver* w = waiver_for ? waiver_for(step.verdict) : nullptr) {
            step.reason = fmt::format("{} waived by {}: {} ({}){}", to_string(step.verdict), w->where, w->reason,
                                      w->bug, step.reason.empty() ? "" : "; " + step.reason);
            step.verdict = Verdict::Waived;
        }
    }
    return step;
}

}  // namespace cuconform::run
