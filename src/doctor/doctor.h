// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform doctor`: what is wrong with this stack, the evidence, and the fix. With a consumer in the
/// fingerprint (a venv, `--python`, `--consumer`) the stack examined is the consumer's, judged by its framework's own
/// rule (matrix/knowledge/frameworks.yaml).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "results/fingerprint.h"

namespace cuconform::doctor {

enum class Severity { Info, Warning, Error };

/// One thing doctor found. `id` is stable (tests and scripts match on it).
struct Finding {
    std::string id;  ///< e.g. "driver.missing", "cudnn.older_than_built", "framework.cudnn_refused"
    Severity severity = Severity::Error;
    std::string title;     ///< One line: what is wrong.
    std::string evidence;  ///< Versions, paths, variable values that show it.
    std::string fix;       ///< What to do.
    std::string source;    ///< Where the rule comes from (URL), when it is a documented rule.
};

/// The minimum Linux driver a CUDA runtime needs, with its source (from the knowledge base).
struct DriverRequirement {
    std::string runtime;       ///< "13.0"
    std::string min_driver;    ///< Toolkit driver ("580.65.06")
    std::string compat_floor;  ///< Minor-version-compatibility floor for the major ("580")
    std::string source;
};

/// A Python environment on PATH that holds a framework (found by the CLI, named in a finding when no consumer is
/// given).
struct EnvironmentHint {
    std::string python;
    std::vector<std::string> frameworks;
};

/// What the doctor knows besides the fingerprint.
struct Context {
    std::vector<EnvironmentHint> environments;
};

/// Examines a fingerprint (and the files and variables it names). Pure: no CUDA call.
std::vector<Finding> examine(const results::Fingerprint& fingerprint, const Context& context = {});

nlohmann::json to_json(const std::vector<Finding>& findings, const results::Fingerprint& fingerprint);
std::string_view to_string(Severity severity);

}  // namespace cuconform::doctor
