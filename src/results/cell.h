// SPDX-License-Identifier: Apache-2.0
/// \file cell.json: what one cell of the matrix is (its stack, how it was provisioned and run), beside its
/// results.jsonl and fingerprint.json. The runner writes it, `matrix run` adds how the cell was provisioned,
/// merge copies it, the report reads it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "results/fingerprint.h"

namespace cuconform::results {

/// The stack a cell ran on, as the cell's axis values name it.
struct CellStack {
    std::string provider = "host";  ///< host | wheels | prefix | container
    std::string prefix;             ///< The prefix entered with `run --stack` (empty: host).
    std::string isolation;          ///< How it was entered: bwrap | loader (empty: host).
    std::string cuda;               ///< The run stack's CUDA runtime, major.minor ("12.4").
    std::string cudnn;              ///< The run stack's cuDNN, as its release names it ("9.1.1"; "none").
    /// What `stack fetch` recorded of the prefix (name, request, versions, wheels, fetched_at); {} otherwise.
    nlohmann::json details = nlohmann::json::object();
};

/// How `matrix run` provisioned the cell.
struct Provision {
    bool ok = false;
    std::string reason;                                 ///< Why it could not be provisioned.
    nlohmann::json details = nlohmann::json::object();  ///< prefix and cli, or engine, image, digest, base, stack.
};

struct CellRecord {
    std::string id;
    Toolkit toolkit;  ///< What the catalogue was compiled with.
    CellStack stack;
    std::string gpu = "none";                          ///< "NAME (cc)" of the first GPU, or "none".
    nlohmann::json matrix = nlohmann::json::object();  ///< The matrix cell's axis values, when a matrix planned it.
    std::optional<Provision> provision;                ///< Set by `matrix run`.
    /// The run's options (jobs, timeout_s, retries, selection, waivers) that decide its results.
    nlohmann::json run = nlohmann::json::object();

    /// The cell's compute capability ("9.0"), or "none".
    std::string compute_capability() const;
};

nlohmann::json to_json(const CellRecord& cell);
/// Reads cell.json, also as written before the record was typed (stack.versions, stack.loaded). Throws RecordError.
CellRecord parse_cell(const nlohmann::json& j);
inline void to_json(nlohmann::json& j, const CellRecord& c) { j = to_json(c); }

/// The default id of a cell: host-cuda13.0-cudnn9.19.0-nogpu for the host's stack, wheels-cuda12.4-cudnn9.1.1[-sm90]
/// for a stack entered with `run --stack` (what the loader found; else the stack's own versions).
std::string cell_id_for(const CellStack& stack, const Fingerprint& fingerprint);
/// Why `id` cannot name a cell's folder inside a results directory, or empty when it can: a cell id is one path
/// component (no '/', not empty, at most 255 bytes) that does not start with '.' (not `..`, nor a folder the results
/// directory keeps for itself: .work, .lock). Every writer of a cell folder (run --cell, merge) asks before writing.
std::string cell_id_problem(std::string_view id);

/// The record of a cell that ran on `fingerprint` (toolkit, gpu and, where the stack does not say, its versions).
CellRecord cell_for(const std::string& id, const Fingerprint& fingerprint, CellStack stack);

}  // namespace cuconform::results
