// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform stack fetch | fetch-toolkit | list | container-plan`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "core/command.h"
#include "provision/container.h"
#include "provision/wheels.h"

namespace cuconform::provision {
namespace {
using nlohmann::json;

std::string human_size(std::uintmax_t bytes) {
    if (bytes >= 1000ULL * 1000 * 1000) return fmt::format("{:.2f} GB", static_cast<double>(bytes) / 1e9);
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

struct StackOptions {
    std::vector<std::string> words;
    std::string cache;
    bool print_prefix = false;
    bool json = false;
    std::vector<std::string> pip_args;
    std::string engine, out = "results", base;
};

CommandSetup stack_setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<StackOptions>();
    sub.require_subcommand(1);
    CLI::App* fetch = sub.add_subcommand("fetch", "Download NVIDIA's wheels for a stack and assemble its prefix");
    fetch->add_option("components", o->words, "cuda=12.4 cudnn=9.1 (cudnn=9.13.0.50 exact; cudnn=none; cublas=...)")
        ->required();
    fetch->add_option("--cache", o->cache,
                      "Cache directory (default $CUCONFORM_CACHE, $XDG_CACHE_HOME/cuconform, "
                      "~/.cache/cuconform)");
    fetch->add_flag("--print-prefix", o->print_prefix, "Print only the prefix on stdout (for --stack \"$(...)\")");
    fetch->add_option("--pip-arg", o->pip_args, "Extra pip argument, repeatable (--pip-arg=--index-url=URL)")
        ->allow_extra_args(false);

    CLI::App* toolkit = sub.add_subcommand("fetch-toolkit",
                                           "Download NVIDIA's wheels for a toolkit (headers, nvcc where "
                                           "PyPI has it) to build the catalogue with");
    toolkit->add_option("components", o->words, "cuda=12.9 cudnn=9.19 (as for fetch)")->required();
    toolkit->add_option("--cache", o->cache, "Cache directory");
    toolkit->add_flag("--print-prefix", o->print_prefix, "Print only the prefix on stdout");
    toolkit->add_option("--pip-arg", o->pip_args, "Extra pip argument, repeatable")->allow_extra_args(false);

    CLI::App* list = sub.add_subcommand("list", "The cached stacks, their versions and sizes");
    list->add_option("--cache", o->cache, "Cache directory");
    list->add_flag("--json", o->json, "Machine-readable list");

    CLI::App* plan = sub.add_subcommand("container-plan",
                                        "Print the commands that build a cell's image on NVIDIA's CUDA image "
                                        "(scripts/containers image, containers/Dockerfile) and run it with "
                                        "docker/podman");
    plan->add_option("components", o->words, "cuda=12.4 cudnn=9")->required();
    plan->add_option("--engine", o->engine, "docker or podman (default: the first installed)");
    plan->add_option("--base", o->base, "The base image instead of the known nvidia/cuda tag");
    plan->add_option("--out", o->out, "Results directory on the host")->capture_default_str();

    return [o, fetch, toolkit, list, plan]() -> int {
        try {
            if (toolkit->parsed()) {
                const auto result = fetch_toolkit(StackRequest::parse(o->words), {o->cache, o->pip_args, false});
                if (o->print_prefix) {
                    fmt::print("{}\n", result.prefix);
                    return kExitOk;
                }
                fmt::print("toolkit {} (CUDA {}; {} downloaded, {} reused from the cache)\n", result.prefix,
                           result.stack.value("cuda", ""), result.downloaded, result.reused);
                for (const auto& w : result.stack["wheels"]) {
                    fmt::print("  {:<26} {:<12} {}  sha256 {}\n", w.value("package", ""), w.value("version", ""),
                               human_size(w.value("size", std::uintmax_t{0})), w.value("sha256", "").substr(0, 16));
                }
                std::string missing;
                for (const auto& m : result.stack.value("missing", json::array())) {
                    missing += (missing.empty() ? "" : ", ") + m.get<std::string>();
                }
                if (!missing.empty()) fmt::print("  missing: {}\n", missing);
                if (result.stack.contains("note")) {
                    fmt::print(
                        "  note: {}; scripts/build-toolkit compiles against these headers and takes the "
                        "kernels' nvcc from the host (--nvcc)\n",
                        result.stack.value("note", ""));
                }
                fmt::print("build with it: scripts/build-toolkit {}\n", result.prefix);
                return kExitOk;
            }
            if (fetch->parsed()) {
                FetchOptions options{o->cache, o->pip_args, false};
                const auto request = StackRequest::parse(o->words);
                const auto result = fetch_stack(request, options);
                if (o->print_prefix) {
                    fmt::print("{}\n", result.prefix);
                } else {
                    fmt::print("stack {} ({} downloaded, {} reused from the cache)\n", result.prefix, result.downloaded,
                               result.reused);
                    for (const auto& w : result.stack["wheels"]) {
                        fmt::print("  {:<26} {:<12} {}  sha256 {}\n", w.value("package", ""), w.value("version", ""),
                                   human_size(w.value("size", std::uintmax_t{0})), w.value("sha256", "").substr(0, 16));
                    }
                    fmt::print("  lib/: {} libraries\nrun it: cuconform run --stack {}\n",
                               result.stack.value("libraries", json::array()).size(), result.prefix);
                }
                return kExitOk;
            }
            if (list->parsed()) {
                const std::string cache = o->cache.empty() ? cache_root() : o->cache;
                const json stacks = list_stacks(cache);
                if (o->json) {
                    std::cout << stacks.dump(2) << "\n";
                    return kExitOk;
                }
                if (stacks.empty()) {
                    fmt::print("no stacks in {}; make one with `cuconform stack fetch cuda=12.4 cudnn=9.1`\n", cache);
                    return kExitOk;
                }
                std::uintmax_t total = 0;
                for (const auto& s : stacks) {
                    const json v = s.value("versions", json::object());
                    fmt::print("{:<28} cudart {:<10} cudnn {:<12} cublas {:<12} {:>9} unpacked, {:>9} wheels  {}\n",
                               s.value("name", ""), v.value("cuda_runtime", "-"), v.value("cudnn", "-"),
                               v.value("cublas", "-"), human_size(s.value("size_bytes", std::uintmax_t{0})),
                               human_size(s.value("wheel_bytes", std::uintmax_t{0})), s.value("fetched_at", ""));
                    total += s.value("size_bytes", std::uintmax_t{0});
                }
                fmt::print("{} stack{} in {}; prefixes {}, wheel cache {}\n", stacks.size(),
                           stacks.size() == 1 ? "" : "s", cache, human_size(total),
                           human_size(tree_size(cache + "/wheels")));
                return kExitOk;
            }
            // container-plan
            std::string cuda, cudnn;
            for (const auto& w : o->words) {
                if (w.rfind("cuda=", 0) == 0) cuda = w.substr(5);
                if (w.rfind("cudnn=", 0) == 0) cudnn = w.substr(6);
            }
            if (cuda.empty()) throw StackError("container-plan needs cuda=<version>, e.g. cuda=12.4 cudnn=9");
            matrix::Cell cell;
            cell.toolkit = cell.cuda = cuda;
            cell.toolkit_cudnn = cell.cudnn = cudnn;
            cell.provider = "host";
            cell.runner = "gpu";
            const auto engine = provision::find_engine(o->engine);
            for (const auto& skipped : engine.passed_over) {
                fmt::print(stderr, "cuconform stack: {}; using {} instead (--engine chooses)\n", skipped, engine.name);
            }
            const auto c = provision::container_commands(cell, engine.name, ".", o->out, {}, o->base, "\"$IMAGE\"");
            // Words with spaces quoted for the shell ("cuda=12.4 cudnn=9"); "$IMAGE" as it is.
            auto line = [](const std::vector<std::string>& argv) {
                std::string text;
                for (const auto& a : argv) {
                    const bool plain = a.find_first_of(" '") == std::string::npos || a.front() == '"';
                    text += (text.empty() ? "" : " ") + (plain ? a : "'" + a + "'");
                }
                return text;
            };
            fmt::print(
                "# cell: toolkit {} and stack {} on {} (containers/Dockerfile): the catalogue compiled in the image, "
                "the stack from NVIDIA's wheels, the base's own CUDA runtime, cuBLAS and cuDNN removed\n",
                c.toolkit, c.stack, c.base.empty() ? "the local base" : c.base);
            fmt::print("IMAGE=$({} | cut -d' ' -f1)\n{}\n", line(c.build), line(c.run));
            if (!engine.works) {
                fmt::print(
                    "# note: {}: these commands are for a GPU runner with docker or podman and the NVIDIA "
                    "Container Toolkit\n",
                    engine.problem());
            }
            fmt::print(
                "# note: the host needs only the NVIDIA driver; the image brings the cell's CUDA runtime, cuBLAS "
                "and cuDNN (cuda.md section 6b)\n");
            if (engine.name == "podman") {
                fmt::print(
                    "# note: CDI: run `sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml` once on the "
                    "host\n");
            }
            return engine.works ? kExitOk : kExitNonConforming;
        } catch (const StackError& e) {
            fmt::print(stderr, "cuconform stack: {}\n", e.what());
            return kExitHarnessError;
        }
    };
};

CUCONFORM_COMMAND("stack", "Stacks from NVIDIA's wheels: fetch, list, container-plan", 40, stack_setup);

}  // namespace
}  // namespace cuconform::provision
