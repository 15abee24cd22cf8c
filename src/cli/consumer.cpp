// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform frameworks plan|run FILE`: the framework cells of matrix/frameworks.yaml (what `pip install
/// <framework>==X` resolves, and that venv with one wheel swapped), each run as `cuconform run --only 'framework.*'`
/// inside its venv and checked against `predict --framework`; and `cuconform __consumer-confirm`, the fresh process
/// that makes a consumer's loads (started by consumer::confirm_loads, not by people).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "consumer/cells.h"
#include "consumer/confirm.h"
#include "core/command.h"
#include "core/process.h"
#include "matrix/orchestrate.h"
#include "predict/framework.h"
#include "probe/fingerprint.h"
#include "results/store.h"

namespace cuconform::consumer {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

struct ConfirmOptions {
    std::string request;
    int result_fd = 3;
};

CommandSetup confirm_setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<ConfirmOptions>();
    sub.group("");  // Internal.
    sub.add_option("--request", o->request)->required();
    sub.add_option("--result-fd", o->result_fd);
    return [o] { return confirm_child_main(o->request, o->result_fd); };
};

CUCONFORM_COMMAND(kConfirmCommand, "", 998, confirm_setup);

std::string self_exe() { return fs::read_symlink("/proc/self/exe").string(); }

/// What the framework did (own check of framework.own_check.stack) and what `predict --framework` says of the copies
/// the consumer loads: refuses, import fails, accepts.
struct Agreement {
    std::string predicted, observed, predict_reason, observed_words;
    bool agrees() const { return predicted == observed; }
};

Agreement agreement(const FrameworkCell& cell, const results::Fingerprint& fp,
                    const std::vector<results::StoredResult>& rs) {
    Agreement a;
    for (const auto& r : rs) {
        if (r.result.case_id != "framework.own_check.stack") continue;
        const auto& o = r.result.observed;
        a.observed_words = o.message;
        a.observed = o.is_ok()                             ? "accepts"
                     : o.is_unsupported()                  ? "no framework"
                     : o.name == "FRAMEWORK_REFUSES_STACK" ? "refuses"
                     : o.name == "FRAMEWORK_IMPORT_FAILED" ? "import fails"
                     : o.name == "FRAMEWORK_ABORTS"        ? "aborts"
                                                           : o.str();
    }
    const auto& kb = knowledge::Frameworks::builtin();
    const auto request = predict::parse_framework(cell.framework, kb);
    predict::Stack stack;
    const auto& c = fp.consumer;
    if (c && c->cudnn.loaded) stack.cudnn = Version::parse(*c->cudnn.loaded);
    if (c && c->runtime.version) stack.runtime = Version::parse(*c->runtime.version);
    stack.env = fp.env;
    if (!c || !c->cudnn.present) {
        a.predicted = "import fails";
        a.predict_reason = "the consumer loads no cuDNN";
        if (c && cell.framework.rfind("jax", 0) == 0) a.predicted = "refuses";  // JAX: "Unable to load cuDNN"
        return a;
    }
    predict::apply_framework(stack, request);
    a.predicted = "accepts";
    for (const auto& q : predict::framework_questions(stack, request, kb)) {
        if (q.id == "framework-cudnn-gpu" || q.id == "framework-visible-devices") continue;  // not asked without a GPU
        a.predict_reason += fmt::format("{}: {} ({}); ", q.id, knowledge::to_string(q.answer.value), q.answer.reason);
        if (q.answer.no()) a.predicted = "refuses";
    }
    return a;
}

/// Provisions a framework cell's venv and runs the framework family in it.
class FrameworkProvider : public matrix::Provider {
public:
    explicit FrameworkProvider(const FrameworkMatrix& m) : m_(m) {}

    matrix::CellOutcome run(const matrix::Cell& mc, const matrix::RunSettings& settings, const fs::path& out) override {
        matrix::CellOutcome outcome;
        outcome.what = "`cuconform run --only 'framework.*'` in the cell's venv";
        const FrameworkCell* cell = nullptr;
        for (const auto& c : m_.cells) {
            if (c.id == mc.id) cell = &c;
        }
        outcome.stack.provider = "venv";
        std::string log;
        fs::path venv;
        try {
            venv = provision_venv(*cell, cache_dir(), log);
        } catch (const std::exception& e) {
            outcome.reason = fmt::format("cell {}: {}", mc.id, e.what());
            return outcome;
        }
        outcome.provisioned = true;
        outcome.provision = {{"venv", venv.string()},
                             {"install", cell->install},
                             {"variant",
                              {{"id", cell->variant.id},
                               {"pip", cell->variant.pip},
                               {"uninstall", cell->variant.uninstall},
                               {"remove", cell->variant.remove}}}};
        std::vector<std::string> argv{self_exe(),   "run",    "--only", "framework.*", "--out",
                                      out.string(), "--cell", mc.id,    "--quiet"};
        if (settings.jobs > 0) argv.insert(argv.end(), {"--jobs", std::to_string(settings.jobs)});
        if (settings.timeout_s > 0) argv.insert(argv.end(), {"--timeout", fmt::format("{}", settings.timeout_s)});
        process::Options options;
        options.output = process::Output::Inherit;
        options.env["VIRTUAL_ENV"] = venv.string();
        options.env["CONDA_PREFIX"] = std::nullopt;
        const char* path = std::getenv("PATH");
        options.env["PATH"] = (venv / "bin").string() + ":" + (path ? path : "/usr/bin:/bin");
        const auto result = process::run(argv, options);
        outcome.exit = result.rc();
        // predict --framework on the copies the venv's framework loads, against what the framework itself said.
        const results::CellStore store(out / mc.id);
        std::vector<std::string> warnings;
        const auto fp = store.read_fingerprint(warnings);
        const auto rs = store.read_results(warnings);
        if (fp) {
            const auto a = agreement(*cell, *fp, rs);
            outcome.provision["predict"] = {{"framework", cell->framework}, {"predicted", a.predicted},
                                            {"observed", a.observed},       {"agrees", a.agrees()},
                                            {"reason", a.predict_reason},   {"framework_words", a.observed_words}};
            if (fp->consumer) {
                outcome.stack.cudnn = fp->consumer->cudnn.loaded.value_or("none");
                outcome.stack.cuda = fp->consumer->runtime.version.value_or("none");
            }
            fmt::print("cuconform frameworks: {}: predict --framework {}: {}; the framework: {}{}\n", mc.id,
                       cell->framework, a.predicted, a.observed, a.agrees() ? "" : "  (DISAGREE)");
            if (!a.agrees() && outcome.exit == 0) outcome.exit = 1;
        }
        return outcome;
    }

private:
    const FrameworkMatrix& m_;
};

matrix::Matrix as_matrix(const FrameworkMatrix& fm, const std::string& only) {
    matrix::Matrix m;
    m.file = fm.file;
    m.name = fm.name;
    m.description = fm.description;
    m.axes = {"framework", "variant"};
    for (const auto& c : fm.cells) {
        if (!only.empty() && c.id.find(only) == std::string::npos) continue;
        matrix::Cell cell;
        cell.id = c.id;
        cell.provider = "venv";
        cell.runner = "cpu";
        cell.variants = "all";
        cell.only = {"framework.*"};
        cell.tags = {"frameworks"};
        cell.values = {{"framework", c.framework},
                       {"variant", c.variant.id},
                       {"install", fmt::format("{}", fmt::join(c.install, " "))}};
        m.cells.push_back(cell);
    }
    return m;
}

struct Options {
    std::string file = "matrix/frameworks.yaml";
    std::string out = "reports/frameworks";
    std::string only;
    bool json = false;
};

CommandSetup setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<Options>();
    auto* plan = sub.add_subcommand("plan", "List the framework cells");
    auto* run = sub.add_subcommand("run", "Make each cell's venv and run the framework family in it");
    for (auto* s : {plan, run}) {
        s->add_option("file", o->file, "Framework matrix file")->capture_default_str();
        s->add_option("--only", o->only, "Only cells whose id contains this");
    }
    plan->add_flag("--json", o->json, "Print JSON");
    run->add_option("-o,--out", o->out, "Results directory: <out>/<cell>/ and <out>/matrix.json")
        ->capture_default_str();
    sub.require_subcommand(1);
    return [o, plan, run]() -> int {
        FrameworkMatrix fm;
        try {
            fm = load_framework_matrix(o->file);
        } catch (const CellsError& e) {
            fmt::print(stderr, "cuconform frameworks: {}\n", e.what());
            return kExitHarnessError;
        }
        const auto m = as_matrix(fm, o->only);
        if (m.cells.empty()) {
            fmt::print(stderr, "cuconform frameworks: no cell of {} matches --only {}\n", o->file, o->only);
            return kExitHarnessError;
        }
        if (plan->parsed()) {
            if (o->json) {
                json cells = json::array();
                for (const auto& c : m.cells) cells.push_back(c.to_json());
                std::cout << cells.dump(2) << "\n";
                return kExitOk;
            }
            for (const auto& c : fm.cells) {
                if (!o->only.empty() && c.id.find(o->only) == std::string::npos) continue;
                fmt::print("{:<40} pip install {}{}\n", c.id, fmt::join(c.install, " "),
                           c.variant.description.empty() ? "" : "; " + c.variant.description);
            }
            return kExitOk;
        }
        (void)run;
        probe::ProbeOptions probe_options;
        probe_options.activated_consumer = false;
        const auto machine = matrix::Machine::from(probe::probe_fingerprint(probe_options));
        FrameworkProvider provider(fm);
        return matrix::run_cells(
            m, m.cells, [&](const matrix::Cell&) -> matrix::Provider& { return provider; }, machine, {}, o->out,
            o->file);
    };
};

CUCONFORM_COMMAND("frameworks", "Framework cells: what pip install <framework>==X resolves, run and predicted", 37,
                  setup);

}  // namespace
}  // namespace cuconform::consumer
