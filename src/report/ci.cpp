// SPDX-License-Identifier: Apache-2.0
/// \file CI outputs: JUnit XML (one testsuite per cell) and the Markdown step summary.
#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <ostream>
#include <unordered_map>

#include "report/model.h"
#include "report/report.h"

namespace cuconform::report {
namespace {
using namespace detail;

std::string xml(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_xml(out, text);
    return out;
}

/// Markdown table cells: pipes and line breaks would end the cell; HTML must not render.
std::string md(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '|': out += "\\|"; break;
            case '\n': out += ' '; break;
            case '\r': break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '`': out += '\''; break;
            default: out.push_back(c);
        }
    }
    return out;
}

}  // namespace

void write_junit(std::ostream& stream, const ResultSet& set) {
    std::vector<std::vector<const Result*>> by_cell(set.cells.size());
    for (const auto& r : set.results) by_cell[r.cell].push_back(&r);
    const Tally total = tally(set);
    // Planned cells without results: one testcase each, an error (or skipped: a GPU runner's cell on a machine
    // without one), so that CI shows a cell that could not be provisioned instead of silently testing less.
    const auto not_run = matrix_coverage(set, nullptr).not_run;
    std::size_t not_run_skipped = 0;
    for (const auto& cell : not_run) not_run_skipped += cell.status == results::CellStatus::Skipped;
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    double all_ms = 0;
    for (const auto& r : set.results) all_ms += r.duration_ms;
    out += fmt::format("<testsuites name=\"cuconform\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
                       "time=\"{:.3f}\">\n",
                       total.total + not_run.size(), total.failed(), not_run.size() - not_run_skipped,
                       total.skipped() + not_run_skipped, all_ms / 1000.0);
    for (const auto& cell : not_run) {
        const bool skipped = cell.status == results::CellStatus::Skipped;
        const std::string reason = cell.reason.empty() ? "no reason recorded in " + cell.source : cell.reason;
        out += fmt::format(
            "  <testsuite name=\"{0}\" tests=\"1\" failures=\"0\" errors=\"{1}\" skipped=\"{2}\" "
            "time=\"0\">\n    <testcase classname=\"cuconform.matrix\" name=\"{0}[provision]\" "
            "time=\"0\">\n      <{3} message=\"{4}: {5}\"{6}>{5}</{3}>\n    </testcase>\n"
            "  </testsuite>\n",
            xml(cell.id), skipped ? 0 : 1, skipped ? 1 : 0, skipped ? "skipped" : "error",
            xml(std::string(results::to_string(cell.status))), xml(reason),
            skipped ? "" : " type=\"" + xml(std::string(results::to_string(cell.status))) + "\"");
    }
    for (std::size_t c = 0; c < set.cells.size(); ++c) {
        Tally t;
        double ms = 0;
        for (const auto* r : by_cell[c]) {
            t.add(r->verdict);
            ms += r->duration_ms;
        }
        const Cell& cell = set.cells[c];
        out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" "
                           "time=\"{:.3f}\">\n    <properties>\n",
                           xml(cell.id), t.total, t.failed(), t.skipped(), ms / 1000.0);
        for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"cell", &cell.id},
                                          {"toolkit_cuda", &cell.toolkit_cuda}, {"stack_cuda", &cell.stack_cuda},
                                          {"stack_cudnn", &cell.stack_cudnn}, {"gpu", &cell.gpu}}) {
            out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", name, xml(*value));
        }
        out += "    </properties>\n";
        for (const auto* r : by_cell[c]) {
            out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n", xml(r->case_id),
                               xml(r->case_id + "[" + r->variant + "]"), r->duration_ms / 1000.0);
            out += fmt::format("      <properties>\n        <property name=\"case_id\" value=\"{}\"/>\n"
                               "        <property name=\"variant\" value=\"{}\"/>\n        <property name=\"cell\" "
                               "value=\"{}\"/>\n        <property name=\"verdict\" value=\"{}\"/>\n      </properties>\n",
                               xml(r->case_id), xml(r->variant), xml(cell.id), to_string(r->verdict));
            const std::string detail = fmt::format("expected {}, observed {}", r->expected.str(), r->observed.str());
            if (r->verdict == Verdict::Unsupported || r->verdict == Verdict::Waived) {
                std::string reason = r->reason.empty() ? r->observed.reason : r->reason;
                if (r->verdict == Verdict::Waived) reason = "WAIVED: " + reason;
                out += fmt::format("      <skipped message=\"{}\">{}</skipped>\n", xml(reason), xml(detail));
            } else if (is_failure(r->verdict)) {
                std::string body = detail;
                if (r->observed.native_code) body += fmt::format("\nnative code: {}", *r->observed.native_code);
                if (!r->observed.message.empty()) body += "\nmessage: " + r->observed.message;
                body += fmt::format("\nrule {}: {}", r->rule.index + 1, r->rule.text);
                if (!r->rule.why.empty()) body += "\nwhy: " + r->rule.why;
                if (!r->reason.empty()) body += "\nreason: " + r->reason;
                if (!r->reproduce.empty()) body += "\nreproduce: " + r->reproduce;
                if (!r->output_tail.empty()) body += "\n--- output tail ---\n" + r->output_tail;
                const std::string type = r->fail_kind == FailKind::None ? std::string(to_string(r->verdict))
                                                                        : fmt::format("{} ({})", to_string(r->verdict),
                                                                                      to_string(r->fail_kind));
                out += fmt::format("      <failure message=\"{}: {}\" type=\"{}\">{}</failure>\n", to_string(r->verdict),
                                   xml(detail), xml(type), xml(body));
            }
            out += "    </testcase>\n";
        }
        out += "  </testsuite>\n";
        stream << out;  // one suite at a time: 10^6 results need not sit in memory twice
        out.clear();
    }
    stream << "</testsuites>\n";
}

void write_summary(std::ostream& out, const ResultSet& set, const ResultSet* baseline) {
    const Tally total = tally(set);
    out << "## cuconform: " << (total.conforms() ? "\u2705 conforms" : "\u274C does not conform") << "\n\n"
        << tally_line(total) << " across " << set.cells.size()
        << " cells. A run conforms when every result is PASS, UNSUPPORTED or WAIVED.\n\n";
    std::vector<Tally> per_cell(set.cells.size());
    for (const auto& r : set.results) per_cell[r.cell].add(r.verdict);
    std::vector<std::size_t> order(set.cells.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return per_cell[a].failed() > per_cell[b].failed(); });
    out << "| cell | stack | GPU | PASS | FAIL | UNSUPPORTED | WAIVED | FLAKY | CRASH | TIMEOUT | criterion |\n"
        << "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n";
    for (std::size_t k = 0; k < order.size() && k < 100; ++k) {
        const std::size_t c = order[k];
        out << "| " << md(set.cells[c].id) << " | " << md(stack_label(set.cells[c])) << " | " << md(set.cells[c].gpu);
        for (auto n : per_cell[c].per_verdict) out << " | " << n;
        out << " | " << (per_cell[c].conforms() ? "\u2705 conforms" : "\u274C fails") << " |\n";
    }
    if (order.size() > 100) out << "\n" << order.size() - 100 << " more cells, all in the HTML report.\n";
    const Coverage coverage = matrix_coverage(set, nullptr);
    if (!coverage.not_run.empty()) {
        out << "\n### Planned cells without results\n\n| cell | status | why |\n| --- | --- | --- |\n";
        for (const auto& cell : coverage.not_run) {
            out << "| " << md(cell.id) << " | " << md(std::string(results::to_string(cell.status))) << " | "
                << md(cell.reason.empty() ? "no reason recorded in " + cell.source : cell.reason) << " |\n";
        }
    }
    std::vector<std::string> missed;
    for (const auto& axis : coverage.axes) {
        for (const auto& value : axis.values) {
            if (!value.exercised()) missed.push_back(axis.axis + " " + value.value);
        }
    }
    if (!missed.empty()) out << "\nPlanned but exercised by no cell: " << md(fmt::format("{}", fmt::join(missed, ", "))) << ".\n";
    std::size_t listed = 0, failures = 0;
    for (const auto& r : set.results) {
        if (!is_failure(r.verdict)) continue;
        if (failures++ == 0) out << "\n### Failures\n\n| case | variant | cell | verdict | expected | observed |\n"
                                    "| --- | --- | --- | --- | --- | --- |\n";
        if (listed++ >= 50) continue;
        out << "| " << md(r.case_id) << " | " << md(r.variant) << " | " << md(set.cells[r.cell].id) << " | "
            << to_string(r.verdict) << (r.fail_kind != FailKind::None ? fmt::format(" ({})", to_string(r.fail_kind)) : "")
            << " | " << md(r.expected.str()) << " | " << md(r.observed.str()) << " |\n";
    }
    if (failures > 50) out << "\n" << failures - 50 << " more failures: see the HTML report or the JUnit XML.\n";
    if (baseline) {
        std::unordered_map<std::string, Verdict> before;
        for (const auto& r : baseline->results) {
            before.emplace(baseline->cells[r.cell].id + '\n' + r.case_id + '\n' + r.variant, r.verdict);
        }
        std::size_t new_failures = 0, fixed = 0, flips = 0;
        std::string lines;
        for (const auto& r : set.results) {
            auto it = before.find(set.cells[r.cell].id + '\n' + r.case_id + '\n' + r.variant);
            if (it == before.end() || it->second == r.verdict) continue;
            const char* kind = "flip";
            if (!is_failure(it->second) && is_failure(r.verdict)) kind = "new failure", ++new_failures;
            else if (is_failure(it->second) && !is_failure(r.verdict)) kind = "fixed", ++fixed;
            else ++flips;
            if (new_failures + fixed + flips <= 50) {
                lines += fmt::format("| {} | {} | {} | {} | {} \u2192 {} |\n", kind, md(r.case_id), md(r.variant),
                                     md(set.cells[r.cell].id), to_string(it->second), to_string(r.verdict));
            }
        }
        out << "\n### Against the baseline\n\n" << new_failures << " new failures, " << fixed << " fixed, " << flips
            << " flips.\n";
        if (!lines.empty()) out << "\n| change | case | variant | cell | verdict |\n| --- | --- | --- | --- | --- |\n" << lines;
    }
}

}  // namespace cuconform::report
