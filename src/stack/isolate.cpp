// SPDX-License-Identifier: Apache-2.0
/// \file Re-exec inside a stack prefix (ld.so or bubblewrap), the stack's record in cell.json, container plans.
#include "stack/isolate.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/process.h"
#include "core/util.h"
#include "run/isolation.h"
#include "stack/stack.h"

extern char** environ;

namespace cuconform::stack {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// File names of the CUDA user-space libraries a stack provides (and the host's copies a sandbox hides).
bool is_cuda_user_library(const std::string& name) {
    for (const char* stem : {"libcudart.so", "libcudnn", "libcublas", "libcublasLt", "libnvrtc", "libnvJitLink",
                             "libnvblas.so"}) {
        if (name.rfind(stem, 0) == 0 && name.find(".so") != std::string::npos) return true;
    }
    return false;
}

std::string canonical_or_self(const std::string& path) {
    std::error_code ec;
    const auto c = fs::canonical(path, ec);
    return ec ? path : c.string();
}

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
    for (const char* system : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib",
                               "/usr/lib"}) {
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

std::vector<std::string> host_cuda_library_dirs() {
    std::set<std::string> candidates = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                                        "/usr/local/lib"};
    for (const auto& dir : split_path_list(std::getenv("LD_LIBRARY_PATH"))) candidates.insert(dir);
    // The directories of the ld.so cache: where `ldconfig` registered the host's CUDA libraries.
    if (FILE* p = popen("ldconfig -p 2>/dev/null", "r"); p != nullptr) {
        char line[4096];
        while (std::fgets(line, sizeof line, p) != nullptr) {
            std::string text = line;
            const auto arrow = text.find("=> ");
            if (arrow == std::string::npos) continue;
            std::string path = text.substr(arrow + 3);
            while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
            if (is_cuda_user_library(fs::path(path).filename().string())) {
                candidates.insert(fs::path(path).parent_path().string());
            }
        }
        pclose(p);
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

std::vector<std::string> stack_exec_argv(const std::string& prefix, const std::string& isolation, const std::string& exe,
                                         const std::vector<std::string>& args) {
    std::vector<std::string> argv;
    const std::string lib_path = library_path_for(prefix);
    if (isolation == "loader") {
        argv = {run::program_interpreter(), "--inhibit-cache", "--library-path", lib_path, exe};
    } else if (isolation == "bwrap") {
        argv = {"bwrap", "--dev-bind", "/", "/", "--die-with-parent"};
        const std::string canonical_prefix = canonical_or_self(prefix);
        const std::string canonical_exe = canonical_or_self(exe);
        // A prefix may link to libraries in a system directory (a hand-made prefix of the host's runtime): those
        // stay visible, the others of that directory are hidden.
        std::set<std::string> prefix_files;
        std::error_code lib_ec;
        for (const auto& e : fs::directory_iterator(fs::path(prefix) / "lib", lib_ec)) {
            prefix_files.insert(canonical_or_self(e.path().string()));
        }
        for (const auto& dir : host_cuda_library_dirs()) {
            // Never hide the prefix or cuconform itself.
            if (canonical_prefix.rfind(dir + "/", 0) == 0 || canonical_exe.rfind(dir + "/", 0) == 0) continue;
            argv.insert(argv.end(), {"--tmpfs", dir});
            std::error_code ec;
            for (const auto& e : fs::directory_iterator(dir, ec)) {
                const std::string name = e.path().filename().string();
                if (is_cuda_user_library(name) && !prefix_files.contains(canonical_or_self(e.path().string()))) continue;
                if (fs::is_symlink(e.symlink_status())) {
                    argv.insert(argv.end(), {"--symlink", fs::read_symlink(e.path()).string(), e.path().string()});
                } else {
                    argv.insert(argv.end(), {"--dev-bind", e.path().string(), e.path().string()});
                }
            }
        }
        argv.insert(argv.end(), {"--setenv", "LD_LIBRARY_PATH", lib_path, "--", exe});
    } else {
        throw StackError(fmt::format("--isolation {}: use loader (ld.so --inhibit-cache) or bwrap (bubblewrap)", isolation));
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

std::string resolve_isolation(const std::string& requested) {
    if (requested != "auto") return requested;
    if (const char* used = std::getenv(kIsolationMarker); used != nullptr && std::getenv(kStackMarker) != nullptr) {
        return used;  // re-executed inside the stack: keep what the parent chose
    }
    // bwrap is installed and may start a sandbox here (unprivileged user namespaces can be switched off).
    static const bool bwrap_works =
        process::run({"bwrap", "--dev-bind", "/", "/", "--die-with-parent", "--", "true"}, {.output = process::Output::Discard})
            .ok();
    return bwrap_works ? "bwrap" : "loader";
}

void enter_stack(const std::string& prefix, const std::string& isolation) {
    if (inside_stack(prefix)) return;
    const fs::path lib = fs::path(prefix) / "lib";
    if (!fs::is_directory(lib)) {
        throw StackError(fmt::format("--stack {}: no lib/ directory there; make one with `cuconform stack fetch cuda=12.4 "
                                     "cudnn=9.1 --print-prefix`, or give a prefix whose lib/ holds the libraries",
                                     prefix));
    }
    const std::string canonical_prefix = canonical_or_self(prefix);
    const std::string exe = run::self_executable();
    auto args = read_cmdline();
    if (!args.empty()) args.erase(args.begin());
    // A process started through ld.so sees ld.so's own arguments first: drop everything up to the program.
    if (auto it = std::find(args.begin(), args.end(), exe); std::getenv(run::kSelfExe) != nullptr && it != args.end()) {
        args.erase(args.begin(), it + 1);
    }
    const auto argv = stack_exec_argv(canonical_prefix, isolation, exe, args);
    const int error = process::exec_in_place(argv, {{kStackMarker, canonical_prefix},
                                                    {kIsolationMarker, isolation},
                                                    {run::kSelfExe, exe},
                                                    {"LD_LIBRARY_PATH", library_path_for(canonical_prefix)}});
    throw StackError(fmt::format("cannot start {} to run inside the stack {}: {}{}", argv[0], prefix,
                                 std::strerror(error),
                                 isolation == "bwrap" ? "; install bubblewrap or use --isolation loader" : ""));
}

json stack_record(const std::string& prefix, const std::string& isolation) {
    const json stack = read_stack_json(prefix);
    json record{{"provider", stack.empty() ? "prefix" : stack.value("provider", "wheels")},
                {"prefix", canonical_or_self(prefix)},
                {"lib", (fs::path(canonical_or_self(prefix)) / "lib").string()},
                {"isolation", isolation}};
    if (!stack.empty()) {
        record["name"] = stack.value("name", "");
        record["request"] = stack.value("request", json::object());
        record["versions"] = stack.value("versions", json::object());
        record["fetched_at"] = stack.value("fetched_at", "");
        json wheels = json::array();
        for (const auto& w : stack.value("wheels", json::array())) {
            wheels.push_back({{"package", w.value("package", "")},
                              {"version", w.value("version", "")},
                              {"file", w.value("file", "")},
                              {"sha256", w.value("sha256", "")}});
        }
        record["wheels"] = wheels;
    }
    return record;
}

std::string stack_cell_id(const json& record, const json& fp) {
    std::string gpu;
    if (fp.contains("gpus") && !fp["gpus"].empty()) {
        gpu = "-sm" + fp["gpus"][0].value("cc", "?");
        std::erase(gpu, '.');
    }
    // What the loader found; else the wheel's version (a cu12 runtime is invisible to a CUDA 13 build's soname).
    const json versions = record.value("versions", json::object());
    auto pick = [&](const char* part, const char* field, const char* component, int parts) {
        if (fp.contains(part) && fp[part].contains(field) && fp[part][field].is_string()) {
            return fp[part][field].get<std::string>();
        }
        std::string v = versions.value(component, "none");
        for (std::size_t pos = 0, n = 0; (pos = v.find('.', pos)) != std::string::npos; ++pos) {
            if (++n == static_cast<std::size_t>(parts)) return v.substr(0, pos);
        }
        return v;
    };
    return fmt::format("{}-cuda{}-cudnn{}{}", record.value("provider", "prefix"), pick("runtime", "version", "cuda_runtime", 2),
                       pick("cudnn", "loaded", "cudnn", 3), gpu);
}

std::string container_base_tag(const std::string& cuda, const std::string& cudnn) {
    // cuda.md section 6a: tags seen in use. From 12.4 the cuDNN 9 images carry a version-less `-cudnn-`.
    static const std::map<std::string, std::string> tags = {
        {"11.8", "11.8.0-cudnn8-devel-ubuntu22.04"}, {"12.0", "12.0.1-cudnn8-devel-ubuntu20.04"},
        {"12.4", "12.4.1-cudnn-devel-ubuntu22.04"},  {"12.8", "12.8.1-cudnn-devel-ubuntu24.04"},
        {"13.0", "13.0.1-cudnn-devel-ubuntu24.04"}};
    std::string key = cuda;
    if (std::count(key.begin(), key.end(), '.') >= 2) key = key.substr(0, key.rfind('.'));
    const auto it = tags.find(key);
    if (it == tags.end()) {
        std::string known;
        for (const auto& [k, v] : tags) known += (known.empty() ? "" : ", ") + k;
        throw StackError(fmt::format("no known nvidia/cuda cuDNN image tag for CUDA {} (known: {}); pass --base "
                                     "nvidia/cuda:<tag> from gitlab.com/nvidia/container-images/cuda supported-tags",
                                     cuda, known));
    }
    const bool cudnn8 = it->second.find("-cudnn8-") != std::string::npos;
    if (!cudnn.empty() && cudnn != "none" && cudnn.rfind(cudnn8 ? "8" : "9", 0) != 0) {
        throw StackError(fmt::format("the nvidia/cuda:{} image carries cuDNN {}, not {}; use `--provider wheels` (cuconform "
                                     "stack fetch) for that combination",
                                     it->second, cudnn8 ? "8" : "9", cudnn));
    }
    return "nvidia/cuda:" + it->second;
}

ContainerEngine find_engine(const std::string& choice) {
    ContainerEngine engine;
    engine.tried = choice.empty() ? std::vector<std::string>{"docker", "podman"} : std::vector<std::string>{choice};
    engine.name = engine.tried.front();
    for (const auto& name : engine.tried) {
        // `info` both finds the engine on PATH (ENOENT when it is not) and asks whether it answers.
        const auto info = process::run({name, "info"}, {.output = process::Output::Merge, .timeout_s = 60});
        if (info.exec_errno == ENOENT) continue;
        engine.name = name;
        engine.found = true;
        engine.works = info.ok();
        if (!engine.works) {
            std::istringstream lines(info.out);
            for (std::string line; std::getline(lines, line);) {
                if (!line.empty()) engine.error = line;
            }
        }
        break;
    }
    return engine;
}

ContainerPlan container_plan(const std::string& cuda, const std::string& cudnn, const std::string& engine_choice,
                             const std::string& out_dir) {
    ContainerPlan plan;
    plan.base = container_base_tag(cuda, cudnn);
    plan.engine = find_engine(engine_choice);
    const ContainerEngine& engine = plan.engine;
    const std::string short_cuda = cuda.substr(0, cuda.find('.', cuda.find('.') + 1));
    plan.image = fmt::format("cuconform:cuda{}-cudnn{}", short_cuda, cudnn.empty() ? "" : cudnn);
    plan.build = fmt::format("{} build -f containers/Dockerfile --build-arg BASE={} -t {} .", engine.name, plan.base,
                             plan.image);
    const std::string gpus = engine.name == "podman" ? "--device nvidia.com/gpu=all --security-opt=label=disable"
                                                     : "--gpus all";
    plan.run = fmt::format("{} run --rm {} -v \"$PWD/{}:/results\" {} run --out /results", engine.name, gpus, out_dir,
                           plan.image);
    if (!engine.found) {
        plan.notes.push_back(fmt::format("no container engine here ({} not found on PATH): these commands are for a GPU "
                                         "runner with docker or podman and the NVIDIA Container Toolkit",
                                         fmt::join(engine.tried, ", ")));
    } else if (!engine.works) {
        plan.notes.push_back(fmt::format("`{} info` fails here ({}): no usable container engine; start the daemon or "
                                         "run these commands on a GPU runner",
                                         engine.name, engine.error.empty() ? "no message" : engine.error));
    }
    plan.notes.push_back("the host needs only the NVIDIA driver; the image brings CUDA and cuDNN (cuda.md section 6b)");
    if (engine.name == "podman") {
        plan.notes.push_back("CDI: run `sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml` once on the host");
    }
    return plan;
}

}  // namespace cuconform::stack
