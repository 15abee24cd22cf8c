// SPDX-License-Identifier: Apache-2.0
/// \file Host reference implementations of the kernels in kernels/*.cu, and the embedded images.
#pragma once

#include <cstddef>
#include <span>

extern "C" {
extern const unsigned char cuconform_fatbin_suite[];
extern const unsigned long cuconform_fatbin_suite_size;
extern const unsigned char cuconform_fatbin_sm75_only[];
extern const unsigned long cuconform_fatbin_sm75_only_size;
extern const unsigned char cuconform_fatbin_ptx75_only[];
extern const unsigned long cuconform_fatbin_ptx75_only_size;
extern const unsigned char cuconform_fatbin_sm90a_only[];
extern const unsigned long cuconform_fatbin_sm90a_only_size;
}

namespace cuconform::kernels {

/// An embedded fat binary.
struct Image {
    const char* name;
    const unsigned char* data;
    std::size_t size;
};

inline Image suite_image() { return {"suite", cuconform_fatbin_suite, cuconform_fatbin_suite_size}; }

/// Reference for cuconform_probe.
inline void probe_reference(std::span<int> out) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int>(i) + 1;
}

/// Reference for the *axpy kernels, in float.
inline void axpy_reference(float a, std::span<const float> x, std::span<float> y) {
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = a * x[i] + y[i];
}

}  // namespace cuconform::kernels
