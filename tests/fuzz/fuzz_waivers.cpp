// SPDX-License-Identifier: Apache-2.0
/// \file Fuzz target: a waivers file (matrix/waivers.yaml) through parse_waivers, then each waiver's `when` decided
/// on the facts of a stack (what find_waiver does during a run). Seeds: matrix/waivers.yaml.
#include <stdexcept>

#include "expect_vocabulary.h"
#include "fuzz.h"
#include "run/waivers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cuconform;
    static const expect::Vocabulary vocabulary = fuzz::vocabulary();
    static const expect::MapFacts facts = fuzz::facts();
    try {
        for (const auto& waiver : run::parse_waivers(fuzz::text(data, size), fuzz::kInputName, vocabulary)) {
            if (waiver.when) (void)waiver.when->holds(facts);
        }
    } catch (const std::runtime_error& e) {
        // parse_waivers refuses with a std::runtime_error that names file:line (yaml-cpp's own exceptions are
        // runtime_errors too, but they name no file).
        fuzz::expect_named(e);
    } catch (const std::exception& e) {
        fuzz::finding("parse_waivers", std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
    return 0;
}
