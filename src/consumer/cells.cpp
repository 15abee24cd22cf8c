// SPDX-License-Identifier: Apache-2.0
/// \file Framework cells: the matrix file and the venvs.
#include "consumer/cells.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "core/files.h"
#include "core/process.h"
#include "core/yaml.h"

namespace cuconform::consumer {
namespace fs = std::filesystem;

namespace {

/// Limits of a framework matrix file: far above what matrix/frameworks.yaml holds, far below what would exhaust
/// memory or a folder name (a cell id names the cell's folder and its venv).
constexpr std::size_t kMaxFileBytes = 1u << 20;
constexpr std::size_t kMaxIdLength = 100;
constexpr std::size_t kMaxValueLength = 4096;
constexpr std::size_t kMaxListLength = 1000;

[[noreturn]] void fail(const std::string& file, const YAML::Node& at, const std::string& message) {
    throw CellsError(yaml::Error(file, yaml::line_of(at), message).what());
}

void keys(const std::string& file, const YAML::Node& node, const std::string& what,
          const std::vector<std::string>& allowed, const std::vector<std::string>& required) {
    if (!node.IsMap()) fail(file, node, what + " must be a mapping (key: value)");
    for (const auto& kv : node) {
        const std::string key = yaml::key(kv.first);
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            fail(file, kv.first,
                 fmt::format("unknown key '{}' in {}; the keys are: {}", key, what, fmt::join(allowed, ", ")));
    }
    for (const auto& key : required) {
        if (!node[key]) fail(file, node, fmt::format("{} has no '{}'", what, key));
    }
}

/// A single value (yaml::scalar's checks) of at most `max` characters.
std::string value(const std::string& file, const YAML::Node& node, const std::string& what,
                  std::size_t max = kMaxValueLength) {
    std::string text;
    try {
        text = yaml::scalar(node, file, what);
    } catch (const yaml::Error& e) {
        throw CellsError(e.what());
    }
    if (text.size() > max) {
        fail(file, node,
             fmt::format("{} is {} characters long; at most {} in a framework matrix file", what, text.size(), max));
    }
    return text;
}

/// An optional value: "" when the key is absent.
std::string optional_value(const std::string& file, const YAML::Node& node, const std::string& what) {
    return node ? value(file, node, what) : std::string();
}

/// A cell or variant id: it names a folder, so lower case, digits, '-' and '.', not starting with '.' or '-'.
/// (Checked by hand: std::regex recurses per character and overflows the stack on a long value.)
std::string id_value(const std::string& file, const YAML::Node& node, const std::string& what) {
    const std::string id = value(file, node, what, kMaxIdLength);
    const auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    };
    if (!std::all_of(id.begin(), id.end(), allowed) || id.front() == '.' || id.front() == '-') {
        fail(file, node,
             fmt::format("{} '{}': use lower case, digits, '-' and '.', starting with a letter or digit", what, id));
    }
    return id;
}

std::vector<std::string> strings(const std::string& file, const YAML::Node& node, const std::string& what) {
    std::vector<std::string> out;
    if (!node) return out;
    if (!node.IsSequence()) fail(file, node, what + " must be a list of strings");
    if (node.size() > kMaxListLength) {
        fail(file, node, fmt::format("{} has {} entries; at most {}", what, node.size(), kMaxListLength));
    }
    for (const auto& item : node) out.push_back(value(file, item, "an entry of " + what));
    return out;
}

std::string python_for_venvs() {
    if (const char* env = std::getenv("CUCONFORM_PYTHON"); env != nullptr && *env != '\0') return env;
    return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/// Runs a pip step; throws with its words when it fails.
void step(const std::vector<std::string>& argv, std::string& log, const std::string& what) {
    process::Options options;
    options.output = process::Output::Merge;
    options.timeout_s = 3600;
    const auto result = process::run(argv, options);
    log += fmt::format("$ {}\n{}", fmt::join(argv, " "), result.out);
    if (!result.ok()) {
        throw std::runtime_error(
            fmt::format("{} failed ({}): {}", what, result.describe(), process::tail(result.out, 800)));
    }
}

}  // namespace

fs::path cache_dir() {
    if (const char* env = std::getenv("CUCONFORM_CACHE"); env != nullptr && *env != '\0') return env;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0')
        return fs::path(xdg) / "cuconform";
    const char* home = std::getenv("HOME");
    return fs::path(home != nullptr ? home : "/tmp") / ".cache" / "cuconform";
}

FrameworkMatrix load_framework_matrix(const fs::path& path) {
    const std::string file = path.string();
    YAML::Node root;
    try {
        root = yaml::load(read_file(path, kMaxFileBytes), file);
    } catch (const FileError& e) {
        throw CellsError(fmt::format("{}; pass a framework matrix file such as matrix/frameworks.yaml", e.what()));
    } catch (const yaml::Error& e) {
        throw CellsError(e.what());
    }
    keys(file, root, "the top level", {"name", "description", "tags", "cells"}, {"name", "cells"});
    FrameworkMatrix m{
        file, value(file, root["name"], "'name'"), optional_value(file, root["description"], "'description'"), {}};
    const YAML::Node cells = root["cells"];
    if (!cells.IsSequence()) fail(file, cells, "'cells' must be a list");
    if (cells.size() > kMaxListLength) {
        fail(file, cells, fmt::format("'cells' has {} entries; at most {}", cells.size(), kMaxListLength));
    }
    std::set<std::string> ids;
    for (const auto& c : cells) {
        keys(file, c, "a cell", {"id", "framework", "install", "description", "variants"},
             {"id", "framework", "install"});
        const std::string id = id_value(file, c["id"], "'id' of a cell");
        const std::string framework = value(file, c["framework"], "'framework' of a cell");
        if (framework.find("==") == std::string::npos)
            fail(file, c["framework"],
                 fmt::format("'framework' is '{}': write NAME==VERSION (torch==2.15.0)", framework));
        const auto install = strings(file, c["install"], "'install'");
        if (install.empty()) fail(file, c["install"], "'install' needs what `pip install` is given");
        const std::string description = optional_value(file, c["description"], "'description' of a cell");
        std::vector<FrameworkVariant> variants;
        if (const YAML::Node list = c["variants"]) {
            if (!list.IsSequence()) fail(file, list, "'variants' must be a list");
            if (list.size() > kMaxListLength) {
                fail(file, list, fmt::format("'variants' has {} entries; at most {}", list.size(), kMaxListLength));
            }
            for (const auto& v : list) {
                keys(file, v, "a variant", {"id", "description", "pip", "uninstall", "remove"}, {"id"});
                FrameworkVariant variant{id_value(file, v["id"], "'id' of a variant"),
                                         optional_value(file, v["description"], "'description' of a variant"),
                                         strings(file, v["pip"], "'pip'"), strings(file, v["uninstall"], "'uninstall'"),
                                         strings(file, v["remove"], "'remove'")};
                for (const auto& r : variant.remove) {
                    if (r.empty() || r.front() == '/' || r.find("..") != std::string::npos)
                        fail(file, v["remove"],
                             fmt::format("'remove' entry '{}' must be relative to site-packages", r));
                }
                variants.push_back(std::move(variant));
            }
        }
        if (variants.empty()) variants.push_back({"default", "what `pip install` resolves", {}, {}, {}});
        for (auto& v : variants) {
            const std::string cell_id = v.id == "default" ? id : id + "-" + v.id;
            if (!ids.insert(cell_id).second) fail(file, c, fmt::format("cell '{}' is defined twice", cell_id));
            m.cells.push_back({cell_id, id, framework, install, v, description});
        }
    }
    if (m.cells.empty()) fail(file, cells, "no cells");
    return m;
}

fs::path provision_venv(const FrameworkCell& cell, const fs::path& cache, std::string& log) {
    const fs::path base = cache / "venvs" / cell.base;
    const fs::path house = cache / "wheelhouse";
    const std::string stamp_text = fmt::format("{}", fmt::join(cell.install, " "));
    const fs::path stamp = base / ".cuconform-requirements";
    std::error_code ec;
    bool reuse = false;
    if (fs::exists(base / "bin" / "python", ec)) {
        std::string recorded;
        if (FILE* f = std::fopen(stamp.c_str(), "r")) {
            char buffer[4096];
            const auto n = std::fread(buffer, 1, sizeof buffer, f);
            std::fclose(f);
            recorded.assign(buffer, n);
        }
        const auto ok = process::run({(base / "bin" / "python").string(), "-c", "import sys"}, {.timeout_s = 30});
        reuse = recorded.rfind(stamp_text, 0) == 0 && ok.ok();
    }
    if (!reuse) {
        fs::remove_all(base, ec);
        fs::create_directories(house, ec);
        step({python_for_venvs(), "-m", "venv", base.string()}, log, "python3 -m venv " + base.string());
        const std::string python = (base / "bin" / "python").string();
        std::vector<std::string> download{python, "-m", "pip",         "download", "--disable-pip-version-check",
                                          "-q",   "-d", house.string()};
        download.insert(download.end(), cell.install.begin(), cell.install.end());
        step(download, log, fmt::format("pip download {}", fmt::join(cell.install, " ")));
        std::vector<std::string> install{
            python, "-m",         "pip",          "install",     "--disable-pip-version-check",
            "-q",   "--no-index", "--find-links", house.string()};
        install.insert(install.end(), cell.install.begin(), cell.install.end());
        step(install, log, fmt::format("pip install {}", fmt::join(cell.install, " ")));
        if (FILE* f = std::fopen(stamp.c_str(), "w")) {
            std::fputs(stamp_text.c_str(), f);
            std::fclose(f);
        }
    }
    const auto& v = cell.variant;
    if (v.pip.empty() && v.uninstall.empty() && v.remove.empty()) return base;
    // The variant: a hard-link copy (cp -al) of the base venv, changed by pip (which unlinks and writes files, never
    // rewriting one in place) or by removing files.
    const fs::path venv = cache / "venvs" / "cells" / cell.id;
    fs::remove_all(venv, ec);
    fs::create_directories(venv.parent_path(), ec);
    step({"cp", "-al", base.string(), venv.string()}, log, "cp -al " + base.string());
    const std::string python = (venv / "bin" / "python").string();
    if (!v.uninstall.empty()) {
        std::vector<std::string> argv{python, "-m", "pip", "uninstall", "--disable-pip-version-check", "-y", "-q"};
        argv.insert(argv.end(), v.uninstall.begin(), v.uninstall.end());
        step(argv, log, fmt::format("pip uninstall {}", fmt::join(v.uninstall, " ")));
    }
    if (!v.pip.empty()) {
        std::vector<std::string> download{python, "-m",        "pip", "download",    "--disable-pip-version-check",
                                          "-q",   "--no-deps", "-d",  house.string()};
        download.insert(download.end(), v.pip.begin(), v.pip.end());
        step(download, log, fmt::format("pip download {}", fmt::join(v.pip, " ")));
        std::vector<std::string> argv{python, "-m",        "pip",        "install",      "--disable-pip-version-check",
                                      "-q",   "--no-deps", "--no-index", "--find-links", house.string()};
        argv.insert(argv.end(), v.pip.begin(), v.pip.end());
        step(argv, log, fmt::format("pip install {}", fmt::join(v.pip, " ")));
    }
    if (!v.remove.empty()) {
        const auto site = process::run({python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"},
                                       {.timeout_s = 60});
        std::string dir = site.out;
        while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) dir.pop_back();
        for (const auto& rel : v.remove) {
            const fs::path file = fs::path(dir) / rel;
            if (!fs::remove(file, ec))
                throw std::runtime_error(fmt::format("variant {}: {} is not there to remove", v.id, file.string()));
            log += fmt::format("removed {}\n", file.string());
        }
    }
    return venv;
}

}  // namespace cuconform::consumer
