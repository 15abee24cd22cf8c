// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform run`: every selected case x variant in its own process, results appended as JSON lines.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/case.h"
#include "results/cell.h"
#include "results/fingerprint.h"

namespace cuconform::run {

struct RunOptions {
    std::string out_dir = "results";       ///< Results go to <out_dir>/<cell>/.
    std::string cell;                      ///< Cell id; default derived from the stack ("host-cuda13.0-cudnn9.19.0").
    std::vector<std::string> only;         ///< Id globs (`loader.*`, `shape.conv.*`); empty = all.
    std::vector<std::string> families;
    std::vector<std::string> labels;
    std::vector<std::string> variants;     ///< Variant names; empty = all.
    int jobs = 1;
    double timeout_s = 60;
    int retries = 0;                       ///< Re-runs of a failing result; a pass on retry is FLAKY.
    bool resume = false;                   ///< Keep finished results in the cell's results.jsonl, run the rest.
    std::string waivers;                   ///< A waivers YAML file (matrix/waivers.yaml format).
    std::string stack_prefix;              ///< Run inside this prefix (src/stack); recorded in reproduction commands.
    std::string isolation = "auto";        ///< How the stack is entered: auto, loader (ld.so) or bwrap.
    std::optional<results::CellStack> stack;  ///< The stack's record for cell.json (stack::stack_record); none: host.
    /// The shell words that re-enter this run's environment, in place of the CLI's own path at the head of each
    /// reproduce command: a container cell's `podman run ... IMAGE@DIGEST` (the image's entrypoint is the CLI).
    std::string reproduce_via;
    bool quiet = false;
    int skip_exit_code = 0;  ///< The command's: exit with this when every result is UNSUPPORTED.
};

struct RunOutcome {
    int exit_code = 0;               ///< 0 the run conforms, 1 it does not, 2 the harness could not run.
    std::filesystem::path cell_dir;  ///< Where its records are (empty when nothing ran).
    std::map<Verdict, int> counts;   ///< This run's results by verdict (not those kept by --resume).
};

/// Runs the selection into <out_dir>/<cell>/.
RunOutcome run_catalog(const RunOptions& options);

/// The cases the options select, in catalogue order.
std::vector<const CaseSpec*> select_cases(const RunOptions& options);

/// Entry point of a case process started by exec (variants that change what the loader sees):
/// runs one case and writes its observed outcome as JSON to `result_fd`.
int run_case_process(const std::string& id, const std::string& variant, const std::string& fingerprint_path,
                     int result_fd);

}  // namespace cuconform::run
