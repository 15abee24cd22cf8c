// SPDX-License-Identifier: Apache-2.0
/// \file The doctor's checks: each reads the fingerprint and says what is wrong, the evidence, the fix.
#include "doctor/doctor.h"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/version.h"
#include "doctor/requirements.h"

namespace cuconform::doctor {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::optional<Version> version(const json& j, const char* key) {
    const std::string s = json_field(j, key);
    return s.empty() ? std::nullopt : Version::parse(s);
}

std::string joined(const json& list) {
    std::vector<std::string> items;
    for (const auto& e : list) items.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    return fmt::format("{}", fmt::join(items, ", "));
}

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> parts;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
    if (!text.empty() && text.back() == sep) parts.emplace_back();
    return parts;
}

/// The CUDA version of a toolkit directory, from its runtime header (CUDART_VERSION).
std::optional<Version> toolkit_version_at(const fs::path& dir) {
    for (const char* rel : {"include/cuda_runtime_api.h", "targets/x86_64-linux/include/cuda_runtime_api.h"}) {
        std::ifstream in(dir / rel);
        for (std::string line; std::getline(in, line);) {
            std::smatch m;
            static const std::regex re(R"(#define\s+CUDART_VERSION\s+(\d+))");
            if (std::regex_search(line, m, re)) return Version::from_cuda_int(std::stoi(m[1]));
        }
    }
    return std::nullopt;
}

class Examiner {
public:
    explicit Examiner(json fp) : fp_(std::move(fp)) {}

    std::vector<Finding> run() {
        check_driver();
        check_runtime();
        check_cudnn();
        check_cuda_home();
        check_ld_library_path();
        check_visible_devices();
        check_gpus();
        std::stable_sort(findings_.begin(), findings_.end(),
                         [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
        return findings_;
    }

private:
    void add(Finding f) { findings_.push_back(std::move(f)); }

    std::string runtime_version() const { return json_field(fp_["runtime"], "version"); }

    void check_driver() {
        const json& d = fp_["driver"];
        const std::string rt = runtime_version();
        const auto req = rt.empty() ? std::nullopt : driver_requirement(rt);
        if (!d.value("present", false)) {
            const json& lib = d["library"];
            Finding f{"driver.missing", Severity::Error,
                      "No NVIDIA driver: libcuda.so.1 cannot be loaded, so no GPU is usable and frameworks fall back "
                      "to the CPU",
                      fmt::format("dlopen(\"{}\"): {}; searched: {} and ld.so.cache", json_field(lib, "soname"),
                                  json_field(lib, "error"), joined(lib.value("search_path", json::array())))};
            if (req) {
                f.evidence += fmt::format("; the loaded CUDA runtime {} needs driver >= {}", rt, req->min_driver);
                f.fix = fmt::format(
                    "Install the NVIDIA driver {} or newer (the minimum for CUDA runtime {}; {}.x runtimes also run on "
                    ">= {} through minor-version compatibility). In a container, start it with `--gpus all` or a CDI "
                    "device (NVIDIA Container Toolkit) so that the host's libcuda.so.1 is mounted.",
                    req->min_driver, rt, Version::parse(rt)->major(), req->compat_floor);
                f.source = req->source;
            } else {
                f.fix = "Install the NVIDIA driver for your GPU; in a container, start it with `--gpus all`.";
            }
            add(std::move(f));
            return;
        }
        const auto driver_cuda = version(d, "cuda");
        const auto runtime = Version::parse(rt);
        if (!driver_cuda || !runtime || *driver_cuda >= runtime->truncated(2)) return;
        const std::string driver_version = json_field(d, "version", "unknown");
        const auto driver = Version::parse(driver_version);
        if (req && driver && driver_cuda->major() == runtime->major() &&
            *driver >= *Version::parse(req->compat_floor)) {
            add({"driver.minor_version_compat", Severity::Info,
                 fmt::format("CUDA runtime {} runs on this older driver ({}, CUDA {}) through minor-version "
                             "compatibility",
                             rt, driver_version, driver_cuda->str()),
                 fmt::format("driver {} >= {} (the {}.x floor); features needing the newer driver (PTX JIT of newer "
                             "PTX) are unavailable",
                             driver_version, req->compat_floor, runtime->major()),
                 fmt::format("Upgrade the driver to >= {} for full CUDA {} support.", req->min_driver, rt), req->source});
            return;
        }
        add({"driver.too_old", Severity::Error,
             fmt::format("The driver is older than the CUDA runtime needs: cudaErrorInsufficientDriver (35) on the first "
                         "CUDA call"),
             fmt::format("driver {} supports CUDA {}; the loaded runtime {} ({}) needs driver >= {}", driver_version,
                         driver_cuda->str(), rt, json_field(fp_["runtime"]["library"], "path"),
                         req ? req->min_driver : std::string("(unknown: not in the knowledge base)")),
             fmt::format("Upgrade the NVIDIA driver to >= {}, or use a CUDA {} runtime (a framework build for CUDA {}).",
                         req ? req->min_driver : std::string("the version the CUDA release notes give"),
                         driver_cuda->str(), driver_cuda->str()),
             req ? req->source : ""});
    }

    void check_runtime() {
        const json& r = fp_["runtime"];
        if (r.value("present", false)) return;
        const json& lib = r["library"];
        add({"runtime.missing", Severity::Error,
             fmt::format("The CUDA runtime {} cannot be loaded", json_field(lib, "soname")),
             fmt::format("dlopen(\"{}\"): {}; searched: {} and ld.so.cache", json_field(lib, "soname"), json_field(lib, "error"),
                         joined(lib.value("search_path", json::array()))),
             fmt::format("Install the CUDA {} runtime (pip install nvidia-cuda-runtime, or the toolkit), then add its "
                         "lib directory to LD_LIBRARY_PATH or run ldconfig.",
                         json_field(fp_["toolkit"], "cuda"))});
    }

    void check_cudnn() {
        const json& c = fp_["cudnn"];
        const json& lib = c["library"];
        const std::string built = json_field(c, "built");
        if (!c.value("present", false)) {
            add({"cudnn.missing", Severity::Error,
                 fmt::format("cuDNN cannot be loaded ({}): frameworks disable cuDNN layers (Keras LSTM raises "
                             "NotImplementedError, TensorFlow logs \"Could not load dynamic library\")",
                             json_field(lib, "soname")),
                 fmt::format("dlopen(\"{}\"): {}; searched: {} and ld.so.cache", json_field(lib, "soname"), json_field(lib, "error"),
                             joined(lib.value("search_path", json::array()))),
                 fmt::format("Install cuDNN {} for CUDA {} (pip install nvidia-cudnn-cu{}), then put its lib directory "
                             "on LD_LIBRARY_PATH or in /etc/ld.so.conf.d and run ldconfig.",
                             Version::parse(built) ? Version::parse(built)->truncated(2).str() : built,
                             json_field(fp_["toolkit"], "cuda"),
                             Version::parse(json_field(fp_["toolkit"], "cuda")).value_or(Version({0})).major())});
            return;
        }
        const std::string shim_dir = fs::path(json_field(lib, "path")).parent_path().string();
        const json sublibraries = c.value("sublibraries", json::array());
        for (const auto& sub : sublibraries) {
            if (!sub.value("found", false)) {
                add({"cudnn.sublibrary_missing", Severity::Error,
                     fmt::format("cuDNN sub-library {} is missing: operations it provides fail with "
                                 "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE (cuDNN 9.19; "
                                 "SUBLIBRARY_LOADING_FAILED in earlier releases)",
                                 json_field(sub, "soname")),
                     fmt::format("the shim {} looks next to itself ({}) and on the loader's path; no {} there",
                                 json_field(lib, "path"), shim_dir, json_field(sub, "soname")),
                     fmt::format("Reinstall cuDNN {} completely (every libcudnn_*.so.{} belongs in {}).",
                                 json_field(c, "loaded"), Version::parse(json_field(c, "loaded")).value_or(Version({9})).major(),
                                 shim_dir)});
                continue;
            }
            const std::string path = json_field(sub, "path");
            if (!path.empty() && fs::path(path).parent_path().string() != shim_dir) {
                add({"cudnn.mixed_copies", Severity::Error,
                     fmt::format("cuDNN sub-library {} comes from another directory than the shim", json_field(sub, "soname")),
                     fmt::format("shim: {}; {}: {}", json_field(lib, "path"), json_field(sub, "soname"), path),
                     "Keep one cuDNN installation on the loader's path: remove the other copy or its directory from "
                     "LD_LIBRARY_PATH."});
            }
        }
        if (c.contains("query_error")) {
            add({"cudnn.aborts", Severity::Error, "cuDNN aborts the process on its first call (cudnnGetVersion)",
                 fmt::format("{} (shim {})", json_field(c, "query_error"), json_field(lib, "path")),
                 fmt::format("Install what the message says cannot be loaded: for libnvrtc.so NVIDIA's "
                             "nvidia-cuda-nvrtc wheel for your CUDA major (or the toolkit's lib64 on LD_LIBRARY_PATH); "
                             "for libcuda.so the NVIDIA driver; for a libcudnn_* file, reinstall cuDNN completely, "
                             "next to the shim in {}.",
                             shim_dir)});
        }
        const json checks = c.value("version_checks", json::object());
        for (const auto& [name, status] : checks.items()) {
            const std::string status_name = json_field(status, "name");
            if (status_name == "CUDNN_STATUS_SUCCESS") continue;
            if (status_name == "CRASH" || status_name == "TIMEOUT" || status_name == "FAILED") {
                // The probe ran the check in a child, which the library killed (cuDNN 8 and 9.1-9.13 abort), hung or
                // ended.
                add({"cudnn.sublibrary_aborts", Severity::Error,
                     fmt::format("cuDNN {} the process when it loads its {} sub-library",
                                 status_name == "CRASH"     ? "aborts"
                                 : status_name == "TIMEOUT" ? "hangs"
                                                            : "ends",
                                 name),
                     fmt::format("{} (shim {}, cuDNN {})", json_field(status, "message"), json_field(lib, "path"),
                                 json_field(c, "loaded")),
                     fmt::format("Install what the message says cannot be loaded: for libnvrtc.so NVIDIA's "
                                 "nvidia-cuda-nvrtc wheel for your CUDA major (or the toolkit's lib64 on "
                                 "LD_LIBRARY_PATH); for libcuda.so the NVIDIA driver; for a libcudnn_* file, reinstall "
                                 "cuDNN completely, next to the shim in {}.",
                                 shim_dir)});
                continue;
            }
            const bool mismatch = status_name.find("VERSION_MISMATCH") != std::string::npos;
            // A sub-library the scan above already reported missing needs no second finding from its check.
            const bool reported = std::any_of(sublibraries.begin(), sublibraries.end(), [&](const json& sub) {
                return !sub.value("found", false) && json_field(sub, "soname").rfind(fmt::format("libcudnn_{}.so", name), 0) == 0;
            });
            if (!mismatch && reported) continue;
            // Name the sub-library file the check is about, and the copies the probe saw on disk.
            std::string soname = fmt::format("libcudnn_{}.so", name);
            std::vector<std::string> on_disk;
            for (const auto& sub : sublibraries) {
                if (json_field(sub, "soname").rfind(soname + ".", 0) != 0) continue;
                soname = json_field(sub, "soname");
                for (const auto& copy : sub.value("copies", json::array()))
                    on_disk.push_back(fmt::format("{} (via {})", json_field(copy, "path"), json_field(copy, "via")));
            }
            add({mismatch ? "cudnn.mixed_copies" : "cudnn.sublibrary_missing", Severity::Error,
                 fmt::format("cuDNN's own check of its {} sub-library ({}) fails: {}", name, soname, status_name),
                 fmt::format("cudnn{}VersionCheck() = {} ({}); shim {} version {} looks for {} in {} (RUNPATH $ORIGIN) "
                             "and on the loader's path; copies on disk: {}",
                             name == "ops" ? "Ops" : name == "cnn" ? "Cnn" : name == "adv" ? "Adv" : "Graph",
                             status_name, json_field(status, "code"), json_field(lib, "path"), json_field(c, "loaded"), soname, shim_dir,
                             on_disk.empty() ? std::string("none") : fmt::format("{}", fmt::join(on_disk, ", "))),
                 mismatch ? fmt::format("Sub-libraries of two cuDNN versions are mixed: reinstall one cuDNN version "
                                        "({} next to the shim in {}) and remove the other copies from the loader's "
                                        "path.",
                                        json_field(c, "loaded"), shim_dir)
                          : fmt::format("Reinstall cuDNN {} completely ({} belongs in {}, next to the shim).",
                                        json_field(c, "loaded"), soname, shim_dir)});
        }
        const auto loaded = version(c, "loaded");
        const auto built_v = Version::parse(built);
        if (loaded && built_v) {
            if (loaded->major() != built_v->major()) {
                add({"cudnn.major_mismatch", Severity::Error,
                     fmt::format("The loaded cuDNN is another major version than the one the code was built with"),
                     fmt::format("Loaded runtime CuDNN library: {} but source was compiled with: {} ({})", loaded->str(),
                                 built_v->str(), json_field(lib, "path")),
                     fmt::format("Install cuDNN {}.x (>= {}) or rebuild against cuDNN {}.", built_v->major(),
                                 built_v->truncated(2).str(), loaded->str()),
                     "https://docs.nvidia.com/deeplearning/cudnn/latest/developer/forward-compatibility.html"});
            } else if (loaded->minor() < built_v->minor()) {
                add({"cudnn.older_than_built", Severity::Error,
                     "The loaded cuDNN is older than the one the code was built with: frameworks refuse it",
                     fmt::format("Loaded runtime CuDNN library: {} but source was compiled with: {}.  CuDNN library "
                                 "needs to have matching major version and equal or higher minor version. ({})",
                                 loaded->str(), built_v->str(), json_field(lib, "path")),
                     fmt::format("Upgrade cuDNN to {} or newer within {}.x, or remove the older copy ({}) from the "
                                 "loader's path.",
                                 built_v->truncated(2).str(), built_v->major(), json_field(lib, "real_path")),
                     "https://docs.nvidia.com/deeplearning/cudnn/latest/developer/forward-compatibility.html"});
            }
        }
        const auto cudnn_cuda = version(c, "cudart");
        const auto runtime = Version::parse(runtime_version());
        if (cudnn_cuda && runtime && cudnn_cuda->major() != runtime->major()) {
            add({"cudnn.cuda_major_mismatch", Severity::Error,
                 fmt::format("cuDNN was built for CUDA {} but the loaded CUDA runtime is {}", cudnn_cuda->major(),
                             runtime->str()),
                 fmt::format("cudnnGetCudartVersion() = {} ({}); cudaRuntimeGetVersion() = {} ({})", cudnn_cuda->str(),
                             json_field(lib, "path"), runtime->str(), json_field(fp_["runtime"]["library"], "path")),
                 fmt::format("Install the cuDNN build for CUDA {} (pip install nvidia-cudnn-cu{}).", runtime->major(),
                             runtime->major())});
        }
    }

    void check_cuda_home() {
        const json& env = fp_["env"];
        const std::string home = json_field(env, "CUDA_HOME");
        const std::string path = json_field(env, "CUDA_PATH");
        if (home.empty() && path.empty()) {
            add({"env.cuda_home.unset", Severity::Warning,
                 "CUDA_HOME and CUDA_PATH are unset: build tools guess the toolkit (`which nvcc`, then /usr/local/cuda)",
                 "CUDA_HOME=(unset) CUDA_PATH=(unset)",
                 "Set CUDA_HOME to the toolkit the runtime comes from, e.g. export CUDA_HOME=/usr/local/cuda-" +
                     runtime_version()});
            return;
        }
        for (const auto& [name, value] : {std::pair{"CUDA_HOME", home}, std::pair{"CUDA_PATH", path}}) {
            if (value.empty()) continue;
            std::error_code ec;
            if (!fs::is_directory(value, ec)) {
                add({fmt::format("env.{}.missing", name == std::string("CUDA_HOME") ? "cuda_home" : "cuda_path"),
                     Severity::Error, fmt::format("{} names a directory that does not exist", name),
                     fmt::format("{}={}", name, value),
                     fmt::format("Point {} at an installed toolkit (the directory holding bin/nvcc and include/), or "
                                 "unset it.",
                                 name)});
                continue;
            }
            const auto at = toolkit_version_at(value);
            const auto runtime = Version::parse(runtime_version());
            if (at && runtime && at->truncated(2) != runtime->truncated(2)) {
                add({fmt::format("env.{}.other_toolkit", name == std::string("CUDA_HOME") ? "cuda_home" : "cuda_path"),
                     Severity::Warning,
                     fmt::format("{} names CUDA {} but the loaded runtime is CUDA {}", name, at->str(), runtime->str()),
                     fmt::format("{}={} (include/cuda_runtime_api.h: CUDART_VERSION {}); runtime {}", name, value,
                                 at->str(), json_field(fp_["runtime"]["library"], "path")),
                     fmt::format("Point {} at the CUDA {} toolkit, so extensions are built for the runtime they run "
                                 "with.",
                                 name, runtime->str())});
            }
        }
    }

    void check_ld_library_path() {
        const std::string value = json_field(fp_["env"], "LD_LIBRARY_PATH");
        if (value.empty()) return;
        std::map<std::string, std::vector<std::string>> copies;  // soname -> dirs holding it
        const std::vector<std::string> sonames = {json_field(fp_["cudnn"]["library"], "soname"),
                                                  json_field(fp_["runtime"]["library"], "soname"),
                                                  json_field(fp_["cublas"]["library"], "soname")};
        for (const auto& dir : split(value, ':')) {
            std::error_code ec;
            if (dir.empty()) {
                add({"env.ld_library_path.empty_entry", Severity::Warning,
                     "LD_LIBRARY_PATH has an empty entry, which the loader reads as the current directory",
                     "LD_LIBRARY_PATH=" + value, "Remove the empty entry (a leading, trailing or doubled ':')."});
                continue;
            }
            if (!fs::is_directory(dir, ec)) {
                add({"env.ld_library_path.missing_dir", Severity::Warning,
                     fmt::format("LD_LIBRARY_PATH names a directory that does not exist: {}", dir),
                     "LD_LIBRARY_PATH=" + value, fmt::format("Remove {} from LD_LIBRARY_PATH (or install what should be there).", dir)});
                continue;
            }
            for (const auto& soname : sonames) {
                if (!soname.empty() && fs::exists(fs::path(dir) / soname, ec)) copies[soname].push_back(dir);
            }
        }
        for (const auto& [soname, dirs] : copies) {
            std::vector<std::string> reals;
            for (const auto& d : dirs) reals.push_back(fs::canonical(fs::path(d) / soname).string());
            std::sort(reals.begin(), reals.end());
            if (std::unique(reals.begin(), reals.end()) - reals.begin() < 2) continue;
            add({"env.ld_library_path.conflict", Severity::Warning,
                 fmt::format("LD_LIBRARY_PATH holds {} copies of {}: the first wins, whatever its version", dirs.size(),
                             soname),
                 fmt::format("{} in: {}", soname, fmt::join(dirs, ", ")),
                 fmt::format("Keep one directory with {} on LD_LIBRARY_PATH.", soname)});
        }
    }

    void check_visible_devices() {
        const json& env = fp_["env"];
        if (!env.contains("CUDA_VISIBLE_DEVICES") || env["CUDA_VISIBLE_DEVICES"].is_null()) return;
        const std::string value = env["CUDA_VISIBLE_DEVICES"].get<std::string>();
        const json& gpus = fp_["gpus"];
        const bool driver = fp_["driver"].value("present", false);
        if (value.empty()) {
            add({"env.cuda_visible_devices.empty", Severity::Error,
                 "CUDA_VISIBLE_DEVICES is set to the empty string: the CUDA runtime sees no GPU",
                 "CUDA_VISIBLE_DEVICES=\"\" (set but empty; unset means all GPUs)",
                 "unset CUDA_VISIBLE_DEVICES, or list the GPUs to use (e.g. CUDA_VISIBLE_DEVICES=0)",
                 "https://docs.nvidia.com/cuda/cuda-programming-guide/05-appendices/environment-variables.html"});
            return;
        }
        // An invalid entry hides itself and every entry after it.
        std::size_t visible = 0;
        std::string bad;
        std::string why;
        static const std::regex index_re(R"(^\s*\d+\s*$)");
        static const std::regex uuid_re(R"(^\s*(GPU|MIG)-[0-9a-fA-F/-]+\s*$)");
        for (const auto& token : split(value, ',')) {
            if (std::regex_match(token, index_re)) {
                const auto index = std::stoul(token);
                if (driver && index >= gpus.size()) {
                    bad = token;
                    why = fmt::format("index {} is out of range ({} GPU{} present)", index, gpus.size(),
                                      gpus.size() == 1 ? "" : "s");
                    break;
                }
            } else if (std::regex_match(token, uuid_re)) {
                if (driver && !gpus.empty()) {
                    const bool known = std::any_of(gpus.begin(), gpus.end(), [&](const json& g) {
                        return json_field(g, "uuid").rfind(token.substr(token.find_first_not_of(' ')), 0) == 0;
                    });
                    if (!known) {
                        bad = token;
                        why = "no GPU has this UUID";
                        break;
                    }
                }
            } else {
                bad = token;
                why = "not an index or a GPU-/MIG- UUID";
                break;
            }
            ++visible;
        }
        if (bad.empty()) return;
        const bool none = visible == 0;
        add({none ? "env.cuda_visible_devices.none" : "env.cuda_visible_devices.truncated",
             none ? Severity::Error : Severity::Warning,
             none ? fmt::format("CUDA_VISIBLE_DEVICES hides every GPU: its first entry \"{}\" is invalid", bad)
                  : fmt::format("CUDA_VISIBLE_DEVICES stops at its invalid entry \"{}\": only the {} entr{} before it "
                                "are visible",
                                bad, visible, visible == 1 ? "y" : "ies"),
             fmt::format("CUDA_VISIBLE_DEVICES=\"{}\": \"{}\" is {}; the runtime then sees {} device{}", value, bad, why,
                         visible, visible == 1 ? "" : "s"),
             "Use valid indices (0..N-1) or full GPU UUIDs (nvidia-smi -L), or unset CUDA_VISIBLE_DEVICES to see all GPUs.",
             "https://docs.nvidia.com/cuda/cuda-programming-guide/05-appendices/environment-variables.html"});
    }

    void check_gpus() {
        if (!fp_["gpus"].empty()) return;
        std::string why;
        const json& err = fp_.value("gpu_error", json::object());
        if (!fp_["driver"].value("present", false)) {
            why = "no NVIDIA driver (libcuda.so.1 not found)";
        } else if (!err.empty()) {
            why = fmt::format("{}() returned {} ({}): {}", json_field(err, "call", "cuInit"), json_field(err, "name"), json_field(err, "code"),
                              json_field(err, "message"));
        } else {
            why = "the driver reports 0 devices";
        }
        const std::string visible = json_field(fp_["env"], "CUDA_VISIBLE_DEVICES", "(unset)");
        add({"gpu.none", Severity::Error,
             "No usable GPU: TensorFlow, PyTorch and JAX silently run on the CPU",
             fmt::format("{}; CUDA_VISIBLE_DEVICES={}; NVIDIA_VISIBLE_DEVICES={}", why, visible,
                         json_field(fp_["env"], "NVIDIA_VISIBLE_DEVICES", "(unset)")),
             "Fix the findings above (driver, CUDA_VISIBLE_DEVICES); then `nvidia-smi` must list the GPU and this "
             "command must show it."});
    }

    json fp_;
    std::vector<Finding> findings_;
};

}  // namespace

std::string json_field(const json& j, const char* key, const std::string& fallback) {
    if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string_view to_string(Severity severity) {
    switch (severity) {
        case Severity::Info: return "info";
        case Severity::Warning: return "warning";
        case Severity::Error: return "error";
    }
    return "?";
}

std::vector<Finding> examine(const results::Fingerprint& fingerprint) {
    return Examiner(results::to_json(fingerprint)).run();
}

json to_json(const std::vector<Finding>& findings, const results::Fingerprint& fingerprint) {
    json list = json::array();
    int errors = 0;
    for (const auto& f : findings) {
        errors += f.severity == Severity::Error;
        json j{{"id", f.id}, {"severity", to_string(f.severity)}, {"title", f.title}, {"evidence", f.evidence},
               {"fix", f.fix}};
        if (!f.source.empty()) j["source"] = f.source;
        list.push_back(j);
    }
    return {{"schema", "cuconform.doctor/1"},
            {"healthy", errors == 0},
            {"findings", list},
            {"fingerprint", results::to_json(fingerprint)}};
}

}  // namespace cuconform::doctor
