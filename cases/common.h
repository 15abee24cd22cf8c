// SPDX-License-Identifier: Apache-2.0
/// \file Helpers the reproducers of several families share: library outcomes, status mapping.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

#include "catalog/case.h"
#include "loader/apis.h"

namespace cuconform::cases {

/// `error(loader, LIBRARY_NOT_FOUND)` with the loader's own message, or nullopt when loaded.
inline std::optional<Outcome> library_failure(const loader::Library& lib) {
    if (lib.loaded()) return std::nullopt;
    return Outcome::error(Domain::Loader, "LIBRARY_NOT_FOUND", {}, lib.record().error);
}

/// `error(loader, SYMBOL_NOT_FOUND)` naming the symbol and the file it is missing from.
inline Outcome missing_symbol(const loader::Library& lib, std::string_view symbol) {
    return Outcome::error(Domain::Loader, "SYMBOL_NOT_FOUND", {},
                          fmt::format("{} is not exported by {}", symbol, lib.record().path));
}

/// cuDNN's last error text (cuDNN 9), empty where the library does not have it.
inline std::string cudnn_last_error() {
#if CUDNN_MAJOR >= 9
    const auto& api = loader::cudnn();
    if (api.cudnnGetLastErrorString == nullptr) return {};
    char text[1024] = {};
    api.cudnnGetLastErrorString(text, sizeof text);
    return text;
#else
    return {};
#endif
}

/// A cuDNN status as an outcome: ok for SUCCESS, else `error(cudnn, <name>)` with its number, the call and the
/// first line of cuDNN's own text (the line that names the failed check).
inline Outcome cudnn_outcome(cudnnStatus_t status, std::string_view call) {
    if (status == CUDNN_STATUS_SUCCESS) return Outcome::ok(fmt::format("{}: CUDNN_STATUS_SUCCESS", call));
    std::string text = cudnn_last_error();
    if (auto newline = text.find('\n'); newline != std::string::npos) text.resize(newline);
    return Outcome::error(Domain::Cudnn, loader::cudnn_status_name(status), static_cast<long>(status),
                          text.empty() ? std::string(call) : fmt::format("{}: {}", call, text));
}

/// A CUDA runtime error as an outcome.
inline Outcome runtime_outcome(cudaError_t status, const std::string& what) {
    if (status == cudaSuccess) return Outcome::ok(what + ": cudaSuccess");
    const auto& api = loader::cuda_runtime();
    return Outcome::error(Domain::Cuda, loader::cuda_runtime_error_name(status), static_cast<long>(status),
                          fmt::format("{}: {}", what, api.cudaGetErrorString ? api.cudaGetErrorString(status) : ""));
}

/// A CUDA driver error as an outcome.
inline Outcome driver_outcome(CUresult status, const std::string& what) {
    if (status == CUDA_SUCCESS) return Outcome::ok(what + ": CUDA_SUCCESS");
    const auto& api = loader::cuda_driver();
    const char* text = nullptr;
    if (api.cuGetErrorString) api.cuGetErrorString(status, &text);
    return Outcome::error(Domain::Cuda, loader::cuda_driver_error_name(status), static_cast<long>(status),
                          fmt::format("{}: {}", what, text ? text : ""));
}

/// What a framework asks first: how many GPUs the runtime sees. Zero devices is `cudaErrorNoDevice`.
inline Outcome runtime_device_count() {
    const auto& rt = loader::cuda_runtime();
    if (auto failed = library_failure(rt.library)) return *failed;
    int count = 0;
    const auto status = rt.cudaGetDeviceCount(&count);
    if (status != cudaSuccess) return runtime_outcome(status, "cudaGetDeviceCount");
    if (count == 0) return Outcome::error(Domain::Cuda, "cudaErrorNoDevice", 100, "cudaGetDeviceCount returned 0 devices");
    return Outcome::ok(fmt::format("cudaGetDeviceCount: {} device(s)", count));
}

}  // namespace cuconform::cases
