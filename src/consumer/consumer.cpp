// SPDX-License-Identifier: Apache-2.0
/// \file Examining a consumer: its frameworks, its loads as ld.so would make them, and their confirmation.
#include "consumer/consumer.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "consumer/confirm.h"
#include "consumer/elf.h"
#include "consumer/frameworks.h"
#include "consumer/ldso.h"

namespace cuconform::consumer {
namespace fs = std::filesystem;

namespace {

/// The first library loaded whose soname starts with `prefix` ("libcudart.so."), or nullptr.
const results::Resolution* first_loaded(const std::vector<results::Resolution>& libraries, const std::string& prefix) {
    for (const auto& r : libraries) {
        if (r.found && basename_of(r.soname).rfind(prefix, 0) == 0) return &r;
    }
    for (const auto& r : libraries) {
        if (basename_of(r.soname).rfind(prefix, 0) == 0) return &r;  // asked, not found
    }
    return nullptr;
}

results::LoadRecord record_of(const results::Resolution* r, const std::string& fallback_soname) {
    results::LoadRecord record;
    record.soname = r != nullptr ? basename_of(r->soname) : fallback_soname;
    if (r == nullptr) {
        record.error = fmt::format("{}: not asked for by the consumer", fallback_soname);
        return record;
    }
    record.found = r->found && !r->load_error;
    record.path = r->path;
    record.real_path = r->real_path;
    if (r->load_error) {
        record.error = *r->load_error;
    } else if (!r->found) {
        record.error = fmt::format("{}: cannot open shared object file: No such file or directory", record.soname);
    }
    if (!record.found) record.path = record.real_path = "";
    return record;
}

std::vector<results::Copy> copies_of(const results::Resolution* r) {
    std::vector<results::Copy> copies;
    if (r == nullptr) return copies;
    if (r->found) copies.push_back({r->path, r->real_path, r->via});
    for (const auto& c : r->passed_over) copies.push_back(c);
    return copies;
}

/// The ELF objects whose search paths decided a stack library: the requesters, and the roots.
std::vector<results::ElfObject> deciding_objects(const results::Consumer& c, const std::vector<std::string>& roots) {
    std::vector<results::ElfObject> out;
    std::set<std::string> seen;
    auto add = [&](const std::string& path) {
        if (path.empty() || path.find('/') == std::string::npos || !seen.insert(path).second) return;
        if (const ElfInfo* elf = elf_info(path)) out.push_back(elf->record());
    };
    for (const auto& root : roots) add(root);
    for (const auto& r : c.libraries) {
        add(r.requested_by);
        add(r.of);
    }
    return out;
}

}  // namespace

const results::Framework* primary_framework(const results::Consumer& consumer) {
    return consumer.frameworks.empty() ? nullptr : &consumer.frameworks.front();
}

std::optional<results::Consumer> examine(const Options& o) {
    results::Consumer c;
    std::string python;
    if (o.native) {
        c.kind = "native";
        c.given_by = "--consumer";
        c.path = *o.native;
        try {
            read_elf(*o.native);
        } catch (const ElfError& e) {
            throw ConsumerError(
                fmt::format("--consumer {}: {}; give a shared library or executable (ELF), e.g. "
                            "torch/lib/libtorch_cuda.so, or --python for a Python environment",
                            *o.native, e.what()));
        }
    } else {
        c.kind = "python";
        if (o.python) {
            c.given_by = "--python";
            python = *o.python;
        } else if (!o.use_activated) {
            return std::nullopt;
        } else if (auto activated = activated_python(c.given_by)) {
            python = *activated;
        } else {
            return std::nullopt;
        }
        c.path = python;
    }

    LoadModel model(LoaderSettings::current(), c.kind == "python" ? python : std::string());
    LoadOutcome outcome;
    std::vector<std::string> roots;
    std::optional<Distributions> dists;
    if (c.kind == "python") {
        try {
            c.python = ask_interpreter(python, o.python_timeout_s);
        } catch (const ConsumerError& e) {
            if (c.given_by == "--python") throw;
            c.problems.push_back(fmt::format("the environment {} names ({}) cannot be examined: {}", c.given_by,
                                             fs::path(python).parent_path().parent_path().string(), e.what()));
            return c;
        }
        model = LoadModel(LoaderSettings::current(), real_path_or_same(c.python->executable));
        dists.emplace(c.python->sys_path);
        c.frameworks = find_frameworks(*c.python, *dists, true, o.python_timeout_s);
        if (const auto* fw = primary_framework(c)) {
            outcome = load_framework(*fw, *c.python, model);
            roots.push_back(fw->native);
            for (const auto& e : outcome.errors) c.problems.push_back(fmt::format("import {}: {}", fw->name, e));
        } else {
            outcome = load_plain(model);
        }
    } else {
        outcome = load_native(*o.native, model);
        roots.push_back(*o.native);
        for (const auto& e : outcome.errors) c.problems.push_back(fmt::format("loading {}: {}", *o.native, e));
    }
    c.libraries = model.resolutions();
    if (dists) {
        for (auto& r : c.libraries) {
            if (r.found) r.package = dists->owner_of(r.path);
        }
    }
    c.objects = deciding_objects(c, roots);

    // The consumer's view in the fingerprint's own terms.
    const auto* rt = first_loaded(c.libraries, "libcudart.so.");
    const auto* shim = first_loaded(c.libraries, "libcudnn.so.");
    const auto* blas = first_loaded(c.libraries, "libcublas.so.");
    const auto* blas_lt = first_loaded(c.libraries, "libcublasLt.so.");
    c.runtime.library = record_of(rt, "libcudart.so");
    c.runtime.present = c.runtime.library.found;
    c.runtime.installed = copies_of(rt);
    c.cudnn.library = record_of(shim, "libcudnn.so");
    c.cudnn.present = c.cudnn.library.found;
    c.cudnn.installed = copies_of(shim);
    if (const auto* fw = primary_framework(c); fw != nullptr && fw->built.contains("cudnn"))
        c.cudnn.built = fw->built.at("cudnn");
    for (const auto& r : c.libraries) {
        if (basename_of(r.soname).rfind("libcudnn_", 0) != 0) continue;
        const bool seen = std::any_of(c.cudnn.sublibraries.begin(), c.cudnn.sublibraries.end(),
                                      [&](const results::Sublibrary& s) { return s.soname == r.soname; });
        if (!seen) c.cudnn.sublibraries.push_back({r.soname, false, "", r.found, copies_of(&r)});
    }
    c.cublas.library = record_of(blas, "libcublas.so");
    c.cublas.library_lt = record_of(blas_lt, "libcublasLt.so");
    c.cublas.present = c.cublas.library.found && c.cublas.library_lt.found;

    if (o.confirm) {
        const auto conf = confirm_loads(
            outcome.steps, rt && rt->found ? basename_of(rt->soname) : "",
            shim && shim->found ? basename_of(shim->soname) : "", blas && blas->found ? basename_of(blas->soname) : "",
            blas_lt && blas_lt->found ? basename_of(blas_lt->soname) : "", o.confirm_timeout_s);
        c.confirm_error = conf.error;
        auto mapped_for = [&](const results::Resolution& r) -> std::optional<std::string> {
            for (const auto& m : conf.mapped) {
                if (real_path_or_same(m) == r.real_path) return m;
            }
            for (const auto& m : conf.mapped) {
                if (basename_of(m) == basename_of(r.soname)) return m;
            }
            return std::nullopt;
        };
        for (auto& r : c.libraries) r.mapped = mapped_for(r);
        if (conf.runtime.version) c.runtime.version = conf.runtime.version;
        c.runtime.version_error = conf.runtime.version_error;
        c.cudnn.loaded = conf.cudnn.loaded;
        c.cudnn.cudart = conf.cudnn.cudart;
        c.cudnn.max_device_cc = conf.cudnn.max_device_cc;
        c.cudnn.version_checks = conf.cudnn.version_checks;
        c.cublas.version = conf.cublas.version;
        c.cublas.lt_version = conf.cublas.lt_version;
        for (auto& sub : c.cudnn.sublibraries) {
            for (const auto& m : conf.mapped) {
                if (basename_of(m) != sub.soname) continue;
                sub.loaded = true;
                sub.path = m;
                sub.found = true;
            }
        }
        for (auto& r : c.libraries) {
            if (!r.found) continue;
            if (rt && r.soname == rt->soname) r.version = conf.runtime.version;
            if (shim && r.soname == shim->soname) r.version = conf.cudnn.loaded;
            if (blas && r.soname == blas->soname) r.version = conf.cublas.version;
            if (blas_lt && r.soname == blas_lt->soname) r.version = conf.cublas.lt_version;
        }
    }
    if (o.framework_check && c.python) {
        for (auto& fw : c.frameworks) fw.check = run_framework_check(c.python->executable, fw, o.framework_timeout_s);
    }
    return c;
}

}  // namespace cuconform::consumer
