// SPDX-License-Identifier: Apache-2.0
/// \file Deterministic synthetic results for tests and the benchmark (never for real reports).
#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <random>

#include "report/report.h"
#include "results/store.h"

namespace cuconform::report {
namespace fs = std::filesystem;
namespace {

/// A case template: what it expects on a stack, with the library's own number and message.
struct CaseTemplate {
    const char* family;
    const char* id_stem;  ///< family.subfamily.case without a numeric suffix.
    const char* title;
    Outcome expected;
    bool needs_gpu;
};

std::vector<CaseTemplate> case_templates() {
    return {
        {"loader", "loader.cudnn.missing_shim", "libcudnn.so.9 absent from the search path",
         Outcome::error(Domain::Loader, "LIBRARY_NOT_FOUND", {},
                        "libcudnn.so.9: cannot open shared object file: No such file or directory"),
         false},
        {"loader", "loader.cudnn.missing_sublib", "cuDNN graph API with libcudnn_engines_precompiled hidden",
         Outcome::error(Domain::Cudnn, "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED", 4002, "sub-library not found"),
         false},
        {"skew", "skew.cudnn.header_newer", "built against cuDNN 9.19, an older cuDNN loaded",
         Outcome::error(Domain::Loader, "VERSION_MISMATCH", {}, "cuDNN header 91900, library 90100"), false},
        {"env", "env.visible_devices.empty", "CUDA_VISIBLE_DEVICES=\"\" hides every GPU",
         Outcome::error(Domain::Cuda, "cudaErrorNoDevice", 100, "no CUDA-capable device is detected"), false},
        {"device", "device.query.no_driver", "device query without libcuda.so.1",
         Outcome::error(Domain::Cuda, "cudaErrorInsufficientDriver", 35,
                        "CUDA driver version is insufficient for CUDA runtime version"),
         false},
        {"shape", "shape.conv.channel_mismatch", "convolution filter with 5 input channels on a 10-channel tensor",
         Outcome::error(Domain::Cudnn, "CUDNN_STATUS_BAD_PARAM", 2000, "CUDNN_STATUS_BAD_PARAM"), false},
        {"dtype", "dtype.conv.int8_nchw", "int8 convolution in NCHW layout",
         Outcome::error(Domain::Cudnn, "CUDNN_STATUS_NOT_SUPPORTED", 3000, "CUDNN_STATUS_NOT_SUPPORTED"), false},
        {"autodiff", "autodiff.custom_op.no_backward", "gradient of an op with a forward and no backward",
         Outcome::error(Domain::Harness, "NO_GRADIENT", {}, "op 'host_sort' has no registered gradient"), false},
        {"precision", "precision.fp16.half_gemm", "float16 GEMM on the GPU", Outcome::ok(), true},
        {"memory", "memory.oom.recover", "allocation beyond a 64 MiB cap, then recovery",
         Outcome::error(Domain::Cuda, "cudaErrorMemoryAllocation", 2, "out of memory"), true},
        {"kernel_image", "kernel_image.sm.missing_arch", "fatbin without SASS or PTX for this GPU",
         Outcome::error(Domain::Cuda, "cudaErrorNoKernelImageForDevice", 209,
                        "no kernel image is available for execution on the device"),
         true},
        {"rnn", "rnn.lstm.forward", "cuDNN LSTM forward pass", Outcome::ok(), true},
    };
}

struct Rng {
    std::mt19937_64 engine;
    std::uint64_t below(std::uint64_t n) { return engine() % n; }
    double unit() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }
};

/// Turns a result into one with the given verdict, with an observed outcome that explains it.
void force_verdict(Result& r, Verdict verdict, Rng& rng) {
    r.verdict = verdict;
    r.fail_kind = FailKind::None;
    r.reason.clear();
    r.attempts = 1;
    switch (verdict) {
        case Verdict::Pass:
            r.observed = r.expected;
            break;
        case Verdict::Fail:
            if (r.expected.is_ok()) {
                r.observed = Outcome::error(Domain::Cudnn, "CUDNN_STATUS_EXECUTION_FAILED", 5003,
                                            "CUDNN_STATUS_EXECUTION_FAILED_CUDART");
                r.fail_kind = FailKind::UnexpectedError;
            } else if (rng.below(2) == 0) {
                r.observed = Outcome::ok();
                r.fail_kind = FailKind::UnexpectedPass;
            } else {
                r.observed = Outcome::error(Domain::Cudnn, "CUDNN_STATUS_INTERNAL_ERROR", 4000,
                                            "CUDNN_STATUS_INTERNAL_ERROR: unexpected internal inconsistency");
                r.fail_kind = FailKind::WrongError;
            }
            break;
        case Verdict::Unsupported:
            r.observed = Outcome::unsupported("needs a GPU; this runner has none (driver absent)");
            r.reason = r.observed.reason;
            break;
        case Verdict::Waived:
            r.observed = Outcome::ok();
            r.fail_kind = FailKind::UnexpectedPass;
            r.reason = "waiver W-12 (cuDNN 9.1 accepts this shape): https://bugs.example.invalid/4711";
            break;
        case Verdict::Flaky:
            r.observed = r.expected;
            r.attempts = 3;
            r.reason = "attempt 1 timed out, attempts 2 and 3 passed";
            break;
        case Verdict::Crash:
            r.observed = Outcome::crash(11, "SIGSEGV in libcudnn_cnn.so.9");
            break;
        case Verdict::Timeout:
            r.observed = Outcome::timeout("no output for 120 s");
            break;
    }
    if (verdict != Verdict::Pass && verdict != Verdict::Unsupported) {
        r.output_tail = fmt::format("[{}] {}\n{}", r.case_id, r.observed.str(), r.observed.message);
    }
}

results::Fingerprint make_fingerprint(const Cell& c) {
    results::Fingerprint fp;
    if (c.gpu != "none") {
        fp.gpus.push_back({0, c.gpu.substr(0, c.gpu.find(' ')), c.compute_capability(), std::nullopt, 85899345920ULL});
    }
    const bool driver = c.gpu != "none";
    fp.created = "2025-06-01T02:00:00Z";
    fp.toolkit = {c.toolkit_cuda, c.toolkit_cuda, c.toolkit_cudnn};
    fp.driver.present = driver;
    if (driver) {
        fp.driver.version = "580.65.06";
        fp.driver.cuda = "13.0";
    }
    fp.runtime.present = true;
    fp.runtime.version = c.stack_cuda;
    fp.cudnn.present = true;
    fp.cudnn.built = c.toolkit_cudnn;
    fp.cudnn.loaded = c.stack_cudnn;
    fp.cudnn.cudart = c.stack_cuda;
    fp.cudnn.library = {"libcudnn.so.9",
                        true,
                        fmt::format("/usr/local/cuda/lib64/libcudnn.so.{}", c.stack_cudnn),
                        fmt::format("/usr/local/cuda/lib64/libcudnn.so.{}", c.stack_cudnn),
                        "",
                        {}};
    fp.env = {{"CUDA_HOME", "/usr/local/cuda"},
              {"CUDA_VISIBLE_DEVICES", std::nullopt},
              {"LD_LIBRARY_PATH", c.provider == "wheels" ? "/venv/lib/nvidia/cudnn/lib" : "/usr/local/cuda/lib64"}};
    return fp;
}

}  // namespace

ResultSet make_synthetic(const SyntheticSpec& spec) {
    Rng rng{std::mt19937_64(spec.seed)};
    ResultSet set;
    static constexpr std::array<const char*, 3> kCuda{"12.4", "12.8", "13.0"};
    static constexpr std::array<const char*, 3> kCudnn{"8.9.7", "9.1.0", "9.19.0"};
    static constexpr std::array<const char*, 5> kGpu{"none", "H100 (9.0)", "A100 (8.0)", "T4 (7.5)", "V100 (7.0)"};
    static constexpr std::array<const char*, 3> kProvider{"host", "wheels", "container"};
    for (std::size_t i = 0; i < spec.cells; ++i) {
        const std::size_t a = i % kCuda.size(), b = (i / 3) % kCudnn.size(), g = (i / 9) % kGpu.size();
        const std::size_t p = (i / 45) % kProvider.size();
        std::string gpu_slug = kGpu[g] == std::string("none") ? "nogpu" : std::string(kGpu[g]).substr(0, 4);
        for (auto& ch : gpu_slug) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string id = fmt::format("cuda{}-cudnn{}-{}-{}", kCuda[a], kCudnn[b], gpu_slug, kProvider[p]);
        if (spec.cells > 135) id += fmt::format("-r{}", i / 135);  // runner index: ids stay unique
        Cell& c = set.cells[set.cell_index(id)];
        c.toolkit_cuda = kCuda[a];
        c.toolkit_cudnn = "9.19.0";
        c.stack_cuda = kCuda[a];
        c.stack_cudnn = kCudnn[b];
        c.gpu = kGpu[g];
        c.provider = kProvider[p];
        c.record.id = id;
        c.record.toolkit = {c.toolkit_cuda, c.toolkit_cuda, c.toolkit_cudnn};
        c.record.stack.provider = c.provider;
        c.record.stack.cuda = c.stack_cuda;
        c.record.stack.cudnn = c.stack_cudnn;
        c.record.stack.prefix = "/opt/stacks/" + id;
        c.record.gpu = c.gpu;
        c.fingerprint = make_fingerprint(c);
        c.driver = c.fingerprint->driver.version.value_or("none");
    }
    const auto templates = case_templates();
    set.results.reserve(spec.cases * spec.cells);
    for (std::size_t k = 0; k < spec.cases; ++k) {
        const CaseTemplate& t = templates[k % templates.size()];
        const std::string case_id = k < templates.size() ? t.id_stem : fmt::format("{}_{}", t.id_stem, k / templates.size());
        const double base_ms = 5.0 + static_cast<double>(rng.below(400));
        for (std::uint32_t cell = 0; cell < set.cells.size(); ++cell) {
            Result r;
            r.cell = cell;
            r.case_id = case_id;
            r.family = t.family;
            r.title = t.title;
            r.variant = "default";
            r.expected = t.expected;
            r.expected.message.clear();
            r.expected.native_code.reset();
            r.rule.index = t.expected.is_ok() ? 1 : 0;
            r.rule.text = t.expected.is_ok() ? "otherwise -> ok" : "when cudnn.loaded >= 9.0 -> " + t.expected.str();
            r.rule.why = fmt::format("cudnn.loaded = {}", set.cells[cell].stack_cudnn);
            r.observed = t.expected;
            r.duration_ms = std::round(base_ms * (0.5 + rng.unit()) * 10) / 10;
            r.reproduce = fmt::format("cuconform run --cell {} --case {} --variant default", set.cells[cell].id, case_id);
            r.started_at = "2025-06-01T02:00:00Z";
            if (t.needs_gpu && set.cells[cell].gpu == "none") {
                force_verdict(r, Verdict::Unsupported, rng);
            } else if (rng.unit() < spec.failure_rate) {
                static constexpr std::array<Verdict, 6> kOdd{Verdict::Fail, Verdict::Fail, Verdict::Crash,
                                                             Verdict::Timeout, Verdict::Flaky, Verdict::Waived};
                force_verdict(r, kOdd[rng.below(kOdd.size())], rng);
            }
            set.results.push_back(std::move(r));
        }
    }
    // Every verdict kind at least once, spread over the set, so that tests of each kind never go vacuous.
    if (set.results.size() >= 14) {
        for (int v = 0; v < 7; ++v) {
            const auto verdict = static_cast<Verdict>(v);
            bool present = false;
            for (const auto& r : set.results) present = present || r.verdict == verdict;
            if (!present) force_verdict(set.results[(2 * v + 1) * set.results.size() / 15], verdict, rng);
        }
    }
    return set;
}

void write_results_dirs(const fs::path& directory, const ResultSet& set) {
    std::vector<std::vector<std::string>> lines(set.cells.size());
    for (const auto& r : set.results) lines.at(r.cell).push_back(results::to_line(r, set.cells.at(r.cell).id));
    for (std::size_t i = 0; i < set.cells.size(); ++i) {
        const auto& c = set.cells[i];
        const results::CellStore store(directory / c.id);
        store.create();
        store.write_cell(c.record);
        if (c.fingerprint) store.write_fingerprint(*c.fingerprint);
        store.write_results(lines[i]);
    }
}

}  // namespace cuconform::report
