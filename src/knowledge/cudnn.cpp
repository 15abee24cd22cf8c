// SPDX-License-Identifier: Apache-2.0
/// \file Questions about cuDNN (cudnn.yaml): support-matrix rows, CUDA and GPU support, drivers per package,
/// releases, sub-libraries, the compatibility rule.
#include <fmt/format.h>

#include <algorithm>

#include "knowledge/data.h"

namespace cuconform::knowledge {
using namespace detail;

namespace {

enum class CcFit { In, Below, Above, Gap };

CcFit fit(const CcSet& set, const Version& cc) {
    if (set.is_list()) {
        if (std::find(set.list.begin(), set.list.end(), cc) != set.list.end()) return CcFit::In;
        if (cc < set.list.front()) return CcFit::Below;
        if (cc > set.list.back()) return CcFit::Above;
        return CcFit::Gap;
    }
    if (cc < set.min) return CcFit::Below;
    if (set.max && cc > *set.max) return CcFit::Above;
    return CcFit::In;
}

bool covers(const CudnnPackage& package, const Version& cuda) {
    const Version v = major_minor(cuda);
    return std::any_of(package.cuda.begin(), package.cuda.end(), [&](const auto& range) {
        return major_minor(range.first) <= v && v <= major_minor(range.second);
    });
}

std::string packages_str(const CudnnRelease& row) {
    std::vector<std::string> parts;
    for (const auto& p : row.packages)
        parts.push_back(p.name.empty() ? "CUDA " + p.cuda_str() : fmt::format("{} ({})", p.name, p.cuda_str()));
    return join(parts, "; ");
}

/// "cuDNN 9.17.0" or "cuDNN 9.19 (nearest known row: 9.17.0)".
std::string row_label(const Version& asked, const CudnnRelease& row) {
    return row.exact ? "cuDNN " + asked.str()
                     : fmt::format("cuDNN {} (nearest known matrix row: {})", asked.str(), row.label());
}

std::string format_message(std::string text, const Version& built, const Version& loaded) {
    for (const auto& [key, value] :
         {std::pair{std::string("{built}"), dotted3(built)}, std::pair{std::string("{loaded}"), dotted3(loaded)}}) {
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
            text.replace(at, key.size(), value);
        }
    }
    return text;
}

/// Calls `visit(version, citation)` for each release the knowledge base knows of (sourced matrix rows, their
/// `through` ends, and the releases listed without a row), in file order and with repeats, until it returns true.
template <typename Visit>
bool any_known_release(const KnowledgeBase::Data& data, Visit visit) {
    for (const auto& row : data.releases) {
        if (!row.sourced) continue;
        if (visit(row.version, row.citation) || (row.through != row.version && visit(row.through, row.citation)))
            return true;
    }
    return std::any_of(data.known_releases.begin(), data.known_releases.end(),
                       [&](const auto& known) { return visit(known.value, known.citation); });
}

}  // namespace

std::optional<CudnnRelease> KnowledgeBase::cudnn_release(const Version& cudnn) const {
    const CudnnRelease* nearest = nullptr;
    for (const auto& row : data_->releases) {
        if (row.version <= cudnn) nearest = &row;
    }
    if (!nearest) return std::nullopt;
    CudnnRelease out = *nearest;
    out.exact = at_most(cudnn, nearest->through);
    return out;
}

std::vector<Fact<Version>> KnowledgeBase::cudnn_known_releases() const {
    std::vector<Fact<Version>> out;
    any_known_release(*data_, [&](const Version& version, const Citation& citation) {
        out.push_back({version, citation});
        return false;
    });
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.value < b.value; });
    out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.value == b.value; }),
              out.end());
    return out;
}

Answer KnowledgeBase::cudnn_supports_cuda(const Version& cudnn, const Version& cuda) const {
    const std::string cuda_str = major_minor(cuda).str();
    if (!cudnn_is_release(cudnn)) return not_a_release(cudnn);
    for (const auto& end : data_->support_ends) {
        if (end.cuda_major == cuda.major() && cudnn > end.last_cudnn) {
            return answer(Answer::Value::No,
                          fmt::format("cuDNN {} has no CUDA {}.x package: {} was the last cuDNN for CUDA {}.x",
                                      cudnn.str(), cuda.major(), end.last_cudnn.str(), cuda.major()),
                          {end.citation}, "CUDA major support ended");
        }
    }
    if (const auto unrecorded = cudnn_row_not_recorded(cudnn)) return row_not_recorded(*unrecorded, cudnn);
    const auto row = cudnn_release(cudnn);
    if (!row)
        return answer(Answer::Value::Unknown,
                      fmt::format("cuDNN {} is older than every known matrix row", cudnn.str()));
    const std::string label = row_label(cudnn, *row);
    if (!row->sourced || row->packages.empty()) {
        return answer(Answer::Value::Unknown,
                      fmt::format("{}: its CUDA packages are not known{}", label,
                                  row->citation.note.empty() ? "" : " (" + row->citation.note + ")"),
                      {row->citation});
    }
    for (const auto& package : row->packages) {
        if (covers(package, cuda)) {
            return answer(Answer::Value::Yes,
                          fmt::format("{} has a package for CUDA {}: {}", label, cuda_str,
                                      package.name.empty() ? "CUDA " + package.cuda_str()
                                                           : package.name + " (" + package.cuda_str() + ")"),
                          {row->citation}, "listed");
        }
    }
    Version newest;
    for (const auto& p : row->packages) {
        for (const auto& range : p.cuda) newest = std::max(newest, major_minor(range.second));
    }
    if (!row->exact && major_minor(cuda) > newest) {
        return answer(
            Answer::Value::Unknown,
            fmt::format("{}: CUDA {} is newer than any package of that row ({}), and no row for {} itself is known",
                        label, cuda_str, packages_str(*row), cudnn.str()),
            {row->citation});
    }
    return answer(Answer::Value::No,
                  fmt::format("{} has no package for CUDA {}; its packages: {}", label, cuda_str, packages_str(*row)),
                  {row->citation}, "not listed");
}

namespace {

/// How a package's compute capabilities cover a GPU: "listed", "same major, higher minor", "family", or "".
std::string coverage(const CcSet& set, const std::vector<std::string>& families, const Version& cc,
                     const std::optional<Fact<std::string>>& gpu_family) {
    if (fit(set, cc) == CcFit::In) return "listed";
    if (set.is_list()) {
        // cuDNN ships SASS for the listed compute capabilities; SASS runs on the same major at a higher minor.
        for (const auto& listed : set.list) {
            if (listed.major() == cc.major() && listed.minor() < cc.minor()) return "same major, higher minor";
        }
    }
    if (gpu_family && std::find(families.begin(), families.end(), gpu_family->value) != families.end()) return "family";
    return {};
}

}  // namespace

Answer KnowledgeBase::cudnn_supports_cc(const Version& cudnn, const Version& cc_in) const {
    if (!cudnn_is_release(cudnn)) return not_a_release(cudnn);
    if (const auto unrecorded = cudnn_row_not_recorded(cudnn)) return row_not_recorded(*unrecorded, cudnn);
    Answer a = cudnn_supports_cc_row(cudnn, cc_in, cudnn_release(cudnn));
    const auto row = cudnn_release(cudnn);
    if (!row || row->exact || a.unknown()) return a;
    // A release between two rows: the answer stands only where the next row agrees (9.11 lies between 9.10.2,
    // which lists 6.1, and 9.17.0, which does not).
    for (const auto& next : data_->releases) {
        if (next.version <= cudnn || !next.sourced) continue;
        CudnnRelease exact_next = next;
        exact_next.exact = true;
        const Answer b = cudnn_supports_cc_row(next.version, cc_in, exact_next);
        if (!b.unknown() && b.value != a.value) {
            std::vector<Citation> evidence = a.evidence;
            evidence.insert(evidence.end(), b.evidence.begin(), b.evidence.end());
            return answer(
                Answer::Value::Unknown,
                fmt::format("cuDNN {} lies between the matrix rows {} and {}, which disagree on compute "
                            "capability {} ({}; {})",
                            cudnn.str(), row->label(), next.label(), major_minor(cc_in).str(), a.reason, b.reason),
                evidence);
        }
        break;
    }
    return a;
}

Answer KnowledgeBase::cudnn_supports_cc_row(const Version& cudnn, const Version& cc_in,
                                            const std::optional<CudnnRelease>& row) const {
    const Version cc = major_minor(cc_in);
    if (!row)
        return answer(Answer::Value::Unknown,
                      fmt::format("cuDNN {} is older than every known matrix row", cudnn.str()));
    const std::string label = row_label(cudnn, *row);
    if (!row->sourced) {
        return answer(Answer::Value::Unknown,
                      fmt::format("{}: its support matrix is unsourced ({})", label, row->citation.note),
                      {row->citation});
    }
    const auto family = architecture_family(cc);
    struct Set {
        std::optional<CcSet> cc;
        std::vector<std::string> families;
    };
    std::vector<Set> sets;
    if (row->packages.empty()) sets.push_back({row->cc, row->architectures});
    for (const auto& p : row->packages) {
        sets.push_back({p.cc ? p.cc : row->cc, p.architectures.empty() ? row->architectures : p.architectures});
    }
    bool unknown_set = false;
    bool above = false;
    std::vector<std::string> described;
    for (const auto& set : sets) {
        if (!set.cc) {
            unknown_set = true;
            continue;
        }
        described.push_back(set.cc->str());
        const std::string rule = coverage(*set.cc, set.families, cc, family);
        if (!rule.empty()) {
            std::vector<Citation> evidence = {row->citation};
            if (rule == "same major, higher minor" && data_->sass_rule) evidence.push_back(data_->sass_rule->citation);
            if (rule == "family") evidence.push_back(family->citation);
            const std::string how =
                rule == "listed" ? fmt::format("listed ({})", set.cc->str())
                : rule == "family"
                    ? fmt::format("the row names the {} architecture, and {} is {}", family->value, cc.str(),
                                  family->value)
                    : fmt::format(
                          "{} is of the same major as a listed compute capability ({}) with a higher minor: "
                          "its SASS runs there",
                          cc.str(), set.cc->str());
            return answer(Answer::Value::Yes,
                          fmt::format("{} supports compute capability {}: {}", label, cc.str(), how), evidence, rule);
        }
        above = above || fit(*set.cc, cc) == CcFit::Above;
    }
    std::sort(described.begin(), described.end());
    described.erase(std::unique(described.begin(), described.end()), described.end());
    if (unknown_set || (!row->exact && above)) {
        return answer(Answer::Value::Unknown,
                      fmt::format("{}: compute capability {} is not in what is known ({}){}", label, cc.str(),
                                  described.empty() ? "nothing" : join(described, "; "),
                                  row->exact ? "" : ", and no row for this release itself is known"),
                      {row->citation});
    }
    return answer(Answer::Value::No,
                  fmt::format("{} does not support compute capability {}: it supports {}{}", label, cc.str(),
                              join(described, "; "), row->citation.note.empty() ? "" : " (" + row->citation.note + ")"),
                  {row->citation}, "listed");
}

Answer KnowledgeBase::cudnn_driver(const Version& cudnn, const Version& cuda, const Version& driver,
                                   const std::optional<Version>& cc) const {
    if (!cudnn_is_release(cudnn)) return not_a_release(cudnn);
    if (const auto unrecorded = cudnn_row_not_recorded(cudnn)) return row_not_recorded(*unrecorded, cudnn);
    const auto row = cudnn_release(cudnn);
    if (!row || !row->sourced || !row->exact) {
        return answer(Answer::Value::Unknown,
                      fmt::format("no sourced support-matrix row for cuDNN {}{}", cudnn.str(),
                                  row ? fmt::format(" (nearest row {} is not this release)", row->label()) : ""),
                      row ? std::vector{row->citation} : std::vector<Citation>{});
    }
    const auto family = cc ? architecture_family(*cc) : std::nullopt;
    struct Floor {
        const CudnnPackage* package;
        Version min;
    };
    std::vector<Floor> floors;
    bool missing = false;
    for (const auto& p : row->packages) {
        if (!covers(p, cuda)) continue;
        if (cc) {
            const auto set = p.cc ? p.cc : row->cc;
            if (!set) continue;
            const auto& families = p.architectures.empty() ? row->architectures : p.architectures;
            if (coverage(*set, families, major_minor(*cc), family).empty()) continue;
        }
        if (!p.min_driver_linux) {
            missing = true;
            continue;
        }
        floors.push_back({&p, *p.min_driver_linux});
    }
    const std::string gpu = cc ? fmt::format(" on compute capability {}", major_minor(*cc).str()) : "";
    if (floors.empty()) {
        return answer(Answer::Value::Unknown,
                      fmt::format("cuDNN {} has no package for CUDA {}{} with a sourced minimum Linux driver{}",
                                  cudnn.str(), major_minor(cuda).str(), gpu, missing ? " (the row gives none)" : ""),
                      {row->citation});
    }
    std::sort(floors.begin(), floors.end(), [](const auto& a, const auto& b) { return a.min < b.min; });
    const Floor& lowest = floors.front();
    const Floor& highest = floors.back();
    auto describe = [&](const Floor& f) {
        return fmt::format("{} ({}, CUDA {}) needs >= {}", f.package->name.empty() ? "the package" : f.package->name,
                           f.package->cc ? f.package->cc->str() : (row->cc ? row->cc->str() : "?"),
                           f.package->cuda_str(), f.min.str());
    };
    if (driver >= highest.min || (cc && driver >= lowest.min)) {
        return answer(Answer::Value::Yes,
                      fmt::format("driver {} meets cuDNN {}'s minimum for CUDA {}{}: {}", driver.str(), cudnn.str(),
                                  major_minor(cuda).str(), gpu, describe(lowest)),
                      {row->citation}, cc ? "driver floor of the GPU's package" : "driver floor of every package");
    }
    if (driver < lowest.min) {
        return answer(Answer::Value::No,
                      fmt::format("cuDNN {} for CUDA {}{} needs driver >= {} and driver {} is older ({}); install "
                                  "driver {} or newer",
                                  cudnn.str(), major_minor(cuda).str(), gpu, lowest.min.str(), driver.str(),
                                  describe(lowest), lowest.min.str()),
                      {row->citation}, cc ? "driver floor of the GPU's package" : "driver floor of every package");
    }
    std::vector<std::string> all;
    for (const auto& f : floors) all.push_back(describe(f));
    return answer(Answer::Value::Unknown,
                  fmt::format("driver {} is enough for some of cuDNN {}'s CUDA {} packages and not others ({}): it "
                              "depends on the GPU; give --gpu",
                              driver.str(), cudnn.str(), major_minor(cuda).str(), join(all, "; ")),
                  {row->citation});
}

bool KnowledgeBase::cudnn_is_release(const Version& cudnn) const {
    // Asked first by every support, driver and GPU question: the releases are looked at where they are, not through
    // cudnn_known_releases()'s sorted copy.
    const std::size_t depth = std::min<std::size_t>(cudnn.parts().size(), 3);
    const Version wanted = cudnn.truncated(3);
    return any_known_release(*data_,
                             [&](const Version& known, const Citation&) { return known.truncated(depth) == wanted; });
}

std::optional<Fact<Version>> KnowledgeBase::cudnn_row_not_recorded(const Version& cudnn) const {
    return find_fact(data_->rows_not_recorded, [&](const Version& v) { return v == cudnn.truncated(3); });
}

Answer KnowledgeBase::row_not_recorded(const Fact<Version>& statement, const Version& cudnn) const {
    const CudnnRelease* below = nullptr;
    const CudnnRelease* above = nullptr;
    for (const auto& row : data_->releases) {
        if (row.version <= cudnn) below = &row;
        if (!above && row.version > cudnn) above = &row;
    }
    const std::string nearest =
        below || above
            ? fmt::format("; the nearest recorded rows ({}{}{}) are other releases' and decide nothing for it",
                          below ? below->label() + " below" : "", below && above ? ", " : "",
                          above ? above->label() + " above" : "")
            : "";
    return answer(
        Answer::Value::Unknown,
        fmt::format("cuDNN {}'s own support-matrix row is not recorded ({}){}", cudnn.truncated(3).str(),
                    statement.citation.note.empty() ? "cudnn.yaml rows_not_recorded" : statement.citation.note,
                    nearest),
        {statement.citation}, "row not recorded");
}

Answer KnowledgeBase::not_a_release(const Version& cudnn) const {
    const auto known = cudnn_known_releases();
    return answer(Answer::Value::Unknown,
                  fmt::format("cuDNN {} is no release the knowledge base knows (its releases run {} to {}): never "
                              "released, or newer than the facts",
                              cudnn.str(), known.empty() ? "-" : known.front().value.str(),
                              known.empty() ? "-" : known.back().value.str()),
                  {}, "not released");
}

std::optional<Fact<std::vector<std::string>>> KnowledgeBase::cudnn_sublibraries(int major) const {
    for (const auto& entry : data_->sublibraries) {
        if (entry.major == major && !entry.from) return Fact<std::vector<std::string>>{entry.libraries, entry.citation};
    }
    return std::nullopt;
}

std::optional<Fact<std::vector<std::string>>> KnowledgeBase::cudnn_sublibraries(const Version& cudnn) const {
    auto fact = cudnn_sublibraries(cudnn.major());
    if (!fact) return std::nullopt;
    for (const auto& entry : data_->sublibraries) {
        if (entry.major == cudnn.major() && entry.from && *entry.from <= cudnn) {
            fact->value.insert(fact->value.end(), entry.libraries.begin(), entry.libraries.end());
            fact->citation = entry.citation;
            fact->citation.note =
                fmt::format("cuDNN {} sub-libraries plus those added in {}", cudnn.major(), entry.from->str());
        }
    }
    return fact;
}

Answer KnowledgeBase::cudnn_compatible(const Version& built, const Version& loaded, std::string_view framework) const {
    if (!data_->compat_rule)
        return answer(Answer::Value::Unknown, "the knowledge base has no cuDNN compatibility rule");
    const auto& rule = *data_->compat_rule;
    for (const auto& exception : data_->compat_exceptions) {
        if (exception.applies_to == framework && loaded.truncated(3) == exception.loaded &&
            built.truncated(3) != exception.loaded) {
            return answer(Answer::Value::No,
                          fmt::format("built against cuDNN {}, loaded {}: {} refuses it: {}", dotted3(built),
                                      dotted3(loaded), framework, exception.text),
                          {exception.citation}, "framework exception");
        }
    }
    const bool same_major = built.major() == loaded.major();
    const bool minor_ok = built.major() < rule.minor_backward_from_major ? loaded.minor() == built.minor()
                                                                         : loaded.minor() >= built.minor();
    std::vector<Citation> evidence = {rule.citation};
    if (same_major && minor_ok) {
        return answer(
            Answer::Value::Yes,
            fmt::format("built against cuDNN {}, loaded {}: same major and {} minor, which cuDNN keeps binary "
                        "compatible",
                        dotted3(built), dotted3(loaded), loaded.minor() == built.minor() ? "the same" : "a newer"),
            evidence, "minor backward compatibility");
    }
    std::string why = !same_major ? "API compatibility is not guaranteed across major versions"
                      : built.major() < rule.minor_backward_from_major
                          ? "before cuDNN 7 the minor versions must match"
                          : "an application built against a newer minor is not guaranteed to work with an older one";
    std::string reason = fmt::format("built against cuDNN {}, loaded {}: {}", dotted3(built), dotted3(loaded), why);
    if (data_->pytorch_message) {
        reason += ". PyTorch: " + format_message(data_->pytorch_message->value, built, loaded);
        evidence.push_back(data_->pytorch_message->citation);
    }
    return answer(Answer::Value::No, reason, evidence,
                  !same_major ? "different major" : "minor backward compatibility");
}

std::optional<Fact<long>> KnowledgeBase::cudnn_version_major_factor(int major) const {
    for (const auto& e : data_->encodings) {
        if ((!e.from_major || major >= *e.from_major) && (!e.until_major || major <= *e.until_major)) {
            return Fact<long>{e.major_factor, e.citation};
        }
    }
    return std::nullopt;
}

}  // namespace cuconform::knowledge
