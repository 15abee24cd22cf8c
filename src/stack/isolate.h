// SPDX-License-Identifier: Apache-2.0
/// \file Running inside a stack prefix: the loader takes CUDA/cuDNN/cuBLAS from PREFIX/lib and nothing else.
///
/// `loader` (default): re-exec through `<PT_INTERP> --inhibit-cache --library-path PREFIX/lib <cuconform> ...`,
/// so the ld.so cache (where the host's CUDA libraries are registered) is never read. Libraries in the system
/// directories the loader always searches stay visible; `bwrap` also hides those: a user-namespace sandbox
/// where every host directory holding CUDA user-space libraries is replaced by a copy without them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cuconform::stack {

/// Set in the environment of a process already running inside a stack: the canonical prefix.
inline constexpr const char* kStackMarker = "CUCONFORM_STACK";
/// Set beside kStackMarker: the isolation the stack was entered with (loader or bwrap).
inline constexpr const char* kIsolationMarker = "CUCONFORM_STACK_ISOLATION";

/// True when this process already runs inside `prefix` (the marker names it).
bool inside_stack(const std::string& prefix);

/// Re-executes this command inside `prefix` (`isolation`: "loader" or "bwrap", see resolve_isolation); returns only when the process
/// already runs inside it. Throws StackError when the prefix has no lib/ or the isolation cannot start.
void enter_stack(const std::string& prefix, const std::string& isolation);

/// The argv that enter_stack would exec (for tests and `--dry-run`): `args` are the command's own arguments.
std::vector<std::string> stack_exec_argv(const std::string& prefix, const std::string& isolation,
                                         const std::string& exe, const std::vector<std::string>& args);

/// The host directories holding CUDA user-space libraries (cudart, cuDNN, cuBLAS, nvrtc, nvJitLink) that a
/// bwrap sandbox replaces, with the files it keeps in each.
std::vector<std::string> host_cuda_library_dirs();

/// What cell.json records about a stack: provider (wheels | prefix), prefix, isolation, versions, wheels.
nlohmann::json stack_record(const std::string& prefix, const std::string& isolation);

/// The default cell id of a run inside a stack: wheels-cuda12.4-cudnn9.1.1 (plus -sm90 with a GPU).
std::string stack_cell_id(const nlohmann::json& record, const nlohmann::json& fingerprint);

/// A container engine on this machine: docker or podman, whether it is installed and whether it answers.
struct ContainerEngine {
    std::string name;                ///< The first installed of `tried`, or the first of `tried` when none is.
    std::vector<std::string> tried;  ///< docker, podman (or the one asked for).
    bool found = false;
    bool works = false;  ///< `<name> info` succeeds (the daemon or the rootless setup answers).
    std::string error;   ///< The last line `<name> info` printed when it failed.
};
/// `choice`: "docker", "podman", or "" for the first of them that is installed.
ContainerEngine find_engine(const std::string& choice);

/// The isolation a stack is entered with: `requested` unless it is "auto"; "auto" is bubblewrap when `bwrap` can
/// start a sandbox here (it needs user namespaces), else the loader (`ld.so --inhibit-cache`). Inside a stack it is
/// what the stack was entered with.
std::string resolve_isolation(const std::string& requested);

/// `cuconform stack container-plan`: the image tag, build and run commands for a cell in a container.
struct ContainerPlan {
    ContainerEngine engine;    ///< docker or podman (the first that is installed), or "docker" when none is.
    std::string base;          ///< nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04
    std::string image;         ///< cuconform:cuda12.4-cudnn
    std::string build;         ///< The build command.
    std::string run;           ///< The run command.
    std::vector<std::string> notes;
};
ContainerPlan container_plan(const std::string& cuda, const std::string& cudnn, const std::string& engine_choice,
                             const std::string& out_dir);

/// The nvidia/cuda tag for a CUDA version (cuda.md section 6a): 12.4 -> 12.4.1-cudnn-devel-ubuntu22.04.
/// Throws StackError for a version without a known cudnn tag.
std::string container_base_tag(const std::string& cuda, const std::string& cudnn);

}  // namespace cuconform::stack
