// SPDX-License-Identifier: Apache-2.0
/// \file A consumer's Python environment: which interpreter (`--python`, VIRTUAL_ENV, CONDA_PREFIX), what it says
/// about itself (sys.path, prefixes, the user site-packages), the Python distributions installed in it, and the
/// environments on PATH that hold a framework.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/fingerprint.h"

namespace cuconform::consumer {

/// A consumer that cannot be examined (not an interpreter, a broken venv, a file that is not ELF). what() names it,
/// says what happened and what to do.
class ConsumerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The interpreter of an activated environment: $VIRTUAL_ENV/bin/python, else $CONDA_PREFIX/bin/python (`given_by`
/// names the variable). nullopt when neither is set.
std::optional<std::string> activated_python(std::string& given_by);

/// Runs `python` in a child (bounded by `timeout_s`) and reads sys.executable, the version, sys.prefix,
/// sys.base_prefix, sys.path (without the script directory) and the user site-packages when it is on sys.path.
/// Throws ConsumerError naming the file when it cannot be started, is not a Python interpreter, or hangs.
results::Python ask_interpreter(const std::string& python, double timeout_s = 20);

/// One installed distribution (a *.dist-info folder).
struct Distribution {
    std::string name;     ///< As its folder spells it, normalised (PEP 503): "nvidia-cudnn-cu13".
    std::string version;  ///< "9.26.0.51"
    std::filesystem::path dist_info;
    std::filesystem::path site;  ///< The sys.path entry holding it.
};

/// The distributions on `sys_path`, the first of each name winning (what `importlib.metadata` finds).
class Distributions {
public:
    explicit Distributions(const std::vector<std::string>& sys_path);
    const Distribution* find(const std::string& name) const;
    const std::vector<Distribution>& all() const { return all_; }
    /// The distribution whose RECORD lists `file` (nvidia-* and cuda-* distributions only: the ones that ship the
    /// stack's libraries), as "nvidia-cudnn-cu13 9.26.0.51"; empty when none does.
    std::string owner_of(const std::string& file) const;
    /// "Requires-Dist:" lines of a distribution's METADATA.
    std::vector<std::string> requires_dist(const Distribution& dist) const;

private:
    std::vector<Distribution> all_;
    mutable std::optional<std::map<std::string, std::string>> owners_;  ///< real path -> "name version"
};

/// PEP 503 normalisation: lower case, runs of -_. become one '-'.
std::string normalize_name(const std::string& name);

/// A Python environment on PATH that holds a framework (found from files only: nothing is run).
struct EnvironmentOnPath {
    std::string python;                   ///< The interpreter to pass to --python.
    std::vector<std::string> frameworks;  ///< "torch 2.15.0", "jax 0.10.2"
};

/// The Python environments reachable from PATH (each directory's python3 / python) and the user site-packages of
/// the system interpreter, that hold torch, JAX or TensorFlow.
std::vector<EnvironmentOnPath> environments_on_path();

}  // namespace cuconform::consumer
