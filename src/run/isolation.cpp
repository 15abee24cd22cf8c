// SPDX-License-Identifier: Apache-2.0
/// \file Shadow library directories and `ld.so --inhibit-cache` command lines for case processes.
#include "run/isolation.h"

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <filesystem>
#include <fmt/format.h>
#include <set>

#include "core/util.h"
#include "loader/apis.h"

namespace cuconform::run {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// Directories the dynamic loader searches even with --inhibit-cache and an explicit --library-path.
const std::vector<std::string>& system_dirs() {
    static const std::vector<std::string> dirs = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                                                  "/usr/lib64", "/lib", "/usr/lib"};
    return dirs;
}

bool hides(const std::string& file_name, const std::string& soname) {
    if (file_name == soname || file_name.rfind(soname + ".", 0) == 0) return true;
    // The unversioned development link (libcudnn.so for libcudnn.so.9) resolves to the same library.
    auto so = soname.find(".so");
    return so != std::string::npos && file_name == soname.substr(0, so + 3);
}

void collect_dir(std::set<std::string>& dirs, const json& record) {
    if (record.is_object() && record.value("found", false) && record.contains("path")) {
        dirs.insert(fs::path(record["path"].get<std::string>()).parent_path().string());
    }
}

}  // namespace

std::vector<std::string> resolve_sonames(const std::string& token) {
    if (token.empty() || token[0] != '@') return {token};
    const std::string name = token.substr(1);
    if (name == "cudnn") return {loader::cudnn_soname()};
    if (name == "cudart") return {loader::runtime_soname()};
    if (name == "cublas") return {loader::cublas_soname()};
    if (name == "cublasLt") return {loader::cublaslt_soname()};
    if (name == "cuda") return {loader::kDriverSoname};
    if (name.rfind("cudnn_", 0) == 0) {
        // cuDNN 8 split each of ops, cnn and adv into an inference and a training library (knowledge/cudnn.yaml:
        // the sub-libraries of 8.x).
        if (CUDNN_MAJOR == 8 && (name == "cudnn_ops" || name == "cudnn_cnn" || name == "cudnn_adv")) {
            return {fmt::format("lib{}_infer.so.8", name), fmt::format("lib{}_train.so.8", name)};
        }
        return {fmt::format("lib{}.so.{}", name, CUDNN_MAJOR)};
    }
    return {token};
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

IsolationResult plan_isolated_exec(const Variant& variant, const json& fingerprint, const std::string& work_dir,
                                   const std::vector<std::string>& case_args) {
    IsolationResult result;
    std::vector<std::string> hidden;
    for (const auto& token : variant.hide) {
        for (auto& soname : resolve_sonames(token)) hidden.push_back(std::move(soname));
    }

    for (const auto& soname : hidden) {
        for (const auto& dir : system_dirs()) {
            std::error_code ec;
            if (fs::exists(fs::path(dir) / soname, ec)) {
                result.unsupported_reason = fmt::format(
                    "{} is in {}, a system directory the dynamic loader always searches, so it cannot be hidden "
                    "without root; run this cell inside bubblewrap or a container to hide it",
                    soname, dir);
                return result;
            }
        }
    }

    ExecPlan plan;
    if (!variant.strip_library_path) {
        std::set<std::string> dirs;
        for (const char* part : {"driver", "runtime", "cudnn"}) {
            if (fingerprint.contains(part)) collect_dir(dirs, fingerprint[part].value("library", json()));
        }
        if (fingerprint.contains("cublas")) {
            collect_dir(dirs, fingerprint["cublas"].value("library", json()));
            collect_dir(dirs, fingerprint["cublas"].value("library_lt", json()));
        }
        for (const auto& dir : split_path_list(std::getenv("LD_LIBRARY_PATH"))) dirs.insert(dir);
        const fs::path shadow = fs::path(work_dir);
        std::error_code ec;
        fs::remove_all(shadow, ec);
        fs::create_directories(shadow);
        const std::string shim = loader::cudnn_soname();
        for (const auto& dir : dirs) {
            for (const auto& entry : fs::directory_iterator(dir, ec)) {
                const std::string name = entry.path().filename().string();
                if (name.find(".so") == std::string::npos) continue;
                bool hide = false;
                for (const auto& soname : hidden) hide = hide || hides(name, soname);
                if (hide || fs::exists(shadow / name)) continue;
                const fs::path real = fs::canonical(entry.path(), ec);
                if (ec) continue;
                if (name == shim) {
                    fs::copy_file(real, shadow / name, fs::copy_options::overwrite_existing, ec);
                } else {
                    fs::create_symlink(real, shadow / name, ec);
                }
            }
        }
        plan.shadow_dir = shadow.string();
        plan.library_path = shadow.string();
    }
    plan.argv = {program_interpreter(), "--inhibit-cache", "--library-path", plan.library_path,
                 self_executable()};
    plan.argv.insert(plan.argv.end(), case_args.begin(), case_args.end());
    result.plan = std::move(plan);
    return result;
}

}  // namespace cuconform::run
