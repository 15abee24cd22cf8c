// SPDX-License-Identifier: Apache-2.0
/// \file Reading and appending results (results/store.h) when the files are damaged: a record with one mistyped
/// field, a torn last line, JSON nested 100,000 deep, a file over the size limit.
#include "results/store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "results/record_io.h"

namespace cuconform::results {
namespace {
namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / fmt::format("cuconform_store_{}_{}", name, ::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string line(const std::string& case_id, Verdict verdict) {
    Result r;
    r.case_id = case_id;
    r.family = "t";
    r.verdict = verdict;
    r.rule.text = "otherwise -> ok";
    r.started_at = "2026-01-01T00:00:00Z";
    return to_line(r, "cell");
}

std::string error_of(const fs::path& file, TornLine torn = TornLine::Fail) {
    try {
        read_results_file(file, torn);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

/// Writes `text` as both cell.json and fingerprint.json, reads both, and returns the two refusals (cell.json's first).
std::vector<std::string> json_file_problems(const CellStore& store, const std::string& text) {
    for (const auto& file : {store.cell_path(), store.fingerprint_path()}) write(file, text);
    std::vector<std::string> problems;
    EXPECT_FALSE(store.read_cell(problems));
    EXPECT_FALSE(store.read_fingerprint(problems));
    EXPECT_EQ(problems.size(), 2u);
    return problems;
}

// Issue #13: a FAIL record with `"attempts":"2"` was skipped with a warning, and the failure vanished from the
// report, junit and table. Now the file is refused, naming file:line and the field.
TEST(StoreRead, AMistypedFieldIsAnErrorNamingFileLineAndField) {
    const fs::path dir = fresh_dir("mistyped");
    std::string bad = line("b.case", Verdict::Fail);
    bad.replace(bad.find("\"attempts\":1"), 12, "\"attempts\":\"2\"");
    write(dir / "results.jsonl", line("a.case", Verdict::Pass) + "\n" + bad + "\n");
    const std::string msg = error_of(dir / "results.jsonl");
    EXPECT_NE(msg.find((dir / "results.jsonl").string() + ":2: attempts: expected a whole number, found a string"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("1 line of"), std::string::npos) << msg;
    // Each kind of damage names its field.
    const std::pair<std::string, std::string> cases[] = {
        {R"("verdict":"FAIL")", R"("verdict":"GREEN")"},
        {R"("duration_ms":0)", R"("duration_ms":"0")"},
        {R"("observed":{"outcome":"ok")", R"("observed":{"outcome":7)"},
    };
    for (const auto& [from, to] : cases) {
        std::string damaged = line("b.case", Verdict::Fail);
        ASSERT_NE(damaged.find(from), std::string::npos) << from << " in " << damaged;
        damaged.replace(damaged.find(from), from.size(), to);
        write(dir / "results.jsonl", damaged + "\n");
        const std::string m = error_of(dir / "results.jsonl");
        EXPECT_NE(m.find("results.jsonl:1: "), std::string::npos) << m;
        EXPECT_EQ(m.find("json.exception"), std::string::npos) << m;
    }
    EXPECT_NE(error_of(dir / "results.jsonl").find("observed.outcome: expected a string, found a number"),
              std::string::npos);
    fs::remove_all(dir);
}

TEST(StoreRead, ManyBadLinesAreCountedAndTheFirstNamed) {
    const fs::path dir = fresh_dir("many");
    std::string text;
    for (int i = 0; i < 12; ++i) text += "garbage\n";
    write(dir / "results.jsonl", text);
    const std::string msg = error_of(dir / "results.jsonl");
    EXPECT_NE(msg.find("12 lines of"), std::string::npos) << msg;
    EXPECT_NE(msg.find("results.jsonl:5: the line: not valid JSON at byte 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("... and 7 more"), std::string::npos) << msg;
    fs::remove_all(dir);
}

TEST(StoreRead, ATornLastLineFailsOrIsDroppedForResume) {
    const fs::path dir = fresh_dir("torn");
    write(dir / "results.jsonl", line("a.case", Verdict::Pass) + "\n" + line("b.case", Verdict::Fail).substr(0, 40));
    const std::string msg = error_of(dir / "results.jsonl");
    EXPECT_NE(msg.find("results.jsonl:2:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("killed half-way"), std::string::npos) << msg;
    std::optional<std::size_t> dropped;
    const auto kept = read_results_file(dir / "results.jsonl", TornLine::Drop, &dropped);
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(dropped, 2u);
    // A bad line that is not the last is damage even for resume.
    write(dir / "results.jsonl", "garbage\n" + line("a.case", Verdict::Pass) + "\n");
    EXPECT_NE(error_of(dir / "results.jsonl", TornLine::Drop).find("results.jsonl:1:"), std::string::npos);
    fs::remove_all(dir);
}

// Issue #13: --resume after a torn last line glued the next record onto it, and both were lost.
TEST(StoreAppend, ATornLastLineIsCutOffBeforeTheNextRecord) {
    const fs::path dir = fresh_dir("append");
    const CellStore store(dir);
    const std::string whole = line("a.case", Verdict::Pass);
    write(store.results_path(), whole + "\n" + line("b.case", Verdict::Fail).substr(0, 50));
    {
        ResultAppender appender(store, "cell");
        Result r;
        r.case_id = "b.case";
        r.family = "t";
        r.verdict = Verdict::Fail;
        r.rule.text = "otherwise -> ok";
        appender.append(r);
    }
    const auto records = store.read_results();
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[1].result.case_id, "b.case");
    EXPECT_EQ(records[1].result.verdict, Verdict::Fail);
    EXPECT_EQ(slurp(store.results_path()).substr(0, whole.size() + 1), whole + "\n");
    fs::remove_all(dir);
}

// Issue #13: JSON nested ~100,000 deep crashed every reader (report, table, junit, merge, contradictions).
TEST(StoreRead, DeepJsonIsRefusedBeforeParsing) {
    const fs::path dir = fresh_dir("deep");
    const CellStore store(dir);
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    write(store.results_path(), deep + "\n");
    EXPECT_NE(error_of(store.results_path()).find("nested deeper than 64 levels at byte 65"), std::string::npos);
    std::string nested = line("a.case", Verdict::Pass);
    nested.insert(nested.size() - 1, ",\"x\":" + deep);
    write(store.results_path(), nested + "\n");
    EXPECT_NE(error_of(store.results_path()).find("nested deeper than 64"), std::string::npos);
    const auto problems = json_file_problems(store, "{\"id\":" + deep + "}");
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_NE(problems[0].find("cell.json"), std::string::npos) << problems[0];
    EXPECT_NE(problems[0].find("nested deeper than 64"), std::string::npos) << problems[0];
    fs::remove_all(dir);
}

// Found by tests/fuzz (fuzz_plan): a number beyond a double (`"exit": 1e400`) made nlohmann throw its own
// out_of_range.406, which escaped every reader as "[json.exception.out_of_range.406] number overflow" without a file.
TEST(StoreRead, ANumberBeyondADoubleIsARecordErrorNamingTheFile) {
    const fs::path dir = fresh_dir("overflow");
    const CellStore store(dir);
    std::string huge = line("a.case", Verdict::Pass);
    huge.replace(huge.find("\"attempts\":1"), 12, "\"attempts\":21e400");
    write(store.results_path(), huge + "\n");
    const std::string error = error_of(store.results_path());
    EXPECT_NE(error.find(store.results_path().string() + ":1: the line: the number 21e400 is too large"),
              std::string::npos)
        << error;
    const auto problems = json_file_problems(store, "{\"id\": -1e999}");
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_NE(problems[0].find("cell.json"), std::string::npos) << problems[0];
    EXPECT_NE(problems[0].find("the number -1e999 is too large"), std::string::npos) << problems[0];
    fs::remove_all(dir);
}

TEST(StoreRead, SizeLimitsAndFoldersAreNamed) {
    const fs::path dir = fresh_dir("limits");
    write(dir / "results.jsonl", "{\"schema\":\"" + std::string(kMaxRecordBytes, 'x') + "\"}\n");
    EXPECT_NE(error_of(dir / "results.jsonl").find("a record is at most 1048576 bytes"), std::string::npos);
    fs::remove(dir / "results.jsonl");
    fs::create_directories(dir / "results.jsonl");
    EXPECT_NE(error_of(dir / "results.jsonl").find("Is a directory"), std::string::npos);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace cuconform::results
