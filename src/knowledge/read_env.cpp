// SPDX-License-Identifier: Apache-2.0
/// \file env.yaml: environment variables and their documented behaviour.
#include <fmt/format.h>

#include <algorithm>

#include "knowledge/reader.h"

namespace cuconform::knowledge::detail {

namespace {}  // namespace

void read_env(FileReader& r, const YAML::Node& root) {
    auto& data = r.data();
    for (const auto& node : r.section(root, "variables")) {
        r.check_fact_keys(node, "a variable", {"name", "behaviour"}, {"values", "default", "edge_cases"});
        EnvVar var{r.text(node, "name", "a variable"), {}, {}, {}, {}};
        const std::string what = "variable " + var.name;
        for (const auto& other : data.env) {
            if (other.value.name == var.name) {
                r.fail(node, fmt::format("{} is listed twice (first at line {}); keep one", what, other.citation.line));
            }
        }
        var.values = r.text(node, "values", what);
        var.default_value = r.text(node, "default", what);
        var.behaviour = r.text(node, "behaviour", what);
        var.edge_cases = r.text(node, "edge_cases", what);
        const Citation c = r.cite(node, what);
        r.record("env.variable", var.name, c);
        data.env.push_back({var, c});
    }
}

}  // namespace cuconform::knowledge::detail
