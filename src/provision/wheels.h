// SPDX-License-Identifier: Apache-2.0
/// \file Stack providers: a prefix assembled from NVIDIA's PyPI wheels (cudnn.md section 7), cached and verified.
///
/// `cuda=12.4 cudnn=9.1` resolves to pip requirements (`nvidia-cuda-runtime-cu12>=12.4,<12.5`,
/// `nvidia-cudnn-cu12>=9.1,<9.2`, `nvidia-cublas-cu12>=12.4,<12.5`), each downloaded once with
/// `pip download --no-deps --only-binary=:all:` into `<cache>/wheels/` with its sha256 in a manifest,
/// and unpacked into `<cache>/stacks/cuda12.4-cudnn9.1/` with a flat `lib/` of symlinks and a `stack.json`.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/cell.h"
#include "results/fingerprint.h"

namespace cuconform::provision {

/// A failure the user can act on (pip missing, no such version on PyPI, disk full); the message says what to do.
struct StackError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// What the user asked for: `cuda=12.4 cudnn=9.1 [cublas=12.4.5.8]`; "none" leaves a component out.
struct StackRequest {
    std::string cuda;    ///< 11.8, 12.4, 13.0, 12 (newest of the major) or exact 12.4.127.
    std::string cudnn;   ///< 9.1 (newest 9.1.x), 9.13.0.50 (exact), or "none".
    std::string cublas;  ///< Empty: the cuBLAS that goes with `cuda`; a version; or "none".

    /// Parses `key=value` words; throws StackError naming the bad word.
    static StackRequest parse(const std::vector<std::string>& words);
    int cuda_major() const;
    /// The prefix's directory name: cuda12.4-cudnn9.1 (cuda12.4-nocudnn without cuDNN).
    std::string name() const;
};

/// One wheel to fetch: the pip requirement and where its libraries sit inside the wheel.
struct WheelSpec {
    std::string component;    ///< cuda_runtime, cudnn, cublas.
    std::string package;      ///< nvidia-cudnn-cu12
    std::string requirement;  ///< nvidia-cudnn-cu12>=9.1,<9.2
    std::string fallback;     ///< A wider requirement tried when nothing matches (cuBLAS minors drift), or empty.
};

/// A version pattern as a pip specifier: "9.1" -> ">=9.1,<9.2", "9.13.0.50" -> "==9.13.0.50", "12" -> ">=12,<13".
std::string version_specifier(const std::string& version);

/// The wheels of a request: CUDA 11/12 use the -cu11/-cu12 packages, CUDA 13 the unsuffixed runtime and cuBLAS
/// (nvidia-cuda-runtime, nvidia-cublas) and nvidia-cudnn-cu13.
std::vector<WheelSpec> resolve_wheels(const StackRequest& request);

/// The wheels of a toolkit prefix (headers and compiler to build the catalogue with): the run stack's wheels plus
/// the compiler and CCCL. CUDA 13: nvidia-cuda-nvcc, nvidia-cuda-crt, nvidia-nvvm, nvidia-cuda-cccl (a complete
/// nvcc). CUDA 11/12: nvidia-cuda-nvcc-cuXX, which holds ptxas, libnvvm and crt/ but no nvcc, cudafe++ or cicc.
std::vector<WheelSpec> resolve_toolkit_wheels(const StackRequest& request);

/// The cache: $CUCONFORM_CACHE, else $XDG_CACHE_HOME/cuconform, else ~/.cache/cuconform.
std::string cache_root();

/// Lower-case hex SHA-256 of a file; throws StackError when it cannot be read.
std::string sha256_file(const std::string& path);
/// Lower-case hex SHA-256 of bytes.
std::string sha256_hex(const std::string& bytes);

struct FetchOptions {
    std::string cache;                  ///< Empty: cache_root().
    std::vector<std::string> pip_args;  ///< Extra arguments for pip (--no-index --find-links DIR, --index-url URL).
    bool quiet = false;
};

struct FetchResult {
    std::string prefix;    ///< <cache>/stacks/<name>
    nlohmann::json stack;  ///< The prefix's stack.json.
    int downloaded = 0;    ///< Wheels downloaded by this call.
    int reused = 0;        ///< Wheels found in the cache with a matching sha256.
};

/// Downloads (or reuses) the wheels and assembles the prefix. Messages go to stderr unless quiet.
FetchResult fetch_stack(const StackRequest& request, const FetchOptions& options);

/// Downloads (or reuses) the toolkit wheels and assembles `<cache>/toolkits/<name>/` laid out like a CUDA toolkit
/// ({bin,include,lib,lib64,nvvm}, version.txt) for `-DCUDAToolkit_ROOT=` and `-DCUDNN_ROOT=`, with a toolkit.json
/// (versions, wheels, "nvcc": its path or empty, "missing": absent files). FetchResult::stack is the toolkit.json.
FetchResult fetch_toolkit(const StackRequest& request, const FetchOptions& options);

/// The python that runs pip: $CUCONFORM_PYTHON, else python3 on PATH.
std::string pip_python();

/// The cached stacks: each stack.json plus "size_bytes" (the prefix and the wheels it uses).
nlohmann::json list_stacks(const std::string& cache);

/// Reads PREFIX/stack.json; an empty object when the prefix was not made by `stack fetch`.
nlohmann::json read_stack_json(const std::string& prefix);

/// What cell.json records about a stack: provider (wheels | prefix), prefix, isolation; in `details` what `stack
/// fetch` recorded (name, request, versions, wheels, fetched_at).
results::CellStack stack_record(const std::string& prefix, const std::string& isolation);

/// Byte size of a directory tree (symlinks count as links, not as their targets).
std::uintmax_t tree_size(const std::string& path);

}  // namespace cuconform::provision
