// SPDX-License-Identifier: Apache-2.0
/// \file Family `memory`: out of memory (ResourceExhaustedError) and whether the process recovers.
#include <cstdlib>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "cases/common.h"
#include "cases/cudnn_check.h"

namespace cuconform::cases {
namespace {

/// The cap a memory variant sets (CUCONFORM_MEMORY_CAP_MIB), in bytes; 0 when none.
std::size_t memory_cap_bytes() {
    const char* cap = std::getenv("CUCONFORM_MEMORY_CAP_MIB");
    return cap ? static_cast<std::size_t>(std::strtoull(cap, nullptr, 10)) << 20 : 0;
}

/// A step before the allocation under test failed. Its own out-of-memory error must not read as the expected one.
Outcome setup_failed(cudaError_t status, std::string_view what) {
    return Outcome::error(Domain::Harness, "SETUP_FAILED", static_cast<long>(status),
                          fmt::format("{} failed: {}", what, loader::cuda_runtime_error_name(status)));
}

/// Device memory taken so that only a given number of bytes stays free, freed with its scope.
class Ballast {
public:
    Ballast() = default;
    Ballast(const Ballast&) = delete;
    Ballast& operator=(const Ballast&) = delete;
    ~Ballast() {
        if (memory_ != nullptr) loader::cuda_runtime().cudaFree(memory_);
    }

    /// Leaves `keep` bytes free (takes nothing when no more is free); the set-up failure, if a step failed.
    std::optional<Outcome> leave_free(std::size_t keep, std::string_view what) {
        const auto& rt = loader::cuda_runtime();
        std::size_t free_bytes = 0, total = 0;
        if (auto s = rt.cudaMemGetInfo(&free_bytes, &total); s != cudaSuccess) return setup_failed(s, "cudaMemGetInfo");
        if (free_bytes <= keep) return std::nullopt;
        if (auto s = rt.cudaMalloc(&memory_, free_bytes - keep); s != cudaSuccess) {
            memory_ = nullptr;
            return setup_failed(s, what);
        }
        return std::nullopt;
    }

private:
    void* memory_ = nullptr;
};

/// Asks for more than is free (or than the cap), then checks that a small allocation still works.
Outcome allocate_beyond_free() {
    const auto& rt = loader::cuda_runtime();
    if (auto failed = library_failure(rt.library)) return *failed;
    // With a cap, a ballast leaves only `cap` bytes free: the OOM below is then real and the same on every GPU size.
    Ballast ballast;
    if (const std::size_t cap = memory_cap_bytes(); cap != 0) {
        if (auto failed = ballast.leave_free(cap, "the ballast allocation for the memory cap")) return *failed;
    }
    size_t free_bytes = 0, total = 0;
    if (auto s = rt.cudaMemGetInfo(&free_bytes, &total); s != cudaSuccess) return setup_failed(s, "cudaMemGetInfo");
    void* huge = nullptr;
    const auto status = rt.cudaMalloc(&huge, free_bytes + (static_cast<size_t>(1) << 30));
    if (status == cudaSuccess) {
        rt.cudaFree(huge);
        return Outcome::ok("an allocation beyond free memory succeeded (oversubscription)");
    }
    rt.cudaGetLastError();  // Allocation errors are not sticky: clear and continue.
    void* small = nullptr;
    if (auto s = rt.cudaMalloc(&small, 1 << 20); s != cudaSuccess) {
        return Outcome::error(Domain::Cuda, "NOT_RECOVERED", static_cast<long>(s),
                              "after the failed allocation, a 1 MiB allocation failed too");
    }
    rt.cudaFree(small);
    return runtime_outcome(status, "cudaMalloc(free + 1 GiB), then recovered with a 1 MiB allocation");
}

// Tests out-of-memory and recovery: the framework's ResourceExhaustedError.
CUCONFORM_CASE({
    .id = "memory.alloc.beyond_free",
    .title = "An allocation larger than free device memory fails cleanly and the process keeps working",
    .symptom = "ResourceExhaustedError: OOM when allocating tensor; later allocations must still work",
    .cause = "cudaMalloc returns cudaErrorMemoryAllocation; the error is not sticky",
    .seed = "002",
    .needs = {Need::WholeGpu},
    .variants = {{.name = "default"}, {.name = "capped_256mib", .memory_cap_mib = 256}},
    .expect = R"(
        otherwise -> error(cuda, cudaErrorMemoryAllocation)
    )",
    .reproduce = [](CaseContext&) { return allocate_beyond_free(); },
});

/// The convolution forward algorithms that may ask for a workspace, the biggest askers first.
constexpr cudnnConvolutionFwdAlgo_t kWorkspaceAlgorithms[] = {
    CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, CUDNN_CONVOLUTION_FWD_ALGO_GEMM,
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM};

/// cuDNN asks for a convolution workspace; only half of it is left free, so allocating it fails as a framework's
/// allocator does when the GPU is full. Then the same convolution must still run with IMPLICIT_GEMM, which needs no
/// workspace: the fallback a framework takes ("no algorithm fits the memory left" must not end the process).
Outcome workspace_beyond_free() {
    const auto& rt = loader::cuda_runtime();
    if (auto failed = library_failure(rt.library)) return *failed;
    if (auto failed = library_failure(loader::cudnn().library)) return *failed;
    const auto& api = loader::cudnn();
    // 16x64x128x128 float input, 64 3x3 filters: FFT asks for hundreds of MiB.
    constexpr int n = 16, c = 64, hw = 128, k = 64, r = 3, out_hw = hw - r + 1;
    ConvolutionDescriptors d;
    if (auto failed = create_descriptors(d)) return *failed;
    const auto [x, y, w, conv] = std::tuple{d.x, d.y, d.w, d.conv};
    cudnnHandle_t handle = nullptr;
    CUCONFORM_CUDNN_TRY(cudnnSetTensor4dDescriptor, x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, hw, hw);
    CUCONFORM_CUDNN_TRY(cudnnSetTensor4dDescriptor, y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, k, out_hw, out_hw);
    CUCONFORM_CUDNN_TRY(cudnnSetFilter4dDescriptor, w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, c, r, r);
    CUCONFORM_CUDNN_TRY(cudnnSetConvolution2dDescriptor, conv, 0, 0, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION,
                        CUDNN_DATA_FLOAT);
    CUCONFORM_CUDNN_TRY(cudnnCreate, &handle);
    Defer free_handle([&] { api.cudnnDestroy(handle); });

    std::size_t workspace_bytes = 0;
    auto algorithm = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    for (const auto candidate : kWorkspaceAlgorithms) {
        std::size_t bytes = 0;
        if (api.cudnnGetConvolutionForwardWorkspaceSize(handle, x, w, conv, y, candidate, &bytes) ==
                CUDNN_STATUS_SUCCESS &&
            bytes > workspace_bytes) {
            workspace_bytes = bytes;
            algorithm = candidate;
        }
    }
    if (workspace_bytes == 0)
        return Outcome::ok("no forward algorithm of this cuDNN asks for a workspace for a 16x64x128x128 convolution");

    // The tensors first: the fallback below needs them after memory has run out (their values do not matter).
    const std::size_t x_bytes = sizeof(float) * n * c * hw * hw, w_bytes = sizeof(float) * k * c * r * r,
                      y_bytes = sizeof(float) * n * k * out_hw * out_hw;
    void *dx = nullptr, *dw = nullptr, *dy = nullptr;
    Defer free_tensors([&] {  // cudaFree(nullptr) does nothing: those not allocated yet are fine
        rt.cudaFree(dx);
        rt.cudaFree(dw);
        rt.cudaFree(dy);
    });
    for (auto [buffer, bytes] : {std::pair{&dx, x_bytes}, std::pair{&dw, w_bytes}, std::pair{&dy, y_bytes}}) {
        if (auto s = rt.cudaMalloc(buffer, bytes); s != cudaSuccess) return setup_failed(s, "a tensor allocation");
    }
    Ballast ballast;
    if (auto failed = ballast.leave_free(workspace_bytes / 2, "the ballast allocation leaving half the workspace free"))
        return *failed;
    void* workspace = nullptr;
    const auto status = rt.cudaMalloc(&workspace, workspace_bytes);
    const std::string asked = fmt::format("cudaMalloc of the {} MiB workspace cuDNN asks for (algorithm {})",
                                          workspace_bytes >> 20, static_cast<int>(algorithm));
    if (status == cudaSuccess) {
        rt.cudaFree(workspace);
        return Outcome::ok(asked + " succeeded with half of it free (oversubscription)");
    }
    rt.cudaGetLastError();  // Allocation errors are not sticky.
    const float alpha = 1.0f, beta = 0.0f;
    const auto fallback = api.cudnnConvolutionForward(
        handle, &alpha, x, dx, w, dw, conv, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0, &beta, y, dy);
    const auto synced = rt.cudaDeviceSynchronize();
    if (fallback != CUDNN_STATUS_SUCCESS || synced != cudaSuccess) {
        return Outcome::error(
            Domain::Cuda, "NOT_RECOVERED", static_cast<long>(synced),
            fmt::format("after the failed workspace allocation, IMPLICIT_GEMM without a workspace failed: {}, {}",
                        loader::cudnn_status_name(fallback), loader::cuda_runtime_error_name(synced)));
    }
    return runtime_outcome(status, asked + "; then IMPLICIT_GEMM without a workspace ran");
}

// Tests cuDNN's answer when its workspace cannot be allocated.
CUCONFORM_CASE({
    .id = "memory.cudnn.workspace",
    .title = "A convolution whose workspace cannot be allocated, then the same convolution without one",
    .symptom = "\"Failed to get convolution algorithm. This is probably because cuDNN failed to initialize\"",
    .cause = "The workspace cudnnGetConvolutionForwardWorkspaceSize asks for exceeds free memory; a framework must "
             "fall back to an algorithm that needs none",
    .seed = "004",
    .needs = {Need::Cudnn, Need::WholeGpu},
    .expect = R"(
        otherwise -> error(cuda, cudaErrorMemoryAllocation)
    )",
    .reproduce = [](CaseContext&) { return workspace_beyond_free(); },
});

}  // namespace
}  // namespace cuconform::cases
