// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform doctor`: human and JSON output of the findings. Exit 0 healthy, 1 errors, 2 failed (a consumer
/// given with --python / --consumer that cannot be examined, a fingerprint that cannot be read).
#include "doctor/doctor.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "consumer/python.h"
#include "core/command.h"
#include "core/files.h"
#include "probe/fingerprint.h"
#include "results/record_io.h"

namespace cuconform::doctor {
namespace {
using nlohmann::json;
namespace fs = std::filesystem;

/// "(entry $ORIGIN/../../nvidia/cu13/lib of the DT_RPATH of libtorch_global_deps.so; nvidia-cuda-runtime 13.2.86)"
std::string why_of(const results::Fingerprint& fp, const results::LoadRecord& lib) {
    if (!fp.consumer) return "";
    for (const auto& r : fp.consumer->libraries) {
        if (fs::path(r.soname).filename() != lib.soname || !r.found) continue;
        return fmt::format("\n            {}{}", r.why, r.package.empty() ? "" : "; wheel " + r.package);
    }
    return "";
}

void print_library(const results::Fingerprint& fp, const char* label, const results::LoadRecord& lib,
                   const std::string& version) {
    if (lib.found) {
        fmt::print("  {:<9} {:<9} {}{}\n", label, version.empty() ? "?" : version, lib.path, why_of(fp, lib));
    } else {
        fmt::print("  {:<9} {:<9} {}\n", label, "missing", lib.error);
    }
}

void print_human(const std::vector<Finding>& findings, const results::Fingerprint& fp, bool color) {
    auto paint = [&](int code, const std::string& text) {
        return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
    };
    const results::Runtime* runtime = &fp.runtime;
    const results::Cudnn* cudnn = &fp.cudnn;
    const results::Cublas* cublas = &fp.cublas;
    std::string built_by = "cuconform";
    if (const auto& c = fp.consumer) {
        runtime = &c->runtime;
        cudnn = &c->cudnn;
        cublas = &c->cublas;
        fmt::print("Consumer\n  {} {} ({})\n", c->kind, c->path, c->given_by);
        for (const auto& fw : c->frameworks) {
            std::vector<std::string> built;
            for (const auto& [what, version] : fw.built) built.push_back(fmt::format("{} {}", what, version));
            fmt::print("  {} {}: built against {} ({})\n", fw.name, fw.version, fmt::join(built, ", "),
                       fw.built_source);
        }
        if (!c->frameworks.empty()) built_by = c->frameworks.front().name;
        fmt::print("\nStack as {} loads it\n",
                   c->frameworks.empty() ? std::string("the consumer") : c->frameworks.front().name);
    } else {
        fmt::print("Stack\n");
    }
    print_library(fp, "driver", fp.driver.library, fp.driver.version.value_or(fp.driver.cuda.value_or("")));
    print_library(fp, "runtime", runtime->library, runtime->version.value_or(""));
    print_library(fp, "cuDNN", cudnn->library, cudnn->loaded.value_or(""));
    if (cudnn->present) {
        std::vector<std::string> subs;
        for (const auto& sub : cudnn->sublibraries) {
            std::string name = sub.soname;
            name = name.substr(9, name.find(".so") - 9);
            subs.push_back(sub.found ? name : name + " (MISSING)");
        }
        fmt::print("            built against cuDNN {} ({}), cuDNN's own CUDA runtime {}\n",
                   cudnn->built.empty() ? "?" : cudnn->built, built_by, cudnn->cudart.value_or("?"));
        fmt::print("            sub-libraries: {}\n", fmt::join(subs, " "));
    }
    print_library(fp, "cuBLAS", cublas->library, cublas->version.value_or(""));
    if (fp.gpus.empty()) {
        fmt::print("  {:<9} none\n", "GPUs");
    } else {
        for (const auto& g : fp.gpus) {
            fmt::print("  GPU {:<5} cc {:<5} {} ({} MiB)\n", g.index, g.cc, g.name, g.memory_bytes.value_or(0) >> 20);
        }
    }
    int errors = 0, warnings = 0;
    for (const auto& f : findings) {
        errors += f.severity == Severity::Error;
        warnings += f.severity == Severity::Warning;
    }
    fmt::print("\nFindings: {} error{}, {} warning{}\n", errors, errors == 1 ? "" : "s", warnings,
               warnings == 1 ? "" : "s");
    for (const auto& f : findings) {
        const int code = f.severity == Severity::Error ? 31 : f.severity == Severity::Warning ? 33 : 36;
        std::string tag = to_string(f.severity).data();
        for (auto& ch : tag) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        fmt::print("\n{} {}\n  {}\n  evidence: {}\n  fix:      {}\n", paint(code, tag), f.id, f.title, f.evidence,
                   f.fix);
        if (!f.source.empty()) fmt::print("  source:   {}\n", f.source);
    }
    if (findings.empty()) fmt::print("The stack is healthy.\n");
}

struct Options {
    bool json = false;
    std::string fingerprint;
    std::string python, native;
    bool no_consumer = false;
    bool framework_check = true;
    double framework_timeout_s = 120;
};

CommandSetup setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<Options>();
    sub.add_flag("--json", o->json, "Print the findings and the fingerprint as JSON");
    sub.add_option("--fingerprint", o->fingerprint, "Examine a saved fingerprint (from `cuconform probe`) instead")
        ->check(CLI::ExistingFile);
    sub.add_option("--python", o->python,
                   "Examine the stack this Python environment's framework loads (default: the activated venv or "
                   "conda env, VIRTUAL_ENV / CONDA_PREFIX)");
    sub.add_option("--consumer", o->native,
                   "Examine the stack this native library or executable loads (e.g. torch/lib/libtorch_cuda.so)");
    sub.add_flag("--no-consumer", o->no_consumer, "Ignore an activated venv or conda env: this program's view only");
    sub.add_flag("--framework-check,!--no-framework-check", o->framework_check,
                 "Also run the framework's own check in a child interpreter (default; imports the framework)");
    sub.add_option("--framework-timeout", o->framework_timeout_s, "Seconds before the framework's own check is killed")
        ->capture_default_str();
    return [o] {
        results::Fingerprint fingerprint;
        Context context;
        if (o->fingerprint.empty()) {
            probe::ProbeOptions options;
            if (!o->python.empty()) options.python = o->python;
            if (!o->native.empty()) options.native = o->native;
            options.activated_consumer = !o->no_consumer;
            options.framework_check = o->framework_check;
            options.framework_timeout_s = o->framework_timeout_s;
            try {
                fingerprint = probe::probe_fingerprint(options);
            } catch (const consumer::ConsumerError& e) {
                fmt::print(stderr, "cuconform doctor: {}\n", e.what());
                return kExitHarnessError;
            }
            if (!fingerprint.consumer) {
                for (const auto& env : consumer::environments_on_path())
                    context.environments.push_back({env.python, env.frameworks});
            }
        } else {
            try {
                fingerprint =
                    results::parse_fingerprint(results::parse_json(read_file(o->fingerprint), o->fingerprint));
            } catch (const std::exception& e) {
                fmt::print(stderr,
                           "cuconform doctor: {} is not a fingerprint: {}; write one with `cuconform probe -o FILE`\n",
                           o->fingerprint, e.what());
                return kExitHarnessError;
            }
        }
        const auto findings = examine(fingerprint, context);
        if (o->json) {
            std::cout << to_json(findings, fingerprint).dump(2) << "\n";
        } else {
            print_human(findings, fingerprint, isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr);
        }
        const bool errors = std::any_of(findings.begin(), findings.end(),
                                        [](const Finding& f) { return f.severity == Severity::Error; });
        return errors ? kExitNonConforming : kExitOk;
    };
};

CUCONFORM_COMMAND("doctor", "Tell what is wrong with this stack, with the evidence and the fix", 10, setup);

}  // namespace
}  // namespace cuconform::doctor
