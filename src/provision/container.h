// SPDX-License-Identifier: Apache-2.0
/// \file The container provider's parts: the engine (docker or podman, podman with the project's settings), the
/// command lines of a cell (printed by `stack container-plan`, run by `matrix run --provider container`), and the cell
/// images, all built by scripts/containers from one recipe (containers/Dockerfile) on the local Debian base or on
/// NVIDIA's CUDA image.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/process.h"
#include "matrix/matrix.h"

namespace cuconform::provision {

/// A container engine on this machine: docker or podman, whether it is installed and whether it answers.
struct ContainerEngine {
    std::string name;                ///< The first of `tried` that answers, else the first installed, else the first.
    std::vector<std::string> tried;  ///< docker, podman (or the one asked for).
    bool found = false;
    bool works = false;  ///< `<name> info` succeeds (the daemon or the rootless setup answers).
    std::string error;   ///< What `<name> info` said when it failed: its error lines, else its last line.
    /// Engines tried first that are installed but did not answer, with their words ("`docker info` fails (...)"):
    /// with no engine asked for, the first that answers is taken, and these are said so the choice is no surprise.
    std::vector<std::string> passed_over;

    /// Why it cannot be used ("no container engine here (docker, podman not found on PATH)"); empty when it works.
    std::string problem() const;
    /// The environment every command of the engine runs with: podman gets CONTAINERS_CONF=podman_settings().
    process::EnvChanges env() const;
};
/// `choice`: "docker", "podman", or "" for the first of them that answers (`info`); where none answers, the first
/// installed, whose problem() then says why.
ContainerEngine find_engine(const std::string& choice);

/// Where containers/Dockerfile puts a cell's run stack in its image (with its stack.json), and sets
/// CUCONFORM_IMAGE_STACK=wheels:<name>: `cuconform run` in the image records that stack as the cell's.
inline constexpr const char* kImageStackPrefix = "/opt/cuconform/stack";

/// podman's settings: $CUCONFORM_CONTAINERS_CONF, else containers/podman/containers.conf of the source tree (the
/// file scripts/lib/containers.sh names too). The machine's own containers.conf files are neither read nor edited.
std::string podman_settings();

/// How a cell's container is entered, up to and including the image: ENGINE run --rm [--network none] [--user U:G]
/// [GPUs] -v OUT:/results IMAGE. What follows is the CLI's arguments (the image's entrypoint is cuconform).
std::vector<std::string> container_entry(const matrix::Cell& cell, const std::string& engine,
                                         const std::filesystem::path& out, const std::string& image,
                                         bool no_network = false);

/// `engine run` of a cell's catalogue in `image`: ENGINE run --rm [--user U:G] [GPUs] -v OUT:/results IMAGE run --out
/// /results [--cell ID --quiet] RUN-ARGS. `no_network`: --network none (the local base's images need none).
std::vector<std::string> container_run_command(const matrix::Cell& cell, const std::string& engine,
                                               const std::filesystem::path& out,
                                               const std::vector<std::string>& run_args, const std::string& image,
                                               bool no_network = false);

/// The nvidia/cuda tag for a CUDA version (cuda.md section 6a): 12.4 -> 12.4.1-cudnn-devel-ubuntu22.04.
/// Throws StackError for a version without a known cudnn tag, or (`cudnn` given) one whose cuDNN major differs.
std::string container_base_tag(const std::string& cuda, const std::string& cudnn);

/// What the base of a cell's image is: "local" (the project's Debian base, podman), "nvidia" or empty (NVIDIA's CUDA
/// image for the cell's toolkit, container_base_tag), or an image. Returns the image to build on, empty for the local
/// base. Throws StackError for a toolkit without a known NVIDIA tag.
std::string resolve_base(const matrix::Cell& cell, const std::string& base);

/// The toolkit and run stack of a cell as `stack fetch` words: "cuda=13.0 cudnn=9.19" (cudnn=none without cuDNN).
std::string toolkit_words(const matrix::Cell& cell);
std::string stack_words(const matrix::Cell& cell);

/// A cell's image and its command lines: built by scripts/containers image (containers/Dockerfile on `base`, the
/// catalogue compiled against the cell's toolkit, the cell's run stack from NVIDIA's wheels in the image, the base's
/// own removed), then the catalogue run in it.
struct ContainerCommands {
    std::string base;                ///< nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04; empty: the local base.
    std::string toolkit;             ///< "cuda=12.4 cudnn=9.19"
    std::string stack;               ///< "cuda=12.4 cudnn=9.19"
    std::vector<std::string> build;  ///< SOURCE/scripts/containers image --engine E --toolkit .. --stack .. [--base ..]
    /// ENGINE run --rm --network none [--user U:G] [GPUs] -v OUT:/results IMAGE run --out /results ..., IMAGE being
    /// the tag `scripts/containers image` prints first.
    std::vector<std::string> run;
};

/// `run_args` are further `cuconform run` options (--only, --variant, ...); `base` as for resolve_base. Throws
/// StackError when no NVIDIA CUDA image is known for the cell's toolkit.
ContainerCommands container_commands(const matrix::Cell& cell, const std::string& engine,
                                     const std::filesystem::path& source, const std::filesystem::path& out,
                                     const std::vector<std::string>& run_args, const std::string& base = {},
                                     const std::string& image = "IMAGE");

/// `scripts/containers check`: the engine starts a container here (podman with the project's settings; docker answers
/// `docker info`). Empty when it does; otherwise what the engine said and the fix (the script's words).
std::string engine_start_problem(const ContainerEngine& engine);

/// A cell's image built (or found, every layer cached) by `scripts/containers image` (scripts/lib/containers.sh).
struct CellImage {
    std::string tag;         ///< localhost/cuconform-cell:<stack>-tk<toolkit>-<base>
    std::string id;          ///< The engine's image id (sha256:...).
    std::string digest;      ///< The image's digest (sha256:...; "-" from docker, which has none for a local image).
    std::string base_stack;  ///< The CUDA and cuDNN the base carried (removed from the image), or "none".
    std::string toolkit;     ///< "cuda=13.0 cudnn=9.19"
    std::string stack;       ///< "cuda=13.0 cudnn=9.19"
    std::string base;        ///< Empty: the local base.
    /// repository@digest: exactly this image, whatever its tag names later (the id where there is no digest).
    std::string reference() const;
};
/// Builds (or finds) the image with `engine`; `cli` is the CLI that fetches the toolkit and the stack (this one).
/// Throws StackError with the script's words (the engine's, mmdebstrap's) and the fix.
CellImage build_cell_image(const ContainerEngine& engine, const std::string& cli, const std::string& toolkit,
                           const std::string& stack, const std::string& base = {});

}  // namespace cuconform::provision
