// SPDX-License-Identifier: Apache-2.0
/// \file An LSTM through cuDNN's RNN API (v8 descriptors): host-side descriptor setup and a device run.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "cases/cudnn_check.h"

namespace cuconform::cases {

/// The shape of a single-layer unidirectional LSTM, and the vector size the data descriptor declares.
struct LstmShape {
    int input_size = 10;
    int hidden_size = 16;
    int batch = 4;
    int max_seq = 7;
    int data_vector_size = 10;  ///< != input_size: the shape mismatch case.
    cudnnDataType_t data_type = CUDNN_DATA_FLOAT;
    cudnnDataType_t math_precision = CUDNN_DATA_FLOAT;
};

/// The descriptors of one LSTM call; everything is destroyed with the object.
class Lstm {
public:
    Lstm() = default;
    Lstm(const Lstm&) = delete;
    Lstm& operator=(const Lstm&) = delete;
    ~Lstm() {
        const auto& api = loader::cudnn();
        if (rnn && api.cudnnDestroyRNNDescriptor) api.cudnnDestroyRNNDescriptor(rnn);
        if (x && api.cudnnDestroyRNNDataDescriptor) api.cudnnDestroyRNNDataDescriptor(x);
        if (y && api.cudnnDestroyRNNDataDescriptor) api.cudnnDestroyRNNDataDescriptor(y);
        if (h && api.cudnnDestroyTensorDescriptor) api.cudnnDestroyTensorDescriptor(h);
    }

    /// Builds every descriptor on the host (no handle, no GPU); an error outcome names the failing call.
    std::optional<Outcome> describe(const LstmShape& shape) {
        shape_ = shape;
        const auto& api = loader::cudnn();
#define CUCONFORM_LSTM_TRY(name, ...)                                                                \
    do {                                                                                             \
        if (api.name == nullptr) return missing_symbol(api.library, #name);                          \
        if (const cudnnStatus_t status_ = api.name(__VA_ARGS__); status_ != CUDNN_STATUS_SUCCESS)    \
            return cudnn_outcome(status_, #name);                                                    \
    } while (0)
        CUCONFORM_LSTM_TRY(cudnnCreateRNNDescriptor, &rnn);
        CUCONFORM_LSTM_TRY(cudnnSetRNNDescriptor_v8, rnn, CUDNN_RNN_ALGO_STANDARD, CUDNN_LSTM, CUDNN_RNN_DOUBLE_BIAS,
                           CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT, shape.data_type, shape.math_precision,
                           CUDNN_DEFAULT_MATH, shape.input_size, shape.hidden_size, shape.hidden_size, 1, nullptr,
                           0);
        lengths_.assign(static_cast<std::size_t>(shape.batch), shape.max_seq);
        float padding = 0.0f;
        CUCONFORM_LSTM_TRY(cudnnCreateRNNDataDescriptor, &x);
        CUCONFORM_LSTM_TRY(cudnnSetRNNDataDescriptor, x, shape.data_type, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED,
                           shape.max_seq, shape.batch, shape.data_vector_size, lengths_.data(), &padding);
        CUCONFORM_LSTM_TRY(cudnnCreateRNNDataDescriptor, &y);
        CUCONFORM_LSTM_TRY(cudnnSetRNNDataDescriptor, y, shape.data_type, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED,
                           shape.max_seq, shape.batch, shape.hidden_size, lengths_.data(), &padding);
        const int dims[3] = {1, shape.batch, shape.hidden_size};
        const int strides[3] = {shape.batch * shape.hidden_size, shape.hidden_size, 1};
        CUCONFORM_LSTM_TRY(cudnnCreateTensorDescriptor, &h);
        CUCONFORM_LSTM_TRY(cudnnSetTensorNdDescriptor, h, shape.data_type, 3, dims, strides);
#undef CUCONFORM_LSTM_TRY
        return std::nullopt;
    }

    const LstmShape& shape() const { return shape_; }
    const std::vector<int>& lengths() const { return lengths_; }

    cudnnRNNDescriptor_t rnn = nullptr;
    cudnnRNNDataDescriptor_t x = nullptr;
    cudnnRNNDataDescriptor_t y = nullptr;
    cudnnTensorDescriptor_t h = nullptr;  ///< hx, cx, hy, cy, and their gradients share it.

private:
    LstmShape shape_;
    std::vector<int> lengths_;
};

/// Device buffers through the CUDA runtime cuDNN itself uses; freed with the object.
class DeviceBuffers {
public:
    DeviceBuffers() = default;
    DeviceBuffers(const DeviceBuffers&) = delete;
    DeviceBuffers& operator=(const DeviceBuffers&) = delete;
    ~DeviceBuffers() {
        for (void* p : owned_) loader::cuda_runtime().cudaFree(p);
    }
    /// Zero-filled `bytes` (at least 1), or nullptr when cudaMalloc fails (`error` holds its name).
    void* take(std::size_t bytes, const std::vector<float>& init = {}) {
        const auto& rt = loader::cuda_runtime();
        void* p = nullptr;
        if (cudaError_t e = rt.cudaMalloc(&p, bytes == 0 ? 1 : bytes); e != cudaSuccess) {
            error = loader::cuda_runtime_error_name(e);
            return nullptr;
        }
        owned_.push_back(p);
        std::vector<unsigned char> zero(bytes == 0 ? 1 : bytes, 0);
        if (!init.empty()) std::memcpy(zero.data(), init.data(), std::min(bytes, init.size() * sizeof(float)));
        rt.cudaMemcpy(p, zero.data(), zero.size(), cudaMemcpyHostToDevice);
        return p;
    }
    std::string error;

private:
    std::vector<void*> owned_;
};

/// Forward (training) then backward data and weights on the GPU; ok when every output is finite and the
/// forward output is not all zero. Descriptor errors come back as cuDNN outcomes.
inline Outcome lstm_train_step(Lstm& lstm) {
    const auto& api = loader::cudnn();
    const auto& rt = loader::cuda_runtime();
    if (!rt.library.loaded())
        return Outcome::error(Domain::Loader, "LIBRARY_NOT_FOUND", {}, rt.library.record().error);
    for (auto [name, ptr] : {std::pair{"cudnnCreate", (const void*)api.cudnnCreate},
                             {"cudnnGetRNNWeightSpaceSize", (const void*)api.cudnnGetRNNWeightSpaceSize},
                             {"cudnnGetRNNTempSpaceSizes", (const void*)api.cudnnGetRNNTempSpaceSizes},
                             {"cudnnRNNForward", (const void*)api.cudnnRNNForward},
                             {"cudnnRNNBackwardData_v8", (const void*)api.cudnnRNNBackwardData_v8},
                             {"cudnnRNNBackwardWeights_v8", (const void*)api.cudnnRNNBackwardWeights_v8}}) {
        if (ptr == nullptr) return missing_symbol(api.library, name);
    }
    cudnnHandle_t handle = nullptr;
    if (auto s = api.cudnnCreate(&handle); s != CUDNN_STATUS_SUCCESS) return cudnn_outcome(s, "cudnnCreate");
    Defer free_handle([&] { api.cudnnDestroy(handle); });
    const LstmShape& shape = lstm.shape();
    std::size_t weight_bytes = 0, work_bytes = 0, reserve_bytes = 0;
    if (auto s = api.cudnnGetRNNWeightSpaceSize(handle, lstm.rnn, &weight_bytes); s != CUDNN_STATUS_SUCCESS)
        return cudnn_outcome(s, "cudnnGetRNNWeightSpaceSize");
    if (auto s = api.cudnnGetRNNTempSpaceSizes(handle, lstm.rnn, CUDNN_FWD_MODE_TRAINING, lstm.x, &work_bytes,
                                               &reserve_bytes);
        s != CUDNN_STATUS_SUCCESS)
        return cudnn_outcome(s, "cudnnGetRNNTempSpaceSizes");

    const auto elems = [](std::size_t n) { return n * sizeof(float); };
    const std::size_t x_count = static_cast<std::size_t>(shape.max_seq * shape.batch * shape.data_vector_size);
    const std::size_t y_count = static_cast<std::size_t>(shape.max_seq * shape.batch * shape.hidden_size);
    const std::size_t h_count = static_cast<std::size_t>(shape.batch * shape.hidden_size);
    std::vector<float> x_host(x_count), weights_host(weight_bytes / sizeof(float));
    for (std::size_t i = 0; i < x_host.size(); ++i) x_host[i] = std::sin(0.1f * static_cast<float>(i));
    for (std::size_t i = 0; i < weights_host.size(); ++i) weights_host[i] = 0.05f * std::cos(static_cast<float>(i));
    std::vector<float> dy_host(y_count, 1.0f);

    DeviceBuffers mem;
    auto* seq = static_cast<int*>(mem.take(lstm.lengths().size() * sizeof(int)));
    if (seq != nullptr)
        rt.cudaMemcpy(seq, lstm.lengths().data(), lstm.lengths().size() * sizeof(int), cudaMemcpyHostToDevice);
    void* x = mem.take(elems(x_count), x_host);
    void* y = mem.take(elems(y_count));
    void* dy = mem.take(elems(y_count), dy_host);
    void* dx = mem.take(elems(x_count));
    void* hx = mem.take(elems(h_count));
    void* cx = mem.take(elems(h_count));
    void* hy = mem.take(elems(h_count));
    void* cy = mem.take(elems(h_count));
    void* dhx = mem.take(elems(h_count));
    void* dcx = mem.take(elems(h_count));
    void* weights = mem.take(weight_bytes, weights_host);
    void* dweights = mem.take(weight_bytes);
    void* work = mem.take(work_bytes);
    void* reserve = mem.take(reserve_bytes);
    if (!mem.error.empty()) return Outcome::error(Domain::Cuda, mem.error, {}, "cudaMalloc for the LSTM buffers");

    if (auto s = api.cudnnRNNForward(handle, lstm.rnn, CUDNN_FWD_MODE_TRAINING, seq, lstm.x, x, lstm.y, y, lstm.h, hx,
                                     hy, lstm.h, cx, cy, weight_bytes, weights, work_bytes, work, reserve_bytes,
                                     reserve);
        s != CUDNN_STATUS_SUCCESS)
        return cudnn_outcome(s, "cudnnRNNForward");
    if (auto s = api.cudnnRNNBackwardData_v8(handle, lstm.rnn, seq, lstm.y, y, dy, lstm.x, dx, lstm.h, hx, nullptr,
                                             dhx, lstm.h, cx, nullptr, dcx, weight_bytes, weights, work_bytes, work,
                                             reserve_bytes, reserve);
        s != CUDNN_STATUS_SUCCESS)
        return cudnn_outcome(s, "cudnnRNNBackwardData_v8");
    if (auto s = api.cudnnRNNBackwardWeights_v8(handle, lstm.rnn, CUDNN_WGRAD_MODE_ADD, seq, lstm.x, x, lstm.h, hx,
                                                lstm.y, y, weight_bytes, dweights, work_bytes, work, reserve_bytes,
                                                reserve);
        s != CUDNN_STATUS_SUCCESS)
        return cudnn_outcome(s, "cudnnRNNBackwardWeights_v8");
    if (cudaError_t e = rt.cudaDeviceSynchronize(); e != cudaSuccess)
        return Outcome::error(Domain::Cuda, loader::cuda_runtime_error_name(e), static_cast<long>(e),
                              "cudaDeviceSynchronize after the LSTM");

    std::vector<float> y_back(y_count), dx_back(x_count), dw_back(weights_host.size());
    rt.cudaMemcpy(y_back.data(), y, elems(y_count), cudaMemcpyDeviceToHost);
    rt.cudaMemcpy(dx_back.data(), dx, elems(x_count), cudaMemcpyDeviceToHost);
    rt.cudaMemcpy(dw_back.data(), dweights, dw_back.size() * sizeof(float), cudaMemcpyDeviceToHost);
    bool any_nonzero = false;
    for (const auto* v : {&y_back, &dx_back, &dw_back}) {
        for (float f : *v) {
            if (!std::isfinite(f)) return Outcome::error(Domain::Harness, "NON_FINITE", {}, "LSTM produced NaN/Inf");
        }
    }
    for (float f : y_back) any_nonzero = any_nonzero || f != 0.0f;
    if (!any_nonzero) return Outcome::error(Domain::Harness, "WRONG_RESULT", {}, "LSTM forward output is all zero");
    // |tanh| < 1 bounds every LSTM output.
    for (float f : y_back) {
        if (std::fabs(f) >= 1.0f) return Outcome::error(Domain::Harness, "WRONG_RESULT", {}, "LSTM output >= 1");
    }
    return Outcome::ok(fmt::format("forward + backward data/weights, {} weight bytes", weight_bytes));
}

}  // namespace cuconform::cases
