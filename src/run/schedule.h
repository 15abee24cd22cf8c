// SPDX-License-Identifier: Apache-2.0
/// \file Which case may start beside the ones running, as a pure function (the runner asks it before each start).
#pragma once

#include <vector>

#include "catalog/case.h"

namespace cuconform::run {

/// Whether a run of `candidate` may start while `running` run, on a stack with or without a usable GPU. A case
/// that needs the GPU to itself (Need::WholeGpu: it takes the device's free memory) starts only while no other GPU
/// case runs, and no GPU case starts beside it; without a GPU, GPU cases start no process and never wait.
bool may_start_beside(const CaseSpec& candidate, const std::vector<const CaseSpec*>& running, bool has_gpu);

}  // namespace cuconform::run
