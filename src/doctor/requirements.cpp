// SPDX-License-Identifier: Apache-2.0
/// \file The doctor's questions to the knowledge base.
#include "doctor/requirements.h"

namespace cuconform::doctor {

std::optional<DriverRequirement> driver_requirement(const std::string&) { return std::nullopt; }

}  // namespace cuconform::doctor
