// SPDX-License-Identifier: Apache-2.0
/// \file Probe time without a GPU (target <= 100 ms): the whole `cuconform probe` process, and the in-process
/// part after the libraries are loaded.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "probe/fingerprint.h"

namespace {

std::string cli() {
    const char* bin = std::getenv("CUCONFORM_BIN");
    return bin ? bin : CUCONFORM_SOURCE_DIR "/build/bin/cuconform";
}

void BM_ProbeProcess(benchmark::State& state) {
    const std::string cmd = cli() + " probe > /dev/null";
    for (auto _ : state) {
        if (std::system(cmd.c_str()) != 0) state.SkipWithError(("failed: " + cmd).c_str());
    }
}
BENCHMARK(BM_ProbeProcess)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

void BM_ProbeInProcess(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(cuconform::probe::probe_fingerprint());
}
BENCHMARK(BM_ProbeInProcess)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
