// SPDX-License-Identifier: Apache-2.0
/// \file Questions about toolkits (toolkits.yaml): minimum drivers, minor version compatibility, releases, nvcc
/// architectures and binary compatibility, PTX ISA and PTX JIT.
#include <fmt/format.h>

#include <algorithm>

#include "knowledge/data.h"

namespace cuconform::knowledge {
using namespace detail;

std::optional<Citation> KnowledgeBase::toolkit_release(const Version& toolkit) const {
    const detail::Toolkit* t = data_->toolkit(toolkit);
    if (!t) return std::nullopt;
    if (t->driver && t->driver->citation.sourced()) return t->driver->citation;
    return t->released;
}

std::optional<Fact<Version>> KnowledgeBase::min_driver(const Version& toolkit) const {
    const detail::Toolkit* t = data_->toolkit(toolkit);
    if (!t || !t->driver || !t->driver->citation.sourced()) return std::nullopt;
    Fact<Version> fact{*t->driver->linux_min, t->driver->citation};
    for (const auto& [release, driver] : t->driver->updates) {
        if (release <= toolkit) fact.value = driver;
    }
    return fact;
}

std::optional<Fact<Version>> KnowledgeBase::minor_compat_floor(int cuda_major) const {
    const detail::Family* family = data_->family(cuda_major);
    if (!family || !family->minor_version_compat) return std::nullopt;
    Fact<Version> floor{*family->min_driver, family->citation};
    // No x.y runs on a driver that x.0 itself refuses (release notes Table 3).
    if (auto first = min_driver(Version({cuda_major, 0})); first && first->value > floor.value) {
        first->citation.note = fmt::format(
            "the later of release notes Table 2's CUDA {}.x minimum (>= {}) and CUDA "
            "{}.0's own minimum driver (Table 3)",
            cuda_major, family->min_driver->str(), cuda_major);
        floor = *first;
    }
    return floor;
}

Answer KnowledgeBase::runtime_runs_on_driver(const Version& runtime, const Version& driver) const {
    const std::string cuda = major_minor(runtime).str();
    if (!toolkit_release(runtime)) {
        const detail::Toolkit* t = data_->toolkit(runtime);
        return answer(
            Answer::Value::Unknown,
            fmt::format("CUDA {} is no release the knowledge base knows: release notes Table 3 has no row for "
                        "it and no release notes or package show it{}; give a released version",
                        cuda, t ? " (it is named only as a PTX ISA mapping: NVIDIA never released it)" : ""),
            {}, "not released");
    }
    const auto min = min_driver(runtime);
    if (min && driver >= min->value) {
        return answer(Answer::Value::Yes,
                      fmt::format("driver {} meets CUDA {}'s minimum driver {} (release notes Table 3)", driver.str(),
                                  cuda, min->value.str()),
                      {min->citation}, "toolkit minimum driver");
    }
    const detail::Family* family = data_->family(runtime.major());
    if (!family) {
        return answer(
            Answer::Value::Unknown,
            min ? fmt::format("driver {} is below CUDA {}'s minimum {}, and nothing is known about minor version "
                              "compatibility for CUDA {}.x",
                              driver.str(), cuda, min->value.str(), runtime.major())
                : fmt::format("no sourced driver requirement for CUDA {}", cuda),
            min ? std::vector{min->citation} : std::vector<Citation>{});
    }
    if (!family->minor_version_compat) {
        if (!min) {
            return answer(
                Answer::Value::Unknown,
                fmt::format("no sourced minimum driver for CUDA {}, and CUDA {}.x has no minor version compatibility",
                            cuda, runtime.major()),
                {family->citation});
        }
        return answer(Answer::Value::No,
                      fmt::format("CUDA {} needs driver >= {} and driver {} is older; CUDA {}.x has no minor version "
                                  "compatibility, so install driver {} or newer",
                                  cuda, min->value.str(), driver.str(), runtime.major(), min->value.str()),
                      {min->citation, family->citation}, "toolkit minimum driver");
    }
    const auto floor = minor_compat_floor(runtime.major());
    std::vector<Citation> evidence = {floor->citation};
    if (min && min->citation.where() != floor->citation.where()) evidence.insert(evidence.begin(), min->citation);
    const std::string floor_str = floor->value.str();
    if (driver >= floor->value) {
        if (const auto ptx = cuda_runtime_error("cudaErrorUnsupportedPtxVersion")) evidence.push_back(ptx->citation);
        return answer(Answer::Value::Yes,
                      fmt::format("{}, but runs by minor version compatibility: CUDA {}.x runs on drivers >= {} with a "
                                  "limited feature set (PTX from a newer toolkit still fails with error 222)",
                                  min ? fmt::format("driver {} is below CUDA {}'s minimum {}", driver.str(), cuda,
                                                    min->value.str())
                                      : fmt::format("CUDA {} has no sourced minimum driver", cuda),
                                  runtime.major(), floor_str),
                      evidence, "minor version compatibility");
    }
    if (const auto insufficient = cuda_runtime_error("cudaErrorInsufficientDriver")) {
        evidence.push_back(insufficient->citation);
    }
    const std::string needed =
        !min || min->value == floor->value
            ? fmt::format("{}, the oldest driver that runs CUDA {}.x even by minor version compatibility", floor_str,
                          runtime.major())
            : fmt::format("CUDA {}'s minimum {}, and {}, the oldest that runs CUDA {}.x by minor version compatibility",
                          cuda, min->value.str(), floor_str, runtime.major());
    const std::string install = !min || min->value == floor->value
                                    ? fmt::format("Install driver {} or newer", floor_str)
                                    : fmt::format("Install driver {} or newer ({} for CUDA {}'s full feature set)",
                                                  floor_str, min->value.str(), cuda);
    return answer(Answer::Value::No,
                  fmt::format("driver {} is older than {}; the runtime fails with cudaErrorInsufficientDriver (35). {}",
                              driver.str(), needed, install),
                  evidence, "minor version compatibility");
}

std::optional<Fact<std::vector<std::string>>> KnowledgeBase::nvcc_archs(const Version& toolkit) const {
    const detail::Toolkit* t = data_->toolkit(toolkit);
    if (!t || !t->archs || !t->archs->citation.sourced()) return std::nullopt;
    std::vector<std::string> accepted;
    for (const auto& row : data_->toolkits) {
        if (row.version > t->version) break;
        if (!row.archs || !row.archs->citation.sourced()) continue;
        for (const auto& arch : row.archs->remove) std::erase(accepted, arch);
        accepted.insert(accepted.end(), row.archs->add.begin(), row.archs->add.end());
    }
    std::sort(accepted.begin(), accepted.end(), arch_less);
    return Fact<std::vector<std::string>>{accepted, t->archs->citation};
}

namespace {

/// Whether a toolkit's architecture list comes from its own compiler (then it is the whole list: an architecture
/// missing from it is refused, not unknown).
bool exhaustive(const detail::ArchFact& archs) {
    return std::any_of(archs.citation.sources.begin(), archs.citation.sources.end(),
                       [](const Source& s) { return s.kind == "tool"; });
}

}  // namespace

Answer KnowledgeBase::nvcc_supports(const Version& toolkit, std::string_view arch_text) const {
    std::string arch(arch_text);
    if (arch.starts_with("compute_")) arch = "sm_" + arch.substr(std::string("compute_").size());
    const std::string cuda = major_minor(toolkit).str();
    if (!split_arch(arch)) {
        return answer(Answer::Value::Unknown,
                      fmt::format("'{}' is not an architecture name (sm_XX, sm_XXa, sm_XXf)", arch_text));
    }
    const detail::Toolkit* t = data_->toolkit(toolkit);
    if (!t || !t->archs || !t->archs->citation.sourced()) {
        return answer(Answer::Value::Unknown,
                      fmt::format("no sourced architecture list for nvcc {}: no primary source the knowledge base "
                                  "holds lists what it accepts",
                                  cuda));
    }
    const auto accepted = nvcc_archs(toolkit);
    const bool listed = std::find(accepted->value.begin(), accepted->value.end(), arch) != accepted->value.end();
    // The toolkit whose change decided: the last one up to this toolkit that adds or removes the architecture.
    const detail::Toolkit* first = nullptr;
    const detail::Toolkit* decided = nullptr;
    const detail::Toolkit* later_adds = nullptr;
    for (const auto& row : data_->toolkits) {
        if (!row.archs || !row.archs->citation.sourced()) continue;
        if (!first) first = &row;
        const bool adds = std::find(row.archs->add.begin(), row.archs->add.end(), arch) != row.archs->add.end();
        const bool removes =
            std::find(row.archs->remove.begin(), row.archs->remove.end(), arch) != row.archs->remove.end();
        if (row.version <= t->version) {
            if (adds || removes) decided = &row;
        } else if (adds && !later_adds) {
            later_adds = &row;
        }
    }
    std::vector<Citation> evidence = {t->archs->citation};
    if (decided && decided != t) evidence.push_back(decided->archs->citation);
    if (listed) {
        const std::string since = decided == first
                                      ? fmt::format(
                                            "listed since CUDA {}, the oldest toolkit whose list the knowledge base "
                                            "holds",
                                            first->version.str())
                                      : fmt::format("added in CUDA {}", decided->version.str());
        return answer(Answer::Value::Yes, fmt::format("nvcc {} accepts -arch={} ({})", cuda, arch, since), evidence,
                      "listed");
    }
    if (later_adds) {
        evidence.push_back(later_adds->archs->citation);
        return answer(Answer::Value::No,
                      fmt::format("nvcc {} does not know -arch={}: CUDA {} added it; use CUDA {} or newer", cuda, arch,
                                  later_adds->version.str(), later_adds->version.str()),
                      evidence, "listed");
    }
    if (decided) {
        return answer(
            Answer::Value::No,
            fmt::format("nvcc {} refuses -arch={}: CUDA {} removed it; build with an older toolkit or target a "
                        "newer architecture",
                        cuda, arch, decided->version.str()),
            evidence, "listed");
    }
    if (exhaustive(*t->archs)) {
        return answer(Answer::Value::No,
                      fmt::format("nvcc {} does not accept -arch={}: its compiler's own list of architectures ({}) "
                                  "lacks it",
                                  cuda, arch, join(accepted->value)),
                      evidence, "listed");
    }
    return answer(Answer::Value::Unknown,
                  fmt::format("{} appears in no sourced architecture list up to CUDA {}", arch, cuda), evidence);
}

Answer KnowledgeBase::nvcc_builds_for(const Version& toolkit, const Version& cc_in) const {
    const Version cc = major_minor(cc_in);
    const std::string own = fmt::format("sm_{}{}", cc.major(), cc.minor());
    const Answer exact = nvcc_supports(toolkit, own);
    if (exact.yes() || exact.unknown()) return exact;
    const auto accepted = nvcc_archs(toolkit);
    // SASS runs on a GPU of the same major and the same or a higher minor (CUDA compatibility: binary
    // compatibility); an 'a' target runs only on its own architecture, so only generic targets count.
    std::optional<std::pair<int, std::string>> best;
    for (const auto& arch : accepted->value) {
        const auto split = detail::split_arch(arch);
        if (!split || !split->second.empty()) continue;
        const int major = split->first / 10;
        const int minor = split->first % 10;
        if (major == cc.major() && minor < cc.minor() && (!best || split->first > best->first)) {
            best = std::make_pair(split->first, arch);
        }
    }
    if (best) {
        Answer a =
            answer(Answer::Value::Yes,
                   fmt::format("nvcc {} has no -arch={}, but builds {} SASS, which runs on compute capability {} "
                               "(same major, higher minor)",
                               major_minor(toolkit).str(), own, best->second, cc.str()),
                   exact.evidence, "same major, higher minor");
        if (const auto sass = sass_compatibility_rule()) a.evidence.push_back(sass->citation);
        return a;
    }
    return exact;
}

std::optional<Fact<Version>> KnowledgeBase::ptx_isa(const Version& toolkit) const {
    const detail::Toolkit* t = data_->toolkit(toolkit);
    if (!t || !t->ptx_isa || !t->ptx_isa->citation.sourced()) return std::nullopt;
    return t->ptx_isa;
}

std::optional<Fact<Version>> KnowledgeBase::toolkit_for_ptx_isa(const Version& isa) const {
    for (const auto& t : data_->toolkits) {
        if (t.ptx_isa && t.ptx_isa->citation.sourced() && major_minor(t.ptx_isa->value) == major_minor(isa)) {
            return Fact<Version>{t.version, t.ptx_isa->citation};
        }
    }
    return std::nullopt;
}

std::optional<Fact<Version>> KnowledgeBase::min_driver_for_ptx(const Version& isa_in) const {
    const Version isa = major_minor(isa_in);
    // The first released toolkit with a minimum driver whose PTX ISA is at least `isa`: its driver JIT-compiles it.
    // A toolkit never released ("12.7", PTX ISA 8.6) has no driver of its own; the next one's decides.
    const detail::Toolkit* emitting = nullptr;
    for (const auto& t : data_->toolkits) {
        if (!t.ptx_isa || !t.ptx_isa->citation.sourced() || major_minor(t.ptx_isa->value) < isa) continue;
        if (!emitting) emitting = &t;
        if (emitting && major_minor(emitting->ptx_isa->value) != isa) return std::nullopt;  // ISA nobody emits
        if (const auto min = min_driver(t.version)) {
            Fact<Version> fact = *min;
            fact.citation.note =
                fmt::format("PTX ISA {} is emitted by CUDA {} ({}); CUDA {}'s minimum driver", isa.str(),
                            emitting->version.str(), emitting->ptx_isa->citation.where(), t.version.str());
            return fact;
        }
    }
    return std::nullopt;
}

Answer KnowledgeBase::ptx_jit(const Version& toolkit, const Version& driver) const {
    const std::string cuda = major_minor(toolkit).str();
    const auto isa = ptx_isa(toolkit);
    if (!isa) return answer(Answer::Value::Unknown, fmt::format("no sourced PTX ISA version for CUDA {}", cuda));
    const auto min = min_driver_for_ptx(isa->value);
    if (!min) {
        return answer(Answer::Value::Unknown,
                      fmt::format("CUDA {} emits PTX ISA {}, but no sourced minimum driver is known for it", cuda,
                                  isa->value.str()),
                      {isa->citation});
    }
    std::vector<Citation> evidence = {isa->citation, min->citation};
    if (driver >= min->value) {
        return answer(Answer::Value::Yes,
                      fmt::format("CUDA {} emits PTX ISA {}; driver {} meets its minimum driver {}, so it JIT-compiles "
                                  "that PTX",
                                  cuda, isa->value.str(), driver.str(), min->value.str()),
                      evidence, "PTX ISA minimum driver");
    }
    if (const auto e = cuda_runtime_error("cudaErrorUnsupportedPtxVersion")) evidence.push_back(e->citation);
    return answer(Answer::Value::No,
                  fmt::format("CUDA {} emits PTX ISA {}, which needs driver >= {}; driver {} fails with "
                              "cudaErrorUnsupportedPtxVersion (222) — minor version compatibility does not cover PTX "
                              "JIT. Ship SASS for the GPU or install driver {} or newer",
                              cuda, isa->value.str(), min->value.str(), driver.str(), min->value.str()),
                  evidence, "PTX ISA minimum driver");
}

}  // namespace cuconform::knowledge
