// SPDX-License-Identifier: Apache-2.0
/// \file Reading a waivers file. Needs only the expectation language and the YAML reader (no catalogue), so that the
/// fuzzer (tests/fuzz/) reads waivers exactly as a run does.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "core/yaml.h"
#include "run/waivers.h"

namespace cuconform::run {
namespace {

constexpr const char* kKeys[] = {"case", "variant", "when", "verdicts", "bug", "reason"};
/// The longest `when` a waiver may have: a predicate over a few facts is a line, and the parser's work grows with it.
constexpr std::size_t kMaxWhenLength = 4096;

std::string where(const std::string& path, const YAML::Node& node) {
    const int line = yaml::line_of(node);
    return line > 0 ? fmt::format("{}:{}", path, line) : path;
}

}  // namespace

std::vector<Waiver> parse_waivers(std::string_view text, const std::string& path,
                                  const expect::Vocabulary& vocabulary) {
    YAML::Node root;
    try {
        root = yaml::load(text, path);
    } catch (const yaml::Error& e) {
        throw std::runtime_error(e.what());
    }
    std::vector<Waiver> waivers;
    if (!root || root.IsNull()) return waivers;
    if (!root.IsMap() || !root["waivers"] || !(root["waivers"].IsSequence() || root["waivers"].IsNull())) {
        throw std::runtime_error(
            fmt::format("{}: expected a map with a `waivers:` list (see matrix/README.md)", where(path, root)));
    }
    for (const auto& kv : root) {
        if (yaml::key(kv.first) != "waivers") {
            throw std::runtime_error(fmt::format("{}: unknown key `{}`; a waivers file has only `waivers:`",
                                                 where(path, kv.first), yaml::key(kv.first)));
        }
    }
    const YAML::Node list = root["waivers"];
    if (list.IsNull()) return waivers;
    auto scalar = [&](const YAML::Node& node, const std::string& what) {
        try {
            return yaml::scalar(node, path, what);
        } catch (const yaml::Error& e) {
            throw std::runtime_error(e.what());
        }
    };
    for (const auto& entry : list) {
        const std::string at = where(path, entry);
        if (!entry.IsMap()) throw std::runtime_error(at + ": a waiver is a map with case, bug and reason");
        for (const auto& key : entry) {
            const auto name = yaml::key(key.first);
            if (std::find(std::begin(kKeys), std::end(kKeys), name) == std::end(kKeys)) {
                throw std::runtime_error(
                    fmt::format("{}: unknown key `{}`; a waiver has case, variant, when, "
                                "verdicts, bug, reason",
                                where(path, key.first), name));
            }
        }
        Waiver w;
        w.where = at;
        if (!entry["case"] || !entry["bug"] || !entry["reason"]) {
            throw std::runtime_error(at + ": a waiver needs `case` (an id glob), `bug` (https URL) and `reason`");
        }
        w.case_glob = scalar(entry["case"], "`case` (an id glob)");
        w.bug = scalar(entry["bug"], "`bug` (the bug report's https URL)");
        w.reason = scalar(entry["reason"], "`reason`");
        if (w.bug.rfind("https://", 0) != 0) {
            throw std::runtime_error(fmt::format("{}: bug `{}` is not an https URL; a waiver must link the bug report",
                                                 where(path, entry["bug"]), w.bug));
        }
        if (entry["variant"]) w.variant = scalar(entry["variant"], "`variant` (a variant name)");
        if (entry["when"]) {
            const auto when = scalar(entry["when"], "`when` (a predicate over the stack's facts)");
            if (when.size() > kMaxWhenLength) {
                throw std::runtime_error(
                    fmt::format("{}: `when` is {} characters long; a waiver's predicate is at most "
                                "{}: split the waiver into several",
                                where(path, entry["when"]), when.size(), kMaxWhenLength));
            }
            try {
                // Parsed as the predicate of a one-rule expectation, with the catalogue's vocabulary.
                auto parsed = expect::Expectation::parse(at, "when " + when + " -> ok\notherwise -> ok", vocabulary);
                w.when = parsed.rules().front().predicate;
            } catch (const expect::ExpectError& e) {
                throw std::runtime_error(fmt::format("{}: bad `when`: {}", where(path, entry["when"]), e.what()));
            }
        }
        if (const YAML::Node verdicts = entry["verdicts"]) {
            std::vector<YAML::Node> items;
            if (verdicts.IsSequence()) {
                for (const auto& v : verdicts) items.push_back(v);
            } else {
                items.push_back(verdicts);  // one verdict written without brackets
            }
            if (items.empty()) {
                throw std::runtime_error(
                    fmt::format("{}: `verdicts` is an empty list, so the waiver would cover "
                                "nothing; leave it out (FAIL only) or name them: [CRASH]",
                                where(path, verdicts)));
            }
            for (const auto& v : items) {
                const std::string text = scalar(v, "a verdict of `verdicts`");
                const auto verdict = parse_verdict(text);
                if (!verdict || !is_failure(*verdict)) {
                    throw std::runtime_error(
                        fmt::format("{}: `{}` is not a failing verdict (FAIL, CRASH, TIMEOUT, "
                                    "FLAKY)",
                                    where(path, v), text));
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

}  // namespace cuconform::run
