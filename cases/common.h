// SPDX-License-Identifier: Apache-2.0
/// \file Helpers the reproducers of several families share: library outcomes, status mapping.
#pragma once

#include <fmt/format.h>

#include <string>

#include "catalog/case.h"
#include "loader/apis.h"

namespace cuconform::cases {

/// `error(loader, LIBRARY_NOT_FOUND)` with the loader's own message, or nullopt when loaded.
inline std::optional<Outcome> library_failure(const loader::Library& lib) {
    if (lib.loaded()) return std::nullopt;
    return Outcome::error(Domain::Loader, "LIBRARY_NOT_FOUND", {}, lib.record().error);
}

/// `error(loader, SYMBOL_NOT_FOUND)` naming the symbol and the file it is missing from.
inline Outcome missing_symbol(const loader::Library& lib, const char* symbol) {
    return Outcome::error(Domain::Loader, "SYMBOL_NOT_FOUND", {},
                          fmt::format("{} is not exported by {}", symbol, lib.record().path));
}

/// A cuDNN status as an outcome: ok for SUCCESS, else `error(cudnn, <name>)` with cuDNN's last error text.
inline Outcome cudnn_outcome(cudnnStatus_t status, const std::string& what) {
    const auto& api = loader::cudnn();
    if (status == CUDNN_STATUS_SUCCESS) return Outcome::ok(what + ": CUDNN_STATUS_SUCCESS");
    std::string detail;
#if CUDNN_MAJOR >= 9
    if (api.cudnnGetLastErrorString) {
        char buffer[1024] = {};
        api.cudnnGetLastErrorString(buffer, sizeof buffer);
        detail = buffer;
    }
#endif
    return Outcome::error(Domain::Cudnn, loader::cudnn_status_name(status), static_cast<long>(status),
                          detail.empty() ? what : what + ": " + detail);
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

}  // namespace cuconform::cases
