// SPDX-License-Identifier: Apache-2.0
/// \file Flattening a fingerprint into expectation facts.
#include "catalog/facts.h"

#include <fmt/format.h>

#include "catalog/functions.h"

namespace cuconform {
using expect::Value;
using nlohmann::json;

namespace {

Value version_or_null(const std::optional<std::string>& text) {
    if (!text) return Value();
    auto v = Version::parse(*text);
    return v ? Value(*v) : Value();
}

Value version_or_null(const std::string& text) { return version_or_null(std::optional<std::string>(text)); }

}  // namespace

std::unique_ptr<expect::MapFacts> facts_from_fingerprint(const results::Fingerprint& fp, const Variant& variant) {
    auto facts = std::make_unique<expect::MapFacts>();
    auto& f = *facts;
    f.set("driver", fp.driver.present);
    f.set("driver.version", version_or_null(fp.driver.version));
    f.set("driver.cuda", version_or_null(fp.driver.cuda));

    f.set("runtime", fp.runtime.present);
    f.set("runtime.version", version_or_null(fp.runtime.version));

    f.set("toolkit", version_or_null(fp.toolkit.cuda));
    f.set("toolkit.cuda", version_or_null(fp.toolkit.cuda));
    f.set("toolkit.cudnn", version_or_null(fp.toolkit.cudnn));
    f.set("toolkit.nvcc", version_or_null(fp.toolkit.nvcc));  // the nvcc that compiles kernels (may not be toolkit's)

    const auto& cudnn = fp.cudnn;
    f.set("cudnn", cudnn.present);
    f.set("cudnn.loaded", version_or_null(cudnn.loaded));
    f.set("cudnn.built", version_or_null(cudnn.built));
    f.set("cudnn.cudart", version_or_null(cudnn.cudart));
    f.set("cudnn.max_device_cc", version_or_null(cudnn.max_device_cc));
    for (const auto& sub : cudnn.sublibraries) {
        const std::string& soname = sub.soname;
        const auto begin = std::string("libcudnn_").size();
        const auto end = soname.find(".so");
        if (soname.rfind("libcudnn_", 0) != 0 || end == std::string::npos) continue;
        f.set("cudnn.sublib." + soname.substr(begin, end - begin), sub.found);
    }

    f.set("cublas", fp.cublas.present);
    f.set("cublas.version", version_or_null(fp.cublas.version));

    const bool any = fp.has_gpu();
    f.set("gpu", any);
    f.set("gpu.count", static_cast<double>(fp.gpus.size()));
    f.set("gpu.cc", any ? version_or_null(fp.gpus[0].cc) : Value());
    f.set("gpu.name", any ? Value(fp.gpus[0].name) : Value());
    f.set("gpu.memory_mib", any ? Value(static_cast<double>(fp.gpus[0].memory_bytes.value_or(0) >> 20)) : Value());
    f.set("gpu.error", fp.gpu_error && !fp.gpu_error->name.empty() ? Value(fp.gpu_error->name) : Value());

    for (const auto& [name, value] : fp.env) f.set("env." + name, value ? Value(*value) : Value());
    // The variant's own variables are what the case process sees.
    for (const auto& [name, value] : variant.env) f.set("env." + name, value ? Value(*value) : Value());
    f.set("variant", variant.name);
    f.set("host.arch", Value(fp.host.arch));
    define_knowledge_functions(f);
    return facts;
}

const expect::Vocabulary& catalog_vocabulary() {
    static const expect::Vocabulary vocabulary = [] {
        std::map<std::string, int, std::less<>> functions;
        for (const auto& [name, arity] : knowledge_function_arities()) functions[name] = arity;
        return expect::Vocabulary::from_patterns(
            {"driver", "driver.version", "driver.cuda", "runtime", "runtime.version", "toolkit", "toolkit.cuda",
             "toolkit.cudnn", "toolkit.nvcc", "cudnn", "cudnn.loaded", "cudnn.built", "cudnn.cudart", "cudnn.max_device_cc",
             "cudnn.sublib.*", "cublas", "cublas.version", "gpu", "gpu.count", "gpu.cc", "gpu.name", "gpu.memory_mib",
             "gpu.error", "env.*", "variant", "host.arch"},
            functions);
    }();
    return vocabulary;
}

}  // namespace cuconform
