// SPDX-License-Identifier: Apache-2.0
/// \file The HTML report's grid (cases x cells) and the server-side drill-down details.
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

void HtmlBuilder::grid_section(const std::vector<std::int32_t>& group_of_result) {
    out += "<section id=grid><h2>Results grid</h2>";
    legend();
    out += "<div id=toolbar class=toolbar hidden><label>Family <select id=f-family><option value=\"\">all</option>";
    for (const auto& [name, members] : grid.families) out += "<option>" + html(name) + "</option>";
    out += "</select></label> <fieldset id=f-verdicts><legend>Show rows with</legend>";
    for (Verdict v : kAllVerdicts) {
        out += fmt::format(
            "<label class=v{0}><input type=checkbox value={1} checked> <span aria-hidden=true>{2}</span> "
            "{3}</label>",
            verdict_letter(v), static_cast<int>(v), verdict_symbol(v), to_string(v));
    }
    out +=
        "</fieldset> <label>Text <input id=f-text type=search placeholder=\"case, title, error name\" "
        "autocomplete=off></label> <button id=f-failing type=button>Only failures</button> <button "
        "id=f-reset type=button>Reset</button> <button id=f-collapse type=button>Collapse all</button> "
        "<span id=f-count aria-live=polite></span></div>";
    if (!full) {
        out += fmt::format(
            "<p class=notice>This grid holds {} results, too many for one table cell each: each row "
            "is a strip with one symbol per cell, in the column order of the cell table below. "
            "With JavaScript, rows are coloured as they scroll into view and a symbol opens its "
            "cell and details on hover or click; without it, every result that is not PASS is "
            "listed under <a href=#details>Not PASS</a>.</p>",
            set.results.size());
    }
    out += "<div class=gridwrap tabindex=-1><table id=gridtable class=\"grid";
    out += full ? " full\">" : " compact\">";
    out += "<thead>";
    if (full) {
        // Column groups: stack (toolkit, cuDNN), then GPU, then the cell itself.
        auto spans = [&](auto key_of, auto label_of) {
            std::string row;
            for (std::size_t c = 0; c < grid.columns.size();) {
                std::size_t end = c + 1;
                while (end < grid.columns.size() && key_of(grid.columns[end]) == key_of(grid.columns[c])) ++end;
                row += fmt::format("<th colspan={} scope=colgroup>{}</th>", end - c, html(label_of(grid.columns[c])));
                c = end;
            }
            return row;
        };
        auto stack_of = [&](std::uint32_t c) { return stack_label(set.cells[c]); };
        out += "<tr class=h1><th class=corner rowspan=3>Case [variant]</th>";
        out += spans(stack_of, stack_of);
        out += "<tr class=h2>";
        out += spans([&](std::uint32_t c) { return stack_label(set.cells[c]) + '\n' + set.cells[c].gpu; },
                     [&](std::uint32_t c) { return "GPU " + set.cells[c].gpu; });
        out += "<tr class=h3>";
        for (std::uint32_t c : grid.columns) {
            out += "<th scope=col class=cellid><span>";
            append_html(out, set.cells[c].id);
            out += "</span>";
        }
    } else {
        out += fmt::format(
            "<tr class=h1><th class=corner>Case [variant]</th><th>{} cells, in the order of the cell "
            "table</th>",
            grid.columns.size());
    }
    out += "</thead>\n";
    const std::size_t columns = grid.columns.size();
    for (std::size_t f = 0; f < grid.families.size(); ++f) {
        const auto& [family, members] = grid.families[f];
        Tally ft;
        for (auto r : members) {
            for (auto i : grid.rows[r].result_at) {
                if (i >= 0) ft.add(set.results[i].verdict);
            }
        }
        out += fmt::format(
            "<tbody class=fam data-f={}><tr class=famrow><th colspan={} scope=rowgroup><button "
            "type=button class=fold aria-expanded=true>{}</button> <span class=counts>{} rows \u00B7 "
            "{}</span>",
            f, full ? columns + 1 : 2, html(family), members.size(), html(tally_line(ft)));
        for (auto r : members) {
            const Row& row = grid.rows[r];
            out += fmt::format("\n<tr data-r={}><th scope=row class=case><a href=\"#case={}", r, html(row.case_id));
            if (row.variant != "default") out += "&amp;variant=" + html(row.variant);
            out += "\"";
            if (!row.title.empty()) out += " title=\"" + html(row.title) + "\"";
            out += ">";
            append_html(out, row.case_id);
            out += "</a>";
            if (row.variant != "default") out += " <span class=var>[" + html(row.variant) + "]</span>";
            out += "</th>";
            if (full) {
                for (std::size_t c = 0; c < columns; ++c) full_entry(row.result_at[c], group_of_result);
            } else {
                strip(row);
            }
        }
        out += "</tbody>";
    }
    out += "</table></div></section>\n";
}

void HtmlBuilder::full_entry(std::int32_t i, const std::vector<std::int32_t>& group_of_result) {
    if (i < 0) {
        out += "<td class=vN>\u00B7";
        return;
    }
    const Result& r = set.results[i];
    out += "<td class=\"v";
    out.push_back(verdict_letter(r.verdict));
    if (change[i] != kNoChange) {
        out += ' ';
        out += kChangeClass[change[i]];
    }
    out += "\">";
    const bool link = group_of_result[i] >= 0;
    if (link) out += fmt::format("<a href=#d-{}>", group_of_result[i]);
    out += verdict_symbol(r.verdict);
    out += "<small>";
    append_html(out, short_outcome(r.observed));
    out += "</small>";
    if (link) out += "</a>";
}

/// One text node per row (no element per run: 10^6 results stay a small DOM); the script colours the rows
/// that scroll into view. Every symbol is one UTF-16 unit, so column c is character c of the strip.
void HtmlBuilder::strip(const Row& row) {
    out += "<td class=strip>";
    for (std::int32_t i : row.result_at) {
        out += i < 0 ? std::string_view("\u00B7") : verdict_symbol(set.results[i].verdict);
    }
    out += "</td>";  // explicit: the next row's line break must not become a column of this strip
}

/// Non-PASS results grouped by (row, signature): one <details> each, readable without JavaScript.
std::vector<std::int32_t> HtmlBuilder::details_section() {
    std::vector<std::int32_t> group_of_result(set.results.size(), -1);
    struct Group {
        std::size_t row;
        std::uint32_t sig;
        std::vector<std::int32_t> results;
    };
    std::vector<Group> groups;
    for (std::size_t r = 0; r < grid.rows.size(); ++r) {
        std::unordered_map<std::uint32_t, std::size_t> by_sig;
        for (std::int32_t i : grid.rows[r].result_at) {
            if (i < 0 || set.results[i].verdict == Verdict::Pass) continue;
            auto [it, inserted] = by_sig.try_emplace(sig_of[i], groups.size());
            if (inserted) groups.push_back({r, sig_of[i], {}});
            groups[it->second].results.push_back(i);
        }
    }
    auto rank = [&](const Group& g) {
        const Verdict v = set.results[g.results[0]].verdict;
        return is_failure(v) ? 0 : v == Verdict::Waived ? 1 : 2;
    };
    auto reason_of = [&](const Group& g) -> const std::string& {
        const Result& r = set.results[g.results[0]];
        return r.reason.empty() ? r.observed.reason : r.reason;
    };
    // Failures, then waived, then unsupported grouped by their reason (17 cases without a GPU are one reason).
    std::stable_sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) {
        if (rank(a) != rank(b)) return rank(a) < rank(b);
        return rank(a) == 2 && reason_of(a) < reason_of(b);
    });
    std::map<std::string, std::size_t> results_per_reason;
    for (const auto& g : groups) {
        if (rank(g) == 2) results_per_reason[reason_of(g)] += g.results.size();
    }
    std::size_t failing = 0;
    for (const auto& g : groups) failing += rank(g) == 0 ? g.results.size() : 0;
    std::string body;
    std::swap(body, out);
    out += fmt::format(
        "<section id=details><h2>Results that are not PASS</h2><p>{} failing results first, then "
        "waived and unsupported ones; results with the same outcome in several cells are grouped.</p>",
        failing);
    const std::size_t shown = std::min(groups.size(), options.max_server_details);
    const std::string* open_reason = nullptr;
    for (std::size_t g = 0; g < shown; ++g) {
        const Group& group = groups[g];
        for (auto i : group.results) group_of_result[i] = static_cast<std::int32_t>(g);
        const Result& r = set.results[group.results[0]];
        const Row& row = grid.rows[group.row];
        if (rank(group) == 2 && (open_reason == nullptr || *open_reason != reason_of(group))) {
            if (open_reason != nullptr) out += "</details>\n";
            open_reason = &reason_of(group);
            out += fmt::format(
                "<details class=\"reason vU\"><summary><span class=sym aria-hidden=true>{}</span> "
                "<strong>UNSUPPORTED</strong>, {}: ",
                verdict_symbol(Verdict::Unsupported), counted(results_per_reason[*open_reason], "result"));
            append_html(out, open_reason->empty() ? "(no reason recorded)" : *open_reason);
            out += "</summary>";
        }
        out += fmt::format(
            "<details id=d-{} class=\"res v{}\" data-case=\"{}\"><summary><span class=sym "
            "aria-hidden=true>{}</span> <code>{}</code>",
            g, verdict_letter(r.verdict), html(row.case_id), verdict_symbol(r.verdict), html(row.case_id));
        if (row.variant != "default") out += " [" + html(row.variant) + "]";
        out += fmt::format(" \u2014 <strong>{}</strong>", to_string(r.verdict));
        if (r.fail_kind != FailKind::None) out += " (" + html(to_string(r.fail_kind)) + ")";
        out += fmt::format(": {} <code>{}</code> \u00B7 {}</summary><dl class=kv>",
                           r.verdict == Verdict::Unsupported ? "expected" : "observed",
                           html(r.verdict == Verdict::Unsupported ? r.expected.str() : short_outcome(r.observed)),
                           counted(group.results.size(), "cell"));
        auto item = [&](std::string_view label, const std::string& value, bool pre = false) {
            if (value.empty()) return;
            out += fmt::format("<dt>{}<dd>{}", label, pre ? "<pre>" : "<code>");
            append_html(out, value);
            out += pre ? "</pre>" : "</code>";
        };
        if (!r.title.empty()) item("Case", r.title);
        item("Expected", r.expected.str());
        item("Observed", r.observed.str());
        if (r.observed.native_code) item("Native code", std::to_string(*r.observed.native_code));
        item("Message", r.observed.message, true);
        item("Rule", fmt::format("rule {}: {}", r.rule.index + 1, r.rule.text));
        item("Why", r.rule.why);
        item("Reason", r.reason);
        if (r.attempts > 1) item("Attempts", std::to_string(r.attempts));
        if (r.verdict != Verdict::Unsupported) item("Duration", fmt::format("{:.1f} ms", r.duration_ms));
        item("Output tail", r.output_tail, true);
        item("Reproduce", r.reproduce, true);
        out += "<dt>Cells<dd><ul class=cells>";
        for (std::size_t k = 0; k < group.results.size() && k < 40; ++k) {
            const Result& each = set.results[group.results[k]];
            out += "<li><code>" + html(set.cells[each.cell].id) + "</code>";
            if (!each.source.file.empty())
                out += fmt::format(" <span class=src>{}:{}</span>", html(each.source.file), each.source.line);
        }
        if (group.results.size() > 40) out += fmt::format("<li>\u2026 and {} more", group.results.size() - 40);
        out += "</ul></dl></details>\n";
    }
    if (open_reason != nullptr) out += "</details>\n";
    if (shown < groups.size()) {
        out += fmt::format(
            "<p class=notice>{} more groups are left out of this page to keep it small; the JUnit XML "
            "and the summary list every failure, and with JavaScript each entry of the grid opens "
            "its details.</p>",
            groups.size() - shown);
    }
    out += "</section>\n";
    std::swap(body, out);
    details_html_ = std::move(body);
    return group_of_result;
}

}  // namespace detail

}  // namespace cuconform::report
