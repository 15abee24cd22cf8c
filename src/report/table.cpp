// SPDX-License-Identifier: Apache-2.0
/// \file The compatibility table: stacks by families of scenarios, each entry a short symbol (works as documented,
/// deviates, waived, predicted, unknown) linked to its evidence, as Markdown, CSV and browser-compat-data-like JSON.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "core/version.h"
#include "report/report.h"

namespace cuconform::report {
namespace fs = std::filesystem;
namespace {

/// Tested results were run here (observed something); predicted ones only carry what the expectation says.
bool tested(const Result& r) {
    return r.verdict != Verdict::Unsupported && r.observed.kind != Outcome::Kind::Unsupported;
}

std::string label(const Result& r) { return r.variant == "default" ? r.case_id : r.case_id + "[" + r.variant + "]"; }

TableEntry classify(const std::vector<std::size_t>& indices, const ResultSet& set) {
    TableEntry e;
    std::optional<std::size_t> failing, waived, first_tested, first_predicted;
    for (const std::size_t i : indices) {
        const Result& r = set.results[i];
        if (!tested(r)) {
            ++e.predicted;
            // The prediction worth showing: an expected error before an expected ok.
            if (!first_predicted || (!r.expected.is_ok() && set.results[*first_predicted].expected.is_ok())) {
                first_predicted = i;
            }
            continue;
        }
        ++e.tested;
        if (!first_tested) first_tested = i;
        if (is_failure(r.verdict) && !failing) failing = i;
        if (r.verdict == Verdict::Waived && !waived) waived = i;
    }
    const std::string also_predicted =
        e.tested && e.predicted ? fmt::format("; {} more not run here (predicted)", e.predicted) : "";
    if (failing) {
        const Result& r = set.results[*failing];
        e.kind = TableEntry::Kind::Deviates;
        e.evidence = failing;
        e.detail = fmt::format("{} {}: expected {}, observed {}{}", label(r), to_string(r.verdict), r.expected.str(),
                               r.observed.str(), also_predicted);
    } else if (waived) {
        const Result& r = set.results[*waived];
        e.kind = TableEntry::Kind::Waived;
        e.evidence = waived;
        e.detail = fmt::format("{}: {}{}", label(r), r.reason, also_predicted);
    } else if (first_tested) {
        e.kind = TableEntry::Kind::Documented;
        e.evidence = first_tested;
        e.detail = fmt::format("{} result{} as documented{}", e.tested, e.tested == 1 ? "" : "s", also_predicted);
    } else if (first_predicted) {
        const Result& r = set.results[*first_predicted];
        e.kind = TableEntry::Kind::Predicted;
        e.evidence = first_predicted;
        e.detail = fmt::format("not run here ({}); {} expects {}", r.reason.empty() ? r.observed.reason : r.reason,
                               label(r), r.expected.str());
    } else {
        e.kind = TableEntry::Kind::Unknown;
        e.detail = "no result for this family on this stack";
    }
    return e;
}

std::string md(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += ' ';
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else out.push_back(c);
    }
    return out;
}

/// A CSV field: quoted when it must be, and never read as a formula by a spreadsheet (a leading = + - @ tab or
/// carriage return gets a ' in front, as OWASP's CSV-injection advice says).
std::string csv(std::string text) {
    if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) text.insert(0, "'");
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out.push_back(c);
    }
    return out + '"';
}

/// The evidence as a link target relative to the table's folder (`../results/cell/results.jsonl#L12`).
std::string evidence_link(const TableEntry& e, const ResultSet& set, const fs::path& directory) {
    if (!e.evidence) return {};
    const Result& r = set.results[*e.evidence];
    if (r.source.file.empty()) return {};
    std::error_code ec;
    fs::path file = fs::weakly_canonical(r.source.file, ec);
    const fs::path base = fs::weakly_canonical(directory, ec);
    const fs::path relative = file.lexically_relative(base);
    return fmt::format("{}#L{}", relative.empty() ? file.string() : relative.string(), r.source.line);
}

std::string stack_words(const CompatTable::Row& row) {
    return fmt::format("driver {} \u00B7 CUDA {}{} \u00B7 cuDNN {} \u00B7 GPU {}", row.driver, row.toolkit_cuda,
                       row.stack_cuda == row.toolkit_cuda ? "" : " (runs " + row.stack_cuda + ")", row.cudnn,
                       row.compute_capability);
}

constexpr const char* kLegend =
    "\u2713 works as documented (tested here: every result did what its expectation says, ok or the expected "
    "error) \u00B7 \u2717 deviates (tested here: a result did not) \u00B7 \u2248 a deviation covered by a waiver "
    "with its bug link \u00B7 \u25C7 predicted (nothing ran here: what the expectations say, not evidence) \u00B7 "
    "? unknown (no result)";

}  // namespace

std::string_view symbol(TableEntry::Kind kind) {
    switch (kind) {
        case TableEntry::Kind::Documented:
            return "\u2713";
        case TableEntry::Kind::Deviates:
            return "\u2717";
        case TableEntry::Kind::Waived:
            return "\u2248";
        case TableEntry::Kind::Predicted:
            return "\u25C7";
        case TableEntry::Kind::Unknown:
            return "?";
    }
    return "?";
}

std::string_view to_string(TableEntry::Kind kind) {
    switch (kind) {
        case TableEntry::Kind::Documented:
            return "documented";
        case TableEntry::Kind::Deviates:
            return "deviates";
        case TableEntry::Kind::Waived:
            return "waived";
        case TableEntry::Kind::Predicted:
            return "predicted";
        case TableEntry::Kind::Unknown:
            return "unknown";
    }
    return "unknown";
}

CompatTable build_table(const ResultSet& set) {
    CompatTable table;
    std::set<std::string> families;
    for (const auto& r : set.results) families.insert(r.family);
    table.families.assign(families.begin(), families.end());
    using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
    auto key_of = [](const Cell& c) {
        return Key{c.driver.empty() ? "none" : c.driver, c.toolkit_cuda, c.stack_cuda,
                   c.stack_cudnn.empty() ? c.toolkit_cudnn : c.stack_cudnn, c.compute_capability()};
    };
    std::map<Key, std::map<std::string, std::vector<std::size_t>>> grouped;
    for (const auto& c : set.cells) grouped.try_emplace(key_of(c));
    for (std::size_t i = 0; i < set.results.size(); ++i) {
        grouped[key_of(set.cells[set.results[i].cell])][set.results[i].family].push_back(i);
    }
    for (const auto& [key, by_family] : grouped) {
        CompatTable::Row row{std::get<0>(key), std::get<1>(key), std::get<2>(key),
                             std::get<3>(key), std::get<4>(key), {}};
        for (const auto& family : table.families) {
            auto it = by_family.find(family);
            row.entries.push_back(classify(it == by_family.end() ? std::vector<std::size_t>{} : it->second, set));
        }
        table.rows.push_back(std::move(row));
    }
    return table;
}

nlohmann::json table_json(const CompatTable& table, const ResultSet& set, const fs::path& directory) {
    nlohmann::json stacks = nlohmann::json::array();
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        const auto& row = table.rows[i];
        stacks.push_back({{"id", fmt::format("stack-{}", i + 1)},
                          {"driver", row.driver},
                          {"cuda_toolkit", row.toolkit_cuda},
                          {"cuda_runtime", row.stack_cuda},
                          {"cudnn", row.cudnn},
                          {"compute_capability", row.compute_capability}});
    }
    nlohmann::json families = nlohmann::json::object();
    for (std::size_t f = 0; f < table.families.size(); ++f) {
        nlohmann::json support = nlohmann::json::object();
        // Along the cuDNN axis, with the other axes equal: consecutive tested versions with the same status form a
        // range (`"cudnn": {"from": "9.1.0", "to": "9.19.0"}`), as browser-compat-data's version_added/removed.
        std::map<std::tuple<std::string, std::string, std::string, std::string>,
                 std::vector<std::pair<Version, std::size_t>>>
            axes;
        for (std::size_t i = 0; i < table.rows.size(); ++i) {
            const auto& row = table.rows[i];
            const TableEntry& e = row.entries[f];
            nlohmann::json entry{
                {"status", to_string(e.kind)}, {"tested", e.tested}, {"predicted", e.predicted}, {"notes", e.detail}};
            if (const std::string link = evidence_link(e, set, directory); !link.empty()) entry["evidence"] = link;
            support[fmt::format("stack-{}", i + 1)] = entry;
            const auto cudnn = Version::parse(row.cudnn);
            if (cudnn && e.kind != TableEntry::Kind::Unknown && e.kind != TableEntry::Kind::Predicted) {
                axes[{row.driver, row.toolkit_cuda, row.stack_cuda, row.compute_capability}].emplace_back(*cudnn, i);
            }
        }
        nlohmann::json ranges = nlohmann::json::array();
        for (auto& [axis, versions] : axes) {
            std::sort(versions.begin(), versions.end());
            for (std::size_t k = 0; k < versions.size();) {
                const auto status = table.rows[versions[k].second].entries[f].kind;
                std::size_t end = k;
                while (end + 1 < versions.size() && table.rows[versions[end + 1].second].entries[f].kind == status) {
                    ++end;
                }
                ranges.push_back({{"driver", std::get<0>(axis)},
                                  {"cuda_toolkit", std::get<1>(axis)},
                                  {"cuda_runtime", std::get<2>(axis)},
                                  {"compute_capability", std::get<3>(axis)},
                                  {"cudnn", {{"from", versions[k].first.str()}, {"to", versions[end].first.str()}}},
                                  {"status", to_string(status)},
                                  {"stacks", end - k + 1}});
                k = end + 1;
            }
        }
        families[table.families[f]] = {{"__compat", {{"support", support}}}, {"cudnn_ranges", ranges}};
    }
    return {{"schema", "cuconform.table/1"},
            {"legend",
             {{"documented", "tested here: every result did what its expectation says"},
              {"deviates", "tested here: a result did not do what its expectation says"},
              {"waived", "tested here: a deviation covered by a scoped waiver with its bug link"},
              {"predicted", "nothing ran here: what the expectations say, not evidence"},
              {"unknown", "no result"}}},
            {"stacks", stacks},
            {"families", families}};
}

void write_table(const fs::path& directory, const ResultSet& set) {
    const CompatTable table = build_table(set);
    std::ostringstream md_out, csv_out;
    md_out << "# Compatibility table\n\n"
           << "Rows are stacks (driver, CUDA the suite was built with, CUDA it ran against, cuDNN, GPU compute "
              "capability); columns are families of scenarios (`cuconform list`). "
           << kLegend << ". Each symbol links to its evidence (the results file and line, relative to this table); "
           << "the notes below say what deviated and what was only predicted.\n\n";
    md_out << "| driver | CUDA toolkit | CUDA runtime | cuDNN | GPU (cc) |";
    for (const auto& f : table.families) md_out << ' ' << md(f) << " |";
    md_out << "\n| --- | --- | --- | --- | --- |";
    for (std::size_t i = 0; i < table.families.size(); ++i) md_out << " :-: |";
    md_out << '\n';
    csv_out << "driver,cuda_toolkit,cuda_runtime,cudnn,compute_capability";
    for (const auto& f : table.families)
        csv_out << ',' << csv(f) << ',' << csv(f + "_detail") << ',' << csv(f + "_evidence");
    csv_out << '\n';
    std::vector<std::string> notes;
    for (const auto& row : table.rows) {
        md_out << "| " << md(row.driver) << " | " << md(row.toolkit_cuda) << " | " << md(row.stack_cuda) << " | "
               << md(row.cudnn) << " | " << md(row.compute_capability) << " |";
        csv_out << csv(row.driver) << ',' << csv(row.toolkit_cuda) << ',' << csv(row.stack_cuda) << ','
                << csv(row.cudnn) << ',' << csv(row.compute_capability);
        for (std::size_t f = 0; f < row.entries.size(); ++f) {
            const TableEntry& e = row.entries[f];
            const std::string link = evidence_link(e, set, directory);
            std::string shown(symbol(e.kind));
            if (e.kind == TableEntry::Kind::Deviates || e.kind == TableEntry::Kind::Waived ||
                e.kind == TableEntry::Kind::Predicted) {
                notes.push_back(fmt::format("{} **{}** on {}: {}", symbol(e.kind), md(table.families[f]),
                                            md(stack_words(row)), md(e.detail)));
                shown += fmt::format(" {}", notes.size());
            }
            md_out << ' ' << (link.empty() ? md(shown) : fmt::format("[{}]({})", md(shown), link)) << " |";
            csv_out << ',' << csv(std::string(to_string(e.kind))) << ',' << csv(e.detail) << ',' << csv(link);
        }
        md_out << '\n';
        csv_out << '\n';
    }
    if (!notes.empty()) {
        md_out << "\n## Notes\n\n";
        for (std::size_t i = 0; i < notes.size(); ++i) md_out << i + 1 << ". " << notes[i] << '\n';
    }
    write_output(directory / "table.md", [&](std::ostream& out) { out << md_out.str(); });
    write_output(directory / "table.csv", [&](std::ostream& out) { out << csv_out.str(); });
    write_output(directory / "table.json",
                 [&](std::ostream& out) { out << table_json(table, set, directory).dump(2) << '\n'; });
}

}  // namespace cuconform::report
