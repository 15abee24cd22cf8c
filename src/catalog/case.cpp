// SPDX-License-Identifier: Apache-2.0
/// \file Case registration and validation.
#include "catalog/case.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "core/build_info.h"

namespace cuconform {
namespace {

bool valid_segment(std::string_view s) {
    if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    for (char c : s) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

std::string camel(std::string_view s) {
    std::string out;
    bool upper = true;
    for (char c : s) {
        if (c == '_') {
            upper = true;
            continue;
        }
        out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        upper = false;
    }
    return out;
}

constexpr std::pair<Need, std::string_view> kNeedNames[] = {{Need::Runtime, "runtime"}, {Need::Cudnn, "cudnn"},
                                                            {Need::Cublas, "cublas"},   {Need::Driver, "driver"},
                                                            {Need::Gpu, "gpu"},         {Need::WholeGpu, "whole_gpu"}};

/// Seeds: shared/seeds/NNN, or the DESIGN.md scenario row the case comes from.
bool known_seed(std::string_view seed) {
    // The scenario rows of DESIGN.md's table.
    static const std::vector<std::string_view> rows = {"DESIGN.md: missing cuDNN / CUDA libraries",
                                                       "DESIGN.md: version skew",
                                                       "DESIGN.md: bad environment variables",
                                                       "DESIGN.md: GPU not visible, silent CPU fallback",
                                                       "DESIGN.md: input shape mismatch",
                                                       "DESIGN.md: dtype mismatch",
                                                       "DESIGN.md: non-differentiable custom op",
                                                       "DESIGN.md: float16 / bfloat16 on old GPUs",
                                                       "DESIGN.md: out of memory",
                                                       "DESIGN.md: op unimplemented for this device or version"};
    if (seed.size() == 3 && seed >= "000" && seed <= "004") return true;
    return std::find(rows.begin(), rows.end(), seed) != rows.end();
}

}  // namespace

std::string_view to_string(Need need) {
    for (const auto& [n, name] : kNeedNames) {
        if (n == need) return name;
    }
    return "?";
}

const std::vector<std::string>& known_labels() {
    static const std::vector<std::string> labels = {"bf16",       "compile", "control", "env", "fp16",
                                                    "graph_api",  "int8",    "matrix",  "rnn", "static",
                                                    "sublibrary", "fixture"};  // fixture: the harness's own test cases
    return labels;
}

bool CaseSpec::needs_gpu() const {
    return std::find_if(needs.begin(), needs.end(), [](Need n) { return n == Need::Gpu || n == Need::WholeGpu; }) !=
           needs.end();
}

bool CaseSpec::needs_whole_gpu() const { return std::find(needs.begin(), needs.end(), Need::WholeGpu) != needs.end(); }

std::string CaseSpec::rules() const {
    // The derived rules take the indentation of the written ones: a deeper line continues the rule above it.
    const auto first = expect.find_first_not_of(" \t\r\n");
    const auto line = expect.rfind('\n', first);
    const std::string indent =
        first == std::string::npos ? "" : expect.substr(line == std::string::npos ? 0 : line + 1, first - (line + 1));
    std::string text;
    for (const Need need : needs) {
        if (need != Need::Gpu && need != Need::WholeGpu)
            text += fmt::format("{}when !{} -> error(loader, LIBRARY_NOT_FOUND)\n", indent, to_string(need));
    }
    return text + expect;
}

std::vector<std::string> CaseSpec::all_labels() const {
    std::vector<std::string> out{needs_gpu() ? "gpu" : "no_gpu"};
    out.insert(out.end(), labels.begin(), labels.end());
    return out;
}

nlohmann::json Variant::to_json() const {
    nlohmann::json j{{"name", name}};
    if (!description.empty()) j["description"] = description;
    if (!hide.empty()) j["hide"] = hide;
    if (!env.empty()) {
        nlohmann::json e = nlohmann::json::object();
        for (const auto& [k, v] : env) e[k] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
        j["env"] = e;
    }
    if (strip_library_path) j["strip_library_path"] = true;
    if (memory_cap_mib) j["memory_cap_mib"] = *memory_cap_mib;
    if (fresh_process) j["fresh_process"] = true;
    return j;
}

std::vector<Variant> CaseSpec::runs() const {
    if (variants.empty()) return {Variant{}};
    return variants;
}

bool is_valid_case_id(std::string_view id) {
    int segments = 0;
    std::size_t start = 0;
    while (true) {
        auto dot = id.find('.', start);
        if (!valid_segment(id.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) {
            return false;
        }
        ++segments;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return segments >= 3;
}

std::string gtest_name(std::string_view id) {
    auto last = id.rfind('.');
    std::string suite;
    std::size_t start = 0;
    while (start < last) {
        auto dot = id.find('.', start);
        suite += camel(id.substr(start, dot - start));
        start = dot + 1;
    }
    return suite + "." + camel(id.substr(last + 1));
}

CaseRegistry& CaseRegistry::instance() {
    static CaseRegistry registry;
    return registry;
}

void CaseRegistry::add(CaseSpec spec) {
    auto where = fmt::format("{}:{}", spec.file, spec.line);
    if (!is_valid_case_id(spec.id)) {
        throw std::invalid_argument(
            fmt::format("{}: case id '{}' is not family.subfamily.case in lower_snake ([a-z][a-z0-9_]* per segment)",
                        where, spec.id));
    }
    if (find(spec.id) != nullptr) {
        throw std::invalid_argument(fmt::format("{}: case id '{}' is registered twice (first at {}:{})", where, spec.id,
                                                find(spec.id)->file, find(spec.id)->line));
    }
    if (!spec.reproduce) throw std::invalid_argument(fmt::format("{}: case '{}' has no reproducer", where, spec.id));
    if (spec.title.empty() || spec.symptom.empty() || spec.cause.empty() || spec.seed.empty()) {
        throw std::invalid_argument(
            fmt::format("{}: case '{}' needs a title, a symptom, a cause and a seed", where, spec.id));
    }
    const bool fixture = std::find(spec.labels.begin(), spec.labels.end(), "fixture") != spec.labels.end();
    if (!known_seed(spec.seed) && !(fixture && spec.seed == "test fixture")) {
        throw std::invalid_argument(
            fmt::format("{}: case '{}' has seed '{}': use a shared/seeds number (000-004) or "
                        "\"DESIGN.md: <scenario row>\"",
                        where, spec.id, spec.seed));
    }
    for (const auto& label : spec.labels) {
        if (std::find(known_labels().begin(), known_labels().end(), label) == known_labels().end()) {
            throw std::invalid_argument(
                fmt::format("{}: case '{}' has label '{}', which is not one of {} (gpu and "
                            "no_gpu come from .needs)",
                            where, spec.id, label, fmt::join(known_labels(), ", ")));
        }
    }
    for (std::size_t i = 0; i < spec.needs.size(); ++i) {
        if (std::find(spec.needs.begin(), spec.needs.begin() + static_cast<long>(i), spec.needs[i]) !=
            spec.needs.begin() + static_cast<long>(i)) {
            throw std::invalid_argument(
                fmt::format("{}: case '{}' needs {} twice", where, spec.id, to_string(spec.needs[i])));
        }
        const std::string derived =
            fmt::format("when !{} -> error(loader, LIBRARY_NOT_FOUND)", to_string(spec.needs[i]));
        if (spec.expect.find(derived) != std::string::npos) {
            throw std::invalid_argument(
                fmt::format("{}: case '{}' writes the rule `{}` that .needs already derives; "
                            "remove it from .expect",
                            where, spec.id, derived));
        }
    }
    for (const auto& v : spec.variants) {
        if (!valid_segment(v.name)) {
            throw std::invalid_argument(
                fmt::format("{}: case '{}' has a variant named '{}': use lower_snake", where, spec.id, v.name));
        }
    }
    cases_.push_back(std::move(spec));
}

const CaseSpec* CaseRegistry::find(std::string_view id) const {
    for (const auto& c : cases_) {
        if (c.id == id) return &c;
    }
    return nullptr;
}

/// `file` as the source tree names it ("cases/shape.cpp"), whichever way the compiler was given it: absolute, or
/// relative to the build folder (ccache's base_dir makes paths relative so that clones share the cache).
std::string source_relative(std::string file) {
    const std::string root = source_dir().string() + "/";
    if (file.starts_with(root)) return file.substr(root.size());
    while (file.starts_with("../")) file.erase(0, 3);
    return file;
}

CaseRegistrar::CaseRegistrar(CaseSpec spec, const char* file, int line) {
    spec.file = source_relative(file);
    spec.line = line;
    try {
        CaseRegistry::instance().add(std::move(spec));
    } catch (const std::exception& e) {
        // Registration runs before main(): a broken catalogue must stop the program with its reason.
        std::fprintf(stderr, "cuconform: invalid case: %s\n", e.what());
        std::_Exit(2);
    }
}

}  // namespace cuconform
