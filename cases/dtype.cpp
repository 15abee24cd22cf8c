// SPDX-License-Identifier: Apache-2.0
/// \file Family `dtype`: element types a descriptor, an operation or the compiler rejects.
#include <tuple>

#include "cases/cudnn_check.h"
#include "cases/lstm.h"
#include "cases/toolchain.h"
#include "catalog/case.h"
#include "core/build_info.h"
#include "loader/apis.h"

namespace cuconform::cases {
namespace {

/// cudnnSetTensor4dDescriptor with a layout and type, on the host.
Outcome tensor_4d(cudnnTensorFormat_t format, cudnnDataType_t type, int c) {
    if (auto missing = library_failure(loader::cudnn().library)) return *missing;
    const auto& api = loader::cudnn();
    cudnnTensorDescriptor_t x = nullptr;
    CUCONFORM_CUDNN_TRY(cudnnCreateTensorDescriptor, &x);
    Defer free_x([&] { api.cudnnDestroyTensorDescriptor(x); });
    CUCONFORM_CUDNN_TRY(cudnnSetTensor4dDescriptor, x, format, type, 1, c, 8, 8);
    return Outcome::ok(fmt::format("[1,{},8,8] accepted", c));
}

/// Compiles cases/compile/typed_layer.cpp with the suite's own C++ compiler, the layer's element type `element`.
Outcome compile_typed_layer(const std::string& element) {
    const std::string compiler = CUCONFORM_CXX_COMPILER;
    if (tool_missing(compiler))
        return Outcome::error(Domain::Harness, "TOOL_NOT_FOUND", {}, compiler + " is not executable here");
    const auto result = run_command({compiler, "-std=c++20", "-fsyntax-only", "-DCUCONFORM_ELEMENT=" + element,
                                     (source_dir() / "cases" / "compile" / "typed_layer.cpp").string()});
    if (result.exit_code == 0) return Outcome::ok(fmt::format("Dense<{}> compiles", element));
    const std::string first = first_diagnostic(result.output, "error");
    // GCC and Clang: "error: static assertion failed"; MSVC: C2338 / C2607.
    const bool assertion = first.find("static assertion failed") != std::string::npos ||
                           first.find("static_assert failed") != std::string::npos ||
                           first.find("C2338") != std::string::npos || first.find("C2607") != std::string::npos;
    return Outcome::error(Domain::Compile, assertion ? "STATIC_ASSERTION_FAILED" : "COMPILE_ERROR",
                          result.exit_code, first);
}

// Tests that an LSTM with int8 data is refused when the RNN descriptor is set.
CUCONFORM_CASE({
    .id = "dtype.rnn.int8_lstm",
    .title = "LSTM descriptor with CUDNN_DATA_INT8 data and math precision",
    .symptom = "a quantised (int8) LSTM has no cuDNN kernel: the framework raises NotImplementedError or falls back",
    .cause = "cudnnSetRNNDescriptor_v8 accepts half, float and double only; int8 -> CUDNN_STATUS_NOT_SUPPORTED "
             "(observed on 9.19; not BAD_PARAM)",
    .seed = "003",
    .labels = {"rnn"},
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED)
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        if (auto missing = library_failure(loader::cudnn().library)) return *missing;
        Lstm lstm;
        if (auto error = lstm.describe({.data_type = CUDNN_DATA_INT8, .math_precision = CUDNN_DATA_INT8}))
            return *error;
        return Outcome::ok("int8 LSTM descriptors accepted");
    },
});

// Tests that int8 sequence data is refused by the RNN data descriptor even when the RNN itself is float.
CUCONFORM_CASE({
    .id = "dtype.rnn.int8_sequence_data",
    .title = "RNN data descriptor (the LSTM's input sequences) with CUDNN_DATA_INT8",
    .symptom = "feeding uint8/int8 token tensors straight into an LSTM fails instead of being cast",
    .cause = "cudnnSetRNNDataDescriptor with CUDNN_DATA_INT8 -> CUDNN_STATUS_NOT_SUPPORTED",
    .seed = "003",
    .labels = {"rnn"},
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED)
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        if (auto missing = library_failure(loader::cudnn().library)) return *missing;
        const auto& api = loader::cudnn();
        cudnnRNNDataDescriptor_t x = nullptr;
        CUCONFORM_CUDNN_TRY(cudnnCreateRNNDataDescriptor, &x);
        Defer free_x([&] { api.cudnnDestroyRNNDataDescriptor(x); });
        std::vector<int> lengths(4, 7);
        float padding = 0.0f;
        CUCONFORM_CUDNN_TRY(cudnnSetRNNDataDescriptor, x, CUDNN_DATA_INT8, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, 7,
                            4, 10, lengths.data(), &padding);
        return Outcome::ok("int8 RNN data accepted");
    },
});

// Tests that INT8x4 vectorised tensors need a channel count that is a multiple of 4.
CUCONFORM_CASE({
    .id = "dtype.int8x4.channels_not_multiple",
    .title = "NCHW_VECT_C tensor of INT8x4 with 3 channels (an RGB image quantised without channel padding)",
    .symptom = "TensorRT/TF int8 conv on an unpadded RGB input: CUDNN_STATUS_BAD_PARAM",
    .cause = "cudnnSetTensor4dDescriptor(NCHW_VECT_C, INT8x4) requires c % 4 == 0",
    .seed = "DESIGN.md: dtype mismatch",
    .labels = {"int8"},
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) { return tensor_4d(CUDNN_TENSOR_NCHW_VECT_C, CUDNN_DATA_INT8x4, 3); },
});

// Tests that INT8x32 vectorised tensors need a channel count that is a multiple of 32.
CUCONFORM_CASE({
    .id = "dtype.int8x32.channels_not_multiple",
    .title = "NCHW_VECT_C tensor of INT8x32 with 16 channels",
    .symptom = "an int8 (IMMA) convolution with 16 channels fails with CUDNN_STATUS_BAD_PARAM",
    .cause = "cudnnSetTensor4dDescriptor(NCHW_VECT_C, INT8x32) requires c % 32 == 0",
    .seed = "DESIGN.md: dtype mismatch",
    .labels = {"int8"},
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) { return tensor_4d(CUDNN_TENSOR_NCHW_VECT_C, CUDNN_DATA_INT8x32, 16); },
});

// Tests the control of the vectorised cases: INT8x32 with 32 channels is accepted.
CUCONFORM_CASE({
    .id = "dtype.int8x32.channels_multiple",
    .title = "NCHW_VECT_C tensor of INT8x32 with 32 channels (control)",
    .symptom = "none: a channel-padded int8 tensor is accepted",
    .cause = "c % 32 == 0 satisfies the vectorised layout",
    .seed = "DESIGN.md: dtype mismatch",
    .labels = {"int8", "control"},
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return tensor_4d(CUDNN_TENSOR_NCHW_VECT_C, CUDNN_DATA_INT8x32, 32); },
});

// Tests that the vectorised layout is refused for a scalar float type.
CUCONFORM_CASE({
    .id = "dtype.vect_c.float_layout",
    .title = "NCHW_VECT_C layout with CUDNN_DATA_FLOAT elements",
    .symptom = "a layout conversion meant for int8 applied to a float tensor fails with CUDNN_STATUS_BAD_PARAM",
    .cause = "NCHW_VECT_C needs a vector type (INT8x4, INT8x32, UINT8x4)",
    .seed = "DESIGN.md: dtype mismatch",
    .labels = {"int8"},
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) { return tensor_4d(CUDNN_TENSOR_NCHW_VECT_C, CUDNN_DATA_FLOAT, 4); },
});

// Tests that the graph API builds a float-input, half-filter convolution node (the type check comes later).
CUCONFORM_CASE({
    .id = "dtype.conv.mixed_node_accepted",
    .title = "Graph-API convolution node with float X/Y and a half W",
    .symptom = "a model mixing a float16 layer into a float32 model builds, then fails at execution-plan time",
    .cause = "cudnnBackendFinalize(OPERATION_CONVOLUTION_FORWARD) checks shapes, not that X and W share a type; "
             "the mismatch is left to engine selection (needs a handle and a GPU)",
    .seed = "DESIGN.md: dtype mismatch",
    .labels = {"graph_api"},
    .needs = {Need::Cudnn},
    .expect = R"(
        # Observed on cuDNN 9.27: libcudnn_engines_runtime_compiled NEEDS libcuda.so.1, so without a driver even
        # finalizing a backend descriptor fails (9.19 does not; versions in between not yet observed).
        when !driver && cudnn.loaded >= 9.27 -> error(cudnn, CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        if (auto missing = library_failure(loader::cudnn().library)) return *missing;
        if (auto missing = backend_symbols_missing()) return *missing;
        BackendDescriptor x, w, y, conv, op;
        if (auto f = make_backend_tensor(x, 1, {1, 3, 8, 8}, CUDNN_DATA_FLOAT)) return backend_failure(*f);
        if (auto f = make_backend_tensor(w, 2, {8, 3, 3, 3}, CUDNN_DATA_HALF)) return backend_failure(*f);
        if (auto f = make_backend_tensor(y, 3, {1, 8, 6, 6}, CUDNN_DATA_FLOAT)) return backend_failure(*f);
        const std::int64_t spatial = 2, zeros[2] = {0, 0}, ones[2] = {1, 1};
        const cudnnDataType_t compute = CUDNN_DATA_FLOAT;
        const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
        CUCONFORM_CUDNN_TRY(cudnnBackendCreateDescriptor, CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR, &conv.handle);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, conv.handle, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS,
                            CUDNN_TYPE_INT64, 1, &spatial);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, conv.handle, CUDNN_ATTR_CONVOLUTION_COMP_TYPE,
                            CUDNN_TYPE_DATA_TYPE, 1, &compute);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, conv.handle, CUDNN_ATTR_CONVOLUTION_CONV_MODE,
                            CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, conv.handle, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS,
                            CUDNN_TYPE_INT64, 2, zeros);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, conv.handle, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS,
                            CUDNN_TYPE_INT64, 2, zeros);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, conv.handle, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64,
                            2, ones);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, conv.handle, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES,
                            CUDNN_TYPE_INT64, 2, ones);
        CUCONFORM_CUDNN_TRY(cudnnBackendFinalize, conv.handle);
        CUCONFORM_CUDNN_TRY(cudnnBackendCreateDescriptor, CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR,
                            &op.handle);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X,
                            CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x.handle);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W,
                            CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &w.handle);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y,
                            CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y.handle);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC,
                            CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv.handle);
        const float alpha = 1.0f, beta = 0.0f;
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA,
                            CUDNN_TYPE_FLOAT, 1, &alpha);
        CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA,
                            CUDNN_TYPE_FLOAT, 1, &beta);
        CUCONFORM_CUDNN_TRY(cudnnBackendFinalize, op.handle);
        return Outcome::ok("conv node float X (*) half W -> float Y finalized");
    },
});

// Tests that the legacy convolution refuses a float input with a half filter once a handle asks for a workspace.
CUCONFORM_CASE({
    .id = "dtype.conv.mixed_float_half",
    .title = "Legacy convolution forward: float input/output, half filter",
    .symptom = "a float16 Conv2D weight loaded into a float32 model: CUDNN_STATUS_BAD_PARAM at the first step",
    .cause = "cudnnGetConvolutionForwardWorkspaceSize requires xDesc, wDesc and yDesc to agree on the data type; "
             "the descriptors alone (host) accept it",
    .seed = "DESIGN.md: dtype mismatch",
    .needs = {Need::Cudnn, Need::Gpu},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        if (auto missing = library_failure(loader::cudnn().library)) return *missing;
        const auto& api = loader::cudnn();
        ConvolutionDescriptors d;
        if (auto failed = create_descriptors(d)) return *failed;
        const auto [x, y, w, conv] = std::tuple{d.x, d.y, d.w, d.conv};
        cudnnHandle_t handle = nullptr;
        CUCONFORM_CUDNN_TRY(cudnnSetTensor4dDescriptor, x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, 3, 8, 8);
        CUCONFORM_CUDNN_TRY(cudnnSetTensor4dDescriptor, y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, 8, 6, 6);
        CUCONFORM_CUDNN_TRY(cudnnSetFilter4dDescriptor, w, CUDNN_DATA_HALF, CUDNN_TENSOR_NCHW, 8, 3, 3, 3);
        CUCONFORM_CUDNN_TRY(cudnnSetConvolution2dDescriptor, conv, 0, 0, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION,
                            CUDNN_DATA_FLOAT);
        CUCONFORM_CUDNN_TRY(cudnnCreate, &handle);
        Defer free_handle([&] { api.cudnnDestroy(handle); });
        std::size_t bytes = 0;
        CUCONFORM_CUDNN_TRY(cudnnGetConvolutionForwardWorkspaceSize, handle, x, w, conv, y,
                            CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, &bytes);
        return Outcome::ok(fmt::format("mixed float/half convolution: workspace {} bytes", bytes));
    },
});

// Tests that a typed layer instantiated with std::string is rejected by the compiler, not at run time.
CUCONFORM_CASE({
    .id = "dtype.string.compile_time",
    .title = "Dense<std::string>: a string element type into a numeric layer, compiled with the suite's compiler",
    .symptom = "tf.constant([\"hello\", \"world\"]) into an LSTM: \"Cast string to float is not supported\" / "
               "NotImplementedError; in C++ the same mistake must not compile",
    .cause = "the layer's static_assert(std::is_arithmetic_v<T>) fails at instantiation",
    .seed = "003",
    .labels = {"compile"},
    .expect = R"(
        otherwise -> error(compile, STATIC_ASSERTION_FAILED)
    )",
    .reproduce = [](CaseContext&) { return compile_typed_layer("std::string"); },
});

// Tests the control of the compile-time case: the same layer with float compiles.
CUCONFORM_CASE({
    .id = "dtype.numeric.compile_time",
    .title = "Dense<float> compiled with the suite's compiler (control)",
    .symptom = "none: numeric input after preprocessing (embeddings) is accepted",
    .cause = "std::is_arithmetic_v<float> holds",
    .seed = "003",
    .labels = {"compile", "control"},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return compile_typed_layer("float"); },
});

}  // namespace
}  // namespace cuconform::cases
