// SPDX-License-Identifier: Apache-2.0
/// \file The HTML report's compatibility table: the same table as table.md (report/table.cpp), stacks by families,
/// each entry a symbol whose title says what it rests on; a family's header opens the grid filtered to it.
#include <fmt/format.h>

#include "report/html_builder.h"

namespace cuconform::report {
namespace detail {

namespace {

char verdict_class(TableEntry::Kind kind) {
    switch (kind) {
        case TableEntry::Kind::Documented:
            return 'P';
        case TableEntry::Kind::Deviates:
            return 'F';
        case TableEntry::Kind::Waived:
            return 'W';
        case TableEntry::Kind::Predicted:
            return 'U';
        case TableEntry::Kind::Unknown:
            return 'N';
    }
    return 'N';
}

}  // namespace

void HtmlBuilder::table_section() {
    const CompatTable table = build_table(set);
    out +=
        "<section id=compat><h2>Compatibility table</h2><p class=legend>"
        "<span class=\"badge vP\">\u2713 works as documented</span> tested here: every result did what its "
        "expectation says (ok, or the expected error) "
        "<span class=\"badge vF\">\u2717 deviates</span> tested here: a result did not "
        "<span class=\"badge vW\">\u2248 waived</span> a deviation a scoped waiver covers "
        "<span class=\"badge vU\">\u25C7 predicted</span> nothing ran here; what the expectations say, not "
        "evidence <span class=badge>? unknown</span> no result. The same table is table.md, table.csv and "
        "table.json beside this report.</p><div class=scroll><table class=\"list compat\"><thead><tr><th>Driver"
        "<th>CUDA toolkit<th>CUDA runtime<th>cuDNN<th>GPU (cc)";
    for (const auto& family : table.families) {
        out += fmt::format("<th><a href=\"#view&amp;family={}\">{}</a>", html(family), html(family));
    }
    out += "</thead><tbody>";
    for (const auto& row : table.rows) {
        out += fmt::format("<tr><th scope=row>{}<td>{}<td>{}<td>{}<td>{}", html(row.driver), html(row.toolkit_cuda),
                           html(row.stack_cuda), html(row.cudnn), html(row.compute_capability));
        for (const auto& e : row.entries) {
            out += fmt::format("<td class=\"v{} c\" title=\"{}: {}\">{}", verdict_class(e.kind),
                               html(to_string(e.kind)), html(e.detail), symbol(e.kind));
        }
    }
    out += "</tbody></table></div></section>\n";
}

}  // namespace detail
}  // namespace cuconform::report
