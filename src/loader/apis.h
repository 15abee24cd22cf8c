// SPDX-License-Identifier: Apache-2.0
/// \file Function tables for the CUDA driver, the CUDA runtime, cuDNN and cuBLAS/cuBLASLt, filled
/// by dlsym from libraries loaded by soname. This is the only place that includes the libraries'
/// headers (for their types); nothing is linked. A missing symbol leaves its pointer null.
#pragma once

#include <cublasLt.h>
#include <cublas_api.h>
#include <cuda.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <string>

#include "loader/library.h"

#define CUCONFORM_STR_INNER(x) #x
#define CUCONFORM_STR(x) CUCONFORM_STR_INNER(x)

// X(name): the member is `name` (after the header's own version macros, e.g. cuMemAlloc -> cuMemAlloc_v2)
// and the symbol looked up is the same expanded name.
#define CUCONFORM_CUDA_DRIVER_FUNCTIONS(X)                                                                        \
    X(cuInit) X(cuDriverGetVersion) X(cuGetErrorName) X(cuGetErrorString) X(cuDeviceGetCount) X(cuDeviceGet)      \
    X(cuDeviceGetName) X(cuDeviceGetAttribute) X(cuDeviceTotalMem) X(cuDeviceGetUuid) X(cuDeviceGetPCIBusId)      \
    X(cuDevicePrimaryCtxRetain) X(cuCtxSetCurrent) X(cuCtxSynchronize) X(cuModuleLoadData) X(cuModuleUnload)      \
    X(cuModuleGetFunction) X(cuLaunchKernel) X(cuMemAlloc) X(cuMemFree) X(cuMemcpyHtoD) X(cuMemcpyDtoH)          \
    X(cuMemGetInfo)

#define CUCONFORM_CUDA_RUNTIME_FUNCTIONS(X)                                                                         \
    X(cudaRuntimeGetVersion) X(cudaDriverGetVersion) X(cudaGetErrorName) X(cudaGetErrorString)                      \
    X(cudaGetDeviceCount) X(cudaSetDevice) X(cudaFree) X(cudaMemGetInfo) X(cudaGetLastError)                        \
    X(cudaDeviceSynchronize) X(cudaMemcpy) X(cudaDeviceGetAttribute)

#define CUCONFORM_CUDNN_COMMON_FUNCTIONS(X)                                                                        \
    X(cudnnGetVersion) X(cudnnGetCudartVersion) X(cudnnGetErrorString) X(cudnnCreate) X(cudnnDestroy)              \
    X(cudnnCreateTensorDescriptor) X(cudnnSetTensor4dDescriptor) X(cudnnSetTensorNdDescriptor)                     \
    X(cudnnDestroyTensorDescriptor) X(cudnnCreateFilterDescriptor) X(cudnnSetFilter4dDescriptor)                   \
    X(cudnnSetFilterNdDescriptor) X(cudnnDestroyFilterDescriptor) X(cudnnCreateConvolutionDescriptor)              \
    X(cudnnSetConvolution2dDescriptor) X(cudnnSetConvolutionMathType) X(cudnnSetConvolutionGroupCount)             \
    X(cudnnGetConvolution2dForwardOutputDim) X(cudnnDestroyConvolutionDescriptor)                                  \
    X(cudnnGetConvolutionForwardWorkspaceSize) X(cudnnConvolutionForward) X(cudnnCreateRNNDescriptor)              \
    X(cudnnSetRNNDescriptor_v8) X(cudnnDestroyRNNDescriptor) X(cudnnCreateRNNDataDescriptor)                       \
    X(cudnnSetRNNDataDescriptor) X(cudnnDestroyRNNDataDescriptor) X(cudnnCreateDropoutDescriptor)                  \
    X(cudnnDestroyDropoutDescriptor) X(cudnnGetRNNWeightSpaceSize) X(cudnnGetRNNTempSpaceSizes) X(cudnnRNNForward) \
    X(cudnnRNNBackwardData_v8) X(cudnnRNNBackwardWeights_v8) X(cudnnCreateActivationDescriptor)                    \
    X(cudnnSetActivationDescriptor) X(cudnnActivationForward) X(cudnnActivationBackward)                           \
    X(cudnnDestroyActivationDescriptor) X(cudnnBackendCreateDescriptor) X(cudnnBackendSetAttribute)                \
    X(cudnnBackendFinalize) X(cudnnBackendDestroyDescriptor)

// The sub-library version checks, X(member, symbol): declared for every cuDNN major with their common signature
// (cudnnStatus_t (void)), looked up by the built major's names; a shim without one leaves it null.
#if CUDNN_MAJOR >= 9
#define CUCONFORM_CUDNN_VERSION_CHECKS(X)                                                                 \
    X(cudnnOpsVersionCheck, cudnnOpsVersionCheck) X(cudnnCnnVersionCheck, cudnnCnnVersionCheck)           \
    X(cudnnAdvVersionCheck, cudnnAdvVersionCheck) X(cudnnGraphVersionCheck, cudnnGraphVersionCheck)
#else  // cuDNN 8: one check per *_infer library (the *_train ones load them); no graph library.
#define CUCONFORM_CUDNN_VERSION_CHECKS(X)                                                                 \
    X(cudnnOpsVersionCheck, cudnnOpsInferVersionCheck) X(cudnnCnnVersionCheck, cudnnCnnInferVersionCheck) \
    X(cudnnAdvVersionCheck, cudnnAdvInferVersionCheck) X(cudnnGraphVersionCheck, cudnnGraphVersionCheck)
#endif

#if CUDNN_MAJOR >= 9
#define CUCONFORM_CUDNN_FUNCTIONS(X) CUCONFORM_CUDNN_COMMON_FUNCTIONS(X) \
    X(cudnnGetMaxDeviceVersion) X(cudnnGetLastErrorString)
#else
#define CUCONFORM_CUDNN_FUNCTIONS(X) CUCONFORM_CUDNN_COMMON_FUNCTIONS(X)
#endif

#define CUCONFORM_CUBLAS_FUNCTIONS(X) X(cublasGetProperty) X(cublasLtGetVersion) X(cublasLtGetCudartVersion)

namespace cuconform::loader {

#define CUCONFORM_DECLARE_POINTER(name) decltype(&::name) name = nullptr;

/// libcuda.so.1, the driver's user-mode library.
struct CudaDriver {
    Library library;
    CUCONFORM_CUDA_DRIVER_FUNCTIONS(CUCONFORM_DECLARE_POINTER)
};

/// libcudart.so.<major of the toolkit the suite was built with>.
struct CudaRuntime {
    Library library;
    CUCONFORM_CUDA_RUNTIME_FUNCTIONS(CUCONFORM_DECLARE_POINTER)
    /// By its C signature: cuda_runtime.h (which cuDNN 8's headers include) overloads it with a template.
    cudaError_t (*cudaMalloc)(void**, size_t) = nullptr;
};

/// libcudnn.so.<major of the cuDNN headers the suite was built with>: the shim that loads the sub-libraries.
struct Cudnn {
    Library library;
    CUCONFORM_CUDNN_FUNCTIONS(CUCONFORM_DECLARE_POINTER)
#define CUCONFORM_DECLARE_CHECK(member, symbol) cudnnStatus_t (*member)() = nullptr;
    CUCONFORM_CUDNN_VERSION_CHECKS(CUCONFORM_DECLARE_CHECK)
#undef CUCONFORM_DECLARE_CHECK
};

/// libcublas.so.<major> and libcublasLt.so.<major>.
struct Cublas {
    Library library;     ///< libcublas
    Library library_lt;  ///< libcublasLt
    CUCONFORM_CUBLAS_FUNCTIONS(CUCONFORM_DECLARE_POINTER)
};

#undef CUCONFORM_DECLARE_POINTER

/// Each of these loads its library once per process (later calls return the same table) and never
/// initialises CUDA: loading is safe in the parent that forks the cases.
const CudaDriver& cuda_driver();
const CudaRuntime& cuda_runtime();
const Cudnn& cudnn();
const Cublas& cublas();

/// Sonames of the build: libcudart.so.13, libcudnn.so.9, libcublas.so.13, libcublasLt.so.13...
std::string runtime_soname();
std::string cudnn_soname();
std::string cublas_soname();
std::string cublaslt_soname();
inline constexpr const char* kDriverSoname = "libcuda.so.1";

/// The cuDNN sub-libraries of the built cuDNN major, in load order (9: graph, ops, cnn, adv,
/// engines_precompiled, engines_runtime_compiled, heuristic; 8: ops_infer, ops_train, cnn_infer...).
const std::vector<std::string>& cudnn_sublibrary_sonames();

/// The CUDA/cuDNN versions of the headers the suite was compiled with.
int built_cudart_version();  ///< CUDART_VERSION, e.g. 13000
long built_cudnn_version();  ///< CUDNN_VERSION, e.g. 91900

/// Names of status codes, from the library when it is loaded, from the headers otherwise.
std::string cuda_driver_error_name(CUresult code);
std::string cuda_runtime_error_name(cudaError_t code);
std::string cudnn_status_name(cudnnStatus_t code);

}  // namespace cuconform::loader
