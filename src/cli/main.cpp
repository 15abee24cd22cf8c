// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform`: the command-line entry point. Subcommands register themselves (core/command.h).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fmt/format.h>

#include "core/command.h"

int main(int argc, char** argv) {
    using namespace cuconform;
    CLI::App app{"cuconform: conformance suite and test-matrix harness for the CUDA/cuDNN stack", "cuconform"};
    app.set_version_flag("--version", std::string(CUCONFORM_VERSION));
    app.require_subcommand(1);

    auto commands = command_registry();
    std::sort(commands.begin(), commands.end(), [](const Command& a, const Command& b) { return a.order < b.order; });
    std::vector<std::pair<CLI::App*, std::function<int()>>> runners;
    for (auto& command : commands) {
        CLI::App* sub = app.add_subcommand(command.name, command.description);
        runners.emplace_back(sub, command.setup(*sub));
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitHarnessError;
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
