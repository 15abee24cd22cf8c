// SPDX-License-Identifier: Apache-2.0
/// \file Family `skew`: versions that do not go together: cuDNN built vs loaded, cuDNN's CUDA vs the
/// runtime, the runtime vs the driver. The reproducers apply the frameworks' own rules to the versions the
/// real libraries report, so a matrix cell with an older cuDNN shows the expected error.
#include "cases/common.h"
#include "core/version.h"

namespace cuconform::cases {
namespace {

Version loaded_cudnn() { return Version::from_cudnn_int(static_cast<long>(loader::cudnn().cudnnGetVersion())); }
Version built_cudnn() { return Version::from_cudnn_int(loader::built_cudnn_version()); }

/// XLA's IsSourceCompatibleWithCudnnLibrary, PyTorch's _init(): same major, and (when `check_minor`) loaded
/// minor >= built minor.
Outcome framework_cudnn_rule(bool check_minor) {
    const auto& api = loader::cudnn();
    if (auto failed = library_failure(api.library)) return *failed;
    const Version loaded = loaded_cudnn();
    const Version built = built_cudnn();
    const std::string message =
        fmt::format("Loaded runtime CuDNN library: {} ({}) but source was compiled with: {}", loaded.str(),
                    api.library.record().path, built.str());
    if (loaded.major() != built.major()) return Outcome::error(Domain::Loader, "CUDNN_MAJOR_MISMATCH", {}, message);
    if (check_minor && loaded.minor() < built.minor()) return Outcome::error(Domain::Loader, "CUDNN_OLDER_THAN_BUILT", {}, message);
    return Outcome::ok(message + " (compatible)");
}

// Tests the frameworks' rule for a loaded cuDNN older than the build's headers.
CUCONFORM_CASE({
    .id = "skew.cudnn.older_than_built",
    .title = "cuDNN loaded at run time is older (minor) than the headers the code was built with",
    .symptom = "\"Loaded runtime CuDNN library: 9.1.0 but source was compiled with: 9.3.0\"; LSTM NotImplementedError",
    .cause = "cuDNN minor releases are only backward compatible: x.y runs apps built against x.z for z <= y",
    .seed = "000",
    .labels = {"matrix"},
    .needs = {Need::Cudnn},
    .expect = R"(
        when cudnn.loaded.major != cudnn.built.major -> error(loader, CUDNN_MAJOR_MISMATCH)
        when cudnn.loaded.minor < cudnn.built.minor -> error(loader, CUDNN_OLDER_THAN_BUILT)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return framework_cudnn_rule(/*check_minor=*/true); },
});

// Tests the frameworks' rule for another cuDNN major (8 under a 9 build, or the reverse).
CUCONFORM_CASE({
    .id = "skew.cudnn.other_major",
    .title = "cuDNN loaded at run time is another major version than the build's",
    .symptom = "\"cuDNN version incompatibility: PyTorch was compiled against 90100 but found runtime version 8907\"",
    .cause = "API compatibility is not guaranteed across cuDNN majors; the sonames differ (libcudnn.so.8 vs .9)",
    .seed = "000",
    .labels = {"matrix"},
    .needs = {Need::Cudnn},
    .expect = R"(
        when cudnn.loaded.major != cudnn.built.major -> error(loader, CUDNN_MAJOR_MISMATCH)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return framework_cudnn_rule(/*check_minor=*/false); },
});

// Tests that cuDNN was built for the CUDA major of the loaded runtime.
CUCONFORM_CASE({
    .id = "skew.cudnn.cuda_major",
    .title = "cuDNN built for another CUDA major than the loaded runtime",
    .symptom = "Import errors naming libcudart.so.11/12, or CUDNN_STATUS_NOT_INITIALIZED at the first layer",
    .cause = "nvidia-cudnn-cu12 under a CUDA 13 runtime (or cu11 under 12): cudnnGetCudartVersion major differs",
    .seed = "002",
    .labels = {"matrix"},
    .expect = R"(
        when !cudnn || !runtime -> error(loader, LIBRARY_NOT_FOUND)
        when cudnn.cudart.major != runtime.version.major -> error(loader, CUDNN_CUDA_MAJOR_MISMATCH)
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& api = loader::cudnn();
            const auto& rt = loader::cuda_runtime();
            if (auto failed = library_failure(api.library)) return *failed;
            if (auto failed = library_failure(rt.library)) return *failed;
            const Version cudnn_cuda = Version::from_cuda_int(static_cast<int>(api.cudnnGetCudartVersion()));
            int v = 0;
            rt.cudaRuntimeGetVersion(&v);
            const Version runtime = Version::from_cuda_int(v);
            const std::string message = fmt::format("cudnnGetCudartVersion() = {}, cudaRuntimeGetVersion() = {}",
                                                    cudnn_cuda.str(), runtime.str());
            if (cudnn_cuda.major() != runtime.major()) {
                return Outcome::error(Domain::Loader, "CUDNN_CUDA_MAJOR_MISMATCH", {}, message);
            }
            return Outcome::ok(message);
        },
});

// Tests the runtime against the driver: a runtime newer than the driver's CUDA fails at the first call.
CUCONFORM_CASE({
    .id = "skew.runtime.newer_than_driver",
    .title = "The CUDA runtime is newer than the driver supports",
    .symptom = "\"CUDA driver version is insufficient for CUDA runtime version\"; GPU silently unused",
    .cause = "cudaErrorInsufficientDriver (35): driver older than the runtime's major (minor-version compatibility "
             "covers newer minors of the same major)",
    .seed = "002",
    .labels = {"matrix"},
    .needs = {Need::Gpu},
    .expect = R"(
        when driver.cuda.major < runtime.version.major -> error(cuda, cudaErrorInsufficientDriver)
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& rt = loader::cuda_runtime();
            if (auto failed = library_failure(rt.library)) return *failed;
            int count = 0;
            return runtime_outcome(rt.cudaGetDeviceCount(&count), "cudaGetDeviceCount");
        },
});

}  // namespace
}  // namespace cuconform::cases
