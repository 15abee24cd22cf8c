// SPDX-License-Identifier: Apache-2.0
/// \file The runner: a fork server that never initialises CUDA, one child per case x variant.
#include "run/runner.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>

#include "catalog/expectation.h"
#include "core/command.h"
#include "core/process.h"
#include "core/version.h"
#include "probe/fingerprint.h"
#include "report/report.h"
#include "run/isolation.h"
#include "run/results.h"
#include "run/waivers.h"
#include "stack/isolate.h"

namespace cuconform::run {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kOutputTailBytes = 4096;
/// Where a case process finds the pipe for its observed outcome.
constexpr int kResultFd = 3;

bool matches_any(const std::vector<std::string>& globs, const std::string& text) {
    if (globs.empty()) return true;
    for (const auto& g : globs) {
        if (fnmatch(g.c_str(), text.c_str(), 0) == 0 || g == text) return true;
        // A bare family or prefix selects everything under it.
        if (text.rfind(g + ".", 0) == 0) return true;
    }
    return false;
}

/// One case x variant to run.
struct Job {
    const CaseSpec* spec = nullptr;
    Variant variant;
    ExpectedDecision expected;
    int attempt = 1;
    std::vector<Outcome> earlier;  ///< Observed outcomes of failed attempts (for FLAKY).
};

/// A case process in flight (no process when the harness cannot apply the variant here).
struct Child {
    process::Child process;
    Job job;
    std::string harness_unsupported;  ///< The harness cannot apply the variant here (no process was started).
};

/// The variant's variables for a case process (set before any CUDA call, and before the loader starts when the
/// process is exec'd).
process::EnvChanges variant_env(const Variant& variant) {
    process::EnvChanges env;
    for (const auto& [name, value] : variant.env) {
        if (name != "LD_LIBRARY_PATH") env[name] = value;  // LD_LIBRARY_PATH: the loader's --library-path.
    }
    if (variant.memory_cap_mib) env["CUCONFORM_MEMORY_CAP_MIB"] = std::to_string(*variant.memory_cap_mib);
    return env;
}

/// Runs the reproducer and reports its outcome; an exception is the harness's error, not a crash.
Outcome observe(const CaseSpec& spec, const Variant& variant, const json& fingerprint) {
    CaseContext context{fingerprint, variant};
    try {
        return spec.reproduce(context);
    } catch (const std::exception& e) {
        return Outcome::error(Domain::Harness, "EXCEPTION", {}, e.what());
    }
}

std::string reproduce_command(const RunOptions& options, const CaseSpec& spec, const Variant& variant) {
    std::string cmd = "build/bin/cuconform run";
    if (!options.stack_prefix.empty()) cmd += " --stack " + options.stack_prefix;
    if (!options.stack_prefix.empty()) cmd += " --isolation " + options.isolation;  // as resolved: bwrap or loader
    cmd += " --only " + spec.id;
    if (variant.name != "default") cmd += " --variant " + variant.name;
    return cmd;
}

class Runner {
public:
    Runner(const RunOptions& options, json fingerprint, std::string cell_dir, std::string cell_id,
           std::vector<Waiver> waivers)
        : options_(options), waivers_(std::move(waivers)), fingerprint_(std::move(fingerprint)), cell_dir_(std::move(cell_dir)),
          cell_id_(std::move(cell_id)), log_(cell_dir_ + "/results.jsonl"), tty_(isatty(STDOUT_FILENO) != 0),
          color_(tty_ && std::getenv("NO_COLOR") == nullptr) {
        fingerprint_path_ = cell_dir_ + "/fingerprint.json";
    }

    int run(std::vector<Job> jobs) {
        total_ = jobs.size();
        started_ = Clock::now();
        std::vector<Child> running;
        std::size_t next = 0;
        std::vector<Job> retry_queue;
        while (next < jobs.size() || !running.empty() || !retry_queue.empty()) {
            while (running.size() < static_cast<std::size_t>(std::max(1, options_.jobs)) &&
                   (next < jobs.size() || !retry_queue.empty())) {
                Job job;
                if (!retry_queue.empty()) {
                    job = std::move(retry_queue.back());
                    retry_queue.pop_back();
                } else {
                    job = std::move(jobs[next++]);
                }
                if (auto done = settle_without_process(job)) {
                    record(*done);
                    continue;
                }
                running.push_back(start(std::move(job)));
            }
            if (running.empty()) continue;
            wait_some(running, retry_queue);
        }
        if (tty_ && !options_.quiet) fmt::print("\n");
        return any_failure_ ? kExitNonConforming : kExitOk;
    }

    const std::map<Verdict, int>& counts() const { return counts_; }

private:
    /// Results that need no process: a GPU case without a GPU, an expectation of `unsupported`.
    std::optional<ResultRecord> settle_without_process(const Job& job) {
        const bool has_gpu = !fingerprint_["gpus"].empty();
        std::string reason;
        if (job.spec->needs_gpu && !has_gpu) {
            const auto& err = fingerprint_.value("gpu_error", json::object());
            reason = fmt::format("needs a GPU; none is usable here ({}: {})", err.value("name", "NO_GPU"),
                                 err.value("message", "no device"));
        } else if (job.expected.outcome.is_unsupported()) {
            reason = job.expected.outcome.reason;
        } else {
            return std::nullopt;
        }
        ResultRecord r = base_record(job);
        r.observed = Outcome::unsupported(reason);
        r.verdict = Verdict::Unsupported;
        r.reason = reason;
        return r;
    }

    ResultRecord base_record(const Job& job) const {
        ResultRecord r;
        r.cell = cell_id_;
        r.case_id = job.spec->id;
        r.family = job.spec->family();
        r.title = job.spec->title;
        r.variant = job.variant.name;
        r.variant_spec = job.variant.to_json();
        r.expected = job.expected.outcome;
        r.rule_index = job.expected.rule_index;
        r.rule_text = job.expected.rule_text;
        r.rule_why = job.expected.why;
        r.attempts = job.attempt;
        r.reproduce = reproduce_command(options_, *job.spec, job.variant);
        r.started_at = now_iso8601();
        return r;
    }

    Child start(Job job) {
        Child child;
        child.job = std::move(job);
        const auto& spec = *child.job.spec;
        const auto& variant = child.job.variant;
        process::Options options;
        options.output = process::Output::Tail;
        options.result_fd = kResultFd;
        options.env = variant_env(variant);
        if (variant.needs_exec()) {
            const std::string stem = fmt::format("{}.{}", spec.id, variant.name);
            fs::create_directories(cell_dir_ + "/.work");
            auto isolation = plan_isolated_exec(variant, fingerprint_, fmt::format("{}/.work/{}.shadow", cell_dir_, stem),
                                                {"__case", "--id", spec.id, "--variant", variant.name, "--fingerprint",
                                                 fingerprint_path_, "--result-fd", std::to_string(kResultFd)});
            if (!isolation.plan) {
                child.harness_unsupported = isolation.unsupported_reason;
                return child;
            }
            child.process = process::Child::exec(isolation.plan->argv, options);
            return child;
        }
        child.process = process::Child::call(
            [&] { return process::write_all(kResultFd, json(observe(spec, variant, fingerprint_)).dump()) ? 0 : 1; },
            options);
        return child;
    }

    void wait_some(std::vector<Child>& running, std::vector<Job>& retry_queue) {
        std::vector<pollfd> polls;
        for (auto& c : running) polls.push_back({c.process.result_fd(), POLLIN, 0});
        // Wake at least every 100 ms to check timeouts and processes without a result pipe.
        poll(polls.data(), polls.size(), 100);
        // `polls[p]` belongs to the child that was at position p when the array was built; `i` moves back when a
        // finished child is erased, `p` never does.
        for (std::size_t i = 0, p = 0; i < running.size(); ++p) {
            Child& c = running[i];
            if (polls[p].revents & (POLLIN | POLLHUP)) c.process.read_result();
            if (c.process.running() && c.process.elapsed_s() > options_.timeout_s) c.process.kill_timed_out();
            // Done when the case process has ended, whoever still holds its result pipe (a grandchild it left
            // behind): what it wrote is already in the pipe.
            if (c.harness_unsupported.empty() && !c.process.try_wait()) {
                ++i;
                continue;
            }
            c.process.drain_result();
            finish(c, retry_queue);
            running.erase(running.begin() + static_cast<long>(i));
        }
    }

    void finish(Child& c, std::vector<Job>& retry_queue) {
        Outcome observed;
        const double elapsed_s = c.process.elapsed_s();
        const process::Status status = c.harness_unsupported.empty() ? *c.process.try_wait() : process::Status{};
        if (!c.harness_unsupported.empty()) {
            observed = Outcome::unsupported(c.harness_unsupported);
        } else if (status.exec_errno != 0) {
            observed = Outcome::error(Domain::Harness, "EXEC_FAILED", status.exec_errno,
                                      fmt::format("could not start the dynamic loader for an isolated case process: {}; "
                                                  "check that it exists (PT_INTERP of cuconform)",
                                                  strerror(status.exec_errno)));
        } else if (status.timed_out) {
            observed = Outcome::timeout(fmt::format("no result after {:.1f} s; the process group was killed", elapsed_s));
        } else if (status.signal != 0) {
            observed = Outcome::crash(status.signal,
                                      fmt::format("killed by signal {} ({})", status.signal, strsignal(status.signal)));
        } else {
            auto parsed = json::parse(c.process.result_data(), nullptr, false);
            if (parsed.is_discarded() || !parsed.is_object()) {
                observed = Outcome::crash(
                    0, fmt::format("the case process exited with status {} without reporting an outcome (a library "
                                   "called exit()?); its output_tail shows what it printed, and `{}` reruns it alone",
                                   status.exit_code, reproduce_command(options_, *c.job.spec, c.job.variant)));
            } else {
                observed = parsed.get<Outcome>();
            }
        }
        ResultRecord r = base_record(c.job);
        r.observed = observed;
        r.duration_ms = c.harness_unsupported.empty() ? elapsed_s * 1000.0 : 0.0;
        r.output_tail = c.process.output_tail(kOutputTailBytes);
        const Judgement j = c.harness_unsupported.empty() ? judge(c.job.expected.outcome, observed)
                                                          : Judgement{Verdict::Unsupported, FailKind::None};
        r.verdict = j.verdict;
        r.fail_kind = j.fail_kind;
        if (observed.is_unsupported()) r.reason = observed.reason;
        if (is_failure(r.verdict) && c.job.attempt <= options_.retries) {
            Job again = c.job;
            again.earlier.push_back(observed);
            again.attempt += 1;
            retry_queue.push_back(std::move(again));
            return;
        }
        if (!c.job.earlier.empty() && !is_failure(r.verdict)) {
            r.verdict = Verdict::Flaky;
            r.reason = fmt::format("failed on attempt 1 ({}), passed on attempt {}", c.job.earlier.front().str(),
                                   c.job.attempt);
        }
        if (is_failure(r.verdict)) {
            if (const Waiver* w = find_waiver(waivers_, r.case_id, c.job.variant, r.verdict, fingerprint_)) {
                r.reason = fmt::format("{} waived by {}: {} ({}){}", to_string(r.verdict), w->where, w->reason, w->bug,
                                       r.reason.empty() ? "" : "; " + r.reason);
                r.verdict = Verdict::Waived;
            }
        }
        record(r);
    }

    void record(const ResultRecord& r) {
        log_.append(r);
        ++counts_[r.verdict];
        ++done_;
        any_failure_ = any_failure_ || is_failure(r.verdict);
        if (options_.quiet) return;
        const double elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
        const double eta = done_ ? elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_) : 0;
        const std::string verdict(to_string(r.verdict));
        const std::string shown = color_ ? fmt::format("\x1b[{}m{}\x1b[0m", verdict_color(r.verdict), verdict) : verdict;
        const std::string label = r.variant == "default" ? r.case_id : r.case_id + "[" + r.variant + "]";
        if (tty_) {
            fmt::print("\r\x1b[K");
            if (is_failure(r.verdict)) fmt::print("{} {}: expected {}, observed {}\n", shown, label, r.expected.str(), r.observed.str());
            fmt::print("[{}/{}] pass {} fail {} unsupported {}  ETA {:.0f}s", done_, total_, counts_[Verdict::Pass],
                       failures(), counts_[Verdict::Unsupported], eta);
            std::fflush(stdout);
        } else {
            fmt::print("{} {} ({:.0f} ms){}\n", shown, label, r.duration_ms,
                       is_failure(r.verdict) ? fmt::format(": expected {}, observed {}", r.expected.str(), r.observed.str())
                                             : "");
        }
    }

    int failures() const {
        int n = 0;
        for (const auto& [v, c] : counts_) n += is_failure(v) ? c : 0;
        return n;
    }

    static int verdict_color(Verdict v) {
        switch (v) {
            case Verdict::Pass: return 32;
            case Verdict::Unsupported: return 36;
            case Verdict::Waived: return 33;
            default: return 31;
        }
    }

    const RunOptions& options_;
    std::vector<Waiver> waivers_;
    json fingerprint_;
    std::string cell_dir_;
    std::string cell_id_;
    std::string fingerprint_path_;
    ResultLog log_;
    bool tty_;
    bool color_;
    std::map<Verdict, int> counts_;
    std::size_t total_ = 0;
    std::size_t done_ = 0;
    bool any_failure_ = false;
    Clock::time_point started_;
};

}  // namespace

/// --waivers, else matrix/waivers.yaml of the source tree when it is there.
std::vector<Waiver> load_waivers_for(const RunOptions& options) {
    std::string path = options.waivers;
    if (path.empty()) {
        const fs::path builtin = fs::path(CUCONFORM_SOURCE_DIR) / "matrix" / "waivers.yaml";
        std::error_code ec;
        if (!fs::exists(builtin, ec)) return {};
        path = builtin.string();
    }
    return load_waivers(path);
}

std::vector<const CaseSpec*> select_cases(const RunOptions& options) {
    std::vector<const CaseSpec*> selected;
    for (const auto& spec : CaseRegistry::instance().all()) {
        if (!matches_any(options.only, spec.id)) continue;
        if (!options.families.empty() &&
            std::find(options.families.begin(), options.families.end(), spec.family()) == options.families.end()) {
            continue;
        }
        if (!options.labels.empty()) {
            bool any = false;
            for (const auto& l : options.labels) {
                any = any || l == spec.family() ||
                      std::find(spec.labels.begin(), spec.labels.end(), l) != spec.labels.end();
            }
            if (!any) continue;
        }
        selected.push_back(&spec);
    }
    return selected;
}

std::string default_cell_id(const json& fp) {
    std::string gpu = "nogpu";
    if (!fp["gpus"].empty()) gpu = "sm" + fp["gpus"][0].value("cc", "?");
    std::erase(gpu, '.');
    return fmt::format("host-cuda{}-cudnn{}-{}", fp["runtime"].value("version", "none"),
                       fp["cudnn"].value("loaded", "none"), gpu);
}


int run_catalog(const RunOptions& options) {
    validate_catalog();
    const auto selected = select_cases(options);
    if (selected.empty()) {
        fmt::print(stderr, "cuconform run: no case matches the selection; see `cuconform list` for ids and families\n");
        return 2;
    }
    json fingerprint = probe::probe_fingerprint();
    const std::string cell_id = !options.cell.empty()     ? options.cell
                                : options.stack.is_object() ? stack::stack_cell_id(options.stack, fingerprint)
                                                            : default_cell_id(fingerprint);
    const std::string cell_dir = (fs::path(options.out_dir) / cell_id).string();
    fs::create_directories(cell_dir);
    write_json_atomically(cell_dir + "/fingerprint.json", fingerprint);
    json cell{{"id", cell_id},
              {"toolkit", fingerprint["toolkit"]},
              {"stack", options.stack.is_object() ? options.stack : json{{"provider", "host"}, {"prefix", ""}}},
              {"gpu", fingerprint["gpus"].empty()
                          ? std::string("none")
                          : fmt::format("{} ({})", fingerprint["gpus"][0].value("name", "?"),
                                        fingerprint["gpus"][0].value("cc", "?"))}};
    // The cell is the stack it was given (a wheel stack's own versions); what this build could load from it is
    // in the fingerprint. A cuDNN 8 stack under a cuDNN 9 build is still "cuDNN 8.9.6", not "none".
    const json versions = cell["stack"].value("versions", json::object());
    const auto runtime = Version::parse(versions.value("cuda_runtime", ""));
    cell["stack"]["cuda"] = runtime ? runtime->truncated(2).str() : fingerprint["runtime"].value("version", "none");
    cell["stack"]["cudnn"] = versions.value("cudnn", fingerprint["cudnn"].value("loaded", "none"));
    cell["stack"]["loaded"] = {{"cuda", fingerprint["runtime"].value("version", "none")},
                               {"cudnn", fingerprint["cudnn"].value("loaded", "none")}};
    write_json_atomically(cell_dir + "/cell.json", cell);

    std::set<std::pair<std::string, std::string>> finished;
    if (options.resume) {
        // The report's reader: it skips (and names) a line cut short by a kill.
        const auto recorded = report::load_results({fs::path(cell_dir) / "results.jsonl"});
        for (const auto& warning : recorded.warnings) fmt::print(stderr, "cuconform run --resume: {}\n", warning);
        for (const auto& r : recorded.results) finished.insert({r.case_id, r.variant});
    } else {
        std::error_code ec;
        fs::remove(cell_dir + "/results.jsonl", ec);
    }

    std::vector<Job> jobs;
    for (const CaseSpec* spec : selected) {
        for (const auto& variant : spec->runs()) {
            if (!options.variants.empty() &&
                std::find(options.variants.begin(), options.variants.end(), variant.name) == options.variants.end()) {
                continue;
            }
            if (finished.contains({spec->id, variant.name})) continue;
            jobs.push_back({spec, variant, decide_expectation(*spec, variant, fingerprint)});
        }
    }
    if (!options.quiet) {
        fmt::print("cuconform: {} case runs in {} ({} already recorded)\n", jobs.size(), cell_dir, finished.size());
    }
    Runner runner(options, fingerprint, cell_dir, cell_id, load_waivers_for(options));
    const int code = runner.run(std::move(jobs));
    std::error_code ec;
    fs::remove_all(cell_dir + "/.work", ec);
    // JUnit for CI beside the results: every result of the cell, those of earlier runs kept by --resume too.
    std::ofstream junit(cell_dir + "/junit.xml");
    report::write_junit(junit, report::load_results({fs::path(cell_dir) / "results.jsonl"}));
    return code;
}

int run_case_process(const std::string& id, const std::string& variant_name, const std::string& fingerprint_path,
                     int result_fd) {
    const CaseSpec* spec = CaseRegistry::instance().find(id);
    Outcome observed;
    if (spec == nullptr) {
        observed = Outcome::error(Domain::Harness, "NO_SUCH_CASE", {}, "no case with id " + id);
    } else {
        std::ifstream in(fingerprint_path);
        json fingerprint = json::parse(in, nullptr, false);
        const auto runs = spec->runs();
        auto it = std::find_if(runs.begin(), runs.end(), [&](const Variant& v) { return v.name == variant_name; });
        if (it == runs.end()) {
            observed = Outcome::error(Domain::Harness, "NO_SUCH_VARIANT", {}, "case " + id + " has no variant " + variant_name);
        } else {
            observed = observe(*spec, *it, fingerprint.is_discarded() ? json::object() : fingerprint);
        }
    }
    process::write_all(result_fd, json(observed).dump());
    return 0;
}

}  // namespace cuconform::run
