// SPDX-License-Identifier: Apache-2.0
/// \file Reading waivers and matching them to failing results.
#include "run/waivers.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <stdexcept>

#include "catalog/facts.h"
#include "core/files.h"

namespace cuconform::run {
namespace embedded {
extern const std::string_view kWaiversYaml;  ///< matrix/waivers.yaml, compiled in (src/CMakeLists.txt)
}

std::vector<Waiver> load_waivers(const std::string& path) { return parse_waivers(read_file(path), path); }

const std::vector<Waiver>& builtin_waivers() {
    static const std::vector<Waiver> waivers = parse_waivers(embedded::kWaiversYaml, "matrix/waivers.yaml (built in)");
    return waivers;
}

std::vector<Waiver> parse_waivers(std::string_view text, const std::string& path) {
    return parse_waivers(text, path, catalog_vocabulary());
}

const Waiver* find_waiver(const std::vector<Waiver>& waivers, const std::string& case_id, const Variant& variant,
                          Verdict verdict, const results::Fingerprint& fingerprint) {
    for (const auto& w : waivers) {
        if (fnmatch(w.case_glob.c_str(), case_id.c_str(), 0) != 0) continue;
        if (!w.variant.empty() && w.variant != variant.name) continue;
        if (std::find(w.verdicts.begin(), w.verdicts.end(), verdict) == w.verdicts.end()) continue;
        if (w.when && !w.when->holds(*facts_from_fingerprint(fingerprint, variant))) continue;
        return &w;
    }
    return nullptr;
}

}  // namespace cuconform::run
