// SPDX-License-Identifier: Apache-2.0
/// \file Family `precision`: float16/bfloat16 arithmetic by compute capability, and nvcc dropping old architectures.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cases/toolchain.h"
#include "catalog/case.h"
#include "core/build_info.h"
#include "kernels/reference.h"
#include "loader/apis.h"

namespace cuconform::cases {
namespace {

/// Element types the *axpy kernels of kernels/suite.cu take.
enum class Precision { kFloat32, kFloat16, kBfloat16 };

/// float -> IEEE half bits, for values that half represents exactly (small integers and halves here).
std::uint16_t to_half_bits(float value) {
    std::uint32_t f = 0;
    std::memcpy(&f, &value, sizeof f);
    const std::uint32_t sign = (f >> 16) & 0x8000u;
    const int exponent = static_cast<int>((f >> 23) & 0xffu) - 127 + 15;
    if ((f & 0x7fffffffu) == 0) return static_cast<std::uint16_t>(sign);
    return static_cast<std::uint16_t>(sign | (static_cast<std::uint32_t>(exponent) << 10) | ((f >> 13) & 0x3ffu));
}

float from_half_bits(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    const std::uint32_t mantissa = h & 0x3ffu;
    std::uint32_t f = sign;
    if (exponent != 0) f |= ((exponent - 15 + 127) << 23) | (mantissa << 13);  // No subnormals among our values.
    float out = 0;
    std::memcpy(&out, &f, sizeof out);
    return out;
}

std::uint16_t to_bf16_bits(float value) {
    std::uint32_t f = 0;
    std::memcpy(&f, &value, sizeof f);
    return static_cast<std::uint16_t>(f >> 16);  // Exact for our values (8 significant bits).
}

float from_bf16_bits(std::uint16_t b) {
    const std::uint32_t f = static_cast<std::uint32_t>(b) << 16;
    float out = 0;
    std::memcpy(&out, &f, sizeof out);
    return out;
}

Outcome cuda_failure(CUresult result, std::string_view call) {
    const auto& drv = loader::cuda_driver();
    const char* text = nullptr;
    if (drv.cuGetErrorString != nullptr) drv.cuGetErrorString(result, &text);
    return Outcome::error(Domain::Cuda, loader::cuda_driver_error_name(result), static_cast<long>(result),
                          fmt::format("{}: {}", call, text != nullptr ? text : ""));
}

#define CUCONFORM_CU_TRY(call)                                                    \
    do {                                                                          \
        if (const CUresult result_ = (call); result_ != CUDA_SUCCESS)             \
            return cuda_failure(result_, #call);                                  \
    } while (0)

/// Runs y = a*x + y with `precision` through the driver API on device 0 and compares with the host reference.
Outcome run_axpy(Precision precision) {
    const auto& drv = loader::cuda_driver();
    if (!drv.library.loaded())
        return Outcome::error(Domain::Loader, "LIBRARY_NOT_FOUND", {}, drv.library.record().error);
    constexpr int kCount = 256;
    const float a = 2.0f;
    std::vector<float> x(kCount), y(kCount), expected(kCount);
    for (int i = 0; i < kCount; ++i) {
        x[i] = static_cast<float>(i % 8);
        y[i] = 0.5f * static_cast<float>(i % 4);
    }
    expected = y;
    kernels::axpy_reference(a, x, expected);

    CUCONFORM_CU_TRY(drv.cuInit(0));
    CUdevice device = 0;
    CUCONFORM_CU_TRY(drv.cuDeviceGet(&device, 0));
    CUcontext context = nullptr;
    CUCONFORM_CU_TRY(drv.cuDevicePrimaryCtxRetain(&context, device));
    CUCONFORM_CU_TRY(drv.cuCtxSetCurrent(context));
    const auto image = kernels::suite_image();
    CUmodule module = nullptr;
    CUCONFORM_CU_TRY(drv.cuModuleLoadData(&module, image.data));
    const char* name = precision == Precision::kFloat32   ? "cuconform_saxpy_f32"
                       : precision == Precision::kFloat16 ? "cuconform_haxpy_f16"
                                                          : "cuconform_baxpy_bf16";
    CUfunction function = nullptr;
    CUCONFORM_CU_TRY(drv.cuModuleGetFunction(&function, module, name));

    const std::size_t element = precision == Precision::kFloat32 ? sizeof(float) : sizeof(std::uint16_t);
    std::vector<unsigned char> x_bytes(kCount * element), y_bytes(kCount * element);
    std::uint16_t a16 = 0;
    for (int i = 0; i < kCount; ++i) {
        if (precision == Precision::kFloat32) {
            std::memcpy(&x_bytes[i * element], &x[i], element);
            std::memcpy(&y_bytes[i * element], &y[i], element);
        } else {
            const auto convert = precision == Precision::kFloat16 ? to_half_bits : to_bf16_bits;
            const std::uint16_t xb = convert(x[i]), yb = convert(y[i]);
            std::memcpy(&x_bytes[i * element], &xb, element);
            std::memcpy(&y_bytes[i * element], &yb, element);
        }
    }
    if (precision != Precision::kFloat32) a16 = precision == Precision::kFloat16 ? to_half_bits(a) : to_bf16_bits(a);

    CUdeviceptr dx = 0, dy = 0;
    CUCONFORM_CU_TRY(drv.cuMemAlloc(&dx, x_bytes.size()));
    CUCONFORM_CU_TRY(drv.cuMemAlloc(&dy, y_bytes.size()));
    CUCONFORM_CU_TRY(drv.cuMemcpyHtoD(dx, x_bytes.data(), x_bytes.size()));
    CUCONFORM_CU_TRY(drv.cuMemcpyHtoD(dy, y_bytes.data(), y_bytes.size()));
    int n = kCount;
    void* args[4] = {&n, nullptr, &dx, &dy};
    float a32 = a;
    args[1] = precision == Precision::kFloat32 ? static_cast<void*>(&a32) : static_cast<void*>(&a16);
    CUCONFORM_CU_TRY(drv.cuLaunchKernel(function, (kCount + 127) / 128, 1, 1, 128, 1, 1, 0, nullptr, args, nullptr));
    CUCONFORM_CU_TRY(drv.cuCtxSynchronize());
    CUCONFORM_CU_TRY(drv.cuMemcpyDtoH(y_bytes.data(), dy, y_bytes.size()));
    drv.cuMemFree(dx);
    drv.cuMemFree(dy);
    drv.cuModuleUnload(module);
    for (int i = 0; i < kCount; ++i) {
        float got = 0;
        if (precision == Precision::kFloat32) {
            std::memcpy(&got, &y_bytes[i * element], element);
        } else {
            std::uint16_t bits = 0;
            std::memcpy(&bits, &y_bytes[i * element], element);
            got = precision == Precision::kFloat16 ? from_half_bits(bits) : from_bf16_bits(bits);
        }
        if (got != expected[i]) {
            return Outcome::error(Domain::Harness, "WRONG_RESULT", {},
                                  fmt::format("{}[{}] = {} on the GPU, {} on the host", name, i, got, expected[i]));
        }
    }
    return Outcome::ok(fmt::format("{}: {} elements equal the host reference", name, kCount));
}

/// Asks the build's nvcc to compile cases/compile/arch_probe.cu for `arch` (sm_61...).
Outcome nvcc_for(const std::string& arch) {
    const std::string nvcc = CUCONFORM_NVCC;
    if (tool_missing(nvcc)) return Outcome::error(Domain::Harness, "TOOL_NOT_FOUND", {}, nvcc + " is not executable");
    // A file of its own (not one named by getpid(): every contained case process is pid 1 in its namespace).
    std::string out = (std::filesystem::temp_directory_path() / fmt::format("cuconform_{}_XXXXXX.cubin", arch)).string();
    if (const int fd = mkstemps(out.data(), 6); fd >= 0) close(fd);
    const auto result = run_command({nvcc, "-arch=" + arch, "-cubin", "-o", out,
                                     (source_dir() / "cases" / "compile" / "arch_probe.cu").string()});
    std::error_code ec;
    std::filesystem::remove(out, ec);
    if (result.exit_code == 0) return Outcome::ok(fmt::format("nvcc -arch={} compiled the probe kernel", arch));
    const std::string first = first_diagnostic(result.output, "fatal");
    const bool unsupported = first.find("Unsupported gpu architecture") != std::string::npos;
    return Outcome::error(Domain::Compile, unsupported ? "UNSUPPORTED_GPU_ARCHITECTURE" : "COMPILE_ERROR",
                          result.exit_code, first);
}

// The suite's image (kernels/CMakeLists.txt, CUCONFORM_KERNEL_ARCHS 75;80;86;89;90 by default) carries SASS for
// sm_75 and newer and PTX for compute_90: a GPU below 7.5 finds no image at cuModuleLoadData, whatever the dtype;
// the fp16 (5.3) and bf16 (8.0) hardware thresholds sit below or inside that range. Below 8.0, cuda_bf16.h
// emulates bf16 FMA through float, which is exact for these values.

// Tests float16 a*x+y (__hfma) on the GPU against the host reference.
CUCONFORM_CASE({
    .id = "precision.fp16.haxpy",
    .title = "float16 axpy with __hfma on device 0, compared with the float host reference",
    .symptom = "dtype='float16' on an old GPU: UnimplementedError or \"no kernel image is available\"",
    .cause = "native fp16 arithmetic needs cc >= 5.3; with this build's image, cc < 7.5 has no binary at all",
    .seed = "DESIGN.md: float16 / bfloat16 on old GPUs",
    .labels = {"fp16"},
    .needs = {Need::Driver, Need::Gpu},
    .expect = R"(
        when suite_has_kernel(gpu.cc) == false -> error(cuda, CUDA_ERROR_NO_BINARY_FOR_GPU)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return run_axpy(Precision::kFloat16); },
});

// Tests bfloat16 a*x+y on the GPU against the host reference.
CUCONFORM_CASE({
    .id = "precision.bf16.baxpy",
    .title = "bfloat16 axpy with __fma_rn on device 0, compared with the float host reference",
    .symptom = "mixed_precision policy 'mixed_bfloat16' on a pre-Ampere GPU: slow or UnimplementedError",
    .cause = "native bf16 FMA needs cc >= 8.0 (emulated through float on 7.5); cc < 7.5 has no binary here",
    .seed = "DESIGN.md: float16 / bfloat16 on old GPUs",
    .labels = {"bf16"},
    .needs = {Need::Driver, Need::Gpu},
    .expect = R"(
        when suite_has_kernel(gpu.cc) == false -> error(cuda, CUDA_ERROR_NO_BINARY_FOR_GPU)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return run_axpy(Precision::kBfloat16); },
});

// Tests float32 a*x+y on the GPU (the control of the reduced-precision kernels).
CUCONFORM_CASE({
    .id = "precision.fp32.saxpy",
    .title = "float32 axpy on device 0 (control)",
    .symptom = "none: float32 runs wherever the image has a binary for the GPU",
    .cause = "same image, no reduced-precision instruction",
    .seed = "DESIGN.md: float16 / bfloat16 on old GPUs",
    .labels = {"control"},
    .needs = {Need::Driver, Need::Gpu},
    .expect = R"(
        when suite_has_kernel(gpu.cc) == false -> error(cuda, CUDA_ERROR_NO_BINARY_FOR_GPU)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return run_axpy(Precision::kFloat32); },
});

// Tests that CUDA 13's nvcc refuses to target Pascal (sm_61).
CUCONFORM_CASE({
    .id = "precision.nvcc.sm61_refused",
    .title = "nvcc -arch=sm_61 (GTX 10xx, Pascal) with the toolkit the suite was built with",
    .symptom = "a framework built from source for a GTX 1080 with CUDA 13: the build stops; prebuilt wheels have "
               "no kernel for the GPU",
    .cause = "CUDA 13.0 removed Maxwell, Pascal and Volta targets: \"nvcc fatal : Unsupported gpu architecture\"",
    .seed = "DESIGN.md: float16 / bfloat16 on old GPUs",
    .labels = {"compile"},
    .expect = R"(
        when nvcc_supports(toolkit.nvcc, "sm_61") == false -> error(compile, UNSUPPORTED_GPU_ARCHITECTURE)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return nvcc_for("sm_61"); },
});

// Tests that CUDA 13's nvcc refuses to target Volta (sm_70), the first tensor-core architecture.
CUCONFORM_CASE({
    .id = "precision.nvcc.sm70_refused",
    .title = "nvcc -arch=sm_70 (V100, Volta: first tensor cores) with the suite's toolkit",
    .symptom = "fp16 tensor-core code for a V100 no longer builds with CUDA 13",
    .cause = "CUDA 13.0 dropped sm_70 (deprecated in 12.x): \"nvcc fatal : Unsupported gpu architecture 'sm_70'\"",
    .seed = "DESIGN.md: float16 / bfloat16 on old GPUs",
    .labels = {"compile"},
    .expect = R"(
        when nvcc_supports(toolkit.nvcc, "sm_70") == false -> error(compile, UNSUPPORTED_GPU_ARCHITECTURE)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return nvcc_for("sm_70"); },
});

// Tests that the suite's nvcc still targets Turing (sm_75), the oldest architecture of its image.
CUCONFORM_CASE({
    .id = "precision.nvcc.sm75_accepted",
    .title = "nvcc -arch=sm_75 (T4, Turing) with the suite's toolkit (control)",
    .symptom = "none: Turing is still a target of CUDA 13",
    .cause = "sm_75 is the oldest architecture CUDA 13.0 compiles for",
    .seed = "DESIGN.md: float16 / bfloat16 on old GPUs",
    .labels = {"compile", "control"},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return nvcc_for("sm_75"); },
});

}  // namespace
}  // namespace cuconform::cases
