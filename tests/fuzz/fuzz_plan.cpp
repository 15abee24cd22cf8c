// SPDX-License-Identifier: Apache-2.0
/// \file Fuzz target: a matrix.json (the plan `matrix run` writes, and merge merges) through parse_plan, written and
/// read again. Seeds: real matrix runs' matrix.json (tests/fuzz/corpus/plan/).
#include "json_records.h"
#include "results/plan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cuconform;
    fuzz::read_write_read(
        "parse_plan", fuzz::text(data, size),
        [](const nlohmann::json& j) {
            auto plan = results::parse_plan(j, fuzz::kInputName);
            for (const auto& cell : plan.cells) (void)cell.axis("cuda");
            return plan;
        },
        [](const results::MatrixPlan& p) { return results::to_json(p); });
    return 0;
}
