// SPDX-License-Identifier: Apache-2.0
/// \file The `report`, `table` and `junit` subcommands.
#include "report/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include "binary/fatbin.h"
#include "core/command.h"
#include "core/files.h"
#include "results/record_io.h"

namespace cuconform::report {
namespace {
namespace fs = std::filesystem;

struct Inputs {
    std::vector<std::string> results;
    std::string synthetic;  ///< Hidden: "CASESxCELLS[:SEED]" instead of RESULTS (tests, demos, benchmarks).
};

/// A cuDNN release's libraries (lib/libcudnn*.so.*, each once) and the generic SASS and PTX architectures of the
/// kernel images they carry.
CudnnReleaseFiles cudnn_release_files(const fs::path& root) {
    CudnnReleaseFiles files{root, {}};
    std::vector<fs::path> libs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root / "lib", ec)) {
        const auto name = e.path().filename().string();
        if (name.starts_with("libcudnn") && name.find(".so.") != std::string::npos) libs.push_back(e.path());
    }
    // Each library once, under the shortest name that reaches it (libcudnn.so.9 -> libcudnn.so.9.19.0).
    std::sort(libs.begin(), libs.end(), [](const fs::path& a, const fs::path& b) {
        return a.string().size() != b.string().size() ? a.string().size() < b.string().size() : a < b;
    });
    std::set<fs::path> seen;
    std::erase_if(libs, [&](const fs::path& p) {
        std::error_code dangling;  // a dangling link stays, and reading it names it
        return !seen.insert(fs::weakly_canonical(p, dangling)).second;
    });
    if (ec || libs.empty()) {
        throw std::runtime_error(
            fmt::format("{}: no lib/libcudnn*.so.* here; pass the folder that holds a cuDNN "
                        "release's include/ and lib/",
                        root.string()));
    }
    std::sort(libs.begin(), libs.end());
    for (const auto& path : libs) {
        CudnnReleaseFiles::Library lib{path, {}, {}};
        for (const auto& fatbin : binary::read_file(path).fatbins) {
            for (const auto& image : fatbin.images) {
                if (image.arch.variant != binary::ArchVariant::kGeneric) continue;
                const Version cc({image.arch.major(), image.arch.minor()});
                auto& into = image.kind == binary::ImageKind::kCubin ? lib.sass : lib.ptx;
                if (image.kind != binary::ImageKind::kOther && std::find(into.begin(), into.end(), cc) == into.end()) {
                    into.push_back(cc);
                }
            }
        }
        files.libraries.push_back(std::move(lib));
    }
    return files;
}

void add_inputs(CLI::App& sub, Inputs& in) {
    sub.add_option("results", in.results,
                   "Results: cell directories, directories of cell directories (shards), or results.jsonl files");
    sub.add_option("--synthetic", in.synthetic, "")->group("");  // hidden: synthetic input, never for real reports
}

ResultSet load(const Inputs& in) {
    if (!in.synthetic.empty()) {
        SyntheticSpec spec;
        unsigned long long seed = 1;
        if (std::sscanf(in.synthetic.c_str(), "%zux%zu:%llu", &spec.cases, &spec.cells, &seed) < 2) {
            throw std::runtime_error("--synthetic wants CASESxCELLS[:SEED], e.g. 20x3:7");
        }
        spec.seed = seed;
        return make_synthetic(spec);
    }
    if (in.results.empty()) throw std::runtime_error("no RESULTS given: pass one or more results directories");
    std::vector<fs::path> paths(in.results.begin(), in.results.end());
    ResultSet set = load_results(paths);
    for (const auto& w : set.warnings) std::cerr << "cuconform: warning: " << w << '\n';
    return set;
}

CommandSetup report_setup = [](CLI::App& sub) -> std::function<int()> {
    auto in = std::make_shared<Inputs>();
    auto out_dir = std::make_shared<std::string>();
    auto baseline = std::make_shared<std::vector<std::string>>();
    auto summary = std::make_shared<std::string>();
    auto title = std::make_shared<std::string>("cuconform compatibility report");
    add_inputs(sub, *in);
    sub.add_option("-o,--out,--output", *out_dir, "Directory for index.html")->required();
    sub.add_option("--baseline", *baseline, "Earlier results to mark new failures, fixes and flips against");
    sub.add_option("--summary", *summary, "Also write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)");
    sub.add_option("--title", *title, "Title of the report");
    auto doctor = std::make_shared<std::string>();
    sub.add_option("--doctor", *doctor, "`cuconform doctor --json` of the machine, shown beside the verdict");
    return [=]() {
        const ResultSet set = load(*in);
        std::unique_ptr<ResultSet> old;
        if (!baseline->empty()) {
            old = std::make_unique<ResultSet>(load_results(std::vector<fs::path>(baseline->begin(), baseline->end())));
        }
        HtmlOptions options;
        options.title = *title;
        options.baseline = old.get();
        if (!doctor->empty()) {
            try {
                options.doctor = results::parse_json(read_file(*doctor), *doctor);
            } catch (const std::exception& e) {
                std::cerr << "cuconform: warning: the report leaves out the doctor's findings: " << e.what() << '\n';
            }
        }
        try {
            options.knowledge = &knowledge::KnowledgeBase::builtin();
        } catch (const std::exception& e) {
            std::cerr << "cuconform: warning: the coverage view leaves out what the knowledge base knows: " << e.what()
                      << '\n';
        }
        const fs::path index = fs::path(*out_dir) / "index.html";
        const FolderLock lock(*out_dir, FolderLock::kReportAdvice);  // one writer per output folder
        write_output(index, [&](std::ostream& out) { write_html(out, set, options); });
        if (!summary->empty()) {
            // Appends: GitHub's step summary file collects every step's output.
            std::ofstream out(*summary, std::ios::app);
            write_summary(out, set, old.get());
            if (!out.flush()) throw std::runtime_error("cannot append to the summary file " + *summary);
        }
        const Tally t = tally(set);
        std::cerr << "cuconform: wrote " << index.string() << '\n';
        print_coverage(set, options.knowledge);
        std::cout << tally_line(t) << std::endl;
        return t.conforms() ? kExitOk : kExitNonConforming;
    };
};

CommandSetup table_setup = [](CLI::App& sub) -> std::function<int()> {
    auto in = std::make_shared<Inputs>();
    auto out_dir = std::make_shared<std::string>();
    auto contradictions = std::make_shared<bool>(false);
    add_inputs(sub, *in);
    sub.add_option("-o,--out,--output", *out_dir,
                   "Directory for table.md, table.csv and table.json (optional with --contradictions or --json)");
    auto json = std::make_shared<bool>(false);
    sub.add_flag("--json", *json, "Print the table as JSON (browser-compat-data style, with cuDNN version ranges)");
    sub.add_flag("--contradictions", *contradictions,
                 "List results whose observed outcome disagrees with the knowledge base (exit 1 when any does)");
    auto releases = std::make_shared<std::vector<std::string>>();
    sub.add_option("--cudnn-release", *releases,
                   "With --contradictions: a cuDNN release's prefix (include/, lib/) whose headers and libraries' "
                   "kernel architectures are compared with the knowledge base (repeatable; no results needed)");
    return [=]() {
        if (!releases->empty() && !*contradictions) {
            throw std::runtime_error(
                "--cudnn-release compares a release with the knowledge base: add --contradictions");
        }
        if (out_dir->empty() && !*contradictions && !*json) {
            throw std::runtime_error(
                "no output: pass -o DIR for table.md/table.csv/table.json, --json, or --contradictions");
        }
        bool release_disagrees = false;
        if (!releases->empty()) {
            std::vector<ReleaseFinding> findings;
            for (const auto& root : *releases) {
                auto found = compare_release_files(cudnn_release_files(root), knowledge::KnowledgeBase::builtin());
                findings.insert(findings.end(), found.begin(), found.end());
            }
            write_release_findings(std::cout, findings);
            release_disagrees =
                std::any_of(findings.begin(), findings.end(), [](const auto& f) { return f.contradicts; });
            if (in->results.empty() && in->synthetic.empty()) return release_disagrees ? kExitNonConforming : kExitOk;
        }
        const ResultSet set = load(*in);
        if (!out_dir->empty()) {
            const FolderLock lock(*out_dir, FolderLock::kReportAdvice);
            write_table(*out_dir, set);
            std::cerr << "cuconform: wrote " << (fs::path(*out_dir) / "table.md").string()
                      << ", table.csv and table.json\n";
        }
        if (*json) std::cout << table_json(build_table(set), set, fs::current_path()).dump(2) << '\n';
        if (!*contradictions) return kExitOk;
        const auto comparisons = compare_with_knowledge(set, knowledge::KnowledgeBase::builtin());
        write_contradictions(std::cout, set, comparisons);
        const bool any =
            std::any_of(comparisons.begin(), comparisons.end(), [](const auto& c) { return c.contradicts; });
        return any || release_disagrees ? kExitNonConforming : kExitOk;
    };
};

CommandSetup junit_setup = [](CLI::App& sub) -> std::function<int()> {
    auto in = std::make_shared<Inputs>();
    auto file = std::make_shared<std::string>();
    add_inputs(sub, *in);
    sub.add_option("-o,--out,--output", *file, "JUnit XML file to write")->required();
    return [=]() {
        const ResultSet set = load(*in);
        // The lock of the folder the file is written into, as report and table take theirs.
        const fs::path folder = fs::path(*file).has_parent_path() ? fs::path(*file).parent_path() : fs::path(".");
        const FolderLock lock(folder, FolderLock::kReportAdvice);
        write_output(*file, [&](std::ostream& out) { write_junit(out, set); });
        std::cerr << "cuconform: wrote " << *file << '\n';
        return kExitOk;
    };
};

}  // namespace

CUCONFORM_COMMAND("report", "Write the self-contained HTML report (and a CI summary) from results directories", 40,
                  report_setup);
CUCONFORM_COMMAND("table", "Write the compatibility table (Markdown and CSV): tested, predicted, unknown", 41,
                  table_setup);
CUCONFORM_COMMAND("junit", "Write JUnit XML (one testsuite per cell) for CI test reporters", 42, junit_setup);

}  // namespace cuconform::report
