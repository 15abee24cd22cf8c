// SPDX-License-Identifier: Apache-2.0
/// \file A case's expectation evaluated on a stack: which rule decides, and the expected outcome.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "catalog/case.h"
#include "core/outcome.h"

namespace cuconform {

struct ExpectedDecision {
    Outcome outcome;
    int rule_index = 0;
    std::string rule_text;
    std::string why;  ///< The facts the rules read, with their values.
};

/// Evaluates `spec`'s rules on the facts of `fingerprint` plus `variant`. Throws (with the case,
/// rule and column) when the rules are malformed.
ExpectedDecision decide_expectation(const CaseSpec& spec, const Variant& variant,
                                    const results::Fingerprint& fingerprint);

/// Parses every registered case's rules; throws on the first malformed one.
void validate_catalog();

}  // namespace cuconform
