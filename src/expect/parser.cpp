// SPDX-License-Identifier: Apache-2.0
/// \file The expectation language's recursive-descent parser: one rule's tokens to a Rule.
#include "expect/syntax.h"

namespace cuconform::expect::detail {
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
                src_.fail(peek().offset,
                          fmt::format("expected '->' and an outcome after the predicate, found {}", describe(peek())));
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

    /// `a || b || c` is one Or node with three children (and `&&` likewise), so that a long chain is a wide tree,
    /// not a deep one.
    NodePtr disjunction() {
        NodePtr first = conjunction();
        if (peek().kind != Tok::Or) return first;
        auto n = std::make_shared<Node>();
        n->kind = Node::Kind::Or;
        n->kids.push_back(std::move(first));
        while (peek().kind == Tok::Or) {
            next();
            n->kids.push_back(conjunction());
        }
        return n;
    }

    NodePtr conjunction() {
        NodePtr first = comparison();
        if (peek().kind != Tok::And) return first;
        auto n = std::make_shared<Node>();
        n->kind = Node::Kind::And;
        n->kids.push_back(std::move(first));
        while (peek().kind == Tok::And) {
            next();
            n->kids.push_back(comparison());
        }
        return n;
    }

    /// Counts one level of nesting ('(', '!', a call's arguments) for as long as it lives; refuses more than
    /// kMaxExpressionDepth, which keeps every recursive walk of the tree (parsing, evaluating, freeing) shallow.
    class Nesting {
    public:
        Nesting(Parser& parser, std::size_t offset) : parser_(parser) {
            if (++parser_.depth_ > kMaxExpressionDepth) {
                parser_.src_.fail(offset, fmt::format("the predicate nests parentheses, '!' and calls deeper than {} "
                                                      "levels (kMaxExpressionDepth); write it flatter",
                                                      kMaxExpressionDepth));
            }
        }
        ~Nesting() { --parser_.depth_; }
        Nesting(const Nesting&) = delete;
        Nesting& operator=(const Nesting&) = delete;

    private:
        Parser& parser_;
    };

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
            const Nesting nesting(*this, peek().offset);
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
                const Nesting nesting(*this, t.offset);
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
            case Tok::String:
                n->value = t.value;
                return n;
            case Tok::Ident:
                break;
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
            const std::string known = vocab_->listing.empty() ? std::string("the vocabulary does not list them")
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
        const Nesting nesting(*this, open.offset);
        n->kind = Node::Kind::Call;
        if (peek().kind != Tok::RParen) {
            n->kids.push_back(disjunction());
            while (peek().kind == Tok::Comma) {
                next();
                n->kids.push_back(disjunction());
            }
        }
        if (peek().kind != Tok::RParen) {
            src_.fail(peek().offset,
                      fmt::format("expected ',' or ')' to close the call '{}(' opened at {}, found {}", name.text,
                                  src_.column_of(open.offset, peek().offset), describe(peek())));
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
    int depth_ = 0;
};

}  // namespace

Rule parse_rule(const Source& src, std::vector<Token> tokens, const Vocabulary& vocabulary) {
    Parser parser(src, std::move(tokens), &vocabulary);
    return parser.rule();
}

Outcome parse_lone_outcome(const Source& src, std::vector<Token> tokens) {
    Parser parser(src, std::move(tokens), nullptr);
    Outcome o = parser.outcome();
    parser.finish("the outcome");
    return o;
}

}  // namespace cuconform::expect::detail
