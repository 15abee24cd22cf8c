// SPDX-License-Identifier: Apache-2.0
/// \file The HTML report's cell table and matrix-coverage section.
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

void HtmlBuilder::cells_section() {
    out +=
        "<section id=cells><h2>Cells and fingerprints</h2><p>Column order of the grid. Identical fingerprints "
        "are shown once; each is compared with fingerprint 1.</p>";
    if (!full) {
        out += fmt::format("<details id=cells-all class=more><summary>All {} cells</summary>", grid.columns.size());
    }
    out +=
        "<div class=scroll><table class=list><thead><tr><th>#<th>Cell<th>Stack<th>GPU<th>Provider<th>Fingerprint"
        "</thead><tbody>";
    for (std::size_t k = 0; k < grid.columns.size(); ++k) {
        const Cell& c = set.cells[grid.columns[k]];
        out +=
            fmt::format("<tr><td class=num>{}<th scope=row><code>{}</code><td>{}<td>{}<td>{}<td><a href=#fp-{}>{}</a>",
                        k + 1, html(c.id), html(stack_label(c)), html(c.gpu), html(c.provider),
                        fp_of_cell[grid.columns[k]] + 1, fp_of_cell[grid.columns[k]] + 1);
    }
    out += "</tbody></table></div>";
    if (!full) out += "</details>";
    nlohmann::json reference = nlohmann::json::array();
    if (!fps.empty()) flatten(fps[0], "", reference);
    std::map<std::string, std::string> ref;
    for (const auto& kv : reference) ref[kv[0].get<std::string>()] = kv[1].get<std::string>();
    for (std::size_t f = 0; f < fps.size() && f < 300; ++f) {
        nlohmann::json flat = nlohmann::json::array();
        flatten(fps[f], "", flat);
        std::size_t differs = 0;
        for (const auto& kv : flat) {
            auto it = ref.find(kv[0].get<std::string>());
            differs += (it == ref.end() || it->second != kv[1].get<std::string>()) ? 1 : 0;
        }
        out += fmt::format("<details id=fp-{0} class=fp><summary>Fingerprint {0}", f + 1);
        if (f > 0) out += fmt::format(" \u2014 {} field{} differ from fingerprint 1", differs, differs == 1 ? "" : "s");
        out += " \u2014 cells: ";
        std::size_t listed = 0;
        for (std::size_t c = 0; c < set.cells.size(); ++c) {
            if (fp_of_cell[c] != f) continue;
            if (listed++ < 12) out += (listed > 1 ? ", " : "") + html(set.cells[c].id);
        }
        if (listed > 12) out += fmt::format(" \u2026 ({} cells)", listed);
        out += "</summary><table class=kvt><thead><tr><th>Field<th>Value";
        if (f > 0) out += "<th>Fingerprint 1";
        out += "</thead><tbody>";
        for (const auto& kv : flat) {
            const auto& key = kv[0].get_ref<const std::string&>();
            const auto& value = kv[1].get_ref<const std::string&>();
            auto it = ref.find(key);
            const bool diff = f > 0 && (it == ref.end() || it->second != value);
            out += diff ? "<tr class=diff><th>" : "<tr><th>";
            append_html(out, key);
            out += "<td>";
            append_html(out, value);
            if (f > 0) {
                out += "<td>";
                if (diff) append_html(out, it == ref.end() ? std::string("(absent)") : it->second);
            }
        }
        out += "</tbody></table></details>";
    }
    out += "</section>\n";
}

/// Which values of each matrix axis the run exercised; planned cells that produced no results and why.
void HtmlBuilder::coverage_section() {
    out +=
        "<section id=coverage><h2>Matrix coverage</h2><p>Each axis value with the cells that exercised it. "
        "<span class=vF>Not exercised</span> values were planned (matrix.json) but none of their cells "
        "produced results; <em>known, in no cell</em> lists what the knowledge base knows beyond the "
        "matrix.</p><div class=scroll><table class=list><thead><tr><th>Axis<th>Exercised<th>Not exercised"
        "<th>Known, in no cell</thead><tbody>";
    for (const auto& axis : coverage.axes) {
        out += "<tr><th scope=row>";
        append_html(out, axis.title);
        out += fmt::format(" <code>{}</code><td>", html(axis.axis));
        for (const auto& value : axis.values) {
            if (!value.exercised()) continue;
            const std::string cells = fmt::format("{}", fmt::join(value.cells, ", "));
            out += fmt::format("<span class=\"badge vP\" title=\"{}\">{} \u00d7{}</span> ", html(cells),
                               html(value.value), value.cells.size());
        }
        out += "<td>";
        for (const auto& value : axis.values) {
            if (value.exercised()) continue;
            out += fmt::format("<details class=cov-miss><summary><span class=\"badge vF\">{}</span></summary><ul>",
                               html(value.value));
            for (const auto& why : value.not_run) {
                out += "<li>";
                append_html(out, why);
            }
            out += "</ul></details>";
        }
        out += "<td>";
        if (!axis.known_elsewhere.empty()) {
            append_html(out, fmt::format("{}", fmt::join(axis.known_elsewhere, ", ")));
            out += " <small>(";
            append_html(out, axis.known_source);
            out += ")</small>";
        }
    }
    out += "</tbody></table></div>";
    if (!coverage.not_run.empty()) {
        out += fmt::format(
            "<h3>Planned cells without results ({})</h3><div class=scroll><table class=list "
            "id=not-run><thead><tr><th>Cell<th>Toolkit<th>Run stack<th>Runner<th>Status<th>Why"
            "</thead><tbody>",
            coverage.not_run.size());
        for (const auto& cell : coverage.not_run) {
            auto axis = [&](const char* key) {
                const std::string value = cell.axis(key);
                return value.empty() ? std::string("?") : value;
            };
            out += fmt::format(
                "<tr><th scope=row><code>{}</code><td>CUDA {} \u00b7 cuDNN {}<td>CUDA {} \u00b7 "
                "cuDNN {}<td>{}<td>{}<td>",
                html(cell.id), html(axis("toolkit")), html(axis("toolkit_cudnn")), html(axis("cuda")),
                html(axis("cudnn")), html(axis("runner")), html(std::string(results::to_string(cell.status))));
            append_html(out, cell.reason.empty() ? "no reason recorded (" + cell.source + ")" : cell.reason);
        }
        out += "</tbody></table></div>";
    }
    out += "</section>\n";
}

}  // namespace detail

}  // namespace cuconform::report
