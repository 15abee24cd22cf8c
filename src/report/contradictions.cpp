// SPDX-License-Identifier: Apache-2.0
/// \file Results compared with the knowledge base: where what a stack did disagrees with what the facts say.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ostream>
#include <regex>

#include "report/report.h"

namespace cuconform::report {
namespace fs = std::filesystem;
using knowledge::Answer;
using nlohmann::json;

namespace {

/// Cases that run fp32 cuDNN kernels on the GPU and expect ok: only an unsupported architecture stops them. Cases
/// of a data type the GPU lacks (precision.bf16.*) also see CUDNN_STATUS_ARCH_MISMATCH and say nothing about it.
constexpr std::array kCudnnOnDevice{"rnn.lstm.forward_backward"};
/// Case id prefixes whose reproducers call the CUDA runtime on the device: ok means the runtime ran on the driver.
constexpr std::array kRuntimeOnDevice{"device.",
                                      "memory.",
                                      "precision.fp16.",
                                      "precision.bf16.",
                                      "precision.fp32.",
                                      "rnn.lstm.",
                                      "dtype.conv.mixed_float_half",
                                      "skew.runtime."};

std::optional<Version> version_or(const std::optional<std::string>& measured, const std::string& fallback = {}) {
    if (measured) {
        if (auto v = Version::parse(*measured)) return v;
    }
    return fallback.empty() ? std::nullopt : Version::parse(fallback);
}

bool observed_named(const Result& r, std::string_view name) { return r.observed.is_error() && r.observed.name == name; }

std::string where(const Result& r, const ResultSet& set) {
    if (r.source.file.empty()) return fmt::format("{} (synthetic, no file)", set.cells[r.cell].id);
    std::error_code ec;
    const auto relative = fs::relative(r.source.file, fs::current_path(), ec);
    return fmt::format("{}:{}", ec || relative.empty() ? r.source.file : relative.string(), r.source.line);
}

std::string observed_text(const Outcome& o) {
    return o.kind == Outcome::Kind::Crash     ? fmt::format("crash(signal {})", o.signal)
           : o.kind == Outcome::Kind::Timeout ? "timeout"
                                              : o.str();
}

}  // namespace

std::vector<Comparison> compare_with_knowledge(const ResultSet& set, const knowledge::KnowledgeBase& kb) {
    std::vector<Comparison> out;
    for (std::size_t i = 0; i < set.results.size(); ++i) {
        const Result& r = set.results[i];
        if (r.variant != "default" || r.observed.is_unsupported() || r.verdict == Verdict::Unsupported) continue;
        const Cell& cell = set.cells[r.cell];
        const results::Fingerprint fp = cell.fingerprint.value_or(results::Fingerprint{});
        const auto driver = version_or(fp.driver.version);
        const auto runtime = version_or(fp.runtime.version, cell.stack_cuda);
        const auto toolkit =
            version_or(fp.toolkit.cuda.empty() ? std::nullopt : std::optional(fp.toolkit.cuda), cell.toolkit_cuda);
        const auto cudnn = version_or(fp.cudnn.loaded, cell.stack_cudnn);
        const auto cc = fp.has_gpu() ? Version::parse(fp.gpus[0].cc) : std::nullopt;
        const bool ok = r.observed.is_ok();
        auto add = [&](const char* check, Answer answer, bool error_observed) {
            // An observed error where the facts say yes, or ok where they say no; unknown decides nothing.
            const bool contradicts = (error_observed && answer.yes()) || (ok && answer.no());
            out.push_back({check, i, std::move(answer), contradicts});
        };

        // cudnn-cc
        const bool arch_error = r.observed.is_error() && r.observed.name.starts_with("CUDNN_STATUS_ARCH_MISMATCH");
        const bool cudnn_case =
            std::find(kCudnnOnDevice.begin(), kCudnnOnDevice.end(), r.case_id) != kCudnnOnDevice.end();
        if (cudnn && cc && cudnn_case && (arch_error || ok)) {
            add("cudnn-cc", kb.cudnn_supports_cc(*cudnn, *cc), arch_error);
        }
        // runtime-on-driver
        const bool insufficient = observed_named(r, "cudaErrorInsufficientDriver");
        const bool runtime_case = std::any_of(kRuntimeOnDevice.begin(), kRuntimeOnDevice.end(),
                                              [&](const char* p) { return r.case_id.starts_with(p); });
        if (runtime && driver && (insufficient || (ok && runtime_case))) {
            add("runtime-on-driver", kb.runtime_runs_on_driver(*runtime, *driver), insufficient);
        }
        // nvcc-targets
        static const std::regex nvcc_case(R"(precision\.nvcc\.sm(\d+[af]?)_.*)");
        std::smatch m;
        if (toolkit && std::regex_match(r.case_id, m, nvcc_case)) {
            const bool refused = observed_named(r, "UNSUPPORTED_GPU_ARCHITECTURE");
            if (refused || ok) add("nvcc-targets", kb.nvcc_supports(*toolkit, "sm_" + m[1].str()), refused);
        }
        // kernel-image
        if (r.case_id == "kernel_image.load.ptx_only" && toolkit && driver && cc && *cc >= Version({7, 5})) {
            const bool too_new = observed_named(r, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION");
            if (too_new || ok) add("kernel-image", kb.ptx_jit(*toolkit, *driver), too_new);
        }
        if (r.case_id == "kernel_image.load.sm75_only" && cc) {
            const bool no_image = observed_named(r, "CUDA_ERROR_NO_BINARY_FOR_GPU");
            if (no_image || ok) {
                const bool runs = cc->major() == 7 && *cc >= Version({7, 5});
                std::vector<knowledge::Citation> evidence;
                if (auto e = kb.cuda_driver_error("CUDA_ERROR_NO_BINARY_FOR_GPU")) evidence.push_back(e->citation);
                add("kernel-image",
                    Answer{runs ? Answer::Value::Yes : Answer::Value::No,
                           fmt::format("sm_75 SASS runs only on GPUs of major 7 with minor >= 5 (SASS compatibility, "
                                       "shared/facts/cuda.md §3c); this GPU is {}: {}",
                                       cc->str(), runs ? "it loads" : "CUDA_ERROR_NO_BINARY_FOR_GPU (209)"),
                           evidence},
                    no_image);
            }
        }
    }
    return out;
}

void write_contradictions(std::ostream& out, const ResultSet& set, const std::vector<Comparison>& comparisons) {
    std::size_t contradictions = 0, unknown = 0;
    for (const auto& c : comparisons) {
        unknown += c.answer.unknown() ? 1 : 0;
        if (!c.contradicts) continue;
        ++contradictions;
        const Result& r = set.results[c.result];
        out << fmt::format("CONTRADICTION {}: {} ({}) on {}\n", c.check, r.case_id, r.variant, set.cells[r.cell].id);
        out << fmt::format("  observed:       {} — {}\n", observed_text(r.observed), where(r, set));
        out << fmt::format("  knowledge base: {} — {}\n", knowledge::to_string(c.answer.value), c.answer.reason);
        for (const auto& citation : c.answer.evidence) {
            out << fmt::format("  source:         {} ({})\n", citation.sourced() ? citation.url() : "unsourced",
                               citation.where());
        }
        out << "  what to do:     check the cell's fingerprint (wrong stack recorded?) and the reproducer; if both "
               "hold, the knowledge base entry above needs correcting\n\n";
    }
    out << fmt::format(
        "{} contradiction{}, {} agreement{}, {} undecided (knowledge base unknown) among {} comparison{}\n",
        contradictions, contradictions == 1 ? "" : "s", comparisons.size() - contradictions - unknown,
        comparisons.size() - contradictions - unknown == 1 ? "" : "s", unknown, comparisons.size(),
        comparisons.size() == 1 ? "" : "s");
}

}  // namespace cuconform::report
