// SPDX-License-Identifier: Apache-2.0
/// \file The compatibility table: stacks by families, each entry tested / predicted / unknown with its evidence.
#include <fmt/format.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "report/report.h"

namespace cuconform::report {
namespace fs = std::filesystem;
namespace {

std::string evidence_of(const Result& r, const ResultSet& set) {
    if (r.source.file.empty()) return fmt::format("{} (synthetic, no file)", set.cells[r.cell].id);
    std::error_code ec;
    const auto relative = fs::relative(r.source.file, fs::current_path(), ec);
    return fmt::format("{}:{}", ec || relative.empty() ? r.source.file : relative.string(), r.source.line);
}

/// Tested results were run here (observed something); predicted ones only carry what the expectation says.
bool tested(const Result& r) {
    return r.verdict != Verdict::Unsupported && r.observed.kind != Outcome::Kind::Unsupported;
}

std::string observed_name(const Outcome& o) {
    switch (o.kind) {
        case Outcome::Kind::Ok: return "ok";
        case Outcome::Kind::Error: return o.name;
        case Outcome::Kind::Crash: return fmt::format("CRASH(signal {})", o.signal);
        case Outcome::Kind::Timeout: return "TIMEOUT";
        case Outcome::Kind::Unsupported: return "unsupported";
    }
    return "?";
}

TableEntry classify(const std::vector<const Result*>& results, const ResultSet& set) {
    TableEntry e;
    std::vector<const Result*> run, predicted;
    for (const auto* r : results) (tested(*r) ? run : predicted).push_back(r);
    const std::string more_predicted =
        predicted.empty() || run.empty() ? "" : fmt::format("; {} more only predicted", predicted.size());
    if (!run.empty()) {
        const Result* first_bad = nullptr;  // the deciding record: a non-ok observation, failing verdicts first
        std::size_t unexpected_ok = 0;
        for (const auto* r : run) {
            if (r->observed.is_ok()) {
                unexpected_ok += r->verdict == Verdict::Pass ? 0 : 1;
                continue;
            }
            if (!first_bad || (is_failure(r->verdict) && !is_failure(first_bad->verdict))) first_bad = r;
        }
        const std::string count = fmt::format("{} result{}{}", run.size(), run.size() == 1 ? "" : "s", more_predicted);
        if (!first_bad) {
            e.kind = TableEntry::Kind::TestedOk;
            e.text = "tested ok";
            // Observed ok is what the stack did; say so when the expectation said otherwise.
            if (unexpected_ok) e.text += fmt::format(" ({} not as expected)", unexpected_ok);
            e.evidence = fmt::format("{} ({})", evidence_of(*run.front(), set), count);
        } else {
            e.kind = TableEntry::Kind::TestedError;
            e.text = "tested error " + observed_name(first_bad->observed);
            if (is_failure(first_bad->verdict)) e.text += fmt::format(" ({})", to_string(first_bad->verdict));
            e.evidence = fmt::format("{} ({})", evidence_of(*first_bad, set), count);
        }
    } else if (!predicted.empty()) {
        const Result* pick = predicted.front();
        for (const auto* r : predicted) {
            if (!r->expected.is_ok() && pick->expected.is_ok()) pick = r;
        }
        e.kind = TableEntry::Kind::Predicted;
        e.text = "predicted " + (pick->expected.is_error() ? "error " + pick->expected.name : pick->expected.str());
        e.evidence = fmt::format("{} (expected, not run: {})", evidence_of(*pick, set),
                                 pick->reason.empty() ? pick->observed.reason : pick->reason);
    } else {
        e.kind = TableEntry::Kind::Unknown;
        e.text = "unknown";
        e.evidence = "no result for this family on this stack";
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

std::string csv(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out.push_back(c);
    }
    return out + '"';
}

}  // namespace

CompatTable build_table(const ResultSet& set) {
    CompatTable table;
    std::set<std::string> families;
    for (const auto& r : set.results) families.insert(r.family);
    table.families.assign(families.begin(), families.end());
    using Key = std::tuple<std::string, std::string, std::string, std::string>;
    std::map<Key, std::map<std::string, std::vector<const Result*>>> grouped;
    for (const auto& c : set.cells) {
        grouped.try_emplace(Key{c.toolkit_cuda, c.stack_cuda, c.stack_cudnn.empty() ? c.toolkit_cudnn : c.stack_cudnn,
                                c.compute_capability()});
    }
    for (const auto& r : set.results) {
        const Cell& c = set.cells[r.cell];
        grouped[Key{c.toolkit_cuda, c.stack_cuda, c.stack_cudnn.empty() ? c.toolkit_cudnn : c.stack_cudnn,
                    c.compute_capability()}][r.family]
            .push_back(&r);
    }
    for (const auto& [key, by_family] : grouped) {
        CompatTable::Row row{std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key), {}};
        for (const auto& family : table.families) {
            auto it = by_family.find(family);
            row.entries.push_back(classify(it == by_family.end() ? std::vector<const Result*>{} : it->second, set));
        }
        table.rows.push_back(std::move(row));
    }
    return table;
}

void write_table(const fs::path& directory, const ResultSet& set) {
    const CompatTable table = build_table(set);
    std::ostringstream md_out, csv_out;
    md_out << "# Compatibility table\n\n"
           << "Rows are stacks (CUDA toolkit, CUDA the cell ran against, cuDNN, compute capability); columns are case "
              "families.\n\n"
           << "Legend — these kinds never mix:\n\n"
           << "- **tested ok**: the family ran on this stack and every case observed `ok` (a note counts results "
              "where the expectation said otherwise).\n"
           << "- **tested error NAME**: the family ran here and NAME was observed (a failing verdict is named in "
              "brackets; an expected error that was observed is not a failure).\n"
           << "- **predicted ...**: nothing ran here (UNSUPPORTED, e.g. no GPU); this is what the expectation says "
              "would happen — not evidence.\n"
           << "- **unknown**: no result at all.\n\n"
           << "Each entry cites its evidence: the results file and line of the deciding record.\n\n";
    md_out << "| CUDA toolkit | CUDA run | cuDNN | CC |";
    for (const auto& f : table.families) md_out << ' ' << md(f) << " |";
    md_out << "\n| --- | --- | --- | --- |";
    for (std::size_t i = 0; i < table.families.size(); ++i) md_out << " --- |";
    md_out << '\n';
    csv_out << "cuda_toolkit,cuda_run,cudnn,compute_capability";
    for (const auto& f : table.families) csv_out << ',' << csv(f) << ',' << csv(f + "_kind") << ',' << csv(f + "_evidence");
    csv_out << '\n';
    static constexpr const char* kKinds[] = {"tested", "tested", "predicted", "unknown"};
    for (const auto& row : table.rows) {
        md_out << "| " << md(row.toolkit_cuda) << " | " << md(row.stack_cuda) << " | " << md(row.cudnn) << " | "
               << md(row.compute_capability) << " |";
        csv_out << csv(row.toolkit_cuda) << ',' << csv(row.stack_cuda) << ',' << csv(row.cudnn) << ','
                << csv(row.compute_capability);
        for (const auto& e : row.entries) {
            const bool emphasise = e.kind == TableEntry::Kind::TestedOk || e.kind == TableEntry::Kind::TestedError;
            md_out << ' ' << (emphasise ? "**" : "_") << md(e.text) << (emphasise ? "**" : "_");
            if (e.kind != TableEntry::Kind::Unknown) md_out << "<br>" << md(e.evidence);
            md_out << " |";
            csv_out << ',' << csv(e.text) << ',' << kKinds[static_cast<int>(e.kind)] << ',' << csv(e.evidence);
        }
        md_out << '\n';
        csv_out << '\n';
    }
    write_output(directory / "table.md", [&](std::ostream& out) { out << md_out.str(); });
    write_output(directory / "table.csv", [&](std::ostream& out) { out << csv_out.str(); });
}

}  // namespace cuconform::report
