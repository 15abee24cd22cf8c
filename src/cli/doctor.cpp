// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform doctor`: human and JSON output of the findings. Exit 0 healthy, 1 errors, 2 failed.
#include "doctor/doctor.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "core/command.h"
#include "core/files.h"
#include "probe/fingerprint.h"
#include "results/record_io.h"

namespace cuconform::doctor {
namespace {
using nlohmann::json;

void print_library(const char* label, const json& part, const std::string& version) {
    const json& lib = part["library"];
    if (lib.value("found", false)) {
        fmt::print("  {:<9} {:<9} {}\n", label, version.empty() ? "?" : version, json_field(lib, "path"));
    } else {
        fmt::print("  {:<9} {:<9} {}\n", label, "missing", json_field(lib, "error"));
    }
}

void print_human(const std::vector<Finding>& findings, const json& fp, bool color) {
    auto paint = [&](int code, const std::string& text) {
        return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
    };
    fmt::print("Stack\n");
    print_library("driver", fp["driver"], json_field(fp["driver"], "version", json_field(fp["driver"], "cuda", "")));
    print_library("runtime", fp["runtime"], json_field(fp["runtime"], "version", ""));
    print_library("cuDNN", fp["cudnn"], json_field(fp["cudnn"], "loaded", ""));
    if (fp["cudnn"].value("present", false)) {
        std::vector<std::string> subs;
        for (const auto& sub : fp["cudnn"]["sublibraries"]) {
            std::string name = json_field(sub, "soname");
            name = name.substr(9, name.find(".so") - 9);
            subs.push_back(sub.value("found", false) ? name : name + " (MISSING)");
        }
        fmt::print("            built against cuDNN {}, cuDNN's own CUDA runtime {}\n",
                   json_field(fp["cudnn"], "built"), json_field(fp["cudnn"], "cudart"));
        fmt::print("            sub-libraries: {}\n", fmt::join(subs, " "));
    }
    print_library("cuBLAS", fp["cublas"], json_field(fp["cublas"], "version", ""));
    if (fp["gpus"].empty()) {
        fmt::print("  {:<9} none\n", "GPUs");
    } else {
        for (const auto& g : fp["gpus"]) {
            fmt::print("  GPU {:<5} cc {:<5} {} ({} MiB)\n", g.value("index", 0), json_field(g, "cc"),
                       json_field(g, "name"), g.value("memory_bytes", 0ull) >> 20);
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
};

CommandSetup setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<Options>();
    sub.add_flag("--json", o->json, "Print the findings and the fingerprint as JSON");
    sub.add_option("--fingerprint", o->fingerprint, "Examine a saved fingerprint (from `cuconform probe`) instead")
        ->check(CLI::ExistingFile);
    return [o] {
        results::Fingerprint fingerprint;
        if (o->fingerprint.empty()) {
            fingerprint = probe::probe_fingerprint();
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
        const auto findings = examine(fingerprint);
        const json fp = results::to_json(fingerprint);
        if (o->json) {
            std::cout << to_json(findings, fingerprint).dump(2) << "\n";
        } else {
            print_human(findings, fp, isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr);
        }
        const bool errors = std::any_of(findings.begin(), findings.end(),
                                        [](const Finding& f) { return f.severity == Severity::Error; });
        return errors ? kExitNonConforming : kExitOk;
    };
};

CUCONFORM_COMMAND("doctor", "Tell what is wrong with this stack, with the evidence and the fix", 10, setup);

}  // namespace
}  // namespace cuconform::doctor
