// SPDX-License-Identifier: Apache-2.0
/// \file Family `memory`: out of memory (ResourceExhaustedError) and whether the process recovers.
#include <cstdlib>

#include "cases/common.h"

namespace cuconform::cases {
namespace {

/// The cap a memory variant sets (CUCONFORM_MEMORY_CAP_MIB), in bytes; 0 when none.
std::size_t memory_cap_bytes() {
    const char* cap = std::getenv("CUCONFORM_MEMORY_CAP_MIB");
    return cap ? static_cast<std::size_t>(std::strtoull(cap, nullptr, 10)) << 20 : 0;
}

/// Asks for more than is free (or than the cap), then checks that a small allocation still works.
Outcome allocate_beyond_free() {
    const auto& rt = loader::cuda_runtime();
    if (auto failed = library_failure(rt.library)) return *failed;
    size_t free_bytes = 0, total = 0;
    if (auto s = rt.cudaMemGetInfo(&free_bytes, &total); s != cudaSuccess) return runtime_outcome(s, "cudaMemGetInfo");
    const std::size_t cap = memory_cap_bytes();
    // With a cap, take a ballast so that only `cap` bytes stay free: the OOM below is then real and the same
    // on every GPU size.
    void* ballast = nullptr;
    if (cap != 0 && free_bytes > cap) {
        if (auto s = rt.cudaMalloc(&ballast, free_bytes - cap); s != cudaSuccess) {
            return runtime_outcome(s, "ballast allocation for the memory cap");
        }
        rt.cudaMemGetInfo(&free_bytes, &total);
    }
    void* huge = nullptr;
    const auto status = rt.cudaMalloc(&huge, free_bytes + (static_cast<size_t>(1) << 30));
    if (status == cudaSuccess) {
        rt.cudaFree(huge);
        if (ballast) rt.cudaFree(ballast);
        return Outcome::ok("an allocation beyond free memory succeeded (oversubscription)");
    }
    rt.cudaGetLastError();  // Allocation errors are not sticky: clear and continue.
    void* small = nullptr;
    if (auto s = rt.cudaMalloc(&small, 1 << 20); s != cudaSuccess) {
        return Outcome::error(Domain::Cuda, "NOT_RECOVERED", static_cast<long>(s),
                              "after the failed allocation, a 1 MiB allocation failed too");
    }
    rt.cudaFree(small);
    if (ballast) rt.cudaFree(ballast);
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

// Tests cuDNN's answer when its workspace cannot be allocated.
CUCONFORM_CASE({
    .id = "memory.cudnn.workspace",
    .title = "A convolution whose workspace cannot be allocated",
    .symptom = "\"Failed to get convolution algorithm. This is probably because cuDNN failed to initialize\"",
    .cause = "The workspace cudnnGetConvolutionForwardWorkspaceSize asks for exceeds free memory",
    .seed = "004",
    .needs = {Need::WholeGpu},
    .expect = R"(
        otherwise -> error(cuda, cudaErrorMemoryAllocation)
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& rt = loader::cuda_runtime();
            if (auto failed = library_failure(rt.library)) return *failed;
            size_t free_bytes = 0, total = 0;
            rt.cudaMemGetInfo(&free_bytes, &total);
            void* workspace = nullptr;
            const auto status = rt.cudaMalloc(&workspace, total * 2);
            if (status == cudaSuccess) rt.cudaFree(workspace);
            return runtime_outcome(status, fmt::format("workspace of {} MiB", (total * 2) >> 20));
        },
});

}  // namespace
}  // namespace cuconform::cases
