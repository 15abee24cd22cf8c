// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform binary`'s reading of a library: binary::read_file (read the whole file, find its fat binaries, list
/// their images) on the host's cuDNN, whose libcudnn_engines_precompiled.so.9 is the biggest file the command meets
/// (target: bounded by the disk, about 1 GB/s warm). $CUCONFORM_BENCH_LIBRARY names another file.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "binary/fatbin.h"

namespace {
namespace fs = std::filesystem;

fs::path library() {
    if (const char* env = std::getenv("CUCONFORM_BENCH_LIBRARY"); env != nullptr && *env != '\0') return env;
    return "/usr/local/cuda-13.0/lib/libcudnn_engines_precompiled.so.9";
}

void BM_ReadLibrary(benchmark::State& state) {
    const fs::path file = library();
    if (!fs::exists(file)) {
        state.SkipWithError(("no " + file.string() + ": set CUCONFORM_BENCH_LIBRARY to a library").c_str());
        return;
    }
    std::size_t images = 0;
    for (auto _ : state) {
        const auto contents = cuconform::binary::read_file(file);
        for (const auto& fatbin : contents.fatbins) images += fatbin.images.size();
        benchmark::DoNotOptimize(images);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(fs::file_size(file)));
    state.counters["MiB"] = static_cast<double>(fs::file_size(file)) / (1 << 20);
}
BENCHMARK(BM_ReadLibrary)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
