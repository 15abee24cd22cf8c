// SPDX-License-Identifier: Apache-2.0
/// \file The ld.so model: glibc's search order for one process, object by object.
#include "consumer/ldso.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/process.h"
#include "core/util.h"
#include "loader/library.h"

namespace cuconform::consumer {
namespace fs = std::filesystem;

namespace {

std::string dirname_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string join(const std::string& dir, const std::string& name) {
    if (dir.empty()) return name;
    return dir.back() == '/' ? dir + name : dir + "/" + name;
}

/// ld.so's built-in directories, as `ld.so --help` lists them ("  /lib/x86_64-linux-gnu (system search path)").
std::vector<std::string> system_search_dirs() {
    static const std::vector<std::string> dirs = [] {
        std::vector<std::string> out;
        for (const char* ldso : {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"}) {
            if (access(ldso, X_OK) != 0) continue;
            const auto help = process::run({ldso, "--help"}, {.timeout_s = 10});
            std::istringstream lines(help.out);
            for (std::string line; std::getline(lines, line);) {
                const auto mark = line.find(" (system search path)");
                if (mark == std::string::npos) continue;
                const auto begin = line.find_first_not_of(' ');
                out.push_back(line.substr(begin, mark - begin));
            }
            if (!out.empty()) break;
        }
        if (out.empty()) out = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"};
        return out;
    }();
    return dirs;
}

std::optional<std::pair<unsigned long, unsigned long>> file_id(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return std::pair{static_cast<unsigned long>(st.st_dev), static_cast<unsigned long>(st.st_ino)};
}

}  // namespace

std::string real_path_or_same(const std::string& path) {
    std::error_code ec;
    const auto canonical = fs::canonical(path, ec);
    return ec ? path : canonical.string();
}

std::string basename_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

LoaderSettings LoaderSettings::current(const std::optional<std::string>& ld_library_path) {
    LoaderSettings s;
    const char* env = std::getenv("LD_LIBRARY_PATH");
    const std::optional<std::string> value =
        ld_library_path ? ld_library_path : (env != nullptr ? std::optional<std::string>(env) : std::nullopt);
    if (value && !value->empty()) {
        s.ld_library_path_set = true;
        std::string entry;
        std::istringstream in(*value);
        // ld.so splits at ':' and ';'; an empty entry is the current directory.
        for (char ch : *value) {
            if (ch == ':' || ch == ';') {
                s.ld_library_path.push_back(entry);
                entry.clear();
            } else {
                entry += ch;
            }
        }
        s.ld_library_path.push_back(entry);
    }
    s.cache = loader::ld_cache();
    s.system_dirs = system_search_dirs();
    std::error_code ec;
    s.cwd = fs::current_path(ec).string();
    return s;
}

bool is_stack_library(const std::string& name) {
    const std::string base = basename_of(name);
    for (const char* prefix :
         {"libcudart.so", "libcudnn.so", "libcudnn_", "libcublas.so", "libcublasLt.so", "libnvrtc.so", "libcuda.so"}) {
        if (base.rfind(prefix, 0) == 0) return true;
    }
    return false;
}

std::optional<std::string> expand_entry(const std::string& entry, const std::string& origin) {
    std::string out;
    for (std::size_t i = 0; i < entry.size();) {
        if (entry[i] != '$') {
            out += entry[i++];
            continue;
        }
        const bool braced = i + 1 < entry.size() && entry[i + 1] == '{';
        const std::size_t start = i + (braced ? 2 : 1);
        std::size_t end = start;
        while (end < entry.size() && (std::isalnum(static_cast<unsigned char>(entry[end])) || entry[end] == '_')) ++end;
        const std::string token = entry.substr(start, end - start);
        if (braced && (end >= entry.size() || entry[end] != '}')) return std::nullopt;
        if (token == "ORIGIN") {
            out += origin;
        } else if (token == "LIB") {
            out += "lib/x86_64-linux-gnu";  // Debian's multiarch $LIB on x86_64
        } else {
            return std::nullopt;
        }
        i = end + (braced ? 1 : 0);
    }
    return out;
}

LoadModel::LoadModel(LoaderSettings settings, std::string executable)
    : settings_(std::move(settings)), executable_(std::move(executable)) {
    if (!executable_.empty()) executable_elf_ = elf_info(real_path_or_same(executable_));
}

std::string LoadModel::origin_of(std::size_t object) const {
    const std::string& path = objects_[object].path;
    return dirname_of(path.empty() || path.front() == '/' ? path : join(settings_.cwd, path));
}

std::optional<std::size_t> LoadModel::find_loaded(const std::string& name) const {
    for (std::size_t i = 0; i < objects_.size(); ++i) {
        if (objects_[i].name == name || objects_[i].soname == name || objects_[i].path == name) return i;
    }
    return std::nullopt;
}

std::vector<LoadModel::Candidate> LoadModel::candidates(const std::string& name,
                                                        std::optional<std::size_t> requester) const {
    std::vector<Candidate> out;
    std::set<std::string> seen;
    const ElfInfo* req_elf = requester ? objects_[*requester].elf : executable_elf_;
    const std::string req_path = requester ? objects_[*requester].path : executable_;
    auto try_dir = [&](const std::string& dir, const char* via, const std::string& entry, const std::string& of) {
        const std::string path = join(dir.empty() ? "." : dir, name);
        const ElfInfo* elf = elf_info(path);
        if (elf == nullptr) return;  // absent, or not an ELF object: ld.so goes on
        if (req_elf != nullptr && (elf->elf_class != req_elf->elf_class || elf->machine != req_elf->machine)) return;
        if (!seen.insert(real_path_or_same(path)).second) return;
        out.push_back({path, via, entry, of});
    };
    auto search = [&](const std::vector<std::string>& entries, const std::string& origin, const char* via,
                      const std::string& of) {
        for (const auto& entry : entries) {
            const auto dir = expand_entry(entry.empty() ? "." : entry, origin);
            if (!dir) continue;
            try_dir(dir->front() == '/' ? *dir : join(settings_.cwd, *dir), via, entry, of);
        }
    };

    const bool requester_has_runpath = req_elf != nullptr && !req_elf->runpath.empty();
    if (!requester_has_runpath) {
        // DT_RPATH of the requester, its loader, and on up; then the executable's.
        for (auto l = requester; l; l = objects_[*l].loader) {
            const ElfInfo* elf = objects_[*l].elf;
            if (elf != nullptr && elf->runpath.empty() && !elf->rpath.empty())
                search(elf->rpath, origin_of(*l), "DT_RPATH", objects_[*l].path);
        }
        if (executable_elf_ != nullptr && executable_elf_->runpath.empty() && !executable_elf_->rpath.empty())
            search(executable_elf_->rpath, dirname_of(real_path_or_same(executable_)), "DT_RPATH", executable_);
    }
    if (settings_.ld_library_path_set) search(settings_.ld_library_path, settings_.cwd, "LD_LIBRARY_PATH", "");
    if (requester_has_runpath) {
        const std::string origin = requester ? origin_of(*requester) : dirname_of(real_path_or_same(executable_));
        search(req_elf->runpath, origin, "DT_RUNPATH", req_path);
    }
    const bool nodeflib = req_elf != nullptr && req_elf->nodeflib;
    if (!nodeflib && settings_.use_cache) {
        for (const auto& [soname, path] : settings_.cache) {
            if (soname != name) continue;
            try_dir(dirname_of(path), "ld.so.cache", path, "");
            break;  // the cache gives one file per name
        }
    }
    if (!nodeflib) {
        for (const auto& dir : settings_.system_dirs) try_dir(dir, "default", dir, "");
    }
    return out;
}

std::optional<std::size_t> LoadModel::add_object(const std::string& name, const std::string& path,
                                                 std::optional<std::size_t> loader) {
    const ElfInfo* elf = elf_info(path);
    if (elf == nullptr) return std::nullopt;
    Object object{name, path, real_path_or_same(path), elf->soname, elf, loader};
    objects_.push_back(std::move(object));
    if (const auto id = file_id(path)) by_file_[*id] = objects_.size() - 1;
    return objects_.size() - 1;
}

void LoadModel::record(const std::string& name, std::optional<std::size_t> requester, const std::string& who,
                       const std::string& how, const std::optional<std::size_t>& object,
                       const std::vector<Candidate>& found, bool already) {
    if (!is_stack_library(name)) return;
    results::Resolution r;
    // A load by path is reported under the library's soname (the name later lookups match it by).
    r.soname = name.find('/') == std::string::npos           ? name
               : object && !objects_[*object].soname.empty() ? objects_[*object].soname
                                                             : basename_of(name);
    r.requested_by = requester ? objects_[*requester].path : who;
    r.how = how;
    r.found = object.has_value();
    if (object) {
        r.path = objects_[*object].path;
        r.real_path = objects_[*object].real_path;
    }
    const Candidate* chosen = nullptr;
    if (already) {
        r.via = "already loaded";
    } else if (how == "preload") {
        r.via = "preload";
        r.of = who;
    } else if (!found.empty()) {
        chosen = &found.front();
        r.via = chosen->via;
        r.entry = chosen->entry;
        r.of = chosen->of;
    }
    for (const auto& c : found) {
        if (object && real_path_or_same(c.path) == objects_[*object].real_path) continue;
        r.passed_over.push_back({c.path, real_path_or_same(c.path), c.via});
    }
    if (!r.found) {
        r.why = fmt::format(
            "not found: no DT_RPATH, LD_LIBRARY_PATH or DT_RUNPATH directory, no ld.so.cache entry and "
            "no system directory holds {}",
            name);
    } else if (already) {
        r.why = fmt::format("already loaded as {} before {} asked for it", r.path, basename_of(r.requested_by));
        if (!r.passed_over.empty()) {
            r.why += fmt::format("; its own search would have found {} ({})", r.passed_over.front().path,
                                 r.passed_over.front().via);
        }
    } else if (r.via == "preload") {
        r.why = fmt::format("loaded by full path by {}", who);
    } else if (r.via == "DT_RPATH") {
        r.why = fmt::format("entry {} of the DT_RPATH of {} (DT_RPATH is searched before LD_LIBRARY_PATH)", r.entry,
                            basename_of(r.of));
    } else if (r.via == "LD_LIBRARY_PATH") {
        r.why = fmt::format("LD_LIBRARY_PATH entry {}", r.entry);
    } else if (r.via == "DT_RUNPATH") {
        r.why = fmt::format("entry {} of the DT_RUNPATH of {}", r.entry, basename_of(r.of));
    } else if (r.via == "ld.so.cache") {
        r.why = "ld.so.cache: no DT_RPATH, LD_LIBRARY_PATH or DT_RUNPATH directory holds it";
    } else if (r.via == "default") {
        r.why = fmt::format("the system directory {}", r.entry);
    } else {
        r.why = fmt::format("opened by its path, from {}", who);
    }
    if (r.found && !already) {
        for (const auto& p : r.passed_over) {
            if (p.via == "LD_LIBRARY_PATH" && r.via != "LD_LIBRARY_PATH") {
                r.why += fmt::format("; the copy in LD_LIBRARY_PATH ({}) is not used", p.path);
                break;
            }
        }
    }
    resolutions_.push_back(std::move(r));
}

std::optional<std::size_t> LoadModel::map(const std::string& name, std::optional<std::size_t> requester,
                                          const std::string& who, const std::string& how) {
    if (name.find('/') != std::string::npos) {
        if (const auto id = file_id(name)) {
            if (const auto it = by_file_.find(*id); it != by_file_.end()) return it->second;
        }
        const auto object = add_object(name, name, requester);
        if (!object) {
            std::error_code ec;
            error_ = fs::exists(name, ec)
                         ? fmt::format("{}: invalid ELF header", name)
                         : fmt::format("{}: cannot open shared object file: No such file or directory", name);
            record(name, requester, who, how, std::nullopt, {}, false);
            return std::nullopt;
        }
        record(name, requester, who, how, object, {}, false);
        return object;
    }
    if (const auto loaded = find_loaded(name)) {
        // The requester's own search, to say what the earlier load stood in front of.
        auto found = candidates(name, requester);
        const bool differs = !found.empty() && real_path_or_same(found.front().path) != objects_[*loaded].real_path;
        if (differs) record(name, requester, who, how, loaded, found, true);
        return loaded;
    }
    const auto found = candidates(name, requester);
    if (found.empty()) {
        error_ = fmt::format("{}: cannot open shared object file: No such file or directory", name);
        record(name, requester, who, how, std::nullopt, found, false);
        return std::nullopt;
    }
    if (const auto id = file_id(found.front().path)) {
        if (const auto it = by_file_.find(*id); it != by_file_.end()) return it->second;
    }
    const auto object = add_object(name, found.front().path, requester);
    record(name, requester, who, how, object, found, false);
    return object;
}

bool LoadModel::load_dependencies(std::size_t root) {
    // Breadth first, in DT_NEEDED order, as _dl_map_object_deps does.
    for (std::size_t next = root; next < objects_.size(); ++next) {
        const ElfInfo* elf = objects_[next].elf;
        if (elf == nullptr) continue;
        for (const auto& needed : elf->needed) {
            if (!map(needed, next, objects_[next].path, "DT_NEEDED")) {
                error_ = fmt::format("{} (needed by {})", error_, objects_[next].path);
                return false;
            }
        }
    }
    return true;
}

std::optional<std::size_t> LoadModel::load_path(const std::string& path, const std::string& who,
                                                const std::string& how) {
    const std::size_t before = objects_.size();
    const std::size_t records = resolutions_.size();
    const auto object = map(path, std::nullopt, who, how);
    if (!object) return std::nullopt;
    if (*object < before || load_dependencies(*object)) return object;
    roll_back(before, records);
    return std::nullopt;
}

std::optional<std::size_t> LoadModel::dlopen(const std::string& name, std::optional<std::size_t> caller,
                                             const std::string& who, const std::string& how) {
    const std::size_t before = objects_.size();
    const std::size_t records = resolutions_.size();
    const auto object = map(name, caller, who, how);
    if (!object) return std::nullopt;
    if (*object < before || load_dependencies(*object)) return object;
    roll_back(before, records);
    return std::nullopt;
}

void LoadModel::roll_back(std::size_t objects, std::size_t records) {
    // A failed dlopen unmaps everything it loaded. Kept: the record of what was asked for (found, but it does not
    // load, in ld.so's words) and the record of what was missing.
    std::optional<results::Resolution> asked;
    if (resolutions_.size() > records && resolutions_[records].found) {
        asked = resolutions_[records];
        asked->load_error = error_;
        asked->mapped.reset();
    }
    std::optional<results::Resolution> missing;
    if (resolutions_.size() > records && !resolutions_.back().found) missing = resolutions_.back();
    objects_.resize(objects);
    std::erase_if(by_file_, [&](const auto& entry) { return entry.second >= objects; });
    resolutions_.resize(records);
    if (asked) resolutions_.push_back(std::move(*asked));
    if (missing) resolutions_.push_back(std::move(*missing));
}

}  // namespace cuconform::consumer
