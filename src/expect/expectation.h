// SPDX-License-Identifier: Apache-2.0
/// \file Expectations: ordered `when <predicate> -> <outcome>` rules ending in `otherwise -> <outcome>`, parsed
/// against a vocabulary of facts and functions and decided against the facts of one stack.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.h"
#include "expect/facts.h"
#include "expect/value.h"

namespace cuconform::expect {

/// Deepest nesting of parentheses, `!` and function calls in a predicate (the catalogue's deepest is 3).
inline constexpr int kMaxExpressionDepth = 64;
/// Most tokens in one rule (the catalogue's longest has about 60).
inline constexpr std::size_t kMaxRuleTokens = 10'000;

/// A syntax or vocabulary error in an expectation or an outcome. what() names the case id, the rule (1-based),
/// the line and the column, shows the line with a caret under the column and says what was expected.
class ExpectError : public std::runtime_error {
public:
    ExpectError(std::string message, std::string case_id, int rule, int line, int column, std::string detail);

    const std::string& case_id() const { return case_id_; }
    int rule() const { return rule_; }      ///< 1-based; 0 when the error is not inside a rule.
    int line() const { return line_; }      ///< 1-based line of the expectation text; 0 when none.
    int column() const { return column_; }  ///< 1-based byte column in that line; 0 when none.
    const std::string& detail() const { return detail_; }  ///< The message without location and excerpt.

private:
    std::string case_id_;
    int rule_;
    int line_;
    int column_;
    std::string detail_;
};

/// The facts and functions an expectation may name. Checked at parse time, so a typo fails when the catalogue
/// loads, not on the one stack where the rule is reached.
struct Vocabulary {
    /// True for a fact path predicates may read. `x.major`/`.minor`/`.patch` are accepted whenever `x` is.
    std::function<bool(std::string_view path)> is_fact;
    /// Function name -> number of arguments.
    std::map<std::string, int, std::less<>> functions;
    /// What error messages list as the known facts (patterns such as `env.*`); may be empty.
    std::vector<std::string> listing;

    /// A vocabulary from patterns: `gpu.cc` matches that path only, `env.*` any path below `env.`.
    static Vocabulary from_patterns(std::vector<std::string> patterns, std::map<std::string, int, std::less<>> functions = {});

    /// is_fact(path), or `path` is `x.major`/`x.minor`/`x.patch` with is_fact(x).
    bool knows_fact(std::string_view path) const;
};

/// A parsed predicate. Cheap to copy (the tree is shared and immutable).
class Predicate {
public:
    struct Node;
    explicit Predicate(std::shared_ptr<const Node> root, std::string text) : root_(std::move(root)), text_(std::move(text)) {}

    /// Evaluates against `facts`. Appends `path = value` for each fact and call it reads (in order, once each) to
    /// `reads`, and a sentence per comparison between incompatible types to `notes`; both may be null.
    bool holds(const Facts& facts, std::vector<std::pair<std::string, std::string>>* reads = nullptr,
               std::vector<std::string>* notes = nullptr) const;
    /// The predicate's source text, whitespace-normalised to single spaces between lines.
    const std::string& text() const { return text_; }
    /// Every fact path the predicate names, in order of appearance, without duplicates.
    std::vector<std::string> fact_paths() const;

private:
    std::shared_ptr<const Node> root_;
    std::string text_;
};

/// One rule. `predicate` is empty for `otherwise`.
struct Rule {
    std::optional<Predicate> predicate;
    Outcome outcome;
    std::string text;  ///< The rule as written, continuation lines joined with single spaces, comment removed.
    int line = 0;      ///< 1-based line of the rule's first line in the expectation text.
};

/// What an expectation decides for one stack, and why.
struct Decision {
    Outcome outcome;
    int rule_index = 0;     ///< 0-based index into rules().
    std::string rule_text;  ///< Rule::text of the deciding rule.
    /// The facts read by the deciding predicate and those before it, `gpu.cc = 8.6; cudnn.loaded = 9.19.0`, then
    /// any comparison notes; "no facts read" when the first rule is `otherwise`.
    std::string why;
};

class Expectation {
public:
    /// Parses rule text. Lines: `when <predicate> -> <outcome>` or `otherwise -> <outcome>` (exactly one, last);
    /// blank lines and `#` comments are ignored; a line indented more than the rule's first line continues it.
    /// Line numbers count from the first line of `text`. Throws ExpectError.
    static Expectation parse(std::string_view case_id, std::string_view text, const Vocabulary& vocabulary);

    const std::vector<Rule>& rules() const { return rules_; }
    const std::string& case_id() const { return case_id_; }

    /// The first rule whose predicate holds decides (`otherwise` always holds).
    Decision decide(const Facts& facts) const;

private:
    std::string case_id_;
    std::vector<Rule> rules_;
};

/// Parses one outcome in rule syntax: `ok`, `error(<domain>, <NAME>)`, `unsupported("reason")`.
/// Throws ExpectError (no case id; rule 0) naming the column and what was expected.
Outcome parse_outcome(std::string_view text);

}  // namespace cuconform::expect
