// SPDX-License-Identifier: Apache-2.0
/// \file The fingerprint: the measured description of a stack (reports/schema/fingerprint.schema.json). The probe
/// produces it, predict constructs a synthetic one, everyone else reads it through this type.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cuconform::results {

inline constexpr const char* kFingerprintSchema = "cuconform.fingerprint/1";

/// What happened when one soname was asked of the dynamic loader.
struct LoadRecord {
    std::string soname;  ///< What was asked for ("libcudnn.so.9"); empty when nothing was asked (synthetic stacks).
    bool found = false;
    std::string path;                      ///< The file the loader mapped, as it named it (may be a symlink).
    std::string real_path;                 ///< The same file with symlinks resolved.
    std::string error;                     ///< dlerror() when not found.
    std::vector<std::string> search_path;  ///< Directories the loader searches for it, in order (RTLD_DI_SERINFO).
};

/// One file the loader could pick for a soname, and how it reaches it.
struct Copy {
    std::string path;
    std::string real_path;
    std::string via;  ///< ld.so.cache | LD_LIBRARY_PATH | system | RUNPATH | RUNPATH $ORIGIN of the cuDNN shim
};

struct Host {
    std::string os, kernel, arch, hostname;  ///< Empty where they could not be read.
};

/// What cuconform was compiled with (headers), not what is loaded.
struct Toolkit {
    std::string cuda;   ///< "13.0"
    std::string nvcc;   ///< The nvcc that built the kernels ("13.0.88").
    std::string cudnn;  ///< "9.19.0"
};

struct Driver {
    LoadRecord library;
    bool present = false;
    std::optional<std::string> version;  ///< The kernel module's ("580.65.06").
    std::optional<std::string> cuda;     ///< cuDriverGetVersion(): the newest CUDA it supports ("13.0").
};

/// A library call that failed: {call, code, name}.
struct CallError {
    std::string call;
    long long code = 0;
    std::string name;
};

struct Runtime {
    LoadRecord library;
    bool present = false;
    std::vector<Copy> installed;
    std::optional<std::string> version;      ///< cudaRuntimeGetVersion() ("13.0").
    std::optional<CallError> version_error;  ///< CUDA 11 answers cudaErrorInsufficientDriver without a driver.
};

/// One of cuDNN's sub-library version checks; name CRASH / TIMEOUT / FAILED when its child did not answer.
struct CudnnCheck {
    std::string name;
    long long code = 0;
    std::optional<int> signal;
    std::string message;
};

struct Sublibrary {
    std::string soname;
    bool loaded = false;
    std::string path;  ///< Where it was loaded from (when loaded).
    bool found = false;
    std::vector<Copy> copies;
};

struct Cudnn {
    LoadRecord library;
    bool present = false;
    std::string built;                  ///< CUDNN_VERSION of the headers cuconform was built with.
    std::optional<std::string> loaded;  ///< cudnnGetVersion().
    std::optional<std::string> cudart;  ///< cudnnGetCudartVersion().
    std::optional<std::string> max_device_cc;
    std::vector<Copy> installed;
    std::optional<std::string> query_error;            ///< cuDNN's first calls killed the child that made them.
    std::map<std::string, CudnnCheck> version_checks;  ///< graph, ops, cnn, adv.
    std::vector<Sublibrary> sublibraries;
};

struct Cublas {
    LoadRecord library, library_lt;
    bool present = false;
    std::optional<std::string> version, lt_version;
};

struct Gpu {
    long long index = 0;
    std::string name;
    std::string cc;  ///< "9.0"
    std::optional<long long> sm_count;
    std::optional<unsigned long long> memory_bytes;
    std::optional<std::string> uuid, pci;
};

/// Why no GPU could be enumerated: a driver API failure (call, name, code, message), or only a message when the
/// query's child process failed.
struct GpuError {
    std::string name;  ///< CUresult name, DRIVER_NOT_FOUND; empty for a failed child process.
    std::string message;
    std::optional<std::string> call;
    std::optional<long long> code;
};

/// How the dynamic loader reaches one library for a consumer, and why (src/consumer/ldso.h emulates ld.so).
struct Resolution {
    std::string soname;        ///< What was asked for ("libcudnn.so.9"); a path for a load by full path.
    std::string requested_by;  ///< The object whose DT_NEEDED or dlopen asks for it; the framework for a preload.
    /// DT_NEEDED | dlopen | preload (a framework's load by full path) | if asked (a lookup by soname a program without
    /// a known loading rule would make: every CUDA major's sonames)
    std::string how;
    bool found = false;
    std::string path;       ///< The file the loader picks.
    std::string real_path;  ///< The same with symlinks resolved.
    /// DT_RPATH | LD_LIBRARY_PATH | DT_RUNPATH | ld.so.cache | default | preload | already loaded
    std::string via;
    std::string entry;    ///< The search-path entry that matched, as written ("$ORIGIN/../../nvidia/cudnn/lib").
    std::string of;       ///< Whose DT_RPATH / DT_RUNPATH that entry is, or who preloaded it.
    std::string why;      ///< One sentence a user can follow.
    std::string package;  ///< The Python distribution that installed the file ("nvidia-cudnn-cu13 9.26.0.51").
    std::vector<Copy> passed_over;       ///< Copies a later step of the search would have found (the loser of a race).
    std::optional<std::string> mapped;   ///< What a child that made the same loads found mapped (the confirmation).
    std::optional<std::string> version;  ///< The version of the copy picked, when known.
    /// Found, but it does not load: a library it needs is missing (ld.so's words).
    std::optional<std::string> load_error;
};

/// One ELF object of a consumer (DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME, PT_INTERP).
struct ElfObject {
    std::string path;
    std::string soname;
    std::vector<std::string> needed, rpath, runpath;
    std::string interp;
};

/// A required distribution of a framework and what is installed of it.
struct Pin {
    std::string package;                   ///< "nvidia-cudnn-cu13"
    std::string spec;                      ///< "==9.26.0.51", "<10.0,>=9.8"
    std::string marker;                    ///< The environment marker, when it has one ("extra == \"with-cuda\"").
    std::optional<std::string> installed;  ///< The installed version; nullopt: not installed.
};

/// The framework's own check, run in a child interpreter.
struct FrameworkCheck {
    std::string status;   ///< ok | refused | crashed | timeout | failed
    std::string message;  ///< The framework's words (its exception or the loader's), or what the child printed.
    double seconds = 0;
    nlohmann::json answers = nlohmann::json::object();  ///< What it reported (versions, mapped libraries, ...).
};

/// A framework found in a Python environment.
struct Framework {
    std::string name;      ///< torch | jax | tensorflow
    std::string version;   ///< "2.15.0+cu132"
    std::string location;  ///< Its package folder.
    /// What it was built against, as its own files say: cuda, cudnn, cublas (versions); source: the file.
    std::map<std::string, std::string> built;
    std::string built_source;
    std::vector<Pin> pins;
    std::string native;  ///< The native library that loads the CUDA libraries (libtorch_cuda.so, xla_cuda_plugin.so).
    std::optional<FrameworkCheck> check;
};

/// The Python interpreter of a consumer, as it reported itself.
struct Python {
    std::string executable;
    std::string version;
    std::string prefix, base_prefix;
    std::vector<std::string> sys_path;
    std::optional<std::string> user_site;  ///< Set when the user site-packages is on sys.path.
};

/// The program whose view of the stack is described (DESIGN.md: consumer), and that view.
struct Consumer {
    std::string kind;      ///< python | native
    std::string given_by;  ///< VIRTUAL_ENV | CONDA_PREFIX | --python | --consumer
    std::string path;      ///< The interpreter or the native file.
    std::optional<Python> python;
    std::vector<Framework> frameworks;
    std::vector<ElfObject> objects;     ///< The ELF objects whose search paths decide (roots and requesters).
    std::vector<Resolution> libraries;  ///< Every CUDA/cuDNN/cuBLAS library it loads, in load order.
    Runtime runtime;                    ///< The copies it loads, asked in a child that made the same loads.
    Cudnn cudnn;
    Cublas cublas;
    std::string confirm_error;          ///< The child that made the loads failed: why.
    std::vector<std::string> problems;  ///< What made the consumer hard to examine (a broken venv, ...).
};

struct Fingerprint {
    std::string schema = kFingerprintSchema;
    std::string created;
    std::string cuconform;  ///< Version of the cuconform that wrote it.
    Host host;
    Toolkit toolkit;
    Driver driver;
    Runtime runtime;
    Cudnn cudnn;
    Cublas cublas;
    std::vector<Gpu> gpus;
    std::optional<GpuError> gpu_error;
    std::map<std::string, std::optional<std::string>> env;  ///< Recorded variables; nullopt: unset.
    bool synthetic = false;                                 ///< Made by `cuconform predict`, not measured.
    /// The consumer's view when one was examined (a venv, `--python`, `--consumer`); absent: the view of a program
    /// started here (the sections above, which are always this process's).
    std::optional<Consumer> consumer;

    bool has_gpu() const { return !gpus.empty(); }
    /// "H100 (9.0)" for the first GPU, "none" without one.
    std::string gpu_label() const;
    /// The value of a recorded variable; nullopt when unset or not recorded.
    std::optional<std::string> env_value(const std::string& name) const;
};

nlohmann::json to_json(const LoadRecord& record);
nlohmann::json to_json(const Fingerprint& fingerprint);
/// Throws RecordError naming the field that does not fit the schema.
Fingerprint parse_fingerprint(const nlohmann::json& j);
LoadRecord parse_load_record(const nlohmann::json& j, const std::string& path);

nlohmann::json to_json(const Consumer& consumer);
Consumer parse_consumer(const nlohmann::json& j, const std::string& path);

inline void to_json(nlohmann::json& j, const LoadRecord& r) { j = to_json(r); }
inline void to_json(nlohmann::json& j, const Fingerprint& f) { j = to_json(f); }

}  // namespace cuconform::results
