// SPDX-License-Identifier: Apache-2.0
/// \file Tests of src/report: loading, de-duplication, truncated lines, escaping, JUnit, table classification.
#include "report/report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/model.h"

namespace cuconform::report {
namespace {
namespace fs = std::filesystem;

const fs::path kData = fs::path(CUCONFORM_TEST_DATA) / "results";

/// This process's scratch folder, removed when the process ends (each test runs in a process of its own under ctest):
/// the folders were left in /tmp after every run, under names two checkouts testing at once shared.
struct Scratch {
    fs::path root = fs::temp_directory_path() / ("cuconform_report_test_" + std::to_string(::getpid()));
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

fs::path temp_dir(const std::string& name) {
    static const Scratch scratch;
    const fs::path dir = scratch.root / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

/// How often `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, std::string_view needle) {
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
    return n;
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
        EXPECT_TRUE(c.fingerprint.has_value()) << c.id;
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

// Issue #13: a line cut short (kill -9 mid-write) was skipped with a warning and the report came out as if the
// cell were whole. Now loading refuses the set, naming file:line.
TEST(ReportLoad, TruncatedLineIsAnErrorNamingFileAndLine) {
    const fs::path dir = temp_dir("truncated") / "cell";
    fs::create_directories(dir);
    ResultSet synthetic = make_synthetic({.cases = 3, .cells = 1});
    {
        std::ofstream out(dir / "results.jsonl");
        for (const auto& r : synthetic.results) out << results::to_line(r, synthetic.cells[r.cell].id) << '\n';
        out << R"({"schema": "cuconform.result/1", "cell": "x", "ca)";  // kill -9 mid-write
    }
    try {
        load_results({dir.parent_path()});
        ADD_FAILURE() << "a results file with a torn line loaded";
    } catch (const LoadError& e) {
        EXPECT_NE(std::string(e.what()).find("results.jsonl:4:"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
    }
}

// Issue #13: an empty or garbage results.jsonl gave "0 passed, 0 failed" and exit 0.
TEST(ReportLoad, EmptyOrGarbageResultsAreErrors) {
    const fs::path root = temp_dir("empty_garbage");
    fs::create_directories(root / "empty");
    std::ofstream(root / "empty/results.jsonl").flush();
    fs::create_directories(root / "garbage");
    std::ofstream(root / "garbage/results.jsonl") << "garbage\n";
    for (const char* cell : {"empty", "garbage"}) {
        try {
            load_results({root / cell});
            ADD_FAILURE() << cell << " loaded";
        } catch (const LoadError& e) {
            EXPECT_NE(std::string(e.what()).find((root / cell / "results.jsonl").string()), std::string::npos)
                << e.what();
        }
    }
    // Both at once: each named.
    try {
        load_results({root});
        ADD_FAILURE() << "loaded";
    } catch (const LoadError& e) {
        EXPECT_NE(std::string(e.what()).find("2 problems"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("holds no result record"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("garbage/results.jsonl:1: the line: not valid JSON"), std::string::npos)
            << e.what();
    }
}

TEST(ReportLoad, DuplicateKeepsTheOneThatStartedLater) {
    const fs::path dir = temp_dir("dup");
    ResultSet synthetic = make_synthetic({.cases = 1, .cells = 1});
    Result again = synthetic.results[0];
    again.duration_ms = 777;
    again.started_at = "2025-06-01T02:00:01Z";  // one second later: a rerun
    const std::string cell = synthetic.cells[0].id;
    {
        std::ofstream out(dir / "results.jsonl");
        out << results::to_line(synthetic.results[0], cell) << '\n' << results::to_line(again, cell) << '\n';
    }
    const ResultSet set = load_results({dir});
    ASSERT_EQ(set.results.size(), 1u);
    EXPECT_DOUBLE_EQ(set.results[0].duration_ms, 777);
    EXPECT_EQ(set.results[0].source.line, 2u);
}

TEST(ReportLoad, MissingPathIsAnError) { EXPECT_THROW(load_results({"/nonexistent/cuconform"}), std::runtime_error); }

TEST(ReportEscape, HtmlAndScriptJson) {
    EXPECT_EQ(detail::html(R"(<script>"a" & 'b'</script>)"),
              "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
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
    set.results[1].rule.why = hostile;
    set.cells[0].fingerprint->env["EVIL"] = hostile;
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
    auto count = [&](std::string_view needle) { return occurrences(xml, needle); };
    const Tally t = tally(set);
    EXPECT_EQ(count("<testsuite "), set.cells.size());
    EXPECT_EQ(count("<testcase "), set.results.size());
    EXPECT_EQ(count("<failure "), t.failed());
    EXPECT_EQ(count("<skipped "), t.skipped());
    EXPECT_EQ(xml.find("<script>"), std::string::npos);
}

TEST(ReportTable, KindsNeverBlur) {
    const ResultSet set = load_results({kData});
    const CompatTable table = build_table(set);
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
    // nogpu cell (cuDNN 9.1.0, no driver): rnn did not run there; the expectation is a prediction, not evidence.
    EXPECT_EQ(entry("9.1.0", "rnn").kind, TableEntry::Kind::Predicted);
    EXPECT_NE(entry("9.1.0", "rnn").detail.find("not run here"), std::string::npos);
    EXPECT_EQ(entry("9.1.0", "rnn").tested, 0u);
    // Where a family ran and every result did what its expectation says, errors included, it works as documented.
    const auto& shape = entry("9.1.0", "shape");
    EXPECT_EQ(shape.kind, TableEntry::Kind::Documented);
    ASSERT_TRUE(shape.evidence.has_value());
    EXPECT_FALSE(set.results[*shape.evidence].source.file.empty());
    EXPECT_EQ(entry("9.1.0", "device").kind, TableEntry::Kind::Deviates);  // a TIMEOUT
    EXPECT_NE(entry("9.1.0", "device").detail.find("TIMEOUT"), std::string::npos);
    EXPECT_EQ(entry("9.1.0", "loader").kind, TableEntry::Kind::Waived);
    for (const auto& row : table.rows) EXPECT_FALSE(row.driver.empty());
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

TEST(ReportTable, JsonRangesFollowTheCudnnAxis) {
    ResultSet set = make_synthetic({.cases = 12, .cells = 9});
    const CompatTable table = build_table(set);
    const auto json = table_json(table, set, ".");
    EXPECT_EQ(json["stacks"].size(), table.rows.size());
    for (const auto& [family, data] : json["families"].items()) {
        std::size_t stacks_in_ranges = 0;
        for (const auto& range : data["cudnn_ranges"]) {
            stacks_in_ranges += range["stacks"].get<std::size_t>();
            EXPECT_TRUE(Version::parse(range["cudnn"]["from"].get<std::string>()) <=
                        Version::parse(range["cudnn"]["to"].get<std::string>()));
        }
        std::size_t tested = 0;
        for (const auto& [id, support] : data["__compat"]["support"].items()) {
            const std::string status = support["status"];
            tested += status == "documented" || status == "deviates" || status == "waived";
        }
        EXPECT_EQ(stacks_in_ranges, tested) << family;
    }
}

/// The fixtures plus a matrix.json that planned two more cells: one could not be provisioned, one (a GPU runner's)
/// was skipped on a machine without a GPU.
fs::path fixtures_with_plan(const std::string& name) {
    const fs::path dir = temp_dir(name);
    fs::copy(kData, dir / "results", fs::copy_options::recursive);
    std::ofstream(dir / "results" / "matrix.json") << R"({"name": "nightly", "cells": [
      {"id": "cuda13.0-cudnn9.19-h100-host", "status": "ran", "exit": 1, "reason": "",
       "matrix": {"toolkit": "13.0", "toolkit_cudnn": "9.19", "cuda": "13.0", "cudnn": "9.19", "runner": "gpu"}},
      {"id": "cuda11.8-cudnn8.9-wheels-tk11.8", "status": "provision-failed", "exit": 2,
       "reason": "`cuconform stack fetch-toolkit cuda=11.8 cudnn=8.9` exited 2: PyPI unreachable",
       "matrix": {"toolkit": "11.8", "toolkit_cudnn": "8.9", "cuda": "11.8", "cudnn": "8.9", "runner": "cpu"}},
      {"id": "cuda13.0-cudnn9.19-host-a100", "status": "skipped", "exit": 0, "reason": "runner class 'a100-gpu' needs a GPU",
       "matrix": {"toolkit": "13.0", "toolkit_cudnn": "9.19", "cuda": "13.0", "cudnn": "9.19", "runner": "a100-gpu"}}]})";
    return dir / "results";
}

const AxisCoverage* axis_of(const Coverage& c, std::string_view name) {
    for (const auto& a : c.axes) {
        if (a.axis == name) return &a;
    }
    return nullptr;
}

const AxisCoverage::Value* value_of(const AxisCoverage& a, std::string_view value) {
    for (const auto& v : a.values) {
        if (v.value == value) return &v;
    }
    return nullptr;
}

TEST(ReportCoverage, PlannedValuesNoCellExercisedAndWhy) {
    const ResultSet set = load_results({fixtures_with_plan("coverage")});
    ASSERT_EQ(set.planned.size(), 3u);
    const Coverage c = matrix_coverage(set, &knowledge::KnowledgeBase::builtin());
    ASSERT_EQ(c.not_run.size(), 2u);
    EXPECT_EQ(c.not_run[0].id, "cuda11.8-cudnn8.9-wheels-tk11.8");
    EXPECT_EQ(c.not_run[1].status, results::CellStatus::Skipped);

    const auto* toolkit = axis_of(c, "toolkit");
    ASSERT_NE(toolkit, nullptr);
    const auto* tk118 = value_of(*toolkit, "11.8");
    ASSERT_NE(tk118, nullptr);
    EXPECT_FALSE(tk118->exercised());
    ASSERT_EQ(tk118->not_run.size(), 1u);
    EXPECT_NE(tk118->not_run[0].find("PyPI unreachable"), std::string::npos);
    // Exercised: 12.8 measured (no matrix values in its cell.json), 13.0 from the plan and measurement alike.
    ASSERT_NE(value_of(*toolkit, "12.8"), nullptr);
    EXPECT_TRUE(value_of(*toolkit, "12.8")->exercised());
    EXPECT_EQ(toolkit->values.front().value, "11.8");  // versions ascend numerically

    // cuDNN 9.1 (measured 9.1.x) and 9.19 ran; the knowledge base knows releases that no cell has, with a source.
    const auto* cudnn = axis_of(c, "cudnn");
    ASSERT_NE(cudnn, nullptr);
    EXPECT_TRUE(value_of(*cudnn, "9.19")->exercised());
    EXPECT_FALSE(cudnn->known_elsewhere.empty());
    EXPECT_EQ(std::find(cudnn->known_elsewhere.begin(), cudnn->known_elsewhere.end(), "9.19"),
              cudnn->known_elsewhere.end());
    EXPECT_NE(cudnn->known_source.find("https://"), std::string::npos);

    // GPU architectures are measured: the fixtures ran on a T4, an H100 and no GPU.
    const auto* gpu = axis_of(c, "gpu");
    ASSERT_NE(gpu, nullptr);
    EXPECT_NE(value_of(*gpu, "sm_75"), nullptr);
    EXPECT_NE(value_of(*gpu, "sm_90"), nullptr);
    EXPECT_NE(value_of(*gpu, "none"), nullptr);
    EXPECT_EQ(std::find(gpu->known_elsewhere.begin(), gpu->known_elsewhere.end(), "sm_90"), gpu->known_elsewhere.end());

    // Runner classes: gpu ran, a100-gpu only planned.
    const auto* runner = axis_of(c, "runner");
    ASSERT_NE(runner, nullptr);
    EXPECT_TRUE(value_of(*runner, "gpu")->exercised());
    EXPECT_FALSE(value_of(*runner, "a100-gpu")->exercised());
    // toolkit 11.8, toolkit_cudnn 8.9, cuda 11.8, cudnn 8.9, runners a100-gpu and cpu (only the H100 cell names one)
    EXPECT_EQ(c.unexercised(), 6u);
}

TEST(ReportCoverage, EveryOutputShowsTheCellsThatDidNotRun) {
    const ResultSet set = load_results({fixtures_with_plan("coverage_outputs")});
    HtmlOptions options;
    options.knowledge = &knowledge::KnowledgeBase::builtin();
    std::ostringstream html_out, junit_out, summary_out;
    write_html(html_out, set, options);
    const std::string page = html_out.str();
    EXPECT_NE(page.find("<section id=coverage>"), std::string::npos);
    EXPECT_NE(page.find("id=not-run"), std::string::npos);
    EXPECT_NE(page.find("PyPI unreachable"), std::string::npos);
    EXPECT_NE(page.find("1 planned cell did not run"), std::string::npos);  // the skipped one is not counted

    write_junit(junit_out, set);
    const std::string xml = junit_out.str();
    auto count = [&](std::string_view needle) { return occurrences(xml, needle); };
    const Tally t = tally(set);
    EXPECT_EQ(count("<testsuite "), set.cells.size() + 2);
    EXPECT_EQ(count("<error "), 1u);
    EXPECT_EQ(count("<skipped "), t.skipped() + 1);
    EXPECT_NE(xml.find(fmt::format("errors=\"1\" skipped=\"{}\"", t.skipped() + 1)), std::string::npos);

    write_summary(summary_out, set);
    EXPECT_NE(summary_out.str().find("### Planned cells without results"), std::string::npos);
    EXPECT_NE(summary_out.str().find("toolkit 11.8"), std::string::npos);
}

}  // namespace
}  // namespace cuconform::report
