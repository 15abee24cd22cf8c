// SPDX-License-Identifier: Apache-2.0
/// \file Inside src/report: the HTML report's builder, one class whose sections live in their own files —
/// html.cpp (data and assembly), html_page.cpp (header, changes, summary, legend), html_grid.cpp (the grid and the
/// drill-down details), html_cells.cpp (cells and matrix coverage).
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "report/model.h"
#include "report/report.h"

namespace cuconform::report::detail {

constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kCompactSummaryRows = 100;  ///< Large reports: cells in the open summary table.
constexpr std::array<Verdict, 7> kAllVerdicts{Verdict::Pass,  Verdict::Fail,  Verdict::Unsupported, Verdict::Waived,
                                              Verdict::Flaky, Verdict::Crash, Verdict::Timeout};

inline void append_base64(std::string& out, std::size_t value, int width) {
    for (int i = width - 1; i >= 0; --i) out.push_back(kBase64[(value >> (6 * i)) & 63]);
}

/// Durations as two base-64 digits on a log scale (0.4 % steps up to two hours): 10^6 of them stay small.
inline std::size_t quantize_ms(double ms) {
    const double q = std::round(std::log2(1.0 + std::max(0.0, ms)) * 180.0);
    return static_cast<std::size_t>(std::min(4095.0, q));
}

inline void replace_all(std::string& text, std::string_view from, std::string_view to) {
    if (from.empty()) return;
    for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
}

/// The reproduction command with the cell, case and variant replaced by \x01 \x02 \x03, so that one string
/// serves a whole row; the script substitutes them back (the replacement is lossless, see below).
inline std::string reproduce_template(const Result& r, const ResultSet& set) {
    std::string text = r.reproduce;
    for (auto& c : text) {
        if (c >= '\x01' && c <= '\x03') c = ' ';  // keeps the substitution a bijection
    }
    replace_all(text, set.cells[r.cell].id, "\x01");
    replace_all(text, r.case_id, "\x02");
    replace_all(text, r.variant, "\x03");
    return text;
}

inline void flatten(const nlohmann::json& j, const std::string& path, nlohmann::json& out) {
    if (j.is_object() && !j.empty()) {
        for (auto it = j.begin(); it != j.end(); ++it)
            flatten(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
    } else if (j.is_array() && !j.empty()) {
        for (std::size_t i = 0; i < j.size(); ++i) flatten(j[i], fmt::format("{}[{}]", path, i), out);
    } else {
        out.push_back({path, j.is_string() ? j.get<std::string>()
                                           : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
    }
}

enum Change : std::int8_t { kNoChange = -1, kNewFailure = 0, kFixed = 1, kFlip = 2 };
constexpr std::array<std::string_view, 3> kChangeClass{"bN", "bX", "bL"};
constexpr std::array<std::string_view, 3> kChangeName{"new failure", "fixed", "flip"};

/// "1 cell", "3 cells".
inline std::string counted(std::size_t n, std::string_view noun) {
    return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

struct HtmlBuilder {
    const ResultSet& set;
    const HtmlOptions& options;
    Grid grid;
    std::vector<Tally> cell_tally;
    std::vector<std::size_t> unexpected_passes;  // per cell
    std::vector<std::uint32_t> sig_of;           // per result
    std::vector<std::uint32_t> sig_first;        // per signature: its first result
    std::vector<std::int8_t> change;             // per result
    std::vector<std::int32_t> baseline_of;       // per result: index into the baseline, or -1
    std::vector<std::uint32_t> fp_of_cell;
    std::vector<nlohmann::json> fps;  ///< Each distinct fingerprint once, as JSON.
    std::string out;
    bool full = false;
    Coverage coverage;
    std::string details_html_;

    void intern_signatures();
    void compare_baseline();
    void count();
    nlohmann::json data_json(const std::vector<std::int32_t>& group_of_result);
    void verdict_badge(Verdict v);
    void header(const Tally& total);
    /// How much ran here and why the rest did not (UNSUPPORTED by reason), and the doctor's findings when given.
    void context(const Tally& total);
    /// The compatibility table (html_table.cpp).
    void table_section();
    void changes_section();
    void summary_section();
    void legend();
    void grid_section(const std::vector<std::int32_t>& group_of_result);
    void full_entry(std::int32_t i, const std::vector<std::int32_t>& group_of_result);
    /// One text node per row (no element per run: 10^6 results stay a small DOM); the script colours the rows
    /// that scroll into view. Every symbol is one UTF-16 unit, so column c is character c of the strip.
    void strip(const Row& row);
    /// Non-PASS results grouped by (row, signature): one <details> each, readable without JavaScript.
    std::vector<std::int32_t> details_section();
    void cells_section();
    /// Which values of each matrix axis the run exercised; planned cells that produced no results and why.
    void coverage_section();
    void build();
};

}  // namespace cuconform::report::detail
