// SPDX-License-Identifier: Apache-2.0
/// \file Reading what the dynamic loader reads from an ELF file: DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME,
/// DF_1_NODEFLIB and PT_INTERP (elfutils' libelf), and the library names a cuDNN file carries in its read-only data.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/fingerprint.h"

namespace cuconform::consumer {

/// A file that is not a readable ELF object: what() names the file and what is wrong.
class ElfError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The dynamic section of one ELF object, as ld.so uses it.
struct ElfInfo {
    std::string path;
    std::string soname;
    std::vector<std::string> needed;   ///< In file order (ld.so loads them breadth-first in this order).
    std::vector<std::string> rpath;    ///< DT_RPATH split at ':', entries as written ($ORIGIN unexpanded).
    std::vector<std::string> runpath;  ///< DT_RUNPATH split at ':'.
    bool nodeflib = false;             ///< DF_1_NODEFLIB: ld.so.cache and the default directories are not searched.
    std::string interp;                ///< PT_INTERP (executables).
    int elf_class = 0;                 ///< ELFCLASS64 / ELFCLASS32.
    int machine = 0;                   ///< e_machine.

    results::ElfObject record() const;
};

/// Reads `path`'s headers and dynamic section (only those pages are touched: a 1 GB library costs the same as a
/// small one). Throws ElfError for a missing file or one that is not ELF.
ElfInfo read_elf(const std::string& path);

/// Cached read_elf: the same file (by path) is read once per process. nullopt when it is not a readable ELF object.
const ElfInfo* elf_info(const std::string& path);

/// The distinct strings in `path`'s .rodata that start with `prefix` and consist of [A-Za-z0-9_.+-]
/// ("libcudnn_" finds "libcudnn_graph.so", "libcudnn_ext.so"): the names a library dlopens, read from the library.
std::vector<std::string> rodata_names(const std::string& path, const std::string& prefix);

/// The sub-libraries a cuDNN shim loads, read from the cuDNN that is there: the names in the shim's read-only data
/// and in that of its graph library (which loads the engine and heuristic libraries), each with the shim's major
/// ("libcudnn_graph.so.9", ..., "libcudnn_ext.so.9" from 9.26). Empty when the shim cannot be read.
std::vector<std::string> cudnn_sublibrary_sonames(const std::string& shim_path);

}  // namespace cuconform::consumer
