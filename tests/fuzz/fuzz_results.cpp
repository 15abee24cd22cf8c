// SPDX-License-Identifier: Apache-2.0
/// \file Fuzz target: a results.jsonl through the store's reader (parse_results, both ways of treating a torn last
/// line), de-duplicated as report and merge do, each record written as the runner writes it and read back.
/// Seeds: tests/data/**/results.jsonl and a real run's (tests/fuzz/corpus/results/).
#include "fuzz.h"
#include "results/record_io.h"
#include "results/store.h"

namespace {

using namespace cuconform;

/// Reads `text` as `torn` says; false when the reader refused it (with its own error, naming the input).
bool read_and_write_back(std::string_view text, results::TornLine torn) {
    std::vector<results::StoredResult> read;
    try {
        std::optional<std::size_t> dropped;
        read = results::parse_results(text, fuzz::kInputName, torn, &dropped);
    } catch (const results::RecordError& e) {
        fuzz::expect_named(e);
        return false;
    } catch (const std::exception& e) {
        fuzz::finding("parse_results", std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
    for (const auto& stored : results::deduplicate(read)) {
        const std::string line = results::to_line(stored.result, stored.cell);
        try {
            const auto again = results::parse_results(line + "\n", "the record as written");
            if (again.size() != 1 || results::to_line(again[0].result, again[0].cell) != line) {
                fuzz::finding("parse_results", "written, read and written again it differs:\n" + line);
            }
        } catch (const std::exception& e) {
            fuzz::finding("parse_results",
                          std::string("the record as written does not read back (") + e.what() + "):\n" + line);
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::text(data, size);
    // TornLine::Drop reads differently only where TornLine::Fail refuses a last line without a newline: it leaves
    // that line out. Read a second time only then (each read of a cell's worth of records costs milliseconds here).
    if (!read_and_write_back(text, results::TornLine::Fail) && !text.empty() && text.back() != '\n') {
        (void)read_and_write_back(text, results::TornLine::Drop);
    }
    return 0;
}
