// SPDX-License-Identifier: Apache-2.0
/// \file Result records to and from JSON, and the de-duplication rule.
#include "results/result.h"

#include <fmt/format.h>

#include "results/record_io.h"

namespace cuconform::results {
using nlohmann::json;

namespace {

Outcome parse_outcome(const Fields& parent, const char* key) {
    const Fields f = parent.object(key);
    // Each field's type first, so that a message names it ("observed.signal: expected a whole number, found a
    // string"), then the values (an unknown kind or domain).
    if (f.string("outcome") == "error") {
        f.string("domain");
        f.string("name");
    }
    f.optional_string("reason");
    f.optional_string("message");
    f.optional_integer("code");
    f.optional_integer("signal");
    try {
        return f.raw().get<Outcome>();
    } catch (const std::exception& e) {
        parent.fail(key, fmt::format("not an outcome: {}", e.what()));
    }
}

}  // namespace

json to_json(const Result& r, std::string_view cell) {
    json j{{"schema", kResultSchema},
           {"cell", cell},
           {"case", r.case_id},
           {"family", r.family},
           {"variant", r.variant},
           {"expected", r.expected},
           {"rule", {{"index", r.rule.index}, {"text", r.rule.text}}},
           {"observed", r.observed},
           {"verdict", to_string(r.verdict)},
           {"fail_kind", to_string(r.fail_kind)},
           {"duration_ms", r.duration_ms},
           {"attempts", r.attempts}};
    if (!r.title.empty()) j["title"] = r.title;
    if (!r.variant_spec.empty()) j["variant_spec"] = r.variant_spec;
    if (!r.rule.why.empty()) j["rule"]["why"] = r.rule.why;
    if (!r.reason.empty()) j["reason"] = r.reason;
    if (!r.output_tail.empty()) j["output_tail"] = r.output_tail;
    if (!r.reproduce.empty()) j["reproduce"] = r.reproduce;
    if (!r.started_at.empty()) j["started_at"] = r.started_at;
    return j;
}

std::string to_line(const Result& result, std::string_view cell) {
    return to_json(result, cell).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result parse_result(const json& j, std::string& cell) {
    const Fields f(j, "");
    const std::string schema = f.string_or("schema", "");
    if (schema != kResultSchema) {
        f.fail("schema", fmt::format("is \"{}\", expected \"{}\"", schema, kResultSchema));
    }
    Result r;
    cell = f.string("cell");
    if (cell.empty()) f.fail("cell", "is empty");
    r.case_id = f.string("case");
    r.family = f.string("family");
    r.title = f.string_or("title", "");
    r.variant = f.string("variant");
    if (const json* spec = f.find("variant_spec"); spec != nullptr && !spec->is_null()) {
        if (!spec->is_object()) f.fail("variant_spec", "expected an object, found " + kind_of(*spec));
        r.variant_spec = *spec;
    }
    r.expected = parse_outcome(f, "expected");
    r.observed = parse_outcome(f, "observed");
    const Fields rule = f.object("rule");
    r.rule.index = static_cast<int>(rule.optional_integer("index").value_or(-1));
    if (r.rule.index < 0) rule.fail("index", "missing or negative");
    r.rule.text = rule.string("text");
    r.rule.why = rule.string_or("why", "");
    const std::string verdict = f.string("verdict");
    const auto parsed_verdict = parse_verdict(verdict);
    if (!parsed_verdict) f.fail("verdict", fmt::format("\"{}\" is not a verdict", verdict));
    r.verdict = *parsed_verdict;
    if (const auto kind = f.optional_string("fail_kind")) {
        const auto parsed_kind = parse_fail_kind(*kind);
        if (!parsed_kind) f.fail("fail_kind", fmt::format("\"{}\" is not a kind of failure", *kind));
        r.fail_kind = *parsed_kind;
    }
    r.reason = f.string_or("reason", "");
    r.duration_ms = f.number("duration_ms");
    const long long attempts = f.integer_or("attempts", 1);
    if (attempts < 1) f.fail("attempts", "must be 1 or more");
    r.attempts = static_cast<int>(attempts);
    r.output_tail = f.string_or("output_tail", "");
    r.reproduce = f.string_or("reproduce", "");
    r.started_at = f.string_or("started_at", "");
    return r;
}

bool supersedes(const Result& candidate, const Result& kept, std::string_view cell) {
    if (candidate.started_at != kept.started_at) return candidate.started_at > kept.started_at;
    return to_line(candidate, cell) > to_line(kept, cell);
}

}  // namespace cuconform::results
