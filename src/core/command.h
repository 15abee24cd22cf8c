// SPDX-License-Identifier: Apache-2.0
/// \file Registry of `cuconform` subcommands. Each part of the harness registers its own command
/// with CUCONFORM_COMMAND, so the CLI's main() needs no list of them.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/util.h"

namespace cuconform {

/// Exit codes of every command (DESIGN.md): 0 conforms/healthy, 1 does not, 2 the harness could not run.
enum ExitCode : int { kExitOk = 0, kExitNonConforming = 1, kExitHarnessError = 2 };

/// Adds the options of one subcommand to `sub` and returns what runs it once parsed.
using CommandSetup = std::function<std::function<int()>(CLI::App& sub)>;

struct Command {
    std::string name;
    std::string description;
    int order;  ///< Position in `cuconform --help`.
    CommandSetup setup;
};

std::vector<Command>& command_registry();

struct CommandRegistrar {
    CommandRegistrar(std::string name, std::string description, int order, CommandSetup setup);
};

}  // namespace cuconform

/// CUCONFORM_COMMAND("doctor", "Explain what is wrong with this stack", 10, setup_fn);
#define CUCONFORM_COMMAND(name, description, order, setup) \
    static const ::cuconform::CommandRegistrar CUCONFORM_CONCAT(cuconform_command_, __LINE__)(name, description, order, setup)
