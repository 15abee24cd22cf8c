// SPDX-License-Identifier: Apache-2.0
/// \file Case registration and validation.
#include "catalog/case.h"

#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <stdexcept>

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

}  // namespace

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
        throw std::invalid_argument(fmt::format(
            "{}: case id '{}' is not family.subfamily.case in lower_snake ([a-z][a-z0-9_]* per segment)", where, spec.id));
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

CaseRegistrar::CaseRegistrar(CaseSpec spec, const char* file, int line) {
    spec.file = file;
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
