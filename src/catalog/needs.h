// SPDX-License-Identifier: Apache-2.0
/// \file Running a case's reproducer behind the guards its needs derive (catalog/case.h, Need).
#pragma once

#include <optional>

#include "catalog/case.h"

namespace cuconform {

/// `error(loader, LIBRARY_NOT_FOUND)` with the loader's own message when the library a need names cannot be
/// loaded in this process; nullopt when it can (or the need is not a library).
std::optional<Outcome> unmet_need(Need need);

/// The case's outcome in this (case) process: the first unmet library need, else what the reproducer observed; an
/// exception from the reproducer is the harness's error, not a crash.
Outcome observe_case(const CaseSpec& spec, CaseContext& context);

}  // namespace cuconform
