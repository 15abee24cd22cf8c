// SPDX-License-Identifier: Apache-2.0
/// \file Knowledge-base functions for expectations. Each answers true/false, or null when the knowledge
/// base does not know (a rule comparing null is false, so unknown never decides silently for `yes`).
#include "catalog/functions.h"

#include "knowledge/knowledge.h"

namespace cuconform {
namespace {
using expect::Value;

std::optional<Version> as_version(const Value& v) {
    if (v.is_version()) return v.as_version();
    if (v.is_number()) return expect::number_as_version(v.as_number());
    if (v.is_string()) return Version::parse(v.as_string());
    return std::nullopt;
}

Value answer(const knowledge::Answer& a) {
    if (a.unknown()) return Value();
    return Value(a.yes());
}

const knowledge::KnowledgeBase& kb() { return knowledge::KnowledgeBase::builtin(); }

}  // namespace

void define_knowledge_functions(expect::MapFacts& facts) {
    facts.define("nvcc_supports", [](const std::vector<Value>& a) -> Value {
        auto toolkit = as_version(a[0]);
        if (!toolkit || !a[1].is_string()) return Value();
        return answer(kb().nvcc_supports(*toolkit, a[1].as_string()));
    });
    facts.define("min_driver", [](const std::vector<Value>& a) -> Value {
        auto v = as_version(a[0]);
        if (!v) return Value();
        auto fact = kb().min_driver(v->truncated(2));
        return fact ? Value(fact->value) : Value();
    });
    facts.define("runtime_runs_on_driver", [](const std::vector<Value>& a) -> Value {
        auto runtime = as_version(a[0]);
        auto driver = as_version(a[1]);
        if (!runtime || !driver) return Value();
        return answer(kb().runtime_runs_on_driver(*runtime, *driver));
    });
    facts.define("cudnn_supports_cc", [](const std::vector<Value>& a) -> Value {
        auto cudnn = as_version(a[0]);
        auto cc = as_version(a[1]);
        if (!cudnn || !cc) return Value();
        return answer(kb().cudnn_supports_cc(*cudnn, *cc));
    });
    facts.define("cudnn_compatible", [](const std::vector<Value>& a) -> Value {
        auto built = as_version(a[0]);
        auto loaded = as_version(a[1]);
        if (!built || !loaded) return Value();
        return answer(kb().cudnn_compatible(*built, *loaded));
    });
    facts.define("feature_min_cc", [](const std::vector<Value>& a) -> Value {
        if (!a[0].is_string()) return Value();
        auto fact = kb().feature_min_cc(a[0].as_string());
        return fact ? Value(fact->value) : Value();
    });
}

const std::map<std::string, int>& knowledge_function_arities() {
    static const std::map<std::string, int> arities = {
        {"nvcc_supports", 2},     {"min_driver", 1},       {"runtime_runs_on_driver", 2},
        {"cudnn_supports_cc", 2}, {"cudnn_compatible", 2}, {"feature_min_cc", 1},
    };
    return arities;
}

}  // namespace cuconform
