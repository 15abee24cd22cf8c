// SPDX-License-Identifier: Apache-2.0
/// \file Family `env`: environment variables pointing the wrong way, as the runtime, cuDNN and build tools read them.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cases/common.h"
#include "cases/toolchain.h"

namespace cuconform::cases {
namespace {
namespace fs = std::filesystem;

// With no driver every variant fails earlier, the same way: the rules say so first (after the runtime, a need).
constexpr const char* kVisibleDevicesRules = R"(
        when !driver -> error(cuda, cudaErrorInsufficientDriver)
        otherwise -> error(cuda, cudaErrorNoDevice)
    )";

// Tests CUDA_VISIBLE_DEVICES="" (set but empty): documented to hide every GPU.
CUCONFORM_CASE({
    .id = "env.visible_devices.empty",
    .title = "CUDA_VISIBLE_DEVICES set to the empty string",
    .symptom = "Keras silently trains on the CPU; PyTorch: torch.cuda.is_available() == False",
    .cause = "An empty CUDA_VISIBLE_DEVICES makes the runtime enumerate no device",
    .seed = "002",
    .needs = {Need::Runtime},
    .variants = {{.name = "empty", .env = {{"CUDA_VISIBLE_DEVICES", ""}}}},
    .expect = kVisibleDevicesRules,
    .reproduce = [](CaseContext&) { return runtime_device_count(); },
});

// Tests CUDA_VISIBLE_DEVICES=-1, the common "disable the GPU" idiom.
CUCONFORM_CASE({
    .id = "env.visible_devices.minus_one",
    .title = "CUDA_VISIBLE_DEVICES=-1",
    .symptom = "GPU silently unused; \"no CUDA-capable device is detected\"",
    .cause = "An invalid index hides itself and every index after it: -1 alone hides all",
    .seed = "002",
    .needs = {Need::Runtime},
    .variants = {{.name = "minus_one", .env = {{"CUDA_VISIBLE_DEVICES", "-1"}}}},
    .expect = kVisibleDevicesRules,
    .reproduce = [](CaseContext&) { return runtime_device_count(); },
});

// Tests an index past the last GPU.
CUCONFORM_CASE({
    .id = "env.visible_devices.out_of_range",
    .title = "CUDA_VISIBLE_DEVICES names a GPU index that does not exist",
    .symptom = "\"no CUDA-capable device is detected\" on a machine that has a GPU",
    .cause = "An index >= the device count is invalid and hides itself and everything after it",
    .seed = "002",
    .needs = {Need::Runtime},
    .variants = {{.name = "index_64", .env = {{"CUDA_VISIBLE_DEVICES", "64"}}}},
    .expect = R"(
        when !driver -> error(cuda, cudaErrorInsufficientDriver)
        when gpu.count > 64 -> ok
        otherwise -> error(cuda, cudaErrorNoDevice)
    )",
    .reproduce = [](CaseContext&) { return runtime_device_count(); },
});

// Tests a UUID that no GPU has.
CUCONFORM_CASE({
    .id = "env.visible_devices.garbage_uuid",
    .title = "CUDA_VISIBLE_DEVICES holds a UUID no GPU has",
    .symptom = "GPU silently unused after copying CUDA_VISIBLE_DEVICES from another machine",
    .cause = "An unknown UUID is an invalid entry: it hides itself and every entry after it",
    .seed = "002",
    .needs = {Need::Runtime},
    .variants = {{.name = "bogus_uuid", .env = {{"CUDA_VISIBLE_DEVICES", "GPU-00000000-dead-beef-0000-000000000000"}}}},
    .expect = kVisibleDevicesRules,
    .reproduce = [](CaseContext&) { return runtime_device_count(); },
});

/// What PyTorch's extension builder does: CUDA_HOME, else CUDA_PATH, else `which nvcc`, else /usr/local/cuda;
/// then it runs <home>/bin/nvcc.
Outcome find_and_run_nvcc() {
    std::string home;
    for (const char* name : {"CUDA_HOME", "CUDA_PATH"}) {
        if (const char* v = std::getenv(name); v && *v) {
            home = v;
            break;
        }
    }
    if (home.empty()) home = "/usr/local/cuda";
    const fs::path nvcc = fs::path(home) / "bin" / "nvcc";
    std::error_code ec;
    if (!fs::exists(nvcc, ec)) {
        return Outcome::error(Domain::Compile, "NVCC_NOT_FOUND", {},
                              fmt::format("{} does not exist (CUDA_HOME={})", nvcc.string(),
                                          std::getenv("CUDA_HOME") ? std::getenv("CUDA_HOME") : "(unset)"));
    }
    const CommandResult ran = run_command({nvcc.string(), "--version"});
    if (ran.exit_code != 0) {
        return Outcome::error(Domain::Compile, "NVCC_FAILED", ran.exit_code,
                              fmt::format("{} --version failed", nvcc.string()));
    }
    return Outcome::ok(fmt::format("{} runs", nvcc.string()));
}

// Tests CUDA_HOME naming a directory that does not exist.
CUCONFORM_CASE({
    .id = "env.cuda_home.wrong",
    .title = "CUDA_HOME points to a directory without a toolkit",
    .symptom = "Building a PyTorch/TensorFlow custom op fails: nvcc not found under CUDA_HOME",
    .cause = "Build tools take CUDA_HOME first and run $CUDA_HOME/bin/nvcc",
    .seed = "002",
    .variants = {{.name = "nonexistent", .env = {{"CUDA_HOME", "/nonexistent/cuda-0.0"}, {"CUDA_PATH", std::nullopt}}}},
    .expect = R"(
        otherwise -> error(compile, NVCC_NOT_FOUND)
    )",
    .reproduce = [](CaseContext&) { return find_and_run_nvcc(); },
});

// Tests the fall-back when CUDA_HOME and CUDA_PATH are unset.
CUCONFORM_CASE({
    .id = "env.cuda_home.unset",
    .title = "CUDA_HOME and CUDA_PATH unset: build tools fall back to /usr/local/cuda",
    .symptom = "\"CUDA_HOME environment variable is not set\" when /usr/local/cuda is absent",
    .cause = "Without CUDA_HOME/CUDA_PATH, the fall-back /usr/local/cuda must hold the toolkit",
    .seed = "002",
    .variants = {{.name = "unset", .env = {{"CUDA_HOME", std::nullopt}, {"CUDA_PATH", std::nullopt}}}},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            std::error_code ec;
            if (!fs::exists("/usr/local/cuda/bin/nvcc", ec)) {
                return Outcome::unsupported("no toolkit at /usr/local/cuda on this machine");
            }
            return find_and_run_nvcc();
        },
});

/// Makes cuDNN log to a file, creates a descriptor, and returns what was logged.
std::string cudnn_log_of_one_call(const std::string& level) {
    // A file of its own: a case process in a PID namespace of its own is pid 1 like every other case's, so a name
    // made from getpid() was shared by cases running at once (one read, or deleted, the other's log).
    std::string path = (fs::temp_directory_path() / "cuconform-cudnn-log-XXXXXX").string();
    if (const int fd = mkstemp(path.data()); fd >= 0) close(fd);
    setenv("CUDNN_LOGLEVEL_DBG", level.c_str(), 1);
    setenv("CUDNN_LOGDEST_DBG", path.c_str(), 1);
    const auto& api = loader::cudnn();  // First load in this fresh process: cuDNN reads the variables now.
    cudnnTensorDescriptor_t desc = nullptr;
    if (api.cudnnCreateTensorDescriptor && api.cudnnCreateTensorDescriptor(&desc) == CUDNN_STATUS_SUCCESS) {
        api.cudnnDestroyTensorDescriptor(desc);
    }
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::error_code ec;
    fs::remove(path, ec);
    return text.str();
}

// Tests that an out-of-range CUDNN_LOGLEVEL_DBG is clipped to 3 (info), as documented for cuDNN 9.
CUCONFORM_CASE({
    .id = "env.cudnn_log.level_above_range",
    .title = "CUDNN_LOGLEVEL_DBG above the documented range (7)",
    .symptom = "cuDNN logging floods or stays silent unexpectedly while debugging a failing layer",
    .cause = "cuDNN 9 clips out-of-range integer levels to 0 or 3, whichever is closest",
    .seed = "002",
    .needs = {Need::Cudnn},
    .variants = {{.name = "seven", .fresh_process = true}},
    .expect = R"(
        when cudnn.loaded.major < 9 -> unsupported("CUDNN_LOGLEVEL_DBG is cuDNN 9's variable")
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            const std::string log = cudnn_log_of_one_call("7");
            if (log.find("cudnnCreateTensorDescriptor") == std::string::npos) {
                return Outcome::error(Domain::Cudnn, "LOG_LEVEL_NOT_CLIPPED", {},
                                      "CUDNN_LOGLEVEL_DBG=7 logged no API call at info level");
            }
            return Outcome::ok("CUDNN_LOGLEVEL_DBG=7 logs API calls (clipped to 3, info)");
        },
});

// Tests that a negative CUDNN_LOGLEVEL_DBG is clipped to 0 (no logging).
CUCONFORM_CASE({
    .id = "env.cudnn_log.level_below_range",
    .title = "CUDNN_LOGLEVEL_DBG below the documented range (-5)",
    .symptom = "Expected cuDNN error logging does not appear",
    .cause = "cuDNN 9 clips out-of-range integer levels to 0 or 3, whichever is closest",
    .seed = "002",
    .needs = {Need::Cudnn},
    .variants = {{.name = "minus_five", .fresh_process = true}},
    .expect = R"(
        when cudnn.loaded.major < 9 -> unsupported("CUDNN_LOGLEVEL_DBG is cuDNN 9's variable")
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            const std::string log = cudnn_log_of_one_call("-5");
            if (log.find("cudnnCreateTensorDescriptor") != std::string::npos) {
                return Outcome::error(Domain::Cudnn, "LOG_LEVEL_NOT_CLIPPED", {},
                                      "CUDNN_LOGLEVEL_DBG=-5 still logged API calls");
            }
            return Outcome::ok("CUDNN_LOGLEVEL_DBG=-5 logs nothing (clipped to 0)");
        },
});

// Tests an invalid CUDA_MODULE_LOADING value (behaviour not documented; needs a driver to observe).
CUCONFORM_CASE({
    .id = "env.module_loading.invalid",
    .title = "CUDA_MODULE_LOADING set to a value that is neither LAZY nor EAGER",
    .symptom = "Unexpected start-up memory use or kernel-load failures after setting CUDA_MODULE_LOADING",
    .cause = "The driver reads CUDA_MODULE_LOADING at cuInit; other strings are undocumented",
    .seed = "002",
    .needs = {Need::Gpu},
    .variants = {{.name = "bogus", .env = {{"CUDA_MODULE_LOADING", "SOMETIMES"}}}},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& drv = loader::cuda_driver();
            if (auto failed = library_failure(drv.library)) return *failed;
            return driver_outcome(drv.cuInit(0), "cuInit with CUDA_MODULE_LOADING=SOMETIMES");
        },
});

}  // namespace
}  // namespace cuconform::cases
