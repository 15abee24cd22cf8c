// SPDX-License-Identifier: Apache-2.0
/// \file The fingerprint: the measured description of a stack (reports/schema/fingerprint.schema.json).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "results/fingerprint.h"

namespace cuconform::probe {

struct ProbeOptions {
    /// Ask the driver for its GPUs. This initialises CUDA, so it happens in a forked child process:
    /// the caller's process stays uninitialised and may keep forking cases.
    bool gpus = true;
    int gpu_probe_timeout_s = 30;
    /// The consumer whose view is added (fingerprint `consumer`): `--python PATH` or `--consumer FILE`, else the
    /// activated venv or conda env (VIRTUAL_ENV, CONDA_PREFIX) unless `activated_consumer` is false.
    std::optional<std::string> python;
    std::optional<std::string> native;
    bool activated_consumer = true;
    bool framework_check = false;  ///< Also run each framework's own check in a child interpreter.
    double framework_timeout_s = 120;
};

/// Loads the driver, the runtime, cuDNN (shim and sub-libraries) and cuBLAS by soname, and records
/// for each what the loader did and what version the library reports; the three cuDNN versions users
/// ask for (built, installed, loaded); the GPUs; the relevant environment (never secret-looking names); and the
/// consumer's view when one is given or activated (src/consumer). Throws std::runtime_error (naming it) for a consumer
/// given explicitly that cannot be examined.
results::Fingerprint probe_fingerprint(const ProbeOptions& options = {});

/// True for variable names that may hold secrets (*TOKEN*, *KEY*, *SECRET*, *PASSWORD*, any case).
bool is_secret_name(std::string_view name);

/// The environment variables a fingerprint records: a fixed list plus every CUDA_*, CUDNN_*,
/// NVIDIA_*, CUBLAS_* and CUCONFORM_* (harness settings) variable, minus secret-looking names.
bool is_recorded_env_name(std::string_view name);

}  // namespace cuconform::probe
