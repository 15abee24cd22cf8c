// SPDX-License-Identifier: Apache-2.0
/// \file A cell's folder: appending, reading and atomically rewriting its records.
#include "results/store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>
#include <tuple>

#include "core/files.h"
#include "results/record_io.h"

namespace cuconform::results {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string pretty(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

/// The file's JSON, or nullopt (absent: silently; unreadable or malformed: with a warning).
template <typename Parse>
auto read_record(const fs::path& path, const char* what, Parse parse, std::vector<std::string>& warnings)
    -> std::optional<decltype(parse(json()))> {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    try {
        return parse(parse_json(read_file(path), path.string()));
    } catch (const FileError& e) {
        warnings.push_back(fmt::format("{}; its {} is left out", e.what(), what));
    } catch (const RecordError& e) {
        warnings.push_back(fmt::format("{}: not a valid {} ({}); it is left out. Re-run the cell or repair the file.",
                                       path.string(), what, e.what()));
    }
    return std::nullopt;
}

}  // namespace

CellStore::CellStore(fs::path dir) : dir_(std::move(dir)) {}

void CellStore::create() const {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw FileError(dir_, "create the folder", ec.value());
}

void CellStore::write_cell(const CellRecord& cell) const { write_file_atomically(cell_path(), pretty(to_json(cell))); }

void CellStore::write_fingerprint(const Fingerprint& fingerprint) const {
    write_file_atomically(fingerprint_path(), pretty(to_json(fingerprint)));
}

std::optional<CellRecord> CellStore::read_cell(std::vector<std::string>& warnings) const {
    return read_record(cell_path(), "cell.json", parse_cell, warnings);
}

std::optional<Fingerprint> CellStore::read_fingerprint(std::vector<std::string>& warnings) const {
    return read_record(fingerprint_path(), "fingerprint", parse_fingerprint, warnings);
}

std::vector<StoredResult> CellStore::read_results(TornLine torn, std::optional<std::size_t>* dropped) const {
    return read_results_file(results_path(), torn, dropped);
}

std::vector<StoredResult> read_results_file(const fs::path& path, TornLine torn, std::optional<std::size_t>* dropped) {
    return parse_results(read_file(path, kMaxResultsFileBytes), path.string(), torn, dropped);
}

std::vector<StoredResult> parse_results(std::string_view text, const std::string& file, TornLine torn,
                                        std::optional<std::size_t>* dropped) {
    std::vector<StoredResult> out;
    std::vector<std::string> problems;
    std::size_t bad = 0;
    std::size_t number = 0;
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t end = text.find('\n', begin);
        const bool last_without_newline = end == std::string::npos;
        if (last_without_newline) end = text.size();
        ++number;
        const std::string_view line(text.data() + begin, end - begin);
        begin = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        StoredResult stored;
        try {
            if (line.size() > kMaxRecordBytes) {
                throw RecordError(fmt::format("the line is {} bytes long; a record is at most {} bytes", line.size(),
                                              kMaxRecordBytes));
            }
            stored.result = parse_result(parse_json(line, "the line"), stored.cell);
        } catch (const RecordError& e) {
            if (last_without_newline && torn == TornLine::Drop) {
                if (dropped != nullptr) *dropped = number;
                break;
            }
            if (++bad <= 5) {
                problems.push_back(fmt::format(
                    "{}:{}: {}{}", file, number, e.what(),
                    last_without_newline ? " (the last line, without a newline: the run writing it was killed "
                                           "half-way; `cuconform run --resume` into this cell runs that case again)"
                                         : ""));
            }
            continue;
        }
        stored.file = file;
        stored.line = number;
        out.push_back(std::move(stored));
    }
    if (bad > 0) {
        std::string message = fmt::format(
            "{} line{} of {} {} not a result record, so the cell's results cannot be "
            "trusted:",
            bad, bad == 1 ? "" : "s", file, bad == 1 ? "is" : "are");
        for (const auto& p : problems) message += "\n  " + p;
        if (bad > problems.size()) message += fmt::format("\n  ... and {} more", bad - problems.size());
        message += "\nRepair or remove those lines (or re-run the cell); nothing is left out silently.";
        throw RecordError(message);
    }
    return out;
}

void CellStore::write_results(const std::vector<std::string>& lines) const {
    std::string content;
    for (const auto& line : lines) content += line + "\n";
    write_file_atomically(results_path(), content);
}

void CellStore::clear_results() const {
    if (::unlink(results_path().c_str()) != 0 && errno != ENOENT) throw FileError(results_path(), "remove", errno);
}

ResultAppender::ResultAppender(const CellStore& store, std::string cell)
    : path_(store.results_path().string()), cell_(std::move(cell)) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw FileError(path_, "open for appending", errno);
    // A line cut short by a killed writer: cut it off (the case it belonged to runs again), so that the next record
    // starts on a line of its own and the file holds whole records only.
    const off_t size = ::lseek(fd_, 0, SEEK_END);
    if (size < 0) throw FileError(path_, "open for appending", errno);
    off_t keep = size;
    char buf[4096];
    while (keep > 0) {
        const off_t from = keep > static_cast<off_t>(sizeof buf) ? keep - static_cast<off_t>(sizeof buf) : 0;
        const ssize_t n = ::pread(fd_, buf, static_cast<std::size_t>(keep - from), from);
        if (n <= 0) throw FileError(path_, "read", n < 0 ? errno : EIO);
        const char* newline = static_cast<const char*>(memrchr(buf, '\n', static_cast<std::size_t>(n)));
        if (newline != nullptr) {
            keep = from + (newline - buf) + 1;
            break;
        }
        keep = from;
    }
    if (keep != size && ::ftruncate(fd_, keep) != 0) throw FileError(path_, "cut the torn last line of", errno);
}

ResultAppender::~ResultAppender() {
    if (fd_ >= 0) ::close(fd_);
}

void ResultAppender::append(const Result& result) {
    const std::string line = to_line(result, cell_) + "\n";
    const ssize_t n = ::write(fd_, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size())) {
        const int error = n < 0 ? errno : ENOSPC;  // a short write: the disk filled up
        // Take the partial line back, so that nothing half-written looks like a record.
        if (n > 0) {
            const off_t size = ::lseek(fd_, 0, SEEK_END);
            if (size >= n) (void)!::ftruncate(fd_, size - n);
        }
        throw FileError(path_, "append a result to", error);
    }
}

std::vector<StoredResult> deduplicate(std::vector<StoredResult> results) {
    std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index;
    std::vector<StoredResult> out;
    out.reserve(results.size());
    for (auto& r : results) {
        auto key = std::make_tuple(r.cell, r.result.case_id, r.result.variant);
        auto [it, fresh] = index.try_emplace(std::move(key), out.size());
        if (fresh) {
            out.push_back(std::move(r));
        } else if (supersedes(r.result, out[it->second].result, r.cell)) {
            out[it->second] = std::move(r);
        }
    }
    return out;
}

namespace {

void find_in(const fs::path& dir, const std::string& name, std::vector<fs::path>& files,
             std::vector<std::string>& errors) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::directory_entry& entry = *it;
        std::error_code status_ec;
        const fs::file_status status = entry.status(status_ec);  // follows a link: a linked results file counts
        if (entry.path().filename() == name) {
            if (fs::is_regular_file(status)) {
                files.push_back(entry.path());
            } else {
                errors.push_back(
                    fmt::format("{}: {}; cuconform reads it as a file: move it away, or write the cell again",
                                entry.path().string(),
                                status_ec ? status_ec.message()
                                          : (fs::is_directory(status) ? std::strerror(EISDIR) : "not a regular file")));
            }
        } else if (fs::is_directory(status) && !entry.is_symlink(status_ec)) {
            find_in(entry.path(), name, files, errors);
        }
    }
    if (ec) {
        errors.push_back(
            fmt::format("{}: {}; the cells in it cannot be read: give this user read access to it, or "
                        "leave it out of the inputs",
                        dir.string(), ec.message()));
    }
}

}  // namespace

std::string holds_no_record(const fs::path& file) {
    return fmt::format(
        "{} holds no result record: the run that writes it recorded nothing (killed before its first "
        "result, or a disk that filled up); re-run the cell, or leave its folder out",
        file.string());
}

std::vector<fs::path> find_named_files(const fs::path& root, const std::string& name,
                                       std::vector<std::string>& errors) {
    std::vector<fs::path> files;
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
        if (root.filename() == name) files.push_back(root);
    } else if (fs::is_directory(root, ec)) {
        find_in(root, name, files, errors);
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<std::string> each_once(std::vector<std::string> problems) {
    std::vector<std::string> once;
    for (auto& p : problems) {
        if (std::find(once.begin(), once.end(), p) == once.end()) once.push_back(std::move(p));
    }
    return once;
}

std::string listed(const std::vector<std::string>& problems) {
    std::string text;
    for (std::size_t i = 0; i < problems.size() && i < 20; ++i) text += "\n- " + problems[i];
    if (problems.size() > 20) text += fmt::format("\n- ... and {} more", problems.size() - 20);
    return text;
}

}  // namespace cuconform::results
