// SPDX-License-Identifier: Apache-2.0
/// \file Waiver files that yaml-cpp would take without a word (issue #13): each refused with file:line and the fix.
#include "run/waivers.h"

#include <gtest/gtest.h>

#include <string>

namespace cuconform::run {
namespace {

/// The message of parsing `text` ("" when it parses).
std::string error_of(const std::string& text) {
    try {
        parse_waivers(text, "w.yaml");
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

const std::string kHead = "waivers:\n  - case: \"fixture.*\"\n    bug: https://bugs.example.org/1\n    reason: r\n";

TEST(WaiverFile, AValidFileParses) {
    EXPECT_EQ(error_of(kHead), "");
    EXPECT_EQ(error_of(kHead + "    verdicts: [CRASH, TIMEOUT]\n    when: \"cudnn.loaded < 9\"\n"), "");
    const auto one = parse_waivers(kHead + "    verdicts: CRASH\n", "w.yaml");  // one verdict without brackets
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].verdicts, std::vector<Verdict>{Verdict::Crash});
}

TEST(WaiverFile, SilentlyMeaninglessEntriesAreRefused) {
    // `verdicts: []` covered nothing: the waiver never applied.
    auto msg = error_of(kHead + "    verdicts: []\n");
    EXPECT_NE(msg.find("w.yaml:5: `verdicts` is an empty list"), std::string::npos) << msg;
    // `case: ~` was the glob "null" (or a bad conversion).
    msg = error_of("waivers:\n  - case: ~\n    bug: https://bugs.example.org/1\n    reason: r\n");
    EXPECT_NE(msg.find("w.yaml:2: `case` (an id glob) is empty"), std::string::npos) << msg;
    // A key twice: yaml-cpp keeps the first.
    msg = error_of(kHead + "    case: \"other.*\"\n");
    EXPECT_NE(msg.find("w.yaml:5: key 'case' is given twice in one mapping (first at line 2)"), std::string::npos)
        << msg;
    // A second document was ignored.
    msg = error_of(kHead + "---\nwaivers: []\n");
    EXPECT_NE(msg.find("w.yaml:6: a second YAML document"), std::string::npos) << msg;
    // A list where a value belongs: yaml-cpp's bare "bad conversion", now with the line.
    msg = error_of("waivers:\n  - case: [a, b]\n    bug: https://bugs.example.org/1\n    reason: r\n");
    EXPECT_NE(msg.find("w.yaml:2: `case` (an id glob) must be a single value"), std::string::npos) << msg;
    msg = error_of(kHead + "    verdicts: [[FAIL]]\n");
    EXPECT_NE(msg.find("w.yaml:5: a verdict of `verdicts` must be a single value"), std::string::npos) << msg;
    msg = error_of("waivers: []\nextra: 1\n");
    EXPECT_NE(msg.find("w.yaml:2: unknown key `extra`"), std::string::npos) << msg;
}

// Issue #13: a `when` with 10,000 parentheses or a 20,000-term chain crashed the runner mid-run.
TEST(WaiverFile, HugeOrDeepWhenIsRefusedWithItsLimit) {
    auto msg = error_of(kHead + "    when: \"" + std::string(10000, '(') + "true" + std::string(10000, ')') + "\"\n");
    EXPECT_NE(msg.find("w.yaml:5: `when` is 20004 characters long"), std::string::npos) << msg.substr(0, 300);
    msg = error_of(kHead + "    when: \"" + std::string(100, '(') + "true" + std::string(100, ')') + "\"\n");
    EXPECT_NE(msg.find("kMaxExpressionDepth"), std::string::npos) << msg.substr(0, 300);
    std::string chain;
    for (int i = 0; i < 150; ++i) chain += (i ? " || " : "") + std::string("cudnn.loaded >= 1.0");
    EXPECT_EQ(error_of(kHead + "    when: \"" + chain + "\"\n"), "");  // a long but flat chain is fine
}

}  // namespace
}  // namespace cuconform::run
