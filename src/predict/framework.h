// SPDX-License-Identifier: Apache-2.0
/// \file `predict --framework torch==2.15.0` (jax, tensorflow): the framework's release from the knowledge base fills
/// what it is built against and what `pip install` of it resolves, and the framework's own questions are answered with
/// its own rule and words (matrix/knowledge/frameworks.yaml).
#pragma once

#include <string>
#include <vector>

#include "knowledge/frameworks.h"
#include "predict/predict.h"

namespace cuconform::predict {

/// A framework asked for: its facts and the release entry.
struct FrameworkRequest {
    std::string name, version;
    const knowledge::FrameworkFacts* facts = nullptr;
    const knowledge::FrameworkRelease* release = nullptr;
};

/// Parses "torch==2.15.0" (or "jax==0.10.2", "tensorflow==X"). Throws InputError naming what is known when the
/// framework or the release is not in the knowledge base.
FrameworkRequest parse_framework(const std::string& text, const knowledge::Frameworks& frameworks);

/// Fills the stack from the release: `toolkit` and `built_cudnn` (what it is built against) always; `runtime`,
/// `cudnn` and `cudnn_cuda` (what `pip install` resolves) only where the stack leaves them open.
void apply_framework(Stack& stack, const FrameworkRequest& request);

/// framework-cudnn, framework-cuda, framework-cublas (where the framework has such a rule), framework-cudnn-gpu (a rule
/// the framework applies only on a GPU), framework-visible-devices (with --env CUDA_VISIBLE_DEVICES=...).
std::vector<Question> framework_questions(const Stack& stack, const FrameworkRequest& request,
                                          const knowledge::Frameworks& frameworks);

/// The consumer the stack describes: the framework with its built versions, and the stack's loaded versions as what
/// it loads (for the expectations of the framework cases).
results::Consumer synthetic_consumer(const Stack& stack, const FrameworkRequest& request);

/// Adds the framework to a prediction: its questions after the stack's, its consumer in the fingerprint, and the
/// cases evaluated again on that fingerprint.
void add_framework(Prediction& prediction, const Stack& stack, const FrameworkRequest& request,
                   const knowledge::Frameworks& frameworks);

}  // namespace cuconform::predict
