// SPDX-License-Identifier: Apache-2.0
/// \file Cost of reading the harness's YAML files strictly (core/yaml.h: one document, unique keys, depth, size,
/// UTF-8), on the repo's own files: the knowledge base's largest, a matrix and the waivers.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "core/yaml.h"

namespace {

void BM_Load(benchmark::State& state, const char* relative) {
    std::ifstream in(std::string(CUCONFORM_SOURCE_DIR) + "/" + relative);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || text.str().empty()) {
        state.SkipWithError("cannot read the file");
        return;
    }
    for (auto _ : state) benchmark::DoNotOptimize(cuconform::yaml::load(text.str(), relative));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.str().size()));
}
BENCHMARK_CAPTURE(BM_Load, cudnn, "matrix/knowledge/cudnn.yaml");
BENCHMARK_CAPTURE(BM_Load, nightly, "matrix/nightly.yaml");
BENCHMARK_CAPTURE(BM_Load, waivers, "matrix/waivers.yaml");

}  // namespace

BENCHMARK_MAIN();
