// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform kb [--json] [DIR]`: validates a knowledge folder (or the compiled-in knowledge base) and summarises
/// it per file: entries, unsourced entries (the project's own must have none), sources by kind.
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/command.h"
#include "knowledge/knowledge.h"

namespace cuconform::knowledge {
namespace {

int run_kb(const std::string& dir_arg, bool json) {
    const auto override_dir = KnowledgeBase::override_dir();
    const std::string dir = !dir_arg.empty() ? dir_arg : override_dir ? override_dir->string() : std::string();
    try {
        const KnowledgeBase kb = dir.empty() ? KnowledgeBase::embedded() : KnowledgeBase::load(dir);
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
            nlohmann::json out = {{"dir", kb.origin()},     {"valid", true},      {"entries", entries},
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
            fmt::print("Result = VALID\n");
        }
        return kExitOk;
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
