// SPDX-License-Identifier: Apache-2.0
/// \file Inside core only (process.cpp and reaper.cpp): the set of processes this one started through Child, which
/// tells OrphanReaper a child of ours from an orphan re-parented to us.
#pragma once

#include <sys/types.h>

#include <map>
#include <set>
#include <utility>

namespace cuconform::process::detail {

/// The processes this one started (Child objects) and has not reaped yet: every other child it has is an orphan that
/// was re-parented to it (OrphanReaper). cuconform forks from a single thread, so no lock.
std::set<pid_t>& started_pids();

/// The result pipe (device, inode) of each child started without a PID namespace, until OrphanReaper has looked,
/// after the child ended, for processes that still hold its write end.
std::map<pid_t, std::pair<dev_t, ino_t>>& result_pipes();

}  // namespace cuconform::process::detail
