// SPDX-License-Identifier: Apache-2.0
/// \file Scoped waivers: a known deviation, limited to cases, variants and stacks, with a bug link. A failing
/// result a waiver covers becomes WAIVED, which the conformance criterion accepts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/case.h"
#include "core/outcome.h"
#include "expect/expectation.h"

namespace cuconform::run {

struct Waiver {
    std::string case_glob;                 ///< fnmatch pattern over case ids.
    std::string variant;                   ///< Empty: every variant.
    std::optional<expect::Predicate> when;  ///< Over the cell's facts (the expectation vocabulary); empty: always.
    std::vector<Verdict> verdicts;         ///< The failures it covers (default FAIL).
    std::string bug;                       ///< https URL of the bug report.
    std::string reason;
    std::string where;                     ///< file:line of the entry.
};

/// Loads a waivers file (matrix/waivers.yaml format, see matrix/README.md). Throws std::runtime_error naming
/// file:line and the fix for a malformed entry.
std::vector<Waiver> load_waivers(const std::string& path);
/// The same from text; `path` names it in messages. A file is refused (never half taken) for: a key given twice, a
/// second YAML document, an empty `case`/`bug`/`reason`, `verdicts: []`, a `when` that does not parse or is over
/// 4096 characters.
std::vector<Waiver> parse_waivers(std::string_view text, const std::string& path);
/// The same with another vocabulary than the catalogue's (waiver_file.cpp: no catalogue needed).
std::vector<Waiver> parse_waivers(std::string_view text, const std::string& path, const expect::Vocabulary& vocabulary);
/// matrix/waivers.yaml as it was when cuconform was built (compiled in: a run needs no source tree).
const std::vector<Waiver>& builtin_waivers();

/// The first waiver covering this failing result on a stack with these facts, if any.
const Waiver* find_waiver(const std::vector<Waiver>& waivers, const std::string& case_id, const Variant& variant,
                          Verdict verdict, const results::Fingerprint& fingerprint);

}  // namespace cuconform::run
