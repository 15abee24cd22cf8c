// SPDX-License-Identifier: Apache-2.0
/// \file The case model: needs derive the first rules, guards and labels; labels and seeds are closed lists.
#include <gtest/gtest.h>

#include "catalog/case.h"
#include "catalog/expectation.h"
#include "catalog/functions.h"
#include "catalog/needs.h"
#include "catalog/vocabulary.h"

namespace cuconform {
namespace {

CaseSpec spec(std::string id) {
    CaseSpec s;
    s.id = std::move(id);
    s.title = "t";
    s.symptom = "s";
    s.cause = "c";
    s.seed = "002";
    s.expect = R"(
        when cudnn.loaded < 9 -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED)
        otherwise -> ok
    )";
    s.reproduce = [](CaseContext&) { return Outcome::ok(); };
    return s;
}

TEST(CatalogNeeds, LibraryNeedsBecomeTheFirstRulesInTheirOrder) {
    CaseSpec s = spec("family.sub.needs");
    s.needs = {Need::Runtime, Need::Cudnn, Need::Gpu};
    results::Fingerprint fp;  // nothing loaded
    const auto d = decide_expectation(s, Variant{}, fp);
    EXPECT_EQ(d.outcome.str(), "error(loader, LIBRARY_NOT_FOUND)");
    EXPECT_EQ(d.rule_index, 0);
    EXPECT_EQ(d.rule_text, "when !runtime -> error(loader, LIBRARY_NOT_FOUND)");
    fp.runtime.present = true;
    EXPECT_EQ(decide_expectation(s, Variant{}, fp).rule_index, 1);  // then cuDNN
    fp.cudnn.present = true;
    fp.cudnn.loaded = "9.19.0";
    const auto ok = decide_expectation(s, Variant{}, fp);
    EXPECT_EQ(ok.outcome.str(), "ok");
    EXPECT_EQ(ok.rule_index, 3);  // two derived rules, then the written ones
}

TEST(CatalogNeeds, GpuNeedDerivesTheLabel) {
    CaseSpec s = spec("family.sub.gpu");
    EXPECT_EQ(s.all_labels(), std::vector<std::string>{"no_gpu"});
    s.needs = {Need::Gpu};
    s.labels = {"fp16"};
    EXPECT_TRUE(s.needs_gpu());
    EXPECT_EQ(s.all_labels(), (std::vector<std::string>{"gpu", "fp16"}));
}

TEST(CatalogNeeds, AGuardAnswersBeforeTheReproducer) {
    CaseSpec s = spec("family.sub.guard");
    bool ran = false;
    s.reproduce = [&ran](CaseContext&) {
        ran = true;
        return Outcome::ok();
    };
    s.needs = {Need::Gpu};  // not a library: no guard
    results::Fingerprint fp;
    Variant v;
    CaseContext context{fp, v};
    EXPECT_TRUE(observe_case(s, context).is_ok());
    EXPECT_TRUE(ran);
    s.reproduce = [](CaseContext&) -> Outcome { throw std::runtime_error("boom"); };
    const auto thrown = observe_case(s, context);
    EXPECT_EQ(thrown.str(), "error(harness, EXCEPTION)");
    EXPECT_EQ(thrown.message, "boom");
}

TEST(CatalogRegistry, RejectsUnknownLabelsSeedsAndRulesWrittenTwice) {
    CaseRegistry registry;
    CaseSpec label = spec("family.sub.label");
    label.labels = {"no_gpu"};  // derived, never written
    EXPECT_THROW(registry.add(label), std::invalid_argument);
    CaseSpec seed = spec("family.sub.seed");
    seed.seed = "see the wiki";
    EXPECT_THROW(registry.add(seed), std::invalid_argument);
    CaseSpec twice = spec("family.sub.twice");
    twice.needs = {Need::Cudnn};
    twice.expect = "when !cudnn -> error(loader, LIBRARY_NOT_FOUND)\notherwise -> ok";
    try {
        registry.add(twice);
        ADD_FAILURE() << "a rule derived from .needs and written again must be refused";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("remove it from .expect"), std::string::npos) << e.what();
    }
    CaseSpec design = spec("family.sub.design_row");
    design.seed = "DESIGN.md: out of memory";
    EXPECT_NO_THROW(registry.add(design));
}

// The vocabulary's function list is what a rule may call; each must be one the knowledge base answers, with the
// arity the parser checks against.
TEST(CatalogVocabulary, EveryFunctionItNamesIsDefined) {
    expect::MapFacts facts;
    define_knowledge_functions(facts);
    for (const auto& [name, arity] : vocabulary::kFunctionArities) {
        EXPECT_TRUE(facts.has_function(name)) << name << " is in the vocabulary but not defined";
        EXPECT_GT(arity, 0) << name;
    }
    const auto words = vocabulary::make();
    EXPECT_TRUE(words.knows_fact("cudnn.loaded.major"));
    EXPECT_TRUE(words.knows_fact("env.CUDNN_LOGLEVEL_DBG"));
    EXPECT_FALSE(words.knows_fact("cudnn.loadedd"));
}

}  // namespace
}  // namespace cuconform
