// SPDX-License-Identifier: Apache-2.0
/// \file The whole catalogue through the fork server (`cuconform run`) against process-per-case CTest with the
/// same isolation (`ctest -L conformance`: one `cuconform run --only ID` process per case). Target: >= 5x faster.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

namespace {

const std::string kBuild = CUCONFORM_SOURCE_DIR "/build";

void run_or_skip(benchmark::State& state, const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) state.SkipWithError(("failed: " + cmd).c_str());
}

void BM_CatalogueForkServer(benchmark::State& state) {
    const std::string cmd = kBuild + "/bin/cuconform run --quiet -j 1 --out /tmp/cuconform-bench-run > /dev/null";
    for (auto _ : state) run_or_skip(state, cmd);
}
BENCHMARK(BM_CatalogueForkServer)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_CatalogueProcessPerCaseCTest(benchmark::State& state) {
    const std::string cmd = "ctest --test-dir " + kBuild + " -L conformance -j 1 > /dev/null";
    for (auto _ : state) run_or_skip(state, cmd);
}
BENCHMARK(BM_CatalogueProcessPerCaseCTest)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
