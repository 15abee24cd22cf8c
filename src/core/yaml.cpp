// SPDX-License-Identifier: Apache-2.0
/// \file Strict YAML loading: one document, unique keys, bounded depth and size, errors with file:line.
#include "core/yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

namespace cuconform::yaml {

Error::Error(std::string file, int line, const std::string& message)
    : std::runtime_error(line > 0 ? fmt::format("{}:{}: {}", file, line, message)
                                  : fmt::format("{}: {}", file, message)),
      file_(std::move(file)),
      line_(line),
      detail_(message) {}

int line_of(const YAML::Node& node) {
    if (!node.IsDefined()) return 0;
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? 0 : mark.line + 1;
}

namespace {

/// Walks the tree once (aliases again at each use), checking keys, depth and size. Recursion is bounded by kMaxDepth.
class Checker {
public:
    explicit Checker(const std::string& file) : file_(file) {}

    void check(const YAML::Node& node, int depth) {
        if (++nodes_ > kMaxNodes) {
            throw Error(file_, line_of(node),
                        fmt::format("more than {} values (counting each use of an alias anew); cuconform's YAML files "
                                    "are far smaller: is an alias used inside what it names?",
                                    kMaxNodes));
        }
        if (node.IsMap() || node.IsSequence()) {
            if (depth >= kMaxDepth) {
                throw Error(file_, line_of(node),
                            fmt::format("nested deeper than {} levels of mappings and lists; no cuconform file needs "
                                        "that many",
                                        kMaxDepth));
            }
        }
        if (node.IsScalar()) check_utf8(node);
        if (node.IsSequence()) {
            for (const auto& item : node) check(item, depth + 1);
        } else if (node.IsMap()) {
            std::set<std::string> seen;
            for (const auto& kv : node) {
                if (!kv.first.IsScalar()) {
                    throw Error(file_, line_of(kv.first),
                                "a key must be a single word or value, not a list or mapping");
                }
                check_utf8(kv.first);
                const std::string name = kv.first.Scalar();
                if (!seen.insert(name).second) {
                    int first = 0;
                    for (const auto& other : node) {
                        if (other.first.IsScalar() && other.first.Scalar() == name) {
                            first = line_of(other.first);
                            break;
                        }
                    }
                    throw Error(file_, line_of(kv.first),
                                fmt::format("key '{}' is given twice in one mapping (first at line {}); YAML would "
                                            "silently keep only one: keep one, remove or rename the other",
                                            name, first));
                }
                check(kv.second, depth + 1);
            }
        }
    }

private:
    /// Everything cuconform writes from these values (JSON, HTML, JUnit) is UTF-8; a stray byte is refused here,
    /// where the file and line are known, not later by a JSON writer that knows neither.
    void check_utf8(const YAML::Node& scalar) const {
        try {
            (void)nlohmann::json(scalar.Scalar()).dump();  // the JSON writer's own UTF-8 check
        } catch (const nlohmann::json::type_error& e) {
            std::string why = e.what();
            if (const auto at = why.find("invalid UTF-8"); at != std::string::npos) why = why.substr(at);
            throw Error(file_, line_of(scalar),
                        fmt::format("the value is not UTF-8 ({} of the value); cuconform reads UTF-8 files only: "
                                    "re-save the file as UTF-8",
                                    why));
        }
    }

    const std::string& file_;
    std::size_t nodes_ = 0;
};

/// Remembers where the last document's content starts (its first node; else its `---`), and drops every other event.
class DocumentStarts : public YAML::EventHandler {
public:
    int line = 0;  ///< 1-based.

    void OnDocumentStart(const YAML::Mark& mark) override {
        line = line_of(mark);
        first_node_ = true;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
        node(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        node(mark);
    }
    void OnMapEnd() override {}

private:
    static int line_of(const YAML::Mark& mark) { return mark.is_null() ? 0 : mark.line + 1; }
    void node(const YAML::Mark& mark) {
        if (first_node_ && line_of(mark) > 0) line = line_of(mark);
        first_node_ = false;
    }
    bool first_node_ = false;
};

/// The line where a second document starts, or 0 when the text holds one document (or none). Not YAML::LoadAll: on
/// some broken input ("  - a\n , b") yaml-cpp's parser hands out one empty document after another at the same place
/// without consuming anything, and LoadAll collects them until memory runs out. Two documents are all we ask for.
int second_document_line(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    if (!parser.HandleNextDocument(starts) || !parser.HandleNextDocument(starts)) return 0;
    return std::max(starts.line, 1);
}

}  // namespace

YAML::Node load(std::string_view text, const std::string& file) {
    std::vector<YAML::Node> documents;
    int second_line = 0;
    try {
        const std::string copy(text);
        // The first document as a tree (YAML::Load reads that one only), then whether a second follows.
        documents.push_back(YAML::Load(copy));
        second_line = second_document_line(copy);
    } catch (const YAML::DeepRecursion& e) {
        throw Error(file, e.mark.line + 1,
                    fmt::format("nested deeper than the YAML reader allows ({} levels); no cuconform file needs that "
                                "many",
                                e.depth()));
    } catch (const YAML::Exception& e) {
        throw Error(file, e.mark.is_null() ? 0 : e.mark.line + 1,
                    fmt::format("not valid YAML: {}; fix the syntax at that line", e.msg));
    }
    if (second_line > 0) {
        throw Error(file, second_line,
                    fmt::format("a second YAML document (after '---', or where the indentation of the first ends); "
                                "cuconform reads one document per file, and would ignore everything from here on: "
                                "merge it into the first or remove the '---'"));
    }
    if (!documents.front().IsDefined() || documents.front().IsNull()) return YAML::Node(YAML::NodeType::Null);
    Checker(file).check(documents.front(), 0);
    return documents.front();
}

std::string scalar(const YAML::Node& node, const std::string& file, const std::string& what) {
    if (!node.IsDefined() || node.IsNull()) {
        throw Error(file, line_of(node), fmt::format("{} is empty; give it a value", what));
    }
    if (!node.IsScalar()) {
        throw Error(file, line_of(node),
                    fmt::format("{} must be a single value (a string or a number), not {}", what,
                                node.IsSequence() ? "a list" : "a mapping"));
    }
    return node.Scalar();
}

std::string key(const YAML::Node& key_node) { return key_node.IsScalar() ? key_node.Scalar() : std::string(); }

}  // namespace cuconform::yaml
