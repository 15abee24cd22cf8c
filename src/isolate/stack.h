// SPDX-License-Identifier: Apache-2.0
/// \file Running inside a stack prefix: the loader takes CUDA/cuDNN/cuBLAS from PREFIX/lib and nothing else.
///
/// `loader`: re-exec through `<PT_INTERP> --inhibit-cache --library-path PREFIX/lib <cuconform> ...`, so the ld.so
/// cache (where the host's CUDA libraries are registered) is never read. Libraries in the system directories the
/// loader always searches stay visible; `bwrap` also hides those: a user-namespace sandbox where every host
/// directory holding CUDA user-space libraries is replaced by a copy without them.
#pragma once

#include <string>
#include <vector>

#include "isolate/view.h"

namespace cuconform::isolate {

/// Set in the environment of a process already running inside a stack: the canonical prefix.
inline constexpr const char* kStackMarker = "CUCONFORM_STACK";
/// Set beside kStackMarker: the isolation the stack was entered with (loader or bwrap).
inline constexpr const char* kIsolationMarker = "CUCONFORM_STACK_ISOLATION";

/// True when this process already runs inside `prefix` (the marker names it).
bool inside_stack(const std::string& prefix);

/// Re-executes this command inside `prefix` (`isolation`: "loader" or "bwrap", see resolve_isolation); returns only
/// when the process already runs inside it. Throws IsolationError when the prefix has no lib/ or the isolation
/// cannot start.
void enter_stack(const std::string& prefix, const std::string& isolation);

/// The argv that enter_stack would exec (for tests and `--dry-run`): `args` are the command's own arguments.
std::vector<std::string> stack_exec_argv(const std::string& prefix, const std::string& isolation,
                                         const std::string& exe, const std::vector<std::string>& args);

/// The isolation a stack is entered with: `requested` unless it is "auto"; "auto" is bubblewrap when `bwrap` can
/// start a sandbox here (it needs user namespaces), else the loader (`ld.so --inhibit-cache`). Inside a stack it is
/// what the stack was entered with.
std::string resolve_isolation(const std::string& requested);

}  // namespace cuconform::isolate
