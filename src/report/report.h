// SPDX-License-Identifier: Apache-2.0
/// \file Results loading and the report outputs: self-contained HTML, compatibility table, JUnit XML, CI summary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/outcome.h"
#include "knowledge/knowledge.h"
#include "results/cell.h"
#include "results/fingerprint.h"
#include "results/plan.h"
#include "results/result.h"

namespace cuconform::report {

/// Where a record came from: the results file and its 1-based line. Empty file for synthetic records.
struct Evidence {
    std::string file;
    std::size_t line = 0;
};

/// One result as the report holds it: the record, its cell (an index into ResultSet::cells) and its evidence.
struct Result : results::Result {
    std::uint32_t cell = 0;  ///< Index into ResultSet::cells.
    Evidence source;
};

/// One matrix cell: its cell.json, its fingerprint, and the axis values the report groups by.
struct Cell {
    std::string id;
    std::string directory;       ///< The results directory it was read from (empty for synthetic cells).
    results::CellRecord record;  ///< cell.json (only the id when absent).
    std::optional<results::Fingerprint> fingerprint;  ///< fingerprint.json, when it was there and valid.
    std::string toolkit_cuda;                         ///< What the suite was compiled with.
    std::string toolkit_cudnn;
    std::string stack_cuda;  ///< What it ran against (differs from the toolkit in skew cells).
    std::string stack_cudnn;
    std::string provider;                    ///< host | wheels | container.
    std::string gpu;                         ///< "none" or "H100 (9.0)".
    std::string driver;                      ///< The NVIDIA driver's version, or "none" (the axis vendors validate).
    std::string compute_capability() const;  ///< "9.0" from the gpu field, or "none".
};

/// A cell a matrix planned (matrix.json) and what became of it. Cells that ran are also in ResultSet::cells; the
/// others exist only here.
using PlannedCell = results::PlannedCell;

/// Everything loaded from one or more results arguments.
struct ResultSet {
    std::vector<Cell> cells;
    std::vector<PlannedCell> planned;  ///< By id; empty when no matrix.json was found beside the results.
    std::vector<Result> results;        ///< De-duplicated: the last record per (cell, case, variant) wins.
    std::vector<std::string> warnings;  ///< Skipped lines and missing files, each naming file:line.

    /// The cell with this id, appended (empty) when new.
    std::uint32_t cell_index(const std::string& id);

private:
    std::unordered_map<std::string, std::uint32_t> cell_ids_;  ///< Rebuilt when `cells` was edited directly.
};

/// Verdict counts; `passed + failed + skipped == total`.
struct Tally {
    std::size_t per_verdict[7] = {};
    std::size_t total = 0;
    std::size_t passed() const;   ///< PASS.
    std::size_t failed() const;   ///< Every verdict for which is_failure() holds.
    std::size_t skipped() const;  ///< UNSUPPORTED and WAIVED.
    bool conforms() const { return failed() == 0; }
    void add(Verdict verdict);
};

Tally tally(const ResultSet& set);
/// `N passed, N failed, N skipped`: the last line `cuconform report` prints.
std::string tally_line(const Tally& tally);

/// Results that cannot be read as a whole: what() lists each problem with its file (and line, and field).
class LoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The most results one report reads (all results files together).
inline constexpr std::size_t kMaxResultsBytes = std::size_t{4} << 30;

/// Reads results arguments: each a cell directory or a directory holding cell directories (searched
/// recursively for results.jsonl), or a results.jsonl file. Nothing damaged is skipped: a line that is not a
/// record, a results file without records, a cell.json, fingerprint.json or matrix.json that is there but
/// malformed throws LoadError naming every such file (and line and field). Throws std::runtime_error when a path
/// does not exist or holds no results.jsonl at all. A missing fingerprint.json is a warning.
ResultSet load_results(const std::vector<std::filesystem::path>& paths);

/// One axis of the matrix-coverage view: every value a cell ran with or a matrix planned, and what each covered.
struct AxisCoverage {
    struct Value {
        std::string value;
        std::vector<std::string> cells;    ///< Cells with results that exercised it.
        std::vector<std::string> not_run;  ///< Planned cells with it that produced no results: "id (status): reason".
        bool exercised() const { return !cells.empty(); }
    };
    std::string axis;   ///< toolkit | toolkit_cudnn | cuda | cudnn | runner | gpu
    std::string title;  ///< What the axis means, for people.
    std::vector<Value> values;  ///< Ascending (versions numerically).
    /// Values the knowledge base knows that no cell ran or planned (cuDNN releases; GPU architectures the built
    /// toolkits compile for), and the fact they come from.
    std::vector<std::string> known_elsewhere;
    std::string known_source;  ///< "cudnn.yaml:12 (https://...)"; empty when no fact applies.
};

struct Coverage {
    std::vector<AxisCoverage> axes;
    std::vector<PlannedCell> not_run;  ///< Planned cells without results, by id.
    std::size_t unexercised() const;   ///< Planned axis values no cell exercised.
};

/// The matrix-coverage view of a result set; `kb` adds what the knowledge base knows beyond the matrix.
Coverage matrix_coverage(const ResultSet& set, const knowledge::KnowledgeBase* kb);

/// One line on standard error per planned cell without results and per axis value no cell exercised: what a
/// nightly log should show.
void print_coverage(const ResultSet& set, const knowledge::KnowledgeBase* kb);

struct HtmlOptions {
    std::string title = "cuconform compatibility report";
    const ResultSet* baseline = nullptr;  ///< Marks new failures, fixes and flips against it.
    /// Adds what the knowledge base knows beyond the matrix to the coverage view (releases, architectures).
    const knowledge::KnowledgeBase* knowledge = nullptr;
    /// Up to this many results, every entry of the grid is a server-side table cell with the observed
    /// outcome; above it, the grid is a compact symbol strip per row (see reports/README.md).
    std::size_t full_grid_limit = 50'000;
    std::size_t full_grid_max_cells = 120;
    std::size_t max_server_details = 1'500;  ///< Server-side <details> groups for non-PASS results.
    /// `cuconform doctor --json` of the machine that ran the cells, shown beside the verdict when given.
    nlohmann::json doctor;
};

/// Writes the self-contained HTML report (inline CSS/JS from reports/template/, embedded at build time).
void write_html(std::ostream& out, const ResultSet& set, const HtmlOptions& options = {});
/// Markdown fit for GitHub's step summary: per-cell counts, conformance, failures, baseline changes.
void write_summary(std::ostream& out, const ResultSet& set, const ResultSet* baseline = nullptr);
/// JUnit XML: one testsuite per cell; skipped for UNSUPPORTED/WAIVED, failure for the failure verdicts.
void write_junit(std::ostream& out, const ResultSet& set);

/// Writes `path` atomically with what `write` prints (a full disk leaves the old file, never half of the new one).
void write_output(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

/// What publish wrote.
struct Published {
    std::filesystem::path index, table, junit, summary;
    Tally tally;
};
/// Every output of `set` in `dir`: index.html, table.md and table.csv, junit.xml, summary.md.
Published publish(const ResultSet& set, const std::filesystem::path& dir, const HtmlOptions& options = {});

/// One entry of the compatibility table: what one family of scenarios did on one stack. The kinds never mix: an
/// entry is tested (documented, deviates, waived), or only predicted, or unknown.
struct TableEntry {
    enum class Kind {
        Documented,  ///< Tested here, and every result did what its expectation says (ok or the expected error).
        Deviates,    ///< Tested here, and a result did not (a failing verdict).
        Waived,      ///< Tested here; a deviation is covered by a scoped waiver with its bug link.
        Predicted,   ///< Nothing ran here (UNSUPPORTED): what the expectations say would happen, not evidence.
        Unknown,     ///< No result at all.
    };
    Kind kind = Kind::Unknown;
    std::string detail;      ///< "12 results as documented", "shape.conv.x FAIL: expected ..., observed ...".
    std::size_t tested = 0;  ///< Results that ran.
    std::size_t predicted = 0;
    std::optional<std::size_t> evidence;  ///< Index into ResultSet::results of the deciding record.
};

std::string_view symbol(TableEntry::Kind kind);     ///< ✓ ✗ ≈ ◇ ?
std::string_view to_string(TableEntry::Kind kind);  ///< documented, deviates, waived, predicted, unknown

/// Stacks (driver x toolkit CUDA x run CUDA x cuDNN x compute capability) by families.
struct CompatTable {
    std::vector<std::string> families;
    struct Row {
        std::string driver, toolkit_cuda, stack_cuda, cudnn, compute_capability;
        std::vector<TableEntry> entries;  ///< One per family.
    };
    std::vector<Row> rows;
};

/// Classifies every (stack, family).
CompatTable build_table(const ResultSet& set);
/// Writes table.md, table.csv and table.json into `directory` (created when missing); evidence links are relative
/// to it.
void write_table(const std::filesystem::path& directory, const ResultSet& set);
/// The table in the browser-compat-data style: stacks, per family its support per stack and, along the cuDNN axis,
/// the version ranges the tested results support. `directory` is where evidence paths are relative to.
nlohmann::json table_json(const CompatTable& table, const ResultSet& set, const std::filesystem::path& directory);

/// One tested result compared with the knowledge base by one check (`cuconform table --contradictions`).
/// Checks (default variant only: variants change the stack on purpose; results not run are skipped):
///   cudnn-cc           rnn.lstm.forward_backward (fp32 cuDNN on the GPU): observed CUDNN_STATUS_ARCH_MISMATCH* vs
///                      cudnn_supports_cc(loaded cuDNN, GPU cc) = yes, or observed ok vs = no.
///   runtime-on-driver  observed cudaErrorInsufficientDriver vs runtime_runs_on_driver(runtime, driver) = yes, or
///                      observed ok of a case that created a CUDA context vs = no.
///   nvcc-targets       precision.nvcc.smNN_*: observed error(compile, UNSUPPORTED_GPU_ARCHITECTURE) vs
///                      nvcc_supports(toolkit, sm_NN) = yes, or observed ok vs = no.
///   kernel-image       kernel_image.load.ptx_only: observed CUDA_ERROR_UNSUPPORTED_PTX_VERSION vs PTX JIT of the
///                      toolkit's PTX on the driver = yes, or ok vs = no; kernel_image.load.sm75_only: observed
///                      CUDA_ERROR_NO_BINARY_FOR_GPU on a 7.5+ GPU of major 7, or ok on any other GPU (SASS rule).
struct Comparison {
    std::string check;
    std::size_t result = 0;  ///< Index into ResultSet::results.
    knowledge::Answer answer;
    bool contradicts = false;
};

/// What one cuDNN release's own files say (`table --contradictions --cudnn-release DIR`): the version and status
/// codes in its headers, and the architectures of the kernel images in its libraries (read by the caller with
/// `binary::read_file`: this room reads no fat binaries).
struct CudnnReleaseFiles {
    std::filesystem::path root;  ///< The release's prefix (include/, lib/).
    struct Library {
        std::filesystem::path path;
        std::vector<Version> sass;  ///< Generic SASS (sm_XY) as compute capabilities.
        std::vector<Version> ptx;   ///< Generic PTX (compute_XY) as compute capabilities.
    };
    std::vector<Library> libraries;
};

/// One check of a release's files against the knowledge base: "cudnn-header-version", "cudnn-header-status",
/// "cudnn-library-arch". `ours` names the file (and line or architecture) the evidence comes from.
struct ReleaseFinding {
    std::string check;
    std::string release;  ///< The version its cudnn_version.h states ("9.19.0"), or the root when unreadable.
    std::string subject;  ///< "sm_70", "CUDNN_STATUS_BAD_PARAM", "version".
    std::string ours;     ///< What the release's own files say, and where.
    knowledge::Answer answer;
    bool contradicts = false;
};

/// Reads `files.root`'s include/cudnn_version.h and cudnn_graph.h (or cudnn.h) and compares them, and the libraries'
/// architectures, with the knowledge base. Throws std::runtime_error naming the file when a header is missing.
std::vector<ReleaseFinding> compare_release_files(const CudnnReleaseFiles& files, const knowledge::KnowledgeBase& kb);
/// One block per contradiction (both sources), then a count line.
void write_release_findings(std::ostream& out, const std::vector<ReleaseFinding>& findings);

/// Every comparison the checks above make, in results order. Unknown answers are kept (never contradictions).
std::vector<Comparison> compare_with_knowledge(const ResultSet& set, const knowledge::KnowledgeBase& kb);
/// One block per contradiction (results file:line and the knowledge base's citation), then a count line.
void write_contradictions(std::ostream& out, const ResultSet& set, const std::vector<Comparison>& comparisons);

/// Shape of synthetic input for tests and the benchmark.
struct SyntheticSpec {
    std::size_t cases = 20;
    std::size_t cells = 3;
    std::uint64_t seed = 1;
    double failure_rate = 0.04;  ///< Share of results that end in a failure verdict.
};

/// Deterministic synthetic results (cells with cell.json/fingerprint, every verdict kind represented
/// when there are enough results). Never used for real reports.
ResultSet make_synthetic(const SyntheticSpec& spec);
/// Writes a ResultSet as results directories (DIR/<cell>/{results.jsonl,cell.json,fingerprint.json}).
void write_results_dirs(const std::filesystem::path& directory, const ResultSet& set);

}  // namespace cuconform::report
