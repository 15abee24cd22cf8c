// SPDX-License-Identifier: Apache-2.0
/// \file The one way cuconform starts a process: a program (`run`, `Child::exec`), a function in a forked child
/// (`Child::call`, `call_in_child`), or this program again in place of itself (`exec_in_place`). Every fork and
/// exec of the harness lives in process.cpp; nothing else calls fork(2) or exec(3).
///
/// Children get their own process group (so a timeout kills what they started too) and die with their parent
/// (PR_SET_PDEATHSIG), and this process flushes its stdio before forking, so that no buffered line of ours ends
/// up in a child's output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cuconform::process {

/// Variables to set (a value) or remove (nullopt) in the child, on top of this process's environment.
using EnvChanges = std::map<std::string, std::optional<std::string>>;

/// Where a child's standard output and standard error go.
enum class Output {
    Capture,  ///< Collected apart: Result::out and Result::err.
    Merge,    ///< Both collected into Result::out, in the order they were written.
    Tail,     ///< Both into an anonymous temporary file whose end Child::output_tail() reads.
    Inherit,  ///< This process's own.
    Discard,  ///< /dev/null.
};

/// How a child is started.
struct Options {
    Output output = Output::Capture;
    bool echo = false;  ///< Capture/Merge: also copy what arrives to this process's standard error.
    EnvChanges env;
    std::string cwd;                  ///< Empty: this process's.
    std::optional<double> timeout_s;  ///< `run`/`call_in_child`: killed (its whole group) after this.
    bool own_process_group = true;    ///< setpgid(0, 0) in the child.
    bool die_with_parent = true;      ///< PR_SET_PDEATHSIG(SIGKILL) in the child.
    /// The child finds the write end of a pipe at this descriptor (the parent reads it through Child::result_fd());
    /// -1: no such pipe.
    int result_fd = -1;
    /// Child::exec / Child::call: everything the child starts lives and dies with it, even processes that leave its
    /// process group (setsid) and even when this process is killed with SIGKILL: the child runs as the first
    /// process under a keeper that is pid 1 of a PID namespace of its own, and the kernel kills the whole
    /// namespace when the keeper ends. Where PID namespaces cannot be made (no CAP_SYS_ADMIN), the child runs
    /// without one and only its process group is killed (`contained()` says which).
    bool contain = false;
};

/// Whether Options::contain can make PID namespaces here (asked once): as root directly, as any other user inside a
/// user namespace of its own (where the kernel allows unprivileged user namespaces).
bool containment_available();
/// Why not, when containment_available() is false ("clone(CLONE_NEWPID): Operation not permitted; ..."); else "".
std::string containment_refusal();

/// While it lives, this process is the subreaper of what it starts (PR_SET_CHILD_SUBREAPER): a process that a child
/// leaves behind (setsid, a double fork) is re-parented here instead of to init when its parent ends, and
/// kill_orphans() ends it. Contained children never get here (their PID namespace dies with them); this keeps the
/// promise that a case's processes die with it where no namespace can be made. What it cannot do: outlive a
/// SIGKILL of this process (only a PID namespace does that).
///
/// Where the kernel refuses PR_SET_CHILD_SUBREAPER too (a seccomp profile), orphans go to init, and what is left of
/// an ended child is found by what it inherited: every process that still holds the write end of the child's result
/// pipe (Options::result_fd) is killed. One that closed it is out of reach (`refusal()` says why).
class OrphanReaper {
public:
    OrphanReaper();
    ~OrphanReaper();  ///< Kills what is left, and stops being a subreaper (unless this process was one before).
    OrphanReaper(const OrphanReaper&) = delete;
    OrphanReaper& operator=(const OrphanReaper&) = delete;
    /// SIGKILLs (and reaps, when they are its children) what the ended children of this process left behind: its
    /// children that no Child started, or, without the subreaper, the holders of their result pipes; how many.
    std::size_t kill_orphans();
    /// Whether this process is a subreaper; else refusal() is the errno of PR_SET_CHILD_SUBREAPER.
    bool active() const { return active_; }
    int refusal() const { return refusal_; }

private:
    bool active_ = false;
    bool previous_ = false;
    int refusal_ = 0;
};

/// How a child ended.
struct Status {
    int exit_code = -1;  ///< WEXITSTATUS when it exited; -1 otherwise.
    int signal = 0;      ///< The signal that killed it; 0 when it exited.
    bool timed_out = false;
    int exec_errno = 0;  ///< The program could not be started (ENOENT: not installed or not on PATH).

    bool ok() const { return exit_code == 0 && !timed_out && exec_errno == 0; }
    /// Shell-style: the exit code, 128 + signal when killed, 127 when the program could not be started.
    int rc() const;
    /// "exited with status 3", "was killed by signal 6 (Aborted)", "did not finish within 30 s", "could not be
    /// started: No such file or directory".
    std::string describe() const;
};

/// What `run` returns.
struct Result : Status {
    std::string out;  ///< Standard output (Capture), or both streams (Merge).
    std::string err;  ///< Standard error (Capture).
};

/// Runs `argv` (argv[0] without '/' is looked up on PATH) to the end, or until its timeout. Throws
/// std::system_error only when no process could be created at all (no pipe, no fork).
Result run(const std::vector<std::string>& argv, const Options& options = {});

/// The last `max` characters of `text` without trailing blank lines, newlines folded to spaces ("(no output)"
/// when there is none): what a message quotes of a command's output.
std::string tail(std::string text, std::size_t max = 600);

/// A child that the caller supervises: the runner's case processes, the probe's queries.
class Child {
public:
    /// Starts `argv`. Child::exec_errno() says whether it could be started.
    static Child exec(const std::vector<std::string>& argv, const Options& options);
    /// Forks and runs `fn` in the child, whose return value becomes its exit code (exceptions: 70). `fn` runs
    /// ordinary code after fork(), which is safe only because cuconform forks from a single thread.
    static Child call(const std::function<int()>& fn, const Options& options);

    Child() = default;
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();  ///< Kills and reaps a child still running.

    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0 && !status_; }
    /// The read end of the result pipe (Options::result_fd), or -1 once it is closed.
    int result_fd() const { return result_fd_; }
    /// Reads what is available on the result pipe into result_data(); false once the pipe is closed.
    bool read_result();
    const std::string& result_data() const { return result_data_; }
    /// Reads what is left in the result pipe without waiting for its writers (a grandchild may hold it open), then
    /// closes it.
    void drain_result();
    void close_result();

    /// Reaps the child if it has ended (never blocks); its status once it has.
    const std::optional<Status>& try_wait();
    /// Blocks until the child ends.
    const Status& wait();
    /// Waits at most `timeout`, then kills the child's process group; reads the result pipe meanwhile.
    const Status& wait_for(std::chrono::milliseconds timeout);
    /// SIGKILL to the child's process group (and the child itself), marking it timed out.
    void kill_timed_out();
    std::chrono::steady_clock::time_point started() const { return started_; }
    /// It runs in a PID namespace of its own (Options::contain where that is possible).
    bool contained() const { return status_fd_ >= 0 || contained_; }
    double elapsed_s() const;
    /// Output::Tail: the last `max` bytes the child wrote to standard output and error.
    std::string output_tail(std::size_t max = 4096) const;

private:
    static Child start(const std::vector<std::string>* argv, const std::function<int()>* fn, const Options& options);
    void reset();
    /// The child's status from a wait status of the process this object waits for (the keeper when contained).
    Status child_status(int wait_status);
    friend Result run(const std::vector<std::string>& argv, const Options& options);

    pid_t pid_ = -1;
    int result_fd_ = -1;
    int tail_fd_ = -1;
    int status_fd_ = -1;  ///< Contained: the keeper hands over the child's wait status here.
    bool contained_ = false;
    int out_fd_ = -1;  ///< Output::Capture / Merge: standard output (or both).
    int err_fd_ = -1;  ///< Output::Capture: standard error.
    int exec_errno_ = 0;
    bool timed_out_ = false;
    std::string result_data_;
    std::optional<Status> status_;
    std::chrono::steady_clock::time_point started_{};
};

/// What a function run by call_in_child handed back.
struct Answer {
    Status status;
    std::string data;         ///< What the function returned (written to a pipe by the child).
    std::string stderr_tail;  ///< The end of what the child printed.
};

/// Writes all of `data` to `fd` (retrying short writes); false when the descriptor is gone.
bool write_all(int fd, std::string_view data);

/// Runs `fn` in a forked child and returns what it returned, or how the child ended when it did not (killed by a
/// library's abort, hung past `timeout_s`). Nothing `fn` does can touch this process.
Answer call_in_child(const std::function<std::string()>& fn, double timeout_s);

/// Replaces this process with `argv` after applying `env` (the re-exec into a stack). Returns only when exec
/// failed, with its errno.
int exec_in_place(const std::vector<std::string>& argv, const EnvChanges& env);

}  // namespace cuconform::process
