// SPDX-License-Identifier: Apache-2.0
/// \file Fault injection without root: what the dynamic loader of a case process may see.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "catalog/case.h"

namespace cuconform::run {

/// Resolves a hide token of a variant to the sonames it stands for in the cuDNN/CUDA major the suite was built
/// with: `@cudnn` -> libcudnn.so.9, `@cudnn_adv` -> libcudnn_adv.so.9 (cuDNN 8: libcudnn_adv_infer.so.8 and
/// libcudnn_adv_train.so.8, its two halves), `@cudart` -> libcudart.so.13, `@cublas`, `@cublasLt`, `@cuda` ->
/// libcuda.so.1. Anything without '@' is taken as a soname.
std::vector<std::string> resolve_sonames(const std::string& token);

/// How a case process is started when its variant changes what the loader sees.
struct ExecPlan {
    std::vector<std::string> argv;  ///< ld.so --inhibit-cache --library-path ... <exe> __case ...
    std::string library_path;       ///< What the loader searches (the shadow directory, or nothing).
    std::string shadow_dir;         ///< Empty when none was made.
};

/// Builds the shadow directory for `variant` under `work_dir`: a symlink to every library file of the
/// directories the stack's libraries come from (from the fingerprint), except the hidden ones; the
/// cuDNN shim is copied so that its RUNPATH ($ORIGIN) points into the shadow too. Returns the reason
/// the variant cannot be applied here (e.g. the hidden library sits in a system directory the loader
/// always searches), or the plan.
struct IsolationResult {
    std::optional<ExecPlan> plan;
    std::string unsupported_reason;
};
IsolationResult plan_isolated_exec(const Variant& variant, const nlohmann::json& fingerprint,
                                   const std::string& work_dir, const std::vector<std::string>& case_args);

/// Names the cuconform executable in a process started through ld.so (where /proc/self/exe is ld.so itself).
inline constexpr const char* kSelfExe = "CUCONFORM_SELF_EXE";

/// The cuconform executable: $CUCONFORM_SELF_EXE when set (a run inside a stack), else /proc/self/exe.
std::string self_executable();

/// The dynamic loader this program was started with (PT_INTERP), e.g. /lib64/ld-linux-x86-64.so.2.
std::string program_interpreter();

}  // namespace cuconform::run
