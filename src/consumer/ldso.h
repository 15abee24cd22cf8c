// SPDX-License-Identifier: Apache-2.0
/// \file How ld.so would load a consumer's libraries, step by step and with the reason for each copy: glibc's
/// search order (elf/dl-load.c, _dl_map_object) for a name without a slash, asked by an object L:
///   1. an object already loaded whose soname (or the name it was loaded by) is the name;
///   2. unless L has DT_RUNPATH: the DT_RPATH of L, of the object that loaded L, and so on up, then the
///      executable's DT_RPATH (an object with DT_RUNPATH contributes no DT_RPATH);
///   3. LD_LIBRARY_PATH;  4. L's DT_RUNPATH;  5. ld.so.cache;  6. the system directories
///   (5 and 6 not for an L with DF_1_NODEFLIB; 5 not under `ld.so --inhibit-cache`).
/// $ORIGIN is the directory of the object's path as it was found (not resolved through symlinks); an empty entry is
/// the current directory. A name with a slash is opened as it is, and a file already loaded (same device and inode)
/// is not loaded again.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consumer/elf.h"
#include "results/fingerprint.h"

namespace cuconform::consumer {

/// What the dynamic loader of the consumer's process reads besides the objects themselves.
struct LoaderSettings {
    std::vector<std::string> ld_library_path;  ///< Split at ':' (empty entries kept: the current directory).
    bool ld_library_path_set = false;
    bool use_cache = true;                                   ///< False under `ld.so --inhibit-cache`.
    std::vector<std::pair<std::string, std::string>> cache;  ///< ld.so.cache (soname, path) in its order.
    std::vector<std::string> system_dirs;                    ///< ld.so's built-in directories.
    std::string cwd;                                         ///< For empty and relative entries.

    /// This process's: LD_LIBRARY_PATH (or `ld_library_path` when given), ld.so.cache through loader::ld_cache(),
    /// the system directories from `ld.so --help`.
    static LoaderSettings current(const std::optional<std::string>& ld_library_path = std::nullopt);
};

/// True for the libraries a consumer's stack is made of: CUDA runtime, cuDNN (shim and sub-libraries), cuBLAS and
/// cuBLASLt, NVRTC and the driver's libcuda.
bool is_stack_library(const std::string& name);

/// `path` with every link and `..` resolved, or `path` itself where it does not exist.
std::string real_path_or_same(const std::string& path);

/// The last component of `path` ("libcudnn.so.9" of ".../lib/libcudnn.so.9").
std::string basename_of(const std::string& path);

/// One process's loaded objects as ld.so would have them, and how each stack library got there.
class LoadModel {
public:
    explicit LoadModel(LoaderSettings settings, std::string executable = {});

    /// A load by full path (ctypes.CDLL(path), dlopen(path)) and its DT_NEEDED tree. `who` says who loads it
    /// ("torch/__init__.py _preload_cuda_deps"). Returns the object's index, or nullopt when it or a dependency
    /// could not be found (error() says which, in ld.so's words).
    std::optional<std::size_t> load_path(const std::string& path, const std::string& who, const std::string& how);
    /// dlopen(name) called from the object `caller` (an index; nullopt: from the executable).
    std::optional<std::size_t> dlopen(const std::string& name, std::optional<std::size_t> caller,
                                      const std::string& who, const std::string& how = "dlopen");

    struct Object {
        std::string name;  ///< As requested.
        std::string path;  ///< As ld.so names it (the search directory joined with the name).
        std::string real_path;
        std::string soname;
        const ElfInfo* elf = nullptr;
        std::optional<std::size_t> loader;  ///< The object whose DT_NEEDED or dlopen brought it in.
    };
    const std::vector<Object>& objects() const { return objects_; }
    /// The stack libraries, in load order, with where and why.
    const std::vector<results::Resolution>& resolutions() const { return resolutions_; }
    /// The loaded object with this soname or name, if any.
    std::optional<std::size_t> find_loaded(const std::string& name) const;
    /// ld.so's message for the last failed load ("libcudnn.so.9: cannot open shared object file: No such file or
    /// directory", requested by OBJECT).
    const std::string& error() const { return error_; }
    const LoaderSettings& settings() const { return settings_; }
    /// Sets `how` of the records made since `first` (what a hypothetical lookup brought in is hypothetical too).
    void mark_since(std::size_t first, const std::string& how) {
        for (std::size_t i = first; i < resolutions_.size(); ++i) resolutions_[i].how = how;
    }

    /// Where a name asked by `requester` would come from, without loading it: every candidate in search order
    /// (the first is the one ld.so takes), with via/entry/of filled in.
    struct Candidate {
        std::string path;
        std::string via;
        std::string entry;
        std::string of;
    };
    std::vector<Candidate> candidates(const std::string& name, std::optional<std::size_t> requester) const;

private:
    std::optional<std::size_t> map(const std::string& name, std::optional<std::size_t> requester,
                                   const std::string& who, const std::string& how);
    std::optional<std::size_t> add_object(const std::string& name, const std::string& path,
                                          std::optional<std::size_t> loader);
    bool load_dependencies(std::size_t root);
    void record(const std::string& name, std::optional<std::size_t> requester, const std::string& who,
                const std::string& how, const std::optional<std::size_t>& object, const std::vector<Candidate>& found,
                bool already);
    std::string origin_of(std::size_t object) const;
    void roll_back(std::size_t objects, std::size_t records);

    LoaderSettings settings_;
    std::string executable_;
    const ElfInfo* executable_elf_ = nullptr;
    std::vector<Object> objects_;
    std::map<std::pair<unsigned long, unsigned long>, std::size_t> by_file_;  ///< (dev, ino) -> object
    std::vector<results::Resolution> resolutions_;
    std::string error_;
};

/// Expands $ORIGIN, ${ORIGIN}, $LIB and ${LIB} in one search-path entry; nullopt for other tokens ($PLATFORM),
/// which this model does not follow.
std::optional<std::string> expand_entry(const std::string& entry, const std::string& origin);

}  // namespace cuconform::consumer
