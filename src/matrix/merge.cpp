// SPDX-License-Identifier: Apache-2.0
/// \file Merging shard result directories into one directory per cell: idempotent and order-independent.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/files.h"
#include "matrix/matrix.h"
#include "results/cell.h"
#include "results/plan.h"
#include "results/store.h"

namespace cuconform::matrix {
namespace fs = std::filesystem;
namespace {

/// The cell directories found under the inputs, by cell id.
struct CellInputs {
    std::vector<results::CellStore> stores;
};

/// The cell id of a directory: its cell.json's "id", else the directory's name.
std::string cell_id_of(const results::CellStore& store, std::vector<std::string>& warnings) {
    const auto cell = store.read_cell(warnings);
    return cell ? cell->id : store.dir().filename().string();
}

void collect(const fs::path& dir, std::map<std::string, CellInputs>& cells, std::vector<std::string>& errors) {
    const results::CellStore store(dir);
    std::error_code ec;
    if (fs::exists(store.results_path(), ec) || fs::exists(store.cell_path(), ec)) {
        std::vector<std::string> reported_later;  // merge_results reads cell.json again and names its problems
        cells[cell_id_of(store, reported_later)].stores.push_back(store);
    }
    // A folder that cannot be listed may hold cells: never merged as if it held none.
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::error_code type_ec;
        if (it->is_directory(type_ec) && !it->is_symlink(type_ec)) collect(it->path(), cells, errors);
    }
    if (ec) {
        errors.push_back(
            fmt::format("{}: {}; the cells in it cannot be read: give this user read access to it, or "
                        "leave it out of the inputs",
                        dir.string(), ec.message()));
    }
}

/// Of several copies of a record, the greatest serialisation: the same choice whatever the order of the inputs.
template <typename Record>
std::optional<Record> greatest(const std::vector<Record>& copies) {
    std::optional<Record> best;
    std::string best_text;
    for (const auto& copy : copies) {
        std::string text = results::to_json(copy).dump();
        if (!best || text > best_text) {
            best = copy;
            best_text = std::move(text);
        }
    }
    return best;
}

}  // namespace

std::vector<std::string> merge_results(const std::vector<fs::path>& inputs, const fs::path& out) {
    std::map<std::string, CellInputs> cells;
    // Every input is read before anything is written, and damage anywhere (a record that does not parse, a
    // malformed cell.json, a cell id that is not a folder name) refuses the whole merge: a merged folder never lacks
    // what its shards held.
    std::vector<std::string> errors;
    for (const auto& input : inputs) {
        std::error_code ec;
        if (!fs::is_directory(input, ec)) {
            throw std::runtime_error(
                fmt::format("{} is not a directory: pass the shard result directories (each "
                            "holding <cell>/results.jsonl)",
                            input.string()));
        }
        collect(input, cells, errors);
    }
    if (cells.empty() && errors.empty()) {
        throw std::runtime_error(
            "no cell directory (results.jsonl or cell.json) under the inputs: check that the "
            "shards ran and wrote to these directories");
    }
    struct Merged {
        std::vector<results::StoredResult> records;
        std::optional<results::CellRecord> cell;
        std::optional<results::Fingerprint> fingerprint;
    };
    std::map<std::string, Merged> merged;
    for (const auto& [id, in] : cells) {
        // A cell id names a folder inside `out`: nothing a cell.json says may lead a write outside it.
        if (const std::string problem = results::cell_id_problem(id); !problem.empty()) {
            errors.push_back(fmt::format("{}: the cell id \"{}\" cannot be merged: {}; fix the id in that cell.json",
                                         in.stores.front().cell_path().string(), id, problem));
            continue;
        }
        std::vector<results::StoredResult> records;
        std::vector<results::CellRecord> cell_copies;
        std::vector<results::Fingerprint> fingerprints;
        for (const auto& store : in.stores) {
            std::error_code ec;
            if (fs::exists(store.results_path(), ec)) {
                try {
                    auto read = store.read_results();
                    if (read.empty()) errors.push_back(results::holds_no_record(store.results_path()));
                    for (auto& r : read) records.push_back(std::move(r));
                } catch (const std::exception& e) {  // RecordError, FileError
                    errors.push_back(e.what());
                }
            }
            if (auto cell = store.read_cell(errors)) cell_copies.push_back(std::move(*cell));
            if (auto fp = store.read_fingerprint(errors)) fingerprints.push_back(std::move(*fp));
        }
        for (auto& r : records) r.cell = id;  // records of a cell directory belong to that cell
        auto kept = results::deduplicate(std::move(records));
        std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
            return std::tie(a.result.case_id, a.result.variant) < std::tie(b.result.case_id, b.result.variant);
        });
        merged[id] = {std::move(kept), greatest(cell_copies), greatest(fingerprints)};
    }
    const auto planned = results::load_plans(inputs, errors);
    errors = results::each_once(std::move(errors));
    if (!errors.empty()) {
        throw std::runtime_error(
            fmt::format("nothing was merged: {} input{} cannot be read", errors.size(), errors.size() == 1 ? "" : "s") +
            results::listed(errors));
    }
    // One merge into a folder at a time.
    const FolderLock lock(out, FolderLock::kReportAdvice);
    std::vector<std::string> written;
    for (const auto& [id, cell] : merged) {
        // A link already in `out` (out/<id> -> elsewhere) would carry the writes outside it.
        std::error_code ec;
        if (fs::is_symlink(fs::symlink_status(out / id, ec))) {
            throw std::runtime_error(fmt::format(
                "{} is a symbolic link: merge writes only inside {}, and this link would take cell {}'s files "
                "elsewhere; remove the link or merge into an empty folder",
                (out / id).string(), out.string(), id));
        }
    }
    for (const auto& [id, cell] : merged) {
        const results::CellStore store(out / id);
        store.create();
        if (!cell.records.empty()) {
            std::vector<std::string> lines;
            for (const auto& r : cell.records) lines.push_back(results::to_line(r.result, id));
            store.write_results(lines);
        }
        if (cell.cell) store.write_cell(*cell.cell);
        if (cell.fingerprint) store.write_fingerprint(*cell.fingerprint);
        written.push_back(id);
    }
    if (!planned.empty()) {
        results::MatrixPlan plan;
        plan.scope = "merged";
        std::set<std::string> names;
        for (const auto& cell : planned) {
            if (!cell.matrix_name.empty()) names.insert(cell.matrix_name);
            plan.cells.push_back(cell);
        }
        plan.name = fmt::format("{}", fmt::join(names, ", "));
        write_file_atomically(
            out / "matrix.json",
            results::to_json(plan).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    }
    return written;
}

}  // namespace cuconform::matrix
