// SPDX-License-Identifier: Apache-2.0
/// \file Family `shape`: tensor, filter, matmul and RNN descriptors whose shapes disagree, validated on the host.
#include <tuple>

#include "catalog/case.h"
#include "cases/cudnn_check.h"
#include "cases/lstm.h"
#include "loader/apis.h"

namespace cuconform::cases {
namespace {

/// A Dense layer as a backend matmul: x[1, batch, in_features] x W[1, weight_rows, units] -> y[1, batch, units].
Outcome dense_matmul(std::int64_t in_features, std::int64_t weight_rows) {
    if (auto missing = library_failure(loader::cudnn().library)) return *missing;
    if (auto missing = backend_symbols_missing()) return *missing;
    constexpr std::int64_t kBatch = 100, kUnits = 64;
    BackendDescriptor a, b, c, matmul, op;
    if (auto f = make_backend_tensor(a, 1, {1, kBatch, in_features}, CUDNN_DATA_FLOAT)) return backend_failure(*f);
    if (auto f = make_backend_tensor(b, 2, {1, weight_rows, kUnits}, CUDNN_DATA_FLOAT)) return backend_failure(*f);
    if (auto f = make_backend_tensor(c, 3, {1, kBatch, kUnits}, CUDNN_DATA_FLOAT)) return backend_failure(*f);
    CUCONFORM_CUDNN_TRY(cudnnBackendCreateDescriptor, CUDNN_BACKEND_MATMUL_DESCRIPTOR, &matmul.handle);
    const cudnnDataType_t compute = CUDNN_DATA_FLOAT;
    CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, matmul.handle, CUDNN_ATTR_MATMUL_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1,
                        &compute);
    CUCONFORM_CUDNN_TRY(cudnnBackendFinalize, matmul.handle);
    CUCONFORM_CUDNN_TRY(cudnnBackendCreateDescriptor, CUDNN_BACKEND_OPERATION_MATMUL_DESCRIPTOR, &op.handle);
    CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_MATMUL_ADESC,
                        CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &a.handle);
    CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_MATMUL_BDESC,
                        CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &b.handle);
    CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_MATMUL_CDESC,
                        CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &c.handle);
    CUCONFORM_CUDNN_TRY(cudnnBackendSetAttribute, op.handle, CUDNN_ATTR_OPERATION_MATMUL_DESC,
                        CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &matmul.handle);
    CUCONFORM_CUDNN_TRY(cudnnBackendFinalize, op.handle);
    return Outcome::ok(fmt::format("matmul node [1,{},{}] x [1,{},{}] finalized", kBatch, in_features, weight_rows,
                                   kUnits));
}

/// cudnnGetConvolution2dForwardOutputDim for an NCHW float input and a KCRS float filter.
Outcome conv_output_dim(int n, int c, int h, int w, int k, int filter_c, int r, int s, int pad) {
    if (auto missing = library_failure(loader::cudnn().library)) return *missing;
    ConvolutionDescriptors d;
    if (auto failed = create_descriptors(d)) return *failed;
    const auto [x, f, conv] = std::tuple{d.x, d.w, d.conv};
    CUCONFORM_CUDNN_TRY(cudnnSetTensor4dDescriptor, x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w);
    CUCONFORM_CUDNN_TRY(cudnnSetFilter4dDescriptor, f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, filter_c, r, s);
    CUCONFORM_CUDNN_TRY(cudnnSetConvolution2dDescriptor, conv, pad, pad, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION,
                        CUDNN_DATA_FLOAT);
    int on = 0, oc = 0, oh = 0, ow = 0;
    CUCONFORM_CUDNN_TRY(cudnnGetConvolution2dForwardOutputDim, conv, x, f, &on, &oc, &oh, &ow);
    return Outcome::ok(fmt::format("output {}x{}x{}x{}", on, oc, oh, ow));
}

// Tests that a Dense layer fed 5 features where its weights expect 10 is refused when the matmul node is built.
CUCONFORM_CASE({
    .id = "shape.dense.feature_mismatch",
    .title = "Dense(64) built for 10 input features receives a batch of 5 features (matmul K mismatch)",
    .symptom = "model.fit raises NotImplementedError / a shape error: input_shape=(10,) but x_train has 5 features",
    .cause = "cuDNN graph API: matmul A[1,100,5] x B[1,10,64]; cudnnBackendFinalize of the matmul operation "
             "checks A's K against B's K and returns CUDNN_STATUS_BAD_PARAM",
    .seed = "001",
    .labels = {"graph_api"},
    .needs = {Need::Cudnn},
    .expect = R"(
        # Observed on cuDNN 9.27: libcudnn_engines_runtime_compiled NEEDS libcuda.so.1, so without a driver even
        # finalizing a backend descriptor fails (9.19 does not; versions in between not yet observed).
        when !driver && cudnn.loaded >= 9.27 -> error(cudnn, CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) { return dense_matmul(5, 10); },
});

// Tests the control of the Dense case: matching K finalizes, so the mismatch case fails for the shape alone.
CUCONFORM_CASE({
    .id = "shape.dense.feature_match",
    .title = "Dense(64) built for 10 input features receives 10 features (control: the matmul node finalizes)",
    .symptom = "none: the corrected model from seed 001 trains",
    .cause = "matmul A[1,100,10] x B[1,10,64] -> C[1,100,64] has consistent shapes",
    .seed = "001",
    .labels = {"graph_api", "control"},
    .needs = {Need::Cudnn},
    .expect = R"(
        # Observed on cuDNN 9.27: libcudnn_engines_runtime_compiled NEEDS libcuda.so.1, so without a driver even
        # finalizing a backend descriptor fails (9.19 does not; versions in between not yet observed).
        when !driver && cudnn.loaded >= 9.27 -> error(cudnn, CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return dense_matmul(10, 10); },
});

// Tests that a convolution filter with 5 input channels on a 3-channel image is refused by the output-dim query.
CUCONFORM_CASE({
    .id = "shape.conv.channel_mismatch",
    .title = "Conv2D whose filter expects 5 input channels applied to a 3-channel (RGB) input",
    .symptom = "Keras: \"Input 0 of layer conv2d is incompatible with the layer: expected axis -1 to have value 5\"; "
               "on the cuDNN path CUDNN_STATUS_BAD_PARAM",
    .cause = "cudnnGetConvolution2dForwardOutputDim: input C (3) != groupCount * filter C (5) -> BAD_PARAM",
    .seed = "DESIGN.md: input shape mismatch",
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) { return conv_output_dim(1, 3, 8, 8, 8, 5, 3, 3, 1); },
});

// Tests that Dense-as-1x1-convolution (10 features expected, 5 given) is refused by the legacy API as well.
CUCONFORM_CASE({
    .id = "shape.conv.dense_as_conv1x1",
    .title = "Dense(64) on 10 features expressed as a 1x1 convolution over a [100,5,1,1] batch",
    .symptom = "model.fit raises NotImplementedError / a shape error: the model expects 10 features, gets 5",
    .cause = "cudnnGetConvolution2dForwardOutputDim: input C (5) != filter C (10) -> BAD_PARAM",
    .seed = "001",
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) { return conv_output_dim(100, 5, 1, 1, 64, 10, 1, 1, 0); },
});

// Tests that an 11x11 filter over an unpadded 8x8 image (negative output size) is refused.
CUCONFORM_CASE({
    .id = "shape.conv.filter_larger_than_input",
    .title = "Conv2D with an 11x11 kernel, no padding, over an 8x8 feature map",
    .symptom = "Keras: \"Negative dimension size caused by subtracting 11 from 8\"",
    .cause = "cudnnGetConvolution2dForwardOutputDim: the output height/width would be negative -> BAD_PARAM",
    .seed = "DESIGN.md: input shape mismatch",
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) { return conv_output_dim(1, 3, 8, 8, 8, 3, 11, 11, 0); },
});

// Tests that the legacy tensor descriptor refuses a zero batch dimension.
CUCONFORM_CASE({
    .id = "shape.zero_dim.legacy_tensor",
    .title = "A 4-d tensor descriptor with batch size 0 (an empty batch) through the legacy API",
    .symptom = "fit/predict on an empty dataset slice fails with CUDNN_STATUS_BAD_PARAM instead of a no-op",
    .cause = "cudnnSetTensor4dDescriptor requires n, c, h, w > 0",
    .seed = "DESIGN.md: input shape mismatch",
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        if (auto missing = library_failure(loader::cudnn().library)) return *missing;
        const auto& api = loader::cudnn();
        cudnnTensorDescriptor_t x = nullptr;
        CUCONFORM_CUDNN_TRY(cudnnCreateTensorDescriptor, &x);
        Defer free_x([&] { api.cudnnDestroyTensorDescriptor(x); });
        CUCONFORM_CUDNN_TRY(cudnnSetTensor4dDescriptor, x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 0, 3, 8, 8);
        return Outcome::ok("[0,3,8,8] accepted");
    },
});

// Tests that the legacy filter descriptor refuses a negative channel count.
CUCONFORM_CASE({
    .id = "shape.negative_dim.legacy_filter",
    .title = "A filter descriptor with -2 input channels (a shape computed from a bad reshape) in the legacy API",
    .symptom = "a framework shape-inference bug surfaces as CUDNN_STATUS_BAD_PARAM at layer build",
    .cause = "cudnnSetFilter4dDescriptor requires every dimension > 0",
    .seed = "DESIGN.md: input shape mismatch",
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        if (auto missing = library_failure(loader::cudnn().library)) return *missing;
        const auto& api = loader::cudnn();
        cudnnFilterDescriptor_t f = nullptr;
        CUCONFORM_CUDNN_TRY(cudnnCreateFilterDescriptor, &f);
        Defer free_f([&] { api.cudnnDestroyFilterDescriptor(f); });
        CUCONFORM_CUDNN_TRY(cudnnSetFilter4dDescriptor, f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 8, -2, 3, 3);
        return Outcome::ok("[8,-2,3,3] accepted");
    },
});

// Tests that the graph API, unlike the legacy one, accepts a zero-sized dimension (observed on cuDNN 9.19).
CUCONFORM_CASE({
    .id = "shape.zero_dim.graph_tensor",
    .title = "A backend tensor [1,0,8] (zero-sized dimension) through the graph API",
    .symptom = "the same empty batch that the legacy path rejects builds on the graph path (cuDNN frontend)",
    .cause = "cudnnBackendFinalize(TENSOR) only rejects negative dimensions; zero-sized tensors are legal",
    .seed = "DESIGN.md: input shape mismatch",
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
        BackendDescriptor t;
        if (auto f = make_backend_tensor(t, 1, {1, 0, 8}, CUDNN_DATA_FLOAT)) return backend_failure(*f);
        return Outcome::ok("backend tensor [1,0,8] finalized");
    },
});

// Tests that the graph API refuses a negative dimension when the tensor is finalized.
CUCONFORM_CASE({
    .id = "shape.negative_dim.graph_tensor",
    .title = "A backend tensor [1,-5,8] through the graph API",
    .symptom = "a negative dimension from a bad reshape fails at graph build with CUDNN_STATUS_BAD_PARAM",
    .cause = "cudnnBackendSetAttribute(DIMENSIONS) stores it; cudnnBackendFinalize(TENSOR) checks dim >= 0",
    .seed = "DESIGN.md: input shape mismatch",
    .labels = {"graph_api"},
    .needs = {Need::Cudnn},
    .expect = R"(
        # Observed on cuDNN 9.27: libcudnn_engines_runtime_compiled NEEDS libcuda.so.1, so without a driver even
        # finalizing a backend descriptor fails (9.19 does not; versions in between not yet observed).
        when !driver && cudnn.loaded >= 9.27 -> error(cudnn, CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        if (auto missing = library_failure(loader::cudnn().library)) return *missing;
        if (auto missing = backend_symbols_missing()) return *missing;
        BackendDescriptor t;
        if (auto f = make_backend_tensor(t, 1, {1, -5, 8}, CUDNN_DATA_FLOAT)) return backend_failure(*f);
        return Outcome::ok("backend tensor [1,-5,8] finalized");
    },
});

// Tests that an LSTM built for 10 input features, given sequences of 5-vectors, is refused once a handle sees both.
CUCONFORM_CASE({
    .id = "shape.rnn.input_size_mismatch",
    .title = "LSTM(inputSize=10) run on RNN data whose vectors have 5 elements",
    .symptom = "Keras LSTM with input_shape=(timesteps, 10) fed (timesteps, 5): a shape error or "
               "NotImplementedError during fit",
    .cause = "each descriptor is valid alone (host check passes); cudnnGetRNNTempSpaceSizes / cudnnRNNForward "
             "compare the RNN descriptor's inputSize with xDesc's vectorSize -> BAD_PARAM",
    .seed = "001",
    .labels = {"rnn"},
    .needs = {Need::Cudnn, Need::Gpu},
    .expect = R"(
        otherwise -> error(cudnn, CUDNN_STATUS_BAD_PARAM)
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        if (auto missing = library_failure(loader::cudnn().library)) return *missing;
        Lstm lstm;
        if (auto error = lstm.describe({.input_size = 10, .data_vector_size = 5})) return *error;
        return lstm_train_step(lstm);
    },
});

}  // namespace
}  // namespace cuconform::cases
