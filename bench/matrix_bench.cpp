// SPDX-License-Identifier: Apache-2.0
/// \file How fast matrix::parse_matrix refuses hostile files (issue #13): each must be refused before the work it
/// describes is done. Targets: a 10^6-cell product (six axes of ten values, under 250 bytes) refused in under 1 ms
/// (measured 0.16 ms); a "billion laughs" of aliases standing for 10^9 values in under 1 s (128 ms: the first 10^6
/// values are counted); yaml-cpp's endless empty documents ("  - a\n , b") in under 1 ms (19 us). The unit tests
/// (tests/unit/matrix_test.cpp, MatrixHostile) check the refusals themselves.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>

#include "matrix/matrix.h"

namespace {

void refuse(benchmark::State& state, const std::string& text) {
    for (auto _ : state) {
        try {
            cuconform::matrix::parse_matrix(text, "hostile.yaml");
            state.SkipWithError("the hostile matrix was accepted");
            return;
        } catch (const cuconform::matrix::MatrixError& e) {
            benchmark::DoNotOptimize(e.what());
        }
    }
}

void BM_RefuseMillionCellProduct(benchmark::State& state) {
    std::string text = "matrix:\n";
    for (const char* axis : {"cuda", "cudnn", "toolkit", "toolkit_cudnn", "runner", "variants"})
        text += fmt::format("  {}: [0,1,2,3,4,5,6,7,8,9]\n", axis);
    refuse(state, text);
}
BENCHMARK(BM_RefuseMillionCellProduct)->Unit(benchmark::kMillisecond);

void BM_RefuseBillionLaughs(benchmark::State& state) {
    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i)
        text += fmt::format("a{1}: &a{1} [*a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}]\n",
                            i - 1, i);
    text += "matrix:\n  cuda: [\"13.0\"]\n";
    refuse(state, text);
}
BENCHMARK(BM_RefuseBillionLaughs)->Unit(benchmark::kMillisecond);

void BM_RefuseEndlessDocuments(benchmark::State& state) { refuse(state, "matrix:\n  cuda: [\"13.0\"]\n  - a\n , b\n"); }
BENCHMARK(BM_RefuseEndlessDocuments)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
