// SPDX-License-Identifier: Apache-2.0
/// \file Knowledge-base functions expectations may call: nvcc_supports(toolkit, "sm_61"), min_driver(v), ...
#pragma once

#include "expect/facts.h"

namespace cuconform {

/// Registers every knowledge-base function on `facts`. Each answers null when the knowledge base does not know.
void define_knowledge_functions(expect::MapFacts& facts);

}  // namespace cuconform
