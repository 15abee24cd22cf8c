// SPDX-License-Identifier: Apache-2.0
/// \file Fuzz target: a fingerprint.json (what `probe` writes) through parse_fingerprint, written and read again.
/// Seeds: tests/data/**/fingerprint.json and a real run's (tests/fuzz/corpus/fingerprint/).
#include "json_records.h"
#include "results/fingerprint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cuconform;
    fuzz::read_write_read(
        "parse_fingerprint", fuzz::text(data, size),
        [](const nlohmann::json& j) { return results::parse_fingerprint(j); },
        [](const results::Fingerprint& f) { return results::to_json(f); });
    return 0;
}
