// SPDX-License-Identifier: Apache-2.0
/// \file The knowledge base as parsed: what the readers (read_*.cpp) fill and the queries (toolkits.cpp, cudnn.cpp,
/// hardware.cpp, errors.cpp) answer from. Internal to the knowledge room.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "knowledge/knowledge.h"

namespace cuconform::knowledge {

namespace detail {

struct DriverFact {
    std::optional<Version> linux_min;
    std::vector<std::pair<Version, Version>> updates;  ///< Update release -> its minimum, ascending.
    Citation citation;
};

struct ArchFact {
    std::vector<std::string> add;
    std::vector<std::string> remove;
    Citation citation;
};

struct Toolkit {
    Version version;  ///< major.minor
    std::optional<DriverFact> driver;
    std::optional<Fact<Version>> ptx_isa;  ///< Unsourced: empty value.
    std::optional<ArchFact> archs;         ///< Unsourced: no changes, empty sources.
    std::optional<Citation> released;      ///< Evidence that NVIDIA released it (besides a Table 3 row).
};

struct Family {
    int major = 0;
    bool minor_version_compat = false;
    std::optional<Version> min_driver;
    Citation citation;
};

struct SupportEnd {
    int cuda_major = 0;
    Version last_cudnn;
    Citation citation;
};

struct Sublibraries {
    int major = 0;
    std::optional<Version> from;
    std::vector<std::string> libraries;
    Citation citation;
};

struct Encoding {
    std::optional<int> from_major;
    std::optional<int> until_major;
    long major_factor = 0;
    Citation citation;
};

struct CompatRule {
    int minor_backward_from_major = 0;
    Citation citation;
};

struct CompatException {
    Version loaded;
    std::string applies_to;  ///< The framework whose own code has the exception ("jax"); never every framework.
    std::string text;
    Citation citation;
};

struct Feature {
    std::vector<std::string> keys;  ///< Normalised name and aliases.
    Version min_cc;
    Citation citation;
};

struct GpuRow {
    std::vector<std::vector<std::string>> names;  ///< Normalised token lists of the name and aliases.
    Fact<Gpu> gpu;
};

struct ArchitectureFamily {
    std::string name;  ///< "Hopper"
    std::vector<Version> cc;
    Citation citation;
};

// --- helpers shared by the readers and the queries ------------------------------------------

std::string lower(std::string_view text);
std::string upper(std::string_view text);
/// Lower case, runs of anything but letters and digits become one '_' ("FP8 E4M3" -> "fp8_e4m3").
std::string feature_key(std::string_view text);
/// A GPU name as lower-case words without the vendor and brand words ("NVIDIA A100-SXM4-80GB" -> a100 sxm4 80gb).
std::vector<std::string> gpu_tokens(std::string_view name);
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");
/// "sm_90a" -> {90, "a"}; nullopt when it is not sm_<digits>[a|f].
std::optional<std::pair<int, std::string>> split_arch(std::string_view arch);
bool arch_less(const std::string& a, const std::string& b);
/// Versions dotted to three places, as cuDNN writes them ("9.3" -> "9.3.0").
std::string dotted3(const Version& v);
Version major_minor(const Version& v);
/// `v` compared with `bound` at the bound's own depth, so that "8.8" covers every 8.8.x.
bool at_most(const Version& v, const Version& bound);
Answer answer(Answer::Value value, std::string reason, std::vector<Citation> evidence = {}, std::string rule = {});

template <typename T, typename Pred>
std::optional<Fact<T>> find_fact(const std::vector<Fact<T>>& facts, Pred pred) {
    for (const auto& f : facts) {
        if (pred(f.value)) return f;
    }
    return std::nullopt;
}

}  // namespace detail

struct KnowledgeBase::Data {
    std::string origin;  ///< The folder it was read from, or "built in".
    std::filesystem::path dir;
    std::vector<Entry> entries;
    std::vector<FileSummary> files;

    std::vector<detail::Family> families;
    std::vector<detail::Toolkit> toolkits;

    std::vector<CudnnRelease> releases;
    std::vector<Fact<Version>> known_releases;
    std::vector<Fact<Version>> rows_not_recorded;  ///< Known releases whose support-matrix row is not recorded.
    std::vector<detail::SupportEnd> support_ends;
    std::vector<detail::Sublibraries> sublibraries;
    std::vector<detail::Encoding> encodings;
    std::optional<detail::CompatRule> compat_rule;
    std::vector<detail::CompatException> compat_exceptions;
    std::optional<Fact<std::string>> pytorch_message;

    std::vector<detail::Feature> features;
    std::vector<detail::GpuRow> gpus;
    std::vector<detail::ArchitectureFamily> architectures;
    std::optional<Fact<std::string>> sass_rule;  ///< SASS runs on the same major at the same or a higher minor.

    std::vector<Fact<ErrorCode>> runtime_errors;
    std::vector<Fact<ErrorCode>> driver_errors;
    std::map<int, std::vector<Fact<ErrorCode>>> cudnn_statuses;

    std::vector<Fact<EnvVar>> env;

    const detail::Toolkit* toolkit(const Version& v) const;
    const detail::Family* family(int major) const;
};

}  // namespace cuconform::knowledge
