// SPDX-License-Identifier: Apache-2.0
/// \file Where this build's source tree is. One translation unit knows it (build_info.cpp), so that every other one
/// compiles the same in any clone and a second clone's build is a ccache hit.
#pragma once

#include <filesystem>

namespace cuconform {

/// The source tree cuconform was built from (toolkit builds, container contexts, the catalogue's compile inputs).
const std::filesystem::path& source_dir();

}  // namespace cuconform
