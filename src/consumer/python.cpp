// SPDX-License-Identifier: Apache-2.0
/// \file Python environments: the interpreter's own account of itself, dist-info folders, environments on PATH.
#include "consumer/python.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/process.h"
#include "core/util.h"
#include "results/record_io.h"

namespace cuconform::consumer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kMarker = "@@cuconform@@";

/// Printed by the interpreter: who it is and where it imports from. The first sys.path entry of `-c` is the current
/// directory (''), which is no part of the environment.
constexpr const char* kQuery = R"(import json, site, sys
path = [p for p in sys.path[1:] if p]
user = site.USER_SITE if site.ENABLE_USER_SITE and site.USER_SITE in sys.path else None
print("@@cuconform@@" + json.dumps({"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],
      "prefix": sys.prefix, "base_prefix": getattr(sys, "base_prefix", sys.prefix), "sys_path": path, "user_site": user}))
)";

}  // namespace

std::string normalize_name(const std::string& name) {
    std::string out;
    bool sep = false;
    for (char ch : name) {
        if (ch == '-' || ch == '_' || ch == '.') {
            sep = true;
            continue;
        }
        if (sep && !out.empty()) out += '-';
        sep = false;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return out;
}

std::optional<std::string> activated_python(std::string& given_by) {
    for (const char* var : {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
        const char* prefix = std::getenv(var);
        if (prefix == nullptr || *prefix == '\0') continue;
        given_by = var;
        for (const char* name : {"bin/python", "bin/python3"}) {
            std::error_code ec;
            if (fs::exists(fs::path(prefix) / name, ec)) return (fs::path(prefix) / name).string();
        }
        return (fs::path(prefix) / "bin/python").string();  // absent: ask_interpreter says so
    }
    return std::nullopt;
}

results::Python ask_interpreter(const std::string& python, double timeout_s) {
    std::error_code ec;
    if (!fs::exists(python, ec)) {
        const bool dangling = fs::is_symlink(fs::symlink_status(python, ec));
        throw ConsumerError(fmt::format(
            "{}: {}; {}", python,
            dangling ? fmt::format("a symbolic link to {}, which does not exist", fs::read_symlink(python, ec).string())
                     : "no such file",
            dangling ? "the interpreter this environment was made with is gone: make the venv again "
                       "(python3 -m venv --clear DIR) or point --python at a working interpreter"
                     : "give the path of a Python interpreter (e.g. VENV/bin/python)"));
    }
    process::Options options;
    options.output = process::Output::Capture;
    options.timeout_s = timeout_s;
    options.env["PYTHONSTARTUP"] = std::nullopt;
    const auto result = process::run({python, "-c", kQuery}, options);
    if (result.exec_errno != 0) {
        throw ConsumerError(fmt::format("{} cannot be run: {}; give the path of a Python interpreter", python,
                                        std::strerror(result.exec_errno)));
    }
    if (result.timed_out) {
        throw ConsumerError(
            fmt::format("{} did not answer within {} s when asked for sys.path (a sitecustomize or "
                        ".pth file that hangs?); run `{} -c 'import sys; print(sys.path)'` to see",
                        python, timeout_s, python));
    }
    const auto marker = result.out.rfind(kMarker);
    if (!result.ok() || marker == std::string::npos) {
        throw ConsumerError(
            fmt::format("{} is not a working Python interpreter: asked for sys.path, it {}{}; give "
                        "the path of a Python 3 interpreter (e.g. VENV/bin/python)",
                        python, result.describe(),
                        result.err.empty() && result.out.empty()
                            ? std::string()
                            : ": " + process::tail(result.err.empty() ? result.out : result.err, 300)));
    }
    std::string line = result.out.substr(marker + std::strlen(kMarker));
    line = line.substr(0, line.find('\n'));
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw ConsumerError(fmt::format("{} answered something that is not JSON when asked for sys.path", python));
    results::Python py;
    py.executable = j.value("executable", python);
    py.version = j.value("version", "");
    py.prefix = j.value("prefix", "");
    py.base_prefix = j.value("base_prefix", "");
    for (const auto& p : j.value("sys_path", json::array())) py.sys_path.push_back(p.get<std::string>());
    if (j.contains("user_site") && j["user_site"].is_string()) py.user_site = j["user_site"].get<std::string>();
    return py;
}

Distributions::Distributions(const std::vector<std::string>& sys_path) {
    std::set<std::string> seen;
    for (const auto& entry : sys_path) {
        std::error_code ec;
        if (!fs::is_directory(entry, ec)) continue;
        std::vector<fs::path> infos;
        for (const auto& item : fs::directory_iterator(entry, ec)) {
            const std::string name = item.path().filename().string();
            if (name.size() > 10 && name.ends_with(".dist-info")) infos.push_back(item.path());
        }
        std::sort(infos.begin(), infos.end());
        for (const auto& info : infos) {
            const std::string stem = info.filename().string().substr(0, info.filename().string().size() - 10);
            const auto dash = stem.find('-');
            if (dash == std::string::npos) continue;
            const std::string name = normalize_name(stem.substr(0, dash));
            if (!seen.insert(name).second) continue;
            all_.push_back({name, stem.substr(dash + 1), info, entry});
        }
    }
}

const Distribution* Distributions::find(const std::string& name) const {
    const std::string wanted = normalize_name(name);
    for (const auto& d : all_) {
        if (d.name == wanted) return &d;
    }
    return nullptr;
}

std::vector<std::string> Distributions::requires_dist(const Distribution& dist) const {
    std::vector<std::string> out;
    std::ifstream in(dist.dist_info / "METADATA");
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line == "\r") break;  // the body (description) starts after the first blank line
        if (line.rfind("Requires-Dist:", 0) == 0) {
            std::string value = line.substr(14);
            value.erase(0, value.find_first_not_of(' '));
            while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
            out.push_back(value);
        }
    }
    return out;
}

std::string Distributions::owner_of(const std::string& file) const {
    if (!owners_) {
        owners_.emplace();
        for (const auto& d : all_) {
            if (d.name.rfind("nvidia-", 0) != 0 && d.name.rfind("cuda-", 0) != 0) continue;
            std::ifstream record(d.dist_info / "RECORD");
            for (std::string line; std::getline(record, line);) {
                const std::string rel = line.substr(0, line.find(','));
                if (rel.find(".so") == std::string::npos) continue;
                std::error_code ec;
                const auto real = fs::weakly_canonical(d.site / rel, ec);
                owners_->emplace(ec ? (d.site / rel).string() : real.string(), d.name + " " + d.version);
            }
        }
    }
    std::error_code ec;
    const auto real = fs::weakly_canonical(file, ec);
    const auto it = owners_->find(ec ? file : real.string());
    return it == owners_->end() ? std::string() : it->second;
}

std::vector<EnvironmentOnPath> environments_on_path() {
    std::vector<EnvironmentOnPath> out;
    std::set<std::string> seen_sites;
    auto frameworks_in = [](const fs::path& site) {
        std::vector<std::string> found;
        std::error_code ec;
        if (!fs::is_directory(site, ec)) return found;
        static const std::regex dist(R"(^(torch|jax|tensorflow|tensorflow_cpu|tf_nightly)-([^-]+)\.dist-info$)");
        std::vector<std::string> names;
        for (const auto& item : fs::directory_iterator(site, ec)) names.push_back(item.path().filename().string());
        std::sort(names.begin(), names.end());
        for (const auto& name : names) {
            std::smatch m;
            if (std::regex_match(name, m, dist)) found.push_back(fmt::format("{} {}", m[1].str(), m[2].str()));
        }
        return found;
    };
    auto sites_of = [](const fs::path& prefix) {
        std::vector<fs::path> sites;
        std::error_code ec;
        for (const char* lib : {"lib", "lib64"}) {
            for (const auto& item : fs::directory_iterator(prefix / lib, ec)) {
                const std::string name = item.path().filename().string();
                if (name.rfind("python3", 0) != 0) continue;
                sites.push_back(item.path() / "site-packages");
                sites.push_back(item.path() / "dist-packages");
            }
        }
        if (prefix == "/usr") sites.emplace_back("/usr/lib/python3/dist-packages");
        return sites;
    };
    for (const auto& dir : split_path_list(std::getenv("PATH"))) {
        for (const char* exe : {"python3", "python"}) {
            const fs::path python = fs::path(dir) / exe;
            if (access(python.c_str(), X_OK) != 0) continue;
            // The environment's prefix: bin/.. for a venv or conda env (pyvenv.cfg or conda-meta), and for the
            // interpreter's own installation.
            const fs::path prefix = fs::path(dir).parent_path();
            std::vector<std::string> frameworks;
            for (const auto& site : sites_of(prefix)) {
                std::error_code ec;
                const std::string key = fs::weakly_canonical(site, ec).string();
                if (!fs::is_directory(site, ec) || !seen_sites.insert(key).second) continue;
                for (auto& f : frameworks_in(site)) frameworks.push_back(std::move(f));
            }
            // The user site-packages of a system interpreter (pip install --user): ~/.local/lib/pythonX.Y.
            std::error_code ec;
            if (!fs::exists(prefix / "pyvenv.cfg", ec)) {
                if (const char* home = std::getenv("HOME"); home != nullptr) {
                    for (const auto& site : sites_of(fs::path(home) / ".local")) {
                        const std::string key = fs::weakly_canonical(site, ec).string();
                        if (!fs::is_directory(site, ec) || !seen_sites.insert(key).second) continue;
                        for (auto& f : frameworks_in(site))
                            frameworks.push_back(fmt::format("{} (user site-packages)", f));
                    }
                }
            }
            if (!frameworks.empty()) out.push_back({python.string(), frameworks});
            break;  // one interpreter per directory
        }
    }
    return out;
}

}  // namespace cuconform::consumer
