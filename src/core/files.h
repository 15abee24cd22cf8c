// SPDX-License-Identifier: Apache-2.0
/// \file Whole files: read one, or replace one atomically so that a reader sees the old file or the new one, never
/// a part (a full disk or a kill half-way leaves the old file and no stray temporary); and the lock that keeps two
/// runs out of one folder.
#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cuconform {

/// An I/O error of the harness itself (a full disk, a folder that is not writable): never a verdict about the
/// stack. what() names the path and the system's reason.
class FileError : public std::runtime_error {
public:
    FileError(const std::filesystem::path& path, const std::string& action, int error);
    /// A problem that is not an errno (a file over a size limit): "<path>: <problem>".
    FileError(const std::filesystem::path& path, int error, const std::string& problem);
    int error() const { return error_; }

private:
    int error_;
};

/// Writes `content` to a temporary file beside `path`, flushes it to disk (fsync), renames it over `path` and syncs
/// the folder. Throws FileError, leaving `path` as it was.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

/// The most cuconform reads of one input file unless the caller says otherwise: every matrix, waivers, knowledge
/// base and record file is far smaller, and a larger one would only exhaust memory.
inline constexpr std::size_t kMaxInputBytes = 64u << 20;

/// The whole file. Throws FileError when it cannot be read (the path and the system's reason: "Is a directory") or
/// is larger than `max_bytes` (the limit named).
std::string read_file(const std::filesystem::path& path, std::size_t max_bytes = kMaxInputBytes);

/// Another process holds the folder's lock. what() says which (pid, its command line, since when).
class FolderBusy : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An exclusive lock on a folder for as long as the object lives: a POSIX record lock on `<dir>/.lock`, which the
/// kernel releases when the holder ends (even by SIGKILL) and which the holder's children do not inherit. The file
/// says who holds it, so that a second run can name the first, and is removed when the holder lets go (a SIGKILLed
/// holder leaves it, and the next holder takes it over).
class FolderLock {
public:
    /// Creates `dir` when missing and takes its lock. Throws FolderBusy when another process holds it (its message
    /// ends in `advice`: what a second writer would break, and how to go ahead), FileError when the lock file cannot
    /// be made.
    explicit FolderLock(const std::filesystem::path& dir, std::string_view advice = kRunAdvice);
    ~FolderLock();
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

    /// The name of the lock file in a locked folder (readers of the folder skip it).
    static constexpr const char* kFileName = ".lock";
    /// The advice for a cell folder that `run` appends to.
    static constexpr std::string_view kRunAdvice =
        "Two runs into one folder would mix their records; wait for it to end, or give this one another output "
        "folder (--out, or --cell for another cell id)";
    /// The advice for a folder that the report commands (report, table, junit, merge) write.
    static constexpr std::string_view kReportAdvice =
        "Two writers into one folder would mix their files; wait for it to end, or write this one into another "
        "folder (-o)";

private:
    std::filesystem::path file_;
    int fd_ = -1;
};

}  // namespace cuconform
