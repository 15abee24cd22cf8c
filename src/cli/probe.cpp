// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform probe`: print this stack's fingerprint.
#include <fmt/format.h>

#include <iostream>

#include "core/command.h"
#include "core/files.h"
#include "probe/fingerprint.h"

namespace cuconform::probe {
namespace {

struct Options {
    std::string out;
    bool no_gpus = false;
};

CommandSetup setup = [](CLI::App& sub) -> std::function<int()> {
    auto opts = std::make_shared<Options>();
    sub.add_option("-o,--out", opts->out, "Write the fingerprint to this file instead of standard output");
    sub.add_flag("--no-gpus", opts->no_gpus, "Do not initialise CUDA to list GPUs");
    return [opts] {
        ProbeOptions options;
        options.gpus = !opts->no_gpus;
        const std::string text = results::to_json(probe_fingerprint(options)).dump(2) + "\n";
        if (opts->out.empty()) {
            std::cout << text;
            return kExitOk;
        }
        try {
            write_file_atomically(opts->out, text);
        } catch (const FileError& e) {
            fmt::print(stderr, "cuconform probe: {}; check the directory exists and is writable\n", e.what());
            return kExitHarnessError;
        }
        return kExitOk;
    };
};

CUCONFORM_COMMAND("probe", "Measure this stack and print its fingerprint (JSON)", 20, setup);

}  // namespace
}  // namespace cuconform::probe
