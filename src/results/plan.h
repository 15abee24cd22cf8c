// SPDX-License-Identifier: Apache-2.0
/// \file matrix.json: the cells a matrix run planned and what became of each, written before the first cell runs
/// and again after each, so that a killed run still says what it planned.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cuconform::results {

/// What became of a planned cell.
enum class CellStatus { Pending, Skipped, ProvisionFailed, HarnessError, Ran };
std::string_view to_string(CellStatus status);
std::optional<CellStatus> parse_cell_status(std::string_view text);

struct PlannedCell {
    std::string id;
    CellStatus status = CellStatus::Pending;
    std::optional<int> exit;  ///< The cell's exit code once it is known.
    std::string reason;
    nlohmann::json matrix =
        nlohmann::json::object();  ///< Axis values: toolkit, toolkit_cudnn, cuda, cudnn, runner, ...
    std::string matrix_name;       ///< The plan's name (or file): which matrix planned it.
    std::string source;            ///< The matrix.json it was read from (empty when built in memory).

    /// An axis value as text ("" when the matrix does not give it).
    std::string axis(const std::string& key) const;
};

struct MatrixPlan {
    std::string file;
    std::string name;
    std::string scope;  ///< "whole matrix", "shard 1 of 4", "merged".
    nlohmann::json build = nlohmann::json::object();
    nlohmann::json host = nlohmann::json::object();
    std::vector<PlannedCell> cells;
};

nlohmann::json to_json(const MatrixPlan& plan);
MatrixPlan parse_plan(const nlohmann::json& j, const std::string& source);

/// Every matrix.json under `paths` (each a directory, searched recursively, or a file), one PlannedCell per id in id
/// order, the record that got furthest winning (a cell that ran beats one that did not), then the greater record,
/// so that neither the order nor repetition of the inputs changes the outcome. Unreadable files add a warning.
std::vector<PlannedCell> load_plans(const std::vector<std::filesystem::path>& paths,
                                    std::vector<std::string>& warnings);

}  // namespace cuconform::results
