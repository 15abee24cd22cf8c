// SPDX-License-Identifier: Apache-2.0
/// \file Container engines, the command lines that build a cell's image and run the catalogue in it, and the images
/// scripts/containers builds on the local base or NVIDIA's.
#include "provision/container.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>

#include "core/build_info.h"
#include "provision/wheels.h"

namespace cuconform::provision {
namespace fs = std::filesystem;

namespace {

/// What an engine said about a failure: its error lines ("Error: ...", "runc: ...", "ERROR: ..."), else its last
/// line, else how the process ended.
std::string engine_words(const process::Result& r) {
    std::vector<std::string> lines;
    std::istringstream in(r.out + r.err);
    for (std::string line; std::getline(in, line);) {
        if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
    }
    std::string words;
    for (const auto& line : lines) {
        const bool error = line.find("rror") != std::string::npos || line.find("ERROR") != std::string::npos ||
                           line.find("annot") != std::string::npos || line.find("not permitted") != std::string::npos;
        if (error && words.find(line) == std::string::npos) words += (words.empty() ? "" : " | ") + line;
    }
    if (words.empty() && !lines.empty()) words = lines.back();
    if (words.empty()) words = r.describe();
    return words.size() > 900 ? "..." + words.substr(words.size() - 900) : words;
}

/// scripts/containers with the engine's settings; its messages go to this process's standard error as they come.
process::Result containers_script(const ContainerEngine& engine, const std::vector<std::string>& args,
                                  process::EnvChanges env = {}) {
    std::vector<std::string> argv{(source_dir() / "scripts" / "containers").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const auto& [k, v] : engine.env()) env[k] = v;
    env["CUCONFORM_CONTAINERS_CONF"] = podman_settings();
    env["CUCONFORM_ENGINE"] = engine.name;
    return process::run(argv, {.output = process::Output::Capture, .echo = true, .env = env});
}

}  // namespace

std::string ContainerEngine::problem() const {
    if (!found) return fmt::format("no container engine here ({} not found on PATH)", fmt::join(tried, ", "));
    if (!works) return fmt::format("`{} info` fails ({})", name, error.empty() ? "no message" : error);
    return "";
}

process::EnvChanges ContainerEngine::env() const {
    process::EnvChanges env;
    if (name == "podman") env["CONTAINERS_CONF"] = podman_settings();
    return env;
}

std::string podman_settings() {
    if (const char* file = std::getenv("CUCONFORM_CONTAINERS_CONF"); file != nullptr && *file != '\0') return file;
    return (source_dir() / "containers" / "podman" / "containers.conf").string();
}

std::string container_base_tag(const std::string& cuda, const std::string& cudnn) {
    // cuda.md section 6a: tags seen in use. From 12.4 the cuDNN 9 images carry a version-less `-cudnn-`.
    static const std::map<std::string, std::string> tags = {{"11.8", "11.8.0-cudnn8-devel-ubuntu22.04"},
                                                            {"12.0", "12.0.1-cudnn8-devel-ubuntu20.04"},
                                                            {"12.4", "12.4.1-cudnn-devel-ubuntu22.04"},
                                                            {"12.8", "12.8.1-cudnn-devel-ubuntu24.04"},
                                                            {"13.0", "13.0.1-cudnn-devel-ubuntu24.04"}};
    std::string key = cuda;
    if (std::count(key.begin(), key.end(), '.') >= 2) key = key.substr(0, key.rfind('.'));
    const auto it = tags.find(key);
    if (it == tags.end()) {
        std::string known;
        for (const auto& [k, v] : tags) known += (known.empty() ? "" : ", ") + k;
        throw StackError(fmt::format(
            "no known nvidia/cuda cuDNN image tag for CUDA {} (known: {}); pass --base "
            "nvidia/cuda:<tag> from gitlab.com/nvidia/container-images/cuda supported-tags, or --base local "
            "(podman: the toolkit from NVIDIA's wheels, CUDA 13 and later)",
            cuda, known));
    }
    const bool cudnn8 = it->second.find("-cudnn8-") != std::string::npos;
    if (!cudnn.empty() && cudnn != "none" && cudnn.rfind(cudnn8 ? "8" : "9", 0) != 0) {
        throw StackError(
            fmt::format("the nvidia/cuda:{} image carries cuDNN {}, not {}; use `--provider wheels` (cuconform "
                        "stack fetch) for that combination",
                        it->second, cudnn8 ? "8" : "9", cudnn));
    }
    return "nvidia/cuda:" + it->second;
}

ContainerEngine find_engine(const std::string& choice) {
    ContainerEngine engine;
    engine.tried = choice.empty() ? std::vector<std::string>{"docker", "podman"} : std::vector<std::string>{choice};
    std::optional<ContainerEngine> first_installed;
    for (const auto& name : engine.tried) {
        engine.name = name;
        // `info` both finds the engine on PATH (ENOENT when it is not) and asks whether it answers.
        const auto info =
            process::run({name, "info"}, {.output = process::Output::Merge, .env = engine.env(), .timeout_s = 60});
        if (info.exec_errno == ENOENT) continue;
        engine.found = true;
        engine.works = info.ok();
        engine.error = engine.works ? "" : engine_words(info);
        if (engine.works) return engine;
        if (!first_installed) first_installed = engine;
        engine.passed_over.push_back(engine.problem());
    }
    if (first_installed) {
        first_installed->passed_over.clear();  // none answers: its problem() says why
        return *first_installed;
    }
    engine.name = engine.tried.front();
    return engine;
}

std::string resolve_base(const matrix::Cell& cell, const std::string& base) {
    if (base == "local") return "";
    // The image's stack is the cell's (from the wheels) whatever cuDNN NVIDIA's image carries: no cuDNN to match.
    if (base.empty() || base == "nvidia") return container_base_tag(cell.toolkit, "");
    return base;
}

std::string toolkit_words(const matrix::Cell& cell) {
    return fmt::format("cuda={} cudnn={}", cell.toolkit, cell.toolkit_cudnn.empty() ? "none" : cell.toolkit_cudnn);
}

std::string stack_words(const matrix::Cell& cell) {
    return fmt::format("cuda={} cudnn={}", cell.cuda, cell.cudnn.empty() ? "none" : cell.cudnn);
}

ContainerCommands container_commands(const matrix::Cell& cell, const std::string& engine, const fs::path& source,
                                     const fs::path& out, const std::vector<std::string>& run_args,
                                     const std::string& base, const std::string& image) {
    ContainerCommands c;
    c.base = resolve_base(cell, base);  // throws when NVIDIA has no such image
    c.toolkit = toolkit_words(cell);
    c.stack = stack_words(cell);
    c.build = {(source / "scripts" / "containers").string(),
               "image",
               "--engine",
               engine,
               "--toolkit",
               c.toolkit,
               "--stack",
               c.stack};
    if (!c.base.empty()) c.build.insert(c.build.end(), {"--base", c.base});
    c.run = container_run_command(cell, engine, out, run_args, image, /*no_network=*/true);  // all is in the image
    return c;
}

std::vector<std::string> container_entry(const matrix::Cell& cell, const std::string& engine, const fs::path& out,
                                         const std::string& image, bool no_network) {
    std::vector<std::string> run = {engine, "run", "--rm"};
    if (no_network) run.insert(run.end(), {"--network", "none"});
    if (engine == "docker") {
        // Files in the mounted results directory belong to the user who runs the matrix, not to the daemon's root
        // (rootless podman maps that user already).
        run.insert(run.end(), {"--user", fmt::format("{}:{}", getuid(), getgid())});
    }
    if (cell.needs_gpu()) {
        // docker: the NVIDIA Container Toolkit's --gpus; podman: the CDI device it generates (nvidia-ctk cdi generate).
        if (engine == "podman") {
            run.insert(run.end(), {"--device", "nvidia.com/gpu=all", "--security-opt=label=disable"});
        } else {
            run.insert(run.end(), {"--gpus", "all"});
        }
    }
    run.insert(run.end(), {"-v", out.string() + ":/results", image});
    return run;
}

std::vector<std::string> container_run_command(const matrix::Cell& cell, const std::string& engine, const fs::path& out,
                                               const std::vector<std::string>& run_args, const std::string& image,
                                               bool no_network) {
    auto run = container_entry(cell, engine, out, image, no_network);
    run.insert(run.end(), {"run", "--out", "/results"});
    if (!cell.id.empty()) run.insert(run.end(), {"--cell", cell.id, "--quiet"});
    run.insert(run.end(), run_args.begin(), run_args.end());
    return run;
}

std::string engine_start_problem(const ContainerEngine& engine) {
    const auto r = containers_script(engine, {"check"});
    // Its words (podman's, and the fix) went to standard error as they came.
    return r.ok()
               ? ""
               : fmt::format("`scripts/containers check` {} ({}'s words and the fix above)", r.describe(), engine.name);
}

std::string CellImage::reference() const {
    if (digest.rfind("sha256:", 0) != 0) return id;
    const auto colon = tag.rfind(':');
    const bool has_tag = colon != std::string::npos && colon > tag.rfind('/');
    return (has_tag ? tag.substr(0, colon) : tag) + "@" + digest;
}

CellImage build_cell_image(const ContainerEngine& engine, const std::string& cli, const std::string& toolkit,
                           const std::string& stack, const std::string& base) {
    std::vector<std::string> args{"image", "--toolkit", toolkit, "--stack", stack};
    if (!base.empty()) args.insert(args.end(), {"--base", base});
    const auto r = containers_script(engine, args, {{"CUCONFORM_BIN", cli}});
    if (!r.ok()) {
        // Its account of the failure (its own lines and the tool's words), without the tool's retry warnings.
        std::string words;
        std::istringstream lines(r.err);
        for (std::string line; std::getline(lines, line);) {
            const bool own = line.rfind("cuconform containers:", 0) == 0;
            const bool tool_error = line.rfind("  ", 0) == 0 && (line.find("rror") != std::string::npos ||
                                                                 line.find("not found") != std::string::npos);
            if ((!own && !tool_error) || line.find("level=warning") != std::string::npos) continue;
            // A failed step's error line quotes the whole RUN command: its start names the step.
            if (line.size() > 300) line = line.substr(0, 300) + "...";
            words += (words.empty() ? "" : "\n") + line;
        }
        throw StackError(fmt::format("`scripts/containers {}` {}: {}", fmt::join(args, " "), r.describe(),
                                     process::tail(words.empty() ? r.err : words, 1500)));
    }
    // Its last line: TAG ID DIGEST BASE-STACK.
    std::string last;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) last = line;
    }
    CellImage image{.toolkit = toolkit, .stack = stack, .base = base};
    std::istringstream words(last);
    words >> image.tag >> image.id >> image.digest >> image.base_stack;
    if (image.tag.empty() || image.id.empty() || image.base_stack.empty()) {
        throw StackError(
            fmt::format("`scripts/containers {}` printed no \"TAG ID DIGEST BASE-STACK\" line (it printed: {})",
                        fmt::join(args, " "), process::tail(r.out)));
    }
    return image;
}

}  // namespace cuconform::provision
