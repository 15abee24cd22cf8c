// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform kb [--json] [DIR]`: validates a knowledge folder (or the compiled-in knowledge base) and summarises
/// it per file: entries, unsourced entries, sources by kind. Exit 0 valid and clean, 1 valid with unsourced entries
/// (the project's own must have none), 2 a file broken, missing or not a file.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/command.h"
#include "knowledge/knowledge.h"

namespace cuconform::knowledge {
namespace {

/// "toolkits.yaml:216, cudnn.yaml:40" for the unsourced entries (at most `limit`, then "and N more").
std::string unsourced_places(const KnowledgeBase& kb, std::size_t limit = 10) {
    std::vector<std::string> places;
    std::size_t more = 0;
    for (const auto& e : kb.entries()) {
        if (e.citation.sourced()) continue;
        if (places.size() < limit) {
            places.push_back(e.citation.where());
        } else {
            ++more;
        }
    }
    std::string out;
    for (const auto& p : places) out += (out.empty() ? "" : ", ") + p;
    if (more) out += fmt::format(" and {} more", more);
    return out;
}

int run_kb(const std::string& dir_arg, bool json) {
    const auto override_dir = KnowledgeBase::override_dir();
    const std::string dir = !dir_arg.empty() ? dir_arg : override_dir ? override_dir->string() : std::string();
    try {
        const KnowledgeBase kb = dir.empty() ? KnowledgeBase::embedded() : KnowledgeBase::load(dir);
        // A folder without one of the files is no smaller knowledge base but a broken one: the questions about
        // that file would all answer "unknown" (#13 defect 10).
        if (const auto missing = kb.missing_files(); !missing.empty()) {
            const std::string name = missing.front();
            const std::string path = dir.empty() ? fmt::format("matrix/knowledge/{} (built in)", name)
                                                 : (std::filesystem::path(dir) / name).string();
            std::string all;
            for (const auto& m : missing) all += (all.empty() ? "" : ", ") + m;
            throw KnowledgeError(path, 0,
                                 fmt::format(
                                     "missing: a knowledge base holds {}, and this one lacks {}; restore it "
                                     "(git checkout matrix/knowledge) or point at a complete folder",
                                     [] {
                                         std::string names;
                                         for (const auto& n : KnowledgeBase::file_names())
                                             names += (names.empty() ? "" : ", ") + n;
                                         return names;
                                     }(),
                                     all));
        }
        std::size_t entries = 0;
        std::size_t unsourced = 0;
        std::size_t sources = 0;
        std::map<std::string, std::size_t> by_kind;  ///< Facts per kind of source they cite (a fact may count twice).
        for (const auto& e : kb.entries()) {
            std::set<std::string> kinds;
            for (const auto& s : e.citation.sources) kinds.insert(s.kind);
            for (const auto& k : kinds) ++by_kind[k];
        }
        for (const auto& f : kb.files()) {
            entries += f.entries;
            unsourced += f.unsourced;
            sources += f.sources;
        }
        if (json) {
            nlohmann::json out = {
                {"dir", kb.origin()},     {"valid", true},      {"clean", unsourced == 0},         {"entries", entries},
                {"unsourced", unsourced}, {"sources", sources}, {"files", nlohmann::json::array()}};
            out["by_source_kind"] = by_kind;
            for (const auto& f : kb.files()) {
                out["files"].push_back(
                    {{"file", f.file}, {"entries", f.entries}, {"unsourced", f.unsourced}, {"sources", f.sources}});
            }
            std::puts(out.dump(2).c_str());
        } else {
            fmt::print("knowledge base {}\n", kb.origin());
            for (const auto& f : kb.files()) {
                fmt::print("  {:<14} {:>4} entries ({} unsourced), {:>3} sources\n", f.file, f.entries, f.unsourced,
                           f.sources);
            }
            fmt::print("  {:<14} {:>4} entries ({} unsourced), {:>3} sources\n", "total", entries, unsourced, sources);
            std::string kinds;
            for (const auto& [kind, n] : by_kind) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, kind);
            fmt::print("  facts by source kind: {}\n", kinds);
            // Valid but not clean: a fact without its primary source is none the project may rest an answer on.
            fmt::print("Result = {}\n", unsourced == 0 ? "VALID" : "UNSOURCED");
        }
        if (unsourced == 0) return kExitOk;
        std::string per_file;
        for (const auto& f : kb.files()) {
            if (f.unsourced)
                per_file += fmt::format("{}{} ({} unsourced)", per_file.empty() ? "" : ", ", f.file, f.unsourced);
        }
        std::fprintf(stderr,
                     "cuconform kb: %s holds %zu unsourced entr%s: %s, at %s; give each its source and quote "
                     "(matrix/knowledge/README.md, schema 2) or take it out\n",
                     kb.origin().c_str(), unsourced, unsourced == 1 ? "y" : "ies", per_file.c_str(),
                     unsourced_places(kb).c_str());
        return kExitNonConforming;
    } catch (const KnowledgeError& e) {
        if (json) {
            const nlohmann::json out = {{"dir", dir.empty() ? std::string("built in") : dir},
                                        {"valid", false},
                                        {"error", e.what()},
                                        {"file", e.file()},
                                        {"line", e.line()}};
            std::puts(out.dump(2).c_str());
        }
        std::fprintf(stderr, "cuconform kb: %s\n", e.what());
        if (!json) fmt::print("Result = INVALID\n");
        return kExitHarnessError;
    }
}

std::function<int()> setup_kb(CLI::App& sub) {
    auto dir = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    sub.add_option("dir", *dir,
                   "Knowledge directory to validate (default: $CUCONFORM_KNOWLEDGE_DIR, else the knowledge base "
                   "compiled into this binary)");
    sub.add_flag("--json", *json, "Print the summary (or the error) as JSON");
    return [dir, json] { return run_kb(*dir, *json); };
}

CUCONFORM_COMMAND("kb", "Validate the knowledge base (matrix/knowledge) and summarise it", 80, setup_kb);

}  // namespace
}  // namespace cuconform::knowledge
