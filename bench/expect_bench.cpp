// SPDX-License-Identifier: Apache-2.0
/// \file Cost of parsing and deciding a 6-rule expectation (the catalogue parses one per case, decides one per run).
#include <benchmark/benchmark.h>

#include "expect/expectation.h"

namespace {

using cuconform::expect::Expectation;
using cuconform::expect::MapFacts;
using cuconform::expect::Value;
using cuconform::expect::Vocabulary;

constexpr const char* kRules = R"(
    # float16 on old GPUs (facts/cuda.md: fp16 arithmetic from cc 5.3)
    when !gpu -> unsupported("needs a GPU")
    when env.CUDA_VISIBLE_DEVICES == "" -> error(cuda, cudaErrorNoDevice)
    when !nvcc_supports(toolkit, "sm_61") && gpu.cc < 7.5
        -> error(cuda, cudaErrorNoKernelImageForDevice)
    when gpu.cc < 5.3 -> error(cudnn, CUDNN_STATUS_ARCH_MISMATCH)
    when cudnn.loaded.major != cudnn.built.major || driver.version < min_driver(runtime.version)
        -> error(cudnn, CUDNN_STATUS_VERSION_MISMATCH)
    otherwise -> ok
)";

Vocabulary vocabulary() {
    return Vocabulary::from_patterns({"gpu", "gpu.cc", "toolkit", "runtime.version", "driver.version", "cudnn.loaded",
                                      "cudnn.built", "env.*"},
                                     {{"nvcc_supports", 2}, {"min_driver", 1}});
}

MapFacts facts() {
    auto v = [](const char* s) { return Value(*cuconform::Version::parse(s)); };
    MapFacts f;
    f.set("gpu", true)
        .set("gpu.cc", v("8.6"))
        .set("toolkit", v("13.0"))
        .set("runtime.version", v("13.0"))
        .set("driver.version", v("580.65.06"))
        .set("cudnn.loaded", v("9.19.0"))
        .set("cudnn.built", v("9.19.0"))
        .set("env.CUDA_VISIBLE_DEVICES", Value());
    f.define("nvcc_supports", [](const std::vector<Value>&) { return Value(false); });
    f.define("min_driver", [v](const std::vector<Value>&) { return v("580"); });
    return f;
}

void BM_Parse(benchmark::State& state) {
    const Vocabulary vocab = vocabulary();
    for (auto _ : state) benchmark::DoNotOptimize(Expectation::parse("dtype.half.old_gpu", kRules, vocab));
}
BENCHMARK(BM_Parse);

// Every predicate is evaluated (the otherwise rule decides), with `why` built: the worst case per run.
void BM_Decide(benchmark::State& state) {
    const Expectation e = Expectation::parse("dtype.half.old_gpu", kRules, vocabulary());
    const MapFacts f = facts();
    if (e.decide(f).rule_index != 5) state.SkipWithError("the otherwise rule should decide; the bench measures less");
    for (auto _ : state) benchmark::DoNotOptimize(e.decide(f));
}
BENCHMARK(BM_Decide);

void BM_ParseAndDecide(benchmark::State& state) {
    const Vocabulary vocab = vocabulary();
    const MapFacts f = facts();
    for (auto _ : state) benchmark::DoNotOptimize(Expectation::parse("dtype.half.old_gpu", kRules, vocab).decide(f));
}
BENCHMARK(BM_ParseAndDecide);

}  // namespace

BENCHMARK_MAIN();
