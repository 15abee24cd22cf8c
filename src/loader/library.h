// SPDX-License-Identifier: Apache-2.0
/// \file Loading a shared library by soname the way frameworks do (dlopen at run time), and
/// recording what the dynamic loader did: the file it picked, or its own error message.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cuconform::loader {

/// What happened when one soname was asked of the dynamic loader.
struct LoadRecord {
    std::string soname;       ///< What was asked for ("libcudnn.so.9").
    bool found = false;
    std::string path;         ///< The file the loader mapped, as it named it (may be a symlink).
    std::string real_path;    ///< The same file with symlinks resolved.
    std::string error;        ///< dlerror() when not found.
    std::vector<std::string> search_path;  ///< Directories the loader searches for it, in order (RTLD_DI_SERINFO).
};

void to_json(nlohmann::json& j, const LoadRecord& r);

/// A dlopen handle. Never dlclose'd: CUDA libraries do not survive being unloaded and reloaded.
class Library {
public:
    Library() = default;
    /// Opens `soname` with RTLD_LAZY | RTLD_LOCAL and fills in the record.
    static Library open(const std::string& soname);

    bool loaded() const { return handle_ != nullptr; }
    const LoadRecord& record() const { return record_; }
    /// dlsym; nullptr when the symbol is absent.
    void* symbol(const char* name) const;

    template <typename Fn>
    Fn function(const char* name) const {
        return reinterpret_cast<Fn>(symbol(name));
    }

private:
    void* handle_ = nullptr;
    LoadRecord record_;
};

/// The file already mapped for `soname` in this process (dlopen RTLD_NOLOAD), if any.
std::optional<std::string> loaded_path(const std::string& soname);

/// The directories the dynamic loader searches for a library requested by the main program:
/// LD_LIBRARY_PATH, the executable's RUNPATH, then the system directories. ld.so.cache is consulted
/// between the last two unless the process was started with `ld.so --inhibit-cache`.
std::vector<std::string> loader_search_path();

/// Every file named `soname` the loader could pick: in the search path and in ld.so.cache.
/// Each entry is {"path", "real_path", "via": "LD_LIBRARY_PATH" | "ld.so.cache" | "system" | "RUNPATH"}.
nlohmann::json find_installed(const std::string& soname);

}  // namespace cuconform::loader
