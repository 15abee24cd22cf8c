// SPDX-License-Identifier: Apache-2.0
/// \file The loader's view: system directories, the host's CUDA library directories, bubblewrap masks.
#include "isolate/view.h"

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

#include <set>

#include "core/process.h"
#include "core/util.h"
#include "loader/library.h"

namespace cuconform::isolate {
namespace fs = std::filesystem;

std::string canonical_or_self(const std::string& path) {
    std::error_code ec;
    const auto c = fs::canonical(path, ec);
    return ec ? path : c.string();
}

std::string self_executable() {
    if (const char* env = std::getenv(kSelfExe); env != nullptr && *env != '\0') return env;
    return fs::read_symlink("/proc/self/exe").string();
}

std::string program_interpreter() {
    const auto* phdr = reinterpret_cast<const ElfW(Phdr)*>(getauxval(AT_PHDR));
    const auto count = getauxval(AT_PHNUM);
    ElfW(Addr) load_bias = 0;
    for (unsigned long i = 0; i < count; ++i) {
        if (phdr[i].p_type == PT_PHDR) load_bias = reinterpret_cast<ElfW(Addr)>(phdr) - phdr[i].p_vaddr;
    }
    for (unsigned long i = 0; i < count; ++i) {
        if (phdr[i].p_type == PT_INTERP) return reinterpret_cast<const char*>(load_bias + phdr[i].p_vaddr);
    }
    return "/lib64/ld-linux-x86-64.so.2";
}

const std::vector<std::string>& system_dirs() {
    static const std::vector<std::string> dirs = {
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"};
    return dirs;
}

bool is_cuda_user_library(const std::string& name) {
    for (const char* stem :
         {"libcudart.so", "libcudnn", "libcublas", "libcublasLt", "libnvrtc", "libnvJitLink", "libnvblas.so"}) {
        if (name.rfind(stem, 0) == 0 && name.find(".so") != std::string::npos) return true;
    }
    return false;
}

std::vector<std::string> host_cuda_library_dirs() {
    std::set<std::string> candidates = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                                        "/usr/local/lib"};
    for (const auto& dir : split_path_list(std::getenv("LD_LIBRARY_PATH"))) candidates.insert(dir);
    // The directories of the ld.so cache: where `ldconfig` registered the host's CUDA libraries.
    for (const auto& [name, path] : loader::ld_cache()) {
        if (is_cuda_user_library(name)) candidates.insert(fs::path(path).parent_path().string());
    }
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/local", ec)) {
        if (e.path().filename().string().rfind("cuda", 0) == 0) {
            candidates.insert((e.path() / "lib64").string());
            candidates.insert((e.path() / "lib").string());
            candidates.insert((e.path() / "targets/x86_64-linux/lib").string());
        }
    }
    std::set<std::string> dirs;
    for (const auto& dir : candidates) {
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            if (is_cuda_user_library(e.path().filename().string())) {
                dirs.insert(canonical_or_self(dir));
                break;
            }
        }
    }
    return {dirs.begin(), dirs.end()};
}

bool bwrap_works() {
    static const bool works = process::run({"bwrap", "--dev-bind", "/", "/", "--die-with-parent", "--", "true"},
                                           {.output = process::Output::Discard, .timeout_s = 30})
                                  .ok();
    return works;
}

std::vector<std::string> bwrap_argv(const std::vector<std::string>& dirs,
                                    const std::function<bool(const fs::path&)>& drop,
                                    const std::vector<std::pair<std::string, std::string>>& env) {
    std::vector<std::string> argv = {"bwrap", "--dev-bind", "/", "/", "--die-with-parent"};
    for (const auto& dir : dirs) {
        argv.insert(argv.end(), {"--tmpfs", dir});
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            if (drop(e.path())) continue;
            if (fs::is_symlink(e.symlink_status())) {
                argv.insert(argv.end(), {"--symlink", fs::read_symlink(e.path()).string(), e.path().string()});
            } else {
                argv.insert(argv.end(), {"--dev-bind", e.path().string(), e.path().string()});
            }
        }
    }
    for (const auto& [name, value] : env) argv.insert(argv.end(), {"--setenv", name, value});
    argv.push_back("--");
    return argv;
}

}  // namespace cuconform::isolate
