// SPDX-License-Identifier: Apache-2.0
/// \file Family `kernel_image`: "no kernel image is available for execution on the device" (209) and PTX too new
/// for the driver (222). The static cases read the suite's own embedded fat binaries with src/binary (no GPU);
/// the load cases ask a real driver to load them.
#include "binary/fatbin.h"
#include "binary/rules.h"
#include "cases/common.h"
#include "kernels/reference.h"
#include "knowledge/knowledge.h"

namespace cuconform::cases {
namespace {

/// What the driver will do with `image` on `gpu` with `driver`, from the image's contents alone.
Outcome judge_image(const unsigned char* data, std::size_t size, const char* gpu, const char* driver) {
    const auto fatbin = binary::parse_fatbin(data, size);
    const auto arch = binary::Arch::parse(gpu);
    const auto answer = binary::judge(fatbin, *arch, driver ? Version::parse(driver) : std::nullopt,
                                      knowledge::builtin_ptx_driver_floor());
    switch (answer.decision) {
        case binary::Decision::kNoKernelImage:
            return Outcome::error(Domain::Cuda, "CUDA_ERROR_NO_BINARY_FOR_GPU", 209, answer.rule);
        case binary::Decision::kPtxTooNew:
            return Outcome::error(Domain::Cuda, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", 222, answer.rule);
        default:
            return Outcome::ok(answer.rule);
    }
}

/// Loads an embedded image into a real context: the driver's own answer.
Outcome load_image(const unsigned char* data) {
    const auto& drv = loader::cuda_driver();
    if (auto failed = library_failure(drv.library)) return *failed;
    if (auto s = drv.cuInit(0); s != CUDA_SUCCESS) return driver_outcome(s, "cuInit");
    CUdevice dev = 0;
    CUcontext ctx = nullptr;
    if (auto s = drv.cuDeviceGet(&dev, 0); s != CUDA_SUCCESS) return driver_outcome(s, "cuDeviceGet");
    if (auto s = drv.cuDevicePrimaryCtxRetain(&ctx, dev); s != CUDA_SUCCESS) {
        return driver_outcome(s, "cuDevicePrimaryCtxRetain");
    }
    drv.cuCtxSetCurrent(ctx);
    CUmodule module = nullptr;
    const auto status = drv.cuModuleLoadData(&module, data);
    if (status == CUDA_SUCCESS) drv.cuModuleUnload(module);
    return driver_outcome(status, "cuModuleLoadData");
}

// Tests the static answer for an image with sm_75 SASS only on an sm_90 GPU.
CUCONFORM_CASE({
    .id = "kernel_image.static.sm75_only_on_sm90",
    .title = "A binary with only sm_75 SASS, judged for an sm_90 GPU",
    .symptom =
        "\"UnimplementedError: Graph execution error\" / \"no kernel image is available for execution on the device\"",
    .cause = "SASS runs only on its own major with an equal or higher minor; no PTX to JIT",
    .seed = "004",
    .labels = {"static"},
    .expect = R"(
        otherwise -> error(cuda, CUDA_ERROR_NO_BINARY_FOR_GPU)
    )",
    .reproduce =
        [](CaseContext&) {
            return judge_image(cuconform_fatbin_sm75_only, cuconform_fatbin_sm75_only_size, "sm_90", nullptr);
        },
});

// Tests that arch-specific SASS (sm_90a) is refused on the next architecture.
CUCONFORM_CASE({
    .id = "kernel_image.static.sm90a_only_on_sm100",
    .title = "A binary with only sm_90a SASS, judged for an sm_100 GPU",
    .symptom = "Hopper-only wheels fail on Blackwell: \"no kernel image is available\"",
    .cause = "`a` targets run only on their exact architecture",
    .seed = "004",
    .labels = {"static"},
    .expect = R"(
        otherwise -> error(cuda, CUDA_ERROR_NO_BINARY_FOR_GPU)
    )",
    .reproduce =
        [](CaseContext&) {
            return judge_image(cuconform_fatbin_sm90a_only, cuconform_fatbin_sm90a_only_size, "sm_100", nullptr);
        },
});

// Tests that PTX from this toolkit is too new for an old driver (it would JIT on a new one).
CUCONFORM_CASE({
    .id = "kernel_image.static.ptx_on_old_driver",
    .title = "A PTX-only binary from this toolkit, judged for an sm_80 GPU with driver 418.39",
    .symptom = "\"the provided PTX was compiled with an unsupported toolchain\"",
    .cause = "The driver JIT accepts PTX ISA versions up to the one of its own CUDA version",
    .seed = "004",
    .labels = {"static"},
    .expect = R"(
        otherwise -> error(cuda, CUDA_ERROR_UNSUPPORTED_PTX_VERSION)
    )",
    .reproduce =
        [](CaseContext&) {
            return judge_image(cuconform_fatbin_ptx75_only, cuconform_fatbin_ptx75_only_size, "sm_80", "418.39");
        },
});

// Tests that the suite's own kernels carry code for the GPU of this stack.
CUCONFORM_CASE({
    .id = "kernel_image.static.suite_covers_gpu",
    .title = "The suite's own kernels carry SASS or PTX for this stack's GPU",
    .symptom = "Every GPU case would fail with \"no kernel image\" if the suite were built for other architectures",
    .cause = "CUCONFORM_KERNEL_ARCHS decides which SASS and PTX the embedded image holds",
    .seed = "004",
    .labels = {"static"},
    .expect = R"(
        when !gpu -> unsupported("no GPU in this stack to check the suite's kernels against")
        when suite_has_kernel(gpu.cc) == false -> error(cuda, CUDA_ERROR_NO_BINARY_FOR_GPU)
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext& ctx) {
            if (!ctx.fingerprint.has_gpu()) return Outcome::unsupported("no GPU");
            const auto& driver = ctx.fingerprint.driver.version;
            return judge_image(cuconform_fatbin_suite, cuconform_fatbin_suite_size, ctx.fingerprint.gpus[0].cc.c_str(),
                               driver ? driver->c_str() : nullptr);
        },
});

// Tests the driver's own answer when the image has SASS for sm_75 only.
CUCONFORM_CASE({
    .id = "kernel_image.load.sm75_only",
    .title = "The driver loads an image with only sm_75 SASS",
    .symptom = "\"no kernel image is available for execution on the device\" (cudaErrorNoKernelImageForDevice, 209)",
    .cause = "No SASS for this GPU's major and no PTX to JIT",
    .seed = "004",
    .needs = {Need::Gpu},
    .expect = R"(
        when gpu.cc.major == 7 && gpu.cc >= 7.5 -> ok
        otherwise -> error(cuda, CUDA_ERROR_NO_BINARY_FOR_GPU)
    )",
    .reproduce = [](CaseContext&) { return load_image(cuconform_fatbin_sm75_only); },
});

// Tests the driver's own answer for this toolkit's PTX: JIT when the driver is new enough.
CUCONFORM_CASE({
    .id = "kernel_image.load.ptx_only",
    .title = "The driver JIT-compiles a PTX-only image (compute_75) from this toolkit",
    .symptom = "\"the provided PTX was compiled with an unsupported toolchain\" (222) on older drivers",
    .cause = "PTX needs a driver at least as new as the toolkit that emitted its ISA",
    .seed = "004",
    .needs = {Need::Gpu},
    .expect = R"(
        when suite_has_kernel(gpu.cc) == false -> error(cuda, CUDA_ERROR_NO_BINARY_FOR_GPU)
        when driver.cuda < toolkit -> error(cuda, CUDA_ERROR_UNSUPPORTED_PTX_VERSION)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return load_image(cuconform_fatbin_ptx75_only); },
});

}  // namespace
}  // namespace cuconform::cases
