// SPDX-License-Identifier: Apache-2.0
/// \file Frameworks from their files, their loading code replayed on the ld.so model, and their own checks.
#include "consumer/frameworks.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "consumer/elf.h"
#include "consumer/framework_scripts.h"
#include "core/version.h"
#include "results/record_io.h"

namespace cuconform::consumer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kMarker = "@@cuconform@@";

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// The first `group` of `re` in `text`, or "".
std::string first_match(const std::string& text, const std::regex& re, int group = 1) {
    std::smatch m;
    return std::regex_search(text, m, re) ? m[group].str() : std::string();
}

/// The first sys.path entry holding `rel` (what `import` finds first).
std::optional<fs::path> on_sys_path(const results::Python& python, const std::string& rel) {
    for (const auto& entry : python.sys_path) {
        std::error_code ec;
        if (fs::exists(fs::path(entry) / rel, ec)) return fs::path(entry);
    }
    return std::nullopt;
}

/// "nvidia-cudnn-cu13==9.26.0.51; platform_system == \"Linux\"" -> a Pin, for the stack's distributions only.
std::optional<results::Pin> pin_of(const std::string& requirement, const Distributions& dists) {
    static const std::regex re(
        R"(^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*\(?\s*([^;()]*)\)?\s*(;\s*(.*))?$)");
    std::smatch m;
    if (!std::regex_match(requirement, m, re)) return std::nullopt;
    const std::string name = normalize_name(m[1].str());
    if (name.rfind("nvidia-", 0) != 0 && name != "cuda-toolkit") return std::nullopt;
    std::string spec = m[3].str();
    spec.erase(std::remove(spec.begin(), spec.end(), ' '), spec.end());
    results::Pin pin{name, spec, m[5].str(), std::nullopt};
    if (const auto* d = dists.find(name)) pin.installed = d->version;
    return pin;
}

std::vector<results::Pin> pins_of(const Distribution* dist, const Distributions& dists) {
    std::vector<results::Pin> pins;
    if (dist == nullptr) return pins;
    for (const auto& requirement : dists.requires_dist(*dist)) {
        if (auto pin = pin_of(requirement, dists)) pins.push_back(std::move(*pin));
    }
    return pins;
}

/// "9.26.0.51" (a wheel's version) -> "9.26.0".
std::string three(const std::string& version) {
    const auto v = Version::parse(version.substr(0, version.find_first_not_of("0123456789.")));
    return v ? v->truncated(3).str() : version;
}

std::optional<results::Framework> find_torch(const results::Python& python, const Distributions& dists) {
    const auto site = on_sys_path(python, "torch/__init__.py");
    if (!site) return std::nullopt;
    results::Framework fw;
    fw.name = "torch";
    fw.location = (*site / "torch").string();
    const std::string version_py = read_text(*site / "torch/version.py");
    static const std::regex version_re(R"(__version__\s*=\s*['"]([^'"]+)['"])");
    static const std::regex cuda_re(R"((^|\n)cuda\s*(:[^=\n]*)?=\s*['"]([^'"]+)['"])");
    fw.version = first_match(version_py, version_re);
    if (const auto cuda = first_match(version_py, cuda_re, 3); !cuda.empty()) fw.built["cuda"] = cuda;
    fw.built_source = "torch/version.py";
    fw.pins = pins_of(dists.find("torch"), dists);
    for (const auto& pin : fw.pins) {
        // torch is built against the cuDNN it pins exactly (torch 2.15.0: nvidia-cudnn-cu13==9.26.0.51, compiled
        // against (9, 26, 0) as torch._C._cudnn.getCompileVersion() says).
        if (pin.package.rfind("nvidia-cudnn-cu", 0) == 0 && pin.spec.rfind("==", 0) == 0) {
            fw.built["cudnn"] = three(pin.spec.substr(2));
            fw.built_source += "; cuDNN from the Requires-Dist pin " + pin.package + pin.spec;
        }
    }
    fw.native = (*site / "torch/lib/libtorch_cuda.so").string();
    return fw;
}

std::optional<results::Framework> find_jax(const results::Python& python, const Distributions& dists, bool ask_builds,
                                           double timeout_s) {
    for (const char* major : {"13", "12"}) {
        const std::string plugin = fmt::format("jax_plugins/xla_cuda{}/__init__.py", major);
        const auto site = on_sys_path(python, plugin);
        if (!site) continue;
        results::Framework fw;
        fw.name = "jax";
        static const std::regex version_re(R"(_version\s*=\s*['"]([^'"]+)['"])");
        if (const auto jax = on_sys_path(python, "jax/version.py"))
            fw.version = first_match(read_text(*jax / "jax/version.py"), version_re);
        fw.location = (*site / fmt::format("jax_plugins/xla_cuda{}", major)).string();
        fw.native = (*site / fmt::format("jax_plugins/xla_cuda{}/xla_cuda_plugin.so", major)).string();
        const std::string package = fmt::format("jax-cuda{}-plugin", major);
        fw.pins = pins_of(dists.find(package), dists);
        if (const auto* d = dists.find(package)) fw.built["plugin"] = d->version;
        fw.built_source = fmt::format("the {} dist-info", package);
        if (ask_builds) {
            // The build versions are compiled into jax_cudaNN_plugin._versions; importing it initialises nothing.
            const std::string script = fmt::format(
                "import json, importlib\nv = importlib.import_module('jax_cuda{}_plugin._versions')\n"
                "print('{}' + json.dumps({{n[:-14]: getattr(v, n)() for n in dir(v) if "
                "n.endswith('_build_version')}}))\n",
                major, kMarker);
            process::Options options;
            options.timeout_s = timeout_s;
            const auto result = process::run({python.executable, "-c", script}, options);
            const auto at = result.out.rfind(kMarker);
            if (result.ok() && at != std::string::npos) {
                const json builds = json::parse(result.out.substr(at + std::strlen(kMarker)), nullptr, false);
                if (builds.is_object()) {
                    if (builds.contains("cudnn"))
                        fw.built["cudnn"] = Version::from_cudnn_int(builds["cudnn"].get<long>()).str();
                    if (builds.contains("cuda_runtime"))
                        fw.built["cuda"] = Version::from_cuda_int(builds["cuda_runtime"].get<int>()).str();
                    if (builds.contains("cublas")) {
                        const long v = builds["cublas"].get<long>();  // 120901: 12.9.1
                        fw.built["cublas"] = fmt::format("{}.{}.{}", v / 10000, (v / 100) % 100, v % 100);
                    }
                    fw.built_source = fmt::format("jax_cuda{}_plugin._versions (*_build_version())", major);
                }
            }
        }
        return fw;
    }
    return std::nullopt;
}

std::optional<results::Framework> find_tensorflow(const results::Python& python, const Distributions& dists) {
    const auto site = on_sys_path(python, "tensorflow/python/platform/build_info.py");
    if (!site) return std::nullopt;
    results::Framework fw;
    fw.name = "tensorflow";
    fw.location = (*site / "tensorflow").string();
    const std::string info = read_text(*site / "tensorflow/python/platform/build_info.py");
    // build_info = collections.OrderedDict([('cuda_version', '12.5.1'), ('cudnn_version', '9'), ...]) (2.21), or a
    // dict literal in other releases.
    static const std::regex cuda_re(R"(['"]cuda_version['"]\s*[:,]\s*['"]([^'"]*)['"])");
    static const std::regex cudnn_re(R"(['"]cudnn_version['"]\s*[:,]\s*['"]([^'"]*)['"])");
    if (const auto v = first_match(info, cuda_re); !v.empty()) fw.built["cuda"] = v;
    if (const auto v = first_match(info, cudnn_re); !v.empty()) fw.built["cudnn"] = v;
    fw.built_source = "tensorflow/python/platform/build_info.py";
    for (const char* name : {"tensorflow", "tensorflow-cpu", "tf-nightly"}) {
        if (const auto* d = dists.find(name)) {
            fw.version = d->version;
            fw.pins = pins_of(d, dists);
            break;
        }
    }
    fw.native = (*site / "tensorflow/libtensorflow_framework.so.2").string();
    return fw;
}

/// torch/__init__.py's list of (folder, glob) it preloads ("cudnn", "libcudnn.so.*[0-9]").
std::vector<std::pair<std::string, std::string>> torch_preload_list(const std::string& init) {
    std::vector<std::pair<std::string, std::string>> out;
    const auto begin = init.find("def _preload_cuda_deps");
    if (begin == std::string::npos) return out;
    const auto end = init.find("\ndef ", begin + 1);
    const std::string body = init.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    static const std::regex pair_re(
        R"re(\(\s*"([A-Za-z0-9_]+)"\s*,\s*"(lib[^"]+)"\s*\)|"([A-Za-z0-9_]+)"\s*:\s*"(lib[^"]+)")re");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), pair_re); it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        if (m[1].matched)
            out.emplace_back(m[1].str(), m[2].str());
        else
            out.emplace_back(m[3].str(), m[4].str());
    }
    return out;
}

/// torch's _get_cuda_dep_paths: sys.path entries in order; nvidia/<folder>/lib, nvidia/cu<major>/lib, <folder>/lib.
std::optional<std::string> torch_preload_path(const results::Python& python, const std::string& folder,
                                              const std::string& pattern, const std::string& cuda_major) {
    auto match_in = [&](const fs::path& dir) -> std::optional<std::string> {
        std::error_code ec;
        std::vector<std::string> names;
        for (const auto& item : fs::directory_iterator(dir, ec)) {
            const std::string name = item.path().filename().string();
            if (fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0) names.push_back(item.path().string());
        }
        if (names.empty()) return std::nullopt;
        std::sort(names.begin(), names.end());
        return names.front();
    };
    for (const auto& entry : python.sys_path) {
        std::vector<fs::path> dirs{fs::path(entry) / "nvidia" / folder / "lib"};
        if (!cuda_major.empty()) dirs.push_back(fs::path(entry) / "nvidia" / ("cu" + cuda_major) / "lib");
        dirs.push_back(fs::path(entry) / folder / "lib");
        for (const auto& dir : dirs) {
            if (auto found = match_in(dir)) return found;
        }
    }
    return std::nullopt;
}

LoadStep make_step(LoadStep::Kind kind, std::string target, std::string caller, std::string who, bool global = false) {
    LoadStep step;
    step.kind = kind;
    step.target = std::move(target);
    step.caller = std::move(caller);
    step.who = std::move(who);
    step.global = global;
    return step;
}

/// Runs one step on the model and records it.
bool apply(LoadOutcome& out, LoadModel& model, LoadStep step, const std::string& how = "preload") {
    const std::size_t before = model.resolutions().size();
    std::optional<std::size_t> object;
    if (step.kind == LoadStep::Kind::Path) {
        object = model.load_path(step.target, step.who, how);
    } else {
        std::optional<std::size_t> caller;
        if (!step.caller.empty()) {
            caller = model.find_loaded(step.caller);
            if (!caller) caller = model.load_path(step.caller, step.who, "dlopen");
        }
        object = model.dlopen(step.target, caller, step.who, how);
    }
    if (how == "if asked") model.mark_since(before, "if asked");
    step.succeeded = object.has_value();
    if (object) step.resolved = model.objects()[*object].path;
    for (std::size_t i = before; i < model.resolutions().size(); ++i) {
        if (model.resolutions()[i].found && model.resolutions()[i].via != "already loaded") step.stack_new = true;
    }
    out.steps.push_back(std::move(step));
    return object.has_value();
}

/// The cuDNN shim's sub-libraries (the names it carries, and those its graph library carries), each dlopen'ed from
/// the library that names it.
void load_cudnn_sublibraries(LoadOutcome& out, LoadModel& model) {
    for (const char* major : {"9", "8"}) {
        const auto shim = model.find_loaded(fmt::format("libcudnn.so.{}", major));
        if (!shim) continue;
        const std::string shim_path = model.objects()[*shim].path;
        std::vector<std::pair<std::string, std::string>> asks;  // (name, caller path)
        try {
            for (const auto& name : rodata_names(model.objects()[*shim].real_path, "libcudnn_"))
                asks.emplace_back(name.substr(0, name.find(".so") + 3) + "." + major, shim_path);
        } catch (const ElfError&) {
        }
        // The order the shim loads them in: the graph library first (every call goes through it), then the legacy
        // API's ops, cnn and adv as they are first used; the rest as the shim names them. The order decides which copy
        // a sub-library's own DT_NEEDED finds: one already loaded answers it.
        auto rank = [](const std::string& name) {
            for (int i = 0;
                 const char* stem : {"libcudnn_graph.", "libcudnn_ops.", "libcudnn_ops_infer.", "libcudnn_ops_train.",
                                     "libcudnn_cnn.", "libcudnn_cnn_infer.", "libcudnn_cnn_train.", "libcudnn_adv.",
                                     "libcudnn_adv_infer.", "libcudnn_adv_train."}) {
                if (name.rfind(stem, 0) == 0) return i;
                ++i;
            }
            return 100;
        };
        std::stable_sort(asks.begin(), asks.end(),
                         [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
        for (std::size_t i = 0; i < asks.size(); ++i) {
            const auto [name, caller] = asks[i];
            auto step = make_step(LoadStep::Kind::Dlopen, name, caller, "the cuDNN shim " + caller);
            step.by_use = true;  // the confirmation lets the shim load it, through cuDNN's own version checks
            apply(out, model, std::move(step), "dlopen");
            // The graph library dlopens the engine and heuristic libraries in turn.
            if (name.rfind("libcudnn_graph.so", 0) == 0) {
                if (const auto graph = model.find_loaded(name)) {
                    try {
                        for (const auto& sub : rodata_names(model.objects()[*graph].real_path, "libcudnn_")) {
                            const std::string soname = sub.substr(0, sub.find(".so") + 3) + "." + major;
                            const bool asked =
                                std::any_of(asks.begin(), asks.end(), [&](const auto& a) { return a.first == soname; });
                            if (!asked) asks.emplace_back(soname, model.objects()[*graph].path);
                        }
                    } catch (const ElfError&) {
                    }
                }
            }
        }
        return;
    }
}

std::string py_string(const std::string& text) {
    std::string out = "'";
    for (char ch : text) {
        if (ch == '\\' || ch == '\'') out += '\\';
        out += ch;
    }
    return out + "'";
}

}  // namespace

const std::vector<std::string>& every_major_sonames() {
    static const std::vector<std::string> names = {
        "libcudart.so.13",   "libcudart.so.12", "libcudart.so.11.0", "libcudnn.so.9",     "libcudnn.so.8",
        "libcublas.so.13",   "libcublas.so.12", "libcublas.so.11",   "libcublasLt.so.13", "libcublasLt.so.12",
        "libcublasLt.so.11", "libnvrtc.so.13",  "libnvrtc.so.12",    "libnvrtc.so.11.2",  "libcuda.so.1"};
    return names;
}

std::vector<results::Framework> find_frameworks(const results::Python& python, const Distributions& dists,
                                                bool ask_builds, double timeout_s) {
    std::vector<results::Framework> out;
    if (auto torch = find_torch(python, dists)) out.push_back(std::move(*torch));
    if (auto jax = find_jax(python, dists, ask_builds, timeout_s)) out.push_back(std::move(*jax));
    if (auto tf = find_tensorflow(python, dists)) out.push_back(std::move(*tf));
    return out;
}

LoadOutcome load_framework(const results::Framework& fw, const results::Python& python, LoadModel& model) {
    LoadOutcome out;
    if (fw.name == "torch") {
        const fs::path torch(fw.location);
        const std::string init = read_text(torch / "__init__.py");
        const auto preloads = torch_preload_list(init);
        const std::string major =
            fw.built.contains("cuda") ? fw.built.at("cuda").substr(0, fw.built.at("cuda").find('.')) : "";
        const std::string global_deps = (torch / "lib/libtorch_global_deps.so").string();
        const std::string who_global = "torch/__init__.py (_load_global_deps: ctypes.CDLL(..., RTLD_GLOBAL))";
        const std::string who_preload = "torch/__init__.py (_preload_cuda_deps)";
        auto preload_all = [&](bool required) {
            for (const auto& [folder, pattern] : preloads) {
                const auto path = torch_preload_path(python, folder, pattern, major);
                if (!path) {
                    if (required) {
                        out.errors.push_back(
                            fmt::format("ValueError: {} not found in the system path (torch's "
                                        "_preload_cuda_lib, after loading {} failed)",
                                        pattern, global_deps));
                        return false;
                    }
                    continue;
                }
                apply(out, model, make_step(LoadStep::Kind::Path, *path, "", who_preload));
            }
            return true;
        };
        if (apply(out, model, make_step(LoadStep::Kind::Path, global_deps, "", who_global, true), "DT_NEEDED")) {
            // Newer torch preloads whatever wheels are there as soon as libcudart is loaded (best effort).
            const bool unconditional = init.find("_preload_cuda_deps(required=False)") != std::string::npos;
            if (unconditional && model.find_loaded("libcudart.so." + major)) preload_all(false);
        } else {
            const std::string error = model.error();
            const bool about_cuda = std::any_of(preloads.begin(), preloads.end(), [&](const auto& p) {
                return error.find(p.second.substr(0, p.second.find('.'))) != std::string::npos;
            });
            if (!about_cuda || !preload_all(true) ||
                !apply(out, model, make_step(LoadStep::Kind::Path, global_deps, "", who_global, true), "DT_NEEDED")) {
                out.errors.push_back("OSError: " + error);
                return out;
            }
        }
        if (!apply(out, model,
                   make_step(LoadStep::Kind::Path, fw.native, "", "import torch (torch._C needs libtorch_cuda.so)"),
                   "DT_NEEDED")) {
            out.errors.push_back("ImportError: " + model.error());
        }
    } else if (fw.name == "jax") {
        const fs::path plugin_dir(fw.location);
        const std::string init = read_text(plugin_dir / "__init__.py");
        const std::string major = plugin_dir.filename().string().substr(std::strlen("xla_cuda"));
        static const std::regex load_re(R"re(_load\(\s*"([A-Za-z0-9_]+)"\s*,\s*\[([^\]]*)\]\s*\))re");
        static const std::regex lib_re(R"re("([^"]+)")re");
        const std::string who = fmt::format("jax_plugins/xla_cuda{}/__init__.py (_load_nvidia_libraries)", major);
        std::vector<std::string> asked;
        for (auto it = std::sregex_iterator(init.begin(), init.end(), load_re); it != std::sregex_iterator(); ++it) {
            const std::string module = (*it)[1].str();
            const std::string libs = (*it)[2].str();
            // Only the sonames of this plugin's CUDA major: nvidia/cu13 is CUDA 13's folder, nvidia/cuda_runtime
            // and the other per-library folders CUDA 12's; cudnn, nccl and nvshmem carry no CUDA major.
            const bool neutral = module == "cudnn" || module == "nccl" || module == "nvshmem";
            const bool cuda13_folder = std::regex_match(module, std::regex(R"(cu\d+)"));
            const bool ours = neutral || (major == "12" ? !cuda13_folder : module == "cu" + major);
            // importlib.import_module("nvidia.<module>"): the first sys.path entry holding nvidia/<module>.
            const auto site = on_sys_path(python, "nvidia/" + module);
            for (auto lib = std::sregex_iterator(libs.begin(), libs.end(), lib_re); lib != std::sregex_iterator();
                 ++lib) {
                const std::string name = (*lib)[1].str();
                if (ours && std::find(asked.begin(), asked.end(), name) == asked.end()) asked.push_back(name);
                if (!site) continue;
                const fs::path path = *site / "nvidia" / module / "lib" / name;
                std::error_code ec;
                if (!fs::exists(path, ec)) continue;  // ctypes raises OSError, which _load ignores
                apply(out, model, make_step(LoadStep::Kind::Path, path.string(), "", who));
            }
        }
        // XLA's CUDA plugin (and the plugin's _versions module) then dlopen each library by soname.
        for (const auto& name : asked) {
            apply(out, model,
                  make_step(LoadStep::Kind::Dlopen, name, fw.native,
                            fmt::format("XLA's CUDA plugin {}", fs::path(fw.native).filename().string())),
                  "dlopen");
        }
    } else if (fw.name == "tensorflow") {
        // TensorFlow's DSO loader dlopens each library by soname from its framework library.
        const std::string cuda = fw.built.contains("cuda") ? fw.built.at("cuda") : "";
        const std::string cudnn = fw.built.contains("cudnn") ? fw.built.at("cudnn") : "";
        const std::string major = cuda.substr(0, cuda.find('.'));
        std::vector<std::string> names;
        if (!major.empty()) {
            for (const char* stem : {"libcudart.so.", "libcublas.so.", "libcublasLt.so."})
                names.push_back(stem + major);
        }
        if (!cudnn.empty()) names.push_back("libcudnn.so." + cudnn.substr(0, cudnn.find('.')));
        for (const auto& name : names) {
            apply(out, model, make_step(LoadStep::Kind::Dlopen, name, fw.native, "TensorFlow's DSO loader"), "dlopen");
        }
    }
    load_cudnn_sublibraries(out, model);
    return out;
}

LoadOutcome load_native(const std::string& file, LoadModel& model) {
    LoadOutcome out;
    if (!apply(out, model, make_step(LoadStep::Kind::Path, file, "", "the consumer " + file), "DT_NEEDED")) {
        out.errors.push_back(model.error());
        return out;
    }
    for (const auto& name : every_major_sonames()) {
        if (model.find_loaded(name)) continue;
        if (model.candidates(name, model.find_loaded(file).value_or(0)).empty()) continue;
        apply(out, model, make_step(LoadStep::Kind::Dlopen, name, file, "the consumer " + file + " (if it asks)"),
              "if asked");
    }
    load_cudnn_sublibraries(out, model);
    return out;
}

LoadOutcome load_plain(LoadModel& model) {
    LoadOutcome out;
    for (const auto& name : every_major_sonames()) {
        if (model.candidates(name, std::nullopt).empty()) continue;
        apply(out, model, make_step(LoadStep::Kind::Dlopen, name, "", "a program started here (if it asks)"),
              "if asked");
    }
    load_cudnn_sublibraries(out, model);
    return out;
}

results::FrameworkCheck run_framework_check(const std::string& python, const results::Framework& fw, double timeout_s,
                                            const process::EnvChanges& env) {
    std::string script = scripts::kMapsHelper;
    if (fw.name == "torch") {
        script += scripts::kTorchCheck;
    } else if (fw.name == "jax") {
        script += fmt::format("PLUGIN = {}\n", py_string("jax_plugins." + fs::path(fw.location).filename().string()));
        script += scripts::kJaxCheck;
    } else {
        script += scripts::kTensorflowCheck;
    }
    process::Options options;
    options.output = process::Output::Capture;
    options.timeout_s = timeout_s;
    options.env = env;
    options.env["PYTHONSTARTUP"] = std::nullopt;
    const auto started = std::chrono::steady_clock::now();
    const auto result = process::run({python, "-c", script}, options);
    results::FrameworkCheck check;
    check.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto marker = result.out.rfind(kMarker);
    if (result.timed_out) {
        check.status = "timeout";
        check.message = fmt::format("`import {}` and its check did not finish within {} s (killed){}", fw.name,
                                    timeout_s, result.err.empty() ? "" : ": " + process::tail(result.err, 300));
        return check;
    }
    if (result.signal != 0 || (marker == std::string::npos && !result.ok())) {
        check.status = "crashed";
        check.message = fmt::format("{} {}: {}", python, result.describe(),
                                    process::tail(result.err.empty() ? result.out : result.err, 600));
        check.answers["signal"] = result.signal;
        check.answers["exit"] = result.exit_code;
        return check;
    }
    const json answer = marker == std::string::npos
                            ? json()
                            : json::parse(result.out.substr(marker + std::strlen(kMarker)), nullptr, false);
    if (!answer.is_object()) {
        check.status = "failed";
        check.message = fmt::format("the check printed no answer: {}", process::tail(result.out + result.err, 400));
        return check;
    }
    check.status = answer.value("status", "failed");
    check.message = answer.value("message", "");
    check.answers = answer;
    check.answers.erase("status");
    check.answers.erase("message");
    return check;
}

}  // namespace cuconform::consumer
