// SPDX-License-Identifier: Apache-2.0
/// \file The container provider's parts: the engine (docker or podman) and the one builder of container command
/// lines, used by `matrix run --provider container` and printed by `stack container-plan`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "matrix/matrix.h"

namespace cuconform::provision {

/// A container engine on this machine: docker or podman, whether it is installed and whether it answers.
struct ContainerEngine {
    std::string name;                ///< The first installed of `tried`, or the first of `tried` when none is.
    std::vector<std::string> tried;  ///< docker, podman (or the one asked for).
    bool found = false;
    bool works = false;  ///< `<name> info` succeeds (the daemon or the rootless setup answers).
    std::string error;   ///< The last line `<name> info` printed when it failed.

    /// Why it cannot be used ("no container engine here (docker, podman not found on PATH)"); empty when it works.
    std::string problem() const;
};
/// `choice`: "docker", "podman", or "" for the first of them that is installed.
ContainerEngine find_engine(const std::string& choice);

/// The nvidia/cuda tag for a CUDA version (cuda.md section 6a): 12.4 -> 12.4.1-cudnn-devel-ubuntu22.04.
/// Throws StackError for a version without a known cudnn tag.
std::string container_base_tag(const std::string& cuda, const std::string& cudnn);

/// A cell's image, built from containers/Dockerfile on NVIDIA's CUDA image with cuDNN for its toolkit (a wheel stack
/// fetched into it when the run stack is not the image's), and the command lines.
struct ContainerCommands {
    std::string base;   ///< nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04
    std::string image;  ///< cuconform:12.4.1-cudnn-devel-ubuntu22.04[-stack-cuda12.9-cudnn9.10]
    std::string stack;  ///< "cuda=12.9 cudnn=9.10" (the Dockerfile's STACK); empty: the image's own.
    std::vector<std::string>
        build;  ///< ENGINE build -f SOURCE/containers/Dockerfile --build-arg BASE=... -t IMAGE SOURCE
    std::vector<std::string> run;  ///< ENGINE run --rm [--user U:G] [GPUs] -v OUT:/results IMAGE run --out /results ...
};

/// `run_args` are further `cuconform run` options (--only, --variant, ...); `base` replaces the known tag when not
/// empty. Throws StackError when no NVIDIA CUDA image with cuDNN is known for the cell's toolkit and cuDNN headers.
ContainerCommands container_commands(const matrix::Cell& cell, const std::string& engine,
                                     const std::filesystem::path& source, const std::filesystem::path& out,
                                     const std::vector<std::string>& run_args, const std::string& base = {});

}  // namespace cuconform::provision
