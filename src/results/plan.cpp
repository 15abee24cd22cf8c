// SPDX-License-Identifier: Apache-2.0
/// \file matrix.json to and from JSON, and merging the plans of several runs.
#include "results/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/files.h"
#include "results/record_io.h"
#include "results/store.h"

namespace cuconform::results {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::pair<CellStatus, std::string_view> kStatusNames[] = {{CellStatus::Pending, "pending"},
                                                                    {CellStatus::Skipped, "skipped"},
                                                                    {CellStatus::ProvisionFailed, "provision-failed"},
                                                                    {CellStatus::HarnessError, "harness-error"},
                                                                    {CellStatus::Ran, "ran"}};

json cell_json(const PlannedCell& c) {
    return {{"id", c.id},
            {"status", to_string(c.status)},
            {"exit", c.exit ? json(*c.exit) : json()},
            {"reason", c.reason},
            {"matrix", c.matrix}};
}

}  // namespace

std::string_view to_string(CellStatus status) {
    for (const auto& [s, name] : kStatusNames) {
        if (s == status) return name;
    }
    return "pending";
}

std::optional<CellStatus> parse_cell_status(std::string_view text) {
    for (const auto& [s, name] : kStatusNames) {
        if (name == text) return s;
    }
    return std::nullopt;
}

std::string PlannedCell::axis(const std::string& key) const {
    const auto it = matrix.find(key);
    return it != matrix.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json to_json(const MatrixPlan& plan) {
    json cells = json::array();
    for (const auto& c : plan.cells) cells.push_back(cell_json(c));
    json j{{"scope", plan.scope}, {"cells", cells}};
    if (!plan.file.empty()) j["file"] = plan.file;
    j["name"] = plan.name;
    if (!plan.build.empty()) j["build"] = plan.build;
    if (!plan.host.empty()) j["host"] = plan.host;
    return j;
}

MatrixPlan parse_plan(const json& j, const std::string& source) {
    const Fields f(j, "");
    MatrixPlan plan;
    plan.file = f.string_or("file", "");
    plan.name = f.string_or("name", "");
    plan.scope = f.string_or("scope", "");
    if (const auto build = f.optional_object("build")) plan.build = build->raw();
    if (const auto host = f.optional_object("host")) plan.host = host->raw();
    const json& cells = f.at("cells");
    if (!cells.is_array()) f.fail("cells", "expected a list, found " + kind_of(cells));
    const std::string matrix_name = plan.name.empty() ? plan.file : plan.name;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const Fields c(cells[i], fmt::format("cells[{}]", i));
        PlannedCell cell;
        cell.id = c.string("id");
        if (cell.id.empty()) c.fail("id", "is empty");
        const std::string status = c.string_or("status", "pending");
        const auto parsed = parse_cell_status(status);
        if (!parsed) c.fail("status", fmt::format("\"{}\" is not a cell status", status));
        cell.status = *parsed;
        if (const auto exit = c.optional_integer("exit")) cell.exit = static_cast<int>(*exit);
        cell.reason = c.string_or("reason", "");
        if (const auto matrix = c.optional_object("matrix")) cell.matrix = matrix->raw();
        cell.matrix_name = matrix_name;
        cell.source = source;
        plan.cells.push_back(std::move(cell));
    }
    return plan;
}

std::vector<PlannedCell> load_plans(const std::vector<fs::path>& paths, std::vector<std::string>& warnings) {
    std::vector<fs::path> files;
    for (const auto& path : paths) {
        const auto found = find_named_files(path, "matrix.json", warnings);
        files.insert(files.end(), found.begin(), found.end());
    }
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    std::map<std::string, std::pair<PlannedCell, std::string>> best;  // id -> (cell, its serialised record)
    for (const auto& file : files) {
        MatrixPlan plan;
        try {
            plan = parse_plan(parse_json(read_file(file), file.string()), file.string());
        } catch (const std::exception& e) {
            warnings.push_back(fmt::format("{}: not a matrix.json of `cuconform matrix run` ({}); repair or remove it",
                                           file.string(), e.what()));
            continue;
        }
        for (auto& cell : plan.cells) {
            std::string text = cell_json(cell).dump();
            auto rank = [](const PlannedCell& c, const std::string& t) {
                return std::make_pair(static_cast<int>(c.status), t);
            };
            auto it = best.find(cell.id);
            if (it == best.end()) {
                const std::string id = cell.id;
                best.emplace(id, std::make_pair(std::move(cell), std::move(text)));
            } else if (rank(it->second.first, it->second.second) < rank(cell, text)) {
                it->second = {std::move(cell), std::move(text)};
            }
        }
    }
    std::vector<PlannedCell> out;
    out.reserve(best.size());
    for (auto& [id, entry] : best) out.push_back(std::move(entry.first));
    return out;
}

}  // namespace cuconform::results
