// SPDX-License-Identifier: Apache-2.0
/// \file The source tree's path, compiled into this file alone (src/CMakeLists.txt).
#include "core/build_info.h"

namespace cuconform {

const std::filesystem::path& source_dir() {
    static const std::filesystem::path dir = CUCONFORM_SOURCE_TREE;
    return dir;
}

}  // namespace cuconform
