// SPDX-License-Identifier: Apache-2.0
/// \file OrphanReaper: this process as the subreaper of what its children leave behind, and the killing of those
/// orphans (a case whose grandchild detached with setsid and kept running); where the subreaper is refused, the
/// holders of an ended child's result pipe instead.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/process.h"
#include "core/process_pids.h"

namespace cuconform::process {
namespace {

/// The direct children of this process (of any of its threads), from /proc.
std::vector<pid_t> children_of_self() {
    std::vector<pid_t> out;
    std::error_code ec;
    bool listed = false;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
        std::ifstream in(task.path() / "children");
        if (!in) continue;
        listed = true;
        for (pid_t pid; in >> pid;) out.push_back(pid);
    }
    if (listed) return out;
    // Kernels without CONFIG_PROC_CHILDREN: every process's parent, from its stat line.
    const pid_t self = getpid();
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(entry.path() / "stat");
        std::string line;
        if (!std::getline(in, line)) continue;
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 1));
        char state = 0;
        pid_t parent = 0;
        if (rest >> state >> parent && parent == self) out.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return out;
}

/// The processes (other than this one and the children it still runs) that hold one of `pipes` open for writing.
std::set<pid_t> pipe_writers(const std::set<std::pair<dev_t, ino_t>>& pipes) {
    std::set<pid_t> out;
    const pid_t self = getpid();
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const auto pid = static_cast<pid_t>(std::stol(name));
        if (pid == self || detail::started_pids().contains(pid)) continue;
        std::error_code fd_ec;  // another user's process, or one that just ended: not ours to look at
        for (const auto& fd : std::filesystem::directory_iterator(entry.path() / "fd", fd_ec)) {
            struct stat st {};
            if (stat(fd.path().c_str(), &st) != 0 || !S_ISFIFO(st.st_mode)) continue;
            if (!pipes.contains({st.st_dev, st.st_ino})) continue;
            std::ifstream info(entry.path() / "fdinfo" / fd.path().filename());
            std::string key;
            unsigned long flags = 0;
            while (info >> key) {
                if (key == "flags:" && info >> std::oct >> flags) break;
            }
            if ((flags & O_ACCMODE) != O_RDONLY) out.insert(pid);
        }
    }
    return out;
}

}  // namespace

OrphanReaper::OrphanReaper() {
    int previous = 0;
    prctl(PR_GET_CHILD_SUBREAPER, &previous);
    previous_ = previous != 0;
    active_ = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
    if (!active_) refusal_ = errno;
}

OrphanReaper::~OrphanReaper() {
    kill_orphans();
    if (active_ && !previous_) prctl(PR_SET_CHILD_SUBREAPER, 0);
}

std::size_t OrphanReaper::kill_orphans() {
    // The ended children's result pipes: whoever still writes to one is something such a child left behind.
    std::set<std::pair<dev_t, ino_t>> pipes;
    auto& marks = detail::result_pipes();
    for (auto it = marks.begin(); it != marks.end();) {
        if (detail::started_pids().contains(it->first)) {
            ++it;
        } else {
            pipes.insert(it->second);
            it = marks.erase(it);
        }
    }
    if (!active_) {
        if (pipes.empty()) return 0;
        std::set<pid_t> killed;
        // A holder may fork before it is killed: look again until nobody holds one (a killed process lets go of
        // its descriptors within milliseconds).
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
        for (auto holders = pipe_writers(pipes); !holders.empty() && std::chrono::steady_clock::now() < until;
             holders = pipe_writers(pipes)) {
            for (const pid_t pid : holders) {
                if (kill(pid, SIGKILL) == 0) killed.insert(pid);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return killed.size();
    }
    std::size_t killed = 0;
    // An orphan's own children become orphans of ours when it dies: a few rounds catch a whole tree.
    for (int round = 0; round < 64; ++round) {
        std::vector<pid_t> orphans;
        for (const pid_t pid : children_of_self()) {
            if (!detail::started_pids().contains(pid)) orphans.push_back(pid);
        }
        if (orphans.empty()) break;
        for (const pid_t pid : orphans) kill(pid, SIGKILL);
        for (const pid_t pid : orphans) {
            while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
            ++killed;
        }
    }
    return killed;
}

}  // namespace cuconform::process
