// SPDX-License-Identifier: Apache-2.0
/// \file Prefixes assembled from cached wheels: a run stack (a flat lib/ of links) or a toolkit laid out like a CUDA
/// toolkit (bin, include, lib, nvvm) for CMake; listing what the cache holds.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/util.h"
#include "core/version.h"
#include "isolate/view.h"
#include "provision/wheel_cache.h"
#include "provision/wheels.h"

namespace cuconform::provision {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace detail;

namespace {

/// Unpacks the wheels into a fresh prefix and links every shared library into lib/.
json assemble(const fs::path& cache, const fs::path& prefix, const StackRequest& request, const json& wheels,
              const FetchOptions& options) {
    const fs::path tmp = prefix.parent_path() / fmt::format(".tmp-{}-{}", prefix.filename().string(), getpid());
    std::error_code ec;
    fs::remove_all(tmp, ec);
    guarded(cache, "creating " + tmp.string(), [&] { fs::create_directories(tmp / "lib"); });
    json libraries = json::array();
    for (const auto& wheel : wheels) {
        const fs::path dest = unpack_wheel(cache, tmp, wheel["file"]);
        for (const auto& e : fs::recursive_directory_iterator(dest)) {
            const std::string name = e.path().filename().string();
            if (!e.is_regular_file() || name.find(".so") == std::string::npos || name.rfind("lib", 0) != 0) continue;
            const fs::path link = tmp / "lib" / name;
            if (fs::exists(fs::symlink_status(link))) {
                if (!options.quiet)
                    fmt::print(stderr, "cuconform stack: {} is in two wheels; keeping the first\n", name);
                continue;
            }
            guarded(cache, "linking " + name, [&] { fs::create_symlink(fs::relative(e.path(), tmp / "lib"), link); });
            libraries.push_back(name);
        }
    }
    std::sort(libraries.begin(), libraries.end());
    json versions = json::object();
    for (const auto& wheel : wheels) versions[wheel["component"].get<std::string>()] = wheel["version"];
    json stack{{"schema", 1},
               {"provider", "wheels"},
               {"name", prefix.filename().string()},
               {"prefix", prefix.string()},
               {"lib", (prefix / "lib").string()},
               {"request", {{"cuda", request.cuda}, {"cudnn", request.cudnn}, {"cublas", request.cublas}}},
               {"versions", versions},
               {"wheels", wheels},
               {"libraries", libraries},
               {"fetched_at", now_iso8601()}};
    write_json(cache, tmp / "stack.json", stack);
    fs::remove_all(prefix, ec);
    guarded(cache, "moving the prefix into place", [&] { fs::rename(tmp, prefix); });
    return stack;
}

/// The CUDA-toolkit folders of a wheel's nvidia/<package>/ (or nvidia/cu13/) tree, merged into the prefix.
const std::vector<std::string> kToolkitFolders = {"bin", "include", "lib", "lib64", "nvvm"};

/// Merges a wheel's toolkit folders into `prefix` by hard links (a copy when that fails): nvcc looks for cudafe++,
/// cicc and crt/ relative to itself, so links into the separate wheel folders would not do. lib64/ goes to lib/.
/// `headers_only`: include/ alone (cuDNN and cuBLAS: the build needs their headers, the run stack has the libraries).
void merge_toolkit_folders(const fs::path& cache, const fs::path& wheel_dir, const fs::path& prefix, bool headers_only,
                           bool quiet) {
    std::error_code ec;
    for (const auto& package : fs::directory_iterator(wheel_dir / "nvidia", ec)) {
        for (const auto& folder : kToolkitFolders) {
            if (headers_only && folder != "include") continue;
            const fs::path from = package.path() / folder;
            if (!fs::is_directory(from)) continue;
            for (const auto& e : fs::recursive_directory_iterator(from)) {
                const std::string name = e.path().filename().string();
                if (!e.is_regular_file() || name == "__init__.py" || name.ends_with(".pyc")) continue;
                fs::path relative = fs::relative(e.path(), package.path());
                if (folder == "lib64") relative = fs::path("lib") / fs::relative(e.path(), from);
                const fs::path to = prefix / relative;
                if (fs::exists(fs::symlink_status(to))) {
                    if (!quiet)
                        fmt::print(stderr, "cuconform stack: {} is in two wheels; keeping the first\n",
                                   relative.string());
                    continue;
                }
                guarded(cache, "placing " + relative.string(), [&] {
                    fs::create_directories(to.parent_path());
                    std::error_code link_error;
                    fs::create_hard_link(e.path(), to, link_error);
                    if (link_error) fs::copy_file(e.path(), to);
                });
            }
        }
    }
}

/// What nvcc needs next to itself to compile a .cu file; a toolkit lacking any of these cannot build kernels/.
const std::vector<std::string> kCompilerFiles = {"bin/nvcc",  "bin/cudafe++",  "bin/fatbinary",
                                                 "bin/ptxas", "nvvm/bin/cicc", "include/crt/host_config.h"};
/// The headers and library the harness compiles against (CMake's FindCUDAToolkit and cmake/FindCUDNN.cmake).
const std::vector<std::string> kHeaderFiles = {"include/cuda.h", "include/cuda_runtime_api.h", "include/cublasLt.h",
                                               "lib/libcudart.so", "version.txt"};

json assemble_toolkit(const fs::path& cache, const fs::path& prefix, const StackRequest& request, const json& wheels,
                      const FetchOptions& options) {
    const fs::path tmp = prefix.parent_path() / fmt::format(".tmp-{}-{}", prefix.filename().string(), getpid());
    std::error_code ec;
    fs::remove_all(tmp, ec);
    const fs::path& root = tmp;
    guarded(cache, "creating " + root.string(), [&] { fs::create_directories(root / "lib"); });
    std::string runtime_version;
    for (const auto& wheel : wheels) {
        const bool headers_only = wheel["component"] == "cudnn" || wheel["component"] == "cublas";
        merge_toolkit_folders(cache, unpack_wheel(cache, tmp, wheel["file"]), root, headers_only, options.quiet);
        if (wheel["component"] == "cuda_runtime") runtime_version = wheel["version"];
    }
    fs::remove_all(tmp / "wheels", ec);  // Everything is linked or copied into the prefix.
    // CMake's find_library wants the unversioned name (libcudart.so) that only the toolkit installers ship.
    for (const auto& e : fs::directory_iterator(root / "lib")) {
        const std::string name = e.path().filename().string();
        const auto so = name.find(".so.");
        if (so == std::string::npos || name.rfind("lib", 0) != 0) continue;
        const fs::path plain = root / "lib" / name.substr(0, so + 3);
        if (!fs::exists(fs::symlink_status(plain))) {
            guarded(cache, "linking " + plain.string(), [&] { fs::create_symlink(name, plain); });
        }
    }
    guarded(cache, "linking lib64", [&] { fs::create_symlink("lib", root / "lib64"); });
    // FindCUDAToolkit reads the version from version.txt when the prefix has no nvcc to ask.
    const auto runtime = Version::parse(runtime_version);
    std::ofstream(root / "version.txt") << "CUDA Version " << (runtime ? runtime->str() : request.cuda) << "\n";
    json versions = json::object();
    for (const auto& wheel : wheels) versions[wheel["component"].get<std::string>()] = wheel["version"];
    json layout = json::array(), missing = json::array();
    for (const auto& file : kHeaderFiles) (fs::exists(root / file) ? layout : missing).push_back(file);
    for (const auto& file : kCompilerFiles) (fs::exists(root / file) ? layout : missing).push_back(file);
    if (request.cudnn != "none") {
        (fs::exists(root / "include/cudnn_version.h") ? layout : missing).push_back("include/cudnn_version.h");
    }
    const bool nvcc = fs::exists(root / "bin/nvcc");
    const std::string nvcc_package =
        request.cuda_major() >= 13 ? "nvidia-cuda-nvcc" : fmt::format("nvidia-cuda-nvcc-cu{}", request.cuda_major());
    json toolkit{{"schema", 1},
                 {"provider", "wheels"},
                 {"kind", "toolkit"},
                 {"name", prefix.filename().string()},
                 {"prefix", prefix.string()},
                 {"cuda", runtime ? runtime->str() : request.cuda},
                 {"request", {{"cuda", request.cuda}, {"cudnn", request.cudnn}, {"cublas", request.cublas}}},
                 {"versions", versions},
                 {"wheels", wheels},
                 {"layout", layout},
                 {"missing", missing},
                 {"nvcc", nvcc ? (prefix / "bin/nvcc").string() : ""},
                 {"fetched_at", now_iso8601()}};
    if (!nvcc) {
        toolkit["note"] = fmt::format(
            "{} {} ships no nvcc driver (only ptxas, libnvvm and crt/ headers); "
            "NVIDIA publishes nvcc, cudafe++ and cicc as wheels from CUDA 13 on "
            "(nvidia-cuda-nvcc, nvidia-cuda-crt, nvidia-nvvm)",
            nvcc_package, versions.value("nvcc", "?"));
    }
    write_json(cache, tmp / "toolkit.json", toolkit);
    fs::remove_all(prefix, ec);
    guarded(cache, "moving the toolkit into place", [&] { fs::rename(tmp, prefix); });
    return toolkit;
}

}  // namespace

FetchResult fetch_toolkit(const StackRequest& request, const FetchOptions& options) {
    const fs::path cache = prepare_cache(options, "toolkits");
    CacheLock lock(cache);
    FetchResult result;
    const json wheels = fetch_wheels(cache, resolve_toolkit_wheels(request), options, result);
    result.prefix = (cache / "toolkits" / request.name()).string();
    const json existing = read_json_file(fs::path(result.prefix) / "toolkit.json");
    // A toolkit assembled before cuconform kept the wheels' permissions has an nvcc nobody can run: assemble it again.
    const bool runnable = std::all_of(kCompilerFiles.begin(), kCompilerFiles.end(), [&](const std::string& file) {
        const bool tool = file.starts_with("bin/") || file.starts_with("nvvm/bin/");
        const fs::path path = fs::path(result.prefix) / file;
        return !tool || !fs::exists(path) || ::access(path.c_str(), X_OK) == 0;
    });
    if (runnable && assembled_from(existing, wheels, result.prefix, "layout")) {
        if (!options.quiet)
            fmt::print(stderr, "cuconform stack: {} is already assembled from these wheels\n", result.prefix);
        result.stack = existing;
    } else {
        if (!options.quiet) fmt::print(stderr, "cuconform stack: assembling the toolkit {}\n", result.prefix);
        result.stack = assemble_toolkit(cache, result.prefix, request, wheels, options);
    }
    return result;
}

FetchResult fetch_stack(const StackRequest& request, const FetchOptions& options) {
    const fs::path cache = prepare_cache(options, "stacks");
    CacheLock lock(cache);
    FetchResult result;
    const json wheels = fetch_wheels(cache, resolve_wheels(request), options, result);
    result.prefix = (cache / "stacks" / request.name()).string();
    const json existing = read_stack_json(result.prefix);
    if (assembled_from(existing, wheels, fs::path(result.prefix) / "lib", "libraries")) {
        if (!options.quiet)
            fmt::print(stderr, "cuconform stack: {} is already assembled from these wheels\n", result.prefix);
        result.stack = existing;
    } else {
        if (!options.quiet) fmt::print(stderr, "cuconform stack: assembling {}\n", result.prefix);
        result.stack = assemble(cache, result.prefix, request, wheels, options);
    }
    return result;
}

json read_stack_json(const std::string& prefix) { return read_json_file(fs::path(prefix) / "stack.json"); }

std::uintmax_t tree_size(const std::string& path) {
    std::uintmax_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(path, ec), end; it != end; it.increment(ec)) {
        if (ec) break;
        if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
    }
    return total;
}

json list_stacks(const std::string& cache) {
    json stacks = json::array();
    const fs::path dir = fs::path(cache) / "stacks";
    std::error_code ec;
    std::vector<fs::path> prefixes;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.is_directory() && e.path().filename().string().front() != '.') prefixes.push_back(e.path());
    }
    std::sort(prefixes.begin(), prefixes.end());
    for (const auto& prefix : prefixes) {
        json stack = read_stack_json(prefix.string());
        if (stack.empty()) continue;
        std::uintmax_t wheel_bytes = 0;
        for (const auto& w : stack.value("wheels", json::array())) wheel_bytes += w.value("size", std::uintmax_t{0});
        stack["prefix"] = prefix.string();
        stack["size_bytes"] = tree_size(prefix.string());
        stack["wheel_bytes"] = wheel_bytes;
        stacks.push_back(stack);
    }
    return stacks;
}

results::CellStack stack_record(const std::string& prefix, const std::string& isolation) {
    const json stack = read_stack_json(prefix);
    results::CellStack record;
    record.provider = stack.empty() ? "prefix" : stack.value("provider", "wheels");
    record.prefix = isolate::canonical_or_self(prefix);
    record.isolation = isolation;
    record.details = {{"lib", (fs::path(record.prefix) / "lib").string()}};
    if (!stack.empty()) {
        record.details["name"] = stack.value("name", "");
        record.details["request"] = stack.value("request", json::object());
        record.details["versions"] = stack.value("versions", json::object());
        record.details["fetched_at"] = stack.value("fetched_at", "");
        json wheels = json::array();
        for (const auto& w : stack.value("wheels", json::array())) {
            wheels.push_back({{"package", w.value("package", "")},
                              {"version", w.value("version", "")},
                              {"file", w.value("file", "")},
                              {"sha256", w.value("sha256", "")}});
        }
        record.details["wheels"] = wheels;
    }
    return record;
}

}  // namespace cuconform::provision
