// SPDX-License-Identifier: Apache-2.0
/// \file The self-contained HTML report: server-side tables readable without JavaScript, plus compact JSON
/// from which the embedded script draws the drill-down, filters and fingerprint diffs (reports/README.md). This file:
/// the data and the assembly; the sections are in html_page.cpp, html_grid.cpp, html_cells.cpp.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <ostream>
#include <unordered_map>

#include "report/assets.h"
#include "report/html_builder.h"

namespace cuconform::report {
namespace detail {

void HtmlBuilder::intern_signatures() {
    std::unordered_map<std::string, std::uint32_t> index;
    sig_of.resize(set.results.size());
    std::string key;
    for (std::size_t i = 0; i < set.results.size(); ++i) {
        const Result& r = set.results[i];
        key.clear();
        key.push_back(verdict_letter(r.verdict));
        key.push_back(static_cast<char>('0' + static_cast<int>(r.fail_kind)));
        for (const std::string* part : {&r.expected.reason, &r.expected.name, &r.observed.name, &r.observed.reason,
                                        &r.observed.message, &r.rule.text, &r.rule.why, &r.reason, &r.output_tail}) {
            key.append(*part).push_back('\x1f');
        }
        key.append(fmt::format("{}|{}|{}|{}|{}|{}|{}", static_cast<int>(r.expected.kind),
                               static_cast<int>(r.expected.domain), static_cast<int>(r.observed.kind),
                               static_cast<int>(r.observed.domain), r.observed.native_code.value_or(-1),
                               r.observed.signal, r.rule.index * 1000 + r.attempts));
        key.append(reproduce_template(r, set));
        auto [it, inserted] = index.try_emplace(key, static_cast<std::uint32_t>(sig_first.size()));
        if (inserted) sig_first.push_back(static_cast<std::uint32_t>(i));
        sig_of[i] = it->second;
    }
}

void HtmlBuilder::compare_baseline() {
    change.assign(set.results.size(), kNoChange);
    baseline_of.assign(set.results.size(), -1);
    if (!options.baseline) return;
    const ResultSet& old = *options.baseline;
    std::unordered_map<std::string, std::int32_t> where;
    for (std::size_t i = 0; i < old.results.size(); ++i) {
        const Result& r = old.results[i];
        where.emplace(old.cells[r.cell].id + '\n' + r.case_id + '\n' + r.variant, static_cast<std::int32_t>(i));
    }
    for (std::size_t i = 0; i < set.results.size(); ++i) {
        const Result& r = set.results[i];
        auto it = where.find(set.cells[r.cell].id + '\n' + r.case_id + '\n' + r.variant);
        if (it == where.end()) continue;
        baseline_of[i] = it->second;
        const Verdict before = old.results[it->second].verdict;
        if (!is_failure(before) && is_failure(r.verdict))
            change[i] = kNewFailure;
        else if (is_failure(before) && !is_failure(r.verdict))
            change[i] = kFixed;
        else if (before != r.verdict)
            change[i] = kFlip;
    }
}

void HtmlBuilder::count() {
    cell_tally.assign(set.cells.size(), {});
    unexpected_passes.assign(set.cells.size(), 0);
    for (const auto& r : set.results) {
        cell_tally[r.cell].add(r.verdict);
        if (r.verdict == Verdict::Fail && r.fail_kind == FailKind::UnexpectedPass) ++unexpected_passes[r.cell];
    }
    std::unordered_map<std::string, std::uint32_t> fp_index;
    for (const auto& c : set.cells) {
        nlohmann::json fp = c.fingerprint ? results::to_json(*c.fingerprint) : nlohmann::json::object();
        auto [it, inserted] = fp_index.try_emplace(fp.dump(), static_cast<std::uint32_t>(fps.size()));
        if (inserted) fps.push_back(std::move(fp));
        fp_of_cell.push_back(it->second);
    }
}

nlohmann::json HtmlBuilder::data_json(const std::vector<std::int32_t>& group_of_result) {
    nlohmann::json cells = nlohmann::json::array();
    for (std::uint32_t col : grid.columns) {
        const Cell& c = set.cells[col];
        nlohmann::json counts = nlohmann::json::array();
        for (auto n : cell_tally[col].per_verdict) counts.push_back(n);
        cells.push_back(
            {c.id, stack_label(c), c.gpu, c.provider, fp_of_cell[col], counts, cell_tally[col].conforms() ? 1 : 0});
    }
    nlohmann::json fingerprints = nlohmann::json::array();
    for (const auto& fp : fps) {
        nlohmann::json flat = nlohmann::json::array();
        flatten(fp, "", flat);
        fingerprints.push_back(std::move(flat));
    }
    nlohmann::json sigs = nlohmann::json::array();
    for (std::uint32_t first : sig_first) {
        const Result& r = set.results[first];
        sigs.push_back({static_cast<int>(r.verdict), to_string(r.fail_kind), r.expected.str(), r.observed.str(),
                        short_outcome(r.observed),
                        r.observed.native_code ? nlohmann::json(*r.observed.native_code) : nlohmann::json(),
                        r.observed.message, r.rule.index, r.rule.text, r.rule.why, r.reason, r.output_tail,
                        reproduce_template(r, set), r.attempts});
    }
    nlohmann::json rows = nlohmann::json::array();
    std::map<std::string, int> family_index;
    nlohmann::json families = nlohmann::json::array();
    for (const auto& [name, members] : grid.families) {
        family_index[name] = static_cast<int>(families.size());
        families.push_back(name);
    }
    std::vector<std::int32_t> local(sig_first.size(), -1);
    for (const Row& row : grid.rows) {
        nlohmann::json row_sigs = nlohmann::json::array();
        std::vector<std::uint32_t> used;
        for (std::int32_t i : row.result_at) {
            if (i < 0) continue;
            const auto sig = sig_of[i];
            if (local[sig] < 0) {
                local[sig] = static_cast<std::int32_t>(used.size());
                used.push_back(sig);
                row_sigs.push_back(sig);
            }
        }
        const int width = used.size() <= 64 ? 1 : used.size() <= 4096 ? 2 : 3;
        std::string codes, durations, groups;
        codes.reserve(row.result_at.size() * width);
        durations.reserve(row.result_at.size() * 2);
        for (std::int32_t i : row.result_at) {
            if (i < 0) {
                codes.append(width, '.');
                durations.append("AA");
                continue;
            }
            append_base64(codes, static_cast<std::size_t>(local[sig_of[i]]), width);
            append_base64(durations, quantize_ms(set.results[i].duration_ms), 2);
        }
        for (auto sig : used) local[sig] = -1;
        nlohmann::json j{{"c", row.case_id}, {"v", row.variant}, {"f", family_index[row.family]},
                         {"t", row.title},   {"g", row_sigs},    {"w", width},
                         {"s", codes},       {"d", durations}};
        rows.push_back(std::move(j));
    }
    nlohmann::json changes = nlohmann::json::array();
    std::vector<std::int32_t> row_of(set.results.size(), -1), col_of(set.results.size(), -1);
    for (std::size_t r = 0; r < grid.rows.size(); ++r) {
        for (std::size_t c = 0; c < grid.columns.size(); ++c) {
            const auto i = grid.rows[r].result_at[c];
            if (i >= 0) {
                row_of[i] = static_cast<std::int32_t>(r);
                col_of[i] = static_cast<std::int32_t>(c);
            }
        }
    }
    for (std::size_t i = 0; i < set.results.size(); ++i) {
        if (change[i] == kNoChange) continue;
        const Result& old = options.baseline->results[baseline_of[i]];
        changes.push_back({row_of[i], col_of[i], change[i], static_cast<int>(old.verdict), old.observed.str()});
    }
    (void)group_of_result;
    return {{"v", 1},
            {"verdicts", {"PASS", "FAIL", "UNSUPPORTED", "WAIVED", "FLAKY", "CRASH", "TIMEOUT"}},
            {"full", full},
            {"families", families},
            {"cells", cells},
            {"fps", fingerprints},
            {"sigs", sigs},
            {"rows", rows},
            {"changes", changes},
            {"baseline", options.baseline != nullptr}};
}

void HtmlBuilder::build() {
    grid = build_grid(set);
    full = set.results.size() <= options.full_grid_limit && grid.columns.size() <= options.full_grid_max_cells;
    intern_signatures();
    compare_baseline();
    count();
    const Tally total = tally(set);
    coverage = matrix_coverage(set, options.knowledge);
    out.reserve(set.results.size() * 6 + (1 << 20));
    const auto group_of_result = details_section();
    header(total);
    changes_section();
    summary_section();
    table_section();
    coverage_section();
    grid_section(group_of_result);
    out += details_html_;
    details_html_.clear();
    cells_section();
    out +=
        "</main><aside id=panel class=panel hidden role=dialog aria-modal=false aria-labelledby=panel-title "
        "tabindex=-1></aside>\n<script type=application/json id=report-data>";
    out += json_for_script(data_json(group_of_result));
    out += "</script>\n<script>";
    out += assets::kReportJs;
    out += "</script></body></html>\n";
}

}  // namespace detail

void write_html(std::ostream& stream, const ResultSet& set, const HtmlOptions& options) {
    detail::HtmlBuilder builder{set, options};
    builder.build();
    stream.write(builder.out.data(), static_cast<std::streamsize>(builder.out.size()));
}

}  // namespace cuconform::report
