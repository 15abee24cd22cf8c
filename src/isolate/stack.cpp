// SPDX-License-Identifier: Apache-2.0
/// \file Re-exec inside a stack prefix, through ld.so or bubblewrap.
#include "isolate/stack.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <link.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/process.h"

namespace cuconform::isolate {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_cmdline() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
    return args;
}

/// The directory of the host's driver library (libcuda.so.1) when it is outside the system directories, so
/// that a case process inside a stack still reaches the driver. Empty when it is in one (always searched).
std::string driver_dir_to_keep() {
    void* handle = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr) return "";
    char origin[4096] = {};
    std::string dir;
    if (dlinfo(handle, RTLD_DI_ORIGIN, origin) == 0) dir = origin;
    dlclose(handle);
    for (const auto& system : system_dirs()) {
        if (canonical_or_self(dir) == canonical_or_self(system)) return "";
    }
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (is_cuda_user_library(e.path().filename().string())) {
            fmt::print(stderr,
                       "cuconform: the driver's directory {} also holds CUDA user-space libraries ({}); leaving it off "
                       "the stack's library path, so the driver may not be found\n",
                       dir, e.path().filename().string());
            return "";
        }
    }
    return dir;
}

std::string library_path_for(const std::string& prefix) {
    std::string path = (fs::path(prefix) / "lib").string();
    if (const std::string driver = driver_dir_to_keep(); !driver.empty()) path += ":" + driver;
    return path;
}

}  // namespace

bool inside_stack(const std::string& prefix) {
    const char* marker = std::getenv(kStackMarker);
    return marker != nullptr && canonical_or_self(marker) == canonical_or_self(prefix);
}

std::vector<std::string> stack_exec_argv(const std::string& prefix, const std::string& isolation,
                                         const std::string& exe, const std::vector<std::string>& args) {
    std::vector<std::string> argv;
    const std::string lib_path = library_path_for(prefix);
    if (isolation == "loader") {
        argv = {program_interpreter(), "--inhibit-cache", "--library-path", lib_path, exe};
    } else if (isolation == "bwrap") {
        const std::string canonical_prefix = canonical_or_self(prefix);
        const std::string canonical_exe = canonical_or_self(exe);
        // A prefix may link to libraries in a system directory (a hand-made prefix of the host's runtime): those
        // stay visible, the others of that directory are hidden.
        std::set<std::string> prefix_files;
        std::error_code lib_ec;
        for (const auto& e : fs::directory_iterator(fs::path(prefix) / "lib", lib_ec)) {
            prefix_files.insert(canonical_or_self(e.path().string()));
        }
        std::vector<std::string> masked;
        for (const auto& dir : host_cuda_library_dirs()) {
            // Never hide the prefix or cuconform itself.
            if (canonical_prefix.rfind(dir + "/", 0) == 0 || canonical_exe.rfind(dir + "/", 0) == 0) continue;
            masked.push_back(dir);
        }
        argv = bwrap_argv(masked,
                          [&](const fs::path& file) {
                              return is_cuda_user_library(file.filename().string()) &&
                                     !prefix_files.contains(canonical_or_self(file.string()));
                          },
                          {{"LD_LIBRARY_PATH", lib_path}});
        argv.push_back(exe);
    } else {
        throw IsolationError(
            fmt::format("--isolation {}: use loader (ld.so --inhibit-cache) or bwrap (bubblewrap)", isolation));
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

std::string resolve_isolation(const std::string& requested) {
    if (requested != "auto") return requested;
    if (const char* used = std::getenv(kIsolationMarker); used != nullptr && std::getenv(kStackMarker) != nullptr) {
        return used;  // re-executed inside the stack: keep what the parent chose
    }
    return bwrap_works() ? "bwrap" : "loader";
}

void enter_stack(const std::string& prefix, const std::string& isolation) {
    if (inside_stack(prefix)) return;
    const fs::path lib = fs::path(prefix) / "lib";
    if (!fs::is_directory(lib)) {
        throw IsolationError(
            fmt::format("--stack {}: no lib/ directory there; make one with `cuconform stack fetch "
                        "cuda=12.4 cudnn=9.1 --print-prefix`, or give a prefix whose lib/ holds the "
                        "libraries",
                        prefix));
    }
    const std::string canonical_prefix = canonical_or_self(prefix);
    const std::string exe = self_executable();
    auto args = read_cmdline();
    if (!args.empty()) args.erase(args.begin());
    // A process started through ld.so sees ld.so's own arguments first: drop everything up to the program.
    if (auto it = std::find(args.begin(), args.end(), exe); std::getenv(kSelfExe) != nullptr && it != args.end()) {
        args.erase(args.begin(), it + 1);
    }
    const auto argv = stack_exec_argv(canonical_prefix, isolation, exe, args);
    const int error = process::exec_in_place(argv, {{kStackMarker, canonical_prefix},
                                                    {kIsolationMarker, isolation},
                                                    {kSelfExe, exe},
                                                    {"LD_LIBRARY_PATH", library_path_for(canonical_prefix)}});
    throw IsolationError(fmt::format("cannot start {} to run inside the stack {}: {}{}", argv[0], prefix,
                                     std::strerror(error),
                                     isolation == "bwrap" ? "; install bubblewrap or use --isolation loader" : ""));
}

}  // namespace cuconform::isolate
