// SPDX-License-Identifier: Apache-2.0
/// \file Fault injection without root: what the dynamic loader of a case process may see under a variant.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/case.h"
#include "results/fingerprint.h"

namespace cuconform::isolate {

/// Resolves a hide token of a variant to the sonames it stands for in the cuDNN/CUDA major the suite was built
/// with: `@cudnn` -> libcudnn.so.9, `@cudnn_adv` -> libcudnn_adv.so.9 (cuDNN 8: libcudnn_adv_infer.so.8 and
/// libcudnn_adv_train.so.8, its two halves), `@cudart` -> libcudart.so.13, `@cublas`, `@cublasLt`, `@cuda` ->
/// libcuda.so.1. Anything without '@' is taken as a soname.
std::vector<std::string> resolve_sonames(const std::string& token);

/// How a case process is started when its variant changes what the loader sees.
struct ExecPlan {
    std::vector<std::string> argv;  ///< [bwrap ... --] ld.so --inhibit-cache --library-path ... <exe> __case ...
    std::string library_path;       ///< What the loader searches (the shadow directory, or nothing).
    std::string shadow_dir;         ///< Empty when none was made.
    bool sandboxed = false;         ///< bubblewrap hides libraries in system directories too.
};

struct IsolationResult {
    std::optional<ExecPlan> plan;
    std::string unsupported_reason;
};

/// Builds the shadow directory for `variant` under `work_dir`: a symlink to every library file of the directories
/// the stack's libraries come from (from the fingerprint), except the hidden ones; the cuDNN shim is copied so that
/// its RUNPATH ($ORIGIN) points into the shadow too. A hidden library in a system directory (which the loader always
/// searches) is masked with bubblewrap where it can start; where it cannot, the reason the variant cannot be
/// applied here is returned instead of a plan.
IsolationResult plan_isolated_exec(const Variant& variant, const results::Fingerprint& fingerprint,
                                   const std::string& work_dir, const std::vector<std::string>& case_args);

}  // namespace cuconform::isolate
