// SPDX-License-Identifier: Apache-2.0
/// \file Fuzz target: a cell.json through parse_cell, written and read again, and its id checked as merge checks it.
/// Seeds: tests/data/**/cell.json and a real run's (tests/fuzz/corpus/cell/).
#include "json_records.h"
#include "results/cell.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cuconform;
    fuzz::read_write_read(
        "parse_cell", fuzz::text(data, size),
        [](const nlohmann::json& j) {
            auto cell = results::parse_cell(j);
            (void)results::cell_id_problem(cell.id);
            (void)cell.compute_capability();
            return cell;
        },
        [](const results::CellRecord& c) { return results::to_json(c); });
    return 0;
}
