// SPDX-License-Identifier: Apache-2.0
/// \file Flattening a fingerprint into expectation facts.
#include "catalog/facts.h"

#include <fmt/format.h>

#include "catalog/functions.h"

namespace cuconform {
using expect::Value;
using nlohmann::json;

namespace {

Value version_or_null(const json& part, const char* key) {
    if (!part.is_object() || !part.contains(key) || !part[key].is_string()) return Value();
    auto v = Version::parse(part[key].get<std::string>());
    return v ? Value(*v) : Value();
}

const json& member(const json& j, const char* key) {
    static const json empty = json::object();
    return j.is_object() && j.contains(key) ? j[key] : empty;
}

}  // namespace

std::unique_ptr<expect::MapFacts> facts_from_fingerprint(const json& fp, const Variant& variant) {
    auto facts = std::make_unique<expect::MapFacts>();
    auto& f = *facts;
    const json& driver = member(fp, "driver");
    f.set("driver", driver.value("present", false));
    f.set("driver.version", version_or_null(driver, "version"));
    f.set("driver.cuda", version_or_null(driver, "cuda"));

    const json& runtime = member(fp, "runtime");
    f.set("runtime", runtime.value("present", false));
    f.set("runtime.version", version_or_null(runtime, "version"));

    const json& toolkit = member(fp, "toolkit");
    f.set("toolkit", version_or_null(toolkit, "cuda"));
    f.set("toolkit.cuda", version_or_null(toolkit, "cuda"));
    f.set("toolkit.cudnn", version_or_null(toolkit, "cudnn"));
    f.set("toolkit.nvcc", version_or_null(toolkit, "nvcc"));  // the nvcc that compiles kernels (may not be toolkit's)

    const json& cudnn = member(fp, "cudnn");
    f.set("cudnn", cudnn.value("present", false));
    f.set("cudnn.loaded", version_or_null(cudnn, "loaded"));
    f.set("cudnn.built", version_or_null(cudnn, "built"));
    f.set("cudnn.cudart", version_or_null(cudnn, "cudart"));
    f.set("cudnn.max_device_cc", version_or_null(cudnn, "max_device_cc"));
    for (const auto& sub : member(cudnn, "sublibraries")) {
        std::string soname = sub.value("soname", "");
        const auto begin = std::string("libcudnn_").size();
        const auto end = soname.find(".so");
        if (soname.rfind("libcudnn_", 0) != 0 || end == std::string::npos) continue;
        f.set("cudnn.sublib." + soname.substr(begin, end - begin), sub.value("found", false));
    }

    const json& cublas = member(fp, "cublas");
    f.set("cublas", cublas.value("present", false));
    f.set("cublas.version", version_or_null(cublas, "version"));

    const json& gpus = member(fp, "gpus");
    const bool any = gpus.is_array() && !gpus.empty();
    f.set("gpu", any);
    f.set("gpu.count", any ? static_cast<double>(gpus.size()) : 0.0);
    f.set("gpu.cc", any ? version_or_null(gpus[0], "cc") : Value());
    f.set("gpu.name", any ? Value(gpus[0].value("name", "")) : Value());
    f.set("gpu.memory_mib", any ? Value(static_cast<double>(gpus[0].value("memory_bytes", 0ull) >> 20)) : Value());
    const json& gpu_error = member(fp, "gpu_error");
    f.set("gpu.error", gpu_error.contains("name") ? Value(gpu_error["name"].get<std::string>()) : Value());

    for (const auto& [name, value] : member(fp, "env").items()) {
        f.set("env." + name, value.is_string() ? Value(value.get<std::string>()) : Value());
    }
    // The variant's own variables are what the case process sees.
    for (const auto& [name, value] : variant.env) f.set("env." + name, value ? Value(*value) : Value());
    f.set("variant", variant.name);
    f.set("host.arch", Value(member(fp, "host").value("arch", "")));
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
