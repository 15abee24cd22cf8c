// SPDX-License-Identifier: Apache-2.0
/// \file The doctor's checks: each reads the fingerprint and says what is wrong, the evidence, the fix. The library
/// checks read the stack being examined: the consumer's when the fingerprint has one, else this program's.
#include "doctor/doctor.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/version.h"
#include "doctor/framework_checks.h"
#include "doctor/requirements.h"

namespace cuconform::doctor {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> parts;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
    if (!text.empty() && text.back() == sep) parts.emplace_back();
    return parts;
}

std::optional<Version> parsed(const std::optional<std::string>& text) {
    return text ? Version::parse(*text) : std::nullopt;
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

std::string searched(const results::LoadRecord& lib) {
    return lib.search_path.empty() ? std::string("the loader's path")
                                   : fmt::format("{}", fmt::join(lib.search_path, ", "));
}

class Examiner {
public:
    Examiner(const results::Fingerprint& fp, const Context& context)
        : fp_(fp), context_(context), view_(stack_view(fp)) {}

    std::vector<Finding> run() {
        if (fp_.consumer) check_consumer_problems();
        check_driver();
        check_runtime();
        check_cudnn();
        if (fp_.consumer) framework_findings(fp_, findings_);
        check_cuda_home();
        check_ld_library_path();
        check_visible_devices();
        check_gpus();
        if (!fp_.consumer) hint_environments();
        std::stable_sort(findings_.begin(), findings_.end(),
                         [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
        return findings_;
    }

private:
    void add(Finding f) { findings_.push_back(std::move(f)); }

    std::string runtime_version() const { return view_.runtime->version.value_or(""); }

    /// How the consumer's search found (or did not find) a library, for evidence.
    std::string consumer_search(const results::LoadRecord& lib) const {
        if (!fp_.consumer)
            return fmt::format("dlopen(\"{}\"): {}; searched: {} and ld.so.cache", lib.soname, lib.error,
                               searched(lib));
        for (const auto& r : fp_.consumer->libraries) {
            if (fs::path(r.soname).filename() == lib.soname) return fmt::format("{}: {}", r.soname, r.why);
        }
        return fmt::format("{}: the consumer ({}) does not ask for it", lib.soname, fp_.consumer->path);
    }

    void check_consumer_problems() {
        const auto& c = *fp_.consumer;
        for (const auto& problem : c.problems) {
            if (problem.rfind("import ", 0) == 0 || problem.rfind("loading ", 0) == 0) continue;  // framework_findings
            add({"consumer.unexaminable", Severity::Error, fmt::format("The consumer {} cannot be examined", c.path),
                 problem,
                 "Repair or recreate the environment (python3 -m venv --clear DIR, then reinstall the framework), or "
                 "point --python at a working interpreter."});
        }
        if (!c.confirm_error.empty()) {
            add({"consumer.confirm_failed", Severity::Warning,
                 "The libraries the consumer loads could not be confirmed by loading them in a child", c.confirm_error,
                 "The paths shown come from the loader's rules only; the child's message says which library failed."});
        }
        for (const auto& r : c.libraries) {
            if (!r.found || !r.mapped) continue;
            std::error_code ec;
            const auto mapped = fs::canonical(*r.mapped, ec);
            if (!ec && mapped.string() != r.real_path) {
                add({"consumer.model_disagrees", Severity::Warning,
                     fmt::format("The real loader mapped another {} than the loader's rules predict", r.soname),
                     fmt::format("predicted {} ({}); mapped {} in a child that made the same loads", r.path, r.why,
                                 *r.mapped),
                     "Trust the mapped copy; report this with the fingerprint (`cuconform probe --python ...`)."});
            }
        }
    }

    void check_driver() {
        const auto& d = fp_.driver;
        const std::string rt = runtime_version();
        const auto req = rt.empty() ? std::nullopt : driver_requirement(rt);
        if (!d.present) {
            Finding f{"driver.missing", Severity::Error,
                      "No NVIDIA driver: libcuda.so.1 cannot be loaded, so no GPU is usable and frameworks fall back "
                      "to the CPU",
                      fmt::format("dlopen(\"{}\"): {}; searched: {} and ld.so.cache", d.library.soname, d.library.error,
                                  searched(d.library))};
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
        const auto driver_cuda = parsed(d.cuda);
        const auto runtime = Version::parse(rt);
        if (!driver_cuda || !runtime || *driver_cuda >= runtime->truncated(2)) return;
        const std::string driver_version = d.version.value_or("unknown");
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
                 fmt::format("Upgrade the driver to >= {} for full CUDA {} support.", req->min_driver, rt),
                 req->source});
            return;
        }
        add({"driver.too_old", Severity::Error,
             "The driver is older than the CUDA runtime needs: cudaErrorInsufficientDriver (35) on the first CUDA call",
             fmt::format("driver {} supports CUDA {}; the loaded runtime {} ({}) needs driver >= {}", driver_version,
                         driver_cuda->str(), rt, view_.runtime->library.path,
                         req ? req->min_driver : std::string("(unknown: not in the knowledge base)")),
             fmt::format(
                 "Upgrade the NVIDIA driver to >= {}, or use a CUDA {} runtime (a framework build for CUDA {}).",
                 req ? req->min_driver : std::string("the version the CUDA release notes give"), driver_cuda->str(),
                 driver_cuda->str()),
             req ? req->source : ""});
    }

    void check_runtime() {
        const auto& r = *view_.runtime;
        if (r.present) return;
        const auto fix = framework_fix(fp_, "cudart");
        add({"runtime.missing", Severity::Error,
             fmt::format("The CUDA runtime {} cannot be loaded{}", r.library.soname, consumer_words()),
             consumer_search(r.library),
             fix ? *fix
                 : fmt::format(
                       "Install the CUDA {} runtime (pip install nvidia-cuda-runtime, or the toolkit), then add "
                       "its lib directory to LD_LIBRARY_PATH or run ldconfig.",
                       fp_.toolkit.cuda)});
    }

    /// " by torch 2.15.0 (VENV)" in consumer mode, "" otherwise.
    std::string consumer_words() const {
        if (!fp_.consumer) return "";
        if (const auto* fw = view_.framework)
            return fmt::format(" by {} {} ({})", fw->name, fw->version, fp_.consumer->path);
        return fmt::format(" by the consumer {}", fp_.consumer->path);
    }

    void check_cudnn() {
        const auto& c = *view_.cudnn;
        const auto& lib = c.library;
        const std::string built = c.built;
        if (!c.present) {
            const auto fix = framework_fix(fp_, "cudnn");
            const auto built_v = Version::parse(built);
            add({"cudnn.missing", Severity::Error,
                 fmt::format("cuDNN cannot be loaded ({}){}: frameworks disable cuDNN layers (Keras LSTM raises "
                             "NotImplementedError, TensorFlow logs \"Could not load dynamic library\")",
                             lib.soname, consumer_words()),
                 consumer_search(lib),
                 fix ? *fix
                     : fmt::format("Install cuDNN {} for CUDA {} (pip install nvidia-cudnn-cu{}), then put its lib "
                                   "directory on LD_LIBRARY_PATH or in /etc/ld.so.conf.d and run ldconfig.",
                                   built_v ? built_v->truncated(2).str() : built, fp_.toolkit.cuda,
                                   Version::parse(fp_.toolkit.cuda).value_or(Version({0})).major())});
            return;
        }
        const std::string shim_dir = fs::path(lib.path).parent_path().string();
        const std::string loaded = c.loaded.value_or("");
        const int major = Version::parse(loaded).value_or(Version({9})).major();
        for (const auto& sub : c.sublibraries) {
            if (!sub.found) {
                add({"cudnn.sublibrary_missing", Severity::Error,
                     fmt::format("cuDNN sub-library {} is missing: operations it provides fail with "
                                 "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE (cuDNN 9.19; "
                                 "SUBLIBRARY_LOADING_FAILED in earlier releases)",
                                 sub.soname),
                     fmt::format("the shim {} (cuDNN {}) names {} and looks next to itself ({}) and on the loader's "
                                 "path; no {} there",
                                 lib.path, loaded, sub.soname, shim_dir, sub.soname),
                     framework_fix(fp_, "cudnn")
                         .value_or(fmt::format("Reinstall cuDNN {} completely (every libcudnn_*.so.{} belongs in {}).",
                                               loaded, major, shim_dir))});
                continue;
            }
            std::error_code ec;
            if (!sub.path.empty() && fs::path(sub.path).parent_path().string() != shim_dir &&
                fs::weakly_canonical(fs::path(sub.path).parent_path(), ec) != fs::weakly_canonical(shim_dir, ec)) {
                add({"cudnn.mixed_copies", Severity::Error,
                     fmt::format("cuDNN sub-library {} comes from another directory than the shim", sub.soname),
                     fmt::format("shim: {}; {}: {}", lib.path, sub.soname, sub.path),
                     "Keep one cuDNN installation on the loader's path: remove the other copy or its directory from "
                     "LD_LIBRARY_PATH."});
            }
        }
        if (c.query_error) {
            add({"cudnn.aborts", Severity::Error, "cuDNN aborts the process on its first call (cudnnGetVersion)",
                 fmt::format("{} (shim {})", *c.query_error, lib.path),
                 fmt::format("Install what the message says cannot be loaded: for libnvrtc.so NVIDIA's "
                             "nvidia-cuda-nvrtc wheel for your CUDA major (or the toolkit's lib64 on LD_LIBRARY_PATH); "
                             "for libcuda.so the NVIDIA driver; for a libcudnn_* file, reinstall cuDNN completely, "
                             "next to the shim in {}.",
                             shim_dir)});
        }
        for (const auto& [name, status] : c.version_checks) {
            const std::string& status_name = status.name;
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
                     fmt::format("{} (shim {}, cuDNN {})", status.message, lib.path, loaded),
                     fmt::format("Install what the message says cannot be loaded: for libnvrtc.so NVIDIA's "
                                 "nvidia-cuda-nvrtc wheel for your CUDA major (or the toolkit's lib64 on "
                                 "LD_LIBRARY_PATH); for libcuda.so the NVIDIA driver; for a libcudnn_* file, reinstall "
                                 "cuDNN completely, next to the shim in {}.",
                                 shim_dir)});
                continue;
            }
            const bool mismatch = status_name.find("VERSION_MISMATCH") != std::string::npos;
            // A sub-library the scan above already reported missing needs no second finding from its check.
            const std::string prefix = fmt::format("libcudnn_{}.so", name);
            const bool reported = std::any_of(c.sublibraries.begin(), c.sublibraries.end(), [&](const auto& sub) {
                return !sub.found && sub.soname.rfind(prefix, 0) == 0;
            });
            if (!mismatch && reported) continue;
            // Name the sub-library file the check is about, and the copies the probe saw on disk.
            std::string soname = prefix;
            std::vector<std::string> on_disk;
            for (const auto& sub : c.sublibraries) {
                if (sub.soname.rfind(prefix + ".", 0) != 0) continue;
                soname = sub.soname;
                for (const auto& copy : sub.copies) on_disk.push_back(fmt::format("{} (via {})", copy.path, copy.via));
            }
            add({mismatch ? "cudnn.sublibrary_version_mismatch" : "cudnn.sublibrary_check_failed", Severity::Error,
                 mismatch ? fmt::format("cuDNN's {} sub-library is another version than the shim", name)
                          : fmt::format("cuDNN's {} sub-library fails its version check", name),
                 fmt::format("cudnn{}VersionCheck() = {} ({}); shim {} (cuDNN {}); {} is looked for next to the shim "
                             "({}) and on the loader's path; copies on disk: {}",
                             name == "ops"   ? "Ops"
                             : name == "cnn" ? "Cnn"
                             : name == "adv" ? "Adv"
                                             : "Graph",
                             status_name, status.code, lib.path, loaded, soname, shim_dir,
                             on_disk.empty() ? std::string("none") : fmt::format("{}", fmt::join(on_disk, ", "))),
                 mismatch ? fmt::format("Sub-libraries of two cuDNN versions are mixed: reinstall one cuDNN version "
                                        "({} next to the shim in {}) and remove the other copies from the loader's "
                                        "path.",
                                        loaded, shim_dir)
                          : fmt::format("Reinstall cuDNN {} completely ({} belongs in {}, next to the shim).", loaded,
                                        soname, shim_dir)});
        }
        // Built against: this program's headers, or (for a consumer) its framework's own rule in framework_findings.
        const auto loaded_v = parsed(c.loaded);
        const auto built_v = Version::parse(built);
        if (!fp_.consumer && loaded_v && built_v) {
            if (loaded_v->major() != built_v->major()) {
                add({"cudnn.major_mismatch", Severity::Error,
                     "The loaded cuDNN is another major version than the one the code was built with",
                     fmt::format("Loaded runtime CuDNN library: {} but source was compiled with: {} ({})",
                                 loaded_v->str(), built_v->str(), lib.path),
                     fmt::format("Install cuDNN {}.x (>= {}) or rebuild against cuDNN {}.", built_v->major(),
                                 built_v->truncated(2).str(), loaded_v->str()),
                     "https://docs.nvidia.com/deeplearning/cudnn/latest/developer/forward-compatibility.html"});
            } else if (loaded_v->minor() < built_v->minor()) {
                add({"cudnn.older_than_built", Severity::Error,
                     "The loaded cuDNN is older than the one the code was built with: frameworks refuse it",
                     fmt::format("Loaded runtime CuDNN library: {} but source was compiled with: {}.  CuDNN library "
                                 "needs to have matching major version and equal or higher minor version. ({})",
                                 loaded_v->str(), built_v->str(), lib.path),
                     fmt::format("Upgrade cuDNN to {} or newer within {}.x, or remove the older copy ({}) from the "
                                 "loader's path.",
                                 built_v->truncated(2).str(), built_v->major(), lib.real_path),
                     "https://docs.nvidia.com/deeplearning/cudnn/latest/developer/forward-compatibility.html"});
            }
        }
        const auto cudnn_cuda = parsed(c.cudart);
        const auto runtime = Version::parse(runtime_version());
        if (cudnn_cuda && runtime && cudnn_cuda->major() != runtime->major()) {
            add({"cudnn.cuda_major_mismatch", Severity::Error,
                 fmt::format("cuDNN was built for CUDA {} but the loaded CUDA runtime is {}", cudnn_cuda->major(),
                             runtime->str()),
                 fmt::format("cudnnGetCudartVersion() = {} ({}); cudaRuntimeGetVersion() = {} ({})", cudnn_cuda->str(),
                             lib.path, runtime->str(), view_.runtime->library.path),
                 framework_fix(fp_, "cudnn")
                     .value_or(fmt::format("Install the cuDNN build for CUDA {} (pip install nvidia-cudnn-cu{}).",
                                           runtime->major(), runtime->major()))});
        }
    }

    void check_cuda_home() {
        const std::string home = fp_.env_value("CUDA_HOME").value_or("");
        const std::string path = fp_.env_value("CUDA_PATH").value_or("");
        if (home.empty() && path.empty()) {
            add({"env.cuda_home.unset", Severity::Warning,
                 "CUDA_HOME and CUDA_PATH are unset: build tools guess the toolkit (`which nvcc`, then "
                 "/usr/local/cuda)",
                 "CUDA_HOME=(unset) CUDA_PATH=(unset)",
                 "Set CUDA_HOME to the toolkit the runtime comes from, e.g. export CUDA_HOME=/usr/local/cuda-" +
                     runtime_version()});
            return;
        }
        for (const auto& [name, value] : {std::pair{"CUDA_HOME", home}, std::pair{"CUDA_PATH", path}}) {
            if (value.empty()) continue;
            std::error_code ec;
            const std::string id = name == std::string("CUDA_HOME") ? "cuda_home" : "cuda_path";
            if (!fs::is_directory(value, ec)) {
                add({fmt::format("env.{}.missing", id), Severity::Error,
                     fmt::format("{} names a directory that does not exist", name), fmt::format("{}={}", name, value),
                     fmt::format("Point {} at an installed toolkit (the directory holding bin/nvcc and include/), or "
                                 "unset it.",
                                 name)});
                continue;
            }
            const auto at = toolkit_version_at(value);
            const auto runtime = Version::parse(runtime_version());
            if (at && runtime && at->truncated(2) != runtime->truncated(2)) {
                add({fmt::format("env.{}.other_toolkit", id), Severity::Warning,
                     fmt::format("{} names CUDA {} but the loaded runtime is CUDA {}", name, at->str(), runtime->str()),
                     fmt::format("{}={} (include/cuda_runtime_api.h: CUDART_VERSION {}); runtime {}", name, value,
                                 at->str(), view_.runtime->library.path),
                     fmt::format("Point {} at the CUDA {} toolkit, so extensions are built for the runtime they run "
                                 "with.",
                                 name, runtime->str())});
            }
        }
    }

    void check_ld_library_path() {
        const std::string value = fp_.env_value("LD_LIBRARY_PATH").value_or("");
        if (value.empty()) return;
        std::map<std::string, std::vector<std::string>> copies;  // soname -> dirs holding it
        const std::vector<std::string> sonames = {view_.cudnn->library.soname, view_.runtime->library.soname,
                                                  view_.cublas->library.soname};
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
                     "LD_LIBRARY_PATH=" + value,
                     fmt::format("Remove {} from LD_LIBRARY_PATH (or install what should be there).", dir)});
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
        const auto it = fp_.env.find("CUDA_VISIBLE_DEVICES");
        if (it == fp_.env.end() || !it->second) return;
        const std::string value = *it->second;
        const auto& gpus = fp_.gpus;
        const bool driver = fp_.driver.present;
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
                    const std::string wanted = token.substr(token.find_first_not_of(' '));
                    const bool known = std::any_of(gpus.begin(), gpus.end(), [&](const results::Gpu& g) {
                        return g.uuid.value_or("").rfind(wanted, 0) == 0;
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
             fmt::format("CUDA_VISIBLE_DEVICES=\"{}\": \"{}\" is {}; the runtime then sees {} device{}", value, bad,
                         why, visible, visible == 1 ? "" : "s"),
             "Use valid indices (0..N-1) or full GPU UUIDs (nvidia-smi -L), or unset CUDA_VISIBLE_DEVICES to see all "
             "GPUs.",
             "https://docs.nvidia.com/cuda/cuda-programming-guide/05-appendices/environment-variables.html"});
    }

    void check_gpus() {
        if (!fp_.gpus.empty()) return;
        std::string why;
        if (!fp_.driver.present) {
            why = "no NVIDIA driver (libcuda.so.1 not found)";
        } else if (const auto& err = fp_.gpu_error) {
            why = fmt::format("{}() returned {} ({}): {}", err->call.value_or("cuInit"), err->name,
                              err->code ? std::to_string(*err->code) : std::string("?"), err->message);
        } else {
            why = "the driver reports 0 devices";
        }
        add({"gpu.none", Severity::Error, "No usable GPU: TensorFlow, PyTorch and JAX silently run on the CPU",
             fmt::format("{}; CUDA_VISIBLE_DEVICES={}; NVIDIA_VISIBLE_DEVICES={}", why,
                         fp_.env_value("CUDA_VISIBLE_DEVICES").value_or("(unset)"),
                         fp_.env_value("NVIDIA_VISIBLE_DEVICES").value_or("(unset)")),
             "Fix the findings above (driver, CUDA_VISIBLE_DEVICES); then `nvidia-smi` must list the GPU and this "
             "command must show it."});
    }

    void hint_environments() {
        if (context_.environments.empty()) return;
        std::vector<std::string> lines, commands;
        for (const auto& env : context_.environments) {
            lines.push_back(fmt::format("{} ({})", env.python, fmt::join(env.frameworks, ", ")));
            commands.push_back(fmt::format("cuconform doctor --python {}", env.python));
        }
        add({"consumer.environments_on_path", Severity::Info,
             "This is the stack of a program started here; Python environments on PATH hold frameworks that load "
             "their own copies",
             fmt::format("{}", fmt::join(lines, "; ")),
             fmt::format("Examine the stack a framework really loads: {} (or activate the venv and run cuconform "
                         "doctor).",
                         fmt::join(commands, " ; "))});
    }

    const results::Fingerprint& fp_;
    const Context& context_;
    StackView view_;
    std::vector<Finding> findings_;
};

}  // namespace

std::string_view to_string(Severity severity) {
    switch (severity) {
        case Severity::Info:
            return "info";
        case Severity::Warning:
            return "warning";
        case Severity::Error:
            return "error";
    }
    return "?";
}

std::vector<Finding> examine(const results::Fingerprint& fingerprint, const Context& context) {
    return Examiner(fingerprint, context).run();
}

json to_json(const std::vector<Finding>& findings, const results::Fingerprint& fingerprint) {
    json list = json::array();
    int errors = 0;
    for (const auto& f : findings) {
        errors += f.severity == Severity::Error;
        json j{{"id", f.id},
               {"severity", to_string(f.severity)},
               {"title", f.title},
               {"evidence", f.evidence},
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
