// SPDX-License-Identifier: Apache-2.0
/// \file One cell's folder: results.jsonl (append-only), fingerprint.json and cell.json. Every read and write of
/// them goes through CellStore, so there is one way to append, one way to read, one atomic write and one
/// de-duplication rule (results::supersedes).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "results/cell.h"
#include "results/fingerprint.h"
#include "results/result.h"

namespace cuconform::results {

/// The most cuconform reads of one results.jsonl, and of one line of it: a cell of the whole catalogue with every
/// variant and a full output_tail per record is a few MiB.
inline constexpr std::size_t kMaxResultsFileBytes = 256u << 20;
inline constexpr std::size_t kMaxRecordBytes = 1u << 20;

/// What a reader does with a last line that has no newline and is no record: what a writer killed half-way through
/// a line leaves.
enum class TornLine {
    Fail,  ///< It is damage like any other bad line (report, merge: a record of the cell is lost).
    Drop,  ///< It is left out (`run --resume`, which runs that case again); the caller learns its line number.
};

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
    /// Absent file: nullopt. Unreadable or malformed: nullopt and a problem naming the file and the field, which the
    /// caller reports as a warning or an error.
    std::optional<CellRecord> read_cell(std::vector<std::string>& warnings) const;
    std::optional<Fingerprint> read_fingerprint(std::vector<std::string>& warnings) const;

    /// Every record of results.jsonl in file order (read_results_file).
    std::vector<StoredResult> read_results(TornLine torn = TornLine::Fail,
                                           std::optional<std::size_t>* dropped = nullptr) const;
    /// Replaces results.jsonl atomically with `lines` (already serialised records).
    void write_results(const std::vector<std::string>& lines) const;
    /// Removes results.jsonl (a run that starts afresh).
    void clear_results() const;

private:
    std::filesystem::path dir_;
};

/// The append-only results log of a running cell: each record is one write(2) of one whole line to an O_APPEND
/// descriptor, so a runner killed with SIGKILL leaves every earlier record intact (at worst the line being written
/// is cut short). A torn last line left by an earlier run (a record that was never complete, which `--resume` runs
/// again) is cut off first, so that the next record starts on a line of its own and no damaged line stays behind.
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

/// Every record of a results file in file order. A line that is not a record (not JSON, a field of the wrong type, a
/// schema it does not have) is an error, never skipped: RecordError names file:line and the field of each such line
/// (the first few, and how many more). Throws FileError when the file cannot be read or is over
/// kMaxResultsFileBytes. `dropped` receives the line number of a torn last line that TornLine::Drop left out.
std::vector<StoredResult> read_results_file(const std::filesystem::path& path, TornLine torn = TornLine::Fail,
                                            std::optional<std::size_t>* dropped = nullptr);

/// The same from the file's text (`file` names it in messages): the reader itself, which tests/fuzz/ feeds.
std::vector<StoredResult> parse_results(std::string_view text, const std::string& file, TornLine torn = TornLine::Fail,
                                        std::optional<std::size_t>* dropped = nullptr);

/// Why a results file that holds no record cannot be read as a cell's results (report, table, junit and merge refuse
/// it alike): the run that writes it recorded nothing.
std::string holds_no_record(const std::filesystem::path& file);

/// Keeps, per (cell, case, variant), the record that supersedes the others; first-seen order otherwise.
std::vector<StoredResult> deduplicate(std::vector<StoredResult> results);

/// Every regular file called `name` at or under `root` (`root` itself when it is one), sorted; folders are descended
/// without following links. A folder that cannot be listed and an entry called `name` that is not a file are added
/// to `errors` (the path, the system's reason, the fix) and never skipped: a reader that cannot see a cell must not
/// report on the others as if they were all.
std::vector<std::filesystem::path> find_named_files(const std::filesystem::path& root, const std::string& name,
                                                    std::vector<std::string>& errors);

/// The problems several walks over the same inputs met, each once (a folder that cannot be listed is met by the walk
/// for cells and by the one for matrix.json), in the order met.
std::vector<std::string> each_once(std::vector<std::string> problems);

/// `problems` as lines to put under a headline: "\n- ..." for the first 20, then how many more.
std::string listed(const std::vector<std::string>& problems);

}  // namespace cuconform::results
