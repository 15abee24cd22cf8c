// SPDX-License-Identifier: Apache-2.0
/// \file Fuzz target: expectation rules (`when <predicate> -> <outcome>` ... `otherwise -> <outcome>`) through
/// Expectation::parse, then decided on the facts of a stack; and the same text as one outcome (parse_outcome).
/// Seeds: the catalogue's expectations (tests/fuzz/corpus/expect/).
#include "expect_vocabulary.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cuconform;
    static const expect::Vocabulary vocabulary = fuzz::vocabulary();
    static const expect::MapFacts facts = fuzz::facts();
    const std::string_view text = fuzz::text(data, size);
    try {
        const auto expectation = expect::Expectation::parse(fuzz::kInputName, text, vocabulary);
        const auto decision = expectation.decide(facts);
        (void)decision.outcome.str();
        for (const auto& rule : expectation.rules()) {
            if (rule.predicate) (void)rule.predicate->fact_paths();
        }
    } catch (const expect::ExpectError& e) {
        fuzz::expect_named(e);
    } catch (const std::exception& e) {
        fuzz::finding("Expectation::parse", std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
    try {
        (void)expect::parse_outcome(text).str();
    } catch (const expect::ExpectError&) {
    } catch (const std::exception& e) {
        fuzz::finding("parse_outcome", std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
    return 0;
}
