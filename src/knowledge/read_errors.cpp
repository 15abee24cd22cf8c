// SPDX-License-Identifier: Apache-2.0
/// \file errors.yaml: cudaError_t, CUresult and cudnnStatus_t codes.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "knowledge/reader.h"

namespace cuconform::knowledge::detail {

namespace {

int line_of(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

void read_codes(FileReader& r, const std::vector<YAML::Node>& nodes, std::vector<Fact<ErrorCode>>& out,
                const std::string& kind, bool runtime) {
    for (const auto& node : nodes) {
        if (runtime) {
            r.check_fact_keys(node, "an error", {"name", "code"}, {"meaning", "driver", "former"});
        } else {
            r.check_fact_keys(node, "an error", {"name", "code"}, {});
        }
        ErrorCode error;
        error.name = r.text(node, "name", "an error");
        error.code = r.integer(node["code"], "'code' of " + error.name);
        error.meaning = r.text(node, "meaning", error.name);
        error.twin = r.text(node, "driver", error.name);
        for (const auto& other : out) {
            if (other.value.name == error.name || other.value.code == error.code) {
                r.fail(node,
                       fmt::format("{} ({}) repeats the name or number of {} ({}) at line {}; keep one", error.name,
                                   error.code, other.value.name, other.value.code, other.citation.line));
            }
        }
        const Citation c = r.cite(node, error.name);
        r.record(kind, error.name, c);
        if (const YAML::Node former = node["former"]) {
            r.check_fact_keys(former, "'former' of " + error.name, {"code"}, {});
            r.integer(former["code"], "'former' code of " + error.name);
            r.record(kind + ".former", error.name, r.cite(former, "the former code of " + error.name));
        }
        out.push_back({error, c});
    }
}

}  // namespace

void read_errors(FileReader& r, const YAML::Node& root) {
    auto& data = r.data();
    read_codes(r, r.section(root, "cuda_runtime"), data.runtime_errors, "error.cuda_runtime", true);
    read_codes(r, r.section(root, "cuda_driver"), data.driver_errors, "error.cuda_driver", false);
    for (const auto& runtime : data.runtime_errors) {
        const auto& twin = runtime.value.twin;
        if (twin.empty()) continue;
        const bool listed = std::any_of(data.driver_errors.begin(), data.driver_errors.end(),
                                        [&](const auto& d) { return d.value.name == twin; });
        if (!listed) {
            r.fail_line(runtime.citation.line,
                        fmt::format("{} names the driver twin {}, which cuda_driver does not list; add it there or fix "
                                    "the name",
                                    runtime.value.name, twin));
        }
    }

    std::map<int, std::vector<std::optional<Version>>> seen_groups;  ///< major -> the `from` of each group
    for (const auto& node : r.section(root, "cudnn_status")) {
        r.check_fact_keys(node, "a cudnn_status group", {"major", "codes"}, {"deprecated", "from"});
        const int major = static_cast<int>(r.integer(node["major"], "'major' of a cudnn_status group"));
        // A group with `from` holds the codes a later release added: its headers define them, earlier ones do not.
        const auto from = r.optional_version(node, "from", "a cudnn_status group");
        if (from && from->major() != major)
            r.fail(node["from"], fmt::format("'from' {} is not a cuDNN {} release", from->str(), major));
        const std::string what = from ? fmt::format("cuDNN {} status codes from {}", major, from->str())
                                      : fmt::format("cuDNN {} status codes", major);
        auto& groups = seen_groups[major];
        if (std::find(groups.begin(), groups.end(), from) != groups.end())
            r.fail(node, fmt::format("{} are listed twice; keep one group", what));
        groups.push_back(from);
        const Citation group = r.cite(node, what);
        auto& statuses = data.cudnn_statuses[major];
        for (const auto& [key, deprecated] : {std::pair{"codes", false}, std::pair{"deprecated", true}}) {
            const YAML::Node codes = node[key];
            if (!codes) continue;
            if (!codes.IsMap()) r.fail(codes, fmt::format("'{}' of {} must map names to numbers", key, what));
            for (const auto& kv : codes) {
                ErrorCode status;
                status.name = kv.first.Scalar();
                status.code = r.integer(kv.second, status.name);
                status.deprecated = deprecated;
                status.from = from;
                if (!status.name.starts_with("CUDNN_STATUS_")) {
                    r.fail(kv.first,
                           fmt::format("'{}' in {} is not a cudnnStatus_t name (CUDNN_STATUS_...)", status.name, what));
                }
                for (const auto& other : statuses) {
                    const bool same_number = !deprecated && !other.value.deprecated && other.value.code == status.code;
                    if (other.value.name == status.name || same_number) {
                        r.fail(kv.first,
                               fmt::format("{} = {} in {} repeats {} = {} at line {}; keep one", status.name,
                                           status.code, what, other.value.name, other.value.code, other.citation.line));
                    }
                }
                Citation c = group;
                c.line = line_of(kv.first);
                r.record("error.cudnn_status", fmt::format("{}:{}", major, status.name), c);
                statuses.push_back({status, c});
            }
        }
        if (major >= 9) {  // code = category (thousands) + specific error; the category has its own name.
            for (auto& status : statuses) {
                const long category = status.value.code / 1000 * 1000;
                for (const auto& other : statuses) {
                    if (!other.value.deprecated && other.value.code == category)
                        status.value.category = other.value.name;
                }
            }
        }
    }
}

}  // namespace cuconform::knowledge::detail
