// SPDX-License-Identifier: Apache-2.0
/// \file A framework's release and rules applied to a hypothetical stack.
#include "predict/framework.h"

#include <fmt/format.h>

#include <algorithm>

namespace cuconform::predict {

namespace {

std::string opt_text(const std::optional<Version>& v) { return v ? v->str() : std::string("(not given)"); }

knowledge::Answer unknown(std::string reason) {
    knowledge::Answer a;
    a.value = knowledge::Answer::Value::Unknown;
    a.reason = std::move(reason);
    return a;
}

bool has_rule(const knowledge::FrameworkFacts& facts, const std::string& component, bool gpu_only) {
    return std::any_of(facts.rules.begin(), facts.rules.end(), [&](const knowledge::FrameworkRule& r) {
        return r.component == component && r.needs_gpu == gpu_only;
    });
}

}  // namespace

FrameworkRequest parse_framework(const std::string& text, const knowledge::Frameworks& frameworks) {
    const auto eq = text.find("==");
    FrameworkRequest r;
    r.name = text.substr(0, eq);
    r.version = eq == std::string::npos ? std::string() : text.substr(eq + 2);
    r.facts = frameworks.find(r.name);
    if (r.facts == nullptr) {
        std::vector<std::string> names;
        for (const auto& f : frameworks.all()) names.push_back(f.name);
        throw InputError(fmt::format("--framework {}: the knowledge base knows no framework '{}'; known: {}", text,
                                     r.name, fmt::join(names, ", ")));
    }
    std::vector<std::string> releases;
    for (const auto& rel : r.facts->releases) releases.push_back(rel.version);
    if (r.version.empty()) {
        throw InputError(
            fmt::format("--framework {}: give a release as NAME==VERSION; the knowledge base has {}", text,
                        releases.empty() ? std::string("none of it") : fmt::format("{}", fmt::join(releases, ", "))));
    }
    r.release = frameworks.release(r.name, r.version);
    if (r.release == nullptr) {
        throw InputError(
            fmt::format("--framework {}: {} {} is not in matrix/knowledge/frameworks.yaml (known releases: "
                        "{}); add it with its source, or give --toolkit and --built-cudnn yourself",
                        text, r.name, r.version,
                        releases.empty() ? std::string("none") : fmt::format("{}", fmt::join(releases, ", "))));
    }
    return r;
}

void apply_framework(Stack& stack, const FrameworkRequest& request) {
    const auto& rel = *request.release;
    auto version_of = [](const std::map<std::string, std::string>& m, const char* key) -> std::optional<Version> {
        const auto it = m.find(key);
        return it == m.end() ? std::nullopt : Version::parse(it->second);
    };
    if (const auto cuda = version_of(rel.built, "cuda")) stack.toolkit = *cuda;
    if (const auto cudnn = version_of(rel.built, "cudnn")) stack.built_cudnn = *cudnn;
    if (!stack.cudnn) stack.cudnn = version_of(rel.resolved, "cudnn");
    if (!stack.runtime) stack.runtime = version_of(rel.resolved, "cuda");
    // NVIDIA's cuDNN wheels are built per CUDA major (nvidia-cudnn-cu13): the one pip installs is the framework's.
    if (!stack.cudnn_cuda && stack.toolkit) stack.cudnn_cuda = Version({stack.toolkit->major()});
}

std::vector<Question> framework_questions(const Stack& s, const FrameworkRequest& request,
                                          const knowledge::Frameworks& frameworks) {
    std::vector<Question> out;
    const auto& facts = *request.facts;
    const std::string who = fmt::format("{} {}", facts.display, request.version);
    const bool on_gpu = s.cc.has_value();
    auto ask = [&](const std::string& component, const std::optional<Version>& built,
                   const std::optional<Version>& loaded, bool gpu) {
        if (!built || !loaded)
            return unknown(
                fmt::format("give --{} (what is loaded) to ask", component == "cuda" ? "runtime" : component));
        auto verdict = frameworks.accepts(request.name, component, *built, *loaded, gpu, s.env);
        return verdict.answer;
    };
    const auto built_cublas =
        request.release->built.contains("cublas") ? Version::parse(request.release->built.at("cublas")) : std::nullopt;
    std::optional<Version> cublas;
    if (request.release->resolved.contains("cublas")) cublas = Version::parse(request.release->resolved.at("cublas"));
    out.push_back({"framework-cudnn",
                   fmt::format("Does {} (built against cuDNN {}) accept cuDNN {}?", who, opt_text(s.built_cudnn),
                               opt_text(s.cudnn)),
                   ask("cudnn", s.built_cudnn, s.cudnn, on_gpu)});
    if (has_rule(facts, "cuda", false)) {
        out.push_back({"framework-cuda",
                       fmt::format("Does {} (built with CUDA {}) accept CUDA runtime {}?", who, opt_text(s.toolkit),
                                   opt_text(s.runtime)),
                       ask("cuda", s.toolkit, s.runtime, on_gpu)});
    }
    if (has_rule(facts, "cublas", false)) {
        out.push_back({"framework-cublas",
                       fmt::format("Does {} (built against cuBLAS {}) accept cuBLAS {}?", who, opt_text(built_cublas),
                                   opt_text(cublas)),
                       ask("cublas", built_cublas, cublas, on_gpu)});
    }
    if (has_rule(facts, "cudnn", true) && !on_gpu) {
        out.push_back({"framework-cudnn-gpu",
                       fmt::format("On a GPU, does {} accept cuDNN {} (built against {})?", who, opt_text(s.cudnn),
                                   opt_text(s.built_cudnn)),
                       ask("cudnn", s.built_cudnn, s.cudnn, true)});
    }
    if (const auto it = s.env.find("CUDA_VISIBLE_DEVICES"); it != s.env.end() && it->second) {
        if (const auto devices = frameworks.visible_devices(request.name, *it->second)) {
            knowledge::Answer a;
            a.value = devices->empty() ? knowledge::Answer::Value::No : knowledge::Answer::Value::Yes;
            a.reason = fmt::format("{} parses CUDA_VISIBLE_DEVICES=\"{}\" as [{}]", facts.display, *it->second,
                                   fmt::join(*devices, ", "));
            for (const auto& rule : facts.rules) {
                if (rule.component == "visible_devices") a.evidence.push_back(rule.citation);
            }
            out.push_back({"framework-visible-devices",
                           fmt::format("Does {} see a device with CUDA_VISIBLE_DEVICES=\"{}\"?", who, *it->second), a});
        }
    }
    return out;
}

results::Consumer synthetic_consumer(const Stack& s, const FrameworkRequest& request) {
    results::Consumer c;
    c.kind = "python";
    c.given_by = "--framework";
    c.path = fmt::format("{}=={}", request.name, request.version);
    results::Framework fw;
    fw.name = request.name;
    fw.version = request.version;
    fw.built = request.release->built;
    fw.built_source = "matrix/knowledge/frameworks.yaml";
    for (const auto& [component, requirement] : request.release->wheels) {
        const auto op = requirement.find_first_of("=<>~!");
        fw.pins.push_back(
            {requirement.substr(0, op), op == std::string::npos ? "" : requirement.substr(op), "", std::nullopt});
    }
    c.frameworks.push_back(fw);
    c.runtime.present = s.runtime.has_value();
    if (s.runtime) c.runtime.version = s.runtime->str();
    c.cudnn.present = s.cudnn.has_value();
    if (s.cudnn) c.cudnn.loaded = s.cudnn->str();
    if (s.built_cudnn) c.cudnn.built = s.built_cudnn->str();
    if (s.cudnn_cuda) c.cudnn.cudart = s.cudnn_cuda->str();
    c.cublas.present = s.runtime.has_value();
    if (request.release->resolved.contains("cublas")) c.cublas.version = request.release->resolved.at("cublas");
    return c;
}

void add_framework(Prediction& prediction, const Stack& stack, const FrameworkRequest& request,
                   const knowledge::Frameworks& frameworks) {
    for (auto& q : framework_questions(stack, request, frameworks)) prediction.questions.push_back(std::move(q));
    prediction.fingerprint.consumer = synthetic_consumer(stack, request);
    prediction.cases = predict_cases(prediction.fingerprint);
}

}  // namespace cuconform::predict
