// SPDX-License-Identifier: Apache-2.0
/// \file Cost of the cuDNN questions on the built-in knowledge base: whether a version is a release (asked first by
/// every cuDNN support, driver and GPU question), and one such question (what `predict` and `matrix` ask per stack).
#include <benchmark/benchmark.h>

#include "knowledge/knowledge.h"

namespace {

using cuconform::Version;
using cuconform::knowledge::KnowledgeBase;

Version v(const char* text) { return *Version::parse(text); }

// A release near the end of the list, and a version that is none (the whole list is looked at).
void BM_CudnnIsRelease(benchmark::State& state) {
    const KnowledgeBase& kb = KnowledgeBase::builtin();
    const Version asked = state.range(0) != 0 ? v("9.19.0") : v("9.99.0");
    if (kb.cudnn_is_release(asked) != (state.range(0) != 0)) state.SkipWithError("the knowledge base changed");
    for (auto _ : state) benchmark::DoNotOptimize(kb.cudnn_is_release(asked));
}
BENCHMARK(BM_CudnnIsRelease)->ArgName("release")->Arg(1)->Arg(0);

void BM_CudnnDriver(benchmark::State& state) {
    const KnowledgeBase& kb = KnowledgeBase::builtin();
    for (auto _ : state) benchmark::DoNotOptimize(kb.cudnn_driver(v("9.10.2"), v("12.8"), v("535.104.05"), v("9.0")));
}
BENCHMARK(BM_CudnnDriver);

}  // namespace

BENCHMARK_MAIN();
