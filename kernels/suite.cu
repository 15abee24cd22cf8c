// SPDX-License-Identifier: Apache-2.0
/// \file Kernels the precision and memory cases run on a GPU. Each has a host reference in
/// kernels/reference.h; the cases compare the two.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

extern "C" __global__ void cuconform_probe(int* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = i + 1;
}

/// y = a*x + y in float32.
extern "C" __global__ void cuconform_saxpy_f32(int n, float a, const float* x, float* y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i] + y[i];
}

/// y = a*x + y with half-precision arithmetic (__hfma needs native fp16, cc >= 5.3).
extern "C" __global__ void cuconform_haxpy_f16(int n, __half a, const __half* x, __half* y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = __hfma(a, x[i], y[i]);
}

/// y = a*x + y with bfloat16 arithmetic (native bf16 FMA needs cc >= 8.0).
extern "C" __global__ void cuconform_baxpy_bf16(int n, __nv_bfloat16 a, const __nv_bfloat16* x, __nv_bfloat16* y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = __fma_rn(a, x[i], y[i]);
}
