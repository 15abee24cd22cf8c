// SPDX-License-Identifier: Apache-2.0
/// \file OrphanReaper: this process as the subreaper of what its children leave behind, and the killing of those
/// orphans (a case whose grandchild detached with setsid and kept running).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
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

}  // namespace

OrphanReaper::OrphanReaper() {
    int previous = 0;
    prctl(PR_GET_CHILD_SUBREAPER, &previous);
    previous_ = previous != 0;
    active_ = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
}

OrphanReaper::~OrphanReaper() {
    kill_orphans();
    if (active_ && !previous_) prctl(PR_SET_CHILD_SUBREAPER, 0);
}

std::size_t OrphanReaper::kill_orphans() {
    if (!active_) return 0;
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
