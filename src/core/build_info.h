// SPDX-License-Identifier: Apache-2.0
/// \file Where this build's source tree is. One translation unit knows the path it was built in (build_info.cpp),
/// so that every other one compiles the same in any clone and a second clone's build is a ccache hit.
#pragma once

#include <filesystem>

namespace cuconform {

/// The source tree cuconform runs from (toolkit builds, container contexts, the catalogue's compile inputs,
/// matrix/): $CUCONFORM_SOURCE_DIR when set; else the tree it was built from, when that is still there; else the
/// tree the executable sits in (build/bin/cuconform, build/gpu/bin/cuconform), so that a build carried to another
/// machine with its working tree (scripts/gpu-run) finds the tree there.
const std::filesystem::path& source_dir();

/// Whether `dir` looks like cuconform's source tree (cases/compile and matrix/ are there).
bool is_source_tree(const std::filesystem::path& dir);

}  // namespace cuconform
