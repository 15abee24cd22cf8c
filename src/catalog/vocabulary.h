// SPDX-License-Identifier: Apache-2.0
/// \file The words an expectation rule of the catalogue may use: the fact paths (facts.cpp flattens a fingerprint into
/// them) and the knowledge-base functions with their arities (functions.cpp defines them). Header-only and made of
/// the expectation language alone, so that a reader of rules that links no catalogue (the fuzz targets of
/// tests/fuzz) checks rules against the same words as `cuconform run`.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expect/expectation.h"

namespace cuconform::vocabulary {

inline constexpr std::array<std::string_view, 30> kFactPatterns = {"driver",          "driver.version",
                                                                   "driver.cuda",     "runtime",
                                                                   "runtime.version", "toolkit",
                                                                   "toolkit.cuda",    "toolkit.cudnn",
                                                                   "toolkit.nvcc",    "cudnn",
                                                                   "cudnn.loaded",    "cudnn.built",
                                                                   "cudnn.cudart",    "cudnn.max_device_cc",
                                                                   "cudnn.sublib.*",  "cublas",
                                                                   "cublas.version",  "gpu",
                                                                   "gpu.count",       "gpu.cc",
                                                                   "gpu.name",        "gpu.memory_mib",
                                                                   "gpu.error",       "env.*",
                                                                   "variant",         "host.arch",
                                                                   "consumer",        "consumer.kind",
                                                                   "framework",       "framework.*"};

inline constexpr std::array<std::pair<std::string_view, int>, 7> kFunctionArities = {{
    {"nvcc_supports", 2},
    {"min_driver", 1},
    {"runtime_runs_on_driver", 2},
    {"cudnn_supports_cc", 2},
    {"cudnn_compatible", 2},
    {"feature_min_cc", 1},
    {"suite_has_kernel", 1},
}};

/// The vocabulary made of both (catalog_vocabulary() keeps one for the process).
inline expect::Vocabulary make() {
    std::map<std::string, int, std::less<>> functions;
    for (const auto& [name, arity] : kFunctionArities) functions.emplace(name, arity);
    return expect::Vocabulary::from_patterns(std::vector<std::string>(kFactPatterns.begin(), kFactPatterns.end()),
                                             std::move(functions));
}

}  // namespace cuconform::vocabulary
