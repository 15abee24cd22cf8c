// SPDX-License-Identifier: Apache-2.0
/// \file Family `device`: no usable GPU and why (the frameworks' silent CPU fall-back), and what the
/// runtime enumerates.
#include "cases/common.h"

namespace cuconform::cases {
namespace {

// Tests why the runtime finds no GPU: the silent CPU fall-back of Keras/TensorFlow.
CUCONFORM_CASE({
    .id = "device.none.runtime_count",
    .title = "The CUDA runtime counts the GPUs the framework would use",
    .symptom = "Keras trains on the CPU without saying why; tf.config.list_physical_devices('GPU') == []",
    .cause =
        "cudaGetDeviceCount fails: no driver (cudaErrorInsufficientDriver), or no visible device (cudaErrorNoDevice)",
    .seed = "002",
    .needs = {Need::Runtime},
    .expect = R"(
        when !driver -> error(cuda, cudaErrorInsufficientDriver)
        when driver.cuda.major < runtime.version.major -> error(cuda, cudaErrorInsufficientDriver)
        when !gpu -> error(cuda, cudaErrorNoDevice)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return runtime_device_count(); },
});

// Tests that the driver API itself is absent without a driver (what nvidia-smi and cuInit see).
CUCONFORM_CASE({
    .id = "device.none.driver_init",
    .title = "The driver API initialises (cuInit)",
    .symptom = "\"CUDA driver initialization failed, you might not have a CUDA gpu\" (PyTorch) / CPU fall-back",
    .cause = "libcuda.so.1 is missing (no driver, or a container started without GPU support), or cuInit fails",
    .seed = "002",
    .needs = {Need::Driver},
    .expect = R"(
        when gpu.error == "CUDA_ERROR_NO_DEVICE" -> error(cuda, CUDA_ERROR_NO_DEVICE)
        when !gpu -> error(cuda, CUDA_ERROR_NO_DEVICE)
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& drv = loader::cuda_driver();
            if (auto status = drv.cuInit(0); status != CUDA_SUCCESS) return driver_outcome(status, "cuInit");
            int count = 0;
            if (auto status = drv.cuDeviceGetCount(&count); status != CUDA_SUCCESS) {
                return driver_outcome(status, "cuDeviceGetCount");
            }
            return Outcome::ok(fmt::format("cuInit ok, {} device(s)", count));
        },
});

// Tests that the runtime's device count agrees with the driver's under CUDA_VISIBLE_DEVICES=0.
CUCONFORM_CASE({
    .id = "device.visible.first_only",
    .title = "CUDA_VISIBLE_DEVICES=0 exposes exactly one GPU",
    .symptom = "A multi-GPU job sees the wrong number of GPUs",
    .cause = "CUDA_VISIBLE_DEVICES filters and reorders the devices the runtime enumerates",
    .seed = "002",
    .needs = {Need::Gpu},
    .variants = {{.name = "zero", .description = "CUDA_VISIBLE_DEVICES=0", .env = {{"CUDA_VISIBLE_DEVICES", "0"}}}},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& rt = loader::cuda_runtime();
            if (auto failed = library_failure(rt.library)) return *failed;
            int count = 0;
            if (auto status = rt.cudaGetDeviceCount(&count); status != cudaSuccess) {
                return runtime_outcome(status, "cudaGetDeviceCount");
            }
            if (count != 1) {
                return Outcome::error(Domain::Cuda, "WRONG_DEVICE_COUNT", count,
                                      fmt::format("CUDA_VISIBLE_DEVICES=0 but the runtime sees {} devices", count));
            }
            return Outcome::ok("one device visible");
        },
});

}  // namespace
}  // namespace cuconform::cases
