// SPDX-License-Identifier: Apache-2.0
/// \file The guards a case's needs derive: the libraries, asked of the loader.
#include "catalog/needs.h"

#include "loader/apis.h"

namespace cuconform {
namespace {

std::optional<Outcome> not_loaded(const loader::Library& library) {
    if (library.loaded()) return std::nullopt;
    return Outcome::error(Domain::Loader, "LIBRARY_NOT_FOUND", {}, library.record().error);
}

}  // namespace

std::optional<Outcome> unmet_need(Need need) {
    switch (need) {
        case Need::Runtime:
            return not_loaded(loader::cuda_runtime().library);
        case Need::Cudnn:
            return not_loaded(loader::cudnn().library);
        case Need::Driver:
            return not_loaded(loader::cuda_driver().library);
        case Need::Cublas: {
            const auto& blas = loader::cublas();
            if (auto failed = not_loaded(blas.library)) return failed;
            return not_loaded(blas.library_lt);
        }
        case Need::Gpu:
        case Need::WholeGpu:
            return std::nullopt;  // the runner settles a GPU case without a GPU before any process
    }
    return std::nullopt;
}

Outcome observe_case(const CaseSpec& spec, CaseContext& context) {
    try {
        for (const Need need : spec.needs) {
            if (auto failed = unmet_need(need)) return *failed;
        }
        return spec.reproduce(context);
    } catch (const std::exception& e) {
        return Outcome::error(Domain::Harness, "EXCEPTION", {}, e.what());
    }
}

}  // namespace cuconform
