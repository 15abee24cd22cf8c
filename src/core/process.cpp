// SPDX-License-Identifier: Apache-2.0
/// \file Every fork and exec of cuconform: programs, functions in children, and the re-exec into a stack.
#include "core/process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

#include "core/process_pids.h"

namespace cuconform::process {
namespace {

using Clock = std::chrono::steady_clock;

/// Both ends of a pipe, closed on exec.
struct Pipe {
    int read = -1;
    int write = -1;
    static Pipe make() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
        return {fds[0], fds[1]};
    }
    void close_read() { close_fd(read); }
    void close_write() { close_fd(write); }
    static void close_fd(int& fd) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

/// A temporary file that is never visible by name (the Output::Tail sink).
int anonymous_file() {
    std::FILE* file = std::tmpfile();
    if (file == nullptr) throw std::system_error(errno, std::generic_category(), "tmpfile");
    const int fd = fcntl(fileno(file), F_DUPFD_CLOEXEC, 0);
    std::fclose(file);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup");
    return fd;
}

bool write_fully(int fd, const char* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

/// In the child, after fork(): its group, its life span, its streams, its environment. Async-signal-safe calls
/// plus setenv, which is safe here because the parent forked from a single thread.
void prepare_child(const Options& o, pid_t parent, int out_fd, int err_fd, int result_write) {
    if (o.own_process_group) setpgid(0, 0);
    if (o.die_with_parent) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (parent != 0 && getppid() != parent) _exit(1);  // the parent died before prctl took effect
    }
    if (o.output != Output::Inherit) {
        if (const int null = open("/dev/null", O_RDWR); null >= 0) {
            dup2(null, STDIN_FILENO);
            if (o.output == Output::Discard) {
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
            }
            if (null > STDERR_FILENO) close(null);
        }
    }
    if (out_fd >= 0) dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
    // dup2 clears O_CLOEXEC on the copy: the descriptor survives an exec.
    if (result_write >= 0 && o.result_fd >= 0) dup2(result_write, o.result_fd);
    for (const auto& [name, value] : o.env) {
        if (value) {
            setenv(name.c_str(), value->c_str(), 1);
        } else {
            unsetenv(name.c_str());
        }
    }
    if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) _exit(126);
}

/// What the keeper (pid 1 of a new PID namespace) needs: how to start the child and where to report its end.
struct KeeperArgs {
    const std::function<void()>* start_child;  ///< Runs in the child (never returns).
    int status_write;                          ///< The child's raw wait status goes here.
    std::vector<int> close_in_keeper;          ///< Descriptors only the child may hold (pipes whose EOF matters).
    bool own_user_namespace = false;           ///< The namespace needed a user namespace of its own (no root here).
    uid_t uid = 0;                             ///< Outside the user namespace: who we are, mapped to itself inside.
    gid_t gid = 0;
};

/// Writes `text` to a /proc file; false when it cannot.
bool write_proc(const char* path, const std::string& text) {
    const int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = write_fully(fd, text.data(), text.size());
    close(fd);
    return ok;
}

/// In a new user namespace: be who we were outside (the same uid and gid), so that files look as they did.
bool map_self(uid_t uid, gid_t gid) {
    return write_proc("/proc/self/setgroups", "deny") &&
           write_proc("/proc/self/uid_map", fmt::format("{} {} 1", uid, uid)) &&
           write_proc("/proc/self/gid_map", fmt::format("{} {} 1", gid, gid));
}

/// The clone flags that make a PID namespace here: CLONE_NEWPID where we may (root, CAP_SYS_ADMIN), else with a user
/// namespace of its own (any user, where the kernel allows unprivileged user namespaces); 0 where neither works (a
/// container whose seccomp profile forbids both). Asked once, with a throwaway child.
/// Why each candidate failed, for containment_refusal().
std::string& namespace_refusal() {
    static std::string text;
    return text;
}

int namespace_flags() {
    static const int flags = [] {
        for (const int candidate : {CLONE_NEWPID, CLONE_NEWUSER | CLONE_NEWPID}) {
            alignas(16) static char stack[64 * 1024];
            struct Probe {
                uid_t uid;
                gid_t gid;
                bool user;
            } probe{getuid(), getgid(), (candidate & CLONE_NEWUSER) != 0};
            const char* name = probe.user ? "clone(CLONE_NEWUSER|CLONE_NEWPID)" : "clone(CLONE_NEWPID)";
            std::string& why = namespace_refusal();
            const pid_t pid = clone(
                [](void* raw) -> int {
                    const auto* p = static_cast<Probe*>(raw);
                    _exit(!p->user || map_self(p->uid, p->gid) ? 0 : 1);
                },
                stack + sizeof stack, candidate | SIGCHLD, &probe);
            if (pid < 0) {
                why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", name, std::strerror(errno));
                continue;
            }
            int ws = 0;
            while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
            }
            if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) return candidate;
            why += fmt::format("{}{}: the namespace's uid_map could not be written", why.empty() ? "" : "; ", name);
        }
        return 0;
    }();
    return flags;
}

/// pid 1 of the namespace: starts the child (pid 2, ordinary signal semantics), reaps everything until the child
/// ends, hands over its wait status and exits — which makes the kernel kill whatever is left in the namespace.
int keeper_main(void* raw) {
    auto* args = static_cast<KeeperArgs*>(raw);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // the namespace dies with the process that made it
    if (args->own_user_namespace && !map_self(args->uid, args->gid)) _exit(73);
    const pid_t child = fork();
    if (child < 0) _exit(71);
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        (*args->start_child)();
        _exit(70);
    }
    for (const int fd : args->close_in_keeper) {
        if (fd >= 0) ::close(fd);
    }
    int status = 0;
    for (;;) {
        int ws = 0;
        const pid_t r = waitpid(-1, &ws, 0);
        if (r == child) {
            status = ws;
            break;
        }
        if (r < 0 && errno != EINTR) _exit(72);
    }
    write_fully(args->status_write, reinterpret_cast<const char*>(&status), sizeof status);
    _exit(0);
}

Status status_from_wait(int wait_status) {
    Status s;
    if (WIFEXITED(wait_status)) s.exit_code = WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) s.signal = WTERMSIG(wait_status);
    return s;
}

/// Reads what is there from `fd` into `sink` (and echoes it); false at end of file or error.
bool drain(int fd, std::string& sink, bool echo) {
    char buf[8192];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;
    sink.append(buf, static_cast<std::size_t>(n));
    if (echo) write_fully(STDERR_FILENO, buf, static_cast<std::size_t>(n));
    return true;
}

}  // namespace

bool containment_available() { return namespace_flags() != 0; }

std::string containment_refusal() { return containment_available() ? std::string() : namespace_refusal(); }

int Status::rc() const {
    if (exec_errno != 0) return 127;
    if (signal != 0) return 128 + signal;
    return exit_code;
}

std::string Status::describe() const {
    if (exec_errno != 0) return fmt::format("could not be started: {}", std::strerror(exec_errno));
    if (timed_out) return "did not finish in time and was killed";
    if (signal != 0) return fmt::format("was killed by signal {} ({})", signal, strsignal(signal));
    return fmt::format("exited with status {}", exit_code);
}

std::string tail(std::string text, std::size_t max) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
    if (text.size() > max) text = "..." + text.substr(text.size() - max);
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text.empty() ? "(no output)" : text;
}

Child Child::exec(const std::vector<std::string>& argv, const Options& options) {
    return start(&argv, nullptr, options);
}

Child Child::call(const std::function<int()>& fn, const Options& options) { return start(nullptr, &fn, options); }

Child Child::start(const std::vector<std::string>* argv, const std::function<int()>* fn, const Options& o) {
    Child child;
    Pipe result, exec_error, out, err;
    if (o.result_fd >= 0) result = Pipe::make();
    if (argv != nullptr) exec_error = Pipe::make();
    int child_out = -1, child_err = -1;
    if (o.output == Output::Capture || o.output == Output::Merge) {
        out = Pipe::make();
        child_out = child_err = out.write;
        if (o.output == Output::Capture) {
            err = Pipe::make();
            child_err = err.write;
        }
    } else if (o.output == Output::Tail) {
        child.tail_fd_ = anonymous_file();
        child_out = child_err = child.tail_fd_;
    }
    // Whatever this process has buffered must not be written a second time by the child.
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    const pid_t parent = getpid();
    // What the child does: the same with or without a keeper.
    const std::function<void()> start_child = [&] {
        prepare_child(o, o.contain ? 0 : parent, child_out, child_err, result.write);
        if (argv != nullptr) {
            std::vector<char*> args;
            for (const auto& a : *argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            execvp(args[0], args.data());
            const int e = errno;
            write_fully(exec_error.write, reinterpret_cast<const char*>(&e), sizeof e);
            _exit(127);
        }
        int code = 70;
        try {
            code = (*fn)();
        } catch (...) {
        }
        std::fflush(nullptr);
        _exit(code);
    };
    child.started_ = Clock::now();
    pid_t pid = -1;
    Pipe status;
    if (o.contain && containment_available()) {
        status = Pipe::make();
        const int flags = namespace_flags();
        KeeperArgs keeper{&start_child,
                          status.write,
                          {result.write, exec_error.write, out.write, err.write, status.read},
                          (flags & CLONE_NEWUSER) != 0,
                          getuid(),
                          getgid()};
        // The keeper runs on a stack of its own until it forks (clone without CLONE_VM copies the memory, like fork).
        std::vector<char> stack(256 * 1024);
        pid = clone(keeper_main, stack.data() + stack.size(), flags | SIGCHLD, &keeper);
        if (pid < 0) throw std::system_error(errno, std::generic_category(), "clone");
        status.close_write();
        child.status_fd_ = status.read;
        status.read = -1;
    } else {
        pid = fork();
        if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
        if (pid == 0) start_child();
    }
    child.pid_ = pid;
    detail::started_pids().insert(pid);
    // Without a namespace, what the child leaves behind may be found later by its result pipe (OrphanReaper).
    if (struct stat st{}; child.status_fd_ < 0 && result.read >= 0 && fstat(result.read, &st) == 0) {
        detail::result_pipes()[pid] = {st.st_dev, st.st_ino};
    }
    result.close_write();
    child.result_fd_ = result.read;
    out.close_write();
    err.close_write();
    child.out_fd_ = out.read;
    child.err_fd_ = err.read;
    if (argv != nullptr) {
        exec_error.close_write();
        int e = 0;
        ssize_t n;
        while ((n = ::read(exec_error.read, &e, sizeof e)) < 0 && errno == EINTR) {
        }
        if (n == static_cast<ssize_t>(sizeof e)) child.exec_errno_ = e;
        exec_error.close_read();
    }
    return child;
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        reset();
        pid_ = std::exchange(other.pid_, -1);
        result_fd_ = std::exchange(other.result_fd_, -1);
        tail_fd_ = std::exchange(other.tail_fd_, -1);
        status_fd_ = std::exchange(other.status_fd_, -1);
        contained_ = other.contained_;
        out_fd_ = std::exchange(other.out_fd_, -1);
        err_fd_ = std::exchange(other.err_fd_, -1);
        exec_errno_ = other.exec_errno_;
        timed_out_ = other.timed_out_;
        result_data_ = std::move(other.result_data_);
        status_ = std::move(other.status_);
        started_ = other.started_;
        other.status_.reset();
    }
    return *this;
}

Child::~Child() { reset(); }

void Child::reset() {
    if (running()) {
        kill(-pid_, SIGKILL);
        kill(pid_, SIGKILL);
        int ws = 0;
        while (waitpid(pid_, &ws, 0) < 0 && errno == EINTR) {
        }
    }
    if (pid_ > 0) detail::started_pids().erase(pid_);
    for (int* fd : {&result_fd_, &tail_fd_, &out_fd_, &err_fd_, &status_fd_}) Pipe::close_fd(*fd);
    pid_ = -1;
}

bool Child::read_result() {
    if (result_fd_ < 0) return false;
    if (!drain(result_fd_, result_data_, false)) {
        close_result();
        return false;
    }
    return true;
}

Status Child::child_status(int wait_status) {
    if (status_fd_ < 0) return status_from_wait(wait_status);
    // The keeper's own end says nothing about the child: the status it handed over does. Nothing handed over means
    // the keeper was killed (a timeout, or the runner going away), and the child with it.
    int handed = 0;
    const ssize_t n = ::read(status_fd_, &handed, sizeof handed);
    Pipe::close_fd(status_fd_);
    contained_ = true;
    if (n == static_cast<ssize_t>(sizeof handed)) return status_from_wait(handed);
    Status s = status_from_wait(wait_status);
    if (s.signal == 0) s.signal = SIGKILL;
    s.exit_code = -1;
    return s;
}

void Child::drain_result() {
    if (result_fd_ < 0) return;
    fcntl(result_fd_, F_SETFL, fcntl(result_fd_, F_GETFL) | O_NONBLOCK);
    char buf[8192];
    for (ssize_t n; (n = ::read(result_fd_, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;  // EAGAIN: nothing more without waiting
        result_data_.append(buf, static_cast<std::size_t>(n));
    }
    close_result();
}

void Child::close_result() { Pipe::close_fd(result_fd_); }

const std::optional<Status>& Child::try_wait() {
    if (pid_ > 0 && !status_) {
        int ws = 0;
        pid_t r;
        while ((r = waitpid(pid_, &ws, WNOHANG)) < 0 && errno == EINTR) {
        }
        if (r == pid_ || (r < 0 && errno == ECHILD)) {
            detail::started_pids().erase(pid_);
            Status s = r == pid_ ? child_status(ws) : Status{};
            s.timed_out = timed_out_;
            s.exec_errno = exec_errno_;
            status_ = s;
        }
    } else if (pid_ <= 0 && !status_) {
        status_ = Status{.exit_code = -1, .exec_errno = exec_errno_};
    }
    return status_;
}

const Status& Child::wait() {
    while (!try_wait()) {
        int ws = 0;
        pid_t r = waitpid(pid_, &ws, 0);
        if (r == pid_) {
            detail::started_pids().erase(pid_);
            Status s = child_status(ws);
            s.timed_out = timed_out_;
            s.exec_errno = exec_errno_;
            status_ = s;
        } else if (r < 0 && errno != EINTR) {
            detail::started_pids().erase(pid_);
            status_ = Status{.exit_code = -1, .timed_out = timed_out_, .exec_errno = exec_errno_};
        }
    }
    return *status_;
}

const Status& Child::wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = started_ + timeout;
    // Once the result pipe is closed the child is usually exiting: look again soon, then less and less often.
    auto nap = std::chrono::microseconds(200);
    while (!try_wait()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            kill_timed_out();
            return wait();
        }
        if (result_fd_ >= 0) {
            pollfd p{result_fd_, POLLIN, 0};
            if (poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 50))) > 0) read_result();
        } else {
            std::this_thread::sleep_for(std::min<std::chrono::microseconds>(nap, left));
            nap = std::min<std::chrono::microseconds>(nap * 2, std::chrono::milliseconds(50));
        }
    }
    // What the child wrote is already in the pipe; a grandchild that still holds its end must not keep us waiting.
    drain_result();
    return *status_;
}

void Child::kill_timed_out() {
    if (!running()) return;
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    timed_out_ = true;
}

double Child::elapsed_s() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

std::string Child::output_tail(std::size_t max) const {
    if (tail_fd_ < 0) return {};
    const off_t size = lseek(tail_fd_, 0, SEEK_END);
    if (size <= 0) return {};
    const off_t from = size > static_cast<off_t>(max) ? size - static_cast<off_t>(max) : 0;
    std::string text(static_cast<std::size_t>(size - from), '\0');
    const ssize_t n = pread(tail_fd_, text.data(), text.size(), from);
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return text;
}

Result run(const std::vector<std::string>& argv, const Options& options) {
    Options o = options;
    if (o.output == Output::Tail) o.output = Output::Merge;
    Child child = Child::exec(argv, o);
    Result result;
    const auto deadline = o.timeout_s
                              ? child.started() + std::chrono::milliseconds(static_cast<long>(*o.timeout_s * 1000))
                              : Clock::time_point::max();
    std::vector<std::pair<int, std::string*>> streams;
    if (child.out_fd_ >= 0) streams.emplace_back(child.out_fd_, &result.out);
    if (child.err_fd_ >= 0) streams.emplace_back(child.err_fd_, &result.err);
    while (!streams.empty()) {
        int wait_ms = -1;
        if (deadline != Clock::time_point::max()) {
            wait_ms = static_cast<int>(std::max<long>(
                0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
            if (wait_ms == 0) {
                child.kill_timed_out();
                break;
            }
        }
        std::vector<pollfd> fds;
        for (const auto& [fd, sink] : streams) fds.push_back({fd, POLLIN, 0});
        if (poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) break;
        for (std::size_t i = fds.size(); i-- > 0;) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (!drain(fds[i].fd, *streams[i].second, o.echo)) streams.erase(streams.begin() + static_cast<long>(i));
        }
    }
    if (deadline != Clock::time_point::max()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - child.started());
        static_cast<Status&>(result) = child.wait_for(left);
    } else {
        static_cast<Status&>(result) = child.wait();
    }
    return result;
}

bool write_all(int fd, std::string_view data) { return write_fully(fd, data.data(), data.size()); }

Answer call_in_child(const std::function<std::string()>& fn, double timeout_s) {
    Options o;
    o.output = Output::Tail;
    o.result_fd = 3;
    Child child = Child::call(
        [&fn] {
            const std::string data = fn();
            return write_all(3, data) ? 0 : 71;
        },
        o);
    Answer answer;
    answer.status = child.wait_for(std::chrono::milliseconds(static_cast<long>(timeout_s * 1000)));
    answer.data = child.result_data();
    answer.stderr_tail = child.output_tail(400);
    return answer;
}

int exec_in_place(const std::vector<std::string>& argv, const EnvChanges& env) {
    for (const auto& [name, value] : env) {
        if (value) {
            setenv(name.c_str(), value->c_str(), 1);
        } else {
            unsetenv(name.c_str());
        }
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::cout.flush();
    std::fflush(nullptr);
    execvp(args[0], args.data());
    return errno;
}

std::set<pid_t>& detail::started_pids() {
    static std::set<pid_t> pids;
    return pids;
}

std::map<pid_t, std::pair<dev_t, ino_t>>& detail::result_pipes() {
    static std::map<pid_t, std::pair<dev_t, ino_t>> pipes;
    return pipes;
}

}  // namespace cuconform::process
