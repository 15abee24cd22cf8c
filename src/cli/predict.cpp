// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform predict`: questions and expected case outcomes for a stack given on the command line or in a file.
#include "predict/predict.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "core/command.h"
#include "predict/framework.h"

namespace cuconform::predict {
namespace {

struct Options {
    std::string file;
    std::map<std::string, std::string> fields;  ///< Stack key -> value as given on the command line.
    std::vector<std::string> env;
    std::string framework;
    bool json = false;
};

CommandSetup setup = [](CLI::App& sub) -> std::function<int()> {
    auto opts = std::make_shared<Options>();
    struct Flag {
        const char* name;
        const char* key;
        const char* help;
    };
    static constexpr Flag kFlags[] = {
        {"--driver", "driver", "Linux driver version, e.g. 535.104.05"},
        {"--toolkit", "toolkit", "CUDA toolkit (nvcc) the application is compiled with, e.g. 12.4"},
        {"--runtime", "runtime", "CUDA runtime loaded at run time, e.g. 12.4"},
        {"--cudnn", "cudnn", "cuDNN loaded at run time, e.g. 9.1.0"},
        {"--cudnn-cuda", "cudnn_cuda", "The CUDA the cuDNN build is for, e.g. 12 (nvidia-cudnn-cu12)"},
        {"--built-cudnn", "built_cudnn", "cuDNN the application was built against, e.g. 9.3.0"},
        {"--gpu", "gpu", "GPU: architecture (sm_61), compute capability (8.6) or name (T4, A100)"},
    };
    for (const auto& f : kFlags) {
        sub.add_option_function<std::string>(
            f.name, [opts, key = std::string(f.key)](const std::string& v) { opts->fields[key] = v; }, f.help);
    }
    sub.add_option(
        "--file", opts->file,
        "Stack as JSON: {\"driver\": \"535.104.05\", \"runtime\": \"12.4\", \"gpu\": \"T4\", \"env\": {...}}; "
        "flags override it");
    sub.add_option("--env", opts->env, "NAME=VALUE set in the stack's environment (repeatable); NAME= for empty");
    sub.add_option("--framework", opts->framework,
                   "A framework release, e.g. torch==2.15.0 or jax==0.10.2: what it is built against and what `pip "
                   "install` of it resolves, and its own rules' answers (src/predict/framework.h)");
    sub.add_flag("--json", opts->json, "Print JSON (schema cuconform.predict/1)");
    return [opts] {
        const auto& kb = knowledge::KnowledgeBase::builtin();
        Stack stack;
        std::optional<FrameworkRequest> framework;
        try {
            if (!opts->framework.empty()) {
                framework = parse_framework(opts->framework, knowledge::Frameworks::builtin());
            }
            if (!opts->file.empty()) read_stack_file(stack, opts->file, kb);
            for (const auto& [key, value] : opts->fields) {
                std::string flag = "--" + key;
                std::replace(flag.begin(), flag.end(), '_', '-');
                set_field(stack, key, value, fmt::format("{} {}", flag, value), kb);
            }
            for (const auto& assignment : opts->env) {
                const auto eq = assignment.find('=');
                if (eq == std::string::npos || eq == 0) {
                    throw InputError(fmt::format("--env {}: write NAME=VALUE (NAME= for an empty value)", assignment));
                }
                stack.env[assignment.substr(0, eq)] = assignment.substr(eq + 1);
            }
            if (framework) apply_framework(stack, *framework);  // after the flags: it fills only what they leave open
            if (opts->file.empty() && opts->fields.empty() && !framework) {
                throw InputError(
                    "no stack given: pass at least one of --driver, --toolkit, --runtime, --cudnn, "
                    "--cudnn-cuda, --built-cudnn, --gpu, --framework, or --file stack.json");
            }
        } catch (const InputError& e) {
            fmt::print(stderr, "cuconform predict: {}\n", e.what());
            return static_cast<int>(kExitHarnessError);
        }
        Prediction prediction = predict(stack, kb);
        if (framework) add_framework(prediction, stack, *framework, knowledge::Frameworks::builtin());
        if (opts->json) {
            std::cout << to_json(prediction).dump(2) << '\n';
        } else {
            write_human(std::cout, prediction);
        }
        return exit_code(prediction);
    };
};

CUCONFORM_COMMAND("predict", "Answer compatibility questions and predict every case for a stack, without a GPU", 35,
                  setup);

}  // namespace
}  // namespace cuconform::predict
