// SPDX-License-Identifier: Apache-2.0
/// \file The source tree's path, compiled into this file alone (src/CMakeLists.txt).
#include "core/build_info.h"

#include <cstdlib>
#include <system_error>

namespace cuconform {
namespace fs = std::filesystem;

bool is_source_tree(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir / "cases" / "compile", ec) && fs::is_directory(dir / "matrix", ec);
}

namespace {

fs::path find_source_dir() {
    if (const char* env = std::getenv("CUCONFORM_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
    const fs::path built_in = CUCONFORM_SOURCE_TREE;
    if (is_source_tree(built_in)) return built_in;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.parent_path(); dir = dir.parent_path()) {
            if (is_source_tree(dir)) return dir;
        }
    }
    return built_in;  // gone, and nothing better: messages name the path the build knew
}

}  // namespace

const fs::path& source_dir() {
    static const fs::path dir = find_source_dir();
    return dir;
}

}  // namespace cuconform
