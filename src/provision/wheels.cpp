// SPDX-License-Identifier: Apache-2.0
/// \file Wheel stacks: request -> pip requirements -> verified wheel cache (pip download, sha256, a lock).
#include "provision/wheels.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/files.h"
#include "core/process.h"
#include "core/util.h"
#include "core/version.h"
#include "provision/wheel_cache.h"

namespace cuconform::provision {
namespace fs = std::filesystem;
using nlohmann::json;

namespace detail {

/// manylinux tags the NVIDIA wheels carry: cu13 manylinux_2_27, cu12 manylinux2014 (= manylinux_2_17),
/// cuDNN 8 for cu11 manylinux1.
const std::vector<std::string> kPlatforms = {"manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                                             "manylinux1_x86_64"};

/// The components of `version` (core/version.h), or a StackError naming the key and the accepted form.
std::vector<int> version_parts(const std::string& version, const std::string& what) {
    const auto parsed = Version::parse(version);
    if (!parsed) {
        throw StackError(version.empty() ? fmt::format("{}= needs a version", what)
                                         : fmt::format("{}={}: not a version; write e.g. {}=12.4 or {}=9.13.0.50", what,
                                                       version, what, what));
    }
    return parsed->parts();
}

std::string join(const std::vector<int>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "." : "") + std::to_string(parts[i]);
    return out;
}

/// pip's own ERROR lines (or its last lines), to quote.
std::string pip_errors(const std::string& output) {
    std::vector<std::string> lines, errors;
    std::stringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        lines.push_back(line);
        if (line.rfind("ERROR:", 0) == 0 || line.find("Error") != std::string::npos) errors.push_back(line);
    }
    if (errors.empty()) {
        errors.assign(lines.size() > 4 ? lines.end() - 4 : lines.begin(), lines.end());
    }
    std::string quoted;
    for (const auto& line : errors) quoted += "\n  pip: " + line;
    return quoted;
}

bool disk_full(const std::string& text) {
    return text.find("No space left on device") != std::string::npos || text.find("Errno 28") != std::string::npos;
}

std::string free_space(const fs::path& dir) {
    std::error_code ec;
    const auto space = fs::space(dir, ec);
    return ec ? std::string("unknown") : fmt::format("{:.1f} GB", static_cast<double>(space.available) / 1e9);
}

[[noreturn]] void throw_disk_full(const fs::path& cache, const std::string& what) {
    throw StackError(fmt::format(
        "disk full while {} (free in {}: {}); the cuDNN and cuBLAS wheels need about 1.5 GB per stack: free space, "
        "remove old stacks under {}/stacks, or point CUCONFORM_CACHE (or --cache) at a larger disk",
        what, cache.string(), free_space(cache), cache.string()));
}

json read_json_file(const fs::path& path) {
    std::ifstream in(path);
    if (!in) return json::object();
    json value = json::parse(in, nullptr, false);
    return value.is_object() ? value : json::object();
}

void write_json(const fs::path& cache, const fs::path& path, const json& value) {
    try {
        write_file_atomically(path, value.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    } catch (const FileError& e) {
        if (e.error() == ENOSPC) throw_disk_full(cache, "writing " + path.string());
        throw StackError(e.what());
    }
}

/// `name-version-tags.whl` -> version.
std::string wheel_version(const std::string& file) {
    const auto first = file.find('-');
    const auto second = file.find('-', first + 1);
    return first == std::string::npos || second == std::string::npos ? "" : file.substr(first + 1, second - first - 1);
}

CacheLock::CacheLock(const fs::path& cache) {
    fd_ = open((cache / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) {
        while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
        }
    }
}

CacheLock::~CacheLock() {
    if (fd_ >= 0) close(fd_);
}

}  // namespace detail

using namespace detail;

StackRequest StackRequest::parse(const std::vector<std::string>& words) {
    StackRequest request;
    for (const auto& word : words) {
        const auto eq = word.find('=');
        const std::string key = word.substr(0, eq);
        const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
        if (eq == std::string::npos || value.empty()) {
            throw StackError(fmt::format("'{}': write key=version, e.g. cuda=12.4 cudnn=9.1", word));
        }
        if (key == "cuda") {
            request.cuda = value;
        } else if (key == "cudnn") {
            request.cudnn = value;
        } else if (key == "cublas") {
            request.cublas = value;
        } else {
            throw StackError(fmt::format("'{}': unknown component '{}' (cuda, cudnn, cublas)", word, key));
        }
    }
    if (request.cuda.empty()) throw StackError("a stack needs cuda=<version> (11.8, 12.4, 13.0, ...)");
    if (request.cudnn.empty()) throw StackError("a stack needs cudnn=<version> (9.1, 9.13.0.50, or none)");
    const int major = request.cuda_major();
    if (major < 11 || major > 13) {
        throw StackError(fmt::format("cuda={}: NVIDIA publishes wheels for CUDA 11, 12 and 13 only", request.cuda));
    }
    if (request.cudnn != "none") version_parts(request.cudnn, "cudnn");
    if (!request.cublas.empty() && request.cublas != "none") version_parts(request.cublas, "cublas");
    return request;
}

int StackRequest::cuda_major() const { return version_parts(cuda, "cuda").front(); }

std::string StackRequest::name() const {
    std::string out = "cuda" + cuda + (cudnn == "none" ? "-nocudnn" : "-cudnn" + cudnn);
    if (!cublas.empty()) out += cublas == "none" ? "-nocublas" : "-cublas" + cublas;
    return out;
}

std::string version_specifier(const std::string& version) {
    auto parts = version_parts(version, "version");
    if (parts.size() >= 4) return "==" + version;
    const std::string low = join(parts);
    parts.back() += 1;
    return fmt::format(">={},<{}", low, join(parts));
}

std::vector<WheelSpec> resolve_wheels(const StackRequest& request) {
    const int major = request.cuda_major();
    const auto cuda_parts = version_parts(request.cuda, "cuda");
    const std::string suffix = fmt::format("-cu{}", major);
    std::vector<WheelSpec> wheels;

    const std::string runtime = major >= 13 ? "nvidia-cuda-runtime" : "nvidia-cuda-runtime" + suffix;
    wheels.push_back({"cuda_runtime", runtime, runtime + version_specifier(request.cuda), ""});

    if (request.cudnn != "none") {
        const std::string cudnn = "nvidia-cudnn" + suffix;
        wheels.push_back({"cudnn", cudnn, cudnn + version_specifier(request.cudnn), ""});
    }

    if (request.cublas != "none") {
        const std::string cublas = major >= 13 ? "nvidia-cublas" : "nvidia-cublas" + suffix;
        const std::string any_of_major = fmt::format("{}>={},<{}", cublas, major, major + 1);
        if (!request.cublas.empty()) {
            wheels.push_back({"cublas", cublas, cublas + version_specifier(request.cublas), ""});
        } else if (major == 11 || cuda_parts.size() == 1) {
            // cuBLAS 11.x numbers do not follow the toolkit's minor (CUDA 11.8 ships cuBLAS 11.11).
            wheels.push_back({"cublas", cublas, any_of_major, ""});
        } else {
            // From CUDA 12 cuBLAS shares the toolkit's major.minor (12.4 -> 12.4.5.8, 13.0 -> 13.0.2.14).
            const std::string minor = fmt::format("{}.{}", cuda_parts[0], cuda_parts[1]);
            wheels.push_back({"cublas", cublas, cublas + version_specifier(minor), any_of_major});
        }
    }
    return wheels;
}

std::vector<WheelSpec> resolve_toolkit_wheels(const StackRequest& request) {
    auto wheels = resolve_wheels(request);
    const int major = request.cuda_major();
    const std::string spec = version_specifier(request.cuda);
    const std::string any_of_major = fmt::format(">={},<{}", major, major + 1);
    auto add = [&](const std::string& component, const std::string& package) {
        wheels.push_back({component, package, package + spec, package + any_of_major});
    };
    if (major >= 13) {
        // CUDA 13 splits the compiler: nvcc, cudafe++, fatbinary, ptxas | crt/ headers | cicc and libnvvm.
        add("nvcc", "nvidia-cuda-nvcc");
        add("crt", "nvidia-cuda-crt");
        add("nvvm", "nvidia-nvvm");
        add("cccl", "nvidia-cuda-cccl");
    } else {
        // nvidia-cuda-nvcc-cu11/-cu12 carry ptxas, libnvvm and crt/ only: no nvcc, cudafe++ or cicc.
        const std::string suffix = fmt::format("-cu{}", major);
        add("nvcc", "nvidia-cuda-nvcc" + suffix);
        add("cccl", "nvidia-cuda-cccl" + suffix);
    }
    return wheels;
}

std::string cache_root() {
    if (const char* env = std::getenv("CUCONFORM_CACHE"); env != nullptr && *env != '\0') return env;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
        return (fs::path(xdg) / "cuconform").string();
    }
    const char* home = std::getenv("HOME");
    return (fs::path(home != nullptr && *home != '\0' ? home : "/tmp") / ".cache" / "cuconform").string();
}

std::string pip_python() {
    if (const char* env = std::getenv("CUCONFORM_PYTHON"); env != nullptr && *env != '\0') return env;
    return "python3";
}

namespace detail {

class Fetcher {
public:
    Fetcher(fs::path cache, const FetchOptions& options) : cache_(std::move(cache)), options_(options) {}

    void say(const std::string& text) const {
        if (!options_.quiet) fmt::print(stderr, "cuconform stack: {}\n", text);
    }

    void check_pip() {
        const auto probe = process::run({pip_python(), "-m", "pip", "--version"}, {.output = process::Output::Merge});
        if (probe.exec_errno != 0) {
            throw StackError(
                fmt::format("cannot run '{}' ({}): pip is needed to download NVIDIA's wheels; install "
                            "Python 3 with pip, or set CUCONFORM_PYTHON to a python that has it",
                            pip_python(), std::strerror(probe.exec_errno)));
        }
        if (!probe.ok()) {
            throw StackError(
                fmt::format("'{} -m pip' does not work, so NVIDIA's wheels cannot be downloaded: "
                            "install pip (python3 -m ensurepip --user, or apt-get install python3-pip), "
                            "or set CUCONFORM_PYTHON to a python that has it{}",
                            pip_python(), pip_errors(probe.out)));
        }
    }

    /// The wheel file for one spec, downloaded unless the manifest holds it with a matching sha256.
    json obtain(const WheelSpec& spec, json& manifest) {
        const fs::path wheels = cache_ / "wheels";
        auto& requirements = manifest["requirements"];
        auto& files = manifest["wheels"];
        if (requirements.contains(spec.requirement)) {
            const std::string file = requirements[spec.requirement].get<std::string>();
            const fs::path path = wheels / file;
            if (files.contains(file) && fs::exists(path)) {
                auto& record = files[file];
                const std::string recorded = record.value("sha256", "");
                // The sha256 was checked when the file had this size and modification time; a file written since
                // (appended to, replaced, rewritten in place) has another and is hashed again.
                if (record.value("checked_size", -1LL) == static_cast<long long>(fs::file_size(path)) &&
                    record.value("checked_mtime_ns", -1LL) == mtime_ns(path)) {
                    say(
                        fmt::format("{}: {} is already in the cache, unchanged since its sha256 was checked; not "
                                    "downloading",
                                    spec.requirement, file));
                    ++reused_;
                    return entry(spec, file, record);
                }
                const std::string actual = sha256_file(path.string());
                if (actual == recorded) {
                    say(fmt::format("{}: {} is already in the cache and its sha256 matches; not downloading",
                                    spec.requirement, file));
                    mark_checked(record, path);
                    ++reused_;
                    return entry(spec, file, record);
                }
                say(fmt::format("{}: {} is corrupt (sha256 {} , manifest says {}); downloading it again",
                                spec.requirement, file, actual.substr(0, 16), recorded.substr(0, 16)));
                std::error_code ec;
                fs::remove(path, ec);
            } else {
                say(fmt::format("{}: {} is recorded but missing from {}; downloading it again", spec.requirement, file,
                                wheels.string()));
            }
        }
        if (!pip_checked_) {
            check_pip();
            pip_checked_ = true;
        }
        std::string used = spec.requirement;
        auto file = download(spec.requirement, spec.fallback.empty());
        if (file.empty()) {
            say(fmt::format("no wheel matches {}; taking the newest of {} instead", spec.requirement, spec.fallback));
            used = spec.fallback;
            file = download(spec.fallback, true);
        }
        const fs::path path = wheels / file;
        json record{{"package", spec.package},
                    {"version", wheel_version(file)},
                    {"sha256", sha256_file(path.string())},
                    {"size", fs::file_size(path)},
                    {"fetched_at", now_iso8601()}};
        mark_checked(record, path);
        files[file] = record;
        requirements[spec.requirement] = file;
        if (used != spec.requirement) requirements[used] = file;
        write_json(cache_, wheels / "manifest.json", manifest);  // After each wheel: an interrupted fetch keeps it.
        ++downloaded_;
        return entry(spec, file, record);
    }

    int downloaded_ = 0, reused_ = 0;

private:
    static long long mtime_ns(const fs::path& path) {
        return static_cast<long long>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(fs::last_write_time(path).time_since_epoch()).count());
    }

    /// Records the size and modification time at which the wheel's sha256 was found right.
    static void mark_checked(json& record, const fs::path& path) {
        record["checked_size"] = static_cast<long long>(fs::file_size(path));
        record["checked_mtime_ns"] = mtime_ns(path);
    }

    static json entry(const WheelSpec& spec, const std::string& file, const json& record) {
        return {{"component", spec.component},     {"package", spec.package},
                {"requirement", spec.requirement}, {"file", file},
                {"version", record["version"]},    {"sha256", record["sha256"]},
                {"size", record["size"]}};
    }

    /// pip download into a fresh directory, then moved into wheels/. Empty when nothing matches and `must` is false.
    std::string download(const std::string& requirement, bool must) {
        const fs::path wheels = cache_ / "wheels";
        const fs::path staging = wheels / fmt::format(".download-{}", getpid());
        std::error_code ec;
        fs::remove_all(staging, ec);
        guarded(cache_, "creating " + staging.string(), [&] { fs::create_directories(staging); });
        std::vector<std::string> argv = {
            pip_python(), "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
            "--no-input"};
        for (const auto& platform : kPlatforms) {
            argv.push_back("--platform");
            argv.push_back(platform);
        }
        if (options_.quiet) argv.push_back("--progress-bar=off");
        argv.insert(argv.end(), options_.pip_args.begin(), options_.pip_args.end());
        argv.insert(argv.end(), {"--dest", staging.string(), requirement});
        say(fmt::format("downloading {} (pip download --no-deps --only-binary=:all:)", requirement));
        const auto result = process::run(argv, {.output = process::Output::Merge, .echo = !options_.quiet});
        if (!result.ok()) {
            fs::remove_all(staging, ec);
            if (disk_full(result.out)) throw_disk_full(cache_, "downloading " + requirement);
            const bool no_match = result.out.find("No matching distribution") != std::string::npos ||
                                  result.out.find("Could not find a version") != std::string::npos;
            if (no_match && !must) return "";
            if (no_match) {
                throw StackError(
                    fmt::format("PyPI has no wheel for {} (for {}); `{} -m pip index versions {}` lists the "
                                "published versions{}",
                                requirement, kPlatforms.front(), pip_python(),
                                requirement.substr(0, requirement.find_first_of("<>=!~")), pip_errors(result.out)));
            }
            throw StackError(
                fmt::format("pip could not download {} (exit {}){}", requirement, result.rc(), pip_errors(result.out)));
        }
        std::string file;
        for (const auto& e : fs::directory_iterator(staging)) {
            if (e.path().extension() == ".whl") file = e.path().filename().string();
        }
        if (file.empty()) {
            fs::remove_all(staging, ec);
            throw StackError(fmt::format("pip reported success for {} but left no wheel in {}{}", requirement,
                                         staging.string(), pip_errors(result.out)));
        }
        guarded(cache_, "moving " + file + " into " + wheels.string(),
                [&] { fs::rename(staging / file, wheels / file); });
        fs::remove_all(staging, ec);
        return file;
    }

    fs::path cache_;
    const FetchOptions& options_;
    bool pip_checked_ = false;
};

/// Extracts a wheel as pip installs one: a member the wheel marks executable (nvcc, cudafe++, ptxas and cicc are
/// 0o744 in NVIDIA's compiler wheels) becomes 0o755; `python -m zipfile -e` would drop the bits.
constexpr const char* kUnzipKeepingModes = R"(import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for member in wheel.infolist():
        path = wheel.extract(member, sys.argv[2])
        if not member.is_dir() and (member.external_attr >> 16) & 0o111:
            os.chmod(path, 0o755)
)";

/// Unzips one cached wheel into tmp/wheels/<stem>/ (removing tmp when it fails) and returns that directory.
fs::path unpack_wheel(const fs::path& cache, const fs::path& tmp, const std::string& file) {
    const fs::path dest = tmp / "wheels" / fs::path(file).stem();
    const auto unzip =
        process::run({pip_python(), "-c", kUnzipKeepingModes, (cache / "wheels" / file).string(), dest.string()},
                     {.output = process::Output::Merge});
    if (!unzip.ok()) {
        std::error_code ec;
        fs::remove_all(tmp, ec);
        if (disk_full(unzip.out)) throw_disk_full(cache, "unpacking " + file);
        throw StackError(fmt::format("cannot unpack {} into {}{}", file, dest.string(), pip_errors(unzip.out)));
    }
    return dest;
}

/// The cache directories exist; `sub` is stacks or toolkits.
fs::path prepare_cache(const FetchOptions& options, const std::string& sub) {
    const fs::path cache = fs::absolute(options.cache.empty() ? cache_root() : options.cache);
    guarded(cache, "creating the cache " + cache.string(), [&] {
        fs::create_directories(cache / "wheels");
        fs::create_directories(cache / sub);
    });
    return cache;
}

/// Downloads (or reuses, sha256-checked) every wheel of `specs`; the caller holds the cache lock.
json fetch_wheels(const fs::path& cache, const std::vector<WheelSpec>& specs, const FetchOptions& options,
                  FetchResult& result) {
    json manifest = read_json_file(cache / "wheels" / "manifest.json");
    if (!manifest.contains("wheels")) manifest["wheels"] = json::object();
    if (!manifest.contains("requirements")) manifest["requirements"] = json::object();
    manifest["schema"] = 1;
    Fetcher fetcher(cache, options);
    json wheels = json::array();
    for (const auto& spec : specs) wheels.push_back(fetcher.obtain(spec, manifest));
    write_json(cache, cache / "wheels" / "manifest.json", manifest);  // the sizes and times of the checks just made
    result.downloaded = fetcher.downloaded_;
    result.reused = fetcher.reused_;
    return wheels;
}

/// Whether `existing` (a prefix's stack.json or toolkit.json) was assembled from exactly `wheels` and every path it
/// lists under `key` (relative to `base`) is still there.
bool assembled_from(const json& existing, const json& wheels, const fs::path& base, const std::string& key) {
    bool same = existing.contains("wheels") && existing["wheels"].size() == wheels.size() && fs::is_directory(base);
    for (std::size_t i = 0; same && i < wheels.size(); ++i) {
        same = existing["wheels"][i].value("sha256", "") == wheels[i]["sha256"].get<std::string>();
    }
    for (std::size_t i = 0; same && i < existing.value(key, json::array()).size(); ++i) {
        same = fs::exists(fs::symlink_status(base / existing[key][i].get<std::string>()));
    }
    return same;
}

}  // namespace detail
}  // namespace cuconform::provision
