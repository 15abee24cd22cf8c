// SPDX-License-Identifier: Apache-2.0
/// \file What the doctor asks of the knowledge base.
#pragma once

#include <optional>
#include <string>

#include "doctor/doctor.h"

namespace cuconform::doctor {

/// The driver a CUDA runtime ("13.0") needs, from matrix/knowledge; nullopt when it is not known.
std::optional<DriverRequirement> driver_requirement(const std::string& runtime);

}  // namespace cuconform::doctor
