// SPDX-License-Identifier: Apache-2.0
/// \file The subcommand registry.
#include "core/command.h"

namespace cuconform {

std::vector<Command>& command_registry() {
    static std::vector<Command> registry;
    return registry;
}

CommandRegistrar::CommandRegistrar(std::string name, std::string description, int order, CommandSetup setup) {
    command_registry().push_back({std::move(name), std::move(description), order, std::move(setup)});
}

}  // namespace cuconform
