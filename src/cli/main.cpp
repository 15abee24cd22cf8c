// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform`: the command-line entry point. Subcommands register themselves (core/command.h).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>

#include "core/command.h"
#include "core/util.h"

namespace {

using namespace cuconform;

/// The names of an app's subcommands, for suggestions.
std::vector<std::string> subcommand_names(CLI::App& app) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        if (!sub->get_group().empty()) names.push_back(sub->get_name());
    }
    return names;
}

/// The deepest subcommand the command line got to (`cuconform matrix` -> matrix).
CLI::App* deepest(CLI::App& app) {
    CLI::App* at = &app;
    while (!at->get_subcommands().empty()) at = at->get_subcommands().front();
    return at;
}

/// A word that is no command at `app`'s level: say so, with the nearest names, and exit 2.
int unknown_command(CLI::App& app, const std::string& path, const std::string& word) {
    const auto near = near_matches(word, subcommand_names(app));
    fmt::print(stderr, "cuconform: `{}` has no command '{}'{}; `{} --help` lists them\n", path, word,
               near.empty() ? "" : fmt::format(" (did you mean {}?)", fmt::join(near, " or ")), path);
    return kExitHarnessError;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"cuconform: conformance suite and test-matrix harness for the CUDA/cuDNN stack", "cuconform"};
    app.set_version_flag("--version", std::string(CUCONFORM_VERSION));
    app.require_subcommand(1);

    auto commands = command_registry();
    std::sort(commands.begin(), commands.end(), [](const Command& a, const Command& b) { return a.order < b.order; });
    std::vector<std::pair<CLI::App*, std::function<int()>>> runners;
    for (auto& command : commands) {
        CLI::App* sub = app.add_subcommand(command.name, command.description);
        if (command.description.empty()) sub->group("");  // internal (the runner's case processes)
        runners.emplace_back(sub, command.setup(*sub));
    }
    if (argc < 2) {
        // No command: what there is to run, rather than a parse error.
        std::cout << app.help();
        return kExitHarnessError;
    }
    if (argv[1][0] != '-') {
        const std::string word = argv[1];
        // Any registered command, internal ones (`__case`, `__consumer-confirm`) included; suggestions name only
        // the public ones.
        const bool known =
            std::any_of(commands.begin(), commands.end(), [&](const Command& c) { return c.name == word; });
        if (!known) {
            return unknown_command(app, "cuconform", word);
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        CLI::App* at = deepest(app);
        std::string path = "cuconform";
        for (CLI::App* step = &app; step != at;) {
            step = step->get_subcommands().front();
            path += " " + step->get_name();
        }
        if (at != &app && at->get_require_subcommand_min() > 0 && at->get_subcommands().empty()) {
            // `cuconform matrix` alone, or `cuconform matrix pln`.
            const auto extras = at->remaining();
            if (!extras.empty() && extras.front()[0] != '-') return unknown_command(*at, path, extras.front());
            fmt::print(stderr, "cuconform: `{}` needs a command:\n", path);
            std::cerr << at->help();
            return kExitHarnessError;
        }
        fmt::print(stderr, "cuconform: {}: {}\n`{} --help` lists the options\n", path, e.what(), path);
        return kExitHarnessError;
    }
    try {
        for (auto& [sub, run] : runners) {
            if (sub->parsed()) return run();
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cuconform: %s\n", e.what());
        return kExitHarnessError;
    }
    return kExitHarnessError;
}
