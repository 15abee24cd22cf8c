// SPDX-License-Identifier: Apache-2.0
/// \file The matrix-coverage view: which values of each matrix axis the cells with results exercised, which planned
/// values no cell exercised (and why their cells did not run), and what the knowledge base knows beyond the matrix.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>
#include <set>

#include "core/version.h"
#include "report/report.h"

namespace cuconform::report {
namespace {

struct AxisSpec {
    const char* axis;
    const char* title;
};

constexpr AxisSpec kAxes[] = {
    {"toolkit", "CUDA toolkit the catalogue is compiled with"},
    {"toolkit_cudnn", "cuDNN headers the catalogue is compiled with"},
    {"cuda", "CUDA runtime of the run stack"},
    {"cudnn", "cuDNN of the run stack"},
    {"runner", "Runner class"},
    {"gpu", "GPU architecture the cases ran on (measured)"},
};

/// "9.19.0" -> "9.19": matrix files name releases by major.minor, fingerprints measure the patch too.
std::string major_minor(const std::string& version) {
    const auto first = version.find('.');
    if (first == std::string::npos) return version;
    const auto second = version.find('.', first + 1);
    return second == std::string::npos ? version : version.substr(0, second);
}

/// "9.0" -> "sm_90"; "none" stays.
std::string sm_name(const std::string& cc) {
    const auto v = Version::parse(cc);
    if (!v || v->parts().size() < 2) return cc;
    return fmt::format("sm_{}{}", v->major(), v->minor());
}

/// Axis values of a cell with results: what the matrix asked for (cell.json "matrix", else its matrix.json entry),
/// else what it measured.
std::map<std::string, std::string> axes_of(const Cell& cell, const PlannedCell* planned) {
    std::map<std::string, std::string> out;
    const nlohmann::json* asked =
        cell.record.matrix.is_object() && !cell.record.matrix.empty() ? &cell.record.matrix : nullptr;
    auto pick = [&](const char* key, const std::string& measured) {
        std::string value;
        if (asked != nullptr && asked->contains(key) && (*asked)[key].is_string()) {
            value = (*asked)[key].get<std::string>();
        } else if (planned != nullptr) {
            value = planned->axis(key);
        }
        out[key] = value.empty() ? major_minor(measured) : value;
    };
    pick("toolkit", cell.toolkit_cuda);
    pick("toolkit_cudnn", cell.toolkit_cudnn);
    pick("cuda", cell.stack_cuda);
    pick("cudnn", cell.stack_cudnn);
    pick("runner", "");
    out["gpu"] = cell.compute_capability() == "none" ? "none" : sm_name(cell.compute_capability());
    return out;
}

/// Versions numerically ("9.2" before "9.10"), then anything else as text.
bool value_less(const std::string& a, const std::string& b) {
    const auto va = Version::parse(a), vb = Version::parse(b);
    if (va && vb) return *va < *vb || (*va == *vb && a < b);
    if (va || vb) return static_cast<bool>(va);
    return a < b;
}

std::string citation_text(const knowledge::Citation& c) {
    return c.url().empty() ? c.where() : fmt::format("{} ({})", c.where(), c.url());
}

}  // namespace

std::size_t Coverage::unexercised() const {
    std::size_t n = 0;
    for (const auto& axis : axes) {
        for (const auto& value : axis.values) n += !value.exercised();
    }
    return n;
}

Coverage matrix_coverage(const ResultSet& set, const knowledge::KnowledgeBase* kb) {
    Coverage coverage;
    std::vector<bool> has_results(set.cells.size(), false);
    for (const auto& r : set.results) has_results[r.cell] = true;
    std::map<std::string, const PlannedCell*> plan;
    for (const auto& planned : set.planned) plan.emplace(planned.id, &planned);
    std::set<std::string> ran;
    std::vector<std::map<std::string, std::string>> cell_axes;
    for (std::size_t i = 0; i < set.cells.size(); ++i) {
        if (!has_results[i]) continue;
        ran.insert(set.cells[i].id);
        const auto it = plan.find(set.cells[i].id);
        cell_axes.push_back(axes_of(set.cells[i], it == plan.end() ? nullptr : it->second));
        cell_axes.back()["\x01id"] = set.cells[i].id;
    }
    for (const auto& planned : set.planned) {
        if (!ran.contains(planned.id)) coverage.not_run.push_back(planned);
    }
    std::set<std::string> toolkits;  // for the architectures their nvcc compiles for
    for (const auto& spec : kAxes) {
        AxisCoverage axis;
        axis.axis = spec.axis;
        axis.title = spec.title;
        std::map<std::string, AxisCoverage::Value> values;
        for (const auto& a : cell_axes) {
            const auto it = a.find(spec.axis);
            if (it == a.end() || it->second.empty()) continue;
            auto& value = values[it->second];
            value.value = it->second;
            value.cells.push_back(a.at("\x01id"));
        }
        for (const auto& planned : coverage.not_run) {
            const std::string axis_value = planned.axis(spec.axis);
            if (axis_value.empty()) continue;
            auto& value = values[axis_value];
            value.value = axis_value;
            value.not_run.push_back(fmt::format("{} ({}): {}", planned.id, results::to_string(planned.status),
                                                planned.reason.empty() ? "no reason recorded" : planned.reason));
        }
        if (values.empty()) continue;
        for (auto& [key, value] : values) axis.values.push_back(std::move(value));
        std::sort(axis.values.begin(), axis.values.end(),
                  [](const auto& a, const auto& b) { return value_less(a.value, b.value); });
        if (axis.axis == "toolkit") {
            for (const auto& v : axis.values) toolkits.insert(v.value);
        }
        if (kb != nullptr && axis.axis == "cudnn") {
            // cuDNN releases the knowledge base knows (major.minor), that no cell ran or planned.
            std::set<std::string> seen;
            for (const auto& release : kb->cudnn_known_releases()) {
                const std::string minor = release.value.truncated(2).str();
                if (values.contains(minor) || !seen.insert(minor).second) continue;
                axis.known_elsewhere.push_back(minor);
                if (axis.known_source.empty()) axis.known_source = citation_text(release.citation);
            }
        }
        if (kb != nullptr && axis.axis == "gpu") {
            // Architectures the exercised toolkits' nvcc compiles for, on which no case ran.
            std::set<std::string> archs;
            for (const auto& toolkit : toolkits) {
                const auto v = Version::parse(toolkit);
                const auto fact = v ? kb->nvcc_archs(*v) : std::nullopt;
                if (!fact) continue;
                for (const auto& arch : fact->value) {
                    if (values.contains(arch) || !archs.insert(arch).second) continue;
                    if (axis.known_source.empty()) axis.known_source = citation_text(fact->citation);
                }
            }
            axis.known_elsewhere.assign(archs.begin(), archs.end());
            std::sort(axis.known_elsewhere.begin(), axis.known_elsewhere.end(), [](const auto& a, const auto& b) {
                return a.size() != b.size() ? a.size() < b.size() : a < b;
            });
        }
        coverage.axes.push_back(std::move(axis));
    }
    return coverage;
}

/// One line per planned cell without results and per axis value no cell exercised: what a nightly log should show.
void print_coverage(const ResultSet& set, const knowledge::KnowledgeBase* kb) {
    const Coverage coverage = matrix_coverage(set, kb);
    for (const auto& cell : coverage.not_run) {
        std::cerr << fmt::format("cuconform: cell {} has no results ({}): {}\n", cell.id,
                                 results::to_string(cell.status),
                                 cell.reason.empty() ? "no reason recorded in " + cell.source : cell.reason);
    }
    for (const auto& axis : coverage.axes) {
        std::vector<std::string> missed;
        for (const auto& value : axis.values) {
            if (!value.exercised()) missed.push_back(value.value);
        }
        if (!missed.empty()) {
            std::cerr << fmt::format("cuconform: coverage: {} {} planned but exercised by no cell\n", axis.axis,
                                     fmt::join(missed, ", "));
        }
    }
}

}  // namespace cuconform::report
