// SPDX-License-Identifier: Apache-2.0
/// \file Loads each library once per process and fills its function table.
#include "loader/apis.h"

#include <fmt/format.h>

namespace cuconform::loader {
namespace {

#define CUCONFORM_RESOLVE(name) api.name = api.library.function<decltype(api.name)>(CUCONFORM_STR(name));

int cuda_major() { return CUDART_VERSION / 1000; }

}  // namespace

// The runtime's SONAME carries the major from CUDA 12 on (libcudart.so.12, .13); CUDA 11's is libcudart.so.11.0 for
// every 11.x (readelf -d on nvidia-cuda-runtime-cu11 11.8.89), CUDA 10's names the minor (libcudart.so.10.2).
std::string runtime_soname() {
    if (cuda_major() >= 12) return fmt::format("libcudart.so.{}", cuda_major());
    if (cuda_major() == 11) return "libcudart.so.11.0";
    return fmt::format("libcudart.so.{}.{}", cuda_major(), (CUDART_VERSION % 1000) / 10);
}
std::string cudnn_soname() { return fmt::format("libcudnn.so.{}", CUDNN_MAJOR); }
std::string cublas_soname() { return fmt::format("libcublas.so.{}", CUBLAS_VER_MAJOR); }
std::string cublaslt_soname() { return fmt::format("libcublasLt.so.{}", CUBLAS_VER_MAJOR); }

int built_cudart_version() { return CUDART_VERSION; }
long built_cudnn_version() { return CUDNN_VERSION; }

const std::vector<std::string>& cudnn_sublibrary_sonames() {
    static const std::vector<std::string> sonames = [] {
        std::vector<std::string> names;
#if CUDNN_MAJOR >= 9
        for (const char* stem : {"graph", "ops", "cnn", "adv", "engines_precompiled", "engines_runtime_compiled",
                                 "heuristic"}) {
#else
        for (const char* stem : {"ops_infer", "ops_train", "cnn_infer", "cnn_train", "adv_infer", "adv_train"}) {
#endif
            names.push_back(fmt::format("libcudnn_{}.so.{}", stem, CUDNN_MAJOR));
        }
        return names;
    }();
    return sonames;
}

const CudaDriver& cuda_driver() {
    static const CudaDriver table = [] {
        CudaDriver api;
        api.library = Library::open(kDriverSoname);
        CUCONFORM_CUDA_DRIVER_FUNCTIONS(CUCONFORM_RESOLVE)
        return api;
    }();
    return table;
}

const CudaRuntime& cuda_runtime() {
    static const CudaRuntime table = [] {
        CudaRuntime api;
        api.library = Library::open(runtime_soname());
        CUCONFORM_CUDA_RUNTIME_FUNCTIONS(CUCONFORM_RESOLVE)
        CUCONFORM_RESOLVE(cudaMalloc)
        return api;
    }();
    return table;
}

const Cudnn& cudnn() {
    static const Cudnn table = [] {
        Cudnn api;
        api.library = Library::open(cudnn_soname());
        CUCONFORM_CUDNN_FUNCTIONS(CUCONFORM_RESOLVE)
#define CUCONFORM_RESOLVE_CHECK(member, symbol) \
    api.member = api.library.function<decltype(api.member)>(CUCONFORM_STR(symbol));
        CUCONFORM_CUDNN_VERSION_CHECKS(CUCONFORM_RESOLVE_CHECK)
#undef CUCONFORM_RESOLVE_CHECK
        return api;
    }();
    return table;
}

const Cublas& cublas() {
    static const Cublas table = [] {
        Cublas api;
        api.library_lt = Library::open(cublaslt_soname());
        api.library = Library::open(cublas_soname());
        api.cublasGetProperty = api.library.function<decltype(api.cublasGetProperty)>("cublasGetProperty");
        api.cublasLtGetVersion = api.library_lt.function<decltype(api.cublasLtGetVersion)>("cublasLtGetVersion");
        api.cublasLtGetCudartVersion =
            api.library_lt.function<decltype(api.cublasLtGetCudartVersion)>("cublasLtGetCudartVersion");
        return api;
    }();
    return table;
}

std::string cuda_driver_error_name(CUresult code) {
    const char* name = nullptr;
    if (const auto& api = cuda_driver(); api.cuGetErrorName && api.cuGetErrorName(code, &name) == CUDA_SUCCESS && name) {
        return name;
    }
    return fmt::format("CUresult({})", static_cast<int>(code));
}

std::string cuda_runtime_error_name(cudaError_t code) {
    if (const auto& api = cuda_runtime(); api.cudaGetErrorName) return api.cudaGetErrorName(code);
    return fmt::format("cudaError({})", static_cast<int>(code));
}

std::string cudnn_status_name(cudnnStatus_t code) {
    if (const auto& api = cudnn(); api.cudnnGetErrorString) return api.cudnnGetErrorString(code);
    return fmt::format("cudnnStatus({})", static_cast<int>(code));
}

}  // namespace cuconform::loader
