// SPDX-License-Identifier: Apache-2.0
/// \file Frameworks in a Python environment, from their files (no import): torch (torch/version.py, the dist-info's
/// Requires-Dist pins), JAX (jax/jaxlib version.py, the CUDA plugin's metadata and its compiled `_versions` module),
/// TensorFlow (tensorflow/python/platform/build_info.py). How each loads its CUDA libraries (the steps its own code
/// takes, replayed on the ld.so model), and the framework's own check run in a child interpreter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "consumer/ldso.h"
#include "consumer/python.h"
#include "core/process.h"
#include "results/fingerprint.h"

namespace cuconform::consumer {

/// The frameworks importable from `python` (first sys.path entry wins, as `import` does), in the order torch, jax,
/// tensorflow. `ask_builds`: read JAX's build versions from its compiled `_versions` module in a child interpreter
/// (milliseconds; nothing of JAX or CUDA is initialised).
std::vector<results::Framework> find_frameworks(const results::Python& python, const Distributions& dists,
                                                bool ask_builds = true, double timeout_s = 20);

/// One load a framework's code makes, replayed by the confirmation child.
struct LoadStep {
    enum class Kind { Path, Dlopen };
    Kind kind = Kind::Path;
    std::string target;  ///< The path (Path) or name (Dlopen).
    std::string caller;  ///< Dlopen: the object that calls dlopen.
    std::string who;     ///< Whose code makes the load, for messages.
    bool global = false;
    bool succeeded = false;  ///< In the model.
    std::string resolved;    ///< The file the model loaded for it.
    /// A library that loads it itself when used (the cuDNN shim its sub-libraries): the confirmation uses it instead
    /// of replaying the load.
    bool by_use = false;
    bool stack_new = false;  ///< The model loaded a stack library in this step.
};

/// What loading a framework does to its process, per the model: the steps taken and what went wrong (the import
/// error the framework would raise).
struct LoadOutcome {
    std::vector<LoadStep> steps;
    std::vector<std::string> errors;
};

/// Replays `framework`'s own loading code on `model` (python's view: the executable is the interpreter).
LoadOutcome load_framework(const results::Framework& framework, const results::Python& python, LoadModel& model);

/// A consumer that is no framework: a native file and what it needs (DT_NEEDED), then dlopen of every CUDA major's
/// sonames from it (a program that loads them at run time asks for them so); or, without a file, dlopen from the
/// executable.
LoadOutcome load_native(const std::string& file, LoadModel& model);
LoadOutcome load_plain(LoadModel& model);

/// The sonames a consumer may ask for, of every CUDA and cuDNN major (libcudart.so.11.0, .12, .13, ...).
const std::vector<std::string>& every_major_sonames();

/// The framework's own check in a child interpreter (bounded by `timeout_s`): torch imports and asks
/// torch.backends.cudnn.version() (its compatibility check), JAX runs its CUDA plugin's _check_cuda_versions (the
/// device count stubbed to 0 where no driver answers). Records its words and what it mapped.
results::FrameworkCheck run_framework_check(const std::string& python, const results::Framework& framework,
                                            double timeout_s, const process::EnvChanges& env = {});

}  // namespace cuconform::consumer
