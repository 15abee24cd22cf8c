// SPDX-License-Identifier: Apache-2.0
/// \file Container engines and the command lines that build a cell's image and run the catalogue in it.
#include "provision/container.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "core/process.h"
#include "provision/wheels.h"

namespace cuconform::provision {
namespace fs = std::filesystem;

std::string ContainerEngine::problem() const {
    if (!found) return fmt::format("no container engine here ({} not found on PATH)", fmt::join(tried, ", "));
    if (!works) return fmt::format("`{} info` fails ({})", name, error.empty() ? "no message" : error);
    return "";
}

std::string container_base_tag(const std::string& cuda, const std::string& cudnn) {
    // cuda.md section 6a: tags seen in use. From 12.4 the cuDNN 9 images carry a version-less `-cudnn-`.
    static const std::map<std::string, std::string> tags = {{"11.8", "11.8.0-cudnn8-devel-ubuntu22.04"},
                                                            {"12.0", "12.0.1-cudnn8-devel-ubuntu20.04"},
                                                            {"12.4", "12.4.1-cudnn-devel-ubuntu22.04"},
                                                            {"12.8", "12.8.1-cudnn-devel-ubuntu24.04"},
                                                            {"13.0", "13.0.1-cudnn-devel-ubuntu24.04"}};
    std::string key = cuda;
    if (std::count(key.begin(), key.end(), '.') >= 2) key = key.substr(0, key.rfind('.'));
    const auto it = tags.find(key);
    if (it == tags.end()) {
        std::string known;
        for (const auto& [k, v] : tags) known += (known.empty() ? "" : ", ") + k;
        throw StackError(
            fmt::format("no known nvidia/cuda cuDNN image tag for CUDA {} (known: {}); pass --base "
                        "nvidia/cuda:<tag> from gitlab.com/nvidia/container-images/cuda supported-tags",
                        cuda, known));
    }
    const bool cudnn8 = it->second.find("-cudnn8-") != std::string::npos;
    if (!cudnn.empty() && cudnn != "none" && cudnn.rfind(cudnn8 ? "8" : "9", 0) != 0) {
        throw StackError(
            fmt::format("the nvidia/cuda:{} image carries cuDNN {}, not {}; use `--provider wheels` (cuconform "
                        "stack fetch) for that combination",
                        it->second, cudnn8 ? "8" : "9", cudnn));
    }
    return "nvidia/cuda:" + it->second;
}

ContainerEngine find_engine(const std::string& choice) {
    ContainerEngine engine;
    engine.tried = choice.empty() ? std::vector<std::string>{"docker", "podman"} : std::vector<std::string>{choice};
    engine.name = engine.tried.front();
    for (const auto& name : engine.tried) {
        // `info` both finds the engine on PATH (ENOENT when it is not) and asks whether it answers.
        const auto info = process::run({name, "info"}, {.output = process::Output::Merge, .timeout_s = 60});
        if (info.exec_errno == ENOENT) continue;
        engine.name = name;
        engine.found = true;
        engine.works = info.ok();
        if (!engine.works) {
            std::istringstream lines(info.out);
            for (std::string line; std::getline(lines, line);) {
                if (!line.empty()) engine.error = line;
            }
        }
        break;
    }
    return engine;
}

ContainerCommands container_commands(const matrix::Cell& cell, const std::string& engine, const fs::path& source,
                                     const fs::path& out, const std::vector<std::string>& run_args,
                                     const std::string& base) {
    ContainerCommands c;
    // The known tag throws when NVIDIA has no such image.
    c.base = base.empty() ? container_base_tag(cell.toolkit, cell.toolkit_cudnn) : base;
    c.image = "cuconform:" + c.base.substr(c.base.find(':') + 1);
    // A host cell runs on the image's own CUDA and cuDNN; any other run stack comes from NVIDIA's wheels, fetched
    // into the image at build time (the Dockerfile's STACK) and entered with `run --stack`.
    std::string stack_prefix;
    // The image's own stack is its toolkit's; a cell asking for anything else (a host cell whose host stack is not
    // the toolkit, a wheels cell) gets that stack fetched into the image, so that what it records is what it ran on.
    if (cell.provider != "host" || cell.cuda != cell.toolkit || cell.cudnn != cell.toolkit_cudnn) {
        c.stack = fmt::format("cuda={} cudnn={}", cell.cuda, cell.cudnn);
        c.image += fmt::format("-stack-cuda{}-cudnn{}", cell.cuda, cell.cudnn);
        stack_prefix = fmt::format("/opt/cuconform-cache/stacks/cuda{}-cudnn{}", cell.cuda, cell.cudnn);
    }
    c.build = {engine, "build", "-f", (source / "containers" / "Dockerfile").string(), "--build-arg", "BASE=" + c.base};
    if (!c.stack.empty()) c.build.insert(c.build.end(), {"--build-arg", "STACK=" + c.stack});
    c.build.insert(c.build.end(), {"-t", c.image, source.string()});

    c.run = {engine, "run", "--rm"};
    if (engine == "docker") {
        // Files in the mounted results directory belong to the user who runs the matrix, not to the daemon's root
        // (rootless podman maps that user already).
        c.run.insert(c.run.end(), {"--user", fmt::format("{}:{}", getuid(), getgid())});
    }
    if (cell.needs_gpu()) {
        // docker: the NVIDIA Container Toolkit's --gpus; podman: the CDI device it generates (nvidia-ctk cdi generate).
        if (engine == "podman") {
            c.run.insert(c.run.end(), {"--device", "nvidia.com/gpu=all", "--security-opt=label=disable"});
        } else {
            c.run.insert(c.run.end(), {"--gpus", "all"});
        }
    }
    c.run.insert(c.run.end(), {"-v", out.string() + ":/results", c.image, "run", "--out", "/results"});
    if (!cell.id.empty()) c.run.insert(c.run.end(), {"--cell", cell.id, "--quiet"});
    c.run.insert(c.run.end(), run_args.begin(), run_args.end());
    if (!stack_prefix.empty()) c.run.insert(c.run.end(), {"--stack", stack_prefix});
    return c;
}

}  // namespace cuconform::provision
