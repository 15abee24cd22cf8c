// SPDX-License-Identifier: Apache-2.0
/// \file core/files.h and core/process.h under faults: a folder another process holds, a folder read as a file, an
/// input over its size limit, a grandchild that leaves its parent's process group.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/files.h"
#include "core/process.h"

namespace cuconform {
namespace {
namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / fmt::format("cuconform_files_{}_{}", name, ::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

// Issue #13: two runs into one folder corrupted each other without a word.
TEST(FolderLock, ASecondHolderIsRefusedAndToldWhoHoldsIt) {
    const fs::path dir = fresh_dir("lock");
    // The first holder is another process (locks are per process): it takes the lock, says so, and waits.
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t holder = fork();
    if (holder == 0) {
        const FolderLock lock(dir / "cell");
        (void)!write(ready[1], "x", 1);
        pause();
        _exit(0);
    }
    char c;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    try {
        const FolderLock second(dir / "cell");
        ADD_FAILURE() << "a second lock on a held folder";
    } catch (const FolderBusy& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(fmt::format("pid {} (", holder)), std::string::npos) << msg;
        EXPECT_NE(msg.find("cuconform_unit_tests"), std::string::npos) << msg;  // its command line
        EXPECT_NE(msg.find("is in use by another cuconform process"), std::string::npos) << msg;
    }
    // SIGKILL of the holder releases it.
    kill(holder, SIGKILL);
    waitpid(holder, nullptr, 0);
    EXPECT_NO_THROW(FolderLock{dir / "cell"});
    close(ready[0]);
    close(ready[1]);
    fs::remove_all(dir);
}

// The report commands lock the folder their file goes to (junit -o DIR/junit.xml): a lock file left there after
// every run littered the user's folders (and a CI bundle's listing).
TEST(FolderLock, LeavesNoLockFileWhenLetGoAndTakesOverOneAKillLeft) {
    const fs::path dir = fresh_dir("lock_file");
    {
        const FolderLock lock(dir, FolderLock::kReportAdvice);
        EXPECT_TRUE(fs::exists(dir / FolderLock::kFileName));
    }
    EXPECT_FALSE(fs::exists(dir / FolderLock::kFileName));
    // What a SIGKILLed holder leaves (a lock file nobody holds) is taken over, and removed in turn.
    const pid_t holder = fork();
    if (holder == 0) {
        const FolderLock lock(dir);
        kill(getpid(), SIGKILL);
    }
    waitpid(holder, nullptr, 0);
    EXPECT_TRUE(fs::exists(dir / FolderLock::kFileName));
    { const FolderLock lock(dir); }
    EXPECT_FALSE(fs::exists(dir / FolderLock::kFileName));
    fs::remove_all(dir);
}

TEST(ReadFile, AFolderAndAnOversizedFileNameThePathAndTheReason) {
    const fs::path dir = fresh_dir("read");
    try {
        read_file(dir);
        ADD_FAILURE() << "read a folder";
    } catch (const FileError& e) {
        EXPECT_EQ(std::string(e.what()), fmt::format("could not read {}: Is a directory", dir.string()));
    }
    std::ofstream(dir / "big") << std::string(2000, 'x');
    try {
        read_file(dir / "big", 1000);
        ADD_FAILURE() << "read past the limit";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("larger than 0 MiB"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_file(dir / "big", 2000).size(), 2000u);
    fs::remove_all(dir);
}

// Where no PID namespace can be made, a case's grandchild that calls setsid leaves the process group a timeout
// kills; as the runner's subreaper, it comes back to the runner when its parent ends and is killed there.
TEST(OrphanReaper, KillsWhatAChildLeftBehindOutsideItsGroup) {
    process::OrphanReaper reaper;
    process::Options o;
    o.output = process::Output::Discard;
    o.result_fd = 3;
    o.contain = false;
    process::Child child = process::Child::call(
        [] {
            const pid_t grandchild = fork();
            if (grandchild == 0) {
                setsid();
                sleep(3600);
                _exit(0);
            }
            const std::string pid = std::to_string(grandchild);
            return process::write_all(3, pid) ? 0 : 1;
        },
        o);
    const auto status = child.wait_for(std::chrono::seconds(10));
    ASSERT_TRUE(status.ok()) << status.describe();
    const pid_t grandchild = std::stoi(child.result_data());
    ASSERT_EQ(kill(grandchild, 0), 0) << "the grandchild should still run";
    EXPECT_EQ(reaper.kill_orphans(), 1u);
    EXPECT_NE(kill(grandchild, 0), 0);
    EXPECT_EQ(errno, ESRCH);
    EXPECT_EQ(reaper.kill_orphans(), 0u);
}

TEST(OrphanReaper, LeavesTheChildrenItStartedAlone) {
    process::OrphanReaper reaper;
    process::Options o;
    o.output = process::Output::Discard;
    process::Child child = process::Child::exec({"sleep", "30"}, o);
    EXPECT_EQ(reaper.kill_orphans(), 0u);
    EXPECT_TRUE(child.running());
    EXPECT_FALSE(child.try_wait());
}

}  // namespace
}  // namespace cuconform
