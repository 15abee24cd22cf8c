// SPDX-License-Identifier: Apache-2.0
/// \file Matrix files (matrix/*.yaml): axes, include/exclude with GitHub Actions semantics, tags, cells, shards.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/fingerprint.h"

namespace cuconform::matrix {

/// Limits of a matrix file, each named in the message that refuses a file over it (with file:line). Real matrices
/// are far inside them (the nightly: 17 cells, values of a few characters).
inline constexpr std::size_t kMaxMatrixBytes = 1u << 20;  ///< The file.
inline constexpr std::size_t kMaxValueLength = 256;       ///< One value (a version, a runner class, a glob).
inline constexpr std::size_t kMaxListLength = 1000;       ///< One axis, or one list value (tags, only).
inline constexpr std::size_t kMaxEntries = 1000;          ///< include or exclude entries.
inline constexpr std::size_t kMaxCells = 10'000;          ///< Cells the matrix expands to.

/// A matrix file that cannot be read: names the file, its 1-based line (0 when unknown) and what to do.
class MatrixError : public std::runtime_error {
public:
    MatrixError(std::string file, int line, const std::string& message);
    const std::string& file() const { return file_; }
    int line() const { return line_; }

private:
    std::string file_;
    int line_;
};

/// One combination as GitHub builds it: key -> value. Values are scalars kept as text; `tags` and
/// `only` are lists (joined with ',' here) that only include entries and defaults may set.
using Combination = std::map<std::string, std::string>;

/// One point of the matrix after expansion.
struct Cell {
    std::string id;        ///< Stable: derived from the values only (e.g. cuda12.4-cudnn9.1-wheels), or `id:`.
    std::string toolkit;   ///< CUDA version the catalogue is compiled with.
    std::string toolkit_cudnn;  ///< cuDNN headers the catalogue is compiled with (`toolkit_cudnn`, default `build.cudnn`).
    std::string cuda;      ///< CUDA runtime of the run stack.
    std::string cudnn;     ///< cuDNN of the run stack ("none": a stack without cuDNN).
    std::string provider;  ///< host (this machine's libraries) | wheels (a prefix from NVIDIA's PyPI wheels).
    std::string runner;    ///< Runner class (cpu, gpu, ...): GitHub's runs-on label, Slurm's GRES.
    std::string variants;  ///< Variant set name: all | default | a name from `variant_sets`.
    std::vector<std::string> variant_list;  ///< `cuconform run --variant` values (empty: every variant).
    std::vector<std::string> tags;
    std::vector<std::string> only;  ///< `cuconform run --only` globs (empty: the whole catalogue).
    bool skew = false;              ///< The run stack differs from the toolkit (and cuDNN) the catalogue is built with.
    Combination values;             ///< Every key of the combination, as expanded.
    nlohmann::json to_json() const;
    /// A GPU runner's cell (its runner class names "gpu": gpu, gpu-h100, a100-gpu): `matrix run` skips it where the
    /// probe lists no GPU, and a container gets the GPUs (--gpus all / CDI).
    bool needs_gpu() const { return runner.find("gpu") != std::string::npos; }
};

/// A parsed matrix file.
struct Matrix {
    std::string file;
    std::string name;
    std::string description;
    std::string host_cuda;  ///< What `host` means: the stack the runners have installed.
    std::string host_cudnn;
    std::string build_cuda;  ///< What the catalogue is compiled with (toolkit headers).
    std::string build_cudnn;
    std::vector<std::string> axes;          ///< In file order.
    std::vector<Combination> combinations;  ///< Expanded (GitHub semantics), before defaults.
    std::vector<Cell> cells;                ///< In plan order.

    /// The cells tagged `tag` (every cell when empty), in plan order.
    std::vector<Cell> select(const std::string& tag) const;
};

/// GitHub Actions `strategy.matrix` expansion: the cartesian product of `axes` (keys in the given
/// order, the first varying slowest), minus every combination that an `exclude` entry matches
/// partially (every key of the entry equal), then each `include` entry is added to every remaining
/// combination whose *original* axis values it does not overwrite (added keys may be overwritten);
/// an entry that fits no combination becomes a new combination. Exclude keys must be axes.
std::vector<Combination> expand(const std::vector<std::pair<std::string, std::vector<std::string>>>& axes,
                                const std::vector<Combination>& include, const std::vector<Combination>& exclude);

/// Parses and expands a matrix file. Throws MatrixError naming file:line and the offending key.
Matrix load_matrix(const std::filesystem::path& path);
/// The same from text (`file` names it in errors).
Matrix parse_matrix(const std::string& text, const std::string& file);

/// Round-robin shard `index` of `count`: cells k with k % count == index. Sizes differ by at most one.
std::vector<Cell> shard(const std::vector<Cell>& cells, std::size_t index, std::size_t count);

/// `{"include": [...]}` for GitHub's `strategy.matrix` (fromJSON), one object of strings per cell.
nlohmann::json github_matrix(const std::vector<Cell>& cells);

/// Merges cell directories found under `inputs` (searched recursively for cell.json / results.jsonl)
/// into `out/<cell>/`: results.jsonl sorted by (case, variant), the last record per key by
/// started_at then content; fingerprint.json and cell.json copied (the greatest content when shards
/// disagree). Every matrix.json under the inputs (the plans and cell statuses of `matrix run` / `shard --run`) is
/// merged into out/matrix.json, one entry per cell id (a cell that ran beats one that did not). Idempotent and
/// order-independent. Returns the cell ids written. Every input is read first: a line that is not a record, a
/// malformed cell.json, fingerprint.json or matrix.json, or a cell id that is not a folder name throws
/// std::runtime_error naming each (file:line and field) and nothing is written. Holds `out`'s FolderLock while it
/// writes.
std::vector<std::string> merge_results(const std::vector<std::filesystem::path>& inputs,
                                       const std::filesystem::path& out);

/// A CTest resource specification (`ctest --resource-spec-file`) with one `gpus` slot per GPU of a fingerprint.
nlohmann::json resource_spec(const results::Fingerprint& fingerprint, int slots_per_gpu = 1);

}  // namespace cuconform::matrix
