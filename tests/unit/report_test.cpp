// SPDX-License-Identifier: Apache-2.0
/// \file Tests of src/report: loading, de-duplication, truncated lines, escaping, JUnit, table classification.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/model.h"
#include "report/report.h"

namespace cuconform::report {
namespace {
namespace fs = std::filesystem;

const fs::path kData = fs::path(CUCONFORM_TEST_DATA) / "results";

fs::path temp_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("cuconform_report_test_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

const Result* find(const ResultSet& set, std::string_view cell, std::string_view case_id, std::string_view variant) {
    for (const auto& r : set.results) {
        if (set.cells[r.cell].id == cell && r.case_id == case_id && r.variant == variant) return &r;
    }
    return nullptr;
}

TEST(ReportLoad, FixturesLoadWithTheirCellsAndFingerprints) {
    const ResultSet set = load_results({kData});
    EXPECT_EQ(set.cells.size(), 3u);
    EXPECT_EQ(set.results.size(), 69u);  // 3 cells x 23 rows; the shard's record replaces one, it adds none
    for (const auto& c : set.cells) {
        EXPECT_FALSE(c.fingerprint.empty()) << c.id;
        EXPECT_FALSE(c.toolkit_cuda.empty()) << c.id;
    }
    const Result* r = find(set, "cuda13.0-cudnn9.19-h100-host", "shape.dense.feature_count", "default");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->verdict, Verdict::Crash);
    EXPECT_EQ(r->observed.signal, 11);
    EXPECT_NE(r->source.file.find("results.jsonl"), std::string::npos);
    EXPECT_GT(r->source.line, 0u);
}

TEST(ReportLoad, LaterRecordWinsAcrossShards) {
    const ResultSet set = load_results({kData});
    const Result* r = find(set, "cuda12.8-cudnn9.19-t4-container", "device.fallback.silent_cpu", "default");
    ASSERT_NE(r, nullptr);
    EXPECT_DOUBLE_EQ(r->duration_ms, 42.0);  // the shard-retry record, not the first one
    EXPECT_NE(r->source.file.find("shard-retry"), std::string::npos);
}

TEST(ReportLoad, TruncatedLineIsSkippedWithWarningNamingFileAndLine) {
    const fs::path dir = temp_dir("truncated") / "cell";
    fs::create_directories(dir);
    ResultSet synthetic = make_synthetic({.cases = 3, .cells = 1});
    {
        std::ofstream out(dir / "results.jsonl");
        for (const auto& r : synthetic.results) out << to_record(r, synthetic).dump() << '\n';
        out << R"({"schema": "cuconform.result/1", "cell": "x", "ca)";  // kill -9 mid-write
    }
    const ResultSet set = load_results({dir.parent_path()});
    EXPECT_EQ(set.results.size(), 3u);
    ASSERT_FALSE(set.warnings.empty());
    EXPECT_NE(set.warnings[0].find("results.jsonl:4"), std::string::npos) << set.warnings[0];
}

TEST(ReportLoad, DuplicateInOneFileKeepsTheLast) {
    const fs::path dir = temp_dir("dup");
    ResultSet synthetic = make_synthetic({.cases = 1, .cells = 1});
    Result again = synthetic.results[0];
    again.duration_ms = 777;
    {
        std::ofstream out(dir / "results.jsonl");
        out << to_record(synthetic.results[0], synthetic).dump() << '\n' << to_record(again, synthetic).dump() << '\n';
    }
    const ResultSet set = load_results({dir});
    ASSERT_EQ(set.results.size(), 1u);
    EXPECT_DOUBLE_EQ(set.results[0].duration_ms, 777);
    EXPECT_EQ(set.results[0].source.line, 2u);
}

TEST(ReportLoad, MissingPathIsAnError) {
    EXPECT_THROW(load_results({"/nonexistent/cuconform"}), std::runtime_error);
}

TEST(ReportEscape, HtmlAndScriptJson) {
    EXPECT_EQ(detail::html(R"(<script>"a" & 'b'</script>)"), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    const std::string json = detail::json_for_script(nlohmann::json{{"m", "</script><b>&\u2028\u2029"}});
    EXPECT_EQ(json.find('<'), std::string::npos);
    EXPECT_EQ(json.find('>'), std::string::npos);
    EXPECT_EQ(json.find('&'), std::string::npos);
    EXPECT_EQ(json.find("\u2028"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(json)["m"], "</script><b>&\u2028\u2029");  // still the same data
}

TEST(ReportEscape, XmlDropsCharactersXmlCannotHold) {
    std::string out;
    detail::append_xml(out, std::string("a\x01<b>\"", 6));
    EXPECT_EQ(out, "a\xEF\xBF\xBD&lt;b&gt;&quot;");
}

TEST(ReportHtml, HostileStringsNeverReachTheMarkupUnescaped) {
    ResultSet set = make_synthetic({.cases = 12, .cells = 2});
    const std::string hostile = R"(<script>alert(1)</script>"><img src=x onerror=alert(1)>)";
    set.results[0].observed.message = hostile;
    set.results[1].rule_why = hostile;
    set.cells[0].fingerprint["env"]["EVIL"] = hostile;
    set.results[2].case_id = "shape.conv.x";
    set.results[2].variant = hostile;
    std::ostringstream out;
    write_html(out, set);
    const std::string page = out.str();
    EXPECT_EQ(page.find("<script>alert(1)"), std::string::npos);
    EXPECT_EQ(page.find("<img src=x"), std::string::npos);
    EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    // Exactly the two script elements of the template: the JSON block and the code.
    std::size_t scripts = 0;
    for (auto pos = page.find("<script"); pos != std::string::npos; pos = page.find("<script", pos + 1)) ++scripts;
    EXPECT_EQ(scripts, 2u);
    // Self-contained: no element or style that fetches anything (links in data, e.g. waiver bugs, are text).
    for (const char* fetch : {"<link", "src=\"http", "src=http", "url(", "@import", "<iframe"}) {
        EXPECT_EQ(page.find(fetch), std::string::npos) << fetch;
    }
}

TEST(ReportHtml, CompactGridAboveTheLimit) {
    const ResultSet set = make_synthetic({.cases = 12, .cells = 30});
    HtmlOptions options;
    options.full_grid_limit = 100;
    std::ostringstream out;
    write_html(out, set, options);
    EXPECT_NE(out.str().find("class=\"grid compact\""), std::string::npos);
    EXPECT_NE(out.str().find("td class=strip"), std::string::npos);
    EXPECT_EQ(out.str().find("<b class=v"), std::string::npos);  // one text node per row; the script colours it
    EXPECT_NE(out.str().find("<details id=cells-all"), std::string::npos);
}

TEST(ReportTally, LineShapeAndCriterion) {
    ResultSet set = make_synthetic({.cases = 12, .cells = 3});
    const Tally t = tally(set);
    EXPECT_EQ(t.passed() + t.failed() + t.skipped(), set.results.size());
    for (int v = 0; v < 7; ++v) EXPECT_GT(t.per_verdict[v], 0u) << "verdict " << v << " missing from synthetic data";
    EXPECT_FALSE(t.conforms());
    EXPECT_EQ(tally_line(t), std::to_string(t.passed()) + " passed, " + std::to_string(t.failed()) + " failed, " +
                                 std::to_string(t.skipped()) + " skipped");
}

TEST(ReportJunit, CountsMatchVerdicts) {
    const ResultSet set = load_results({kData});
    std::ostringstream out;
    write_junit(out, set);
    const std::string xml = out.str();
    auto count = [&](std::string_view needle) {
        std::size_t n = 0;
        for (auto pos = xml.find(needle); pos != std::string::npos; pos = xml.find(needle, pos + 1)) ++n;
        return n;
    };
    const Tally t = tally(set);
    EXPECT_EQ(count("<testsuite "), set.cells.size());
    EXPECT_EQ(count("<testcase "), set.results.size());
    EXPECT_EQ(count("<failure "), t.failed());
    EXPECT_EQ(count("<skipped "), t.skipped());
    EXPECT_EQ(xml.find("<script>"), std::string::npos);
}

TEST(ReportTable, KindsNeverBlur) {
    const CompatTable table = build_table(load_results({kData}));
    ASSERT_EQ(table.rows.size(), 3u);
    auto entry = [&](std::string_view cudnn, std::string_view family) -> const TableEntry& {
        for (const auto& row : table.rows) {
            if (row.cudnn != cudnn) continue;
            for (std::size_t f = 0; f < table.families.size(); ++f) {
                if (table.families[f] == family) return row.entries[f];
            }
        }
        throw std::runtime_error("no such entry");
    };
    // nogpu cell (cuDNN 9.1.0): rnn did not run there; the expectation is a prediction.
    EXPECT_EQ(entry("9.1.0", "rnn").kind, TableEntry::Kind::Predicted);
    EXPECT_EQ(entry("9.1.0", "rnn").text, "predicted ok");
    // The same family where it ran and passed with ok.
    const auto& shape = entry("9.1.0", "shape");
    EXPECT_EQ(shape.kind, TableEntry::Kind::TestedError);
    EXPECT_EQ(shape.text, "tested error CUDNN_STATUS_BAD_PARAM");
    EXPECT_NE(shape.evidence.find("results.jsonl:"), std::string::npos);
    EXPECT_EQ(entry("9.1.0", "skew").text, "tested error VERSION_MISMATCH");
    EXPECT_EQ(entry("9.1.0", "device").text, "tested error TIMEOUT (TIMEOUT)");
    ResultSet empty;
    empty.cell_index("lonely");
    EXPECT_TRUE(build_table(empty).rows.size() == 1 && build_table(empty).rows[0].entries.empty());
}

TEST(ReportTable, UnknownWhereAFamilyHasNoResult) {
    ResultSet set = make_synthetic({.cases = 12, .cells = 2});
    std::erase_if(set.results, [&](const Result& r) { return r.cell == 1 && r.family == "rnn"; });
    const CompatTable table = build_table(set);
    std::size_t unknown = 0;
    for (const auto& row : table.rows) {
        for (const auto& e : row.entries) unknown += e.kind == TableEntry::Kind::Unknown ? 1 : 0;
    }
    EXPECT_EQ(unknown, 1u);
}

}  // namespace
}  // namespace cuconform::report
