// SPDX-License-Identifier: Apache-2.0
/// \file The confirmation child: the same loads, for real, and the libraries' own answers.
#include "consumer/confirm.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <link.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "consumer/ldso.h"
#include "core/process.h"
#include "core/version.h"
#include "loader/apis.h"

namespace cuconform::consumer {
using nlohmann::json;

namespace {

constexpr int kResultFd = 3;
int result_fd = kResultFd;

/// The stack libraries mapped in this process, in load order.
std::vector<std::string> mapped_stack_libraries() {
    std::vector<std::string> out;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* data) {
            auto* list = static_cast<std::vector<std::string>*>(data);
            if (info->dlpi_name != nullptr && *info->dlpi_name != '\0' && is_stack_library(info->dlpi_name))
                list->emplace_back(info->dlpi_name);
            return 0;
        },
        &out);
    return out;
}

/// The handle of the object loaded for `soname` (the loader matches loaded objects by soname), or nullptr.
void* loaded(const std::string& soname) {
    return soname.empty() ? nullptr : dlopen(soname.c_str(), RTLD_LAZY | RTLD_NOLOAD);
}

std::string path_of(void* handle) {
    link_map* map = nullptr;
    return handle != nullptr && dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr
               ? std::string(map->l_name)
               : std::string();
}

/// One line of JSON to the parent: what is known so far survives an abort later on.
void send(const json& line) { process::write_all(result_fd, line.dump() + "\n"); }

int child_main(const std::vector<LoadStep>& steps, const std::string& runtime_soname, const std::string& cudnn_soname,
               const std::string& cublas_soname, const std::string& cublaslt_soname) {
    json errors = json::array();
    for (const auto& step : steps) {
        if ((step.succeeded && !step.stack_new) || step.by_use) {
            errors.push_back("");
            continue;
        }
        void* handle = nullptr;
        dlerror();
        if (step.kind == LoadStep::Kind::Path) {
            handle = dlopen(step.target.c_str(), RTLD_LAZY | (step.global ? RTLD_GLOBAL : RTLD_LOCAL));
        } else {
            // A dlopen by soname from another object searches that object's paths, which cannot be asked from
            // here: an object already loaded under the name answers it (as it would there); else the file the
            // model chose is loaded by its path.
            handle = loaded(step.target);
            if (handle == nullptr && !step.succeeded) {
                errors.push_back("not loaded: the model found no file for it");
                continue;
            }
            if (handle == nullptr) handle = dlopen(step.resolved.c_str(), RTLD_LAZY | RTLD_LOCAL);
        }
        const char* error = handle == nullptr ? dlerror() : nullptr;
        errors.push_back(error != nullptr ? error : "");
    }
    send({{"step_errors", errors}, {"mapped", mapped_stack_libraries()}});

    json versions = json::object();
    if (void* rt = loaded(runtime_soname)) {
        versions["runtime_path"] = path_of(rt);
        using Fn = int (*)(int*);
        if (auto fn = reinterpret_cast<Fn>(dlsym(rt, "cudaRuntimeGetVersion"))) {
            int v = 0;
            const int rc = fn(&v);
            if (rc == 0)
                versions["runtime"] = Version::from_cuda_int(v).str();
            else
                versions["runtime_error"] = rc;
        }
    }
    if (void* blas = loaded(cublas_soname)) {
        versions["cublas_path"] = path_of(blas);
        using Fn = int (*)(int, int*);
        if (auto fn = reinterpret_cast<Fn>(dlsym(blas, "cublasGetProperty"))) {
            int major = 0, minor = 0, patch = 0;
            fn(0, &major);
            fn(1, &minor);
            fn(2, &patch);
            versions["cublas"] = fmt::format("{}.{}.{}", major, minor, patch);
        }
    }
    if (void* lt = loaded(cublaslt_soname)) {
        versions["cublaslt_path"] = path_of(lt);
        using Fn = size_t (*)();
        if (auto fn = reinterpret_cast<Fn>(dlsym(lt, "cublasLtGetVersion"))) {
            const size_t v = fn();
            versions["cublaslt"] = fmt::format("{}.{}.{}", v / 10000, (v % 10000) / 100, v % 100);
        }
    }
    void* cudnn = loaded(cudnn_soname);
    if (cudnn != nullptr) {
        versions["cudnn_path"] = path_of(cudnn);
        using SizeFn = size_t (*)();
        if (auto fn = reinterpret_cast<SizeFn>(dlsym(cudnn, "cudnnGetVersion")))
            versions["cudnn"] = Version::from_cudnn_int(static_cast<long>(fn())).str();
        if (auto fn = reinterpret_cast<SizeFn>(dlsym(cudnn, "cudnnGetCudartVersion")))
            versions["cudnn_cudart"] = Version::from_cuda_int(static_cast<int>(fn())).str();
        if (auto fn = reinterpret_cast<SizeFn>(dlsym(cudnn, "cudnnGetMaxDeviceVersion"))) {
            const size_t sm = fn();
            versions["cudnn_max_device_cc"] = fmt::format("{}.{}", sm / 100, (sm % 100) / 10);
        }
    }
    send({{"versions", versions}});
    if (cudnn == nullptr) return 0;
    // cuDNN's own checks load each sub-library through the shim's search path. Some cuDNN releases abort here when
    // one cannot load: each answer goes to the parent before the next check starts.
    const bool v8 = cudnn_soname == "libcudnn.so.8";
    const std::pair<const char*, const char*> checks[] = {
        {"graph", "cudnnGraphVersionCheck"},
        {"ops", v8 ? "cudnnOpsInferVersionCheck" : "cudnnOpsVersionCheck"},
        {"cnn", v8 ? "cudnnCnnInferVersionCheck" : "cudnnCnnVersionCheck"},
        {"adv", v8 ? "cudnnAdvInferVersionCheck" : "cudnnAdvVersionCheck"}};
    for (const auto& [name, symbol] : checks) {
        using CheckFn = int (*)();
        auto fn = reinterpret_cast<CheckFn>(dlsym(cudnn, symbol));
        if (fn == nullptr) continue;
        send({{"check", name}, {"running", true}});
        const int status = fn();
        send({{"check", name},
              {"code", status},
              {"name", loader::cudnn_status_name(static_cast<cudnnStatus_t>(status))}});
    }
    send({{"mapped_after_checks", mapped_stack_libraries()}});
    return 0;
}

/// This program, to start again as the confirmation child: $CUCONFORM_SELF_EXE, else /proc/self/exe, else (when that
/// is ld.so, which started us) the program ld.so ran.
std::string self_executable() {
    if (const char* env = std::getenv("CUCONFORM_SELF_EXE"); env != nullptr && *env != '\0') return env;
    char buffer[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    std::string self = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    if (self.empty() || self.find("/ld-linux") != std::string::npos || self.find("/ld-") != std::string::npos) {
        char resolved[PATH_MAX];
        if (realpath(program_invocation_name, resolved) != nullptr) return resolved;
    }
    return self;
}

json steps_json(const std::vector<LoadStep>& steps) {
    json out = json::array();
    for (const auto& s : steps) {
        out.push_back({{"kind", s.kind == LoadStep::Kind::Path ? "path" : "dlopen"},
                       {"target", s.target},
                       {"resolved", s.resolved},
                       {"global", s.global},
                       {"succeeded", s.succeeded},
                       {"stack_new", s.stack_new},
                       {"by_use", s.by_use}});
    }
    return out;
}

results::LoadRecord record_for(const std::string& soname, const std::string& path) {
    results::LoadRecord r;
    r.soname = soname;
    r.found = !path.empty();
    r.path = path;
    if (!path.empty()) {
        char resolved[PATH_MAX];
        r.real_path = realpath(path.c_str(), resolved) != nullptr ? resolved : path;
    }
    return r;
}

}  // namespace

int confirm_child_main(const std::string& request, int fd) {
    result_fd = fd;
    const json r = json::parse(request, nullptr, false);
    if (!r.is_object()) return 2;
    std::vector<LoadStep> steps;
    for (const auto& s : r.value("steps", json::array())) {
        LoadStep step;
        step.kind = s.value("kind", "path") == "path" ? LoadStep::Kind::Path : LoadStep::Kind::Dlopen;
        step.target = s.value("target", "");
        step.resolved = s.value("resolved", "");
        step.global = s.value("global", false);
        step.succeeded = s.value("succeeded", false);
        step.stack_new = s.value("stack_new", false);
        step.by_use = s.value("by_use", false);
        steps.push_back(std::move(step));
    }
    return child_main(steps, r.value("runtime", ""), r.value("cudnn", ""), r.value("cublas", ""),
                      r.value("cublaslt", ""));
}

Confirmation confirm_loads(const std::vector<LoadStep>& steps, const std::string& runtime_soname,
                           const std::string& cudnn_soname, const std::string& cublas_soname,
                           const std::string& cublaslt_soname, double timeout_s) {
    Confirmation c;
    process::Options options;
    options.output = process::Output::Tail;
    options.result_fd = kResultFd;
    const json request{{"steps", steps_json(steps)},
                       {"runtime", runtime_soname},
                       {"cudnn", cudnn_soname},
                       {"cublas", cublas_soname},
                       {"cublaslt", cublaslt_soname}};
    const std::string self = self_executable();
    auto child = process::Child::exec(
        {self, kConfirmCommand, "--request", request.dump(), "--result-fd", std::to_string(kResultFd)}, options);
    if (child.pid() <= 0) {
        c.error = fmt::format("the confirmation child ({} {}) could not be started", self, kConfirmCommand);
        return c;
    }
    const auto status = child.wait_for(std::chrono::milliseconds(static_cast<long>(timeout_s * 1000)));
    child.drain_result();
    std::istringstream lines(child.result_data());
    std::string running;  // a check that started and never answered
    json versions;
    for (std::string line; std::getline(lines, line);) {
        const json j = json::parse(line, nullptr, false);
        if (!j.is_object()) continue;
        if (j.contains("step_errors")) {
            for (const auto& e : j["step_errors"]) c.step_errors.push_back(e.get<std::string>());
            for (const auto& m : j["mapped"]) c.mapped.push_back(m.get<std::string>());
        } else if (j.contains("versions")) {
            versions = j["versions"];
        } else if (j.contains("check")) {
            const std::string name = j["check"].get<std::string>();
            if (j.value("running", false)) {
                running = name;
                continue;
            }
            running.clear();
            c.cudnn.version_checks[name] = {j.value("name", ""), j.value("code", 0LL), std::nullopt, ""};
        } else if (j.contains("mapped_after_checks")) {
            c.mapped.clear();
            for (const auto& m : j["mapped_after_checks"]) c.mapped.push_back(m.get<std::string>());
        }
    }
    const std::string tail = process::tail(child.output_tail(600), 400);
    if (!status.ok()) {
        c.error = fmt::format("the child that made the loads {}{}", status.describe(),
                              tail == "(no output)" ? std::string() : ": " + tail);
        if (!running.empty()) {
            results::CudnnCheck crashed{status.timed_out     ? "TIMEOUT"
                                        : status.signal != 0 ? "CRASH"
                                                             : "FAILED",
                                        -1, std::nullopt, c.error};
            if (status.signal != 0) {
                crashed.signal = status.signal;
                crashed.code = -status.signal;
            }
            c.cudnn.version_checks[running] = crashed;
        }
    }
    if (versions.is_object()) {
        c.runtime.library = record_for(runtime_soname, versions.value("runtime_path", ""));
        c.runtime.present = c.runtime.library.found;
        if (versions.contains("runtime")) c.runtime.version = versions["runtime"].get<std::string>();
        if (versions.contains("runtime_error")) {
            c.runtime.version_error =
                results::CallError{"cudaRuntimeGetVersion", versions["runtime_error"].get<long long>(), ""};
        }
        c.cublas.library = record_for(cublas_soname, versions.value("cublas_path", ""));
        c.cublas.library_lt = record_for(cublaslt_soname, versions.value("cublaslt_path", ""));
        c.cublas.present = c.cublas.library.found && c.cublas.library_lt.found;
        if (versions.contains("cublas")) c.cublas.version = versions["cublas"].get<std::string>();
        if (versions.contains("cublaslt")) c.cublas.lt_version = versions["cublaslt"].get<std::string>();
        c.cudnn.library = record_for(cudnn_soname, versions.value("cudnn_path", ""));
        c.cudnn.present = c.cudnn.library.found;
        if (versions.contains("cudnn")) c.cudnn.loaded = versions["cudnn"].get<std::string>();
        if (versions.contains("cudnn_cudart")) c.cudnn.cudart = versions["cudnn_cudart"].get<std::string>();
        if (versions.contains("cudnn_max_device_cc"))
            c.cudnn.max_device_cc = versions["cudnn_max_device_cc"].get<std::string>();
    } else if (c.error.empty()) {
        c.error = "the child that made the loads answered nothing";
    }
    return c;
}

}  // namespace cuconform::consumer
