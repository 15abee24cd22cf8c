// SPDX-License-Identifier: Apache-2.0
/// \file The doctor's checks of a consumer's framework: built against X, will load Y, and whether that framework's own
/// rule (matrix/knowledge/frameworks.yaml) accepts it; its pinned wheels; LD_LIBRARY_PATH it ignores; copies mixed
/// between the environment and the system; CUDA_VISIBLE_DEVICES as it parses it; its own check's verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "doctor/doctor.h"

namespace cuconform::doctor {

/// The stack being examined: the consumer's when there is one, else this program's.
struct StackView {
    const results::Runtime* runtime = nullptr;
    const results::Cudnn* cudnn = nullptr;
    const results::Cublas* cublas = nullptr;
    const results::Framework* framework = nullptr;  ///< The consumer's framework, if any.
};
StackView stack_view(const results::Fingerprint& fingerprint);

/// Appends the framework findings of a fingerprint with a consumer.
void framework_findings(const results::Fingerprint& fingerprint, std::vector<Finding>& findings);

/// The command that installs what the consumer's framework pins for `component` (cudnn, cudart, cublas, nvrtc), with
/// the environment's own interpreter: "VENV/bin/python -m pip install nvidia-cudnn-cu13==9.26.0.51". nullopt when the
/// framework pins nothing for it.
std::optional<std::string> framework_fix(const results::Fingerprint& fingerprint, const std::string& component);

/// "nvidia-cudnn-cu13==9.26.0.51" or "\"nvidia-cudnn-cu12>=9.8,<10.0\"": a requirement as pip takes it on a command
/// line.
std::string pip_requirement(const std::string& package, const std::string& spec);

}  // namespace cuconform::doctor
