// SPDX-License-Identifier: Apache-2.0
/// \file Whole files: read one, or replace one atomically so that a reader sees the old file or the new one, never
/// a part (a full disk or a kill half-way leaves the old file and no stray temporary).
#pragma once

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
    int error() const { return error_; }

private:
    int error_;
};

/// Writes `content` to a temporary file beside `path`, flushes it to disk (fsync), renames it over `path` and syncs
/// the folder. Throws FileError, leaving `path` as it was.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

/// The whole file. Throws FileError when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace cuconform
