// SPDX-License-Identifier: Apache-2.0
/// \file Tests of `cuconform predict`'s questions (the acceptance examples, each with its source URL), the stack
/// input and the synthetic fingerprint, and of the contradiction checks of `cuconform table --contradictions`.
#include "predict/predict.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "report/report.h"

namespace cuconform::predict {
namespace {

const knowledge::KnowledgeBase& kb() { return knowledge::KnowledgeBase::builtin(); }

Stack stack_of(std::initializer_list<std::pair<const char*, const char*>> fields) {
    Stack s;
    for (const auto& [key, value] : fields) set_field(s, key, value, "test", kb());
    return s;
}

Question find(const std::vector<Question>& questions, const std::string& id) {
    for (const auto& q : questions) {
        if (q.id == id) return q;
    }
    ADD_FAILURE() << "no question " << id;
    return {};
}

void expect_sourced(const Question& q) {
    EXPECT_TRUE(q.answer.url().starts_with("https://")) << q.id << ": " << q.answer.reason;
}

// Tests that driver 535 runs a CUDA 12.4 runtime by minor version compatibility, citing the source.
TEST(PredictQuestions, Driver535RunsRuntime124ByMinorVersionCompatibility) {
    const auto q = find(ask(stack_of({{"driver", "535.104.05"}, {"runtime", "12.4"}}), kb()), "runtime-on-driver");
    EXPECT_TRUE(q.answer.yes()) << q.answer.reason;
    EXPECT_NE(q.answer.reason.find("minor version compatibility"), std::string::npos) << q.answer.reason;
    expect_sourced(q);
}

// Tests that driver 535 does not run a CUDA 13.0 runtime and that the answer names the 580 floor.
TEST(PredictQuestions, Driver535DoesNotRunRuntime130) {
    const auto q = find(ask(stack_of({{"driver", "535.104.05"}, {"runtime", "13.0"}}), kb()), "runtime-on-driver");
    EXPECT_TRUE(q.answer.no()) << q.answer.reason;
    EXPECT_NE(q.answer.reason.find("580"), std::string::npos) << q.answer.reason;
    expect_sourced(q);
}

// Tests that nvcc 13.0 cannot target sm_61.
TEST(PredictQuestions, Toolkit130CannotTargetSm61) {
    const auto q = find(ask(stack_of({{"toolkit", "13.0"}, {"gpu", "sm_61"}}), kb()), "nvcc-targets");
    EXPECT_TRUE(q.answer.no()) << q.answer.reason;
    expect_sourced(q);
    const auto control = find(ask(stack_of({{"toolkit", "12.4"}, {"gpu", "sm_61"}}), kb()), "nvcc-targets");
    EXPECT_TRUE(control.answer.yes()) << control.answer.reason;
}

// Tests that cuDNN 9.17.0 does not support compute capability 6.1, and that 9.11, whose own row is not recorded, is
// unknown rather than the yes of the 9.10.2 row below it.
TEST(PredictQuestions, Cudnn917DoesNotSupportCc61) {
    const auto q = find(ask(stack_of({{"cudnn", "9.17.0"}, {"gpu", "6.1"}}), kb()), "cudnn-arch");
    EXPECT_TRUE(q.answer.no()) << q.answer.reason;
    expect_sourced(q);
    EXPECT_TRUE(find(ask(stack_of({{"cudnn", "9.11.0"}, {"gpu", "6.1"}}), kb()), "cudnn-arch").answer.unknown());
}

// Tests that cuDNN 9.1 loaded under a 9.3 build is rejected by the frameworks' rule.
TEST(PredictQuestions, Cudnn91UnderBuild93IsRejected) {
    const auto q = find(ask(stack_of({{"cudnn", "9.1.0"}, {"built_cudnn", "9.3.0"}}), kb()), "cudnn-rule");
    EXPECT_TRUE(q.answer.no()) << q.answer.reason;
    expect_sourced(q);
    const auto newer = find(ask(stack_of({{"cudnn", "9.3.0"}, {"built_cudnn", "9.1.0"}}), kb()), "cudnn-rule");
    EXPECT_TRUE(newer.answer.yes()) << newer.answer.reason;
}

// Tests that a cc 8.6 GPU has no fp8 in hardware but has bf16.
TEST(PredictQuestions, Fp8OnCc86HasNoHardwareSupport) {
    const auto questions = ask(stack_of({{"gpu", "8.6"}}), kb());
    const auto fp8 = find(questions, "precision-fp8");
    EXPECT_TRUE(fp8.answer.no()) << fp8.answer.reason;
    EXPECT_NE(fp8.answer.reason.find("no hardware support"), std::string::npos) << fp8.answer.reason;
    expect_sourced(fp8);
    EXPECT_TRUE(find(questions, "precision-bf16").answer.yes());
}

// Tests that every question is asked, in a fixed order, and that missing inputs answer unknown with the flags.
TEST(PredictQuestions, MissingInputsAreUnknownNamingTheFlags) {
    const auto questions = ask(Stack{}, kb());
    const std::vector<std::string> ids = {"runtime-on-driver", "nvcc-targets",   "cudnn-arch",    "cudnn-cuda",
                                          "cudnn-rule",        "cudnn-driver",   "ptx-jit",       "precision-fp16",
                                          "precision-bf16",    "precision-tf32", "precision-fp8", "precision-int8-tc",
                                          "precision-dp4a"};
    ASSERT_EQ(questions.size(), ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(questions[i].id, ids[i]);
        EXPECT_TRUE(questions[i].answer.unknown()) << ids[i];
        EXPECT_NE(questions[i].answer.reason.find("--"), std::string::npos) << questions[i].answer.reason;
    }
}

// Tests that PTX from CUDA 12.4 does not JIT on driver 535 (minor version compatibility does not cover it).
TEST(PredictQuestions, PtxJitNeedsTheEmittingToolkitsDriver) {
    const auto no = find(ask(stack_of({{"driver", "535.104.05"}, {"toolkit", "12.4"}}), kb()), "ptx-jit");
    EXPECT_TRUE(no.answer.no()) << no.answer.reason;
    expect_sourced(no);
    const auto yes = find(ask(stack_of({{"driver", "580.65.06"}, {"toolkit", "12.4"}}), kb()), "ptx-jit");
    EXPECT_TRUE(yes.answer.yes()) << yes.answer.reason;
}

// Tests that a GPU name resolves through the knowledge base's GPU table, and bad input names the flag.
TEST(PredictInput, GpuNamesResolveAndBadInputNamesTheFlag) {
    const Stack t4 = stack_of({{"gpu", "T4"}});
    ASSERT_TRUE(t4.cc.has_value());
    EXPECT_EQ(*t4.cc, Version({7, 5}));
    EXPECT_FALSE(t4.gpu_evidence.empty());
    EXPECT_EQ(*stack_of({{"gpu", "sm_100"}}).cc, Version({10, 0}));
    Stack s;
    try {
        set_field(s, "gpu", "not-a-gpu-xyz", "--gpu not-a-gpu-xyz", kb());
        ADD_FAILURE() << "no error for an unknown GPU";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("--gpu"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("sm_61"), std::string::npos);
    }
    EXPECT_THROW(set_field(s, "driver", "five-three-five", "--driver", kb()), InputError);
    EXPECT_THROW(set_field(s, "colour", "1", "--file x", kb()), InputError);
}

// Tests the stack file: keys, env, and errors naming the file.
TEST(PredictInput, StackFileIsReadAndErrorsNameTheFile) {
    const std::string path = ::testing::TempDir() + "predict_stack.json";
    std::ofstream(path)
        << R"({"driver": "535.104.05", "runtime": "12.4", "gpu": "T4", "env": {"CUDA_VISIBLE_DEVICES": ""}})";
    Stack s;
    read_stack_file(s, path, kb());
    EXPECT_EQ(*s.driver, Version({535, 104, 5}));
    EXPECT_EQ(s.env.at("CUDA_VISIBLE_DEVICES"), std::optional<std::string>(""));
    std::ofstream(path) << R"({"driver": 535})";
    try {
        read_stack_file(s, path, kb());
        ADD_FAILURE() << "no error for a number";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    std::remove(path.c_str());
}

// Tests that the synthetic fingerprint has the probe's shape and the driver's CUDA version from the knowledge base.
TEST(PredictFingerprint, SyntheticFingerprintHasTheProbesShape) {
    const auto fp = results::to_json(synthetic_fingerprint(stack_of({{"driver", "535.104.05"},
                                                                     {"runtime", "12.4"},
                                                                     {"toolkit", "12.4"},
                                                                     {"cudnn", "9.1.0"},
                                                                     {"built_cudnn", "9.3.0"},
                                                                     {"cudnn_cuda", "12"},
                                                                     {"gpu", "T4"}}),
                                                           kb()));
    EXPECT_EQ(fp["driver"]["present"], true);
    EXPECT_EQ(fp["driver"]["version"], "535.104.05");
    EXPECT_EQ(fp["driver"]["cuda"], "12.2");
    EXPECT_EQ(fp["runtime"]["version"], "12.4");
    EXPECT_EQ(fp["toolkit"]["cuda"], "12.4");
    EXPECT_EQ(fp["toolkit"]["cudnn"], "9.3.0");
    EXPECT_EQ(fp["cudnn"]["loaded"], "9.1.0");
    EXPECT_EQ(fp["cudnn"]["built"], "9.3.0");
    EXPECT_EQ(fp["cudnn"]["cudart"], "12");
    EXPECT_EQ(fp["cublas"]["present"], true);
    ASSERT_EQ(fp["gpus"].size(), 1u);
    EXPECT_EQ(fp["gpus"][0]["cc"], "7.5");
    EXPECT_FALSE(fp["gpus"][0].contains("memory_bytes"));  // no primary source gives memory sizes any more
    EXPECT_TRUE(fp["env"].is_object());
    EXPECT_FALSE(synthetic_fingerprint(Stack{}, kb()).driver.present);
}

// Tests the contradiction checks on the fixture: nvcc 13.0 accepting sm_61 contradicts, sm_75 agrees.
TEST(ReportContradictions, FixtureHasOneContradictionAndOneAgreement) {
    const auto set = report::load_results({std::filesystem::path(CUCONFORM_TEST_DATA) / "contradictions"});
    const auto comparisons = report::compare_with_knowledge(set, kb());
    ASSERT_EQ(comparisons.size(), 2u);
    std::size_t contradictions = 0;
    for (const auto& c : comparisons) {
        EXPECT_EQ(c.check, "nvcc-targets");
        const auto& r = set.results[c.result];
        EXPECT_EQ(c.contradicts, r.case_id == "precision.nvcc.sm61_refused") << r.case_id;
        contradictions += c.contradicts ? 1 : 0;
    }
    EXPECT_EQ(contradictions, 1u);
    std::ostringstream out;
    report::write_contradictions(out, set, comparisons);
    const std::string text = out.str();
    EXPECT_NE(text.find("CONTRADICTION nvcc-targets: precision.nvcc.sm61_refused"), std::string::npos) << text;
    EXPECT_NE(text.find("results.jsonl:2"), std::string::npos) << text;
    EXPECT_NE(text.find("https://"), std::string::npos) << text;
    EXPECT_NE(text.find("toolkits.yaml:"), std::string::npos) << text;
    EXPECT_EQ(text.find("sm75_accepted"), std::string::npos) << text;
    EXPECT_NE(text.find("1 contradiction, 1 agreement"), std::string::npos) << text;
}

}  // namespace
}  // namespace cuconform::predict
