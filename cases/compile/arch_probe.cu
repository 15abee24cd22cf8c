// SPDX-License-Identifier: Apache-2.0
/// \file The smallest kernel, for asking nvcc which architectures it still targets.
__global__ void cuconform_arch_probe(float* x) { x[threadIdx.x] = 1.0f; }
