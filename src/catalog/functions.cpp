// SPDX-License-Identifier: Apache-2.0
/// \file Knowledge-base functions for expectations (wired to matrix/knowledge when it lands).
#include "catalog/functions.h"

namespace cuconform {

void define_knowledge_functions(expect::MapFacts&) {}

const std::map<std::string, int>& knowledge_function_arities() {
    static const std::map<std::string, int> arities;
    return arities;
}

}  // namespace cuconform
