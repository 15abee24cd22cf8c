// SPDX-License-Identifier: Apache-2.0
/// \file The JSON record targets (fingerprint.json, cell.json, matrix.json): read the input as the store reads the
/// file, then write what was read and read it again. A record the harness wrote must read back as the same record:
/// merge copies cell.json and fingerprint.json and rewrites matrix.json this way.
#pragma once

#include <nlohmann/json.hpp>

#include "fuzz.h"
#include "results/record_io.h"

namespace cuconform::fuzz {

/// `parse` reads a JSON value into a record, `write` gives its JSON. Refusals are RecordError only; parse_json's
/// names the input.
template <typename Parse, typename Write>
void read_write_read(const char* what, std::string_view input, Parse parse, Write write) {
    using nlohmann::json;
    std::string first;
    try {
        const json j = results::parse_json(input, kInputName);
        first = write(parse(j)).dump(-1, ' ', false, json::error_handler_t::replace);
    } catch (const results::RecordError&) {
        return;
    } catch (const std::exception& e) {
        finding(what, std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
    try {
        const std::string second = write(parse(results::parse_json(first, "the record as written")))
                                       .dump(-1, ' ', false, json::error_handler_t::replace);
        if (second != first) finding(what, "written, read and written again it differs:\n" + first + "\n" + second);
    } catch (const std::exception& e) {
        finding(what, std::string("the record as written does not read back (") + e.what() + "):\n" + first);
    }
}

}  // namespace cuconform::fuzz
