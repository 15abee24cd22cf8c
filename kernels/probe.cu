// SPDX-License-Identifier: Apache-2.0
/// \file A kernel that does almost nothing, compiled into images of chosen architectures so that a
/// case can ask the driver to load an image that has no code for the GPU at hand.
/// Host reference: out[i] = i + 1 (see kernels/reference.h).
extern "C" __global__ void cuconform_probe(int* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = i + 1;
}
