// SPDX-License-Identifier: Apache-2.0
/// \file Atomic file replacement, whole-file reads and folder locks.
#include "core/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <utility>

namespace cuconform {
namespace fs = std::filesystem;

FileError::FileError(const fs::path& path, const std::string& action, int error)
    : std::runtime_error(fmt::format("could not {} {}: {}", action, path.string(), std::strerror(error))),
      error_(error) {}

FileError::FileError(const fs::path& path, int error, const std::string& problem)
    : std::runtime_error(fmt::format("{}: {}", path.string(), problem)), error_(error) {}

namespace {

class Descriptor {
public:
    explicit Descriptor(int fd) : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    /// close(2) reports write-back errors (NFS, a full disk) that write(2) did not.
    int close() {
        const int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

private:
    int fd_;
};

bool write_fully(int fd, std::string_view content) {
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = ENOSPC;  // a write that makes no progress: the disk is full
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string mib(std::size_t bytes) { return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (1 << 20)); }

}  // namespace

void write_file_atomically(const fs::path& path, std::string_view content) {
    const fs::path tmp = fs::path(path).concat(fmt::format(".tmp.{}", getpid()));
    auto fail = [&](const std::string& action) {
        const int error = errno;
        ::unlink(tmp.c_str());
        throw FileError(path, action, error);
    };
    Descriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) fail("create a temporary file for");
    if (!write_fully(fd.get(), content)) fail("write");
    if (::fsync(fd.get()) != 0) fail("flush");
    if (fd.close() != 0) fail("write");
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("replace");
    const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
    Descriptor dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) ::fsync(dir.get());  // the rename itself reaches the disk
}

std::string read_file(const fs::path& path, std::size_t max_bytes) {
    Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw FileError(path, "read", errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) throw FileError(path, "read", EISDIR);
    std::string content;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw FileError(path, "read", errno);
        if (n == 0) break;
        if (content.size() + static_cast<std::size_t>(n) > max_bytes) {
            throw FileError(path, EFBIG,
                            fmt::format("larger than {}, the most cuconform reads of such a file; it cannot be one "
                                        "that cuconform wrote or reads (check the path)",
                                        mib(max_bytes)));
        }
        content.append(buf, static_cast<std::size_t>(n));
    }
    return content;
}

namespace {

/// "pid 123 (cuconform run --out r), since 2026-01-01T00:00:00Z": who a lock file says holds it.
std::string holder_line() {
    std::string command;
    try {
        command = read_file("/proc/self/cmdline", 1 << 16);
    } catch (const FileError&) {
    }
    while (!command.empty() && command.back() == '\0') command.pop_back();
    for (char& c : command) {
        if (c == '\0') c = ' ';
    }
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char since[32];
    std::strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return fmt::format("pid {} ({}), since {}", getpid(), command.empty() ? "command unknown" : command, since);
}

}  // namespace

FolderLock::FolderLock(const fs::path& dir, std::string_view advice) : file_(dir / kFileName) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw FileError(dir, "create the folder", ec.value());
    // The holder removes the lock file when it lets go, so a lock taken on a file that is no longer the one at the
    // path (its holder removed it between our open and our lock) is no lock: take it again on the new one.
    for (int attempt = 0;; ++attempt) {
        Descriptor fd(::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
        if (fd.get() < 0) throw FileError(file_, "create the lock file", errno);
        struct flock lock {};
        lock.l_type = F_WRLCK;
        lock.l_whence = SEEK_SET;
        if (::fcntl(fd.get(), F_SETLK, &lock) != 0) {
            if (errno != EACCES && errno != EAGAIN) throw FileError(file_, "lock", errno);
            struct flock held {};
            held.l_type = F_WRLCK;
            held.l_whence = SEEK_SET;
            const bool known = ::fcntl(fd.get(), F_GETLK, &held) == 0 && held.l_type != F_UNLCK;
            std::string who;
            try {
                who = read_file(file_, 1 << 16);
            } catch (const FileError&) {
            }
            while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
            if (who.empty()) who = known ? fmt::format("pid {}", held.l_pid) : "another process";
            throw FolderBusy(
                fmt::format("{} is in use by another cuconform process: {}. {}", dir.string(), who, advice));
        }
        struct stat locked {
        }, at_path{};
        if (::fstat(fd.get(), &locked) != 0 || ::stat(file_.c_str(), &at_path) != 0 ||
            locked.st_ino != at_path.st_ino || locked.st_dev != at_path.st_dev) {
            if (attempt < 100) continue;
            throw FileError(file_, EAGAIN,
                            "the lock file was replaced 100 times while it was being taken; is "
                            "something removing it?");
        }
        const std::string line = holder_line() + "\n";
        if (::ftruncate(fd.get(), 0) != 0 || !write_fully(fd.get(), line)) {
            const int error = errno;
            ::unlink(file_.c_str());  // ours, and locked: nobody else is using it
            throw FileError(file_, "write the lock file", error);
        }
        fd_ = fd.release();
        return;
    }
}

FolderLock::~FolderLock() {
    if (fd_ < 0) return;
    // Removed while still held, then released: a folder that nobody holds has no lock file (a kill -9 leaves one,
    // which the next holder takes over).
    ::unlink(file_.c_str());
    ::close(fd_);
}

}  // namespace cuconform
