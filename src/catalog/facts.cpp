// SPDX-License-Identifier: Apache-2.0
/// \file Flattening a fingerprint into expectation facts.
#include "catalog/facts.h"

#include <fmt/format.h>

#include <algorithm>

#include "catalog/functions.h"
#include "catalog/vocabulary.h"
#include "knowledge/frameworks.h"

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

/// The consumer's framework, as facts: what it is built against, what it loads, and what its own rules say of that
/// (matrix/knowledge/frameworks.yaml). Without a consumer, or a consumer without a framework, `framework` is false and
/// the rest null.
void framework_facts(expect::MapFacts& f, const results::Fingerprint& fp, const Variant& variant) {
    const auto& c = fp.consumer;
    f.set("consumer", c.has_value());
    f.set("consumer.kind", c ? Value(c->kind) : Value());
    const results::Framework* fw = c && !c->frameworks.empty() ? &c->frameworks.front() : nullptr;
    f.set("framework", fw != nullptr);
    for (const char* key :
         {"framework.name", "framework.version", "framework.built.cuda", "framework.built.cudnn",
          "framework.built.cublas", "framework.runtime", "framework.cudnn", "framework.cublas", "framework.imports",
          "framework.accepts", "framework.accepts.cudnn", "framework.accepts.cuda", "framework.accepts.cublas",
          "framework.cudnn_aborts", "framework.visible_devices", "framework.check"}) {
        f.set(key, Value());
    }
    if (fw == nullptr) return;
    f.set("framework.name", fw->name);
    f.set("framework.version", version_or_null(fw->version.substr(0, fw->version.find('+'))));
    for (const char* part : {"cuda", "cudnn", "cublas"}) {
        const auto it = fw->built.find(part);
        f.set(std::string("framework.built.") + part, it == fw->built.end() ? Value() : version_or_null(it->second));
    }
    f.set("framework.runtime", version_or_null(c->runtime.version));
    f.set("framework.cudnn", version_or_null(c->cudnn.loaded));
    f.set("framework.cublas", version_or_null(c->cublas.version));
    const bool imports = std::none_of(c->problems.begin(), c->problems.end(), [&](const std::string& p) {
        return p.rfind("import " + fw->name + ":", 0) == 0;
    });
    f.set("framework.imports", imports);
    // cuDNN that kills the process on its first calls (a graph library that cannot load): the check aborts.
    bool aborts = c->cudnn.query_error.has_value();
    for (const auto& [name, check] : c->cudnn.version_checks) aborts = aborts || check.name == "CRASH";
    f.set("framework.cudnn_aborts", c->cudnn.present && aborts);
    // Each rule that applies without a GPU, asked of what the consumer loads; the variant's variables are the
    // process's.
    auto env = fp.env;
    for (const auto& [name, value] : variant.env) env[name] = value;
    const auto& kb = knowledge::Frameworks::builtin();
    bool accepts = imports;
    const std::pair<const char*, std::optional<std::string>> loaded[] = {
        {"cudnn", c->cudnn.loaded}, {"cuda", c->runtime.version}, {"cublas", c->cublas.version}};
    for (const auto& [part, version] : loaded) {
        const auto built = fw->built.find(part);
        const auto l = version ? Version::parse(*version) : std::nullopt;
        const auto b = built == fw->built.end() ? std::nullopt : Version::parse(built->second);
        if (!l || !b) continue;
        const auto verdict = kb.accepts(fw->name, part, *b, *l, fp.has_gpu(), env);
        if (verdict.answer.unknown()) continue;
        f.set(std::string("framework.accepts.") + part, verdict.answer.yes());
        accepts = accepts && verdict.answer.yes();
    }
    f.set("framework.accepts", accepts);
    if (const auto it = env.find("CUDA_VISIBLE_DEVICES"); it != env.end() && it->second) {
        if (const auto devices = kb.visible_devices(fw->name, *it->second))
            f.set("framework.visible_devices", static_cast<double>(devices->size()));
    }
    if (fw->check) f.set("framework.check", fw->check->status);
}

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
    framework_facts(f, fp, variant);
    define_knowledge_functions(f);
    return facts;
}

const expect::Vocabulary& catalog_vocabulary() {
    static const expect::Vocabulary vocabulary = vocabulary::make();
    return vocabulary;
}

}  // namespace cuconform
