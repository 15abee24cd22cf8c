// SPDX-License-Identifier: Apache-2.0
/// \file The self-contained HTML report: server-side tables readable without JavaScript, plus compact JSON
/// from which the embedded script draws the drill-down, filters and fingerprint diffs (reports/README.md).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <ostream>
#include <unordered_map>

#include "report/assets.h"
#include "report/model.h"
#include "report/report.h"

namespace cuconform::report {
namespace {
using namespace detail;

constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kCompactSummaryRows = 100;  ///< Large reports: cells in the open summary table.
constexpr std::array<Verdict, 7> kAllVerdicts{Verdict::Pass,  Verdict::Fail,  Verdict::Unsupported, Verdict::Waived,
                                              Verdict::Flaky, Verdict::Crash, Verdict::Timeout};

void append_base64(std::string& out, std::size_t value, int width) {
    for (int i = width - 1; i >= 0; --i) out.push_back(kBase64[(value >> (6 * i)) & 63]);
}

/// Durations as two base-64 digits on a log scale (0.4 % steps up to two hours): 10^6 of them stay small.
std::size_t quantize_ms(double ms) {
    const double q = std::round(std::log2(1.0 + std::max(0.0, ms)) * 180.0);
    return static_cast<std::size_t>(std::min(4095.0, q));
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    if (from.empty()) return;
    for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
}

/// The reproduction command with the cell, case and variant replaced by \x01 \x02 \x03, so that one string
/// serves a whole row; the script substitutes them back (the replacement is lossless, see below).
std::string reproduce_template(const Result& r, const ResultSet& set) {
    std::string text = r.reproduce;
    for (auto& c : text) {
        if (c >= '\x01' && c <= '\x03') c = ' ';  // keeps the substitution a bijection
    }
    replace_all(text, set.cells[r.cell].id, "\x01");
    replace_all(text, r.case_id, "\x02");
    replace_all(text, r.variant, "\x03");
    return text;
}

void flatten(const nlohmann::json& j, const std::string& path, nlohmann::json& out) {
    if (j.is_object() && !j.empty()) {
        for (auto it = j.begin(); it != j.end(); ++it) flatten(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
    } else if (j.is_array() && !j.empty()) {
        for (std::size_t i = 0; i < j.size(); ++i) flatten(j[i], fmt::format("{}[{}]", path, i), out);
    } else {
        out.push_back({path, j.is_string() ? j.get<std::string>() : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
    }
}

enum Change : std::int8_t { kNoChange = -1, kNewFailure = 0, kFixed = 1, kFlip = 2 };
constexpr std::array<std::string_view, 3> kChangeClass{"bN", "bX", "bL"};
constexpr std::array<std::string_view, 3> kChangeName{"new failure", "fixed", "flip"};

struct Builder {
    const ResultSet& set;
    const HtmlOptions& options;
    Grid grid;
    std::vector<Tally> cell_tally;
    std::vector<std::size_t> unexpected_passes;  // per cell
    std::vector<std::uint32_t> sig_of;            // per result
    std::vector<std::uint32_t> sig_first;         // per signature: its first result
    std::vector<std::int8_t> change;              // per result
    std::vector<std::int32_t> baseline_of;        // per result: index into the baseline, or -1
    std::vector<std::uint32_t> fp_of_cell;
    std::vector<nlohmann::json> fps;  ///< Each distinct fingerprint once, as JSON.
    std::string out;
    bool full = false;
    Coverage coverage;

    void intern_signatures() {
        std::unordered_map<std::string, std::uint32_t> index;
        sig_of.resize(set.results.size());
        std::string key;
        for (std::size_t i = 0; i < set.results.size(); ++i) {
            const Result& r = set.results[i];
            key.clear();
            key.push_back(verdict_letter(r.verdict));
            key.push_back(static_cast<char>('0' + static_cast<int>(r.fail_kind)));
            for (const std::string* part :
                 {&r.expected.reason, &r.expected.name, &r.observed.name, &r.observed.reason, &r.observed.message,
                  &r.rule.text, &r.rule.why, &r.reason, &r.output_tail}) {
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

    void compare_baseline() {
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
            if (!is_failure(before) && is_failure(r.verdict)) change[i] = kNewFailure;
            else if (is_failure(before) && !is_failure(r.verdict)) change[i] = kFixed;
            else if (before != r.verdict) change[i] = kFlip;
        }
    }

    void count() {
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

    nlohmann::json data_json(const std::vector<std::int32_t>& group_of_result) {
        nlohmann::json cells = nlohmann::json::array();
        for (std::uint32_t col : grid.columns) {
            const Cell& c = set.cells[col];
            nlohmann::json counts = nlohmann::json::array();
            for (auto n : cell_tally[col].per_verdict) counts.push_back(n);
            cells.push_back({c.id, stack_label(c), c.gpu, c.provider, fp_of_cell[col], counts,
                             cell_tally[col].conforms() ? 1 : 0});
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
                             {"t", row.title},  {"g", row_sigs},    {"w", width},
                             {"s", codes},      {"d", durations}};
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
        return {{"v", 1},          {"verdicts", {"PASS", "FAIL", "UNSUPPORTED", "WAIVED", "FLAKY", "CRASH", "TIMEOUT"}},
                {"full", full},    {"families", families}, {"cells", cells}, {"fps", fingerprints},
                {"sigs", sigs},    {"rows", rows},         {"changes", changes},
                {"baseline", options.baseline != nullptr}};
    }

    void verdict_badge(Verdict v) {
        out += fmt::format("<span class=\"badge v{}\"><span class=sym aria-hidden=true>{}</span> {}</span>",
                           verdict_letter(v), verdict_symbol(v), to_string(v));
    }

    void header(const Tally& total) {
        out += "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
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
        out += fmt::format("</h1><p class=meta>cuconform {} \u00B7 generated {:%Y-%m-%d %H:%M} UTC \u00B7 {} cells \u00B7 {} "
                           "rows (case \u00D7 variant) \u00B7 {} results</p>",
                           html(CUCONFORM_VERSION), fmt::gmtime(std::chrono::system_clock::to_time_t(now)),
                           set.cells.size(), grid.rows.size(), total.total);
        std::size_t failing_cells = 0;
        for (const auto& t : cell_tally) failing_cells += t.conforms() ? 0 : 1;
        if (total.conforms()) {
            out += "<p class=\"criterion ok\"><strong>\u2713 Conforms.</strong> ";
        } else {
            out += fmt::format("<p class=\"criterion bad\"><strong>\u2717 Does not conform:</strong> {} of {} cells have "
                               "results that fail. ",
                               failing_cells, set.cells.size());
        }
        out += "A run conforms when every result is PASS, UNSUPPORTED or WAIVED.</p>";
        out += fmt::format("<p class=tally id=tally>{}</p>", html(tally_line(total)));
        std::size_t unrun = 0;
        for (const auto& cell : coverage.not_run) unrun += cell.status != results::CellStatus::Skipped;
        if (unrun > 0) {
            out += fmt::format("<p class=\"criterion bad\"><strong>\u2717 {} planned cell{} did not run.</strong> "
                               "The verdicts above cover only the cells that did; see <a href=#not-run>Matrix "
                               "coverage</a> for why.</p>",
                               unrun, unrun == 1 ? "" : "s");
        }
        out += "<nav><a href=#summary>Summary</a> <a href=#coverage>Coverage</a> <a href=#grid>Grid</a> <a href=#details>Not PASS</a> "
               "<a href=#cells>Cells &amp; fingerprints</a>";
        if (options.baseline) out += " <a href=#changes>Changes</a>";
        out += "</nav></header>\n<noscript><p class=notice>JavaScript is off. Everything needed to judge the run is "
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

    void changes_section() {
        if (!options.baseline) return;
        std::array<std::size_t, 3> counts{};
        for (auto c : change) {
            if (c != kNoChange) ++counts[c];
        }
        out += fmt::format("<section id=changes><h2>Changes against the baseline</h2><p>{} new failures, {} fixed, {} "
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

    void summary_section() {
        std::string head = "<thead><tr><th>Cell<th>Stack<th>GPU";
        for (Verdict v : kAllVerdicts) {
            head += fmt::format("<th class=num><span class=\"sym v{}\">{}</span> {}", verdict_letter(v),
                                verdict_symbol(v), to_string(v));
        }
        head += "<th class=num>Unexpected passes<th>Criterion</thead>";
        out += "<section id=summary><h2>Summary per cell</h2><div class=scroll><table class=list>";
        out += head;
        out += "<tbody>";
        std::vector<std::uint32_t> order(grid.columns);
        std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            return cell_tally[a].failed() > cell_tally[b].failed();
        });
        // Large reports: the worst cells in the open table, the others in a closed <details> (not laid out until
        // opened: a 2,000-row table on screen costs seconds of layout at page load).
        const std::size_t open_rows = full ? order.size() : std::min(order.size(), kCompactSummaryRows);
        for (std::size_t k = 0; k < order.size(); ++k) {
            if (k == open_rows) {
                std::size_t failing = 0;
                for (std::size_t j = k; j < order.size(); ++j) failing += cell_tally[order[j]].conforms() ? 0 : 1;
                out += fmt::format("</tbody></table></div><details id=summary-rest class=more><summary>The other {} "
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
                out += "<h3>Unexpected passes</h3><p>These cases were expected to fail and did not: the expectation "
                       "is stale or the stack changed.</p><ul class=callout>";
            }
            if (listed > 50) continue;
            out += fmt::format("<li><a href=\"#case={}&amp;cell={}\"><code>{}</code></a> [{}] on <code>{}</code>: "
                               "expected <code>{}</code>, observed <code>{}</code>",
                               html(r.case_id), html(set.cells[r.cell].id), html(r.case_id), html(r.variant),
                               html(set.cells[r.cell].id), html(r.expected.str()), html(r.observed.str()));
        }
        if (listed > 50) out += fmt::format("<li>\u2026 and {} more", listed - 50);
        if (listed) out += "</ul>";
        out += "</section>\n";
    }

    void legend() {
        out += "<p class=legend>";
        for (Verdict v : kAllVerdicts) {
            verdict_badge(v);
            out += ' ';
        }
        if (options.baseline) {
            out += "<span class=\"badge bN\">\u25B2 new failure</span> <span class=\"badge bX\">\u25BC fixed</span> "
                   "<span class=\"badge bL\">\u25C6 flip</span>";
        }
        out += "</p>";
    }

    void grid_section(const std::vector<std::int32_t>& group_of_result) {
        out += "<section id=grid><h2>Results grid</h2>";
        legend();
        out += "<div id=toolbar class=toolbar hidden><label>Family <select id=f-family><option value=\"\">all</option>";
        for (const auto& [name, members] : grid.families) out += "<option>" + html(name) + "</option>";
        out += "</select></label> <fieldset id=f-verdicts><legend>Show rows with</legend>";
        for (Verdict v : kAllVerdicts) {
            out += fmt::format("<label class=v{0}><input type=checkbox value={1} checked> <span aria-hidden=true>{2}</span> "
                               "{3}</label>",
                               verdict_letter(v), static_cast<int>(v), verdict_symbol(v), to_string(v));
        }
        out += "</fieldset> <label>Text <input id=f-text type=search placeholder=\"case, title, error name\" "
               "autocomplete=off></label> <button id=f-failing type=button>Only failures</button> <button "
               "id=f-reset type=button>Reset</button> <button id=f-collapse type=button>Collapse all</button> "
               "<span id=f-count aria-live=polite></span></div>";
        if (!full) {
            out += fmt::format("<p class=notice>This grid holds {} results, too many for one table cell each: each row "
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
            out += fmt::format("<tr class=h1><th class=corner>Case [variant]</th><th>{} cells, in the order of the cell "
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
            out += fmt::format("<tbody class=fam data-f={}><tr class=famrow><th colspan={} scope=rowgroup><button "
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

    void full_entry(std::int32_t i, const std::vector<std::int32_t>& group_of_result) {
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
    void strip(const Row& row) {
        out += "<td class=strip>";
        for (std::int32_t i : row.result_at) {
            out += i < 0 ? std::string_view("\u00B7") : verdict_symbol(set.results[i].verdict);
        }
        out += "</td>";  // explicit: the next row's line break must not become a column of this strip
    }

    /// Non-PASS results grouped by (row, signature): one <details> each, readable without JavaScript.
    std::vector<std::int32_t> details_section() {
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
        std::stable_sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) { return rank(a) < rank(b); });
        std::size_t failing = 0;
        for (const auto& g : groups) failing += rank(g) == 0 ? g.results.size() : 0;
        std::string body;
        std::swap(body, out);
        out += fmt::format("<section id=details><h2>Results that are not PASS</h2><p>{} failing results first, then "
                           "waived and unsupported ones; results with the same outcome in several cells are grouped.</p>",
                           failing);
        const std::size_t shown = std::min(groups.size(), options.max_server_details);
        for (std::size_t g = 0; g < shown; ++g) {
            const Group& group = groups[g];
            for (auto i : group.results) group_of_result[i] = static_cast<std::int32_t>(g);
            const Result& r = set.results[group.results[0]];
            const Row& row = grid.rows[group.row];
            out += fmt::format("<details id=d-{} class=\"res v{}\" data-case=\"{}\"><summary><span class=sym "
                               "aria-hidden=true>{}</span> <code>{}</code>",
                               g, verdict_letter(r.verdict), html(row.case_id), verdict_symbol(r.verdict),
                               html(row.case_id));
            if (row.variant != "default") out += " [" + html(row.variant) + "]";
            out += fmt::format(" \u2014 <strong>{}</strong>", to_string(r.verdict));
            if (r.fail_kind != FailKind::None) out += " (" + html(to_string(r.fail_kind)) + ")";
            out += fmt::format(": observed <code>{}</code> \u00B7 {} cell{}</summary><dl class=kv>", html(short_outcome(r.observed)),
                               group.results.size(), group.results.size() == 1 ? "" : "s");
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
            item("Rule", fmt::format("#{} {}", r.rule.index, r.rule.text));
            item("Why", r.rule.why);
            item("Reason", r.reason);
            if (r.attempts > 1) item("Attempts", std::to_string(r.attempts));
            item("Duration", fmt::format("{:.1f} ms", r.duration_ms));
            item("Output tail", r.output_tail, true);
            item("Reproduce", r.reproduce, true);
            out += "<dt>Cells<dd><ul class=cells>";
            for (std::size_t k = 0; k < group.results.size() && k < 40; ++k) {
                const Result& each = set.results[group.results[k]];
                out += "<li><code>" + html(set.cells[each.cell].id) + "</code>";
                if (!each.source.file.empty()) out += fmt::format(" <span class=src>{}:{}</span>", html(each.source.file), each.source.line);
            }
            if (group.results.size() > 40) out += fmt::format("<li>\u2026 and {} more", group.results.size() - 40);
            out += "</ul></dl></details>\n";
        }
        if (shown < groups.size()) {
            out += fmt::format("<p class=notice>{} more groups are left out of this page to keep it small; the JUnit XML "
                               "and the summary list every failure, and with JavaScript each entry of the grid opens "
                               "its details.</p>",
                               groups.size() - shown);
        }
        out += "</section>\n";
        std::swap(body, out);
        details_html_ = std::move(body);
        return group_of_result;
    }

    void cells_section() {
        out += "<section id=cells><h2>Cells and fingerprints</h2><p>Column order of the grid. Identical fingerprints "
               "are shown once; each is compared with fingerprint 1.</p>";
        if (!full) {
            out += fmt::format("<details id=cells-all class=more><summary>All {} cells</summary>", grid.columns.size());
        }
        out += "<div class=scroll><table class=list><thead><tr><th>#<th>Cell<th>Stack<th>GPU<th>Provider<th>Fingerprint"
               "</thead><tbody>";
        for (std::size_t k = 0; k < grid.columns.size(); ++k) {
            const Cell& c = set.cells[grid.columns[k]];
            out += fmt::format("<tr><td class=num>{}<th scope=row><code>{}</code><td>{}<td>{}<td>{}<td><a href=#fp-{}>{}</a>",
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
    void coverage_section() {
        out += "<section id=coverage><h2>Matrix coverage</h2><p>Each axis value with the cells that exercised it. "
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
            out += fmt::format("<h3>Planned cells without results ({})</h3><div class=scroll><table class=list "
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

    std::string details_html_;

    void build() {
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
        coverage_section();
        grid_section(group_of_result);
        out += details_html_;
        details_html_.clear();
        cells_section();
        out += "</main><aside id=panel class=panel hidden role=dialog aria-modal=false aria-labelledby=panel-title "
               "tabindex=-1></aside>\n<script type=application/json id=report-data>";
        out += json_for_script(data_json(group_of_result));
        out += "</script>\n<script>";
        out += assets::kReportJs;
        out += "</script></body></html>\n";
    }
};

}  // namespace

void write_html(std::ostream& stream, const ResultSet& set, const HtmlOptions& options) {
    Builder builder{set, options};
    builder.build();
    stream.write(builder.out.data(), static_cast<std::streamsize>(builder.out.size()));
}

}  // namespace cuconform::report
