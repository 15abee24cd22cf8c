// SPDX-License-Identifier: Apache-2.0
/// \file The stack for a consumer (DESIGN.md): a Python environment (an activated venv or conda env, or
/// `--python PATH`) or a native library or executable (`--consumer FILE`). Which copy of each CUDA, cuDNN and cuBLAS
/// library it loads, where from and why (the ld.so model replaying the framework's own loading code), confirmed by
/// making the same loads in a child; the frameworks it holds, from their files, and optionally their own check.
#pragma once

#include <optional>
#include <string>

#include "consumer/python.h"
#include "results/fingerprint.h"

namespace cuconform::consumer {

struct Options {
    std::optional<std::string> python;  ///< --python PATH
    std::optional<std::string> native;  ///< --consumer FILE
    /// Without --python/--consumer: the activated venv or conda env (VIRTUAL_ENV, CONDA_PREFIX).
    bool use_activated = true;
    bool framework_check = false;  ///< Run each framework's own check in a child interpreter.
    double framework_timeout_s = 120;
    double python_timeout_s = 20;  ///< Asking the interpreter for sys.path (and JAX's build versions).
    bool confirm = true;           ///< Make the loads in a child and read what mapped.
    double confirm_timeout_s = 60;
};

/// The consumer's view, or nullopt when none is given or activated (the view of a program started here).
/// Throws ConsumerError for a consumer given explicitly that cannot be examined (`--python` that is no
/// interpreter, `--consumer` that is no ELF file); an activated environment that is broken becomes a consumer with
/// `problems`.
std::optional<results::Consumer> examine(const Options& options);

/// The framework a consumer's stack is examined for: the first of its frameworks (torch, jax, tensorflow).
const results::Framework* primary_framework(const results::Consumer& consumer);

}  // namespace cuconform::consumer
