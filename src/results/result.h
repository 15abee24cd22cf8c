// SPDX-License-Identifier: Apache-2.0
/// \file One result: one line of a cell's results.jsonl (reports/schema/result.schema.json). The runner writes it,
/// merge, report, table and junit read it; this is its only definition and its only serialiser.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/outcome.h"

namespace cuconform::results {

inline constexpr const char* kResultSchema = "cuconform.result/1";

/// The expectation rule that decided what was expected.
struct Rule {
    int index = 0;  ///< 0-based position of the rule in the case's expectation; people are shown index + 1.
    std::string text;
    std::string why;
};

/// One case x variant run in one cell. The cell id is kept beside the record by whoever holds many (a store, a
/// report), so it is passed to the serialiser rather than stored here.
struct Result {
    std::string case_id;
    std::string family;
    std::string title;
    std::string variant = "default";
    nlohmann::json variant_spec = nlohmann::json::object();
    Outcome expected;
    Rule rule;
    Outcome observed;
    Verdict verdict = Verdict::Pass;
    FailKind fail_kind = FailKind::None;
    std::string reason;  ///< UNSUPPORTED: why; WAIVED: the waiver and its bug link; FLAKY: the earlier attempt.
    double duration_ms = 0;
    int attempts = 1;
    std::string output_tail;
    std::string reproduce;
    std::string started_at;
};

nlohmann::json to_json(const Result& result, std::string_view cell);
/// One JSON line (no trailing newline), invalid UTF-8 replaced.
std::string to_line(const Result& result, std::string_view cell);
/// Reads one record; `cell` receives its cell id. Throws RecordError naming the field that does not fit.
Result parse_result(const nlohmann::json& record, std::string& cell);

/// The one de-duplication rule of results: of two records of the same cell, case and variant, the one that
/// started later wins; equal start times (one-second resolution) fall back on the serialised record, so that the
/// choice depends neither on the order nor on the repetition of the inputs.
bool supersedes(const Result& candidate, const Result& kept, std::string_view cell);

}  // namespace cuconform::results
