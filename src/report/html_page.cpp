// SPDX-License-Identifier: Apache-2.0
/// \file The HTML report's page header, baseline changes, per-cell summary and legend.
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

void HtmlBuilder::verdict_badge(Verdict v) {
    out += fmt::format("<span class=\"badge v{}\"><span class=sym aria-hidden=true>{}</span> {}</span>",
                       verdict_letter(v), verdict_symbol(v), to_string(v));
}

void HtmlBuilder::header(const Tally& total) {
    out +=
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">";
    out += "<title>";
    append_html(out, options.title);
    out += "</title><style>";
    out += assets::kReportCss;
    out += "</style></head><body>\n<header class=top><h1>";
    append_html(out, options.title);
    const auto now = std::chrono::system_clock::now();
    out += fmt::format(
        "</h1><p class=meta>cuconform {} \u00B7 generated {:%Y-%m-%d %H:%M} UTC \u00B7 {} \u00B7 {} "
        "(case \u00D7 variant) \u00B7 {}</p>",
        html(CUCONFORM_VERSION), fmt::gmtime(std::chrono::system_clock::to_time_t(now)),
        counted(set.cells.size(), "cell"), counted(grid.rows.size(), "row"), counted(total.total, "result"));
    std::size_t failing_cells = 0;
    for (const auto& t : cell_tally) failing_cells += t.conforms() ? 0 : 1;
    if (total.conforms()) {
        out += "<p class=\"criterion ok\"><strong>\u2713 Conforms.</strong> ";
    } else {
        out += fmt::format(
            "<p class=\"criterion bad\"><strong>\u2717 Does not conform:</strong> {} of {} cells have "
            "results that fail. ",
            failing_cells, set.cells.size());
    }
    out += "A run conforms when every result is PASS, UNSUPPORTED or WAIVED.</p>";
    out += fmt::format("<p class=tally id=tally>{}</p>", html(tally_line(total)));
    context(total);
    std::size_t unrun = 0;
    for (const auto& cell : coverage.not_run) unrun += cell.status != results::CellStatus::Skipped;
    if (unrun > 0) {
        out += fmt::format(
            "<p class=\"criterion bad\"><strong>\u2717 {} planned cell{} did not run.</strong> "
            "The verdicts above cover only the cells that did; see <a href=#not-run>Matrix "
            "coverage</a> for why.</p>",
            unrun, unrun == 1 ? "" : "s");
    }
    out +=
        "<nav><a href=#summary>Summary</a> <a href=#compat>Compatibility table</a> <a href=#coverage>Coverage</a> <a "
        "href=#grid>Grid</a> <a href=#details>Not "
        "PASS</a> "
        "<a href=#cells>Cells &amp; fingerprints</a>";
    if (options.baseline) out += " <a href=#changes>Changes</a>";
    out +=
        "</nav></header>\n<noscript><p class=notice>JavaScript is off. Everything needed to judge the run is "
        "below as plain tables: the grid, each cell's summary and the details of every result that is not "
        "PASS. Filters, keyboard navigation, fingerprint diffs and the details of PASS results need "
        "JavaScript.</p></noscript>\n<main>";
    if (!set.warnings.empty()) {
        out += fmt::format("<section id=warnings><h2>Warnings while loading ({})</h2><ul>", set.warnings.size());
        for (std::size_t i = 0; i < set.warnings.size() && i < 200; ++i) {
            out += "<li>";
            append_html(out, set.warnings[i]);
        }
        if (set.warnings.size() > 200) out += fmt::format("<li>\u2026 and {} more", set.warnings.size() - 200);
        out += "</ul></section>";
    }
}

void HtmlBuilder::context(const Tally& total) {
    // How much of the catalogue really ran: a run where nothing could run "conforms" too.
    const std::size_t unsupported = total.per_verdict[static_cast<int>(Verdict::Unsupported)];
    out +=
        fmt::format("<p class=ran id=ran>{} of {} ran here", total.total - unsupported, counted(total.total, "result"));
    if (unsupported == 0) {
        out += ".</p>";
    } else {
        std::map<std::string, std::size_t> reasons;
        for (const auto& r : set.results) {
            if (r.verdict == Verdict::Unsupported) ++reasons[r.reason.empty() ? r.observed.reason : r.reason];
        }
        std::vector<std::pair<std::size_t, std::string>> by_count;
        for (const auto& [reason, n] : reasons) by_count.emplace_back(n, reason);
        std::stable_sort(by_count.begin(), by_count.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        out += fmt::format("; {} could not run (UNSUPPORTED), for {}:</p><ul class=reasons id=unsupported-reasons>",
                           unsupported, counted(reasons.size(), "reason"));
        for (std::size_t i = 0; i < by_count.size() && i < 8; ++i) {
            out += fmt::format("<li><span class=\"badge vU\">{} \u00D7</span> ", by_count[i].first);
            append_html(out, by_count[i].second.empty() ? "(no reason recorded)" : by_count[i].second);
        }
        if (by_count.size() > 8) out += fmt::format("<li>\u2026 and {} more", counted(by_count.size() - 8, "reason"));
        out += "</ul>";
    }
    // What the doctor said about this machine, when the report was given its findings (`report --doctor`).
    if (options.doctor.is_object() && options.doctor.contains("findings")) {
        std::vector<std::string> serious;
        for (const auto& f : options.doctor["findings"]) {
            const std::string severity = f.value("severity", "");
            if (severity == "error" || severity == "warning") {
                serious.push_back(fmt::format("{} {}: {}", severity, f.value("id", ""), f.value("title", "")));
            }
        }
        out += "<div class=doctor id=doctor><p>cuconform doctor on this machine: ";
        if (serious.empty()) {
            out += "no errors or warnings.</p>";
        } else {
            out += "</p><ul class=reasons>";
            for (const auto& line : serious) out += "<li>" + html(line);
            out += "</ul>";
        }
        out += "</div>";
    }
}

void HtmlBuilder::changes_section() {
    if (!options.baseline) return;
    std::array<std::size_t, 3> counts{};
    for (auto c : change) {
        if (c != kNoChange) ++counts[c];
    }
    out += fmt::format(
        "<section id=changes><h2>Changes against the baseline</h2><p>{} new failures, {} fixed, {} "
        "flips (verdict changed, failure status unchanged).</p>",
        counts[0], counts[1], counts[2]);
    if (counts[0] + counts[1] + counts[2] == 0) {
        out += "</section>";
        return;
    }
    out += "<table class=list><thead><tr><th>Change<th>Case<th>Variant<th>Cell<th>Before<th>Now</thead><tbody>";
    std::size_t shown = 0;
    for (int kind : {kNewFailure, kFlip, kFixed}) {
        for (std::size_t i = 0; i < set.results.size() && shown < 1000; ++i) {
            if (change[i] != kind) continue;
            ++shown;
            const Result& r = set.results[i];
            const Result& old = options.baseline->results[baseline_of[i]];
            out += fmt::format("<tr class={}><td><span class=chg>{}</span><td><a href=\"#case={}&amp;cell={}\">",
                               kChangeClass[kind], kChangeName[kind], html(r.case_id), html(set.cells[r.cell].id));
            append_html(out, r.case_id);
            out += "</a><td>";
            append_html(out, r.variant);
            out += "<td>";
            append_html(out, set.cells[r.cell].id);
            out += "<td>";
            verdict_badge(old.verdict);
            out += " <code>" + html(old.observed.str()) + "</code><td>";
            verdict_badge(r.verdict);
            out += " <code>" + html(r.observed.str()) + "</code>";
        }
    }
    out += "</tbody></table>";
    if (shown == 1000) out += "<p class=notice>The first 1000 changes are listed.</p>";
    out += "</section>";
}

void HtmlBuilder::summary_section() {
    std::string head = "<thead><tr><th>Cell<th>Stack<th>GPU";
    for (Verdict v : kAllVerdicts) {
        head += fmt::format("<th class=num><span class=\"sym v{}\">{}</span> {}", verdict_letter(v), verdict_symbol(v),
                            to_string(v));
    }
    head += "<th class=num>Ran<th class=num>Pass rate<th class=num>Unexpected passes<th>Criterion</thead>";
    out += "<section id=summary><h2>Summary per cell</h2><div class=scroll><table class=list>";
    out += head;
    out += "<tbody>";
    std::vector<std::uint32_t> order(grid.columns);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return cell_tally[a].failed() > cell_tally[b].failed(); });
    // Large reports: the worst cells in the open table, the others in a closed <details> (not laid out until
    // opened: a 2,000-row table on screen costs seconds of layout at page load).
    const std::size_t open_rows = full ? order.size() : std::min(order.size(), kCompactSummaryRows);
    for (std::size_t k = 0; k < order.size(); ++k) {
        if (k == open_rows) {
            std::size_t failing = 0;
            for (std::size_t j = k; j < order.size(); ++j) failing += cell_tally[order[j]].conforms() ? 0 : 1;
            out += fmt::format(
                "</tbody></table></div><details id=summary-rest class=more><summary>The other {} "
                "cells ({} of them do not conform)</summary><div class=scroll><table class=list>{}"
                "<tbody>",
                order.size() - open_rows, failing, head);
        }
        const std::uint32_t c = order[k];
        const Tally& t = cell_tally[c];
        out += t.conforms() ? "<tr>" : "<tr class=failing>";
        out += "<th scope=row><code>";
        append_html(out, set.cells[c].id);
        out += "</code><td>";
        append_html(out, stack_label(set.cells[c]));
        if (!set.cells[c].provider.empty()) out += " (" + html(set.cells[c].provider) + ")";
        out += "<td>";
        append_html(out, set.cells[c].gpu);
        for (Verdict v : kAllVerdicts) {
            const auto n = t.per_verdict[static_cast<int>(v)];
            out += n ? fmt::format("<td class=\"num v{}\">{}", verdict_letter(v), n) : std::string("<td class=num>0");
        }
        // Of the results that ran (not UNSUPPORTED), the share that passed (PASS, WAIVED count as conforming).
        const std::size_t ran = t.total - t.per_verdict[static_cast<int>(Verdict::Unsupported)];
        out += fmt::format("<td class=num>{}<td class=num>{}", ran,
                           ran == 0 ? std::string("\u2014")
                                    : fmt::format("{:.0f} %", 100.0 * static_cast<double>(ran - t.failed()) /
                                                                  static_cast<double>(ran)));
        out += unexpected_passes[c] ? fmt::format("<td class=\"num vF\">{}", unexpected_passes[c])
                                    : std::string("<td class=num>0");
        out += t.conforms() ? "<td class=vP>\u2713 conforms" : "<td class=vF>\u2717 does not conform";
    }
    out += "</tbody></table></div>";
    if (open_rows < order.size()) out += "</details>";
    // Unexpected passes are called out: they mean an expectation (or a waiver) is stale.
    std::size_t listed = 0;
    for (const auto& r : set.results) {
        if (r.verdict != Verdict::Fail || r.fail_kind != FailKind::UnexpectedPass) continue;
        if (listed++ == 0) {
            out +=
                "<h3>Unexpected passes</h3><p>These cases were expected to fail and did not: the expectation "
                "is stale or the stack changed.</p><ul class=callout>";
        }
        if (listed > 50) continue;
        out += fmt::format(
            "<li><a href=\"#case={}&amp;cell={}\"><code>{}</code></a> [{}] on <code>{}</code>: "
            "expected <code>{}</code>, observed <code>{}</code>",
            html(r.case_id), html(set.cells[r.cell].id), html(r.case_id), html(r.variant), html(set.cells[r.cell].id),
            html(r.expected.str()), html(r.observed.str()));
    }
    if (listed > 50) out += fmt::format("<li>\u2026 and {} more", listed - 50);
    if (listed) out += "</ul>";
    out += "</section>\n";
}

void HtmlBuilder::legend() {
    out += "<p class=legend>";
    for (Verdict v : kAllVerdicts) {
        verdict_badge(v);
        out += ' ';
    }
    if (options.baseline) {
        out +=
            "<span class=\"badge bN\">\u25B2 new failure</span> <span class=\"badge bX\">\u25BC fixed</span> "
            "<span class=\"badge bL\">\u25C6 flip</span>";
    }
    out += "</p>";
}

}  // namespace detail

}  // namespace cuconform::report
