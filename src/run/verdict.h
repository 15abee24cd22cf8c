// SPDX-License-Identifier: Apache-2.0
/// \file The verdict step of one case run, as a pure function: judge the observed outcome against the expected
/// one, ask for a retry while failures have attempts left, call a pass after a failure FLAKY, and waive a failure a
/// scoped waiver covers. The runner only schedules; this decides.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/outcome.h"
#include "run/waivers.h"

namespace cuconform::run {

/// One attempt's facts.
struct Attempt {
    Outcome expected;
    Outcome observed;
    int number = 1;                    ///< 1 for the first attempt.
    int retries = 0;                   ///< How many re-runs a failure may have (--retries).
    std::vector<Outcome> earlier;      ///< Observed outcomes of the failed attempts before this one.
    bool harness_unsupported = false;  ///< The harness could not apply the variant here (no process ran).
};

/// What to do with it.
struct VerdictStep {
    bool retry = false;  ///< Run it again (the failure has attempts left); nothing is recorded yet.
    Verdict verdict = Verdict::Pass;
    FailKind fail_kind = FailKind::None;
    std::string reason;
};

/// The waiver that covers a failing verdict, or nullptr.
using WaiverLookup = std::function<const Waiver*(Verdict verdict)>;

VerdictStep decide_verdict(const Attempt& attempt, const WaiverLookup& waiver_for);

}  // namespace cuconform::run
