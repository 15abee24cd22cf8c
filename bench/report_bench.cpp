// SPDX-License-Identifier: Apache-2.0
/// \file Report rendering at scale: 500 cases x 2,000 cells (10^6 results), time, size and peak memory.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <sstream>

#include "report/report.h"

namespace {

using namespace cuconform::report;

const ResultSet& big_set() {
    static const ResultSet set = make_synthetic({.cases = 500, .cells = 2000, .seed = 7, .failure_rate = 0.04});
    return set;
}

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

void BM_WriteHtml_1M(benchmark::State& state) {
    const ResultSet& set = big_set();
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::ostringstream out;
        write_html(out, set);
        bytes = out.str().size();
        benchmark::DoNotOptimize(bytes);
    }
    state.counters["results"] = static_cast<double>(set.results.size());
    state.counters["html_MB"] = static_cast<double>(bytes) / 1e6;
    state.counters["peak_rss_MiB"] = peak_rss_mib();
}
BENCHMARK(BM_WriteHtml_1M)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_WriteJunit_1M(benchmark::State& state) {
    const ResultSet& set = big_set();
    for (auto _ : state) {
        std::ostringstream out;
        write_junit(out, set);
        benchmark::DoNotOptimize(out.str().size());
    }
    state.counters["peak_rss_MiB"] = peak_rss_mib();
}
BENCHMARK(BM_WriteJunit_1M)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
