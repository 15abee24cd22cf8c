// SPDX-License-Identifier: Apache-2.0
/// \file Knowledge-base functions for expectations. Each answers true/false, or null when the knowledge
/// base does not know (a rule comparing null is false, so unknown never decides silently for `yes`).
#include "catalog/functions.h"

#include "binary/fatbin.h"
#include "binary/rules.h"
#include "kernels/reference.h"
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

/// Whether the suite's own fat binary (kernels/, as built) carries SASS or PTX the driver can run on `cc`: read from
/// the image itself, so that the rules never copy the build's architecture list.
Value suite_has_kernel(const Version& cc) {
    static const binary::FatBinary suite = binary::parse_fatbin(cuconform_fatbin_suite, cuconform_fatbin_suite_size);
    const auto arch = binary::Arch::parse(cc.str());
    if (!arch) return Value();
    return Value(binary::can_run(binary::judge(suite, *arch, std::nullopt).decision));
}

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
    facts.define("suite_has_kernel", [](const std::vector<Value>& a) -> Value {
        auto cc = as_version(a[0]);
        return cc ? suite_has_kernel(*cc) : Value();
    });
    facts.define("feature_min_cc", [](const std::vector<Value>& a) -> Value {
        if (!a[0].is_string()) return Value();
        auto fact = kb().feature_min_cc(a[0].as_string());
        return fact ? Value(fact->value) : Value();
    });
}

}  // namespace cuconform
