// SPDX-License-Identifier: Apache-2.0
/// \file Shadow library directories, `ld.so --inhibit-cache` and bubblewrap masks for case processes.
#include "isolate/variant.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/files.h"
#include "core/util.h"
#include "isolate/view.h"
#include "loader/apis.h"

namespace cuconform::isolate {
namespace fs = std::filesystem;

namespace {

bool hides(const std::string& file_name, const std::string& soname) {
    if (file_name == soname || file_name.rfind(soname + ".", 0) == 0) return true;
    // The unversioned development link (libcudnn.so for libcudnn.so.9) resolves to the same library.
    auto so = soname.find(".so");
    return so != std::string::npos && file_name == soname.substr(0, so + 3);
}

void collect_dir(std::set<std::string>& dirs, const results::LoadRecord& record) {
    if (record.found && !record.path.empty()) dirs.insert(fs::path(record.path).parent_path().string());
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

IsolationResult plan_isolated_exec(const Variant& variant, const results::Fingerprint& fingerprint,
                                   const std::string& work_dir, const std::vector<std::string>& case_args) {
    IsolationResult result;
    std::vector<std::string> hidden;
    for (const auto& token : variant.hide) {
        for (auto& soname : resolve_sonames(token)) hidden.push_back(std::move(soname));
    }

    // A hidden library in a system directory: the loader searches those whatever --library-path says.
    std::vector<std::string> masked;
    for (const auto& dir : system_dirs()) {
        for (const auto& soname : hidden) {
            std::error_code ec;
            if (!fs::exists(fs::path(dir) / soname, ec)) continue;
            if (!bwrap_works()) {
                result.unsupported_reason = fmt::format(
                    "{} is in {}, a system directory the dynamic loader always searches, and bubblewrap cannot start "
                    "a sandbox here to hide it (install bubblewrap and allow unprivileged user namespaces, or run "
                    "this cell in a container)",
                    soname, dir);
                return result;
            }
            masked.push_back(dir);
            break;
        }
    }

    ExecPlan plan;
    if (!variant.strip_library_path) {
        std::set<std::string> dirs;
        for (const auto* record :
             {&fingerprint.driver.library, &fingerprint.runtime.library, &fingerprint.cudnn.library,
              &fingerprint.cublas.library, &fingerprint.cublas.library_lt}) {
            collect_dir(dirs, *record);
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
                // A shadow folder that could not be made whole (a full disk) would blame the stack for what the
                // harness failed to do: a case would load a truncated library and fail or crash.
                if (name == shim) {
                    fs::copy_file(real, shadow / name, fs::copy_options::overwrite_existing, ec);
                    if (ec) throw FileError(shadow / name, fmt::format("copy {} to", real.string()), ec.value());
                } else {
                    fs::create_symlink(real, shadow / name, ec);
                    if (ec) throw FileError(shadow / name, "create the link", ec.value());
                }
            }
        }
        plan.shadow_dir = shadow.string();
        plan.library_path = shadow.string();
    }
    if (!masked.empty()) {
        plan.sandboxed = true;
        plan.argv = bwrap_argv(masked,
                               [&](const fs::path& file) {
                                   return std::any_of(hidden.begin(), hidden.end(), [&](const std::string& soname) {
                                       return hides(file.filename().string(), soname);
                                   });
                               },
                               {});
    }
    for (auto& a : {program_interpreter(), std::string("--inhibit-cache"), std::string("--library-path"),
                    plan.library_path, self_executable()}) {
        plan.argv.push_back(a);
    }
    plan.argv.insert(plan.argv.end(), case_args.begin(), case_args.end());
    result.plan = std::move(plan);
    return result;
}

}  // namespace cuconform::isolate
