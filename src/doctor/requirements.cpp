// SPDX-License-Identifier: Apache-2.0
/// \file The doctor's questions to the knowledge base (matrix/knowledge).
#include "doctor/requirements.h"

#include "core/version.h"
#include "knowledge/knowledge.h"

namespace cuconform::doctor {

std::optional<DriverRequirement> driver_requirement(const std::string& runtime) {
    const auto version = Version::parse(runtime);
    if (!version) return std::nullopt;
    const auto& kb = knowledge::KnowledgeBase::builtin();
    const auto min = kb.min_driver(version->truncated(2));
    if (!min) return std::nullopt;
    DriverRequirement req{runtime, min->value.str(), min->value.str(), min->citation.url()};
    if (const auto floor = kb.minor_compat_floor(version->major())) req.compat_floor = floor->value.str();
    return req;
}

}  // namespace cuconform::doctor
