// SPDX-License-Identifier: Apache-2.0
/// \file The runner: a fork server that never initialises CUDA, one child per case x variant.
#include "run/runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "catalog/expectation.h"
#include "catalog/needs.h"
#include "core/command.h"
#include "core/files.h"
#include "core/process.h"
#include "core/version.h"
#include "isolate/variant.h"
#include "isolate/view.h"
#include "probe/fingerprint.h"
#include "results/cell.h"
#include "results/record_io.h"
#include "results/store.h"
#include "run/schedule.h"
#include "run/verdict.h"
#include "run/waivers.h"

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

/// Runs the reproducer (behind its needs' guards) and reports its outcome.
Outcome observe(const CaseSpec& spec, const Variant& variant, const results::Fingerprint& fingerprint) {
    CaseContext context{fingerprint, variant};
    return observe_case(spec, context);
}

/// The command that runs one result again as it ran: the same CLI (a toolkit build's, when it was one), stack,
/// isolation and timeout, into a cell of its own beside the original so that nothing recorded is overwritten.
std::string reproduce_command(const RunOptions& options, const std::string& cell_id, const CaseSpec& spec,
                              const Variant& variant) {
    std::string cmd = fmt::format("{} run --out {} --cell {}-reproduce --only {}", isolate::self_executable(),
                                  fs::absolute(options.out_dir).lexically_normal().string(), cell_id, spec.id);
    if (variant.name != "default") cmd += " --variant " + variant.name;
    cmd += fmt::format(" --timeout {}", options.timeout_s);
    if (!options.stack_prefix.empty()) {
        cmd += " --stack " + options.stack_prefix + " --isolation " + options.isolation;  // as resolved
    }
    return cmd;
}

class Runner {
public:
    Runner(const RunOptions& options, results::Fingerprint fingerprint, const results::CellStore& store,
           std::string cell_id, std::vector<Waiver> waivers, std::map<Verdict, int> kept)
        : options_(options),
          kept_(std::move(kept)),
          waivers_(std::move(waivers)),
          fingerprint_(std::move(fingerprint)),
          cell_dir_(store.dir().string()),
          cell_id_(std::move(cell_id)),
          fingerprint_path_(store.fingerprint_path()),
          log_(store, cell_id_),
          tty_(isatty(STDOUT_FILENO) != 0),
          color_(tty_ && std::getenv("NO_COLOR") == nullptr) {}

    int run(std::vector<Job> jobs) {
        total_ = jobs.size();
        started_ = Clock::now();
        warn_if_uncontained();
        std::vector<Child> running;
        std::deque<Job> pending(std::make_move_iterator(jobs.begin()), std::make_move_iterator(jobs.end()));
        std::vector<Job> retry_queue;
        while (!pending.empty() || !running.empty() || !retry_queue.empty()) {
            while (running.size() < static_cast<std::size_t>(std::max(1, options_.jobs))) {
                auto job = take_startable(pending, retry_queue, running);
                if (!job) break;
                if (auto done = settle_without_process(*job)) {
                    record(*done);
                    continue;
                }
                running.push_back(start(std::move(*job)));
            }
            if (running.empty()) continue;
            wait_some(running, retry_queue);
        }
        reaper_.kill_orphans();
        if (tty_ && !options_.quiet) fmt::print("\n");
        print_tally();
        // A resumed cell conforms only when the results it kept do too.
        return any_failure_ || kept_failures() > 0 ? kExitNonConforming : kExitOk;
    }

    const std::map<Verdict, int>& counts() const { return counts_; }

private:
    /// The next job that may start beside `running` (retries first, then the catalogue's order), taken out of its
    /// queue; none when every waiting job must wait for a running one to end. A case that needs the GPU to itself
    /// (its free memory) starts only while no other GPU case runs, and no GPU case starts beside it.
    std::optional<Job> take_startable(std::deque<Job>& pending, std::vector<Job>& retry_queue,
                                      const std::vector<Child>& running) const {
        std::vector<const CaseSpec*> busy;
        for (const auto& c : running) busy.push_back(c.job.spec);
        const auto may_start = [&](const Job& job) {
            return may_start_beside(*job.spec, busy, fingerprint_.has_gpu());
        };
        for (auto it = retry_queue.rbegin(); it != retry_queue.rend(); ++it) {
            if (!may_start(*it)) continue;
            Job job = std::move(*it);
            retry_queue.erase(std::next(it).base());
            return job;
        }
        for (auto it = pending.begin(); it != pending.end(); ++it) {
            if (!may_start(*it)) continue;
            Job job = std::move(*it);
            pending.erase(it);
            return job;
        }
        return std::nullopt;
    }

    /// Results that need no process: a GPU case without a GPU, an expectation of `unsupported`.
    std::optional<results::Result> settle_without_process(const Job& job) {
        std::string reason;
        if (job.spec->needs_gpu() && !fingerprint_.has_gpu()) {
            const auto& err = fingerprint_.gpu_error;
            reason = fmt::format("needs a GPU; none is usable here ({}: {})",
                                 err && !err->name.empty() ? err->name : "NO_GPU", err ? err->message : "no device");
        } else if (job.expected.outcome.is_unsupported()) {
            reason = job.expected.outcome.reason;
        } else {
            return std::nullopt;
        }
        results::Result r = base_record(job);
        r.observed = Outcome::unsupported(reason);
        r.verdict = Verdict::Unsupported;
        r.reason = reason;
        return r;
    }

    results::Result base_record(const Job& job) const {
        results::Result r;
        r.case_id = job.spec->id;
        r.family = job.spec->family();
        r.title = job.spec->title;
        r.variant = job.variant.name;
        r.variant_spec = job.variant.to_json();
        r.expected = job.expected.outcome;
        r.rule = {job.expected.rule_index, job.expected.rule_text, job.expected.why};
        r.attempts = job.attempt;
        r.reproduce = reproduce_command(options_, cell_id_, *job.spec, job.variant);
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
        options.contain = true;  // what a case starts dies with it, and with the runner
        if (variant.needs_exec()) {
            const std::string stem = fmt::format("{}.{}", spec.id, variant.name);
            std::error_code ec;
            fs::create_directories(cell_dir_ + "/.work", ec);
            if (ec) throw FileError(cell_dir_ + "/.work", "create the folder", ec.value());
            auto isolation =
                isolate::plan_isolated_exec(variant, fingerprint_, fmt::format("{}/.work/{}.shadow", cell_dir_, stem),
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

    /// Says once, on one line, what this machine takes away from "a case's processes die with it, and with the
    /// runner" (Options::contain, OrphanReaper), and how to get it back.
    void warn_if_uncontained() const {
        const std::string refused = process::containment_refusal();
        if (refused.empty()) return;
        constexpr const char* fix =
            "fix: allow user namespaces (sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1; in a "
            "container, a seccomp profile that allows clone with CLONE_NEWUSER/CLONE_NEWPID), or run with "
            "CAP_SYS_ADMIN";
        if (reaper_.active()) {
            fmt::print(stderr,
                       "cuconform: warning: no PID namespace can be made here ({}): a case's processes die with its "
                       "process group and, once they leave it, as orphans of this run, but a kill -9 of cuconform "
                       "leaves them running; {}\n",
                       refused, fix);
        } else {
            fmt::print(stderr,
                       "cuconform: warning: no PID namespace can be made here ({}) and PR_SET_CHILD_SUBREAPER is "
                       "refused ({}): a case's processes die with its process group and, once they leave it, only "
                       "while they hold its result pipe (fd {}); one that closed it, and everything after a kill -9 "
                       "of cuconform, runs on; {}\n",
                       refused, std::strerror(reaper_.refusal()), kResultFd, fix);
        }
    }

    void wait_some(std::vector<Child>& running, std::vector<Job>& retry_queue) {
        std::vector<pollfd> polls;
        // Wake when a result arrives, at the first deadline, and at least every 50 ms to see processes end (a
        // process without a result pipe, or one that closed it and exited).
        double wake_s = 0.05;
        for (auto& c : running) {
            polls.push_back({c.process.result_fd(), POLLIN, 0});
            if (c.process.running()) wake_s = std::min(wake_s, options_.timeout_s - c.process.elapsed_s());
        }
        poll(polls.data(), polls.size(), std::max(0, static_cast<int>(std::ceil(wake_s * 1000))));
        // `polls[p]` belongs to the child that was at position p when the array was built; `i` moves back when a
        // finished child is erased, `p` never does.
        for (std::size_t i = 0, p = 0; i < running.size(); ++p) {
            Child& c = running[i];
            if (polls[p].revents & (POLLIN | POLLHUP)) c.process.read_result();
            if (c.process.running() && c.process.elapsed_s() >= options_.timeout_s) {
                c.process.kill_timed_out();
                c.process.wait();  // SIGKILL: it is gone within milliseconds, and its TIMEOUT is recorded now
            }
            // Done when the case process has ended, whoever still holds its result pipe (a grandchild it left
            // behind): what it wrote is already in the pipe.
            if (c.harness_unsupported.empty() && !c.process.try_wait()) {
                ++i;
                continue;
            }
            c.process.drain_result();
            finish(c, retry_queue);
            running.erase(running.begin() + static_cast<long>(i));
            // What it left behind (out of its process group, where no PID namespace holds it) dies with it.
            reaper_.kill_orphans();
        }
    }

    void finish(Child& c, std::vector<Job>& retry_queue) {
        Outcome observed;
        const double elapsed_s = c.process.elapsed_s();
        const process::Status status = c.harness_unsupported.empty() ? *c.process.try_wait() : process::Status{};
        if (!c.harness_unsupported.empty()) {
            observed = Outcome::unsupported(c.harness_unsupported);
        } else if (status.exec_errno != 0) {
            observed =
                Outcome::error(Domain::Harness, "EXEC_FAILED", status.exec_errno,
                               fmt::format("could not start the dynamic loader for an isolated case process: {}; "
                                           "check that it exists (PT_INTERP of cuconform)",
                                           strerror(status.exec_errno)));
        } else if (status.timed_out) {
            observed =
                Outcome::timeout(fmt::format("no result after {:.1f} s; the process group was killed", elapsed_s));
        } else if (status.signal != 0) {
            observed = Outcome::crash(status.signal,
                                      fmt::format("killed by signal {} ({})", status.signal, strsignal(status.signal)));
        } else {
            std::optional<Outcome> reported;
            try {
                reported = results::parse_json(c.process.result_data(), "the outcome").get<Outcome>();
            } catch (const std::exception&) {
                // Not JSON, cut short, or not an outcome: nothing the case process reported can be trusted.
            }
            if (!reported) {
                observed = Outcome::crash(
                    0,
                    fmt::format("the case process exited with status {} without reporting an outcome (a library "
                                "called exit()?); its output_tail shows what it printed, and `{}` reruns it alone",
                                status.exit_code, reproduce_command(options_, cell_id_, *c.job.spec, c.job.variant)));
            } else {
                observed = std::move(*reported);
            }
        }
        results::Result r = base_record(c.job);
        r.observed = observed;
        r.duration_ms = c.harness_unsupported.empty() ? elapsed_s * 1000.0 : 0.0;
        r.output_tail = c.process.output_tail(kOutputTailBytes);
        const VerdictStep step = decide_verdict(
            {c.job.expected.outcome, observed, c.job.attempt, options_.retries, c.job.earlier,
             !c.harness_unsupported.empty()},
            [&](Verdict verdict) { return find_waiver(waivers_, r.case_id, c.job.variant, verdict, fingerprint_); });
        if (step.retry) {
            Job again = c.job;
            again.earlier.push_back(observed);
            again.attempt += 1;
            retry_queue.push_back(std::move(again));
            return;
        }
        r.verdict = step.verdict;
        r.fail_kind = step.fail_kind;
        r.reason = step.reason;
        record(r);
    }

    void record(const results::Result& r) {
        log_.append(r);
        ++counts_[r.verdict];
        ++done_;
        any_failure_ = any_failure_ || is_failure(r.verdict);
        if (options_.quiet) return;
        const double elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
        const double eta = done_ ? elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_) : 0;
        const std::string verdict(to_string(r.verdict));
        const std::string shown =
            color_ ? fmt::format("\x1b[{}m{}\x1b[0m", verdict_color(r.verdict), verdict) : verdict;
        const std::string label = r.variant == "default" ? r.case_id : r.case_id + "[" + r.variant + "]";
        if (tty_) {
            fmt::print("\r\x1b[K");
            if (is_failure(r.verdict))
                fmt::print("{} {}: expected {}, observed {}\n", shown, label, r.expected.str(), r.observed.str());
            fmt::print("[{}/{}] pass {} fail {} unsupported {}  ETA {:.0f}s", done_, total_, counts_[Verdict::Pass],
                       failures(), counts_[Verdict::Unsupported], eta);
            std::fflush(stdout);
        } else {
            // A CI log says why a case did not run, as it says what a failure got.
            std::string why;
            if (is_failure(r.verdict)) {
                why = fmt::format(": expected {}, observed {}", r.expected.str(), r.observed.str());
            } else if (r.verdict == Verdict::Unsupported && !r.observed.reason.empty()) {
                why = ": " + r.observed.reason;
            }
            fmt::print("{} {} ({:.0f} ms){}\n", shown, label, r.duration_ms, why);
        }
    }

    /// The last line of every run, quiet or not: what a CI log shows of it. A resumed run counts the results it
    /// kept too: the line speaks for the cell.
    void print_tally() const {
        const auto count = [&](Verdict v) {
            const auto it = counts_.find(v);
            const auto kept = kept_.find(v);
            return (it == counts_.end() ? 0 : it->second) + (kept == kept_.end() ? 0 : kept->second);
        };
        int kept_total = 0;
        for (const auto& [v, n] : kept_) kept_total += n;
        const double elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
        const int failed = failures() + kept_failures();
        fmt::print(
            "cuconform run: {} passed, {} failed, {} skipped ({} unsupported, {} waived) of {} in {:.1f} s{}; {}\n",
            count(Verdict::Pass), failed, count(Verdict::Unsupported) + count(Verdict::Waived),
            count(Verdict::Unsupported), count(Verdict::Waived), done_ + static_cast<std::size_t>(kept_total), elapsed,
            kept_total > 0 ? fmt::format(" ({} kept from the earlier run)", kept_total) : "",
            failed == 0 ? "conforms" : "does not conform");
    }

    int failures() const {
        int n = 0;
        for (const auto& [v, c] : counts_) n += is_failure(v) ? c : 0;
        return n;
    }

    int kept_failures() const {
        int n = 0;
        for (const auto& [v, c] : kept_) n += is_failure(v) ? c : 0;
        return n;
    }

    static int verdict_color(Verdict v) {
        switch (v) {
            case Verdict::Pass:
                return 32;
            case Verdict::Unsupported:
                return 36;
            case Verdict::Waived:
                return 33;
            default:
                return 31;
        }
    }

    const RunOptions& options_;
    std::map<Verdict, int> kept_;  ///< --resume: the verdicts of the results kept from the earlier run.
    process::OrphanReaper reaper_;
    std::vector<Waiver> waivers_;
    results::Fingerprint fingerprint_;
    std::string cell_dir_;
    std::string cell_id_;
    std::string fingerprint_path_;
    results::ResultAppender log_;
    bool tty_;
    bool color_;
    std::map<Verdict, int> counts_;
    std::size_t total_ = 0;
    std::size_t done_ = 0;
    bool any_failure_ = false;
    Clock::time_point started_;
};

}  // namespace

/// --waivers, else the waivers built in (matrix/waivers.yaml when cuconform was built).
std::vector<Waiver> load_waivers_for(const RunOptions& options) {
    return options.waivers.empty() ? builtin_waivers() : load_waivers(options.waivers);
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
            const auto labels = spec.all_labels();
            for (const auto& l : options.labels) {
                any = any || l == spec.family() || std::find(labels.begin(), labels.end(), l) != labels.end();
            }
            if (!any) continue;
        }
        selected.push_back(&spec);
    }
    return selected;
}

RunOutcome run_catalog(const RunOptions& options) {
    validate_catalog();
    const auto selected = select_cases(options);
    if (selected.empty()) {
        fmt::print(stderr, "cuconform run: no case matches the selection; see `cuconform list` for ids and families\n");
        return {kExitHarnessError, {}};
    }
    // Everything that can refuse the run is read before anything in the cell is touched: a bad --waivers file
    // leaves the results of the cell as they were.
    std::vector<Waiver> waivers = load_waivers_for(options);
    const auto fingerprint = probe::probe_fingerprint();
    const std::string cell_id = !options.cell.empty()
                                    ? options.cell
                                    : results::cell_id_for(options.stack.value_or(results::CellStack{}), fingerprint);
    if (const std::string problem = results::cell_id_problem(cell_id); !problem.empty()) {
        fmt::print(stderr, "cuconform run: the cell id '{}' cannot name a folder inside {}: {}; {}\n", cell_id,
                   options.out_dir, problem,
                   options.cell.empty() ? "pass --cell NAME" : "give --cell a plain name such as nightly-h100");
        return {kExitHarnessError, {}};
    }
    const results::CellStore store(fs::path(options.out_dir) / cell_id);
    // One run per cell folder at a time (the lock also creates the folder).
    const FolderLock lock(store.dir());
    store.write_fingerprint(fingerprint);
    results::CellRecord cell = results::cell_for(cell_id, fingerprint, options.stack.value_or(results::CellStack{}));
    cell.run = {{"jobs", options.jobs}, {"timeout_s", options.timeout_s}, {"retries", options.retries}};
    if (!options.only.empty()) cell.run["only"] = options.only;
    if (!options.variants.empty()) cell.run["variants"] = options.variants;
    if (!options.waivers.empty()) cell.run["waivers"] = options.waivers;
    store.write_cell(cell);

    std::set<std::pair<std::string, std::string>> finished;
    std::map<Verdict, int> kept;
    if (options.resume) {
        std::error_code ec;
        if (fs::exists(store.results_path(), ec)) {
            std::optional<std::size_t> torn;  // a line cut short by a kill: left out, and its case runs again
            for (const auto& r : store.read_results(results::TornLine::Drop, &torn)) {
                if (finished.insert({r.result.case_id, r.result.variant}).second) ++kept[r.result.verdict];
            }
            if (torn) {
                fmt::print(stderr,
                           "cuconform run --resume: {}:{} was cut short (the earlier run was killed while writing "
                           "it); it is removed and its case runs again\n",
                           store.results_path().string(), *torn);
            }
        }
    } else {
        store.clear_results();
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
        fmt::print("cuconform: {} case runs in {} ({} already recorded)\n", jobs.size(), store.dir().string(),
                   finished.size());
    }
    Runner runner(options, fingerprint, store, cell_id, std::move(waivers), std::move(kept));
    const int code = runner.run(std::move(jobs));
    std::error_code ec;
    fs::remove_all(store.dir() / ".work", ec);
    return {code, store.dir(), runner.counts()};
}

int run_case_process(const std::string& id, const std::string& variant_name, const std::string& fingerprint_path,
                     int result_fd) {
    const CaseSpec* spec = CaseRegistry::instance().find(id);
    Outcome observed;
    const auto runs = spec != nullptr ? spec->runs() : std::vector<Variant>{};
    const auto variant =
        std::find_if(runs.begin(), runs.end(), [&](const Variant& v) { return v.name == variant_name; });
    std::vector<std::string> warnings;
    const auto fingerprint = results::CellStore(fs::path(fingerprint_path).parent_path()).read_fingerprint(warnings);
    if (spec == nullptr) {
        observed = Outcome::error(Domain::Harness, "NO_SUCH_CASE", {}, "no case with id " + id);
    } else if (variant == runs.end()) {
        observed =
            Outcome::error(Domain::Harness, "NO_SUCH_VARIANT", {}, "case " + id + " has no variant " + variant_name);
    } else if (!fingerprint) {
        observed =
            Outcome::error(Domain::Harness, "NO_FINGERPRINT", {},
                           warnings.empty() ? fmt::format("{} does not exist", fingerprint_path) : warnings.front());
    } else {
        observed = observe(*spec, *variant, *fingerprint);
    }
    process::write_all(result_fd, json(observed).dump());
    return 0;
}

}  // namespace cuconform::run
