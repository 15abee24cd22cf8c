// SPDX-License-Identifier: Apache-2.0
/// \file host, wheels and container cells.
#include "provision/providers.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "core/build_info.h"
#include "core/process.h"
#include "isolate/view.h"
#include "provision/toolkit.h"
#include "provision/wheels.h"

namespace cuconform::provision {
namespace fs = std::filesystem;

LocalProvider::LocalProvider(matrix::Machine machine) : machine_(std::move(machine)) {}

const std::pair<std::string, std::string>& LocalProvider::toolkit_cli_for(const matrix::Cell& cell) {
    auto [known, fresh] = toolkits_.try_emplace({cell.toolkit, cell.toolkit_cudnn});
    if (fresh) known->second.first = toolkit_cli(cell.toolkit, cell.toolkit_cudnn, cell.id, known->second.second);
    return known->second;
}

matrix::CellOutcome LocalProvider::run(const matrix::Cell& cell, const matrix::RunSettings& settings,
                                       const fs::path& out) {
    matrix::CellOutcome outcome;
    outcome.what = "`cuconform run`";
    outcome.stack.provider = cell.provider;
    outcome.stack.cuda = cell.cuda;
    outcome.stack.cudnn = cell.cudnn;
    // The catalogue compiled with the cell's toolkit and cuDNN headers: this CLI, or one built against them.
    const std::string self = isolate::self_executable();
    std::string runner = self;
    if (!same_release(machine_.toolkit, cell.toolkit) || !same_release(machine_.toolkit_cudnn, cell.toolkit_cudnn)) {
        const auto& [cli, reason] = toolkit_cli_for(cell);
        if (cli.empty()) {
            outcome.reason =
                fmt::format("this CLI is built with CUDA {} / cuDNN {}, the cell needs CUDA {} / cuDNN {}: {}",
                            machine_.toolkit, machine_.toolkit_cudnn, cell.toolkit, cell.toolkit_cudnn, reason);
            return outcome;
        }
        runner = cli;
    }
    std::string prefix;
    if (cell.provider == "wheels") {
        fmt::print("cuconform matrix: cell {}: fetching the stack (cuconform stack fetch cuda={} cudnn={})\n", cell.id,
                   cell.cuda, cell.cudnn);
        try {
            prefix = fetch_stack(StackRequest::parse({"cuda=" + cell.cuda, "cudnn=" + cell.cudnn}), {}).prefix;
        } catch (const std::exception& e) {
            outcome.reason = fmt::format(
                "`cuconform stack fetch cuda={} cudnn={}` failed: {} (check that PyPI is "
                "reachable; the other cells go on)",
                cell.cuda, cell.cudnn, e.what());
            return outcome;
        }
        outcome.stack.prefix = prefix;
    }
    std::vector<std::string> argv{runner, "run", "--out", out.string(), "--cell", cell.id, "--quiet"};
    const auto args = matrix::run_arguments(cell, settings);
    argv.insert(argv.end(), args.begin(), args.end());
    if (!prefix.empty()) argv.insert(argv.end(), {"--stack", prefix});
    fmt::print("cuconform matrix: cell {} ({} stack CUDA {} / cuDNN {}, catalogue built with CUDA {}{})\n", cell.id,
               cell.provider, cell.cuda, cell.cudnn, cell.toolkit, runner == self ? "" : ": " + runner);
    const auto p = process::run(argv, {.output = process::Output::Inherit});
    outcome.provisioned = true;
    outcome.exit = p.rc();
    outcome.provision = {{"prefix", prefix}, {"cli", runner}};
    return outcome;
}

ContainerProvider::ContainerProvider(ContainerEngine engine, std::string base)
    : engine_(std::move(engine)), base_(std::move(base)) {}

matrix::CellOutcome ContainerProvider::run(const matrix::Cell& cell, const matrix::RunSettings& settings,
                                           const fs::path& out) {
    matrix::CellOutcome outcome;
    outcome.what = fmt::format("`{} run`", engine_.name);
    outcome.stack.provider = "container";
    outcome.stack.cuda = cell.cuda;
    outcome.stack.cudnn = cell.cudnn;
    // The catalogue is built in the image against the cell's toolkit and runs on the cell's stack, both from
    // NVIDIA's wheels, whatever the cell's provider axis says and whatever the base carries of its own.
    ContainerCommands c;
    try {
        c = container_commands(cell, engine_.name, source_dir(), fs::absolute(out),
                               matrix::run_arguments(cell, settings), base_);
    } catch (const std::exception& e) {
        outcome.reason = e.what();
        return outcome;
    }
    auto [known, fresh] = images_.try_emplace(c.base + "\n" + c.toolkit + "\n" + c.stack);
    auto& [image, problem] = known->second;
    if (fresh) {
        fmt::print("cuconform matrix: cell {}: the image for toolkit {} and stack {} on {} ({})\n", cell.id, c.toolkit,
                   c.stack, c.base.empty() ? "the local base" : c.base, fmt::join(c.build, " "));
        std::fflush(stdout);
        try {
            image = build_cell_image(engine_, isolate::self_executable(), c.toolkit, c.stack, c.base);
        } catch (const std::exception& e) {
            problem = fmt::format("{} (the other images go on)", e.what());
        }
    }
    if (!problem.empty()) {
        outcome.reason = problem;
        return outcome;
    }
    std::error_code ec;
    fs::create_directories(out / cell.id, ec);  // made here, so that it is this user's and not the engine's
    // A failing result's reproduce command re-enters exactly this image, by digest, whatever its tag names later.
    auto entry = container_entry(cell, engine_.name, fs::absolute(out), image.reference(), /*no_network=*/true);
    if (engine_.name == "podman") entry.insert(entry.begin(), {"env", "CONTAINERS_CONF=" + podman_settings()});
    auto args = matrix::run_arguments(cell, settings);
    args.insert(args.end(), {"--reproduce-via", process::shell_line(entry)});
    const auto run = container_run_command(cell, engine_.name, fs::absolute(out), args, image.tag,
                                           /*no_network=*/true);  // everything is in the image
    fmt::print("cuconform matrix: cell {} in {} ({})\n  {}{}\n", cell.id, image.tag, image.reference(),
               engine_.name == "podman" ? "CONTAINERS_CONF=" + podman_settings() + " " : "", process::shell_line(run));
    std::fflush(stdout);
    const auto p = process::run(run, {.output = process::Output::Inherit, .env = engine_.env()});
    if (p.rc() > 2) {
        // 125: the engine failed; 126/127: the command could not start in the image. Not the catalogue's verdict.
        outcome.reason = fmt::format(
            "`{} run` {} (125: the engine itself failed, 126/127: cuconform could not start in {}). Fix: "
            "scripts/containers check; then rebuild the image ({})",
            engine_.name, p.describe(), image.tag, fmt::join(c.build, " "));
        return outcome;
    }
    outcome.provisioned = true;
    outcome.exit = p.rc();
    outcome.provision = {{"engine", engine_.name},
                         {"base", c.base.empty() ? "local" : c.base},
                         {"base_stack", image.base_stack},
                         {"image", image.tag},
                         {"image_id", image.id},
                         {"digest", image.digest},
                         {"reference", image.reference()},
                         {"toolkit", c.toolkit},
                         {"stack", c.stack},
                         {"stack_source", "wheels"}};
    if (engine_.name == "podman") outcome.provision["settings"] = podman_settings();
    return outcome;
}

}  // namespace cuconform::provision
