// SPDX-License-Identifier: Apache-2.0
/// \file A cuDNN release's own files compared with the knowledge base: the version and status codes its headers
/// state, and whether its libraries carry kernels for exactly the architectures its support-matrix row lists.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <ostream>
#include <regex>
#include <set>
#include <sstream>

#include "report/report.h"

namespace cuconform::report {
namespace fs = std::filesystem;
using knowledge::Answer;

namespace {

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error(
            fmt::format("cannot read {}: a cuDNN release's prefix holds include/cudnn_version.h "
                        "and lib/libcudnn*.so.*; pass the folder that holds include/ and lib/",
                        path.string()));
    }
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

long define_of(const std::string& text, const std::string& name, const fs::path& path) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex("#define\\s+" + name + "\\s+(\\d+)"))) {
        throw std::runtime_error(fmt::format("{}: no '#define {} N' (is this a cuDNN header?)", path.string(), name));
    }
    return std::stol(m[1].str());
}

std::size_t line_of(const std::string& text, std::size_t pos) {
    return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
}

Answer answer_of(Answer::Value value, std::string reason, std::vector<knowledge::Citation> evidence) {
    Answer a;
    a.value = value;
    a.reason = std::move(reason);
    a.evidence = std::move(evidence);
    return a;
}

}  // namespace

std::vector<ReleaseFinding> compare_release_files(const CudnnReleaseFiles& files, const knowledge::KnowledgeBase& kb) {
    std::vector<ReleaseFinding> out;
    const fs::path version_h = files.root / "include" / "cudnn_version.h";
    const std::string vtext = read_text(version_h);
    const Version version({static_cast<int>(define_of(vtext, "CUDNN_MAJOR", version_h)),
                           static_cast<int>(define_of(vtext, "CUDNN_MINOR", version_h)),
                           static_cast<int>(define_of(vtext, "CUDNN_PATCHLEVEL", version_h))});
    const std::string release = version.str();

    // The version: a release NVIDIA published (a matrix row or a package version).
    {
        const bool known = kb.cudnn_is_release(version);
        std::vector<knowledge::Citation> evidence;
        for (const auto& f : kb.cudnn_known_releases()) {
            if (f.value == version) evidence.push_back(f.citation);
        }
        if (auto row = kb.cudnn_release(version); row && row->exact) evidence.push_back(row->citation);
        out.push_back({"cudnn-header-version", release, "version",
                       fmt::format("{} states {}", version_h.string(), release),
                       answer_of(known ? Answer::Value::Yes : Answer::Value::No,
                                 known ? fmt::format("cuDNN {} is a published release", release)
                                       : fmt::format("cuDNN {} is neither a support-matrix row nor a package version "
                                                     "in cudnn.yaml",
                                                     release),
                                 evidence),
                       !known});
    }

    // The status codes: cudnnStatus_t of the major, name by name, both ways.
    fs::path status_h = files.root / "include" / (version.major() >= 9 ? "cudnn_graph.h" : "cudnn_ops_infer.h");
    if (!fs::exists(status_h)) status_h = files.root / "include" / "cudnn.h";
    const std::string stext = read_text(status_h);
    // "NAME = 2000," or a deprecated alias "NAME CUDNN_DEPRECATED_ENUM = OTHER_NAME,".
    static const std::regex status_re(R"((CUDNN_STATUS_[A-Z0-9_]+)\s*(?:CUDNN_DEPRECATED_ENUM\s*)?=\s*(\w+))");
    std::set<std::string> in_header;
    std::map<std::string, long> codes;
    for (auto it = std::sregex_iterator(stext.begin(), stext.end(), status_re); it != std::sregex_iterator(); ++it) {
        const std::string name = (*it)[1].str();
        const std::string value = (*it)[2].str();
        const auto alias = codes.find(value);
        if (!std::isdigit(static_cast<unsigned char>(value[0])) && alias == codes.end()) continue;
        const long code = alias != codes.end() ? alias->second : std::stol(value);
        codes[name] = code;
        in_header.insert(name);
        const std::string ours =
            fmt::format("{} = {} at {}:{}", name, code, status_h.string(), line_of(stext, it->position(0)));
        const auto fact = kb.cudnn_status(version.major(), name);
        // A code errors.yaml dates from a later release (`from`) is one this release's header should not have.
        const bool too_early = fact && fact->value.from && version < *fact->value.from;
        const bool same = fact && fact->value.code == code && !too_early;
        out.push_back({"cudnn-header-status", release, name, ours,
                       answer_of(same ? Answer::Value::Yes : Answer::Value::No,
                                 !fact ? fmt::format("errors.yaml has no {} for cuDNN {}", name, version.major())
                                 : fact->value.from ? fmt::format("errors.yaml gives {} = {} from cuDNN {} on", name,
                                                                  fact->value.code, fact->value.from->str())
                                                    : fmt::format("errors.yaml gives {} = {} for cuDNN {}", name,
                                                                  fact->value.code, version.major()),
                                 fact ? std::vector{fact->citation} : std::vector<knowledge::Citation>{}),
                       !same});
    }
    for (const auto& fact : kb.cudnn_statuses(version)) {  // those errors.yaml gives this release
        if (in_header.contains(fact.value.name)) continue;
        out.push_back({"cudnn-header-status", release, fact.value.name,
                       fmt::format("{} does not define {}", status_h.string(), fact.value.name),
                       answer_of(Answer::Value::No,
                                 fact.value.from ? fmt::format("errors.yaml gives {} = {} from cuDNN {} on",
                                                               fact.value.name, fact.value.code, fact.value.from->str())
                                                 : fmt::format("errors.yaml gives {} = {} for cuDNN {}",
                                                               fact.value.name, fact.value.code, version.major()),
                                 {fact.citation}),
                       true});
    }

    // The architectures: SASS for a compute capability runs on the same major's higher minors (SASS compatibility),
    // PTX JIT-compiles for any later one. Checked: every compute capability the row names, and every SASS carried.
    std::map<Version, fs::path> sass, ptx;  // the first library carrying each
    for (const auto& lib : files.libraries) {
        for (const auto& v : lib.sass) sass.emplace(v, lib.path);
        for (const auto& v : lib.ptx) ptx.emplace(v, lib.path);
    }
    std::set<Version> ccs;
    for (const auto& [v, path] : sass) ccs.insert(v);
    if (const auto row = kb.cudnn_release(version)) {
        if (row->cc && row->cc->is_list()) ccs.insert(row->cc->list.begin(), row->cc->list.end());
        for (const auto& p : row->packages) {
            if (p.cc && p.cc->is_list()) ccs.insert(p.cc->list.begin(), p.cc->list.end());
        }
    }
    for (const auto& cc : ccs) {
        const std::string sm = fmt::format("sm_{}{}", cc.major(), cc.minor());
        const Answer answer = kb.cudnn_supports_cc(version, cc);
        const auto carried = sass.find(cc);
        if (answer.no() && carried != sass.end()) {
            out.push_back({"cudnn-library-arch", release, sm,
                           fmt::format("{} carries {} SASS", carried->second.string(), sm), answer, true});
            continue;
        }
        if (!answer.yes()) {
            out.push_back({"cudnn-library-arch", release, sm,
                           carried == sass.end() ? fmt::format("no library carries {} SASS", sm)
                                                 : fmt::format("{} carries {} SASS", carried->second.string(), sm),
                           answer, false});
            continue;
        }
        // Runs here: SASS of the same major and a minor <= cc's, or PTX of an architecture <= cc.
        auto runs = std::find_if(sass.begin(), sass.end(), [&](const auto& s) {
            return s.first.major() == cc.major() && s.first.minor() <= cc.minor();
        });
        std::string ours;
        if (runs != sass.end()) {
            ours = fmt::format("{} carries sm_{}{} SASS, which runs on {}", runs->second.string(), runs->first.major(),
                               runs->first.minor(), cc.str());
        } else if (auto jit = std::find_if(ptx.begin(), ptx.end(), [&](const auto& p) { return p.first <= cc; });
                   jit != ptx.end()) {
            ours = fmt::format("{} carries compute_{}{} PTX, JIT-compiled for {}", jit->second.string(),
                               jit->first.major(), jit->first.minor(), cc.str());
        }
        const bool lacks = ours.empty();
        if (lacks)
            ours = fmt::format("no library under {} carries SASS or PTX that runs on {}", files.root.string(), sm);
        out.push_back({"cudnn-library-arch", release, sm, ours, answer, lacks});
    }
    return out;
}

void write_release_findings(std::ostream& out, const std::vector<ReleaseFinding>& findings) {
    std::size_t contradictions = 0, unknown = 0;
    for (const auto& f : findings) {
        unknown += f.answer.unknown() ? 1 : 0;
        if (!f.contradicts) continue;
        ++contradictions;
        out << fmt::format("CONTRADICTION {}: cuDNN {} {}\n", f.check, f.release, f.subject);
        out << fmt::format("  release files:  {}\n", f.ours);
        out << fmt::format("  knowledge base: {} ({}) — {}\n", knowledge::to_string(f.answer.value),
                           f.answer.rule.empty() ? "-" : f.answer.rule, f.answer.reason);
        for (const auto& citation : f.answer.evidence) {
            out << fmt::format("  source:         {} ({})\n", citation.sourced() ? citation.url() : "unsourced",
                               citation.where());
        }
        out << "  what to do:     re-read the source above for this release; if it says what the knowledge base says, "
               "the release's files disagree with NVIDIA's own table (report it), else correct the entry\n\n";
    }
    // What the knowledge base cannot decide, with its reason: a row or fact to add (the procedure in
    // matrix/knowledge/README.md), never a disagreement.
    for (const auto& f : findings) {
        if (f.contradicts || !f.answer.unknown()) continue;
        out << fmt::format("UNDECIDED {}: cuDNN {} {}\n", f.check, f.release, f.subject);
        out << fmt::format("  release files:  {}\n", f.ours);
        out << fmt::format("  knowledge base: unknown ({}) — {}\n", f.answer.rule.empty() ? "-" : f.answer.rule,
                           f.answer.reason);
        for (const auto& citation : f.answer.evidence) {
            out << fmt::format("  source:         {} ({})\n", citation.sourced() ? citation.url() : "unsourced",
                               citation.where());
        }
        out << "\n";
    }
    const std::size_t agree = findings.size() - contradictions - unknown;
    out << fmt::format(
        "{} contradiction{}, {} agreement{}, {} undecided (knowledge base unknown) among {} release "
        "check{}\n",
        contradictions, contradictions == 1 ? "" : "s", agree, agree == 1 ? "" : "s", unknown, findings.size(),
        findings.size() == 1 ? "" : "s");
}

}  // namespace cuconform::report
