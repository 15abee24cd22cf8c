// SPDX-License-Identifier: Apache-2.0
/// \file Loading results directories through their stores: discovery, shards, de-duplication, tallies.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fmt/std.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include "report/report.h"
#include "results/store.h"

namespace cuconform::report {
namespace fs = std::filesystem;
namespace {

/// The axis values of a cell: cell.json's, else what its fingerprint measured.
void apply_cell_info(Cell& cell, const std::optional<results::CellRecord>& record,
                     const std::optional<results::Fingerprint>& fingerprint, const fs::path& dir) {
    if (record) cell.record = *record;
    if (fingerprint) cell.fingerprint = fingerprint;
    cell.record.id = cell.id;
    cell.directory = dir.string();
    const auto& r = cell.record;
    cell.toolkit_cuda = r.toolkit.cuda;
    cell.toolkit_cudnn = r.toolkit.cudnn;
    cell.stack_cuda = r.stack.cuda;
    cell.stack_cudnn = r.stack.cudnn;
    cell.provider = record ? r.stack.provider : "";
    cell.gpu = record ? r.gpu : "";
    // A cell.json without toolkit facts: fall back on the fingerprint, which measured them.
    if (const auto& fp = cell.fingerprint) {
        if (cell.toolkit_cuda.empty()) cell.toolkit_cuda = fp->toolkit.cuda;
        if (cell.toolkit_cudnn.empty()) cell.toolkit_cudnn = fp->toolkit.cudnn;
        if (cell.stack_cuda.empty()) cell.stack_cuda = fp->runtime.version.value_or("");
        if (cell.stack_cudnn.empty()) cell.stack_cudnn = fp->cudnn.loaded.value_or("");
        if (cell.gpu.empty()) cell.gpu = fp->gpu_label();
    }
    if (cell.gpu.empty()) cell.gpu = "none";
    cell.driver = cell.fingerprint && cell.fingerprint->driver.version ? *cell.fingerprint->driver.version : "none";
}

}  // namespace

std::string Cell::compute_capability() const {
    const auto open = gpu.rfind('(');
    const auto close = gpu.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) return gpu.empty() ? "none" : gpu;
    return gpu.substr(open + 1, close - open - 1);
}

std::uint32_t ResultSet::cell_index(const std::string& id) {
    if (cell_ids_.size() != cells.size()) {
        cell_ids_.clear();
        for (std::uint32_t i = 0; i < cells.size(); ++i) cell_ids_.emplace(cells[i].id, i);
    }
    if (auto it = cell_ids_.find(id); it != cell_ids_.end()) return it->second;
    cell_ids_.emplace(id, static_cast<std::uint32_t>(cells.size()));
    Cell cell;
    cell.id = id;
    cell.record.id = id;
    cell.gpu = "none";
    cell.driver = "none";
    cells.push_back(std::move(cell));
    return static_cast<std::uint32_t>(cells.size() - 1);
}

void Tally::add(Verdict verdict) {
    ++per_verdict[static_cast<int>(verdict)];
    ++total;
}
std::size_t Tally::passed() const { return per_verdict[static_cast<int>(Verdict::Pass)]; }
std::size_t Tally::skipped() const {
    return per_verdict[static_cast<int>(Verdict::Unsupported)] + per_verdict[static_cast<int>(Verdict::Waived)];
}
std::size_t Tally::failed() const { return total - passed() - skipped(); }

Tally tally(const ResultSet& set) {
    Tally t;
    for (const auto& r : set.results) t.add(r.verdict);
    return t;
}

std::string tally_line(const Tally& t) {
    return fmt::format("{} passed, {} failed, {} skipped", t.passed(), t.failed(), t.skipped());
}

ResultSet load_results(const std::vector<fs::path>& paths) {
    ResultSet set;
    // Damage anywhere (a record that does not parse, a malformed cell.json, an empty results file) is collected for
    // every file, then refused as a whole: a report never leaves out what it could not read.
    std::vector<std::string> errors;
    std::size_t total_bytes = 0;
    std::map<std::tuple<std::uint32_t, std::string, std::string>, std::size_t> seen;
    for (const auto& path : paths) {
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            throw std::runtime_error(
                fmt::format("results path {} does not exist; pass a cell directory, a directory "
                            "of cell directories, or a results.jsonl file",
                            path.string()));
        }
        const std::size_t errors_before = errors.size();
        const auto files = results::find_named_files(path, "results.jsonl", errors);
        if (files.empty() && errors.size() == errors_before) {
            throw std::runtime_error(
                fmt::format("no results.jsonl under {}; has the runner written this cell yet?", path.string()));
        }
        for (const auto& file : files) {
            total_bytes += static_cast<std::size_t>(fs::file_size(file, ec));
            if (total_bytes > kMaxResultsBytes) {
                throw std::runtime_error(fmt::format(
                    "the results under {} hold more than {} GiB (at {}), more than one report reads; report on "
                    "fewer cells at a time",
                    fmt::join(paths, ", "), kMaxResultsBytes >> 30, file.string()));
            }
            const results::CellStore store(file.parent_path());
            const auto record = store.read_cell(errors);
            const auto fingerprint = store.read_fingerprint(errors);
            std::vector<results::StoredResult> stored_results;
            try {
                stored_results = results::read_results_file(file);
            } catch (const std::exception& e) {  // RecordError (bad lines) or FileError (unreadable, too large)
                errors.push_back(e.what());
                continue;
            }
            if (stored_results.empty()) {
                errors.push_back(results::holds_no_record(file));
                continue;
            }
            std::vector<bool> touched(set.cells.size(), false);
            auto touch = [&](std::uint32_t cell) {
                if (cell >= touched.size()) touched.resize(cell + 1, false);
                if (!touched[cell]) apply_cell_info(set.cells[cell], record, fingerprint, store.dir());
                touched[cell] = true;
            };
            if (record) touch(set.cell_index(record->id));
            for (auto& stored : stored_results) {
                Result r;
                static_cast<results::Result&>(r) = std::move(stored.result);
                r.cell = set.cell_index(stored.cell);
                r.source = {stored.file, stored.line};
                touch(r.cell);
                auto [it, inserted] =
                    seen.try_emplace(std::make_tuple(r.cell, r.case_id, r.variant), set.results.size());
                if (inserted) {
                    set.results.push_back(std::move(r));
                } else if (results::supersedes(r, set.results[it->second], set.cells[r.cell].id)) {
                    set.results[it->second] = std::move(r);  // a later run of it (a retry, a later shard)
                }
            }
        }
    }
    set.planned = results::load_plans(paths, errors);
    errors = results::each_once(std::move(errors));
    if (!errors.empty()) {
        throw LoadError(
            fmt::format("cannot read the results: {} problem{}", errors.size(), errors.size() == 1 ? "" : "s") +
            results::listed(errors));
    }
    for (const auto& cell : set.cells) {
        if (!cell.fingerprint) {
            set.warnings.push_back(
                fmt::format("cell {}: no fingerprint.json in {}; the report cannot show or "
                            "compare its stack. Re-run the cell or copy its fingerprint.json there.",
                            cell.id, cell.directory.empty() ? "any results directory" : cell.directory));
        }
    }
    return set;
}

}  // namespace cuconform::report
