// SPDX-License-Identifier: Apache-2.0
/// \file Measures the stack: libraries by soname, their versions, the GPUs (in a child), the environment.
#include "probe/fingerprint.h"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "consumer/consumer.h"
#include "consumer/elf.h"
#include "core/process.h"
#include "core/util.h"
#include "core/version.h"
#include "loader/apis.h"
#include "results/fingerprint.h"

extern char** environ;

namespace cuconform::probe {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::array kEnvNames{
    "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "CUDA_MODULE_LOADING", "CUDA_HOME", "CUDA_PATH", "LD_LIBRARY_PATH",
    "CUDNN_LOGLEVEL_DBG", "CUDNN_LOGDEST_DBG", "CUDNN_LOGERR_DBG", "CUDNN_LOGWARN_DBG", "CUDNN_LOGINFO_DBG",
    "CUDNN_LIB_CONFIG", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "CUBLAS_WORKSPACE_CONFIG",
    "CUDA_FORCE_PTX_JIT", "CUDA_DISABLE_PTX_JIT", "CUDA_LAUNCH_BLOCKING", "CUDA_CACHE_DISABLE", "CUDA_CACHE_PATH",
    "CUDA_MPS_PIPE_DIRECTORY", "TF_FORCE_GPU_ALLOW_GROWTH", "XLA_FLAGS", "PYTORCH_CUDA_ALLOC_CONF"};

constexpr std::array kEnvPrefixes{"CUDA_", "CUDNN_", "NVIDIA_", "CUBLAS_", "CUCONFORM_"};

std::string read_first_line(const fs::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

results::Host host_info() {
    results::Host host;
    utsname u{};
    if (uname(&u) == 0) {
        host.kernel = u.release;
        host.arch = u.machine;
        host.hostname = u.nodename;
    }
    std::ifstream os_release("/etc/os-release");
    for (std::string line; std::getline(os_release, line);) {
        if (line.rfind("PRETTY_NAME=", 0) == 0) {
            auto value = line.substr(12);
            value.erase(std::remove(value.begin(), value.end(), '"'), value.end());
            host.os = value;
        }
    }
    return host;
}

std::map<std::string, std::optional<std::string>> env_info() {
    std::map<std::string, std::optional<std::string>> env;
    for (const char* name : kEnvNames) {
        if (is_secret_name(name)) continue;
        const char* value = std::getenv(name);
        env[name] = value ? std::optional<std::string>(value) : std::nullopt;
    }
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        std::string name(entry.substr(0, eq));
        if (!env.contains(name) && is_recorded_env_name(name)) env[name] = std::string(entry.substr(eq + 1));
    }
    return env;
}

/// The kernel module's version: "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  ...".
std::optional<std::string> kernel_driver_version() {
    const std::string line = read_first_line("/proc/driver/nvidia/version");
    auto pos = line.find("Kernel Module");
    if (pos == std::string::npos) return std::nullopt;
    std::string rest = line.substr(pos + 13);
    auto begin = rest.find_first_not_of(' ');
    if (begin == std::string::npos) return std::nullopt;
    auto end = rest.find(' ', begin);
    return rest.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

/// A query running in a forked child (start_child), collected by finish_child.
struct Query {
    std::string what;  ///< What it does, for messages ("the GPU query").
    process::Child child;
    int timeout_s = 30;
};

/// Starts `fn` in a forked child, which hands back the JSON it returns. Whatever the libraries do there (initialise
/// CUDA, abort when a sub-library cannot load) never touches this process, and this process can go on with other
/// work meanwhile.
Query start_child(const std::string& what, const std::function<json()>& fn, int timeout_s) {
    process::Options options;
    options.output = process::Output::Tail;
    options.result_fd = 3;
    auto child = process::Child::call(
        [&fn] {
            std::string out;
            try {
                out = fn().dump();
            } catch (const std::exception& e) {
                out = json{{"error", e.what()}}.dump();
            }
            return process::write_all(3, out) ? 0 : 1;
        },
        options);
    return Query{what, std::move(child), timeout_s};
}

/// The JSON the child wrote, or an object with "error" (and "signal" and "stderr" when the child was killed).
json finish_child(Query& query) {
    if (query.child.pid() <= 0) return json{{"error", fmt::format("{} was not started", query.what)}};
    const auto status = query.child.wait_for(std::chrono::seconds(query.timeout_s));
    const std::string stderr_tail = process::tail(query.child.output_tail(400), 400);
    const std::string shown = stderr_tail == "(no output)" ? "" : ": " + stderr_tail;
    if (status.timed_out) {
        return json{{"error", fmt::format("{} did not answer within {} s", query.what, query.timeout_s)},
                    {"timeout", true}};
    }
    if (status.signal != 0) {
        return json{{"error", fmt::format("{} crashed with signal {} ({}){}", query.what, status.signal,
                                          strsignal(status.signal), shown)},
                    {"signal", status.signal},
                    {"stderr", shown.empty() ? "" : stderr_tail}};
    }
    if (status.exit_code != 0) {
        return json{{"error", fmt::format("{} exited with status {}{}", query.what, status.exit_code, shown)},
                    {"exit", status.exit_code},
                    {"stderr", shown.empty() ? "" : stderr_tail}};
    }
    auto parsed = json::parse(query.child.result_data(), nullptr, false);
    if (parsed.is_discarded()) return json{{"error", fmt::format("{} returned no readable answer", query.what)}};
    return parsed;
}

json in_child(const std::string& what, const std::function<json()>& fn, int timeout_s) {
    Query query = start_child(what, fn, timeout_s);
    return finish_child(query);
}

json query_gpus() {
    const auto& drv = loader::cuda_driver();
    json out{{"gpus", json::array()}};
    auto fail = [&](const char* call, CUresult rc) {
        const char* text = nullptr;
        if (drv.cuGetErrorString) drv.cuGetErrorString(rc, &text);
        out["error"] = {{"call", call}, {"name", loader::cuda_driver_error_name(rc)}, {"code", static_cast<int>(rc)},
                        {"message", text ? text : ""}};
        return out;
    };
    if (!drv.cuInit || !drv.cuDeviceGetCount) return json{{"error", {{"call", "dlsym"}, {"message", "cuInit missing"}}}};
    if (CUresult rc = drv.cuInit(0); rc != CUDA_SUCCESS) return fail("cuInit", rc);
    int count = 0;
    if (CUresult rc = drv.cuDeviceGetCount(&count); rc != CUDA_SUCCESS) return fail("cuDeviceGetCount", rc);
    for (int i = 0; i < count; ++i) {
        CUdevice dev = 0;
        if (drv.cuDeviceGet(&dev, i) != CUDA_SUCCESS) continue;
        char name[256] = {};
        drv.cuDeviceGetName(name, sizeof name, dev);
        int major = 0, minor = 0, sms = 0;
        drv.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
        drv.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
        drv.cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
        size_t memory = 0;
        drv.cuDeviceTotalMem(&memory, dev);
        json gpu{{"index", i}, {"name", name}, {"cc", fmt::format("{}.{}", major, minor)}, {"sm_count", sms},
                 {"memory_bytes", memory}};
        CUuuid uuid{};
        if (drv.cuDeviceGetUuid && drv.cuDeviceGetUuid(&uuid, dev) == CUDA_SUCCESS) {
            const auto* b = reinterpret_cast<const unsigned char*>(uuid.bytes);
            gpu["uuid"] = fmt::format("GPU-{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
                                      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                                      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                                      b[13], b[14], b[15]);
        }
        char pci[64] = {};
        if (drv.cuDeviceGetPCIBusId && drv.cuDeviceGetPCIBusId(pci, sizeof pci, dev) == CUDA_SUCCESS) gpu["pci"] = pci;
        out["gpus"].push_back(gpu);
    }
    return out;
}

/// The sub-libraries of the loaded cuDNN, read from its own files (9.26 adds libcudnn_ext and
/// libcudnn_engines_tensor_ir to 9.19's seven), or the build's list when the shim cannot be read.
std::vector<std::string> cudnn_sublibraries() {
    const auto& api = loader::cudnn();
    if (api.library.loaded()) {
        auto names = consumer::cudnn_sublibrary_sonames(api.library.record().real_path);
        if (!names.empty()) return names;
    }
    return loader::cudnn_sublibrary_sonames();
}

/// Where each cuDNN sub-library is loaded from in this process ({soname: path}, loaded ones only).
json loaded_sublibraries() {
    json out = json::object();
    for (const auto& soname : cudnn_sublibraries()) {
        if (const auto path = loader::loaded_path(soname)) out[soname] = *path;
    }
    return out;
}

/// `loaded_elsewhere`: the sub-libraries the probe's children loaded ({soname: path}), where the checks ran.
results::Sublibrary sublibrary_info(const std::string& soname, const std::string& shim_dir,
                                    const json& loaded_elsewhere) {
    results::Sublibrary info{soname};
    auto loaded = loader::loaded_path(soname);
    if (!loaded && loaded_elsewhere.contains(soname)) loaded = loaded_elsewhere[soname].get<std::string>();
    info.loaded = loaded.has_value();
    if (loaded) info.path = *loaded;
    std::error_code ec;
    const bool next_to_shim = !shim_dir.empty() && fs::exists(fs::path(shim_dir) / soname, ec);
    if (next_to_shim) {
        info.copies.push_back({(fs::path(shim_dir) / soname).string(),
                               fs::canonical(fs::path(shim_dir) / soname, ec).string(),
                               "RUNPATH $ORIGIN of the cuDNN shim"});
    }
    for (auto& c : loader::find_installed(soname)) {
        const bool dup = std::any_of(info.copies.begin(), info.copies.end(),
                                     [&](const results::Copy& x) { return x.real_path == c.real_path; });
        if (!dup) info.copies.push_back(c);
    }
    // Found means the loader can reach it, which `copies` alone does not say: a copy listed in ld.so.cache is
    // out of reach when the process runs with `ld.so --inhibit-cache`. Ask the loader itself, but only when
    // the answer is not already known (loading the big engine libraries costs tens of milliseconds).
    info.found = loaded.has_value() || next_to_shim || loader::Library::open(soname).loaded();
    return info;
}

json status_json(cudnnStatus_t status) {
    return {{"name", loader::cudnn_status_name(status)}, {"code", static_cast<int>(status)}};
}

/// cuDNN's version numbers: cudnnGetVersion, cudnnGetCudartVersion, cudnnGetMaxDeviceVersion.
json cudnn_versions(const loader::Cudnn& api) {
    json v = json::object();
    if (api.cudnnGetVersion) v["loaded"] = Version::from_cudnn_int(static_cast<long>(api.cudnnGetVersion())).str();
    if (api.cudnnGetCudartVersion) {
        v["cudart"] = Version::from_cuda_int(static_cast<int>(api.cudnnGetCudartVersion())).str();
    }
#if CUDNN_MAJOR >= 9
    if (api.cudnnGetMaxDeviceVersion) {
        size_t max_sm = api.cudnnGetMaxDeviceVersion();
        v["max_device_cc"] = fmt::format("{}.{}", max_sm / 100, (max_sm % 100) / 10);
    }
#endif
    return v;
}

/// The sub-library version checks, by name (graph, ops, cnn, adv), that this shim has.
std::vector<std::pair<std::string, cudnnStatus_t (*)()>> cudnn_checks(const loader::Cudnn& api) {
    std::vector<std::pair<std::string, cudnnStatus_t (*)()>> out;
#if CUDNN_MAJOR >= 9
    if (api.cudnnGraphVersionCheck) out.emplace_back("graph", api.cudnnGraphVersionCheck);
#endif
    if (api.cudnnOpsVersionCheck) out.emplace_back("ops", api.cudnnOpsVersionCheck);
    if (api.cudnnCnnVersionCheck) out.emplace_back("cnn", api.cudnnCnnVersionCheck);
    if (api.cudnnAdvVersionCheck) out.emplace_back("adv", api.cudnnAdvVersionCheck);
    return out;
}

/// Calling cuDNN makes its shim load sub-libraries, and some versions abort the process when one (or a library it
/// needs, such as libnvrtc.so) cannot load: cuDNN 8.6 even in cudnnGetVersion, 9.19 without its graph library. So
/// the calls run in a child, started here and collected by cudnn_info() (the parent loads cuBLAS meanwhile). The
/// version checks make the shim load each sub-library and compare its version with its own.
Query start_cudnn_query() {
    const auto& api = loader::cudnn();
    if (!api.library.loaded()) return Query{};
    return start_child("cuDNN's version query and sub-library checks", [&api] {
        json a = cudnn_versions(api);
        a["version_checks"] = json::object();
        for (const auto& [name, fn] : cudnn_checks(api)) a["version_checks"][name] = status_json(fn());
        a["loaded_sublibraries"] = loaded_sublibraries();
        return a;
    }, 30);
}

/// A version check's answer as the child reported it.
results::CudnnCheck check_from(const json& status) {
    results::CudnnCheck check{status.value("name", ""), status.value("code", 0LL), std::nullopt,
                              status.value("message", "")};
    if (status.contains("signal")) check.signal = status["signal"].get<int>();
    return check;
}

void apply_versions(results::Cudnn& info, const json& answer) {
    if (answer.contains("loaded")) info.loaded = answer["loaded"].get<std::string>();
    if (answer.contains("cudart")) info.cudart = answer["cudart"].get<std::string>();
    if (answer.contains("max_device_cc")) info.max_device_cc = answer["max_device_cc"].get<std::string>();
}

results::Cudnn cudnn_info(Query& query) {
    const auto& api = loader::cudnn();
    results::Cudnn info;
    info.library = api.library.record();
    info.built = Version::from_cudnn_int(loader::built_cudnn_version()).str();
    info.installed = loader::find_installed(loader::cudnn_soname());
    info.present = api.library.loaded();
    if (!api.library.loaded()) return info;
    json answer = finish_child(query);
    json loaded_in_children = json::object();
    if (answer.contains("error") && !answer.contains("signal")) {
        // Hung or failed without a signal: asking again call by call would wait as long again for each call.
        info.query_error = answer["error"].get<std::string>();
    } else if (!answer.contains("error")) {
        loaded_in_children = answer["loaded_sublibraries"];
        apply_versions(info, answer);
        for (const auto& [name, status] : answer["version_checks"].items())
            info.version_checks[name] = check_from(status);
    } else {
        // Something killed it: ask again, one call per child, to say which, with cuDNN's message.
        json versions = in_child("cuDNN's version query", [&api] { return cudnn_versions(api); }, 30);
        if (versions.contains("error")) {
            info.query_error =
                versions["error"].get<std::string>();  // the library is there, but a first call kills the process
        } else {
            apply_versions(info, versions);
        }
        for (const auto& [name, fn] : cudnn_checks(api)) {
            json status = in_child(fmt::format("cuDNN's {} version check", name), [fn = fn] {
                json st = status_json(fn());
                st["loaded_sublibraries"] = loaded_sublibraries();
                return st;
            }, 30);
            if (status.contains("loaded_sublibraries")) {
                for (const auto& [soname, path] : status["loaded_sublibraries"].items()) {
                    if (!loaded_in_children.contains(soname)) loaded_in_children[soname] = path;
                }
            }
            if (status.contains("error")) {
                // CRASH: killed by a signal (cuDNN aborts); TIMEOUT: hung; FAILED: exited, or no answer.
                const std::string kind = status.contains("signal")     ? "CRASH"
                                         : status.value("timeout", false) ? "TIMEOUT"
                                                                          : "FAILED";
                results::CudnnCheck check{kind, -1, std::nullopt, status["error"].get<std::string>()};
                if (status.contains("signal")) {
                    check.signal = status["signal"].get<int>();
                    check.code = -*check.signal;
                }
                info.version_checks[name] = check;
            } else {
                info.version_checks[name] = check_from(status);
            }
        }
    }
    const std::string shim_dir = fs::path(api.library.record().path).parent_path().string();
    for (const auto& soname : cudnn_sublibraries()) {
        info.sublibraries.push_back(sublibrary_info(soname, shim_dir, loaded_in_children));
    }
    return info;
}

/// The GPU query's answer: the GPUs, or why there are none.
void apply_gpus(results::Fingerprint& fp, const json& answer) {
    for (const auto& g : answer.value("gpus", json::array())) {
        results::Gpu gpu{g.value("index", 0LL), g.value("name", ""), g.value("cc", "")};
        if (g.contains("sm_count")) gpu.sm_count = g["sm_count"].get<long long>();
        if (g.contains("memory_bytes")) gpu.memory_bytes = g["memory_bytes"].get<unsigned long long>();
        if (g.contains("uuid")) gpu.uuid = g["uuid"].get<std::string>();
        if (g.contains("pci")) gpu.pci = g["pci"].get<std::string>();
        fp.gpus.push_back(gpu);
    }
    if (!answer.contains("error")) return;
    const json& e = answer["error"];
    if (e.is_string()) {
        fp.gpu_error = results::GpuError{"", e.get<std::string>(), std::nullopt, std::nullopt};
    } else {
        results::GpuError error{e.value("name", "UNKNOWN"), e.value("message", ""), std::nullopt, std::nullopt};
        if (e.contains("call")) error.call = e["call"].get<std::string>();
        if (e.contains("code")) error.code = e["code"].get<long long>();
        fp.gpu_error = error;
    }
}

}  // namespace

bool is_secret_name(std::string_view name) {
    std::string upper(name);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    for (const char* bad : {"TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"}) {
        if (upper.find(bad) != std::string::npos) return true;
    }
    return false;
}

bool is_recorded_env_name(std::string_view name) {
    if (is_secret_name(name)) return false;
    if (std::find(kEnvNames.begin(), kEnvNames.end(), name) != kEnvNames.end()) return true;
    return std::any_of(kEnvPrefixes.begin(), kEnvPrefixes.end(), [&](const char* p) { return name.rfind(p, 0) == 0; });
}

results::Fingerprint probe_fingerprint(const ProbeOptions& options) {
    results::Fingerprint fp;
    fp.created = now_iso8601();
    fp.cuconform = CUCONFORM_VERSION;
    fp.host = host_info();
    fp.toolkit = {Version::from_cuda_int(loader::built_cudart_version()).str(), CUCONFORM_BUILT_CUDA_VERSION,
                  Version::from_cudnn_int(loader::built_cudnn_version()).str()};

    const auto& drv = loader::cuda_driver();
    fp.driver.library = drv.library.record();
    fp.driver.present = drv.library.loaded();
    fp.driver.version = kernel_driver_version();
    if (int v = 0; drv.cuDriverGetVersion && drv.cuDriverGetVersion(&v) == CUDA_SUCCESS) {
        fp.driver.cuda = Version::from_cuda_int(v).str();
    }

    const auto& rt = loader::cuda_runtime();
    fp.runtime.library = rt.library.record();
    fp.runtime.present = rt.library.loaded();
    fp.runtime.installed = loader::find_installed(loader::runtime_soname());
    if (int v = 0; rt.cudaRuntimeGetVersion) {
        // CUDA 11's runtime answers cudaErrorInsufficientDriver (35) here when no driver is loaded; 12 and 13 answer.
        const auto rc = rt.cudaRuntimeGetVersion(&v);
        if (rc == cudaSuccess) {
            fp.runtime.version = Version::from_cuda_int(v).str();
        } else {
            const char* name = rt.cudaGetErrorName ? rt.cudaGetErrorName(rc) : nullptr;
            fp.runtime.version_error =
                results::CallError{"cudaRuntimeGetVersion", static_cast<int>(rc), name ? name : ""};
        }
    }

    Query cudnn_query = start_cudnn_query();  // runs while cuBLAS loads below
    const auto& blas = loader::cublas();
    fp.cublas.library = blas.library.record();
    fp.cublas.library_lt = blas.library_lt.record();
    fp.cublas.present = blas.library.loaded() && blas.library_lt.loaded();
    if (blas.cublasGetProperty) {
        int major = 0, minor = 0, patch = 0;
        blas.cublasGetProperty(MAJOR_VERSION, &major);
        blas.cublasGetProperty(MINOR_VERSION, &minor);
        blas.cublasGetProperty(PATCH_LEVEL, &patch);
        fp.cublas.version = fmt::format("{}.{}.{}", major, minor, patch);
    }
    if (blas.cublasLtGetVersion) {
        size_t v = blas.cublasLtGetVersion();
        fp.cublas.lt_version = fmt::format("{}.{}.{}", v / 10000, (v % 10000) / 100, v % 100);
    }
    fp.cudnn = cudnn_info(cudnn_query);

    if (!drv.library.loaded()) {
        fp.gpu_error = results::GpuError{
            "DRIVER_NOT_FOUND",
            fmt::format("{} could not be loaded: {}", loader::kDriverSoname, drv.library.record().error), std::nullopt,
            std::nullopt};
    } else if (options.gpus) {
        apply_gpus(fp, in_child("the GPU query", query_gpus, options.gpu_probe_timeout_s));
    }
    fp.env = env_info();
    consumer::Options consumer_options;
    consumer_options.python = options.python;
    consumer_options.native = options.native;
    consumer_options.use_activated = options.activated_consumer;
    consumer_options.framework_check = options.framework_check;
    consumer_options.framework_timeout_s = options.framework_timeout_s;
    consumer_options.python_timeout_s = std::min(20.0, options.framework_timeout_s);
    fp.consumer = consumer::examine(consumer_options);
    return fp;
}

}  // namespace cuconform::probe
