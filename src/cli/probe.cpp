// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform probe`: print this stack's fingerprint, and a consumer's view of it.
#include <fmt/format.h>

#include <iostream>

#include "consumer/python.h"
#include "core/command.h"
#include "core/files.h"
#include "probe/fingerprint.h"

namespace cuconform::probe {
namespace {

struct Options {
    std::string out;
    bool no_gpus = false;
    std::string python, native;
    bool no_consumer = false;
    bool framework_check = false;
    double framework_timeout_s = 120;
};

CommandSetup setup = [](CLI::App& sub) -> std::function<int()> {
    auto opts = std::make_shared<Options>();
    sub.add_option("-o,--out", opts->out, "Write the fingerprint to this file instead of standard output");
    sub.add_flag("--no-gpus", opts->no_gpus, "Do not initialise CUDA to list GPUs");
    sub.add_option("--python", opts->python,
                   "Describe the stack as this Python environment's framework loads it (default: the activated venv "
                   "or conda env, VIRTUAL_ENV / CONDA_PREFIX)");
    sub.add_option(
        "--consumer", opts->native,
        "Describe the stack as this native library or executable loads it (e.g. torch/lib/libtorch_cuda.so)");
    sub.add_flag("--no-consumer", opts->no_consumer, "Ignore an activated venv or conda env: this program's view only");
    sub.add_flag("--framework-check", opts->framework_check,
                 "Also run each framework's own check in a child interpreter (imports the framework: seconds)");
    sub.add_option("--framework-timeout", opts->framework_timeout_s,
                   "Seconds before the framework's own check is killed")
        ->capture_default_str();
    return [opts] {
        ProbeOptions options;
        options.gpus = !opts->no_gpus;
        if (!opts->python.empty()) options.python = opts->python;
        if (!opts->native.empty()) options.native = opts->native;
        options.activated_consumer = !opts->no_consumer;
        options.framework_check = opts->framework_check;
        options.framework_timeout_s = opts->framework_timeout_s;
        std::string text;
        try {
            text = results::to_json(probe_fingerprint(options)).dump(2) + "\n";
        } catch (const consumer::ConsumerError& e) {
            fmt::print(stderr, "cuconform probe: {}\n", e.what());
            return kExitHarnessError;
        }
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
