// SPDX-License-Identifier: Apache-2.0
/// \file The providers of `matrix run`: a cell's stack from this machine (host), from NVIDIA's wheels (wheels), or a
/// container image (container), and the catalogue run on it by the CLI built with the cell's toolkit.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "matrix/orchestrate.h"
#include "provision/container.h"

namespace cuconform::provision {

/// host and wheels cells: the catalogue runs here, on the host's libraries or on a prefix from `stack fetch`
/// (entered with `run --stack`), by this CLI or one built against the cell's toolkit (provision/toolkit.h).
class LocalProvider : public matrix::Provider {
public:
    explicit LocalProvider(matrix::Machine machine);
    matrix::CellOutcome run(const matrix::Cell& cell, const matrix::RunSettings& settings,
                            const std::filesystem::path& out) override;

private:
    /// The CLI for a toolkit (and cuDNN headers), or why there is none: each is fetched, brought up to date and
    /// checked once per run, not once per cell.
    const std::pair<std::string, std::string>& toolkit_cli_for(const matrix::Cell& cell);

    matrix::Machine machine_;
    std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> toolkits_;
};

/// Every cell in a container: one image per toolkit (and wheel stack) from containers/Dockerfile, built once per
/// run (a failed build fails every cell that needs it), the results directory mounted at /results.
class ContainerProvider : public matrix::Provider {
public:
    explicit ContainerProvider(ContainerEngine engine);
    matrix::CellOutcome run(const matrix::Cell& cell, const matrix::RunSettings& settings,
                            const std::filesystem::path& out) override;

private:
    ContainerEngine engine_;
    std::map<std::string, std::string> images_;  ///< Built in this run, and why one failed.
};

}  // namespace cuconform::provision
