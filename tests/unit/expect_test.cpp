// SPDX-License-Identifier: Apache-2.0
/// \file Unit tests of the expectation language: values, parsing, evaluation, explanations and error messages.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "expect/expectation.h"

namespace cuconform::expect {
namespace {

using cuconform::Version;

Version v(std::string_view text) { return *Version::parse(text); }

Vocabulary vocabulary() {
    return Vocabulary::from_patterns(
        {"gpu", "gpu.cc", "gpu.name", "variant", "toolkit", "runtime.version", "driver.version", "cudnn.loaded",
         "cudnn.built", "count", "flag", "a", "b", "c", "s", "n", "env.*"},
        {{"nvcc_supports", 2}, {"min_driver", 1}, {"always", 0}});
}

MapFacts facts() {
    MapFacts f;
    f.set("gpu", true)
        .set("gpu.cc", v("8.6"))
        .set("gpu.name", "NVIDIA A100")
        .set("variant", "default")
        .set("toolkit", v("13.0"))
        .set("runtime.version", v("13.0"))
        .set("driver.version", v("580.65.06"))
        .set("cudnn.loaded", v("9.19.0"))
        .set("cudnn.built", v("9.19.0"))
        .set("count", 2)
        .set("env.CUDA_VISIBLE_DEVICES", Value())  // unset
        .set("env.CUDA_HOME", "");                 // set, empty
    f.define("nvcc_supports", [](const std::vector<Value>& args) {
        // sm_50..sm_72 left nvcc in 13.0 (facts/cuda.md).
        const bool dropped = args[1].as_string() < "sm_75";
        return Value(!(args[0].as_version() >= v("13.0") && dropped));
    });
    f.define("min_driver", [](const std::vector<Value>& args) {
        return Value(args[0].as_version() >= v("13.0") ? v("580") : v("525"));
    });
    f.define("always", [](const std::vector<Value>&) { return Value(true); });
    return f;
}

/// Evaluates one predicate: `when <predicate> -> ok / otherwise -> error(...)`.
bool holds(std::string_view predicate, const Facts& f) {
    const auto e = Expectation::parse("t.e.st", fmt::format("when {} -> ok\notherwise -> error(harness, NO)", predicate),
                                      vocabulary());
    return e.decide(f).rule_index == 0;
}
bool holds(std::string_view predicate) { return holds(predicate, facts()); }

/// Parses and returns the ExpectError; fails the test when parsing succeeds.
ExpectError parse_error(std::string_view text, std::string_view case_id = "shape.conv.channel_mismatch") {
    try {
        Expectation::parse(case_id, text, vocabulary());
    } catch (const ExpectError& e) {
        return e;
    }
    ADD_FAILURE() << "expected an ExpectError for:\n" << text;
    return ExpectError("", "", 0, 0, 0, "");
}

// Tests values: truthiness, text and JSON.
TEST(ExpectValue, TruthinessStrAndJson) {
    EXPECT_FALSE(Value().truthy());
    EXPECT_FALSE(Value(false).truthy());
    EXPECT_FALSE(Value(0).truthy());
    EXPECT_FALSE(Value("").truthy());
    EXPECT_TRUE(Value("0").truthy());
    EXPECT_TRUE(Value(v("9.19.0")).truthy());
    EXPECT_EQ(Value(13).str(), "13");
    EXPECT_EQ(Value(8.6).str(), "8.6");
    EXPECT_EQ(Value("a\"b\\c").str(), R"("a\"b\\c")");
    EXPECT_EQ(Value(v("9.19.0")).str(), "9.19.0");
    EXPECT_EQ(Value(v("9.19.0")).to_json(), nlohmann::json("9.19.0"));
    EXPECT_EQ(Value(13).to_json().dump(), "13");
    EXPECT_EQ(Value().to_json(), nlohmann::json(nullptr));
}

// Tests that dotted strings become versions only when the caller asks.
TEST(ExpectValue, FromJsonVersionStrings) {
    EXPECT_TRUE(Value::from_json("9.19.0").is_string());
    EXPECT_EQ(Value::from_json("9.19.0", VersionStrings::DottedToVersion), Value(v("9.19.0")));
    EXPECT_EQ(Value::from_json("8.6", VersionStrings::DottedToVersion), Value(v("8.6")));
    EXPECT_TRUE(Value::from_json("13", VersionStrings::DottedToVersion).is_string());  // no dot: stays a string
    EXPECT_TRUE(Value::from_json("sm_61", VersionStrings::DottedToVersion).is_string());
    EXPECT_EQ(Value::from_json(12), Value(12));
    EXPECT_EQ(Value::from_json(nullptr), Value());
    EXPECT_THROW(Value::from_json(nlohmann::json::array({1})), std::invalid_argument);
}

// Tests flattening a fingerprint into fact paths.
TEST(ExpectFacts, FlattenFingerprint) {
    MapFacts f;
    f.flatten(nlohmann::json::parse(R"({"gpu": {"cc": "8.6", "name": "A100"}, "cudnn": {"loaded": "9.19.0"},
                                        "env": {"CUDA_HOME": null}, "gpus": [1, 2]})"));
    EXPECT_EQ(f.get("gpu.cc"), Value(v("8.6")));
    EXPECT_EQ(f.get("gpu.name"), Value("A100"));
    EXPECT_TRUE(f.knows("env.CUDA_HOME"));
    EXPECT_EQ(f.get("env.CUDA_HOME"), Value());
    EXPECT_FALSE(f.knows("gpus"));
    EXPECT_TRUE(holds("cudnn.loaded.major == 9 && gpu.cc >= 8.0", f));
}

// Tests every comparison operator on numbers, strings and versions.
TEST(ExpectEval, ComparisonOperators) {
    EXPECT_TRUE(holds("count == 2"));
    EXPECT_FALSE(holds("count != 2"));
    EXPECT_TRUE(holds("count < 3"));
    EXPECT_FALSE(holds("count < 2"));
    EXPECT_TRUE(holds("count <= 2"));
    EXPECT_FALSE(holds("count <= 1"));
    EXPECT_TRUE(holds("count > 1"));
    EXPECT_FALSE(holds("count > 2"));
    EXPECT_TRUE(holds("count >= 2"));
    EXPECT_FALSE(holds("count >= 3"));
    EXPECT_TRUE(holds("variant == \"default\""));
    EXPECT_TRUE(holds("variant != \"hidden\""));
    EXPECT_TRUE(holds("\"abc\" < \"abd\""));
    EXPECT_TRUE(holds("cudnn.loaded == cudnn.built"));
    EXPECT_TRUE(holds("driver.version >= min_driver(runtime.version)"));
}

// Tests that numeric literals compare as versions against version facts.
TEST(ExpectEval, VersionAgainstNumber) {
    MapFacts old;
    old.set("gpu.cc", v("5.2")).set("toolkit", v("13.0"));
    EXPECT_TRUE(holds("gpu.cc < 5.3", old));
    EXPECT_FALSE(holds("gpu.cc >= 5.3", old));
    EXPECT_TRUE(holds("toolkit == 13", old));  // missing components are zero
    EXPECT_TRUE(holds("13 == toolkit", old));
    EXPECT_TRUE(holds("toolkit >= 12.8", old));
    EXPECT_TRUE(holds("13.0 == 13"));          // number with number
    EXPECT_TRUE(holds("cudnn.loaded >= 9.10"));  // 9.19 > 9.10 as versions, though 9.19 < 9.2 as decimals
    EXPECT_TRUE(holds("cudnn.loaded > 9.2"));
    EXPECT_TRUE(holds("cudnn.loaded == 9.19.0"));
    EXPECT_FALSE(holds("cudnn.loaded < 9.19"));
}

// Tests null semantics: only `== null` and `!=` can be true.
TEST(ExpectEval, NullSemantics) {
    MapFacts f;
    f.set("a", Value()).set("b", 1);
    EXPECT_TRUE(holds("a == null", f));
    EXPECT_FALSE(holds("b == null", f));
    EXPECT_TRUE(holds("b != null", f));
    EXPECT_FALSE(holds("a != null", f));
    EXPECT_FALSE(holds("a == 1", f));
    EXPECT_TRUE(holds("a != 1", f));
    EXPECT_FALSE(holds("a < 1", f));
    EXPECT_FALSE(holds("a >= 1", f));
    EXPECT_FALSE(holds("a <= null", f));
    EXPECT_TRUE(holds("!a", f));
    EXPECT_TRUE(holds("c == null", f));  // not in the facts at all: null too
}

// Tests that an unset environment variable (null) and an empty one ("") are told apart.
TEST(ExpectEval, EnvUnsetVersusEmpty) {
    EXPECT_TRUE(holds("env.CUDA_VISIBLE_DEVICES == null"));
    EXPECT_FALSE(holds("env.CUDA_VISIBLE_DEVICES == \"\""));
    EXPECT_FALSE(holds("env.CUDA_HOME == null"));
    EXPECT_TRUE(holds("env.CUDA_HOME == \"\""));
    EXPECT_FALSE(holds("env.CUDA_HOME"));  // empty is falsy
    EXPECT_TRUE(holds("env.CUDA_HOME != null && !env.CUDA_HOME"));
    EXPECT_TRUE(holds("env.LD_LIBRARY_PATH == null"));  // allowed by env.*, absent from the facts
}

// Tests `.major` / `.minor` / `.patch` on a version fact the Facts object only has whole.
TEST(ExpectEval, VersionComponents) {
    EXPECT_TRUE(holds("cudnn.loaded.major == 9"));
    EXPECT_TRUE(holds("cudnn.loaded.minor == 19"));
    EXPECT_TRUE(holds("cudnn.loaded.patch == 0"));
    EXPECT_TRUE(holds("gpu.cc.major >= 8 && gpu.cc.minor == 6"));
    EXPECT_TRUE(holds("toolkit.patch == 0"));  // missing component is zero
    EXPECT_FALSE(holds("cudnn.loaded.major == 8"));
    MapFacts f;
    f.set("cudnn.loaded", v("9.19.0")).set("cudnn.loaded.major", 42);  // an explicit fact wins
    EXPECT_TRUE(holds("cudnn.loaded.major == 42", f));
}

// Tests &&, ||, ! and their precedence: `!a || b && c` is `(!a) || (b && c)`.
TEST(ExpectEval, LogicAndPrecedence) {
    auto with = [](bool a, bool b, bool c) {
        MapFacts f;
        f.set("a", a).set("b", b).set("c", c);
        return f;
    };
    for (int bits = 0; bits < 8; ++bits) {
        const bool a = bits & 1, b = bits & 2, c = bits & 4;
        const MapFacts f = with(a, b, c);
        EXPECT_EQ(holds("!a || b && c", f), !a || (b && c)) << bits;
        EXPECT_EQ(holds("(!a || b) && c", f), (!a || b) && c) << bits;
        EXPECT_EQ(holds("!(a || b)", f), !(a || b)) << bits;
        EXPECT_EQ(holds("a && b || c", f), (a && b) || c) << bits;
        EXPECT_EQ(holds("!!a", f), a) << bits;
    }
    EXPECT_TRUE(holds("true && !false"));
    EXPECT_FALSE(holds("null || false"));
    EXPECT_TRUE(holds("count == 2 && gpu.cc >= 8.0 || false"));
}

// Tests that || and && short-circuit: a fact not needed is not read (so `why` stays honest).
TEST(ExpectEval, ShortCircuitReads) {
    const auto e = Expectation::parse("t.e.st", "when gpu || cudnn.loaded == 1 -> ok\notherwise -> ok", vocabulary());
    const Decision d = e.decide(facts());
    EXPECT_EQ(d.why, "gpu = true");
}

// Tests function calls with facts and literals as arguments.
TEST(ExpectEval, FunctionCalls) {
    EXPECT_FALSE(holds("nvcc_supports(toolkit, \"sm_61\")"));
    EXPECT_TRUE(holds("nvcc_supports(toolkit, \"sm_86\")"));
    EXPECT_TRUE(holds("min_driver(runtime.version) == 580"));
    EXPECT_TRUE(holds("always()"));
    MapFacts without;  // a Facts object that lacks a function in the vocabulary: null, with a note
    const auto e = Expectation::parse("t.e.st", "when always() -> ok\notherwise -> error(harness, X)", vocabulary());
    const Decision d = e.decide(without);
    EXPECT_EQ(d.rule_index, 1);
    EXPECT_NE(d.why.find("always() = null (not provided)"), std::string::npos) << d.why;
}

// Tests that ordering different types is false and explained.
TEST(ExpectEval, IncompatibleTypesAreFalseAndExplained) {
    EXPECT_FALSE(holds("gpu.name < 5"));
    EXPECT_FALSE(holds("gpu.name >= 5"));
    EXPECT_FALSE(holds("cudnn.loaded == \"9.19.0\""));  // a string is not a version
    EXPECT_TRUE(holds("cudnn.loaded != \"9.19.0\""));
    EXPECT_FALSE(holds("true < false"));
    const auto e = Expectation::parse("t.e.st", "when gpu.name < 5 -> ok\notherwise -> ok", vocabulary());
    const Decision d = e.decide(facts());
    EXPECT_EQ(d.rule_index, 1);
    EXPECT_NE(d.why.find("note: 'gpu.name < 5' compares string \"NVIDIA A100\" with number 5"), std::string::npos)
        << d.why;
}

// Tests that the first matching rule decides and `why` lists what was read up to it.
TEST(ExpectDecide, FirstMatchWinsAndWhy) {
    const char* text = R"(
        # fp16 needs cc 5.3 (facts/cuda.md)
        when !gpu -> unsupported("needs a GPU")
        when gpu.cc < 5.3 -> error(cuda, cudaErrorNoKernelImageForDevice)
        when cudnn.loaded >= 9.0 && gpu.cc >= 8.0 -> ok   # both
        when gpu.cc >= 7.0 -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED)
        otherwise -> ok
    )";
    const auto e = Expectation::parse("dtype.half.old_gpu", text, vocabulary());
    ASSERT_EQ(e.rules().size(), 5u);
    EXPECT_EQ(e.rules()[0].line, 3);
    EXPECT_EQ(e.rules()[2].text, "when cudnn.loaded >= 9.0 && gpu.cc >= 8.0 -> ok");
    EXPECT_EQ(e.rules()[2].predicate->text(), "cudnn.loaded >= 9.0 && gpu.cc >= 8.0");
    EXPECT_FALSE(e.rules()[4].predicate.has_value());

    const Decision d = e.decide(facts());
    EXPECT_EQ(d.rule_index, 2);  // rule 3 matches, and so would rule 4: the first one decides
    EXPECT_TRUE(d.outcome.is_ok());
    EXPECT_EQ(d.why, "gpu = true; gpu.cc = 8.6; cudnn.loaded = 9.19.0");

    MapFacts old = facts();
    old.set("gpu.cc", v("5.2"));
    const Decision o = e.decide(old);
    EXPECT_EQ(o.rule_index, 1);
    EXPECT_EQ(o.outcome.str(), "error(cuda, cudaErrorNoKernelImageForDevice)");
    EXPECT_EQ(o.rule_text, "when gpu.cc < 5.3 -> error(cuda, cudaErrorNoKernelImageForDevice)");

    MapFacts none;
    none.set("gpu", false);
    const Decision n = e.decide(none);
    EXPECT_EQ(n.rule_index, 0);
    EXPECT_EQ(n.outcome.str(), "unsupported(\"needs a GPU\")");

    const auto only = Expectation::parse("a.b.c", "otherwise -> ok", vocabulary());
    EXPECT_EQ(only.decide(facts()).why, "no facts read");
}

// Tests continuation lines and string escapes.
TEST(ExpectParse, ContinuationAndEscapes) {
    const char* text = "when gpu.cc >= 8.0 &&\n"
                       "      gpu.name == \"say \\\"hi\\\" \\\\ A100\"\n"
                       "    -> ok\n"
                       "otherwise -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED)\n";
    const auto e = Expectation::parse("a.b.c", text, vocabulary());
    ASSERT_EQ(e.rules().size(), 2u);
    EXPECT_EQ(e.rules()[1].line, 4);
    MapFacts f;
    f.set("gpu.cc", v("9.0")).set("gpu.name", "say \"hi\" \\ A100");
    EXPECT_EQ(e.decide(f).rule_index, 0);
    f.set("gpu.name", "A100");
    EXPECT_EQ(e.decide(f).rule_index, 1);
}

// Tests standalone outcome parsing.
TEST(ExpectParse, ParseOutcome) {
    EXPECT_TRUE(parse_outcome("ok").is_ok());
    EXPECT_TRUE(parse_outcome("  error( cudnn , CUDNN_STATUS_BAD_PARAM )").same_as(
        Outcome::error(Domain::Cudnn, "CUDNN_STATUS_BAD_PARAM")));
    const Outcome u = parse_outcome(R"(unsupported("needs a \"GPU\""))");
    EXPECT_TRUE(u.is_unsupported());
    EXPECT_EQ(u.reason, "needs a \"GPU\"");
    EXPECT_EQ(parse_outcome(u.str()).reason, u.reason);  // str() round-trips
    EXPECT_THROW(parse_outcome("timeout"), ExpectError);
    EXPECT_THROW(parse_outcome("ok ok"), ExpectError);
    try {
        parse_outcome("error(cudaa, X)");
        FAIL() << "no error";
    } catch (const ExpectError& e) {
        EXPECT_EQ(e.column(), 7);
        EXPECT_EQ(std::string(e.what()),
                  "outcome, column 7: unknown error domain 'cudaa': expected one of cuda, cudnn, cublas, loader, "
                  "compile, harness\n    error(cudaa, X)\n          ^");
    }
}

// Tests error messages: missing ')' names case, rule, line, column, the opening '(' and shows a caret.
TEST(ExpectErrors, MissingCloseParen) {
    const ExpectError e = parse_error("when gpu -> ok\n\nwhen (gpu.cc >= 8.0 -> ok\notherwise -> ok");
    EXPECT_EQ(e.case_id(), "shape.conv.channel_mismatch");
    EXPECT_EQ(e.rule(), 2);
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 21);
    EXPECT_EQ(std::string(e.what()),
              "case shape.conv.channel_mismatch, rule 2 (line 3), column 21: expected ')' to close '(' opened at "
              "column 6, found '->'\n"
              "    when (gpu.cc >= 8.0 -> ok\n"
              "                        ^");
}

TEST(ExpectErrors, MissingOtherwise) {
    const ExpectError e = parse_error("when gpu -> ok\n  # note\nwhen !gpu -> unsupported(\"no GPU\")\n");
    EXPECT_EQ(e.rule(), 2);
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 1);
    EXPECT_NE(std::string(e.what()).find("rule 2 (line 3), column 1: the last rule must be 'otherwise -> <outcome>'"),
              std::string::npos)
        << e.what();
    const ExpectError empty = parse_error("\n  # nothing\n");
    EXPECT_EQ(std::string(empty.what()).rfind("case shape.conv.channel_mismatch: the expectation has no rules", 0), 0u)
        << empty.what();
}

TEST(ExpectErrors, OtherwiseNotLast) {
    const ExpectError e = parse_error("  otherwise -> ok\n  when gpu -> ok\n");
    EXPECT_EQ(e.rule(), 1);
    EXPECT_EQ(e.line(), 1);
    EXPECT_EQ(e.column(), 3);
    EXPECT_NE(std::string(e.what()).find("'otherwise' must be the last rule: rule 2 (line 2)"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("\n    " "  otherwise -> ok\n" "      ^"), std::string::npos) << e.what();
}

TEST(ExpectErrors, UnknownFact) {
    const ExpectError e = parse_error("when gpu.cc >= 8.0 && gpu.ccc < 9 -> ok\notherwise -> ok");
    EXPECT_EQ(e.rule(), 1);
    EXPECT_EQ(e.column(), 23);
    EXPECT_NE(std::string(e.what()).find("column 23: unknown fact 'gpu.ccc'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("env.*"), std::string::npos) << "lists the known facts: " << e.what();
    // .major is fine on a known fact, not on an unknown one.
    EXPECT_EQ(parse_error("when cudnn.missing.major == 9 -> ok\notherwise -> ok").column(), 6);
}

TEST(ExpectErrors, UnknownFunctionAndArity) {
    const ExpectError e = parse_error("when gpu\n  && nvcc_support(toolkit, \"sm_61\") -> ok\notherwise -> ok");
    EXPECT_EQ(e.rule(), 1);
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 6);
    EXPECT_NE(std::string(e.what()).find("unknown function 'nvcc_support'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nvcc_supports/2"), std::string::npos) << e.what();
    const ExpectError arity = parse_error("when min_driver(toolkit, 1) -> ok\notherwise -> ok");
    EXPECT_NE(std::string(arity.what()).find("function 'min_driver' takes 1 argument, given 2"), std::string::npos)
        << arity.what();
}

TEST(ExpectErrors, BadOutcomeDomain) {
    const ExpectError e = parse_error("when gpu -> error(cudart, cudaErrorNoDevice)\notherwise -> ok");
    EXPECT_EQ(e.rule(), 1);
    EXPECT_EQ(e.column(), 19);
    EXPECT_NE(std::string(e.what()).find("unknown error domain 'cudart': expected one of cuda, cudnn"),
              std::string::npos)
        << e.what();
}

TEST(ExpectErrors, UnterminatedString) {
    const ExpectError e = parse_error("when gpu -> ok\nwhen variant == \"hidden -> ok\notherwise -> ok");
    EXPECT_EQ(e.rule(), 2);
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 17);  // the opening quote
    EXPECT_NE(std::string(e.what()).find("unterminated string"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\n    when variant == \"hidden -> ok\n                    ^"),
              std::string::npos)
        << e.what();
}

TEST(ExpectErrors, TrailingGarbage) {
    const ExpectError after_outcome = parse_error("when gpu -> ok please\notherwise -> ok");
    EXPECT_EQ(after_outcome.column(), 16);
    EXPECT_NE(std::string(after_outcome.what()).find("unexpected 'please' after the outcome"), std::string::npos)
        << after_outcome.what();
    const ExpectError after_predicate = parse_error("when gpu 8 -> ok\notherwise -> ok");
    EXPECT_EQ(after_predicate.column(), 10);
    EXPECT_NE(std::string(after_predicate.what()).find("expected '->' and an outcome after the predicate, found '8'"),
              std::string::npos)
        << after_predicate.what();
}

TEST(ExpectErrors, OtherSyntaxMistakes) {
    EXPECT_NE(std::string(parse_error("when a = 1 -> ok\notherwise -> ok").what()).find("expected '=='"),
              std::string::npos);
    EXPECT_NE(std::string(parse_error("when a < b < c -> ok\notherwise -> ok").what()).find("do not chain"),
              std::string::npos);
    EXPECT_NE(std::string(parse_error("if a -> ok\notherwise -> ok").what()).find("at the start of a rule"),
              std::string::npos);
    EXPECT_NE(std::string(parse_error("when a & b -> ok\notherwise -> ok").what()).find("expected '&&'"),
              std::string::npos);
    EXPECT_NE(std::string(parse_error("when -> ok\notherwise -> ok").what()).find("expected a fact, a literal"),
              std::string::npos);
    EXPECT_NE(std::string(parse_error("when gpu.cc(1) -> ok\notherwise -> ok").what()).find("cannot be called"),
              std::string::npos);
    EXPECT_NE(std::string(parse_error("when a -> unsupported(no gpu)\notherwise -> ok").what()).find("quoted string"),
              std::string::npos);
    EXPECT_NE(std::string(parse_error("when nvcc_supports(toolkit -> ok\notherwise -> ok").what())
                  .find("expected ',' or ')' to close the call 'nvcc_supports(' opened at column 19"),
              std::string::npos);
}

// Issue #13: 10,000 nested parentheses or a 20,000-term `||` chain in a waiver's `when` overflowed the stack (the
// parser, the evaluator and the tree's destructor each recursed once per level).
TEST(ExpectHostile, DeepNestingIsRefusedWithTheLimitAndItsPlace) {
    for (const std::string& open : {std::string("("), std::string("!"), std::string("always(")}) {
        std::string predicate;
        for (int i = 0; i < 1000; ++i) predicate += open;
        const auto e = parse_error(fmt::format("when {}true -> ok\notherwise -> ok", predicate), "t.e.st");
        EXPECT_NE(e.detail().find("deeper than 64 levels (kMaxExpressionDepth)"), std::string::npos) << e.detail();
        EXPECT_EQ(e.rule(), 1);
        // 10,000 levels (the crash of #13) stop at the token limit before any recursion.
        for (int i = 1000; i < 10000; ++i) predicate += open;
        const auto deep = parse_error(fmt::format("when {}true -> ok\notherwise -> ok", predicate), "t.e.st");
        EXPECT_NE(deep.detail().find("kMaxRuleTokens"), std::string::npos) << deep.detail();
    }
    // 64 levels are fine.
    EXPECT_TRUE(holds(std::string(64, '(') + "true" + std::string(64, ')')));
}

TEST(ExpectHostile, LongChainsAreFlatAndEvaluateLikeTheirBinaryForm) {
    std::string any, all;
    for (int i = 0; i < 3000; ++i) {
        any += (i ? " || " : "") + std::string(i == 2999 ? "true" : "false");
        all += (i ? " && " : "") + std::string("true");
    }
    EXPECT_TRUE(holds(any));
    EXPECT_TRUE(holds(all));
    EXPECT_FALSE(holds(all + " && false"));
    EXPECT_TRUE(holds("false || true && false || true"));  // && binds tighter
    EXPECT_FALSE(holds("(false || true) && false"));
    // Past the token limit, a message rather than unbounded work.
    std::string huge;
    for (int i = 0; i < 6000; ++i) huge += (i ? " || " : "") + std::string("true");
    const auto e = parse_error(fmt::format("when {} -> ok\notherwise -> ok", huge), "t.e.st");
    EXPECT_NE(e.detail().find("more than 10000 tokens (kMaxRuleTokens)"), std::string::npos) << e.detail();
}

// Found by tests/fuzz (fuzz_expect): a string that is not UTF-8 (a literal in a rule, or a fact such as an environment
// variable's value) made Value::str() throw nlohmann's type_error.316 while a rule was decided, out of the runner.
TEST(ExpectHostile, AStringThatIsNotUtf8IsShownWithReplacements) {
    EXPECT_EQ(Value(std::string("caf\xe9")).str(), "\"caf\xef\xbf\xbd\"");
    MapFacts facts;
    facts.set("env.LANG_DIR", std::string("/opt/caf\xe9"));
    const auto vocabulary = Vocabulary::from_patterns({"env.*"});
    const auto e = Expectation::parse("t", "when env.LANG_DIR == \"\x9b\" -> ok\notherwise -> ok\n", vocabulary);
    const auto decision = e.decide(facts);
    EXPECT_NE(decision.why.find("env.LANG_DIR = \"/opt/caf\xef\xbf\xbd\""), std::string::npos) << decision.why;
}

}  // namespace
}  // namespace cuconform::expect
