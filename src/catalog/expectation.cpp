// SPDX-License-Identifier: Apache-2.0
/// \file Cases' expectations on a stack: the fingerprint flattened into facts, knowledge-base functions.
#include "catalog/expectation.h"

#include <fmt/format.h>
#include <map>
#include <mutex>

#include "catalog/facts.h"
#include "expect/expectation.h"

namespace cuconform {
namespace {

const expect::Expectation& parsed(const CaseSpec& spec) {
    static std::mutex mutex;
    static std::map<std::string, expect::Expectation, std::less<>> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(spec.id);
    if (it == cache.end()) {
        try {
            it = cache.emplace(spec.id, expect::Expectation::parse(spec.id, spec.rules(), catalog_vocabulary())).first;
        } catch (const expect::ExpectError& e) {
            // The rule text starts on the line after `.expect = R"(`.
            throw std::invalid_argument(fmt::format("{}:{}: {}", spec.file, spec.line, e.what()));
        }
    }
    return it->second;
}

}  // namespace

ExpectedDecision decide_expectation(const CaseSpec& spec, const Variant& variant,
                                    const results::Fingerprint& fingerprint) {
    const auto facts = facts_from_fingerprint(fingerprint, variant);
    const auto decision = parsed(spec).decide(*facts);
    return {decision.outcome, decision.rule_index, decision.rule_text, decision.why};
}

void validate_catalog() {
    for (const auto& spec : CaseRegistry::instance().all()) parsed(spec);
}

}  // namespace cuconform
