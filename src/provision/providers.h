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

/// Every cell in a container: one image per toolkit, stack and base, built once per run by scripts/containers image
/// from containers/Dockerfile (a failed build fails every cell that needs it), the results directory mounted at
/// /results. `base`: "local" (the project's Debian base, podman), empty or "nvidia" (NVIDIA's CUDA image for the
/// cell's toolkit: GPU runners with a registry), or an image. On every base the catalogue is compiled in the image
/// against the cell's toolkit and runs on the cell's stack, both from NVIDIA's wheels (the base's own stack removed),
/// and cell.json records the image's id and digest and what the base carried.
class ContainerProvider : public matrix::Provider {
public:
    explicit ContainerProvider(ContainerEngine engine, std::string base = {});
    matrix::CellOutcome run(const matrix::Cell& cell, const matrix::RunSettings& settings,
                            const std::filesystem::path& out) override;

private:
    ContainerEngine engine_;
    std::string base_;
    /// The images built in this run (by base, toolkit and stack), or why one could not be.
    std::map<std::string, std::pair<CellImage, std::string>> images_;
};

}  // namespace cuconform::provision
