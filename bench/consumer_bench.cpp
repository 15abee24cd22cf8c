// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform doctor` for a framework's venv (target: <= 1 s median without asking the framework), the same with
/// the framework's own check (imports it: reported, no target), and this program's own view for comparison; the
/// consumer examination in process without its confirmation child (the ld.so model alone). The venv:
/// $CUCONFORM_BENCH_PYTHON, else the torch cell's venv that `cuconform frameworks run` makes in the cache.
#include <benchmark/benchmark.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "consumer/cells.h"
#include "consumer/consumer.h"

namespace {
namespace fs = std::filesystem;

std::string cli() {
    const char* bin = std::getenv("CUCONFORM_BIN");
    return bin ? bin : CUCONFORM_SOURCE_DIR "/build/bin/cuconform";
}

std::string python() {
    if (const char* env = std::getenv("CUCONFORM_BENCH_PYTHON"); env != nullptr && *env != '\0') return env;
    return (cuconform::consumer::cache_dir() / "venvs" / "torch-2.15.0" / "bin" / "python").string();
}

void run_doctor(benchmark::State& state, const std::string& args) {
    if (!fs::exists(python())) {
        state.SkipWithError(("no venv at " + python() +
                             ": run `cuconform frameworks run --only torch-2.15.0` or set "
                             "CUCONFORM_BENCH_PYTHON")
                                .c_str());
        return;
    }
    // doctor exits 1 here (no driver, no GPU): only 2 (it could not run) is a failure.
    const std::string cmd = cli() + " doctor " + args + " > /dev/null 2>&1";
    for (auto _ : state) {
        const int status = std::system(cmd.c_str());
        if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) state.SkipWithError(("failed: " + cmd).c_str());
    }
}

void BM_DoctorVenvWithoutFrameworkCheck(benchmark::State& state) {
    run_doctor(state, "--no-framework-check --python " + python());
}
BENCHMARK(BM_DoctorVenvWithoutFrameworkCheck)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5)
    ->Repetitions(3)
    ->ReportAggregatesOnly();

void BM_DoctorVenvWithFrameworkCheck(benchmark::State& state) { run_doctor(state, "--python " + python()); }
BENCHMARK(BM_DoctorVenvWithFrameworkCheck)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3)
    ->Repetitions(3)
    ->ReportAggregatesOnly();

void BM_DoctorThisProgram(benchmark::State& state) { run_doctor(state, "--no-consumer"); }
BENCHMARK(BM_DoctorThisProgram)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5)
    ->Repetitions(3)
    ->ReportAggregatesOnly();

void BM_ExamineModelOnly(benchmark::State& state) {
    if (!fs::exists(python())) {
        state.SkipWithError(("no venv at " + python()).c_str());
        return;
    }
    cuconform::consumer::Options options;
    options.python = python();
    options.confirm = false;
    for (auto _ : state) benchmark::DoNotOptimize(cuconform::consumer::examine(options));
}
BENCHMARK(BM_ExamineModelOnly)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5)
    ->Repetitions(3)
    ->ReportAggregatesOnly();

}  // namespace

BENCHMARK_MAIN();
