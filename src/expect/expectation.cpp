// SPDX-License-Identifier: Apache-2.0
/// \file Lexer, recursive-descent parser and evaluator of the expectation language.
#include "expect/expectation.h"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <utility>

namespace cuconform::expect {

// ---------------------------------------------------------------------------------------------------------------
// Errors

ExpectError::ExpectError(std::string message, std::string case_id, int rule, int line, int column, std::string detail)
    : std::runtime_error(std::move(message)),
      case_id_(std::move(case_id)),
      rule_(rule),
      line_(line),
      column_(column),
      detail_(std::move(detail)) {}

namespace {

enum class Tok { Ident, Number, String, LParen, RParen, Comma, Arrow, Not, And, Or, Eq, Ne, Lt, Le, Gt, Ge, End };

struct Token {
    Tok kind = Tok::End;
    std::string_view text;  ///< As written (strings with their quotes).
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
        const auto line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(line_begin), '\n')) + 1;
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
        throw ExpectError(fmt::format("{}: {}\n    {}\n    {}", where, detail, p.line_text, caret), std::string(case_id),
                          rule, p.line, p.column, detail);
    }

    [[noreturn]] void fail_whole(const std::string& detail) const {
        throw ExpectError(fmt::format("case {}: {}", case_id, detail), std::string(case_id), 0, 0, 0, detail);
    }
};

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

std::string describe(const Token& t) {
    if (t.kind == Tok::End) return "the end of the rule";
    return fmt::format("'{}'", t.text);
}

/// Splits [begin, end) of the source into tokens. Whitespace (newlines included) and `#` comments separate them.
std::vector<Token> lex(const Source& src, std::size_t begin, std::size_t end) {
    const std::string_view s = src.text;
    std::vector<Token> out;
    std::size_t i = begin;
    auto emit = [&](Tok kind, std::size_t at, std::size_t len) { out.push_back({kind, s.substr(at, len), at, {}}); };
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
                    src.fail(at, "unterminated string: add a closing '\"' on the same line (write \\\" for a quote "
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
            case '(': one(Tok::LParen); continue;
            case ')': one(Tok::RParen); continue;
            case ',': one(Tok::Comma); continue;
            case '-':
                if (n == '>') {
                    two(Tok::Arrow);
                    continue;
                }
                src.fail(at, "unexpected '-': the language has no arithmetic; '->' separates a predicate from its "
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
                src.fail(at, fmt::format("unexpected character '{}': expected a fact, a literal, an operator or '->'",
                                         c));
        }
    }
    const std::size_t last = out.empty() ? begin : out.back().end();
    out.push_back({Tok::End, s.substr(last, 0), last, {}});
    return out;
}

enum class CmpOp { Eq, Ne, Lt, Le, Gt, Ge };

std::optional<CmpOp> cmp_op(Tok t) {
    switch (t) {
        case Tok::Eq: return CmpOp::Eq;
        case Tok::Ne: return CmpOp::Ne;
        case Tok::Lt: return CmpOp::Lt;
        case Tok::Le: return CmpOp::Le;
        case Tok::Gt: return CmpOp::Gt;
        case Tok::Ge: return CmpOp::Ge;
        default: return std::nullopt;
    }
}

constexpr std::string_view kComponents[] = {"major", "minor", "patch"};

/// For `x.major` / `x.minor` / `x.patch`: the prefix `x` and the component index.
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

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Syntax tree

struct Predicate::Node {
    enum class Kind { Literal, Fact, Call, Not, And, Or, Compare };
    Kind kind = Kind::Literal;
    Value value;                             ///< Literal.
    std::optional<cuconform::Version> spelled;  ///< Numeric literal: its spelling as a version (5.10 stays 5.10).
    std::string name;                        ///< Fact path or function name.
    CmpOp op = CmpOp::Eq;                    ///< Compare.
    std::string text;                        ///< Compare: the comparison as written, for notes.
    std::vector<std::shared_ptr<const Node>> kids;
};

using NodePtr = std::shared_ptr<const Predicate::Node>;
using Node = Predicate::Node;

namespace {

/// Recursive descent over one rule's tokens. Precedence, loosest first: `||`, `&&`, comparison (does not chain),
/// unary `!`, primary. As in C, `!a == b` is `(!a) == b`.
class Parser {
public:
    Parser(const Source& src, std::vector<Token> tokens, const Vocabulary* vocabulary)
        : src_(src), toks_(std::move(tokens)), vocab_(vocabulary) {}

    Rule rule() {
        Rule r;
        const Token& first = peek();
        r.line = src_.place(first.offset).line;
        if (first.kind == Tok::Ident && first.text == "when") {
            next();
            const std::size_t pred_begin = peek().offset;
            NodePtr root = disjunction();
            const std::size_t pred_end = toks_[pos_ - 1].end();
            if (peek().kind != Tok::Arrow) {
                src_.fail(peek().offset, fmt::format("expected '->' and an outcome after the predicate, found {}",
                                                     describe(peek())));
            }
            r.predicate.emplace(std::move(root), spelled(pred_begin, pred_end));
        } else if (first.kind == Tok::Ident && first.text == "otherwise") {
            next();
            if (peek().kind != Tok::Arrow) {
                src_.fail(peek().offset, fmt::format("expected '->' after 'otherwise', found {}", describe(peek())));
            }
        } else {
            src_.fail(first.offset, fmt::format("expected 'when <predicate> -> <outcome>' or 'otherwise -> <outcome>' "
                                                "at the start of a rule, found {}",
                                                describe(first)));
        }
        next();  // '->'
        r.outcome = outcome();
        finish("the outcome; a rule ends with its outcome (put remarks in a # comment)");
        r.text = spelled(toks_.front().offset, toks_[toks_.size() - 2].end());
        return r;
    }

    Outcome outcome() {
        const Token t = next();
        if (t.kind == Tok::Ident && t.text == "ok") return Outcome::ok();
        if (t.kind == Tok::Ident && t.text == "error") {
            const Token& open = expect(Tok::LParen, "'(' after 'error': error(<domain>, <NAME>)");
            const Token d = next();
            std::optional<Domain> domain;
            if (d.kind == Tok::Ident) domain = parse_domain(d.text);
            if (!domain) {
                src_.fail(d.offset, fmt::format("unknown error domain {}: expected one of cuda, cudnn, cublas, "
                                                "loader, compile, harness",
                                                describe(d)));
            }
            expect(Tok::Comma, "',' after the domain: error(<domain>, <NAME>)");
            const Token n = next();
            if (n.kind != Tok::Ident || n.text.find('.') != std::string_view::npos) {
                src_.fail(n.offset, fmt::format("expected the error's NAME (an identifier such as "
                                                "CUDNN_STATUS_BAD_PARAM), found {}",
                                                describe(n)));
            }
            close(open, "the outcome error(");
            return Outcome::error(*domain, std::string(n.text));
        }
        if (t.kind == Tok::Ident && t.text == "unsupported") {
            const Token& open = expect(Tok::LParen, "'(' after 'unsupported': unsupported(\"reason\")");
            const Token reason = next();
            if (reason.kind != Tok::String) {
                src_.fail(reason.offset, fmt::format("expected the reason as a quoted string: unsupported(\"needs a "
                                                     "GPU\"), found {}",
                                                     describe(reason)));
            }
            close(open, "the outcome unsupported(");
            return Outcome::unsupported(reason.value);
        }
        src_.fail(t.offset, fmt::format("expected an outcome: ok, error(<domain>, <NAME>) or unsupported(\"reason\"), "
                                        "found {}",
                                        describe(t)));
    }

    /// Requires that every token was consumed; `after` names what came last.
    void finish(std::string_view after) {
        if (peek().kind != Tok::End) {
            src_.fail(peek().offset, fmt::format("unexpected {} after {}", describe(peek()), after));
        }
    }

private:
    const Token& peek() const { return toks_[pos_]; }
    const Token& next() {
        const Token& t = toks_[pos_];
        if (t.kind != Tok::End) ++pos_;
        return t;
    }
    const Token& expect(Tok kind, std::string_view what) {
        if (peek().kind != kind) src_.fail(peek().offset, fmt::format("expected {}, found {}", what, describe(peek())));
        return next();
    }
    void close(const Token& open, std::string_view what) {
        if (peek().kind != Tok::RParen) {
            src_.fail(peek().offset, fmt::format("expected ')' to close {} opened at {}, found {}", what,
                                                 src_.column_of(open.offset, peek().offset), describe(peek())));
        }
        next();
    }

    /// The source between two offsets with each run of whitespace and comments between tokens made one space.
    std::string spelled(std::size_t begin, std::size_t end) const {
        std::string out;
        std::size_t prev_end = std::string::npos;
        for (const Token& t : toks_) {
            if (t.kind == Tok::End || t.offset < begin || t.end() > end) continue;
            if (prev_end != std::string::npos && t.offset > prev_end) out += ' ';
            out += t.text;
            prev_end = t.end();
        }
        return out;
    }

    NodePtr disjunction() {
        NodePtr lhs = conjunction();
        while (peek().kind == Tok::Or) {
            next();
            auto n = std::make_shared<Node>();
            n->kind = Node::Kind::Or;
            n->kids = {std::move(lhs), conjunction()};
            lhs = std::move(n);
        }
        return lhs;
    }

    NodePtr conjunction() {
        NodePtr lhs = comparison();
        while (peek().kind == Tok::And) {
            next();
            auto n = std::make_shared<Node>();
            n->kind = Node::Kind::And;
            n->kids = {std::move(lhs), comparison()};
            lhs = std::move(n);
        }
        return lhs;
    }

    NodePtr comparison() {
        const std::size_t begin = peek().offset;
        NodePtr lhs = unary();
        const auto op = cmp_op(peek().kind);
        if (!op) return lhs;
        next();
        auto n = std::make_shared<Node>();
        n->kind = Node::Kind::Compare;
        n->op = *op;
        n->kids = {std::move(lhs), unary()};
        n->text = spelled(begin, toks_[pos_ - 1].end());
        if (cmp_op(peek().kind)) {
            src_.fail(peek().offset, fmt::format("comparisons do not chain: write 'a < b && b < c' instead of "
                                                 "'a < b < c' (found {} after '{}')",
                                                 describe(peek()), n->text));
        }
        return n;
    }

    NodePtr unary() {
        if (peek().kind == Tok::Not) {
            next();
            auto n = std::make_shared<Node>();
            n->kind = Node::Kind::Not;
            n->kids = {unary()};
            return n;
        }
        return primary();
    }

    NodePtr primary() {
        const Token t = next();
        auto n = std::make_shared<Node>();
        switch (t.kind) {
            case Tok::LParen: {
                NodePtr inner = disjunction();
                if (peek().kind != Tok::RParen) {
                    src_.fail(peek().offset, fmt::format("expected ')' to close '(' opened at {}, found {}",
                                                         src_.column_of(t.offset, peek().offset), describe(peek())));
                }
                next();
                return inner;
            }
            case Tok::Number: {
                auto version = cuconform::Version::parse(t.text);
                if (!version) src_.fail(t.offset, fmt::format("'{}' is not a number or a version", t.text));
                if (std::count(t.text.begin(), t.text.end(), '.') >= 2) {
                    n->value = *version;  // 9.19.0 can only be a version
                } else {
                    n->value = std::stod(std::string(t.text));
                    n->spelled = *version;
                }
                return n;
            }
            case Tok::String: n->value = t.value; return n;
            case Tok::Ident: break;
            default:
                src_.fail(t.offset, fmt::format("expected a fact, a literal, a function call, '(' or '!', found {}",
                                                describe(t)));
        }
        if (t.text == "true" || t.text == "false") {
            n->value = t.text == "true";
            return n;
        }
        if (t.text == "null") return n;
        n->name = std::string(t.text);
        if (peek().kind == Tok::LParen) return call(t, std::move(n));
        if (vocab_ && !vocab_->knows_fact(t.text)) {
            const std::string known = vocab_->listing.empty()
                                          ? std::string("the vocabulary does not list them")
                                          : join_listing(vocab_->listing, 24);
            src_.fail(t.offset, fmt::format("unknown fact '{}': check the spelling, or add the fact to the vocabulary "
                                            "(known facts: {})",
                                            t.text, known));
        }
        n->kind = Node::Kind::Fact;
        return n;
    }

    NodePtr call(const Token& name, std::shared_ptr<Node> n) {
        if (name.text.find('.') != std::string_view::npos) {
            src_.fail(name.offset, fmt::format("'{}' is a fact path and cannot be called; only function names (no "
                                               "dots) take arguments",
                                               name.text));
        }
        const auto fn = vocab_ ? vocab_->functions.find(name.text) : decltype(vocab_->functions.end()){};
        if (vocab_ && fn == vocab_->functions.end()) {
            std::vector<std::string> known;
            for (const auto& [f, arity] : vocab_->functions) known.push_back(fmt::format("{}/{}", f, arity));
            src_.fail(name.offset, fmt::format("unknown function '{}': check the spelling (known functions: {})",
                                               name.text, known.empty() ? "none" : join_listing(known, 24)));
        }
        const Token& open = next();
        n->kind = Node::Kind::Call;
        if (peek().kind != Tok::RParen) {
            n->kids.push_back(disjunction());
            while (peek().kind == Tok::Comma) {
                next();
                n->kids.push_back(disjunction());
            }
        }
        if (peek().kind != Tok::RParen) {
            src_.fail(peek().offset, fmt::format("expected ',' or ')' to close the call '{}(' opened at {}, found {}",
                                                 name.text, src_.column_of(open.offset, peek().offset),
                                                 describe(peek())));
        }
        next();
        if (vocab_ && static_cast<int>(n->kids.size()) != fn->second) {
            src_.fail(name.offset, fmt::format("function '{}' takes {} argument{}, given {}", name.text, fn->second,
                                               fn->second == 1 ? "" : "s", n->kids.size()));
        }
        return n;
    }

    const Source& src_;
    std::vector<Token> toks_;
    const Vocabulary* vocab_;
    std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

class Evaluator {
public:
    Evaluator(const Facts& facts, std::vector<std::pair<std::string, std::string>>* reads,
              std::vector<std::string>* notes)
        : facts_(facts), reads_(reads), notes_(notes) {}

    Value eval(const Node& n) {
        switch (n.kind) {
            case Node::Kind::Literal: return n.value;
            case Node::Kind::Fact: return fact(n.name);
            case Node::Kind::Call: return call(n);
            case Node::Kind::Not: return !eval(*n.kids[0]).truthy();
            case Node::Kind::And: return eval(*n.kids[0]).truthy() && eval(*n.kids[1]).truthy();
            case Node::Kind::Or: return eval(*n.kids[0]).truthy() || eval(*n.kids[1]).truthy();
            case Node::Kind::Compare: return compare(n);
        }
        return Value();
    }

private:
    Value fact(const std::string& path) {
        std::optional<Value> v = facts_.get(path);
        if (!v) {
            // `x.major` works on a version fact `x` without the Facts object knowing the component path.
            if (auto split = split_component(path)) {
                if (auto whole = facts_.get(split->first)) {
                    std::optional<cuconform::Version> version;
                    if (whole->is_version()) version = whole->as_version();
                    if (whole->is_number()) version = number_as_version(whole->as_number());
                    if (version) v = Value(version->component(split->second));
                    else v = Value();
                }
            }
        }
        read(path, v ? v->str() : std::string("null (not in the facts)"));
        return v.value_or(Value());
    }

    Value call(const Node& n) {
        std::vector<Value> args;
        args.reserve(n.kids.size());
        for (const auto& k : n.kids) args.push_back(eval(*k));
        std::optional<Value> result = facts_.call(n.name, args);
        std::string label = n.name + "(";
        for (std::size_t i = 0; i < args.size(); ++i) label += (i ? ", " : "") + args[i].str();
        label += ")";
        if (!result) note(fmt::format("function {} is not provided by these facts and evaluated as null", n.name));
        read(label, result ? result->str() : std::string("null (not provided)"));
        return result.value_or(Value());
    }

    Value compare(const Node& n) {
        const Value l = eval(*n.kids[0]);
        const Value r = eval(*n.kids[1]);
        // null equals only null; every other comparison with null is false (so `x != null` means "x is present").
        if (l.is_null() || r.is_null()) {
            const bool both = l.is_null() && r.is_null();
            if (n.op == CmpOp::Eq) return both;
            if (n.op == CmpOp::Ne) return !both;
            return false;
        }
        std::optional<std::partial_ordering> order;
        if (l.type() == r.type()) {
            switch (l.type()) {
                case Value::Type::Bool:
                    if (n.op == CmpOp::Eq || n.op == CmpOp::Ne) order = l.as_bool() <=> r.as_bool();
                    break;
                case Value::Type::Number: order = l.as_number() <=> r.as_number(); break;
                case Value::Type::String: order = l.as_string() <=> r.as_string(); break;
                case Value::Type::Version: order = l.as_version() <=> r.as_version(); break;
                case Value::Type::Null: break;
            }
        } else if (l.is_version() && r.is_number()) {
            if (auto rv = as_version(*n.kids[1], r)) order = l.as_version() <=> *rv;
        } else if (l.is_number() && r.is_version()) {
            if (auto lv = as_version(*n.kids[0], l)) order = *lv <=> r.as_version();
        }
        if (!order) {
            note(fmt::format("'{}' compares {} {} with {} {}, which {}; it is {}", n.text, Value::type_name(l.type()),
                             l.str(), Value::type_name(r.type()), r.str(),
                             n.op == CmpOp::Eq || n.op == CmpOp::Ne ? "are never equal" : "have no order",
                             n.op == CmpOp::Ne ? "true" : "false"));
            return n.op == CmpOp::Ne;
        }
        switch (n.op) {
            case CmpOp::Eq: return *order == 0;
            case CmpOp::Ne: return *order != 0;
            case CmpOp::Lt: return *order < 0;
            case CmpOp::Le: return *order <= 0;
            case CmpOp::Gt: return *order > 0;
            case CmpOp::Ge: return *order >= 0;
        }
        return false;
    }

    /// A number compared with a version: a literal as spelled (5.10 is 5.10), a computed number by its digits.
    static std::optional<cuconform::Version> as_version(const Node& n, const Value& v) {
        if (n.kind == Node::Kind::Literal && n.spelled) return n.spelled;
        return number_as_version(v.as_number());
    }

    void read(const std::string& what, std::string value) {
        if (!reads_) return;
        for (const auto& [k, _] : *reads_) {
            if (k == what) return;
        }
        reads_->emplace_back(what, std::move(value));
    }

    void note(std::string text) {
        if (notes_ && std::find(notes_->begin(), notes_->end(), text) == notes_->end()) notes_->push_back(std::move(text));
    }

    const Facts& facts_;
    std::vector<std::pair<std::string, std::string>>* reads_;
    std::vector<std::string>* notes_;
};

void collect_paths(const Node& n, std::vector<std::string>& out) {
    if (n.kind == Node::Kind::Fact && std::find(out.begin(), out.end(), n.name) == out.end()) out.push_back(n.name);
    for (const auto& k : n.kids) collect_paths(*k, out);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Public API

Vocabulary Vocabulary::from_patterns(std::vector<std::string> patterns, std::map<std::string, int, std::less<>> functions) {
    Vocabulary v;
    v.listing = patterns;
    v.functions = std::move(functions);
    v.is_fact = [patterns = std::move(patterns)](std::string_view path) {
        for (const std::string& p : patterns) {
            if (p.size() >= 2 && p.ends_with(".*")) {
                const std::string_view prefix = std::string_view(p).substr(0, p.size() - 1);  // keeps the dot
                if (path.size() > prefix.size() && path.starts_with(prefix)) return true;
            } else if (path == p) {
                return true;
            }
        }
        return false;
    };
    return v;
}

bool Vocabulary::knows_fact(std::string_view path) const {
    if (!is_fact) return false;
    if (is_fact(path)) return true;
    const auto split = split_component(path);
    return split && is_fact(split->first);
}

bool Predicate::holds(const Facts& facts, std::vector<std::pair<std::string, std::string>>* reads,
                      std::vector<std::string>* notes) const {
    return Evaluator(facts, reads, notes).eval(*root_).truthy();
}

std::vector<std::string> Predicate::fact_paths() const {
    std::vector<std::string> out;
    collect_paths(*root_, out);
    return out;
}

Expectation Expectation::parse(std::string_view case_id, std::string_view text, const Vocabulary& vocabulary) {
    Source src{case_id, text, 0, false};
    struct Span {
        std::size_t begin;
        std::size_t end;
        std::size_t indent;
    };
    // Group lines into rules: a line indented more than the current rule's first line continues it.
    std::vector<Span> spans;
    for (std::size_t line_begin = 0; line_begin <= text.size();) {
        std::size_t line_end = text.find('\n', line_begin);
        if (line_end == std::string_view::npos) line_end = text.size();
        std::size_t indent = 0;
        while (line_begin + indent < line_end && (text[line_begin + indent] == ' ' || text[line_begin + indent] == '\t')) {
            ++indent;
        }
        const std::size_t content = line_begin + indent;
        const bool blank = content >= line_end || text[content] == '#' || text[content] == '\r';
        if (!blank) {
            if (!spans.empty() && indent > spans.back().indent) {
                spans.back().end = line_end;
            } else {
                spans.push_back({content, line_end, indent});
            }
        }
        line_begin = line_end + 1;
    }
    if (spans.empty()) {
        src.fail_whole("the expectation has no rules; write at least 'otherwise -> <outcome>' (for example "
                       "'otherwise -> ok')");
    }

    Expectation e;
    e.case_id_ = std::string(case_id);
    for (std::size_t i = 0; i < spans.size(); ++i) {
        src.rule = static_cast<int>(i) + 1;
        Parser parser(src, lex(src, spans[i].begin, spans[i].end), &vocabulary);
        e.rules_.push_back(parser.rule());
        if (!e.rules_.back().predicate && i + 1 < spans.size()) {
            src.fail(spans[i].begin, fmt::format("'otherwise' must be the last rule: rule {} (line {}) after it could "
                                                 "never decide; move 'otherwise' to the end",
                                                 i + 2, src.place(spans[i + 1].begin).line));
        }
    }
    if (e.rules_.back().predicate) {
        src.fail(spans.back().begin, "the last rule must be 'otherwise -> <outcome>' so that every stack gets an "
                                     "outcome; add one after this rule");
    }
    return e;
}

Decision Expectation::decide(const Facts& facts) const {
    std::vector<std::pair<std::string, std::string>> reads;
    std::vector<std::string> notes;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const Rule& r = rules_[i];
        if (r.predicate && !r.predicate->holds(facts, &reads, &notes)) continue;
        Decision d{r.outcome, static_cast<int>(i), r.text, {}};
        for (const auto& [what, value] : reads) d.why += (d.why.empty() ? "" : "; ") + what + " = " + value;
        for (const auto& n : notes) d.why += (d.why.empty() ? "note: " : "; note: ") + n;
        if (d.why.empty()) d.why = "no facts read";
        return d;
    }
    // parse() guarantees a last `otherwise`, so this is only reached by a default-constructed Expectation.
    throw std::logic_error(fmt::format("expectation of case '{}' has no rules; parse it with Expectation::parse",
                                       case_id_));
}

Outcome parse_outcome(std::string_view text) {
    Source src{{}, text, 0, true};
    Parser parser(src, lex(src, 0, text.size()), nullptr);
    Outcome o = parser.outcome();
    parser.finish("the outcome");
    return o;
}

}  // namespace cuconform::expect
