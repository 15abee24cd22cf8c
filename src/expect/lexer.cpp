// SPDX-License-Identifier: Apache-2.0
/// \file The expectation language's lexer and the small helpers the parser and evaluator share.
#include <cctype>

#include "expect/syntax.h"

namespace cuconform::expect::detail {
namespace {

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::string describe(const Token& t) {
    if (t.kind == Tok::End) return "the end of the rule";
    return fmt::format("'{}'", t.text);
}

/// Splits [begin, end) of the source into tokens. Whitespace (newlines included) and `#` comments separate them.
std::vector<Token> lex(const Source& src, std::size_t begin, std::size_t end) {
    const std::string_view s = src.text;
    std::vector<Token> out;
    std::size_t i = begin;
    auto emit = [&](Tok kind, std::size_t at, std::size_t len) {
        if (out.size() >= kMaxRuleTokens) {
            src.fail(at, fmt::format("the rule has more than {} tokens (kMaxRuleTokens); split it into several rules",
                                     kMaxRuleTokens));
        }
        out.push_back({kind, s.substr(at, len), at, {}});
    };
    while (i < end) {
        const char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        if (c == '#') {
            while (i < end && s[i] != '\n') ++i;
            continue;
        }
        const std::size_t at = i;
        if (is_ident_start(c)) {
            // A dotted path is one token: gpu.cc, cudnn.loaded.major, env.CUDA_VISIBLE_DEVICES.
            while (i < end && is_ident_char(s[i])) ++i;
            while (i + 1 < end && s[i] == '.' && is_ident_start(s[i + 1])) {
                ++i;
                while (i < end && is_ident_char(s[i])) ++i;
            }
            emit(Tok::Ident, at, i - at);
            continue;
        }
        if (is_digit(c)) {
            while (i < end && is_digit(s[i])) ++i;
            while (i + 1 < end && s[i] == '.' && is_digit(s[i + 1])) {
                ++i;
                while (i < end && is_digit(s[i])) ++i;
            }
            if (i < end && (is_ident_char(s[i]) || s[i] == '.')) {
                src.fail(i, fmt::format("expected an operator after the number '{}', found '{}' (numbers and versions "
                                        "are digits and dots, like 8.6 or 9.19.0; quote other text)",
                                        s.substr(at, i - at), s[i]));
            }
            emit(Tok::Number, at, i - at);
            continue;
        }
        if (c == '"') {
            std::string value;
            ++i;
            while (true) {
                if (i >= end || s[i] == '\n') {
                    src.fail(at,
                             "unterminated string: add a closing '\"' on the same line (write \\\" for a quote "
                             "inside the string)");
                }
                if (s[i] == '"') break;
                if (s[i] == '\\') {
                    if (i + 1 < end && (s[i + 1] == '"' || s[i + 1] == '\\')) {
                        value += s[i + 1];
                        i += 2;
                        continue;
                    }
                    src.fail(i, "unknown escape in string: only \\\" and \\\\ are escapes");
                }
                value += s[i++];
            }
            ++i;
            out.push_back({Tok::String, s.substr(at, i - at), at, std::move(value)});
            continue;
        }
        const char n = i + 1 < end ? s[i + 1] : '\0';
        auto two = [&](Tok kind) {
            emit(kind, at, 2);
            i += 2;
        };
        auto one = [&](Tok kind) {
            emit(kind, at, 1);
            i += 1;
        };
        switch (c) {
            case '(':
                one(Tok::LParen);
                continue;
            case ')':
                one(Tok::RParen);
                continue;
            case ',':
                one(Tok::Comma);
                continue;
            case '-':
                if (n == '>') {
                    two(Tok::Arrow);
                    continue;
                }
                src.fail(at,
                         "unexpected '-': the language has no arithmetic; '->' separates a predicate from its "
                         "outcome");
            case '=':
                if (n == '=') {
                    two(Tok::Eq);
                    continue;
                }
                src.fail(at, "expected '==' to compare (a single '=' is not an operator)");
            case '!':
                if (n == '=') {
                    two(Tok::Ne);
                } else {
                    one(Tok::Not);
                }
                continue;
            case '<':
                if (n == '=') {
                    two(Tok::Le);
                } else {
                    one(Tok::Lt);
                }
                continue;
            case '>':
                if (n == '=') {
                    two(Tok::Ge);
                } else {
                    one(Tok::Gt);
                }
                continue;
            case '&':
                if (n == '&') {
                    two(Tok::And);
                    continue;
                }
                src.fail(at, "expected '&&' (a single '&' is not an operator)");
            case '|':
                if (n == '|') {
                    two(Tok::Or);
                    continue;
                }
                src.fail(at, "expected '||' (a single '|' is not an operator)");
            default:
                src.fail(at,
                         fmt::format("unexpected character '{}': expected a fact, a literal, an operator or '->'", c));
        }
    }
    const std::size_t last = out.empty() ? begin : out.back().end();
    out.push_back({Tok::End, s.substr(last, 0), last, {}});
    return out;
}

std::optional<CmpOp> cmp_op(Tok t) {
    switch (t) {
        case Tok::Eq:
            return CmpOp::Eq;
        case Tok::Ne:
            return CmpOp::Ne;
        case Tok::Lt:
            return CmpOp::Lt;
        case Tok::Le:
            return CmpOp::Le;
        case Tok::Gt:
            return CmpOp::Gt;
        case Tok::Ge:
            return CmpOp::Ge;
        default:
            return std::nullopt;
    }
}

namespace {
constexpr std::string_view kComponents[] = {"major", "minor", "patch"};

}  // namespace

std::optional<std::pair<std::string_view, std::size_t>> split_component(std::string_view path) {
    const std::size_t dot = path.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const std::string_view last = path.substr(dot + 1);
    for (std::size_t i = 0; i < std::size(kComponents); ++i) {
        if (last == kComponents[i]) return std::pair{path.substr(0, dot), i};
    }
    return std::nullopt;
}

std::string join_listing(const std::vector<std::string>& items, std::size_t max) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < max; ++i) {
        if (i) out += ", ";
        out += items[i];
    }
    if (items.size() > max) out += fmt::format(", ... ({} more)", items.size() - max);
    return out;
}

}  // namespace cuconform::expect::detail
