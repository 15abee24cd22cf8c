// SPDX-License-Identifier: Apache-2.0
/// \file The container provider's parts: the engine (docker or podman, podman with the project's settings), the one
/// builder of container command lines (used by `matrix run --provider container` and printed by `stack
/// container-plan`), and the cell images built here on the local Debian base by scripts/containers.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/process.h"
#include "matrix/matrix.h"

namespace cuconform::provision {

/// A container engine on this machine: docker or podman, whether it is installed and whether it answers.
struct ContainerEngine {
    std::string name;                ///< The first installed of `tried`, or the first of `tried` when none is.
    std::vector<std::string> tried;  ///< docker, podman (or the one asked for).
    bool found = false;
    bool works = false;  ///< `<name> info` succeeds (the daemon or the rootless setup answers).
    std::string error;   ///< What `<name> info` said when it failed: its error lines, else its last line.

    /// Why it cannot be used ("no container engine here (docker, podman not found on PATH)"); empty when it works.
    std::string problem() const;
    /// The environment every command of the engine runs with: podman gets CONTAINERS_CONF=podman_settings().
    process::EnvChanges env() const;
};
/// `choice`: "docker", "podman", or "" for the first of them that is installed.
ContainerEngine find_engine(const std::string& choice);

/// podman's settings: $CUCONFORM_CONTAINERS_CONF, else containers/podman/containers.conf of the source tree (the
/// file scripts/lib/containers.sh names too). The machine's own containers.conf files are neither read nor edited.
std::string podman_settings();

/// `engine run` of a cell's catalogue in `image`: ENGINE run --rm [--user U:G] [GPUs] -v OUT:/results IMAGE run --out
/// /results [--cell ID --quiet] RUN-ARGS. `no_network`: --network none (the local base's images need none).
std::vector<std::string> container_run_command(const matrix::Cell& cell, const std::string& engine,
                                               const std::filesystem::path& out,
                                               const std::vector<std::string>& run_args, const std::string& image,
                                               bool no_network = false);

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

/// Whether cells are built and run here by scripts/containers (podman with the local base, or podman with an image
/// named as base), rather than from container_commands' lines (NVIDIA's images, docker).
bool builds_here(const std::string& engine, const std::string& base);

/// `scripts/containers check`: podman starts a container here with the project's settings. Empty when it does;
/// otherwise what podman said and the fix (the script's words).
std::string engine_start_problem(const ContainerEngine& engine);

/// A cell's image built here by `scripts/containers image` (scripts/lib/containers.sh): the local Debian base (or
/// `base`), the catalogue built against a toolkit prefix of `stack fetch-toolkit`, the run stack of `stack fetch`.
struct LocalImage {
    std::string tag;     ///< localhost/cuconform-cell:<stack>-tk<toolkit>-<base>
    std::string id;      ///< The engine's image id (sha256:...).
    std::string digest;  ///< The image's digest (sha256:...).
    std::string toolkit;  ///< "cuda=13.0 cudnn=9.19"
    std::string stack;    ///< "cuda=13.0 cudnn=9.19"
    std::string base;     ///< Empty: the local base.
    /// repository@digest: exactly this image, whatever its tag names later.
    std::string reference() const;
};
/// Builds (or finds, every layer cached) the image; `cli` is the CLI that fetches the toolkit and the stack (this
/// one). Throws StackError with the script's words (podman's, mmdebstrap's) and the fix.
LocalImage build_local_image(const ContainerEngine& engine, const std::string& cli, const std::string& toolkit,
                             const std::string& stack, const std::string& base = {});

}  // namespace cuconform::provision
