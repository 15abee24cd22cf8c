// SPDX-License-Identifier: Apache-2.0
/// \file Reading waivers and matching them to failing results.
#include "run/waivers.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "catalog/facts.h"
#include "core/files.h"

namespace cuconform::run {
namespace embedded {
extern const std::string_view kWaiversYaml;  ///< matrix/waivers.yaml, compiled in (src/CMakeLists.txt)
}

namespace {

std::string where(const std::string& path, const YAML::Node& node) {
    return fmt::format("{}:{}", path, node.Mark().line + 1);
}

}  // namespace

std::vector<Waiver> load_waivers(const std::string& path) { return parse_waivers(read_file(path), path); }

const std::vector<Waiver>& builtin_waivers() {
    static const std::vector<Waiver> waivers = parse_waivers(embedded::kWaiversYaml, "matrix/waivers.yaml (built in)");
    return waivers;
}

std::vector<Waiver> parse_waivers(std::string_view text, const std::string& path) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        throw std::runtime_error(fmt::format("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg));
    }
    std::vector<Waiver> waivers;
    if (!root || root.IsNull()) return waivers;
    const YAML::Node list = root["waivers"];
    if (!root.IsMap() || !list || !(list.IsSequence() || list.IsNull())) {
        throw std::runtime_error(fmt::format("{}: expected a map with a `waivers:` list (see matrix/README.md)",
                                             where(path, root)));
    }
    if (list.IsNull()) return waivers;
    for (const auto& entry : list) {
        const std::string at = where(path, entry);
        if (!entry.IsMap()) throw std::runtime_error(at + ": a waiver is a map with case, bug and reason");
        for (const auto& key : entry) {
            const auto name = key.first.as<std::string>();
            if (name != "case" && name != "variant" && name != "when" && name != "verdicts" && name != "bug" &&
                name != "reason") {
                throw std::runtime_error(fmt::format("{}: unknown key `{}`; a waiver has case, variant, when, "
                                                     "verdicts, bug, reason", where(path, key.first), name));
            }
        }
        Waiver w;
        w.where = at;
        if (!entry["case"] || !entry["bug"] || !entry["reason"]) {
            throw std::runtime_error(at + ": a waiver needs `case` (an id glob), `bug` (https URL) and `reason`");
        }
        w.case_glob = entry["case"].as<std::string>();
        w.bug = entry["bug"].as<std::string>();
        w.reason = entry["reason"].as<std::string>();
        if (w.bug.rfind("https://", 0) != 0) {
            throw std::runtime_error(fmt::format("{}: bug `{}` is not an https URL; a waiver must link the bug report",
                                                 where(path, entry["bug"]), w.bug));
        }
        if (entry["variant"]) w.variant = entry["variant"].as<std::string>();
        if (entry["when"]) {
            const auto text = entry["when"].as<std::string>();
            try {
                // Parsed as the predicate of a one-rule expectation, with the catalogue's vocabulary.
                auto parsed = expect::Expectation::parse(at, "when " + text + " -> ok\notherwise -> ok",
                                                         catalog_vocabulary());
                w.when = parsed.rules().front().predicate;
            } catch (const expect::ExpectError& e) {
                throw std::runtime_error(fmt::format("{}: bad `when`: {}", where(path, entry["when"]), e.what()));
            }
        }
        if (entry["verdicts"]) {
            for (const auto& v : entry["verdicts"]) {
                const auto verdict = parse_verdict(v.as<std::string>());
                if (!verdict || !is_failure(*verdict)) {
                    throw std::runtime_error(fmt::format("{}: `{}` is not a failing verdict (FAIL, CRASH, TIMEOUT, "
                                                         "FLAKY)", where(path, v), v.as<std::string>()));
                }
                w.verdicts.push_back(*verdict);
            }
        } else {
            w.verdicts = {Verdict::Fail};
        }
        waivers.push_back(std::move(w));
    }
    return waivers;
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
