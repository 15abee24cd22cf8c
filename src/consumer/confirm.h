// SPDX-License-Identifier: Apache-2.0
/// \file The confirmation: a fresh process (this program again, `cuconform __consumer-confirm`, so that nothing
/// this process has loaded answers a soname in its place) makes the loads the model predicts (dlopen of the same files
/// in the same order), asks each stack library it ends up with for its version, runs cuDNN's own sub-library checks
/// (the shim dlopens its sub-libraries then, by its own search path), and reports what is mapped. A library that
/// aborts or hangs only ends the child.
#pragma once

#include <string>
#include <vector>

#include "consumer/frameworks.h"
#include "results/fingerprint.h"

namespace cuconform::consumer {

/// What the child found. `error` is set when it died or hung (what it wrote before stays).
struct Confirmation {
    std::vector<std::string> step_errors;  ///< dlerror() of each step that failed, "" for the others.
    std::vector<std::string> mapped;       ///< The stack libraries mapped at the end, in load order.
    results::Runtime runtime;
    results::Cudnn cudnn;
    results::Cublas cublas;
    std::string error;
};

/// Replays `steps` in a child (at most `timeout_s`), then asks the libraries mapped for `runtime_soname`,
/// `cudnn_soname`, `cublas_soname` / `cublaslt_soname` (empty: not asked). Steps that loaded no stack library in the
/// model are skipped (they change nothing this reports).
Confirmation confirm_loads(const std::vector<LoadStep>& steps, const std::string& runtime_soname,
                           const std::string& cudnn_soname, const std::string& cublas_soname,
                           const std::string& cublaslt_soname, double timeout_s = 60);

/// The child's side (`cuconform __consumer-confirm`): `request` is what confirm_loads sends; answers are JSON lines
/// written to `result_fd`. Returns the exit code.
int confirm_child_main(const std::string& request, int result_fd);

/// The command name of the child's side.
inline constexpr const char* kConfirmCommand = "__consumer-confirm";

}  // namespace cuconform::consumer
