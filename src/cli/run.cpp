// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform run`, `list`, `explain`, and the hidden `__case` entry point of case processes.
#include <fmt/format.h>

#include <iostream>
#include <numeric>
#include <sstream>

#include "catalog/expectation.h"
#include "core/command.h"
#include "core/files.h"
#include "core/util.h"
#include "isolate/stack.h"
#include "probe/fingerprint.h"
#include "provision/container.h"
#include "provision/wheels.h"
#include "report/report.h"
#include "results/record_io.h"
#include "results/store.h"
#include "run/runner.h"

namespace cuconform::run {
namespace {
using nlohmann::json;

CommandSetup run_setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<RunOptions>();
    sub.add_option("-o,--out", o->out_dir, "Results directory; each cell writes <out>/<cell>/results.jsonl")
        ->capture_default_str();
    sub.add_option("--cell", o->cell, "Cell id (default: derived from the stack)");
    sub.add_option("--only", o->only, "Case id or glob to run (repeatable): loader.*, shape.conv.channel_mismatch");
    sub.add_option("--family", o->families, "Run only this family (repeatable)");
    sub.add_option("--label", o->labels, "Run only cases with this label (repeatable)");
    sub.add_option("--variant", o->variants, "Run only this variant (repeatable)");
    sub.add_option("-j,--jobs", o->jobs, "Case processes at a time")->capture_default_str()->check(CLI::Range(1, 1024));
    sub.add_option("--timeout", o->timeout_s, "Seconds before a case process is killed (TIMEOUT)")
        ->check(CLI::Range(0.001, 86400.0))
        ->capture_default_str();
    sub.add_option("--retries", o->retries, "Re-run a failing result this many times; a later pass is FLAKY")
        ->check(CLI::Range(0, 100));
    sub.add_option("--waivers", o->waivers,
                   "Waivers file (default: matrix/waivers.yaml); a failure it covers becomes WAIVED")
        ->check(CLI::ExistingFile);
    sub.add_flag("--resume", o->resume, "Keep the results already recorded in the cell and run only the rest");
    sub.add_option("--stack", o->stack_prefix,
                   "Run inside this prefix: CUDA/cuDNN/cuBLAS only from PREFIX/lib (`cuconform stack fetch`)");
    sub.add_option("--isolation", o->isolation,
                   "With --stack: bwrap (bubblewrap: also hides the host's CUDA libraries in system directories), "
                   "loader (ld.so --inhibit-cache), or auto (bwrap when it can start a sandbox here, else loader)")
        ->check(CLI::IsMember({"auto", "loader", "bwrap"}))
        ->capture_default_str();
    sub.add_option("--reproduce-via", o->reproduce_via,
                   "Shell words that re-enter this environment, written in place of the CLI's path at the head of each "
                   "result's reproduce command (matrix run gives a container cell's `ENGINE run ... IMAGE@DIGEST`)");
    sub.add_flag("-q,--quiet", o->quiet, "Print only the summary line");
    sub.add_option("--skip-exit-code", o->skip_exit_code,
                   "Exit with this code when every result could not run here (UNSUPPORTED), after their reasons: "
                   "CTest's SKIP_RETURN_CODE")
        ->check(CLI::Range(1, 255));
    return [o] {
        // Under `ctest --resource-spec-file`, a GPU case is given one GPU of the spec: "id:1,slots:1".
        if (const char* gpus = std::getenv("CTEST_RESOURCE_GROUP_0_GPUS"); gpus != nullptr) {
            const std::string given = gpus;
            const auto id = given.find("id:");
            if (id != std::string::npos) {
                const std::string device = given.substr(id + 3, given.find(',', id) - id - 3);
                setenv("CUDA_VISIBLE_DEVICES", device.c_str(), 1);
            }
        }
        if (!o->stack_prefix.empty()) {
            try {
                o->isolation = isolate::resolve_isolation(o->isolation);
                isolate::enter_stack(o->stack_prefix, o->isolation);  // Re-executes unless already inside.
                o->stack = provision::stack_record(o->stack_prefix, o->isolation);
            } catch (const std::runtime_error& e) {
                fmt::print(stderr, "cuconform run: {}\n", e.what());
                return static_cast<int>(kExitHarnessError);
            }
        } else if (const char* image = std::getenv("CUCONFORM_IMAGE_STACK"); image != nullptr && *image != '\0') {
            // In a cell's image (containers/Dockerfile sets the variable): the image's stack, first on the loader's
            // path, is the cell's, recorded from its stack.json as `--stack` records a prefix (not as the host's).
            o->stack = provision::stack_record(provision::kImageStackPrefix, "image");
            o->stack->provider = "container";
        }
        try {
            const auto outcome = run_catalog(*o);
            if (outcome.cell_dir.empty()) return outcome.exit_code;
            // JUnit for CI beside the results: every result of the cell, those of earlier runs kept by --resume too.
            std::ostringstream junit;
            report::write_junit(junit, report::load_results({outcome.cell_dir}));
            write_file_atomically(outcome.cell_dir / "junit.xml", junit.str());
            // CTest's skip protocol: a case that could not run here is a skipped test, with its reason, not a pass.
            const int ran = std::accumulate(outcome.counts.begin(), outcome.counts.end(), 0,
                                            [](int n, const auto& entry) { return n + entry.second; });
            const auto unsupported = outcome.counts.find(Verdict::Unsupported);
            if (o->skip_exit_code > 0 && outcome.exit_code == kExitOk && ran > 0 &&
                unsupported != outcome.counts.end() && unsupported->second == ran) {
                for (const auto& r : results::CellStore(outcome.cell_dir).read_results()) {
                    if (r.result.verdict == Verdict::Unsupported) {
                        fmt::print("UNSUPPORTED {}[{}]: {}\n", r.result.case_id, r.result.variant, r.result.reason);
                    }
                }
                return o->skip_exit_code;
            }
            return outcome.exit_code;
        } catch (const FileError& e) {
            fmt::print(stderr,
                       "cuconform run: {}; nothing recorded so far is lost, and `--resume` goes on from "
                       "there once the cause is fixed\n",
                       e.what());
            return static_cast<int>(kExitHarnessError);
        } catch (const std::runtime_error& e) {
            // A bad --waivers file, a cell folder another run holds, a damaged results.jsonl to resume.
            fmt::print(stderr, "cuconform run: {}\n", e.what());
            return static_cast<int>(kExitHarnessError);
        }
    };
};

struct CaseProcessOptions {
    std::string id, variant = "default", fingerprint;
    int result_fd = 3;
};

CommandSetup case_setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<CaseProcessOptions>();
    sub.group("");  // Internal: started by the runner, not by people.
    sub.add_option("--id", o->id)->required();
    sub.add_option("--variant", o->variant);
    sub.add_option("--fingerprint", o->fingerprint)->required();
    sub.add_option("--result-fd", o->result_fd);
    return [o] { return run_case_process(o->id, o->variant, o->fingerprint, o->result_fd); };
};

struct ListOptions {
    bool json = false;
    std::vector<std::string> only;
    bool ctest = false;
    std::string fingerprint;
};

CommandSetup list_setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<ListOptions>();
    sub.add_flag("--json", o->json, "Machine-readable list");
    sub.add_option("--only", o->only, "Id globs");
    sub.add_flag("--ctest", o->ctest, "Print CTest add_test() lines (used by the build)")->group("");
    sub.add_option("--fingerprint", o->fingerprint,
                   "With --json: also what each case x variant expects on this saved fingerprint (`cuconform probe "
                   "-o FILE`, or a cell's fingerprint.json), and the rule that decides");
    return [o]() -> int {
        validate_catalog();
        std::optional<results::Fingerprint> on;
        if (!o->fingerprint.empty()) {
            try {
                on = results::parse_fingerprint(results::parse_json(read_file(o->fingerprint), o->fingerprint));
            } catch (const std::exception& e) {
                fmt::print(stderr, "cuconform list: {} is not a fingerprint: {}\n", o->fingerprint, e.what());
                return static_cast<int>(kExitHarnessError);
            }
        }
        RunOptions sel;
        sel.only = o->only;
        const auto cases = select_cases(sel);
        if (o->ctest) {
            // One CTest test per case; the CTest script that includes this output sets the command.
            for (const auto* c : cases) {
                fmt::print("cuconform_add_case_test([=[{}]=] [=[{}]=] [=[{}]=] [=[{}]=]{})\n", c->id, c->family(),
                           fmt::join(c->all_labels(), ";"), c->needs_gpu() ? "gpus:1" : "",
                           c->needs_whole_gpu() ? " SERIAL" : "");
            }
            return kExitOk;
        }
        if (o->json) {
            json out = json::array();
            for (const auto* c : cases) {
                json variants = json::array();
                for (const auto& v : c->runs()) {
                    json variant = v.to_json();
                    if (on) {
                        const auto d = decide_expectation(*c, v, *on);
                        variant["expected"] = d.outcome;
                        variant["rule"] = {{"index", d.rule_index}, {"text", d.rule_text}, {"why", d.why}};
                    }
                    variants.push_back(variant);
                }
                out.push_back({{"id", c->id},
                               {"family", c->family()},
                               {"title", c->title},
                               {"symptom", c->symptom},
                               {"cause", c->cause},
                               {"seed", c->seed},
                               {"labels", c->all_labels()},
                               {"needs",
                                [&] {
                                    json needs = json::array();
                                    for (const Need n : c->needs) needs.push_back(to_string(n));
                                    return needs;
                                }()},
                               {"needs_gpu", c->needs_gpu()},
                               {"variants", variants},
                               {"expect", c->expect},
                               {"file", c->file},
                               {"line", c->line}});
            }
            std::cout << out.dump(2) << "\n";
            return kExitOk;
        }
        std::size_t width = 0;
        for (const auto* c : cases) width = std::max(width, c->id.size());
        for (const auto* c : cases) {
            fmt::print("{:<{}}  {:>2} run{} {}  {}\n", c->id, width, c->runs().size(),
                       c->runs().size() == 1 ? " " : "s", c->needs_gpu() ? "gpu" : "   ", c->title);
        }
        fmt::print("{} cases\n", cases.size());
        return kExitOk;
    };
};

CommandSetup explain_setup = [](CLI::App& sub) -> std::function<int()> {
    auto id = std::make_shared<std::string>();
    sub.add_option("id", *id, "Case id")->required();
    return [id] {
        validate_catalog();
        const CaseSpec* c = CaseRegistry::instance().find(*id);
        if (c == nullptr) {
            std::vector<std::string> ids;
            for (const auto& spec : CaseRegistry::instance().all()) ids.push_back(spec.id);
            const auto near = near_matches(*id, ids, 5);
            fmt::print(stderr, "cuconform explain: no case '{}'{}; `cuconform list` shows every id\n", *id,
                       near.empty() ? "" : fmt::format(" (did you mean {}?)", fmt::join(near, ", ")));
            return kExitHarnessError;
        }
        fmt::print("{}\n  {}\n\n", c->id, c->title);
        fmt::print(
            "What the user sees:  {}\nNative root cause:   {}\nSeed scenario:       {}\nDefined at:          {}:{}\n",
            c->symptom, c->cause, c->seed, c->file, c->line);
        if (!c->needs.empty()) {
            std::vector<std::string> needs;
            for (const Need n : c->needs) needs.emplace_back(to_string(n));
            fmt::print("Needs:               {}\n", fmt::join(needs, ", "));
        }
        fmt::print("\nRules (the first that holds decides):\n");
        std::istringstream rules(c->rules());
        for (std::string line; std::getline(rules, line);) {
            if (line.find_first_not_of(" \t") != std::string::npos)
                fmt::print("  {}\n", line.substr(line.find_first_not_of(" \t")));
        }
        const auto fp = probe::probe_fingerprint();
        fmt::print("\nOn this stack (CUDA runtime {}, cuDNN {}, {} GPU):\n", fp.runtime.version.value_or("none"),
                   fp.cudnn.loaded.value_or("none"), fp.has_gpu() ? fp.gpus[0].name : "no");
        for (const auto& v : c->runs()) {
            const auto d = decide_expectation(*c, v, fp);
            fmt::print("  variant {:<16} expects {}\n    decided by rule {}: {}\n    because {}\n", v.name,
                       d.outcome.str(), d.rule_index + 1, d.rule_text, d.why.empty() ? "(no facts read)" : d.why);
        }
        return kExitOk;
    };
};

CUCONFORM_COMMAND("run", "Run the catalogue on this stack, one process per case x variant", 30, run_setup);
CUCONFORM_COMMAND("list", "List the cases of the catalogue", 31, list_setup);
CUCONFORM_COMMAND("explain", "Explain a case: what it reproduces, its rules, what it expects here", 32, explain_setup);
CUCONFORM_COMMAND("__case", "", 999, case_setup);

}  // namespace
}  // namespace cuconform::run
