// SPDX-License-Identifier: Apache-2.0
/// \file Helpers the cuDNN-facing case families share: library and symbol checks, status to outcome.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cases/common.h"
#include "core/outcome.h"
#include "loader/apis.h"

namespace cuconform::cases {

/// Runs a clean-up at scope exit (descriptor destruction), so an early return leaks nothing.
class Defer {
public:
    explicit Defer(std::function<void()> action) : action_(std::move(action)) {}
    Defer(const Defer&) = delete;
    Defer& operator=(const Defer&) = delete;
    ~Defer() {
        if (action_) action_();
    }

private:
    std::function<void()> action_;
};

/// The descriptors of a legacy convolution (input x, filter w, output y, the convolution), destroyed with their scope.
struct ConvolutionDescriptors {
    ConvolutionDescriptors() = default;
    ConvolutionDescriptors(const ConvolutionDescriptors&) = delete;
    ConvolutionDescriptors& operator=(const ConvolutionDescriptors&) = delete;
    ~ConvolutionDescriptors() {
        const auto& api = loader::cudnn();
        if (x != nullptr) api.cudnnDestroyTensorDescriptor(x);
        if (y != nullptr) api.cudnnDestroyTensorDescriptor(y);
        if (w != nullptr) api.cudnnDestroyFilterDescriptor(w);
        if (conv != nullptr) api.cudnnDestroyConvolutionDescriptor(conv);
    }
    cudnnTensorDescriptor_t x = nullptr, y = nullptr;
    cudnnFilterDescriptor_t w = nullptr;
    cudnnConvolutionDescriptor_t conv = nullptr;
};

/// A backend (graph API) descriptor, destroyed with its scope.
class BackendDescriptor {
public:
    BackendDescriptor() = default;
    BackendDescriptor(const BackendDescriptor&) = delete;
    BackendDescriptor& operator=(const BackendDescriptor&) = delete;
    ~BackendDescriptor() {
        if (handle != nullptr && loader::cudnn().cudnnBackendDestroyDescriptor != nullptr)
            loader::cudnn().cudnnBackendDestroyDescriptor(handle);
    }
    cudnnBackendDescriptor_t handle = nullptr;
};

/// Which step of building a backend tensor failed, and how; nullopt when it finalized.
struct BackendStep {
    std::string call;
    cudnnStatus_t status = CUDNN_STATUS_SUCCESS;
    std::string text;
};

/// Creates and finalizes a packed (row-major) backend tensor descriptor. The caller has checked the symbols.
inline std::optional<BackendStep> make_backend_tensor(BackendDescriptor& tensor, std::int64_t uid,
                                                      std::initializer_list<std::int64_t> dims,
                                                      cudnnDataType_t type) {
    const auto& api = loader::cudnn();
    std::vector<std::int64_t> dim(dims), stride(dims.size());
    std::int64_t running = 1;
    for (std::size_t i = dim.size(); i-- > 0;) {
        stride[i] = running;
        running *= dim[i] > 0 ? dim[i] : 1;
    }
    const std::int64_t alignment = 16;
    auto fail = [](const char* call, cudnnStatus_t status) {
        return BackendStep{call, status, cudnn_last_error()};
    };
    cudnnStatus_t s = api.cudnnBackendCreateDescriptor(CUDNN_BACKEND_TENSOR_DESCRIPTOR, &tensor.handle);
    if (s != CUDNN_STATUS_SUCCESS) return fail("cudnnBackendCreateDescriptor(TENSOR)", s);
    s = api.cudnnBackendSetAttribute(tensor.handle, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type);
    if (s != CUDNN_STATUS_SUCCESS) return fail("cudnnBackendSetAttribute(TENSOR_DATA_TYPE)", s);
    const auto rank = static_cast<std::int64_t>(dim.size());
    s = api.cudnnBackendSetAttribute(tensor.handle, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, rank, dim.data());
    if (s != CUDNN_STATUS_SUCCESS) return fail("cudnnBackendSetAttribute(TENSOR_DIMENSIONS)", s);
    s = api.cudnnBackendSetAttribute(tensor.handle, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, rank, stride.data());
    if (s != CUDNN_STATUS_SUCCESS) return fail("cudnnBackendSetAttribute(TENSOR_STRIDES)", s);
    s = api.cudnnBackendSetAttribute(tensor.handle, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid);
    if (s != CUDNN_STATUS_SUCCESS) return fail("cudnnBackendSetAttribute(TENSOR_UNIQUE_ID)", s);
    s = api.cudnnBackendSetAttribute(tensor.handle, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1,
                                     &alignment);
    if (s != CUDNN_STATUS_SUCCESS) return fail("cudnnBackendSetAttribute(TENSOR_BYTE_ALIGNMENT)", s);
    s = api.cudnnBackendFinalize(tensor.handle);
    if (s != CUDNN_STATUS_SUCCESS) return fail("cudnnBackendFinalize(TENSOR)", s);
    return std::nullopt;
}

/// The outcome of a failed backend step.
inline Outcome backend_failure(const BackendStep& step) {
    std::string text = step.text;
    if (auto newline = text.find('\n'); newline != std::string::npos) text.resize(newline);
    return Outcome::error(Domain::Cudnn, loader::cudnn_status_name(step.status), static_cast<long>(step.status),
                          text.empty() ? step.call : fmt::format("{}: {}", step.call, text));
}

/// Returns SYMBOL_NOT_FOUND unless cuDNN has the four backend functions.
inline std::optional<Outcome> backend_symbols_missing() {
    const auto& api = loader::cudnn();
    if (api.cudnnBackendCreateDescriptor == nullptr) return missing_symbol(api.library, "cudnnBackendCreateDescriptor");
    if (api.cudnnBackendSetAttribute == nullptr) return missing_symbol(api.library, "cudnnBackendSetAttribute");
    if (api.cudnnBackendFinalize == nullptr) return missing_symbol(api.library, "cudnnBackendFinalize");
    if (api.cudnnBackendDestroyDescriptor == nullptr)
        return missing_symbol(api.library, "cudnnBackendDestroyDescriptor");
    return std::nullopt;
}

}  // namespace cuconform::cases

/// Returns SYMBOL_NOT_FOUND from the enclosing reproducer when cuDNN lacks `name`.
#define CUCONFORM_NEED_CUDNN_SYMBOL(name) \
    if (::cuconform::loader::cudnn().name == nullptr) \
        return ::cuconform::cases::missing_symbol(::cuconform::loader::cudnn().library, #name)

/// Calls a cuDNN function through the table; a failure ends the reproducer with its outcome.
#define CUCONFORM_CUDNN_TRY(name, ...)                                                                    \
    do {                                                                                                  \
        CUCONFORM_NEED_CUDNN_SYMBOL(name);                                                                \
        if (const cudnnStatus_t status_ = ::cuconform::loader::cudnn().name(__VA_ARGS__);                 \
            status_ != CUDNN_STATUS_SUCCESS)                                                              \
            return ::cuconform::cases::cudnn_outcome(status_, #name);                                     \
    } while (0)

namespace cuconform::cases {

/// Creates the four descriptors (their dimensions are the caller's to set); the outcome of the call that failed, if
/// one did.
inline std::optional<Outcome> create_descriptors(ConvolutionDescriptors& d) {
    CUCONFORM_CUDNN_TRY(cudnnCreateTensorDescriptor, &d.x);
    CUCONFORM_CUDNN_TRY(cudnnCreateTensorDescriptor, &d.y);
    CUCONFORM_CUDNN_TRY(cudnnCreateFilterDescriptor, &d.w);
    CUCONFORM_CUDNN_TRY(cudnnCreateConvolutionDescriptor, &d.conv);
    return std::nullopt;
}

}  // namespace cuconform::cases
