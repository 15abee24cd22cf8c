// SPDX-License-Identifier: Apache-2.0
/// \file dlopen by soname, with the loader's own record of what it did.
#include "loader/library.h"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include "core/process.h"
#include "core/util.h"

namespace cuconform::loader {
namespace fs = std::filesystem;

namespace {

std::string resolved(const std::string& path) {
    std::error_code ec;
    auto real = fs::canonical(path, ec);
    return ec ? path : real.string();
}

}  // namespace

Library Library::open(const std::string& soname) {
    Library lib;
    lib.record_.soname = soname;
    dlerror();
    lib.handle_ = dlopen(soname.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (lib.handle_ == nullptr) {
        const char* err = dlerror();
        lib.record_.error = err ? err : "dlopen failed without a message";
        lib.record_.search_path = loader_search_path();
        return lib;
    }
    lib.record_.found = true;
    link_map* map = nullptr;
    if (dlinfo(lib.handle_, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr) {
        lib.record_.path = map->l_name;
        lib.record_.real_path = resolved(map->l_name);
    }
    return lib;
}

void* Library::symbol(const char* name) const {
    return handle_ ? dlsym(handle_, name) : nullptr;
}

std::optional<std::string> loaded_path(const std::string& soname) {
    void* handle = dlopen(soname.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (handle == nullptr) return std::nullopt;
    std::optional<std::string> path;
    link_map* map = nullptr;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr) path = map->l_name;
    dlclose(handle);  // Drops only the reference RTLD_NOLOAD added.
    return path;
}

std::vector<std::string> loader_search_path() {
    std::vector<std::string> dirs;
    void* self = dlopen(nullptr, RTLD_LAZY);
    Dl_serinfo size_info;
    if (self == nullptr || dlinfo(self, RTLD_DI_SERINFOSIZE, &size_info) != 0) return dirs;
    std::vector<char> buffer(size_info.dls_size);
    auto* info = reinterpret_cast<Dl_serinfo*>(buffer.data());
    info->dls_size = size_info.dls_size;
    info->dls_cnt = size_info.dls_cnt;
    if (dlinfo(self, RTLD_DI_SERINFO, info) != 0) return dirs;
    for (unsigned i = 0; i < info->dls_cnt; ++i) dirs.emplace_back(info->dls_serpath[i].dls_name);
    return dirs;
}

const std::vector<std::pair<std::string, std::string>>& ld_cache() {
    static const std::vector<std::pair<std::string, std::string>> entries = [] {
        std::vector<std::pair<std::string, std::string>> out;
        for (const char* ldconfig : {"/sbin/ldconfig", "/usr/sbin/ldconfig"}) {
            if (access(ldconfig, X_OK) != 0) continue;
            const auto listing = process::run({ldconfig, "-p"}, {.timeout_s = 30});
            // "\tlibcudnn.so.9 (libc6,x86-64) => /usr/local/cuda-13.0/lib/libcudnn.so.9"
            std::istringstream lines(listing.out);
            for (std::string line; std::getline(lines, line);) {
                const auto name_begin = line.find_first_not_of(" \t");
                const auto name_end = line.find(' ', name_begin);
                const auto arrow = line.find("=> ");
                if (name_begin == std::string::npos || name_end == std::string::npos || arrow == std::string::npos) {
                    continue;
                }
                std::string path = line.substr(arrow + 3);
                while (!path.empty() && (path.back() == '\r' || path.back() == ' ')) path.pop_back();
                out.emplace_back(line.substr(name_begin, name_end - name_begin), path);
            }
            break;
        }
        return out;
    }();
    return entries;
}

std::vector<results::Copy> find_installed(const std::string& soname) {
    std::vector<results::Copy> found;
    std::set<std::string> seen;
    const auto ld_library_path = split_path_list(std::getenv("LD_LIBRARY_PATH"));
    auto add = [&](const std::string& path, const char* via) {
        std::error_code ec;
        if (!fs::exists(path, ec)) return;
        const std::string real = resolved(path);
        if (!seen.insert(real).second) return;
        found.push_back({path, real, via});
    };
    for (const auto& dir : loader_search_path()) {
        bool from_env = std::find(ld_library_path.begin(), ld_library_path.end(), dir) != ld_library_path.end();
        add((fs::path(dir) / soname).string(), from_env ? "LD_LIBRARY_PATH" : "system");
    }
    for (const auto& [name, path] : ld_cache()) {
        if (name == soname) add(path, "ld.so.cache");
    }
    return found;
}

}  // namespace cuconform::loader
