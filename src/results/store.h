// SPDX-License-Identifier: Apache-2.0
/// \file One cell's folder: results.jsonl (append-only), fingerprint.json and cell.json. Every read and write of
/// them goes through CellStore, so there is one way to append, one way to read, one atomic write and one
/// de-duplication rule (results::supersedes).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "results/cell.h"
#include "results/fingerprint.h"
#include "results/result.h"

namespace cuconform::results {

/// A result as read from a results.jsonl: the record, its cell id, and where it was.
struct StoredResult {
    Result result;
    std::string cell;
    std::string file;
    std::size_t line = 0;  ///< 1-based.
};

class CellStore {
public:
    explicit CellStore(std::filesystem::path dir);

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path results_path() const { return dir_ / "results.jsonl"; }
    std::filesystem::path cell_path() const { return dir_ / "cell.json"; }
    std::filesystem::path fingerprint_path() const { return dir_ / "fingerprint.json"; }

    /// Creates the folder. Throws std::runtime_error naming it and the reason.
    void create() const;

    void write_cell(const CellRecord& cell) const;
    void write_fingerprint(const Fingerprint& fingerprint) const;
    /// Absent file: nullopt. Unreadable or malformed: nullopt and a warning naming the file and the field.
    std::optional<CellRecord> read_cell(std::vector<std::string>& warnings) const;
    std::optional<Fingerprint> read_fingerprint(std::vector<std::string>& warnings) const;

    /// Every record of results.jsonl in file order. Lines that are not records are skipped with a warning that
    /// names file:line; a torn last line (a killed writer) is named as such.
    std::vector<StoredResult> read_results(std::vector<std::string>& warnings) const;
    /// Replaces results.jsonl atomically with `lines` (already serialised records).
    void write_results(const std::vector<std::string>& lines) const;
    /// Removes results.jsonl (a run that starts afresh).
    void clear_results() const;

private:
    std::filesystem::path dir_;
};

/// The append-only results log of a running cell: each record is one write(2) of one whole line to an O_APPEND
/// descriptor, so a runner killed with SIGKILL leaves every earlier record intact (at worst the line being written
/// is cut short, and readers skip it). A torn last line left by an earlier run is ended first, so that the next
/// record starts on a line of its own.
class ResultAppender {
public:
    ResultAppender(const CellStore& store, std::string cell);
    ~ResultAppender();
    ResultAppender(const ResultAppender&) = delete;
    ResultAppender& operator=(const ResultAppender&) = delete;
    /// Throws std::runtime_error (with the path and the system's reason, e.g. "No space left on device").
    void append(const Result& result);

private:
    std::string path_;
    std::string cell_;
    int fd_ = -1;
};

/// The records of any results file (CellStore::read_results reads its cell's).
std::vector<StoredResult> read_results_file(const std::filesystem::path& path, std::vector<std::string>& warnings);

/// Keeps, per (cell, case, variant), the record that supersedes the others; first-seen order otherwise.
std::vector<StoredResult> deduplicate(std::vector<StoredResult> results);

}  // namespace cuconform::results
