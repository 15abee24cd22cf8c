// SPDX-License-Identifier: Apache-2.0
/// \file Family `loader`: CUDA and cuDNN libraries missing, as the dynamic loader and cuDNN's shim see it.
/// Each case hides a library from the loader (shadow directory + `ld.so --inhibit-cache`, no root) and
/// calls what a framework calls first; the outcome is the loader's or cuDNN's own answer.
#include <cstdlib>
#include <filesystem>

#include "cases/common.h"

namespace cuconform::cases {
namespace {

/// Tensor descriptors live in the ops sub-library (cuDNN 9) / ops_infer (cuDNN 8).
Outcome create_tensor_descriptor() {
    const auto& api = loader::cudnn();
    if (auto failed = library_failure(api.library)) return *failed;
    if (!api.cudnnCreateTensorDescriptor) return missing_symbol(api.library, "cudnnCreateTensorDescriptor");
    cudnnTensorDescriptor_t desc = nullptr;
    const auto status = api.cudnnCreateTensorDescriptor(&desc);
    if (status == CUDNN_STATUS_SUCCESS) {
        const auto set = api.cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, 3, 8, 8);
        api.cudnnDestroyTensorDescriptor(desc);
        return cudnn_outcome(set, "cudnnSetTensor4dDescriptor");
    }
    return cudnn_outcome(status, "cudnnCreateTensorDescriptor");
}

Outcome create_backend_tensor_descriptor() {
    const auto& api = loader::cudnn();
    if (auto failed = library_failure(api.library)) return *failed;
    // Load the sub-library by soname first, as JAX's CUDA plugin preloads NVIDIA's libraries: with
    // libcudnn_graph absent, cuDNN 9.19's shim aborts the whole process ("Invalid handle. Cannot load symbol
    // cudnnBackendCreateDescriptor"), even from cudnnGraphVersionCheck, instead of returning a status.
    const auto graph = loader::Library::open(fmt::format("libcudnn_graph.so.{}", CUDNN_MAJOR));
    if (auto failed = library_failure(graph)) return *failed;
    if (!api.cudnnBackendCreateDescriptor) return missing_symbol(api.library, "cudnnBackendCreateDescriptor");
    cudnnBackendDescriptor_t desc = nullptr;
    const auto status = api.cudnnBackendCreateDescriptor(CUDNN_BACKEND_TENSOR_DESCRIPTOR, &desc);
    if (status == CUDNN_STATUS_SUCCESS) api.cudnnBackendDestroyDescriptor(desc);
    return cudnn_outcome(status, "cudnnBackendCreateDescriptor(TENSOR)");
}

/// Puts the ops sub-library of another cuDNN 9.x next to this process's cuDNN shim (a stray copy, as an
/// overlapping pip install leaves it), then asks cuDNN to load and check it.
Outcome check_with_foreign_ops() {
    const char* other_dir = std::getenv("CUCONFORM_SECOND_CUDNN");
    if (other_dir == nullptr) return Outcome::unsupported("CUCONFORM_SECOND_CUDNN is not set");
    const auto& api = loader::cudnn();  // The shim only: sub-libraries load on first use.
    if (auto failed = library_failure(api.library)) return *failed;
    const std::string ops = fmt::format("libcudnn_ops.so.{}", CUDNN_MAJOR);
    const std::filesystem::path foreign = std::filesystem::path(other_dir) / ops;
    const std::filesystem::path target = std::filesystem::path(api.library.record().path).parent_path() / ops;
    std::error_code ec;
    if (!std::filesystem::exists(foreign, ec)) {
        return Outcome::error(Domain::Harness, "NO_SECOND_CUDNN", {},
                              fmt::format("{} does not exist; point CUCONFORM_SECOND_CUDNN at the lib directory of "
                                          "another cuDNN {} (cuconform stack fetch prints it)",
                                          foreign.string(), CUDNN_MAJOR));
    }
    // The runner's shadow directory for this variant holds no ops library (the variant hides it).
    std::filesystem::create_symlink(std::filesystem::canonical(foreign), target, ec);
    if (ec) {
        return Outcome::error(Domain::Harness, "CANNOT_MIX", {},
                              fmt::format("could not place {} at {}: {}", foreign.string(), target.string(),
                                          ec.message()));
    }
    if (!api.cudnnOpsVersionCheck) return missing_symbol(api.library, "cudnnOpsVersionCheck");
    return cudnn_outcome(api.cudnnOpsVersionCheck(), fmt::format("cudnnOpsVersionCheck with {}", foreign.string()));
}

/// The sub-library version checks of the built cuDNN major, by name.
std::vector<std::pair<const char*, cudnnStatus_t (*)()>> version_checks(const loader::Cudnn& api) {
    std::vector<std::pair<const char*, cudnnStatus_t (*)()>> checks = {
        {"cudnnOpsVersionCheck", api.cudnnOpsVersionCheck},
        {"cudnnCnnVersionCheck", api.cudnnCnnVersionCheck},
        {"cudnnAdvVersionCheck", api.cudnnAdvVersionCheck},
    };
#if CUDNN_MAJOR >= 9
    checks.emplace_back("cudnnGraphVersionCheck", api.cudnnGraphVersionCheck);
#endif
    return checks;
}

// Tests that a missing cuDNN shim is reported by the loader, not as a crash.
CUCONFORM_CASE({
    .id = "loader.cudnn.missing_shim",
    .title = "cuDNN's shim library (libcudnn.so.N) is not on the loader's path",
    .symptom =
        "Keras LSTM raises NotImplementedError; TensorFlow logs \"Could not load dynamic library 'libcudnn.so'\"",
    .cause = "dlopen(\"libcudnn.so.N\") fails: no such file in LD_LIBRARY_PATH, RUNPATH, ld.so.cache or /lib",
    .seed = "000",
    .variants = {{.name = "hidden", .description = "libcudnn.so.N hidden from the loader", .hide = {"@cudnn"}}},
    .expect = R"(
        otherwise -> error(loader, LIBRARY_NOT_FOUND)
    )",
    .reproduce = [](CaseContext&) { return library_failure(loader::cudnn().library).value_or(Outcome::ok()); },
});

// Tests that cuDNN's shim reports a missing ops sub-library when a tensor descriptor is created.
CUCONFORM_CASE({
    .id = "loader.cudnn_sublib.missing_ops",
    .title = "cuDNN's ops sub-library is missing next to the shim",
    .symptom =
        "Keras layers fail at the first cuDNN call; TensorFlow: \"Failed to initialize cuDNN\" / DNN library not found",
    .cause = "libcudnn.so.N loads libcudnn_ops.so.N on first use; the file is absent",
    .seed = "000",
    .variants = {{.name = "hidden", .description = "libcudnn_ops.so.N hidden", .hide = {"@cudnn_ops"}}},
    .expect = R"(
        when !cudnn -> unsupported("no cuDNN in this stack to hide a part of")
        when cudnn.loaded >= 9.19 -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE)
        otherwise -> error(cudnn, CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
    )",
    .reproduce = [](CaseContext&) { return create_tensor_descriptor(); },
});

// Tests that a missing cnn sub-library shows in cuDNN's own version check of it.
CUCONFORM_CASE({
    .id = "loader.cudnn_sublib.missing_cnn",
    .title = "cuDNN's cnn sub-library (convolutions) is missing",
    .symptom = "Conv2D fails: \"UnimplementedError: DNN library is not found\" / cuDNN convolution unavailable",
    .cause = "libcudnn_cnn.so.N absent; cudnnCnnVersionCheck cannot load it",
    .seed = "004",
    .variants = {{.name = "hidden", .description = "libcudnn_cnn.so.N hidden", .hide = {"@cudnn_cnn"}}},
    .expect = R"(
        when !cudnn -> unsupported("no cuDNN in this stack to hide a part of")
        when cudnn.loaded >= 9.19 -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE)
        otherwise -> error(cudnn, CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& api = loader::cudnn();
            if (auto failed = library_failure(api.library)) return *failed;
            if (!api.cudnnCnnVersionCheck) return missing_symbol(api.library, "cudnnCnnVersionCheck");
            return cudnn_outcome(api.cudnnCnnVersionCheck(), "cudnnCnnVersionCheck");
        },
});

// Tests that a missing adv sub-library (RNNs) fails the RNN descriptor, the seed's LSTM NotImplementedError.
CUCONFORM_CASE({
    .id = "loader.cudnn_sublib.missing_adv",
    .title = "cuDNN's adv sub-library (RNN, attention) is missing",
    .symptom = "Keras LSTM raises NotImplementedError / falls back to the generic (slow) kernel",
    .cause = "libcudnn_adv.so.N absent; the RNN API lives there",
    .seed = "000",
    .variants = {{.name = "hidden", .description = "libcudnn_adv.so.N hidden", .hide = {"@cudnn_adv"}}},
    .expect = R"(
        when !cudnn -> unsupported("no cuDNN in this stack to hide a part of")
        when cudnn.loaded >= 9.19 -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE)
        otherwise -> error(cudnn, CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& api = loader::cudnn();
            if (auto failed = library_failure(api.library)) return *failed;
            if (!api.cudnnCreateRNNDescriptor) return missing_symbol(api.library, "cudnnCreateRNNDescriptor");
            cudnnRNNDescriptor_t rnn = nullptr;
            const auto status = api.cudnnCreateRNNDescriptor(&rnn);
            if (status == CUDNN_STATUS_SUCCESS) api.cudnnDestroyRNNDescriptor(rnn);
            return cudnn_outcome(status, "cudnnCreateRNNDescriptor");
        },
});

// Tests that a missing graph sub-library (cuDNN 9's core) fails the backend API.
CUCONFORM_CASE({
    .id = "loader.cudnn_sublib.missing_graph",
    .title = "cuDNN 9's graph sub-library is missing",
    .symptom = "Every cuDNN-backed layer fails; frameworks report the DNN library as not found or not initialised",
    .cause = "libcudnn_graph.so.9 absent; the shim forwards the backend API to it and aborts the process when it "
             "cannot (9.19)",
    .seed = "000",
    .variants = {{.name = "hidden", .description = "libcudnn_graph.so.N hidden", .hide = {"@cudnn_graph"}}},
    .expect = R"(
        when !cudnn -> unsupported("no cuDNN in this stack to hide a part of")
        when cudnn.loaded.major < 9 -> unsupported("cuDNN 8 has no graph sub-library")
        otherwise -> error(loader, LIBRARY_NOT_FOUND)
    )",
    .reproduce = [](CaseContext&) { return create_backend_tensor_descriptor(); },
});

// Tests that missing engine libraries fail when cuDNN needs an engine (a handle and an execution: GPU).
CUCONFORM_CASE({
    .id = "loader.cudnn_sublib.missing_engines",
    .title = "cuDNN's engine sub-libraries (precompiled and runtime-compiled kernels) are missing",
    .symptom = "\"UnimplementedError: Graph execution error\": no cuDNN engine for the convolution",
    .cause = "libcudnn_engines_precompiled.so.N and libcudnn_engines_runtime_compiled.so.N absent",
    .seed = "004",
    .needs = {Need::Gpu},
    .variants = {{.name = "hidden",
                  .description = "both engine libraries hidden",
                  .hide = {"@cudnn_engines_precompiled", "@cudnn_engines_runtime_compiled"}}},
    .expect = R"(
        when !cudnn -> unsupported("no cuDNN in this stack to hide a part of")
        when cudnn.loaded >= 9.19 -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE)
        otherwise -> error(cudnn, CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& api = loader::cudnn();
            if (auto failed = library_failure(api.library)) return *failed;
            cudnnHandle_t handle = nullptr;
            const auto status = api.cudnnCreate(&handle);
            if (status == CUDNN_STATUS_SUCCESS) api.cudnnDestroy(handle);
            return cudnn_outcome(status, "cudnnCreate");
        },
});

// Tests that a missing CUDA runtime is reported by the loader.
CUCONFORM_CASE({
    .id = "loader.cudart.missing",
    .title = "The CUDA runtime (libcudart.so.N) is not on the loader's path",
    .symptom = "TensorFlow: \"Could not load dynamic library 'libcudart.so.11.0'\"; the GPU is silently ignored",
    .cause = "dlopen(\"libcudart.so.N\") fails",
    .seed = "002",
    .variants = {{.name = "hidden", .description = "libcudart.so.N hidden", .hide = {"@cudart"}}},
    .expect = R"(
        when !runtime -> unsupported("no CUDA runtime in this stack to hide")
        otherwise -> error(loader, LIBRARY_NOT_FOUND)
    )",
    .reproduce = [](CaseContext&) { return library_failure(loader::cuda_runtime().library).value_or(Outcome::ok()); },
});

// Tests that cuBLAS cannot load without cuBLASLt, which cuDNN 9 needs too.
CUCONFORM_CASE({
    .id = "loader.cublas.missing_lt",
    .title = "cuBLASLt (libcublasLt.so.N) is missing while cuBLAS and cuDNN 9 need it",
    .symptom = "PyTorch/TensorFlow: \"libcublasLt.so.12: cannot open shared object file\" at import",
    .cause = "libcublas.so.N lists libcublasLt.so.N as NEEDED; the loader cannot satisfy it",
    .seed = "002",
    .variants = {{.name = "hidden", .description = "libcublasLt.so.N hidden", .hide = {"@cublasLt"}}},
    .expect = R"(
        when !cublas -> unsupported("no cuBLAS in this stack")
        otherwise -> error(loader, LIBRARY_NOT_FOUND)
    )",
    .reproduce =
        [](CaseContext&) {
            // libcublas needs libcublasLt: loading it fails with the loader's message naming the missing one.
            const auto& blas = loader::cublas();
            if (auto failed = library_failure(blas.library)) return *failed;
            return library_failure(blas.library_lt).value_or(Outcome::ok());
        },
});

// Tests that every cuDNN sub-library of a complete installation passes cuDNN's own version checks.
CUCONFORM_CASE({
    .id = "loader.cudnn.version_checks",
    .title = "cuDNN's shim and its sub-libraries agree on their version",
    .symptom = "Mixed cuDNN copies: CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH / \"cuDNN version incompatibility\"",
    .cause = "cudnn{Graph,Ops,Cnn,Adv}VersionCheck compare each sub-library with the shim",
    .seed = "002",
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            const auto& api = loader::cudnn();
            const auto checks = version_checks(api);
            for (const auto& [name, check] : checks) {
                if (!check) return missing_symbol(api.library, name);
                if (auto status = check(); status != CUDNN_STATUS_SUCCESS) return cudnn_outcome(status, name);
            }
            return Outcome::ok("all sub-library version checks return CUDNN_STATUS_SUCCESS");
        },
});

// Tests cuDNN's own answer when sub-libraries of two cuDNN versions are mixed in one directory.
CUCONFORM_CASE({
    .id = "loader.cudnn.mixed_copies",
    .title = "cuDNN's ops sub-library comes from another cuDNN 9.x than the shim",
    .symptom = "\"cuDNN version incompatibility\" / CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH after two pip installs",
    .cause = "libcudnn_ops.so.9 of one release next to libcudnn.so.9 of another; the shim checks sub-library versions",
    .seed = "002",
    .labels = {"matrix"},
    .variants = {{.name = "foreign_ops",
                  .description = "the host's ops library hidden, another cuDNN's put in its place",
                  .hide = {"@cudnn_ops"}}},
    .expect = R"(
        when !cudnn -> unsupported("no cuDNN in this stack to mix with")
        when env.CUCONFORM_SECOND_CUDNN == null -> unsupported("needs a second cuDNN 9.x: set CUCONFORM_SECOND_CUDNN to its lib directory; cuconform stack fetch cuda=13.0 cudnn=9.13 fetches one")
        otherwise -> error(cudnn, CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH)
    )",
    .reproduce = [](CaseContext&) { return check_with_foreign_ops(); },
});

// Tests that LD_LIBRARY_PATH without the CUDA directories (and no ld.so.cache entry) loses cuDNN.
CUCONFORM_CASE({
    .id = "loader.search_path.without_libraries",
    .title = "The loader's search path does not include the CUDA/cuDNN library directory",
    .symptom = "\"Could not load dynamic library 'libcudnn.so.8'\"; TensorFlow then skips the GPU",
    .cause = "LD_LIBRARY_PATH misses the directory and ldconfig was never run for it",
    .seed = "002",
    .labels = {"env"},
    .needs = {Need::Cudnn},
    .variants = {{.name = "stripped",
                  .description = "no LD_LIBRARY_PATH entry and no ld.so.cache for the CUDA libraries",
                  .strip_library_path = true}},
    .expect = R"(
        otherwise -> error(loader, LIBRARY_NOT_FOUND)
    )",
    .reproduce = [](CaseContext&) { return library_failure(loader::cudnn().library).value_or(Outcome::ok()); },
});

}  // namespace
}  // namespace cuconform::cases
