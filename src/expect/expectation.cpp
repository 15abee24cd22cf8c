// SPDX-License-Identifier: Apache-2.0
/// \file The expectation language's public API: vocabularies, parsing a case's rules, deciding on a stack. The
/// lexer (lexer.cpp), parser (parser.cpp) and evaluator (evaluate.cpp) share expect/syntax.h.
#include "expect/expectation.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "expect/syntax.h"

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
    const auto split = detail::split_component(path);
    return split && is_fact(split->first);
}

bool Predicate::holds(const Facts& facts, std::vector<std::pair<std::string, std::string>>* reads,
                      std::vector<std::string>* notes) const {
    return detail::evaluate(*root_, facts, reads, notes);
}

std::vector<std::string> Predicate::fact_paths() const {
    std::vector<std::string> out;
    detail::collect_paths(*root_, out);
    return out;
}

Expectation Expectation::parse(std::string_view case_id, std::string_view text, const Vocabulary& vocabulary) {
    detail::Source src{case_id, text, 0, false};
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
        e.rules_.push_back(detail::parse_rule(src, detail::lex(src, spans[i].begin, spans[i].end), vocabulary));
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
    detail::Source src{{}, text, 0, true};
    return detail::parse_lone_outcome(src, detail::lex(src, 0, text.size()));
}

}  // namespace cuconform::expect
