// SPDX-License-Identifier: Apache-2.0
/// \file cudnn.yaml: support-matrix rows, releases, CUDA support ends, sub-libraries, CUDNN_VERSION encoding and the
/// compatibility rule with its exceptions.
#include <fmt/format.h>

#include <algorithm>

#include "knowledge/reader.h"

namespace cuconform::knowledge::detail {

namespace {

int line_of(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

/// Architecture family names ("Hopper"), as the matrix's last column writes them.
std::vector<std::string> read_architectures(FileReader& r, const YAML::Node& node, std::string_view what) {
    auto names = r.strings(node, what);
    for (const auto& n : names) {
        if (n.empty()) r.fail(node, fmt::format("{} has an empty name", what));
    }
    return names;
}

CcSet read_cc(FileReader& r, const YAML::Node& node, std::string_view what) {
    CcSet cc;
    if (node.IsSequence()) {
        for (const auto& item : r.list(node, what)) cc.list.push_back(r.compute_capability(item, what));
        if (cc.list.empty()) r.fail(node, fmt::format("{} is an empty list: name the compute capabilities", what));
        std::sort(cc.list.begin(), cc.list.end());
        return cc;
    }
    r.check_keys(node, what, {"min"}, {"max"});
    cc.min = r.compute_capability(node["min"], what);
    if (const YAML::Node max = node["max"]) cc.max = r.compute_capability(max, what);
    if (cc.max && *cc.max < cc.min)
        r.fail(node, fmt::format("{}: max {} is below min {}", what, cc.max->str(), cc.min.str()));
    return cc;
}

CudnnPackage read_package(FileReader& r, const YAML::Node& node, std::string_view row) {
    const std::string what = fmt::format("a package of {}", row);
    r.check_keys(node, what, {"cuda"}, {"name", "cc", "architectures", "min_driver", "note"});
    CudnnPackage package;
    package.name = r.text(node, "name", what);
    package.note = r.text(node, "note", what);
    for (const auto& item : r.list(node["cuda"], "'cuda' of " + what)) {
        if (item.IsMap()) {
            r.check_keys(item, "a CUDA range of " + what, {"from", "to"}, Keys{});
            const Version from = r.version(item["from"], "a CUDA range of " + what);
            const Version to = r.version(item["to"], "a CUDA range of " + what);
            if (to < from)
                r.fail(item, fmt::format("CUDA range {} to {} of {} is backwards", from.str(), to.str(), what));
            package.cuda.emplace_back(from, to);
        } else {
            const Version v = r.version(item, "a CUDA version of " + what);
            package.cuda.emplace_back(v, v);
        }
    }
    if (package.cuda.empty()) r.fail(node, fmt::format("{} lists no CUDA version", what));
    if (const YAML::Node cc = node["cc"]) package.cc = read_cc(r, cc, "'cc' of " + what);
    if (const YAML::Node a = node["architectures"])
        package.architectures = read_architectures(r, a, "'architectures' of " + what);
    if (const YAML::Node driver = node["min_driver"]) {
        r.check_keys(driver, "'min_driver' of " + what, Keys{}, {"linux", "windows"});
        package.min_driver_linux = r.optional_version(driver, "linux", what);
        package.min_driver_windows = r.optional_version(driver, "windows", what);
    }
    return package;
}
void read_compatibility(FileReader& r, const YAML::Node& node);

}  // namespace

void read_cudnn(FileReader& r, const YAML::Node& root) {
    auto& data = r.data();
    for (const auto& node : r.section(root, "releases")) {
        r.check_fact_keys(node, "a cuDNN release", {"version"}, {"through", "cc", "architectures", "packages"});
        CudnnRelease row;
        row.version = r.version(node["version"], "a cuDNN release");
        row.through =
            node["through"] ? r.version(node["through"], "'through' of cuDNN " + row.version.str()) : row.version;
        const std::string what = "cuDNN " + row.label();
        if (!at_most(row.version, row.through)) r.fail(node, fmt::format("{}: 'through' is before 'version'", what));
        if (!data.releases.empty() && at_most(row.version, data.releases.back().through)) {
            r.fail(node["version"],
                   fmt::format("{} starts inside or before cuDNN {} (line {}): list rows once, oldest "
                               "first",
                               what, data.releases.back().label(), data.releases.back().citation.line));
        }
        row.citation = r.cite(node, what, {"version", "through"});
        row.sourced = row.citation.sourced();
        r.record("cudnn.release", row.label(), row.citation);
        if (row.sourced) {
            if (const YAML::Node cc = node["cc"]) row.cc = read_cc(r, cc, "'cc' of " + what);
            if (const YAML::Node a = node["architectures"])
                row.architectures = read_architectures(r, a, "'architectures' of " + what);
            if (const YAML::Node packages = node["packages"]) {
                for (const auto& p : r.list(packages, "'packages' of " + what))
                    row.packages.push_back(read_package(r, p, what));
            }
            if (!row.cc && row.packages.empty())
                r.fail(node, fmt::format("{} has neither 'cc' nor 'packages': add what its matrix says", what));
        }
        data.releases.push_back(std::move(row));
    }

    for (const auto& node : r.section(root, "cuda_support_ends")) {
        r.check_fact_keys(node, "a cuda_support_ends entry", {"cuda_major", "last_cudnn"}, {});
        SupportEnd end{static_cast<int>(r.integer(node["cuda_major"], "'cuda_major'")),
                       r.version(node["last_cudnn"], "'last_cudnn'"),
                       {}};
        end.citation = r.cite(node, fmt::format("the end of CUDA {}.x support", end.cuda_major));
        r.record("cudnn.cuda_support_end", std::to_string(end.cuda_major), end.citation);
        data.support_ends.push_back(end);
    }

    std::map<Version, int> known_lines;
    for (const auto& node : r.section(root, "known_releases")) {
        r.check_fact_keys(node, "a known_releases entry", {}, {"version", "versions"});
        std::vector<Version> versions;
        if (node["version"]) versions.push_back(r.version(node["version"], "a known release"));
        if (node["versions"]) {
            for (const auto& item : r.list(node["versions"], "'versions'"))
                versions.push_back(r.version(item, "a known release"));
        }
        if (versions.empty()) r.fail(node, "a known_releases entry needs `version` or `versions`");
        const Citation c = r.cite(node, "known releases");
        for (const auto& v : versions) {
            known_lines.emplace(v, line_of(node));
            r.record("cudnn.known_release", v.str(), c);
            data.known_releases.push_back({v, c});
        }
    }

    // Releases whose support-matrix row is not recorded: said, with its source, so that no answer is derived from
    // another release's row. Each must be a known release without a row of its own.
    for (const auto& node : r.section(root, "rows_not_recorded")) {
        r.check_fact_keys(node, "a rows_not_recorded entry", {"versions"}, {});
        const Citation c = r.cite(node, "releases whose support-matrix row is not recorded");
        for (const auto& item : r.list(node["versions"], "'versions'")) {
            const Version v = r.version(item, "a release whose row is not recorded");
            const bool known =
                known_lines.contains(v) || std::any_of(data.releases.begin(), data.releases.end(),
                                                       [&](const auto& row) { return row.version == v; });
            if (!known) {
                r.fail(item, fmt::format("{} is not in known_releases; add it there (pip index versions) first, or "
                                         "remove it here",
                                         v.str()));
            }
            for (const auto& row : data.releases) {
                if (row.version <= v && at_most(v, row.through)) {
                    r.fail(item, fmt::format("{} has a support-matrix row ({}, line {}); remove it from "
                                             "rows_not_recorded",
                                             v.str(), row.label(), row.citation.line));
                }
            }
            for (const auto& other : data.rows_not_recorded) {
                if (other.value == v)
                    r.fail(item, fmt::format("{} is listed twice (first at line {}); keep one", v.str(),
                                             other.citation.line));
            }
            Citation at = c;
            at.line = line_of(item);
            r.record("cudnn.row_not_recorded", v.str(), at);
            data.rows_not_recorded.push_back({v, at});
        }
    }

    for (const auto& node : r.section(root, "sublibraries")) {
        r.check_fact_keys(node, "a sublibraries entry", {"major", "libraries"}, {"from", "shim"});
        Sublibraries entry;
        entry.major = static_cast<int>(r.integer(node["major"], "'major' of a sublibraries entry"));
        entry.from = r.optional_version(node, "from", "a sublibraries entry");
        const std::string key = entry.from ? entry.from->str() : std::to_string(entry.major);
        entry.libraries = r.strings(node["libraries"], "'libraries' of cuDNN " + key);
        for (const auto& other : data.sublibraries) {
            if (other.major == entry.major && other.from == entry.from) {
                r.fail(node, fmt::format("sub-libraries of cuDNN {} are listed twice (first at line {}); keep one", key,
                                         other.citation.line));
            }
        }
        if (entry.from && entry.from->major() != entry.major) {
            r.fail(node["from"], fmt::format("'from' {} is not a cuDNN {} release", entry.from->str(), entry.major));
        }
        entry.citation = r.cite(node, "sub-libraries of cuDNN " + key);
        r.record("cudnn.sublibraries", key, entry.citation);
        data.sublibraries.push_back(entry);
    }

    for (const auto& node : r.section(root, "version_encoding")) {
        r.check_fact_keys(node, "a version_encoding entry", {"formula", "major_factor"}, {"from_major", "until_major"});
        Encoding e;
        if (node["from_major"]) e.from_major = static_cast<int>(r.integer(node["from_major"], "'from_major'"));
        if (node["until_major"]) e.until_major = static_cast<int>(r.integer(node["until_major"], "'until_major'"));
        if (!e.from_major && !e.until_major)
            r.fail(node, "a version_encoding entry needs from_major or until_major (or both)");
        e.major_factor = r.integer(node["major_factor"], "'major_factor'");
        e.citation = r.cite(node, "a version_encoding entry");
        r.record("cudnn.version_encoding", r.text(node, "formula", "a version_encoding entry"), e.citation);
        data.encodings.push_back(e);
    }

    if (const YAML::Node compat = root["compatibility"]) read_compatibility(r, compat);
}

namespace {

void read_compatibility(FileReader& r, const YAML::Node& node) {
    auto& data = r.data();
    r.check_keys(node, "'compatibility'", {"rule"}, {"exceptions", "messages"});
    const YAML::Node rule = node["rule"];
    r.check_fact_keys(rule, "the compatibility rule", {"minor_backward_from_major", "text"}, {});
    data.compat_rule =
        CompatRule{static_cast<int>(r.integer(rule["minor_backward_from_major"], "'minor_backward_from_major'")),
                   r.cite(rule, "the compatibility rule")};
    r.record("cudnn.compatibility.rule", "minor_backward", data.compat_rule->citation);

    if (const YAML::Node exceptions = node["exceptions"]) {
        for (const auto& e : r.list(exceptions, "'exceptions'")) {
            r.check_fact_keys(e, "a compatibility exception", {"loaded", "framework", "text"}, {});
            CompatException exception{r.version(e["loaded"], "'loaded' of a compatibility exception"),
                                      r.text(e, "framework", "a compatibility exception"),
                                      r.text(e, "text", "a compatibility exception"),
                                      {}};
            exception.citation = r.cite(e, "the exception for cuDNN " + exception.loaded.str());
            r.record("cudnn.compatibility.exception", exception.loaded.str(), exception.citation);
            data.compat_exceptions.push_back(exception);
        }
    }
    if (const YAML::Node messages = node["messages"]) {
        for (const auto& m : r.list(messages, "'messages'")) {
            r.check_fact_keys(m, "a compatibility message", {"framework"}, {"text"});
            const std::string framework = r.text(m, "framework", "a compatibility message");
            const Citation c = r.cite(m, framework + "'s compatibility message", {"framework"});
            r.record("cudnn.compatibility.message", framework, c);
            if (!c.sourced()) continue;
            const std::string message = r.text(m, "text", framework + "'s compatibility message");
            if (message.find("{built}") == std::string::npos || message.find("{loaded}") == std::string::npos) {
                r.fail(m, fmt::format("{}'s compatibility message needs the placeholders {{built}} and {{loaded}}",
                                      framework));
            }
            if (framework == "pytorch") data.pytorch_message = Fact<std::string>{message, c};
        }
    }
}

}  // namespace

}  // namespace cuconform::knowledge::detail
