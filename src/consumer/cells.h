// SPDX-License-Identifier: Apache-2.0
/// \file Framework cells (matrix/frameworks.yaml): each cell is what `pip install <framework>==X` resolves in a fresh
/// venv, or that venv with one wheel swapped (an older or newer cuDNN, a sub-library removed, the wheel uninstalled).
/// The venvs are made with pip from a wheelhouse in the cache (`$CUCONFORM_CACHE/wheelhouse`, shared with
/// scripts/lib/frameworks.sh), the base venv once per install list, each variant a hard-link copy of it.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace cuconform::consumer {

/// A framework matrix file that cannot be used: what() names FILE:LINE and the fix.
class CellsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One change to the venv pip installed.
struct FrameworkVariant {
    std::string id;  ///< lower-case, digits, '-' and '.'
    std::string description;
    std::vector<std::string> pip;        ///< Requirements installed over it (`pip install --no-deps`): a swapped wheel.
    std::vector<std::string> uninstall;  ///< Distributions removed (`pip uninstall`).
    std::vector<std::string> remove;     ///< Files removed, relative to site-packages (a sub-library).
};

struct FrameworkCell {
    std::string id;                    ///< <cell>-<variant>: "torch-2.15.0-cudnn-older"
    std::string base;                  ///< The base cell's id ("torch-2.15.0").
    std::string framework;             ///< For `predict --framework`: "torch==2.15.0".
    std::vector<std::string> install;  ///< What `pip install` is given.
    FrameworkVariant variant;
    std::string description;
};

struct FrameworkMatrix {
    std::string file, name, description;
    std::vector<FrameworkCell> cells;  ///< Every base cell x its variants, in file order.
};

/// Parses matrix/frameworks.yaml. Throws CellsError naming FILE:LINE.
FrameworkMatrix load_framework_matrix(const std::filesystem::path& file);

/// The cache: $CUCONFORM_CACHE, else $XDG_CACHE_HOME/cuconform, else ~/.cache/cuconform.
std::filesystem::path cache_dir();

/// The venv of a cell: the base venv (made once per install list, reused while it still starts), then a hard-link
/// copy with the variant applied (made afresh each time). `log` gets pip's output. Throws std::runtime_error with
/// pip's words when pip fails.
std::filesystem::path provision_venv(const FrameworkCell& cell, const std::filesystem::path& cache, std::string& log);

}  // namespace cuconform::consumer
