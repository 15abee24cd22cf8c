// SPDX-License-Identifier: Apache-2.0
/// \file Fuzz target: a matrix file (matrix/*.yaml) through parse_matrix, then what `matrix` does with the cells
/// (GitHub's include list, shards). Seeds: matrix/*.yaml.
#include "fuzz.h"
#include "matrix/matrix.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cuconform;
    try {
        const matrix::Matrix m = matrix::parse_matrix(std::string(fuzz::text(data, size)), fuzz::kInputName);
        (void)matrix::github_matrix(m.cells).dump();
        (void)matrix::shard(m.cells, 1, 3);
        for (const auto& tag : {std::string(), std::string("nightly")}) (void)m.select(tag);
    } catch (const matrix::MatrixError& e) {
        fuzz::expect_named(e);
    } catch (const std::exception& e) {
        fuzz::finding("parse_matrix", std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
    return 0;
}
