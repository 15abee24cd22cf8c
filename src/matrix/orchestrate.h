// SPDX-License-Identifier: Apache-2.0
/// \file Running a matrix: each cell handed to a provider (provision/ implements them), its outcome recorded in
/// matrix.json and cell.json. The orchestration knows no provider: tests hand it a fake one.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "matrix/matrix.h"
#include "results/cell.h"
#include "results/fingerprint.h"
#include "results/plan.h"

namespace cuconform::matrix {

/// What this machine offers the matrix, measured once per run by this CLI's probe.
struct Machine {
    std::string toolkit;        ///< CUDA this CLI was compiled with ("13.0").
    std::string toolkit_cudnn;  ///< cuDNN headers it was compiled with ("9.19.0").
    std::size_t gpus = 0;
    bool no_gpu_here = false;  ///< No driver, or the driver sees no device: a GPU runner's cell does not belong here.
    std::string gpu_evidence;  ///< What the probe said about the GPUs when it lists none.

    static Machine from(const results::Fingerprint& fingerprint);
};

/// The options of `matrix run` that every cell's `cuconform run` gets.
struct RunSettings {
    std::vector<std::string> only;  ///< Overrides each cell's own `only` when not empty.
    int jobs = 0;                   ///< 0: the runner's default.
    double timeout_s = 0;           ///< 0: the runner's default.
};

/// The `cuconform run` arguments of a cell: its case globs and variants, jobs and timeout.
std::vector<std::string> run_arguments(const Cell& cell, const RunSettings& settings);

/// What a provider did with one cell.
struct CellOutcome {
    bool provisioned = false;  ///< False: the stack could not be had; `reason` says why.
    int exit = 0;              ///< The exit code of the catalogue run (when provisioned).
    std::string reason;
    std::string what;          ///< What ran the catalogue, for messages ("`cuconform run`", "`podman run`").
    results::CellStack stack;  ///< What the cell ran on, for a cell.json the runner did not write.
    nlohmann::json provision = nlohmann::json::object();  ///< How it was provisioned (prefix, cli, image, ...).
};

/// Provisions a cell's stack and runs the catalogue on it into out/<cell id>/.
class Provider {
public:
    virtual ~Provider() = default;
    virtual CellOutcome run(const Cell& cell, const RunSettings& settings, const std::filesystem::path& out) = 0;
};

/// The provider of each cell (by its `provider` axis, or one for every cell).
using ProviderFor = std::function<Provider&(const Cell&)>;

/// Runs `cells` into `out` and returns the exit code (2 when any cell could not run). out/matrix.json holds the plan
/// from the start (every cell "pending") and each cell's status as soon as it is known, so a run that is killed
/// still says which cells it planned, which ran and why the others did not. A GPU runner's cell is skipped where
/// the machine has no GPU; a failed GPU query there fails the cell.
int run_cells(const Matrix& matrix, const std::vector<Cell>& cells, const ProviderFor& provider_for,
              const Machine& machine, const RunSettings& settings, const std::filesystem::path& out,
              const std::string& scope);

}  // namespace cuconform::matrix
