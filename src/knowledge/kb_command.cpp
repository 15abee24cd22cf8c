// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform kb [--json] [DIR]`: validates the knowledge base and summarises it per file.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/command.h"
#include "knowledge/knowledge.h"

namespace cuconform::knowledge {
namespace {

int run_kb(const std::string& dir_arg, bool json) {
    const std::filesystem::path dir = dir_arg.empty() ? KnowledgeBase::builtin_dir() : std::filesystem::path(dir_arg);
    try {
        const KnowledgeBase kb = KnowledgeBase::load(dir);
        std::size_t entries = 0;
        std::size_t unsourced = 0;
        std::size_t sources = 0;
        for (const auto& f : kb.files()) {
            entries += f.entries;
            unsourced += f.unsourced;
            sources += f.sources;
        }
        if (json) {
            nlohmann::json out = {{"dir", dir.string()},    {"valid", true},      {"entries", entries},
                                  {"unsourced", unsourced}, {"sources", sources}, {"files", nlohmann::json::array()}};
            for (const auto& f : kb.files()) {
                out["files"].push_back(
                    {{"file", f.file}, {"entries", f.entries}, {"unsourced", f.unsourced}, {"sources", f.sources}});
            }
            std::puts(out.dump(2).c_str());
        } else {
            fmt::print("knowledge base {}\n", dir.string());
            for (const auto& f : kb.files()) {
                fmt::print("  {:<14} {:>4} entries ({} unsourced), {:>3} sources\n", f.file, f.entries, f.unsourced,
                           f.sources);
            }
            fmt::print("  {:<14} {:>4} entries ({} unsourced), {:>3} sources\n", "total", entries, unsourced, sources);
            fmt::print("Result = VALID\n");
        }
        return kExitOk;
    } catch (const KnowledgeError& e) {
        if (json) {
            const nlohmann::json out = {
                {"dir", dir.string()}, {"valid", false}, {"error", e.what()}, {"file", e.file()}, {"line", e.line()}};
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
                   "Knowledge directory to validate (default: $CUCONFORM_KNOWLEDGE_DIR, else matrix/knowledge)");
    sub.add_flag("--json", *json, "Print the summary (or the error) as JSON");
    return [dir, json] { return run_kb(*dir, *json); };
}

CUCONFORM_COMMAND("kb", "Validate the knowledge base (matrix/knowledge) and summarise it", 80, setup_kb);

}  // namespace
}  // namespace cuconform::knowledge
