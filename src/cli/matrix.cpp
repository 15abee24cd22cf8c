// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform matrix plan|shard|run|resources` and `cuconform merge`: the matrix from file to merged report.
#include "matrix/matrix.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <set>

#include "core/command.h"
#include "core/files.h"
#include "knowledge/knowledge.h"
#include "matrix/orchestrate.h"
#include "probe/fingerprint.h"
#include "provision/providers.h"
#include "provision/toolkit.h"
#include "provision/wheels.h"
#include "report/report.h"
#include "results/record_io.h"
#include "results/store.h"

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
    double timeout_s = 0;
    std::string provider;  ///< "container": every cell in an image (docker/podman); empty: host and wheels per cell.
    std::string engine;    ///< docker | podman (default: the first installed; podman with --base local).
    std::string base;      ///< nvidia (default) | local | an image (--provider container).
    std::string fingerprint;
    int slots = 1;
    std::string resources_out;
};

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

/// Runs `cells` into `out` with their providers: host and wheels here, every cell in a container with
/// `--provider container`. Exit 2 when any cell could not run.
int run_with_providers(const Matrix& m, const std::vector<Cell>& cells, const Options& o, const fs::path& out,
                       const std::string& scope) {
    std::unique_ptr<Provider> provider;
    const auto fp = probe::probe_fingerprint();
    const Machine machine = Machine::from(fp);
    if (o.provider == "container") {
        if (o.base == "local" && o.engine == "docker") {
            fmt::print(stderr,
                       "cuconform matrix: --base local is made and built with podman (scripts/containers); use "
                       "--engine podman, or --base nvidia with docker\n");
            return kExitHarnessError;
        }
        if (o.base == "local") {
            // Before anything is fetched or built: the local base has no compiler for the kernels but the toolkit's
            // own, and NVIDIA's CUDA 11/12 wheels carry no nvcc (stack fetch-toolkit's toolkit.json says so).
            std::vector<std::string> old;
            for (const auto& c : cells) {
                if (std::atoi(c.toolkit.c_str()) < 13)
                    old.push_back(fmt::format("{} (toolkit CUDA {})", c.id, c.toolkit));
            }
            if (!old.empty()) {
                fmt::print(
                    stderr,
                    "cuconform matrix: --base local needs a CUDA 13 toolkit or later: {} of the cells ask for an "
                    "older one: {}. The catalogue's kernels are compiled in the image by the toolkit's own nvcc, "
                    "and NVIDIA's CUDA 11 and 12 wheels carry none (only ptxas and libnvvm), while the local "
                    "base has no CUDA of its own. Fix: on a runner that reaches a registry, --base nvidia "
                    "(NVIDIA's CUDA image brings the nvcc of the toolkit); or --base IMAGE with an nvcc under "
                    "/usr/local/cuda; or leave out --provider container for these cells (wheels cells build with "
                    "the host's nvcc: scripts/build-toolkit --nvcc); or select CUDA 13 cells (--tag)\n",
                    old.size(), fmt::join(old, ", "));
                return kExitHarnessError;
            }
        }
        const std::string choice = o.base == "local" ? "podman" : o.engine;
        auto engine = provision::find_engine(choice);
        for (const auto& skipped : engine.passed_over) {
            fmt::print(stderr, "cuconform matrix: {}; using {} instead (--engine chooses)\n", skipped, engine.name);
        }
        if (!engine.found) {
            fmt::print(stderr,
                       "cuconform matrix: --provider container: {}. The container provider builds each cell's image "
                       "from containers/Dockerfile and runs it with docker or podman; GPU runners also need the NVIDIA "
                       "Container Toolkit (--gpus all, or CDI for podman). Fix: scripts/containers setup (installs "
                       "podman, runc and mmdebstrap from Debian's packages); or run without --provider: host and "
                       "wheels cells need no engine.\n",
                       engine.problem());
            return kExitHarnessError;
        }
        // Before any image is built: the engine starts a container here (podman with the project's settings;
        // scripts/containers check says what the engine said and the fix).
        if (const auto problem = provision::engine_start_problem(engine); !problem.empty()) {
            fmt::print(stderr, "cuconform matrix: --provider container --base {}: {}\n",
                       o.base.empty() ? "nvidia" : o.base, problem);
            return kExitHarnessError;
        }
        provider = std::make_unique<provision::ContainerProvider>(std::move(engine), o.base);
    } else {
        provider = std::make_unique<provision::LocalProvider>(machine);
    }
    RunSettings settings{o.only, o.jobs, o.timeout_s};
    return matrix::run_cells(
        m, cells, [&](const Cell&) -> Provider& { return *provider; }, machine, settings, out, scope);
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

/// The toolkit this CLI was built with ("13.0") and its cuDNN headers: cells on another need a toolkit prefix.
std::pair<std::string, std::string> machine_toolkit() {
    const auto fp = probe::probe_fingerprint({.gpus = false});
    return {fp.toolkit.cuda, fp.toolkit.cudnn};
}

/// What running the cells will download: the run stacks and toolkit prefixes not yet in the cache, before a
/// nightly fetches gigabytes unasked.
void print_downloads(const std::vector<Cell>& cells, const std::pair<std::string, std::string>& here) {
    const fs::path cache = provision::cache_root();
    std::set<std::string> stacks, toolkits, missing_stacks, missing_toolkits;
    std::uintmax_t cached_bytes = 0;
    for (const auto& c : cells) {
        try {
            if (c.provider == "wheels") {
                const std::string name = provision::StackRequest::parse({"cuda=" + c.cuda, "cudnn=" + c.cudnn}).name();
                if (stacks.insert(name).second) {
                    const fs::path prefix = cache / "stacks" / name;
                    if (fs::exists(prefix / "stack.json")) {
                        cached_bytes += provision::tree_size(prefix.string());
                    } else {
                        missing_stacks.insert(name);
                    }
                }
            }
            if (!provision::same_release(here.first, c.toolkit) ||
                !provision::same_release(here.second, c.toolkit_cudnn)) {
                const std::string cudnn = c.toolkit_cudnn.empty() ? "none" : c.toolkit_cudnn;
                const std::string name = provision::StackRequest::parse({"cuda=" + c.toolkit, "cudnn=" + cudnn}).name();
                if (toolkits.insert(name).second && !fs::exists(cache / "toolkits" / name / "toolkit.json")) {
                    missing_toolkits.insert(name);
                }
            }
        } catch (const std::exception&) {
            // A version the wheels cannot name: `matrix run` says so for that cell.
        }
    }
    if (stacks.empty() && toolkits.empty()) return;
    fmt::print(
        "downloads: {} run stack{} and {} toolkit prefix{} from NVIDIA's PyPI wheels into {}; {} and {} not "
        "there yet{}{}\n",
        stacks.size(), stacks.size() == 1 ? "" : "s", toolkits.size(), toolkits.size() == 1 ? "" : "es", cache.string(),
        missing_stacks.size(), missing_toolkits.size(),
        missing_stacks.empty() && missing_toolkits.empty()
            ? ""
            : " (a stack's cuDNN and cuBLAS wheels are about 1.5 GB; a toolkit prefix adds the compiler's)",
        stacks.size() > missing_stacks.size()
            ? fmt::format("; the cached stacks take {:.1f} GB", static_cast<double>(cached_bytes) / 1e9)
            : "");
    for (const auto& name : missing_stacks) fmt::print("  to fetch: stacks/{}\n", name);
    for (const auto& name : missing_toolkits) fmt::print("  to fetch: toolkits/{}\n", name);
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
        print_downloads(cells, machine_toolkit());
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
        results::MatrixPlan plan;
        plan.file = m.file;
        plan.name = m.name;
        plan.scope = fmt::format("shard {} of {}", o.index, o.count);
        write_file_atomically(out / "matrix.json", results::to_json(plan).dump(2) + "\n");
        fmt::print("cuconform matrix shard: shard {} of {} has no cell (the matrix has fewer cells than shards)\n",
                   o.index, o.count);
        return kExitOk;
    }
    return run_with_providers(m, cells, o, out, fmt::format("shard {} of {}", o.index, o.count));
}

int run_command(const Options& o) {
    const auto m = load_matrix(o.file);
    const auto cells = selected(m, o);
    const fs::path out = o.out.empty() ? fs::path("reports/matrix") : fs::path(o.out);
    int rc = run_with_providers(m, cells, o, out, "whole matrix");
    if (rc == kExitHarnessError && !fs::exists(out / "matrix.json")) return rc;
    bool any_results = false;
    for (const auto& c : cells) any_results |= fs::exists(out / c.id / "results.jsonl");
    if (!any_results) {
        fmt::print(stderr,
                   "cuconform matrix run: no cell produced results, so there is no report; see the reasons "
                   "above\n");
        return kExitHarnessError;
    }
    const fs::path dir = out / "report";
    const auto set = report::load_results({out});
    for (const auto& w : set.warnings) fmt::print(stderr, "cuconform: warning: {}\n", w);
    report::HtmlOptions options;
    options.knowledge = &knowledge::KnowledgeBase::builtin();
    const auto published = report::publish(set, dir, options);
    report::print_coverage(set, options.knowledge);
    fmt::print("{}\n", report::tally_line(published.tally));
    fmt::print("cuconform matrix run: report {}, table {}, JUnit {}, results {}/<cell>\n", published.index.string(),
               published.table.string(), published.junit.string(), out.string());
    return rc;
}

int resources(const Options& o) {
    results::Fingerprint fp;
    if (!o.fingerprint.empty()) {
        std::vector<std::string> warnings;
        const auto read = results::CellStore(fs::path(o.fingerprint).parent_path()).read_fingerprint(warnings);
        if (!read || fs::path(o.fingerprint).filename() != "fingerprint.json") {
            try {
                fp = results::parse_fingerprint(results::parse_json(read_file(o.fingerprint), o.fingerprint));
            } catch (const std::exception& e) {
                fmt::print(stderr,
                           "cuconform matrix resources: {} is not a fingerprint ({}); write one with `cuconform "
                           "probe -o FILE`\n",
                           o.fingerprint, e.what());
                return kExitHarnessError;
            }
        } else {
            fp = *read;
        }
    } else {
        fp = probe::probe_fingerprint();
    }
    const auto spec = resource_spec(fp, o.slots);
    if (o.resources_out.empty()) {
        std::cout << spec.dump(2) << "\n";
    } else {
        write_file_atomically(o.resources_out, spec.dump(2) + "\n");
    }
    if (fp.gpus.empty()) {
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
        app->add_option("-j,--jobs", o->jobs, "Case processes at a time (passed to cuconform run)")
            ->check(CLI::Range(1, 1024));
        app->add_option("--timeout", o->timeout_s, "Seconds per case process (passed to cuconform run)")
            ->check(CLI::Range(0.001, 86400.0));
        app->add_option("--provider", o->provider,
                        "container: run every cell in an image from containers/Dockerfile (docker or podman; the "
                        "base: --base); default: each cell's own provider (host or wheels)")
            ->check(CLI::IsMember({"container"}));
        app->add_option("--engine", o->engine,
                        "With --provider container: docker or podman (default: the first "
                        "installed)")
            ->check(CLI::IsMember({"docker", "podman"}));
        app->add_option("--base", o->base,
                        "With --provider container: nvidia (NVIDIA's CUDA image for each toolkit, the default), local "
                        "(the project's Debian base made here, toolkit and stack from NVIDIA's wheels, podman: "
                        "scripts/containers), or an image");
    };
    auto* plan_app = sub.add_subcommand("plan", "Expand a matrix file into cells and print them");
    add_file(plan_app);
    auto* plan_json = plan_app->add_flag("--json", o->json_out, "Cells as JSON");
    plan_app->add_flag("--github", o->github, "{\"include\": [...]} for GitHub Actions strategy.matrix (fromJSON)")
        ->excludes(plan_json);
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
    res_app->add_option("--slots", o->slots, "Slots per GPU")->capture_default_str()->check(CLI::Range(1, 1024));
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
            std::vector<fs::path> paths(inputs->begin(), inputs->end());
            const auto cells = merge_results(paths, *out);
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
