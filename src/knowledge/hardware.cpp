// SPDX-License-Identifier: Apache-2.0
/// \file Questions about hardware (hardware.yaml): feature thresholds, GPU names, architecture families, SASS
/// compatibility.
#include <fmt/format.h>

#include <algorithm>

#include "knowledge/data.h"

namespace cuconform::knowledge {
using namespace detail;

std::optional<Fact<Version>> KnowledgeBase::feature_min_cc(std::string_view feature) const {
    const std::string key = feature_key(feature);
    for (const auto& f : data_->features) {
        if (std::find(f.keys.begin(), f.keys.end(), key) != f.keys.end()) return Fact<Version>{f.min_cc, f.citation};
    }
    return std::nullopt;
}

Answer KnowledgeBase::has_feature(std::string_view feature, const Version& cc) const {
    const auto min = feature_min_cc(feature);
    if (!min)
        return answer(Answer::Value::Unknown, fmt::format("no sourced compute-capability threshold for '{}'", feature));
    if (major_minor(cc) >= min->value) {
        return answer(Answer::Value::Yes,
                      fmt::format("{} needs compute capability >= {}; {} has it", feature, min->value.str(),
                                  major_minor(cc).str()),
                      {min->citation}, "feature threshold");
    }
    return answer(Answer::Value::No,
                  fmt::format("no hardware support: {} needs compute capability >= {}, and {} is below it", feature,
                              min->value.str(), major_minor(cc).str()),
                  {min->citation}, "feature threshold");
}

std::optional<Fact<Gpu>> KnowledgeBase::gpu(std::string_view name) const {
    const std::vector<std::string> query = gpu_tokens(name);
    const GpuRow* best = nullptr;
    std::size_t best_length = 0;
    for (const auto& row : data_->gpus) {
        for (const auto& tokens : row.names) {
            const bool prefix =
                tokens.size() <= query.size() && std::equal(tokens.begin(), tokens.end(), query.begin());
            if (prefix && tokens.size() > best_length) {
                best = &row;
                best_length = tokens.size();
            }
        }
    }
    if (!best) return std::nullopt;
    return best->gpu;
}

std::vector<Fact<Gpu>> KnowledgeBase::gpus() const {
    std::vector<Fact<Gpu>> out;
    for (const auto& row : data_->gpus) out.push_back(row.gpu);
    return out;
}

std::optional<Fact<std::string>> KnowledgeBase::architecture_family(const Version& cc) const {
    for (const auto& family : data_->architectures) {
        if (std::find(family.cc.begin(), family.cc.end(), major_minor(cc)) != family.cc.end()) {
            return Fact<std::string>{family.name, family.citation};
        }
    }
    return std::nullopt;
}

std::optional<Fact<std::string>> KnowledgeBase::sass_compatibility_rule() const { return data_->sass_rule; }

}  // namespace cuconform::knowledge
