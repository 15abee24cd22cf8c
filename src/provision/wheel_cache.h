// SPDX-License-Identifier: Apache-2.0
/// \file Inside provision/: the wheel cache's helpers shared by downloading (wheels.cpp) and assembling
/// (prefix.cpp). Not for other rooms.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "provision/wheels.h"

namespace cuconform::provision::detail {

/// pip's own ERROR lines (or its last lines), to quote.
std::string pip_errors(const std::string& output);
bool disk_full(const std::string& text);
[[noreturn]] void throw_disk_full(const std::filesystem::path& cache, const std::string& what);

/// Filesystem calls that may hit a full disk: a clear message instead of filesystem_error.
template <typename F>
void guarded(const std::filesystem::path& cache, const std::string& what, F&& f) {
    try {
        f();
    } catch (const std::filesystem::filesystem_error& e) {
        if (e.code() == std::errc::no_space_on_device) throw_disk_full(cache, what);
        throw StackError(std::string(what) + ": " + e.what());
    }
}

/// The JSON object in `path`, {} when absent or not an object.
nlohmann::json read_json_file(const std::filesystem::path& path);
/// Writes atomically; a full disk is a StackError that says what to free.
void write_json(const std::filesystem::path& cache, const std::filesystem::path& path, const nlohmann::json& value);

/// An exclusive lock on the cache while one fetch runs (two CI jobs sharing a cache).
class CacheLock {
public:
    explicit CacheLock(const std::filesystem::path& cache);
    ~CacheLock();
    CacheLock(const CacheLock&) = delete;
    CacheLock& operator=(const CacheLock&) = delete;

private:
    int fd_ = -1;
};

/// The cache directories exist; `sub` is stacks or toolkits.
std::filesystem::path prepare_cache(const FetchOptions& options, const std::string& sub);
/// Downloads (or reuses, sha256-checked) every wheel of `specs`; the caller holds the cache lock.
nlohmann::json fetch_wheels(const std::filesystem::path& cache, const std::vector<WheelSpec>& specs,
                            const FetchOptions& options, FetchResult& result);
/// Unzips one cached wheel into tmp/wheels/<stem>/ (removing tmp when it fails) and returns that directory.
std::filesystem::path unpack_wheel(const std::filesystem::path& cache, const std::filesystem::path& tmp,
                                   const std::string& file);
/// Whether `existing` (a prefix's stack.json or toolkit.json) was assembled from exactly `wheels` and every path it
/// lists under `key` (relative to `base`) is still there.
bool assembled_from(const nlohmann::json& existing, const nlohmann::json& wheels, const std::filesystem::path& base,
                    const std::string& key);

}  // namespace cuconform::provision::detail
