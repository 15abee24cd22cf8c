// SPDX-License-Identifier: Apache-2.0
/// \file toolkits.yaml: minor version compatibility per CUDA major; per toolkit its minimum driver, PTX ISA,
/// architectures and the evidence that it was released.
#include <fmt/format.h>

#include "knowledge/reader.h"

namespace cuconform::knowledge::detail {

namespace {

DriverFact read_driver(FileReader& r, const YAML::Node& node, const Version& toolkit, const std::string& toolkit_what) {
    const std::string what = "driver of " + toolkit_what;
    r.check_fact_keys(node, what, {}, {"linux", "windows", "updates"});
    DriverFact driver;
    driver.citation = r.cite(node, what);
    r.record("toolkit.driver", toolkit.str(), driver.citation);
    if (!driver.citation.sourced()) return driver;
    if (!node["linux"]) r.fail(node, fmt::format("{} has no 'linux' minimum; add it (release notes Table 3)", what));
    driver.linux_min = r.optional_version(node, "linux", what);
    r.optional_version(node, "windows", what);  // validated; the questions are about Linux
    if (const YAML::Node updates = node["updates"]) {
        if (!updates.IsMap()) r.fail(updates, fmt::format("'updates' of {} must map update releases to drivers", what));
        for (const auto& kv : updates) {
            const Version release = r.version(kv.first, "an update release of " + what);
            if (major_minor(release) != toolkit || release.parts().size() != 3) {
                r.fail(kv.first, fmt::format("update {} is not a {} update release: write {}.N", release.str(),
                                             toolkit.str(), toolkit.str()));
            }
            if (!driver.updates.empty() && driver.updates.back().first >= release) {
                r.fail(kv.first, fmt::format("update {} of {}: list updates once, oldest first", release.str(), what));
            }
            driver.updates.emplace_back(release, r.version(kv.second, "the driver of update " + release.str()));
        }
    }
    return driver;
}

ArchFact read_archs(FileReader& r, const YAML::Node& node, const std::string& toolkit,
                    std::map<std::string, std::pair<int, int>>& state) {
    const std::string what = "archs of toolkit " + toolkit;
    r.check_fact_keys(node, what, {}, {"add", "remove"});
    ArchFact archs;
    archs.citation = r.cite(node, what);
    r.record("toolkit.archs", toolkit, archs.citation);
    if (!archs.citation.sourced()) return archs;
    for (const auto& [key, accepted] : {std::pair{"add", true}, std::pair{"remove", false}}) {
        const YAML::Node items = node[key];
        if (!items) continue;
        for (const auto& item : r.list(items, fmt::format("'{}' of {}", key, what))) {
            const std::string arch = r.scalar(item, "an architecture of " + what);
            if (!split_arch(arch)) {
                r.fail(item, fmt::format("bad architecture '{}' in {}: write sm_XX, sm_XXa or sm_XXf", arch, what));
            }
            const auto found = state.find(arch);
            const bool was_accepted = found != state.end() && found->second.first;
            if (accepted && was_accepted) {
                r.fail(item, fmt::format("{} adds {}, which is already accepted since line {}; remove it here", what,
                                         arch, found->second.second));
            }
            if (!accepted && !was_accepted) {
                r.fail(item,
                       fmt::format("{} removes {}, which no earlier toolkit accepts; check the name", what, arch));
            }
            state[arch] = {accepted, item.Mark().line + 1};
            (accepted ? archs.add : archs.remove).push_back(arch);
        }
    }
    return archs;
}

}  // namespace

void read_toolkits(FileReader& r, const YAML::Node& root) {
    auto& data = r.data();
    for (const auto& node : r.section(root, "families")) {
        r.check_fact_keys(node, "a family", {"major"}, {"minor_version_compat", "min_driver", "below_driver"});
        Family family;
        family.major = static_cast<int>(r.integer(node["major"], "'major' of a family"));
        const std::string what = fmt::format("family CUDA {}.x", family.major);
        family.citation = r.cite(node, what, {"major"});
        for (const auto& other : data.families) {
            if (other.major == family.major) {
                r.fail(node, fmt::format("{} is listed twice (first at line {}); keep one", what, other.citation.line));
            }
        }
        r.record("toolkit.family", std::to_string(family.major), family.citation);
        if (!family.citation.sourced()) continue;
        if (!node["minor_version_compat"])
            r.fail(node, fmt::format("{} has no 'minor_version_compat'; add true or false", what));
        family.minor_version_compat = r.boolean(node["minor_version_compat"], "'minor_version_compat' of " + what);
        family.min_driver = r.optional_version(node, "min_driver", what);
        r.optional_version(node, "below_driver", what);
        if (family.minor_version_compat && !family.min_driver) {
            r.fail(node, fmt::format("{} has minor version compatibility but no min_driver; add it (release notes "
                                     "Table 2)",
                                     what));
        }
        data.families.push_back(family);
    }

    std::map<std::string, std::pair<int, int>> arch_state;  ///< arch -> (accepted?, line of its last change)
    for (const auto& node : r.section(root, "toolkits")) {
        r.check_keys(node, "a toolkit", {"version"}, {"driver", "ptx_isa", "released", "archs", "note"});
        Toolkit toolkit;
        toolkit.version = r.version(node["version"], "a toolkit");
        const std::string key = toolkit.version.str();
        const std::string what = "toolkit " + key;
        if (toolkit.version.parts().size() != 2) {
            r.fail(node["version"],
                   fmt::format("{}: write the toolkit as major.minor; updates go under driver.updates", what));
        }
        if (!data.toolkits.empty() && data.toolkits.back().version >= toolkit.version) {
            r.fail(node["version"], fmt::format("{} comes after {}: list each toolkit once, oldest first", what,
                                                data.toolkits.back().version.str()));
        }
        if (const YAML::Node d = node["driver"]) toolkit.driver = read_driver(r, d, toolkit.version, what);
        if (const YAML::Node p = node["ptx_isa"]) {
            r.check_fact_keys(p, "ptx_isa of " + what, {}, {"version"});
            Fact<Version> fact{{}, r.cite(p, "ptx_isa of " + what)};
            if (fact.citation.sourced()) {
                if (!p["version"]) r.fail(p, fmt::format("ptx_isa of {} has no 'version'; add it", what));
                fact.value = r.version(p["version"], "ptx_isa of " + what);
            }
            r.record("toolkit.ptx_isa", key, fact.citation);
            toolkit.ptx_isa = fact;
        }
        if (const YAML::Node rel = node["released"]) {
            r.check_fact_keys(rel, "released of " + what, {}, {"date"});
            const Citation c = r.cite(rel, "released of " + what);
            if (c.sourced()) {
                if (rel["date"]) r.check_date(rel["date"], "released of " + what);
                toolkit.released = c;
            }
            r.record("toolkit.released", key, c);
        }
        if (const YAML::Node a = node["archs"]) toolkit.archs = read_archs(r, a, key, arch_state);
        data.toolkits.push_back(std::move(toolkit));
    }
}

}  // namespace cuconform::knowledge::detail
