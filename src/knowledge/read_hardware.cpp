// SPDX-License-Identifier: Apache-2.0
/// \file hardware.yaml: the first compute capability of each feature, architecture families and GPU names.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "knowledge/reader.h"

namespace cuconform::knowledge::detail {

namespace {

int line_of(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

}  // namespace

void read_hardware(FileReader& r, const YAML::Node& root) {
    auto& data = r.data();
    std::map<std::string, int> feature_keys;
    for (const auto& node : r.section(root, "features")) {
        r.check_fact_keys(node, "a feature", {"name", "min_cc", "description"}, {"aliases"});
        Feature feature;
        const std::string name = r.text(node, "name", "a feature");
        const std::string what = "feature " + name;
        std::vector<std::string> names = {name};
        if (node["aliases"]) {
            for (const auto& alias : r.strings(node["aliases"], "'aliases' of " + what)) names.push_back(alias);
        }
        for (const auto& alias : names) {
            const std::string key = feature_key(alias);
            if (std::find(feature.keys.begin(), feature.keys.end(), key) != feature.keys.end()) continue;
            if (auto [it, inserted] = feature_keys.emplace(key, line_of(node)); !inserted) {
                r.fail(node, fmt::format("{}: the name '{}' is taken by the feature at line {}; use another", what,
                                         alias, it->second));
            }
            feature.keys.push_back(key);
        }
        feature.min_cc = r.compute_capability(node["min_cc"], "'min_cc' of " + what);
        feature.citation = r.cite(node, what);
        r.record("hardware.feature", name, feature.citation);
        data.features.push_back(std::move(feature));
    }

    std::map<std::vector<std::string>, int> gpu_names;
    for (const auto& node : r.section(root, "gpus")) {
        r.check_fact_keys(node, "a GPU", {"name", "cc"}, {"aliases", "memory"});
        GpuRow row;
        row.gpu.value.name = r.text(node, "name", "a GPU");
        const std::string what = "GPU " + row.gpu.value.name;
        std::vector<std::string> names = {row.gpu.value.name};
        if (node["aliases"]) {
            for (const auto& alias : r.strings(node["aliases"], "'aliases' of " + what)) names.push_back(alias);
        }
        for (const auto& name : names) {
            std::vector<std::string> tokens = gpu_tokens(name);
            if (tokens.empty())
                r.fail(node, fmt::format("{}: '{}' has no words to match; write the model name", what, name));
            if (std::find(row.names.begin(), row.names.end(), tokens) != row.names.end()) continue;
            if (auto [it, inserted] = gpu_names.emplace(tokens, line_of(node)); !inserted) {
                r.fail(node, fmt::format("{}: the name '{}' is taken by the GPU at line {}; keep one", what, name,
                                         it->second));
            }
            row.names.push_back(std::move(tokens));
        }
        row.gpu.value.cc = r.compute_capability(node["cc"], "'cc' of " + what);
        row.gpu.citation = r.cite(node, what);
        r.record("hardware.gpu", row.gpu.value.name, row.gpu.citation);
        if (const YAML::Node memory = node["memory"]) {
            r.check_fact_keys(memory, "memory of " + what, {"gib"}, {});
            for (const auto& item : r.list(memory["gib"], "'gib' of " + what)) {
                row.gpu.value.memory_gib.push_back(static_cast<int>(r.integer(item, "a memory size of " + what)));
            }
            row.gpu.value.memory_citation = r.cite(memory, "memory of " + what);
            r.record("hardware.gpu.memory", row.gpu.value.name, *row.gpu.value.memory_citation);
        }
        data.gpus.push_back(std::move(row));
    }
    if (const YAML::Node rule = root["binary_compatibility"]) {
        r.check_fact_keys(rule, "binary_compatibility", {"sass"}, {});
        const Citation c = r.cite(rule, "the SASS compatibility rule");
        r.record("hardware.binary_compatibility", "sass", c);
        if (r.text(rule, "sass", "binary_compatibility") != "same_major_same_or_higher_minor") {
            r.fail(rule["sass"],
                   "binary_compatibility.sass: the rule this build applies is same_major_same_or_higher_minor");
        }
        data.sass_rule = Fact<std::string>{"same_major_same_or_higher_minor", c};
    }
    std::map<std::string, int> family_cc;  ///< "9.0" -> line of the family naming it
    for (const auto& node : r.section(root, "architectures")) {
        r.check_fact_keys(node, "an architecture family", {"name", "cc"}, {});
        ArchitectureFamily family;
        family.name = r.text(node, "name", "an architecture family");
        const std::string what = "architecture family " + family.name;
        for (const auto& item : r.list(node["cc"], "'cc' of " + what)) {
            const Version cc = r.compute_capability(item, "'cc' of " + what);
            if (auto [it, inserted] = family_cc.emplace(cc.str(), line_of(node)); !inserted) {
                r.fail(item, fmt::format("{}: compute capability {} already belongs to the family at line {}", what,
                                         cc.str(), it->second));
            }
            family.cc.push_back(cc);
        }
        family.citation = r.cite(node, what);
        r.record("hardware.architecture", family.name, family.citation);
        data.architectures.push_back(std::move(family));
    }
}

}  // namespace cuconform::knowledge::detail
