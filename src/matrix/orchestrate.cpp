// SPDX-License-Identifier: Apache-2.0
/// \file The matrix run: plan, cells through their providers, statuses, cell.json.
#include "matrix/orchestrate.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/files.h"
#include "results/store.h"

namespace cuconform::matrix {
namespace fs = std::filesystem;
using results::CellStatus;

namespace {

/// What became of one cell.
struct Status {
    CellStatus status = CellStatus::Pending;
    int exit = 0;
    std::string reason;
};

/// A GPU runner's cell where the probe lists no GPU: not a failure of this run, the cell belongs on a GPU runner.
/// Running it here would record every GPU case as UNSUPPORTED under a GPU runner's name.
std::optional<Status> skip_without_gpu(const Cell& cell, const Machine& machine) {
    if (!cell.needs_gpu() || machine.gpus > 0) return std::nullopt;
    if (!machine.no_gpu_here) {
        // A driver that is there but fails (crashed or hung query, a driver error): on a GPU runner that is the
        // fault to report, not a reason to skip.
        return Status{CellStatus::ProvisionFailed, 2,
                      fmt::format("runner class '{}' needs a GPU and the probe's GPU query failed: {}; run "
                                  "`cuconform doctor` here",
                                  cell.runner, machine.gpu_evidence)};
    }
    const std::string reason = fmt::format(
        "runner class '{}' needs a GPU and this machine has none ({}); the cell runs where `cuconform matrix "
        "plan --github` sends it, or here once `cuconform probe` lists a GPU",
        cell.runner, machine.gpu_evidence);
    fmt::print("cuconform matrix: cell {} skipped: {}\n", cell.id, reason);
    return Status{CellStatus::Skipped, 0, reason};
}

/// cell.json gets what the matrix asked for and how the cell was provisioned, beside what the runner measured; the
/// status follows from the runner's exit code and whether it recorded anything.
Status finish_cell(const Cell& cell, const fs::path& out, const CellOutcome& outcome) {
    const results::CellStore store(out / cell.id);
    store.create();
    std::vector<std::string> warnings;
    results::CellRecord record = store.read_cell(warnings).value_or(results::CellRecord{});
    for (const auto& w : warnings) fmt::print(stderr, "cuconform matrix: {}\n", w);
    if (record.id.empty()) record.stack = outcome.stack;  // the runner wrote no cell.json: what the provider knows
    record.id = cell.id;
    record.matrix = cell.to_json();
    record.stack.provider = outcome.stack.provider;
    record.provision =
        results::Provision{outcome.provisioned, outcome.provisioned ? "" : outcome.reason, outcome.provision};
    store.write_cell(record);
    if (!outcome.provisioned) {
        fmt::print("cuconform matrix: cell {} could not be provisioned: {}\n", cell.id, outcome.reason);
        return {CellStatus::ProvisionFailed, 2, outcome.reason};
    }
    std::error_code ec;
    const int rc = outcome.exit;
    if (!fs::exists(store.results_path(), ec)) {
        return {CellStatus::HarnessError, rc == 0 ? 2 : rc,
                fmt::format("{} exited {} and wrote no results to {} (see its messages above)", outcome.what, rc,
                            store.dir().string())};
    }
    if (rc != 0 && rc != 1) {
        return {CellStatus::HarnessError, rc,
                fmt::format("{} exited {} (the harness could not run the catalogue); see its messages above",
                            outcome.what, rc)};
    }
    return {CellStatus::Ran, rc, ""};
}

void write_plan(const fs::path& path, const results::MatrixPlan& plan) {
    write_file_atomically(path, results::to_json(plan).dump(2) + "\n");
}

}  // namespace

Machine Machine::from(const results::Fingerprint& fp) {
    Machine m;
    m.toolkit = fp.toolkit.cuda;
    m.toolkit_cudnn = fp.toolkit.cudnn;
    m.gpus = fp.gpus.size();
    const auto& error = fp.gpu_error;
    m.no_gpu_here = !error || error->name == "DRIVER_NOT_FOUND" || error->name == "CUDA_ERROR_NO_DEVICE";
    if (!error) {
        m.gpu_evidence = "the probe lists no GPU";
    } else if (error->name.empty()) {
        m.gpu_evidence = error->message;
    } else {
        m.gpu_evidence = fmt::format("{}: {}", error->name, error->message);
    }
    return m;
}

std::vector<std::string> run_arguments(const Cell& cell, const RunSettings& settings) {
    std::vector<std::string> args;
    for (const auto& glob : settings.only.empty() ? cell.only : settings.only)
        args.insert(args.end(), {"--only", glob});
    for (const auto& variant : cell.variant_list) args.insert(args.end(), {"--variant", variant});
    if (settings.jobs > 0) args.insert(args.end(), {"--jobs", std::to_string(settings.jobs)});
    if (settings.timeout_s > 0) args.insert(args.end(), {"--timeout", fmt::format("{}", settings.timeout_s)});
    return args;
}

int run_cells(const Matrix& m, const std::vector<Cell>& cells, const ProviderFor& provider_for, const Machine& machine,
              const RunSettings& settings, const fs::path& out, const std::string& scope) {
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) throw FileError(out, "create the folder", ec.value());
    results::MatrixPlan plan;
    plan.file = m.file;
    plan.name = m.name;
    plan.scope = scope;
    plan.build = {{"cuda", m.build_cuda}, {"cudnn", m.build_cudnn}};
    plan.host = {{"cuda", m.host_cuda}, {"cudnn", m.host_cudnn}};
    for (const auto& cell : cells)
        plan.cells.push_back({cell.id, CellStatus::Pending, std::nullopt, "", cell.to_json()});
    const fs::path plan_path = out / "matrix.json";
    write_plan(plan_path, plan);
    int rc = 0;
    std::size_t ran = 0;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const Cell& cell = cells[i];
        Status s;
        if (auto skipped = skip_without_gpu(cell, machine)) {
            s = *skipped;
        } else {
            s = finish_cell(cell, out, provider_for(cell).run(cell, settings, out));
        }
        auto& entry = plan.cells[i];
        entry.status = s.status;
        entry.exit = s.exit;
        entry.reason = s.reason;
        write_plan(plan_path, plan);
        ran += s.status == CellStatus::Ran;
        rc = std::max(rc, s.status == CellStatus::Ran || s.status == CellStatus::Skipped ? s.exit : 2);
    }
    fmt::print("cuconform matrix: {} of {} cells ran ({}); {} did not (reasons in {} and each cell.json)\n", ran,
               cells.size(), scope, cells.size() - ran, plan_path.string());
    return rc;
}

}  // namespace cuconform::matrix
