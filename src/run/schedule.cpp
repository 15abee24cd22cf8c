// SPDX-License-Identifier: Apache-2.0
#include "run/schedule.h"

#include <algorithm>

namespace cuconform::run {

bool may_start_beside(const CaseSpec& candidate, const std::vector<const CaseSpec*>& running, bool has_gpu) {
    if (!has_gpu || !candidate.needs_gpu()) return true;
    return std::none_of(running.begin(), running.end(), [&](const CaseSpec* other) {
        return other->needs_gpu() && (candidate.needs_whole_gpu() || other->needs_whole_gpu());
    });
}

}  // namespace cuconform::run
