// SPDX-License-Identifier: Apache-2.0
/// \file What the dynamic loader of a process may see, and the two ways of showing it only that: `ld.so
/// --inhibit-cache --library-path DIRS` (no ld.so.cache; the system directories stay visible) and bubblewrap, a
/// user-namespace sandbox that also masks files in the system directories. Case variants (variant.h) and run stacks
/// (stack.h) both build their views from these.
#pragma once

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cuconform::isolate {

/// A view that cannot be set up here; the message says why and what to do.
class IsolationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Names the cuconform executable in a process started through ld.so (where /proc/self/exe is ld.so itself).
inline constexpr const char* kSelfExe = "CUCONFORM_SELF_EXE";

/// The cuconform executable: $CUCONFORM_SELF_EXE when set (a process started through ld.so), else /proc/self/exe.
std::string self_executable();

/// The dynamic loader this program was started with (PT_INTERP), e.g. /lib64/ld-linux-x86-64.so.2.
std::string program_interpreter();

/// Directories the dynamic loader searches even with --inhibit-cache and an explicit --library-path.
const std::vector<std::string>& system_dirs();

/// File names of the CUDA user-space libraries a stack provides (cudart, cuDNN, cuBLAS, nvrtc, nvJitLink).
bool is_cuda_user_library(const std::string& file_name);

/// The host directories holding CUDA user-space libraries: the system directories, LD_LIBRARY_PATH, the
/// directories of ld.so.cache entries and /usr/local/cuda*.
std::vector<std::string> host_cuda_library_dirs();

/// True when `bwrap` is installed and may start a sandbox here (unprivileged user namespaces may be switched off).
/// Asked once per process.
bool bwrap_works();

/// bubblewrap's arguments up to (not including) the program: the whole file system, each of `dirs` replaced by a
/// tmpfs holding links and binds of its entries except those `drop` selects, `env` set inside.
std::vector<std::string> bwrap_argv(const std::vector<std::string>& dirs,
                                    const std::function<bool(const std::filesystem::path&)>& drop,
                                    const std::vector<std::pair<std::string, std::string>>& env);

std::string canonical_or_self(const std::string& path);

}  // namespace cuconform::isolate
