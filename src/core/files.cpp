// SPDX-License-Identifier: Apache-2.0
/// \file Atomic file replacement and whole-file reads.
#include "core/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cuconform {
namespace fs = std::filesystem;

FileError::FileError(const fs::path& path, const std::string& action, int error)
    : std::runtime_error(fmt::format("could not {} {}: {}", action, path.string(), std::strerror(error))),
      error_(error) {}

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
    /// close(2) reports write-back errors (NFS, a full disk) that write(2) did not.
    int close() {
        const int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

private:
    int fd_;
};

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
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            fail("write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) fail("flush");
    if (fd.close() != 0) fail("write");
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("replace");
    const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
    Descriptor dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) ::fsync(dir.get());  // the rename itself reaches the disk
}

std::string read_file(const fs::path& path) {
    Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw FileError(path, "read", errno);
    std::string content;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw FileError(path, "read", errno);
        if (n == 0) break;
        content.append(buf, static_cast<std::size_t>(n));
    }
    return content;
}

}  // namespace cuconform
