// SPDX-License-Identifier: Apache-2.0
/// \file The container provider: one image per toolkit (and wheel stack) from containers/Dockerfile on NVIDIA's CUDA
/// image, and the docker/podman command lines that build it and run the catalogue inside.
#include <fmt/format.h>
#include <unistd.h>

#include "matrix/matrix.h"
#include "stack/isolate.h"

namespace cuconform::matrix {

ContainerCommands container_commands(const Cell& cell, const std::string& engine, const std::filesystem::path& source,
                                     const std::filesystem::path& out, const std::vector<std::string>& run_args) {
    ContainerCommands c;
    c.base = stack::container_base_tag(cell.toolkit, cell.toolkit_cudnn);  // throws when NVIDIA has no such image
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
    c.run.insert(c.run.end(), {"-v", out.string() + ":/results", c.image, "run", "--out", "/results", "--cell", cell.id,
                               "--quiet"});
    c.run.insert(c.run.end(), run_args.begin(), run_args.end());
    if (!stack_prefix.empty()) c.run.insert(c.run.end(), {"--stack", stack_prefix});
    return c;
}

}  // namespace cuconform::matrix
