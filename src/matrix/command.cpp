// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform matrix plan|shard|run|resources` and `cuconform merge`: the matrix from file to merged report.
#include "core/command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "core/process.h"
#include "matrix/matrix.h"
#include "probe/fingerprint.h"
#include "run/results.h"
#include "stack/isolate.h"

namespace cuconform::matrix {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

struct Options {
    std::string file;
    std::string tag;
    bool json_out = false;
    bool github = false;
    std::size_t index = 0;
    std::size_t count = 1;
    bool run = false;
    std::string out;
    std::vector<std::string> only;
    int jobs = 0;
    int timeout_s = 0;
    std::string provider;  ///< "container": every cell in an image (docker/podman); empty: host and wheels per cell.
    std::string engine;    ///< docker | podman (default: the first installed).
    std::string fingerprint;
    int slots = 1;
    std::string resources_out;
};

std::string self_path() { return fs::read_symlink("/proc/self/exe").string(); }

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
    return out.empty() ? "-" : out;
}

void print_table(const std::vector<Cell>& cells) {
    fmt::print("{:<44} {:<8} {:<6} {:<6} {:<8} {:<6} {:<9} {:<5} {}\n", "cell", "toolkit", "cuda", "cudnn", "provider",
               "runner", "variants", "skew", "tags");
    for (const auto& c : cells) {
        fmt::print("{:<44} {:<8} {:<6} {:<6} {:<8} {:<6} {:<9} {:<5} {}\n", c.id, c.toolkit, c.cuda, c.cudnn,
                   c.provider, c.runner, c.variants, c.skew ? "yes" : "no", joined(c.tags));
    }
}

/// What happened to one cell of a run.
struct CellStatus {
    std::string id;
    std::string status;  ///< ran | skipped (a GPU runner's cell, no GPU here) | provision-failed | harness-error
    int exit = 0;
    std::string reason;
};

/// The last non-empty line of a command's standard output.
std::string last_line(const std::string& text) {
    std::string last;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) last = line;
    }
    return last;
}

/// A CLI built against the cell's toolkit and cuDNN headers: `stack fetch-toolkit cuda=<toolkit>
/// cudnn=<toolkit_cudnn>`, then build-<toolkit name>/bin/cuconform in the source tree, built by scripts/build-toolkit
/// when missing and brought up to date (`cmake --build`, a no-op when nothing changed) when present. Empty and
/// `reason` set when it cannot be had.
bool same_release(const std::string& built, const std::string& wanted) {
    return built == wanted || built.starts_with(wanted + ".");
}

/// The toolkit prefix a build-<toolkit>/ directory was made against (its toolkit-build.json), or "".
std::string built_against(const fs::path& build) {
    try {
        std::ifstream in(build / "toolkit-build.json");
        if (in) return json::parse(in).value("toolkit_prefix", "");
    } catch (const json::exception&) {
    }
    return "";
}

/// Whether `cli` was compiled with CUDA `cuda` and cuDNN `cudnn` headers (its own probe says); `why` otherwise.
bool compiled_with(const std::string& cli, const std::string& cuda, const std::string& cudnn, std::string& why) {
    const auto p = process::run({cli, "probe", "--no-gpus"});
    json fp = json::parse(p.out, nullptr, false);
    if (p.rc() != 0 || fp.is_discarded() || !fp.contains("toolkit")) {
        why = fmt::format("`{} probe` exited {}: {}", cli, p.rc(), process::tail(p.err + p.out));
        return false;
    }
    const std::string built_cuda = fp["toolkit"].value("cuda", ""), built_cudnn = fp["toolkit"].value("cudnn", "");
    if (same_release(built_cuda, cuda) && (cudnn == "none" || same_release(built_cudnn, cudnn))) return true;
    why = fmt::format("{} reports CUDA {} / cuDNN {} headers, not CUDA {} / cuDNN {}", cli, built_cuda, built_cudnn,
                      cuda, cudnn);
    return false;
}

/// A CLI built against the cell's toolkit and cuDNN headers: `stack fetch-toolkit cuda=<toolkit>
/// cudnn=<toolkit_cudnn>`, then build-<toolkit name>/bin/cuconform in the source tree, built by scripts/build-toolkit
/// when missing or made against another prefix (the toolkit moved: CMake would quietly fall back on the host's), and
/// brought up to date (`cmake --build`, a no-op when nothing changed) when present. The CLI's own probe must then
/// report the cell's toolkit. Empty and `reason` set when it cannot be had.
std::string toolkit_cli(const Cell& cell, std::string& reason) {
    const std::string cudnn = cell.toolkit_cudnn.empty() ? std::string("none") : cell.toolkit_cudnn;
    const std::vector<std::string> fetch{
        self_path(), "stack", "fetch-toolkit", "cuda=" + cell.toolkit, "cudnn=" + cudnn, "--print-prefix"};
    fmt::print("cuconform matrix: cell {}: toolkit CUDA {} with cuDNN {} headers (cuconform stack fetch-toolkit "
               "cuda={} cudnn={})\n",
               cell.id, cell.toolkit, cudnn, cell.toolkit, cudnn);
    const auto p = process::run(fetch);
    const std::string prefix = last_line(p.out);
    if (p.rc() != 0 || prefix.empty() || !fs::is_directory(prefix)) {
        reason = fmt::format(
            "`cuconform stack fetch-toolkit cuda={} cudnn={}` exited {}: {} (check that PyPI is "
            "reachable; the other cells go on)",
            cell.toolkit, cudnn, p.rc(), process::tail(p.err + p.out));
        return "";
    }
    const fs::path source = CUCONFORM_SOURCE_DIR;
    const fs::path build = source / ("build-" + fs::path(prefix).filename().string());
    const fs::path cli = build / "bin" / "cuconform";
    const std::string was = built_against(build);
    std::error_code same_ec;
    if (fs::exists(build) && (was.empty() || fs::weakly_canonical(was, same_ec) != fs::weakly_canonical(prefix, same_ec))) {
        fmt::print("cuconform matrix: cell {}: {} was made against '{}', not {}; making it afresh\n", cell.id,
                   build.string(), was.empty() ? "an unknown prefix" : was, prefix);
        std::error_code ec;
        fs::remove_all(build, ec);
        if (ec) {
            reason = fmt::format("cannot remove {} ({}); remove it by hand so that it is built against {}",
                                 build.string(), ec.message(), prefix);
            return "";
        }
    }
    if (fs::exists(cli) && fs::exists(build / "build.ninja")) {
        // Sources may have changed since that build: let the build system decide what is out of date.
        fmt::print("cuconform matrix: cell {}: bringing {} up to date (cmake --build {})\n", cell.id, cli.string(),
                   build.string());
        const auto b = process::run({"cmake", "--build", build.string(), "-j", "2"});
        if (b.rc() != 0) {
            reason = b.rc() == 127
                         ? fmt::format("`cmake --build {}`: {} (scripts/conform installs cmake)", build.string(),
                                       process::tail(b.err + b.out))
                         : fmt::format("`cmake --build {}` exited {}: {} (the sources no longer build against CUDA {} / "
                                       "cuDNN {}; fix them, or remove {} to configure it afresh)",
                                       build.string(), b.rc(), process::tail(b.err + b.out), cell.toolkit, cudnn, build.string());
            return "";
        }
    } else {
        fmt::print("cuconform matrix: cell {}: building {} (scripts/build-toolkit {})\n", cell.id, cli.string(),
                   prefix);
        const auto b = process::run({(source / "scripts" / "build-toolkit").string(), prefix, build.string()});
        if (b.rc() != 0 || !fs::exists(cli)) {
            reason = fmt::format(
                "`scripts/build-toolkit {} {}` exited {}: {} (fix the build, or run the cell from a "
                "build made with CUDA {} / cuDNN {})",
                prefix, build.string(), b.rc(), process::tail(b.err + b.out), cell.toolkit, cudnn);
            return "";
        }
    }
    if (std::string why; !compiled_with(cli.string(), cell.toolkit, cudnn, why)) {
        reason = fmt::format("{}; remove {} so that `matrix run` builds it afresh against {}", why, build.string(),
                             prefix);
        return "";
    }
    return cli.string();
}

/// What this CLI was built with and what the machine has, measured once per `matrix run`.
struct Here {
    std::string toolkit;        ///< CUDA the running CLI was compiled with ("13.0").
    std::string toolkit_cudnn;  ///< cuDNN headers it was compiled with ("9.19.0").
    std::size_t gpus = 0;
    bool no_gpu_here = false;  ///< No driver, or the driver sees no device: a GPU runner's cell does not belong here.
    std::string gpu_evidence;  ///< What the probe said about the GPUs when it lists none.
};

/// cell.json of a cell that could not be provisioned, and its status.
CellStatus provision_failed(const Cell& cell, const fs::path& out, const json& stack, const std::string& reason) {
    const fs::path cell_dir = out / cell.id;
    fs::create_directories(cell_dir);
    run::write_json_atomically(
        (cell_dir / "cell.json").string(),
        json{{"id", cell.id}, {"matrix", cell.to_json()}, {"stack", stack}, {"provision", {{"ok", false}, {"reason", reason}}}});
    fmt::print("cuconform matrix: cell {} could not be provisioned: {}\n", cell.id, reason);
    return CellStatus{cell.id, "provision-failed", 2, reason};
}

/// A GPU runner's cell where the probe lists no GPU: not a failure of this run, the cell belongs on a GPU runner.
/// Running it here would record every GPU case as UNSUPPORTED under a GPU runner's name.
std::optional<CellStatus> skip_without_gpu(const Cell& cell, const Here& here) {
    if (!cell.needs_gpu() || here.gpus > 0) return std::nullopt;
    if (!here.no_gpu_here) {
        // A driver that is there but fails (crashed or hung query, a driver error): on a GPU runner that is the
        // fault to report, not a reason to skip.
        return CellStatus{cell.id, "provision-failed", 2,
                          fmt::format("runner class '{}' needs a GPU and the probe's GPU query failed: {}; run "
                                      "`cuconform doctor` here",
                                      cell.runner, here.gpu_evidence)};
    }
    const std::string reason = fmt::format(
        "runner class '{}' needs a GPU and this machine has none ({}); the cell runs where `cuconform matrix "
        "plan --github` sends it, or here once `cuconform probe` lists a GPU",
        cell.runner, here.gpu_evidence);
    fmt::print("cuconform matrix: cell {} skipped: {}\n", cell.id, reason);
    return CellStatus{cell.id, "skipped", 0, reason};
}

/// `cuconform run` options every cell passes on: its case globs and variants, jobs and timeout.
std::vector<std::string> run_options(const Cell& cell, const Options& o) {
    std::vector<std::string> args;
    for (const auto& glob : o.only.empty() ? cell.only : o.only) args.insert(args.end(), {"--only", glob});
    for (const auto& variant : cell.variant_list) args.insert(args.end(), {"--variant", variant});
    if (o.jobs > 0) args.insert(args.end(), {"--jobs", std::to_string(o.jobs)});
    if (o.timeout_s > 0) args.insert(args.end(), {"--timeout", std::to_string(o.timeout_s)});
    return args;
}

/// After the catalogue ran (exit `rc`): cell.json gets what the matrix asked for and how the cell was provisioned,
/// beside what the runner measured.
CellStatus finish_cell(const Cell& cell, const fs::path& out, const json& stack, json provision, int rc,
                       const std::string& what) {
    const fs::path cell_dir = out / cell.id;
    json info = json::object();
    try {
        std::ifstream in(cell_dir / "cell.json");
        if (in) info = json::parse(in);
    } catch (const json::exception&) {
    }
    if (!info.is_object()) info = json::object();
    info["id"] = cell.id;
    info["matrix"] = cell.to_json();
    if (!info.contains("stack") || !info["stack"].is_object()) info["stack"] = stack;
    info["stack"]["provider"] = stack.value("provider", cell.provider);
    provision["ok"] = true;
    info["provision"] = std::move(provision);
    fs::create_directories(cell_dir);
    run::write_json_atomically((cell_dir / "cell.json").string(), info);
    if (!fs::exists(cell_dir / "results.jsonl")) {
        return {cell.id, "harness-error", rc == 0 ? 2 : rc,
                fmt::format("{} exited {} and wrote no results to {} (see its messages above)", what, rc,
                            cell_dir.string())};
    }
    if (rc != 0 && rc != 1) {
        return {cell.id, "harness-error", rc,
                fmt::format("{} exited {} (the harness could not run the catalogue); see its messages above", what,
                            rc)};
    }
    return {cell.id, "ran", rc, ""};
}

/// The toolkit CLIs of one run, by toolkit and cuDNN headers: the CLI, or why there is none. Each is fetched, brought up
/// to date and checked once per run, not once per cell.
using ToolkitClis = std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>>;

CellStatus run_cell(const Cell& cell, const Options& o, const fs::path& out, const Here& here, ToolkitClis& toolkits) {
    const std::string self = self_path();
    json stack{{"provider", cell.provider}, {"cuda", cell.cuda}, {"cudnn", cell.cudnn}};
    if (auto skipped = skip_without_gpu(cell, here)) return *skipped;
    // The catalogue compiled with the cell's toolkit and cuDNN headers: this CLI, or one built against them.
    std::string runner = self;
    if (!same_release(here.toolkit, cell.toolkit) || !same_release(here.toolkit_cudnn, cell.toolkit_cudnn)) {
        auto [known, fresh] = toolkits.try_emplace({cell.toolkit, cell.toolkit_cudnn});
        if (fresh) known->second.first = toolkit_cli(cell, known->second.second);
        runner = known->second.first;
        const std::string& reason = known->second.second;
        if (runner.empty()) {
            return provision_failed(cell, out, stack,
                                    fmt::format("this CLI is built with CUDA {} / cuDNN {}, the cell needs CUDA {} / "
                                                "cuDNN {}: {}",
                                                here.toolkit, here.toolkit_cudnn, cell.toolkit, cell.toolkit_cudnn,
                                                reason));
        }
    }
    std::string prefix;
    if (cell.provider == "wheels") {
        const std::vector<std::string> fetch{
            self, "stack", "fetch", "cuda=" + cell.cuda, "cudnn=" + cell.cudnn, "--print-prefix"};
        fmt::print("cuconform matrix: cell {}: fetching the stack (cuconform stack fetch cuda={} cudnn={})\n", cell.id,
                   cell.cuda, cell.cudnn);
        const auto p = process::run(fetch);
        const std::string last = last_line(p.out);
        if (p.rc() != 0) {
            return provision_failed(cell, out, stack,
                                    fmt::format("`cuconform stack fetch cuda={} cudnn={} --print-prefix` exited {}: {} "
                                                "(check that this build has `cuconform stack` and that PyPI is "
                                                "reachable; the other cells go on)",
                                                cell.cuda, cell.cudnn, p.rc(), process::tail(p.err + p.out)));
        }
        if (last.empty() || !fs::is_directory(last)) {
            return provision_failed(cell, out, stack,
                                    fmt::format("`cuconform stack fetch` printed '{}', which is not a directory; "
                                                "expected the stack prefix as the last line",
                                                last));
        }
        prefix = last;
        stack["prefix"] = prefix;
    }
    std::vector<std::string> argv{runner, "run", "--out", out.string(), "--cell", cell.id, "--quiet"};
    const auto options = run_options(cell, o);
    argv.insert(argv.end(), options.begin(), options.end());
    if (!prefix.empty()) argv.insert(argv.end(), {"--stack", prefix});
    fmt::print("cuconform matrix: cell {} ({} stack CUDA {} / cuDNN {}, catalogue built with CUDA {}{})\n", cell.id,
               cell.provider, cell.cuda, cell.cudnn, cell.toolkit, runner == self ? "" : ": " + runner);
    const auto p = process::run(argv, {.output = process::Output::Inherit});
    return finish_cell(cell, out, stack, {{"prefix", prefix}, {"cli", runner}}, p.rc(), "`cuconform run`");
}

/// `--provider container`: the cell's image (built once per run; a failed build fails every cell that needs it),
/// then the catalogue inside it with the results directory mounted at /results.
CellStatus run_container_cell(const Cell& cell, const Options& o, const fs::path& out, const Here& here,
                              const stack::ContainerEngine& engine, std::map<std::string, std::string>& images) {
    json stack{{"provider", "container"}, {"cuda", cell.cuda}, {"cudnn", cell.cudnn}};
    if (auto skipped = skip_without_gpu(cell, here)) return *skipped;
    ContainerCommands c;
    try {
        c = container_commands(cell, engine.name, CUCONFORM_SOURCE_DIR, fs::absolute(out), run_options(cell, o));
    } catch (const std::exception& e) {
        return provision_failed(cell, out, stack, e.what());
    }
    auto [image, fresh] = images.try_emplace(c.image, "");
    if (fresh) {
        fmt::print("cuconform matrix: cell {}: building the image {} ({})\n", cell.id, c.image, fmt::join(c.build, " "));
        const auto b = process::run(c.build);
        if (b.rc() != 0) {
            image->second = fmt::format("`{}` exited {}: {} (fix the image build, or the base image's tag; the other "
                                        "images go on)",
                                        fmt::join(c.build, " "), b.rc(), process::tail(b.err + b.out));
        }
    }
    if (!image->second.empty()) return provision_failed(cell, out, stack, image->second);
    fs::create_directories(out / cell.id);  // made here, so that it is this user's and not the engine's
    fmt::print("cuconform matrix: cell {} in {} ({})\n", cell.id, c.image, fmt::join(c.run, " "));
    const auto p = process::run(c.run, {.output = process::Output::Inherit});
    return finish_cell(cell, out, stack,
                       {{"engine", engine.name}, {"image", c.image}, {"base", c.base}, {"stack", c.stack}}, p.rc(),
                       fmt::format("`{} run`", engine.name));
}

/// Runs `cells` into `out` and returns the exit code (2 when any cell could not run). out/matrix.json holds the plan
/// from the start (every cell "pending") and each cell's status as soon as it is known, so a run that is killed
/// still says which cells it planned, which ran and why the others did not.
int run_cells(const Matrix& m, const std::vector<Cell>& cells, const Options& o, const fs::path& out,
              const std::string& scope) {
    std::optional<stack::ContainerEngine> engine;
    if (o.provider == "container") {
        engine = stack::find_engine(o.engine);
        if (!engine->found || !engine->works) {
            fmt::print(stderr,
                       "cuconform matrix: --provider container: {}. The container provider builds each cell's image "
                       "from containers/Dockerfile and runs it with docker or podman; GPU runners also need the NVIDIA "
                       "Container Toolkit (--gpus all, or CDI for podman). Here, run without --provider: host and "
                       "wheels cells need no engine.\n",
                       engine->found ? fmt::format("`{} info` fails ({})", engine->name,
                                                   engine->error.empty() ? "no message" : engine->error)
                                     : fmt::format("no container engine here ({} not found on PATH)",
                                                   fmt::join(engine->tried, ", ")));
            return kExitHarnessError;
        }
    }
    fs::create_directories(out);
    const auto fp = probe::probe_fingerprint();
    Here here;
    if (fp.contains("toolkit")) {
        here.toolkit = fp["toolkit"].value("cuda", "");
        here.toolkit_cudnn = fp["toolkit"].value("cudnn", "");
    }
    here.gpus = fp.contains("gpus") && fp["gpus"].is_array() ? fp["gpus"].size() : 0;
    const json gpu_error = fp.value("gpu_error", json());
    const std::string error_name = gpu_error.is_object() ? gpu_error.value("name", "") : "";
    here.no_gpu_here = gpu_error.is_null() || error_name == "DRIVER_NOT_FOUND" || error_name == "CUDA_ERROR_NO_DEVICE";
    if (gpu_error.is_null()) {
        here.gpu_evidence = "the probe lists no GPU";
    } else if (gpu_error.is_string()) {
        here.gpu_evidence = gpu_error.get<std::string>();
    } else {
        const json message = gpu_error.value("message", json());
        here.gpu_evidence = fmt::format("{}: {}", error_name, message.is_string() ? message.get<std::string>() : message.dump());
    }
    json summary{{"file", m.file},
                 {"name", m.name},
                 {"scope", scope},
                 {"build", {{"cuda", m.build_cuda}, {"cudnn", m.build_cudnn}}},
                 {"host", {{"cuda", m.host_cuda}, {"cudnn", m.host_cudnn}}},
                 {"cells", json::array()}};
    for (const auto& cell : cells) {
        summary["cells"].push_back(
            {{"id", cell.id}, {"status", "pending"}, {"exit", nullptr}, {"reason", ""}, {"matrix", cell.to_json()}});
    }
    const std::string summary_path = (out / "matrix.json").string();
    run::write_json_atomically(summary_path, summary);
    int rc = 0;
    std::size_t ran = 0;
    std::map<std::string, std::string> images;  // container images built in this run, and why one failed
    ToolkitClis toolkits;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const auto s = engine ? run_container_cell(cells[i], o, fs::absolute(out), here, *engine, images)
                              : run_cell(cells[i], o, out, here, toolkits);
        auto& entry = summary["cells"][i];
        entry["status"] = s.status;
        entry["exit"] = s.exit;
        entry["reason"] = s.reason;
        run::write_json_atomically(summary_path, summary);
        ran += s.status == "ran";
        rc = std::max(rc, s.status == "ran" || s.status == "skipped" ? s.exit : 2);
    }
    fmt::print(
        "cuconform matrix: {} of {} cells ran ({}); {} did not (reasons in {} and each cell.json)\n", ran,
        cells.size(), scope, cells.size() - ran, summary_path);
    return rc;
}

std::vector<Cell> selected(const Matrix& m, const Options& o) {
    auto cells = m.select(o.tag);
    if (cells.empty()) {
        throw MatrixError(
            m.file, 0,
            fmt::format("no cell is tagged '{}'; see the tags with `cuconform matrix plan {}`", o.tag, m.file));
    }
    return cells;
}

int plan(const Options& o) {
    const auto m = load_matrix(o.file);
    const auto cells = selected(m, o);
    if (o.github) {
        std::cout << github_matrix(cells).dump() << "\n";
    } else if (o.json_out) {
        json out{{"file", m.file}, {"name", m.name}, {"axes", m.axes}, {"cells", json::array()}};
        for (const auto& c : cells) out["cells"].push_back(c.to_json());
        std::cout << out.dump(2) << "\n";
    } else {
        print_table(cells);
        std::size_t skew = 0, wheels = 0;
        for (const auto& c : cells) {
            skew += c.skew;
            wheels += c.provider == "wheels";
        }
        fmt::print("{} cells ({} from wheels, {} skew) in {}{}\n", cells.size(), wheels, skew, m.file,
                   o.tag.empty() ? "" : " tagged " + o.tag);
    }
    return kExitOk;
}

int shard_command(const Options& o) {
    const auto m = load_matrix(o.file);
    if (o.count == 0 || o.index >= o.count) {
        fmt::print(stderr, "cuconform matrix shard: --index {} --count {}: the index must be 0..count-1\n", o.index,
                   o.count);
        return kExitHarnessError;
    }
    const auto cells = shard(selected(m, o), o.index, o.count);
    if (!o.run) {
        if (o.json_out) {
            json out = json::array();
            for (const auto& c : cells) out.push_back(c.to_json());
            std::cout << out.dump(2) << "\n";
        } else {
            for (const auto& c : cells) std::cout << c.id << "\n";
        }
        return kExitOk;
    }
    const fs::path out = o.out.empty() ? fs::path(fmt::format("reports/matrix/shard-{}", o.index)) : fs::path(o.out);
    if (cells.empty()) {
        fs::create_directories(out);
        run::write_json_atomically((out / "matrix.json").string(),
                                   json{{"file", m.file},
                                        {"scope", fmt::format("shard {} of {}", o.index, o.count)},
                                        {"cells", json::array()}});
        fmt::print("cuconform matrix shard: shard {} of {} has no cell (the matrix has fewer cells than shards)\n",
                   o.index, o.count);
        return kExitOk;
    }
    return run_cells(m, cells, o, out, fmt::format("shard {} of {}", o.index, o.count));
}

int run_command(const Options& o) {
    const auto m = load_matrix(o.file);
    const auto cells = selected(m, o);
    const fs::path out = o.out.empty() ? fs::path("reports/matrix") : fs::path(o.out);
    int rc = run_cells(m, cells, o, out, "whole matrix");
    bool any_results = false;
    for (const auto& c : cells) any_results |= fs::exists(out / c.id / "results.jsonl");
    if (!any_results) {
        fmt::print(stderr,
                   "cuconform matrix run: no cell produced results, so there is no report; see the reasons "
                   "above\n");
        return kExitHarnessError;
    }
    const std::string self = self_path();
    const fs::path report = out / "report";
    for (const auto& argv :
         std::vector<std::vector<std::string>>{{self, "report", out.string(), "-o", report.string()},
                                               {self, "table", out.string(), "-o", report.string()},
                                               {self, "junit", out.string(), "-o", (report / "junit.xml").string()}}) {
        const auto p = process::run(argv);
        if (p.rc() != 0 && p.rc() != 1) {
            fmt::print(stderr, "cuconform matrix run: `cuconform {}` failed (exit {}): {}\n", argv[1], p.rc(),
                       process::tail(p.err + p.out));
            rc = kExitHarnessError;
        } else if (argv[1] == "report") {
            std::cerr << p.err;  // its warnings and the coverage lines: cells without results, values not exercised
            std::cout << p.out;
        }
    }
    fmt::print("cuconform matrix run: report {}/index.html, table {}/table.md, JUnit {}/junit.xml, results {}/<cell>\n",
               report.string(), report.string(), report.string(), out.string());
    return rc;
}

int resources(const Options& o) {
    json fp;
    if (!o.fingerprint.empty()) {
        std::ifstream in(o.fingerprint);
        try {
            fp = json::parse(in);
        } catch (const json::exception& e) {
            fmt::print(stderr,
                       "cuconform matrix resources: {} is not a fingerprint ({}); write one with `cuconform "
                       "probe -o FILE`\n",
                       o.fingerprint, e.what());
            return kExitHarnessError;
        }
    } else {
        fp = probe::probe_fingerprint();
    }
    const auto spec = resource_spec(fp, o.slots);
    if (o.resources_out.empty()) {
        std::cout << spec.dump(2) << "\n";
    } else {
        run::write_json_atomically(o.resources_out, spec);
    }
    if (spec["local"][0]["gpus"].empty()) {
        fmt::print(stderr,
                   "cuconform matrix resources: this stack lists no GPU (fingerprint \"gpus\" is empty), so "
                   "the spec has no gpus slot; tests with RESOURCE_GROUPS gpus:1 will not be scheduled here\n");
    }
    return kExitOk;
}

int guarded(const char* what, const std::function<int()>& body) {
    try {
        return body();
    } catch (const MatrixError& e) {
        fmt::print(stderr, "cuconform matrix {}: {}\n", what, e.what());
    } catch (const std::exception& e) {
        fmt::print(stderr, "cuconform matrix {}: {}\n", what, e.what());
    }
    return kExitHarnessError;
}

CommandSetup setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<Options>();
    sub.require_subcommand(1);
    auto add_file = [&](CLI::App* app) {
        app->add_option("file", o->file, "Matrix file (matrix/*.yaml)")->required();
        app->add_option("--tag", o->tag, "Only the cells with this tag (pr, nightly, ...)");
    };
    auto add_run = [&](CLI::App* app) {
        app->add_option("--only", o->only,
                        "Case id or glob for every cell (repeatable; overrides the file's run.only)");
        app->add_option("-j,--jobs", o->jobs, "Case processes at a time (passed to cuconform run)");
        app->add_option("--timeout", o->timeout_s, "Seconds per case process (passed to cuconform run)");
        app->add_option("--provider", o->provider,
                        "container: run every cell in an image from containers/Dockerfile on NVIDIA's CUDA image "
                        "(docker or podman); default: each cell's own provider (host or wheels)")
            ->check(CLI::IsMember({"container"}));
        app->add_option("--engine", o->engine, "With --provider container: docker or podman (default: the first "
                                               "installed)")
            ->check(CLI::IsMember({"docker", "podman"}));
    };
    auto* plan_app = sub.add_subcommand("plan", "Expand a matrix file into cells and print them");
    add_file(plan_app);
    plan_app->add_flag("--json", o->json_out, "Cells as JSON");
    plan_app->add_flag("--github", o->github, "{\"include\": [...]} for GitHub Actions strategy.matrix (fromJSON)");
    auto* shard_app = sub.add_subcommand("shard", "List (or --run) the cells of one shard (round-robin)");
    add_file(shard_app);
    shard_app->add_option("--index", o->index, "Shard index, 0..count-1 (e.g. $SLURM_ARRAY_TASK_ID)")->required();
    shard_app->add_option("--count", o->count, "Number of shards")->required();
    shard_app->add_flag("--run", o->run, "Run the shard's cells instead of listing them");
    shard_app->add_flag("--json", o->json_out, "List the cells as JSON");
    shard_app->add_option("-o,--out", o->out, "Results directory of this shard (default reports/matrix/shard-I)");
    add_run(shard_app);
    auto* run_app = sub.add_subcommand("run", "Provision and run every cell here, then write one merged report");
    add_file(run_app);
    run_app->add_option("-o,--out", o->out, "Results and report directory (default reports/matrix)");
    add_run(run_app);
    auto* res_app = sub.add_subcommand("resources",
                                       "Print a CTest resource spec (ctest --resource-spec-file) with "
                                       "this stack's GPUs");
    res_app->add_option("--fingerprint", o->fingerprint, "Read the GPUs from this fingerprint instead of probing");
    res_app->add_option("--slots", o->slots, "Slots per GPU")->capture_default_str();
    res_app->add_option("-o,--out", o->resources_out, "Write the spec here instead of standard output");
    return [o, plan_app, shard_app, run_app, res_app] {
        if (plan_app->parsed()) return guarded("plan", [&] { return plan(*o); });
        if (shard_app->parsed()) return guarded("shard", [&] { return shard_command(*o); });
        if (run_app->parsed()) return guarded("run", [&] { return run_command(*o); });
        if (res_app->parsed()) return guarded("resources", [&] { return resources(*o); });
        return static_cast<int>(kExitHarnessError);
    };
};

CUCONFORM_COMMAND("matrix", "Plan, shard and run the version matrix (matrix/*.yaml)", 35, setup);

CommandSetup merge_setup = [](CLI::App& sub) -> std::function<int()> {
    auto inputs = std::make_shared<std::vector<std::string>>();
    auto out = std::make_shared<std::string>();
    sub.add_option("dirs", *inputs, "Shard result directories")->required();
    sub.add_option("-o,--out", *out, "Merged results directory (one <cell>/ per cell)")->required();
    return [inputs, out] {
        try {
            std::vector<std::string> warnings;
            std::vector<fs::path> paths(inputs->begin(), inputs->end());
            const auto cells = merge_results(paths, *out, warnings);
            for (const auto& w : warnings) fmt::print(stderr, "cuconform merge: {}\n", w);
            fmt::print(
                "cuconform merge: {} cells from {} directories into {}; report with `cuconform report {} -o "
                "DIR`\n",
                cells.size(), inputs->size(), *out, *out);
            return static_cast<int>(kExitOk);
        } catch (const std::exception& e) {
            fmt::print(stderr, "cuconform merge: {}\n", e.what());
            return static_cast<int>(kExitHarnessError);
        }
    };
};

CUCONFORM_COMMAND("merge", "Merge shard result directories (idempotent, order-independent)", 36, merge_setup);

}  // namespace
}  // namespace cuconform::matrix
