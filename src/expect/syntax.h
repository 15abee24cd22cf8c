// SPDX-License-Identifier: Apache-2.0
/// \file Inside expect/: tokens, the source being parsed, the syntax tree, and the entry points of the lexer
/// (lexer.cpp), parser (parser.cpp) and evaluator (evaluate.cpp). Not for other rooms: they use expectation.h.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expect/expectation.h"

namespace cuconform::expect {
namespace detail {

enum class Tok { Ident, Number, String, LParen, RParen, Comma, Arrow, Not, And, Or, Eq, Ne, Lt, Le, Gt, Ge, End };

struct Token {
    Tok kind = Tok::End;
    std::string_view text;   ///< As written (strings with their quotes).
    std::size_t offset = 0;  ///< Into the whole expectation text.
    std::string value;       ///< String tokens: the decoded contents.

    std::size_t end() const { return offset + text.size(); }
};

/// The text being parsed and which rule we are in, so that every error can name its place.
struct Source {
    std::string_view case_id;
    std::string_view text;
    int rule = 0;
    bool lone_outcome = false;  ///< parse_outcome: no case, no rules.

    struct Place {
        int line = 0;
        int column = 0;
        std::string_view line_text;
    };

    Place place(std::size_t offset) const {
        offset = std::min(offset, text.size());
        const std::size_t line_begin = offset == 0 ? 0 : text.rfind('\n', offset - 1) + 1;  // npos + 1 == 0
        std::size_t line_end = text.find('\n', offset);
        if (line_end == std::string_view::npos) line_end = text.size();
        std::string_view line_text = text.substr(line_begin, line_end - line_begin);
        if (!line_text.empty() && line_text.back() == '\r') line_text.remove_suffix(1);
        const auto line =
            static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(line_begin), '\n')) + 1;
        return {line, static_cast<int>(offset - line_begin) + 1, line_text};
    }

    /// "column 9", or "line 4, column 9" when `offset` is on another line than `here`.
    std::string column_of(std::size_t offset, std::size_t here) const {
        const Place p = place(offset);
        if (p.line != place(here).line) return fmt::format("line {}, column {}", p.line, p.column);
        return fmt::format("column {}", p.column);
    }

    [[noreturn]] void fail(std::size_t offset, const std::string& detail) const {
        const Place p = place(offset);
        std::string where;
        if (lone_outcome) {
            where = fmt::format("outcome, column {}", p.column);
        } else if (rule > 0) {
            where = fmt::format("case {}, rule {} (line {}), column {}", case_id, rule, p.line, p.column);
        } else {
            where = fmt::format("case {}, line {}, column {}", case_id, p.line, p.column);
        }
        // Keep tabs in the caret line so that the caret sits under the column whatever the tab width.
        std::string caret;
        for (std::size_t i = 0; i + 1 < static_cast<std::size_t>(p.column) && i < p.line_text.size(); ++i) {
            caret += p.line_text[i] == '\t' ? '\t' : ' ';
        }
        caret += '^';
        throw ExpectError(fmt::format("{}: {}\n    {}\n    {}", where, detail, p.line_text, caret),
                          std::string(case_id), rule, p.line, p.column, detail);
    }

    [[noreturn]] void fail_whole(const std::string& detail) const {
        throw ExpectError(fmt::format("case {}: {}", case_id, detail), std::string(case_id), 0, 0, 0, detail);
    }
};

enum class CmpOp { Eq, Ne, Lt, Le, Gt, Ge };

/// "the end of the rule", or the token as written in quotes.
std::string describe(const Token& t);
/// The tokens of text[begin, end); ends with a Tok::End. Throws ExpectError at the first bad character.
std::vector<Token> lex(const Source& src, std::size_t begin, std::size_t end);
std::optional<CmpOp> cmp_op(Tok t);
/// For `x.major` / `x.minor` / `x.patch`: the prefix `x` and the component index.
std::optional<std::pair<std::string_view, std::size_t>> split_component(std::string_view path);
/// The first `max` items, then how many more.
std::string join_listing(const std::vector<std::string>& items, std::size_t max);

}  // namespace detail

struct Predicate::Node {
    enum class Kind { Literal, Fact, Call, Not, And, Or, Compare };
    Kind kind = Kind::Literal;
    Value value;                                ///< Literal.
    std::optional<cuconform::Version> spelled;  ///< Numeric literal: its spelling as a version (5.10 stays 5.10).
    std::string name;                           ///< Fact path or function name.
    detail::CmpOp op = detail::CmpOp::Eq;       ///< Compare.
    std::string text;                           ///< Compare: the comparison as written, for notes.
    std::vector<std::shared_ptr<const Node>> kids;
};

using NodePtr = std::shared_ptr<const Predicate::Node>;
using Node = Predicate::Node;

namespace detail {

/// One rule of one case (parser.cpp).
Rule parse_rule(const Source& src, std::vector<Token> tokens, const Vocabulary& vocabulary);
/// A lone outcome, nothing after it (parser.cpp).
Outcome parse_lone_outcome(const Source& src, std::vector<Token> tokens);
/// Whether `node` holds on `facts`; what it read and noted goes to `reads` and `notes` (evaluate.cpp).
bool evaluate(const Node& node, const Facts& facts, std::vector<std::pair<std::string, std::string>>* reads,
              std::vector<std::string>* notes);
/// Every fact path the tree reads, once each.
void collect_paths(const Node& node, std::vector<std::string>& out);

}  // namespace detail
}  // namespace cuconform::expect
