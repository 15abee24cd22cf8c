// SPDX-License-Identifier: Apache-2.0
/// \file Loading a shared library by soname the way frameworks do (dlopen at run time), and
/// recording what the dynamic loader did: the file it picked, or its own error message.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/fingerprint.h"

namespace cuconform::loader {

using results::LoadRecord;

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

/// Every file named `soname` the loader could pick: in the search path and in ld.so.cache (via: LD_LIBRARY_PATH,
/// system, ld.so.cache).
std::vector<results::Copy> find_installed(const std::string& soname);

/// ld.so.cache as `ldconfig -p` lists it, read once per process: (soname, path) in the cache's order.
const std::vector<std::pair<std::string, std::string>>& ld_cache();

}  // namespace cuconform::loader
