// SPDX-License-Identifier: Apache-2.0
/// \file Internal to src/report: the grid model (rows x ordered cells) and escaping helpers shared by the writers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"

namespace cuconform::report::detail {

/// Appends `text` to `out` with & < > " ' replaced by entities (safe in text and quoted attributes).
void append_html(std::string& out, std::string_view text);
std::string html(std::string_view text);
/// Appends `text` escaped for XML 1.0: entities as above, and characters XML cannot hold replaced by U+FFFD.
void append_xml(std::string& out, std::string_view text);
/// JSON safe inside <script type="application/json">: < > & U+2028 U+2029 escaped as \uXXXX.
std::string json_for_script(const nlohmann::json& value);
/// The verdict's symbol (✓ ✗ ○ W ~ ☠ ◷) and its one-letter class suffix (P F U W K C T).
std::string_view verdict_symbol(Verdict verdict);
char verdict_letter(Verdict verdict);
/// Short form of an observed outcome for the grid: ok, the error's name, SIGSEGV, timeout, unsupported.
std::string short_outcome(const Outcome& outcome);

/// One row of the grid: a case under one variant.
struct Row {
    std::string case_id, variant, family, title;
    std::vector<std::int32_t> result_at;  ///< Per display column: index into ResultSet::results, or -1.
};

struct Grid {
    std::vector<std::uint32_t> columns;  ///< Cell indices in display order (toolkit, cuDNN, GPU, id).
    std::vector<Row> rows;               ///< Sorted by family, case, variant.
    std::vector<std::pair<std::string, std::vector<std::size_t>>> families;  ///< Family and its row indices.
};

Grid build_grid(const ResultSet& set);

/// The stack a cell's column is grouped under: "CUDA 13.0 · cuDNN 9.19.0" (run CUDA shown when skewed).
std::string stack_label(const Cell& cell);

}  // namespace cuconform::report::detail
