// SPDX-License-Identifier: Apache-2.0
/// \file Matrix expansion (GitHub's documented examples), file:line errors, sharding, merge idempotence.
#include "matrix/matrix.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "provision/container.h"
#include "results/cell.h"
#include "results/result.h"

namespace cuconform::matrix {
namespace {
namespace fs = std::filesystem;
using Axes = std::vector<std::pair<std::string, std::vector<std::string>>>;

// docs.github.com "Expanding or adding matrix configurations": the fruit/animal example, verbatim.
TEST(MatrixExpand, GithubIncludeExample) {
    const Axes axes{{"fruit", {"apple", "pear"}}, {"animal", {"cat", "dog"}}};
    const std::vector<Combination> include{{{"color", "green"}},
                                           {{"color", "pink"}, {"animal", "cat"}},
                                           {{"fruit", "apple"}, {"shape", "circle"}},
                                           {{"fruit", "banana"}},
                                           {{"fruit", "banana"}, {"animal", "cat"}}};
    const std::vector<Combination> expected{
        {{"fruit", "apple"}, {"animal", "cat"}, {"color", "pink"}, {"shape", "circle"}},
        {{"fruit", "apple"}, {"animal", "dog"}, {"color", "green"}, {"shape", "circle"}},
        {{"fruit", "pear"}, {"animal", "cat"}, {"color", "pink"}},
        {{"fruit", "pear"}, {"animal", "dog"}, {"color", "green"}},
        {{"fruit", "banana"}},
        {{"fruit", "banana"}, {"animal", "cat"}}};
    EXPECT_EQ(expand(axes, include, {}), expected);
}

// docs.github.com "Excluding matrix configurations": 12 combinations, a full and a partial exclude -> 9.
TEST(MatrixExpand, GithubExcludeExamplePartialMatch) {
    const Axes axes{{"os", {"macos-latest", "windows-latest"}},
                    {"version", {"12", "14", "16"}},
                    {"environment", {"staging", "production"}}};
    const std::vector<Combination> exclude{{{"os", "macos-latest"}, {"version", "12"}, {"environment", "production"}},
                                           {{"os", "windows-latest"}, {"version", "16"}}};
    const auto combos = expand(axes, {}, exclude);
    ASSERT_EQ(combos.size(), 9u);
    for (const auto& c : combos) {
        EXPECT_FALSE(c.at("os") == "windows-latest" && c.at("version") == "16");
        EXPECT_FALSE(c.at("os") == "macos-latest" && c.at("version") == "12" && c.at("environment") == "production");
    }
}

// docs.github.com "Example: Expanding configurations": include extends the one matching combination.
TEST(MatrixExpand, GithubIncludeExtendsMatchingCombination) {
    const Axes axes{{"os", {"windows-latest", "ubuntu-latest"}}, {"node", {"14", "16"}}};
    const auto combos = expand(axes, {{{"os", "windows-latest"}, {"node", "16"}, {"npm", "6"}}}, {});
    ASSERT_EQ(combos.size(), 4u);
    int with_npm = 0;
    for (const auto& c : combos) with_npm += c.count("npm");
    EXPECT_EQ(with_npm, 1);
    EXPECT_EQ(combos[1].at("npm"), "6");  // windows/16: the first axis varies slowest.
}

// Include after exclude: an excluded combination can be added back; with no axes every include is a combination.
TEST(MatrixExpand, IncludeAfterExcludeAndIncludeOnly) {
    const Axes axes{{"a", {"1", "2"}}};
    EXPECT_EQ(expand(axes, {{{"a", "2"}}}, {{{"a", "2"}}}).size(), 2u);
    EXPECT_EQ(expand({}, {{{"a", "1"}}, {{"a", "2"}}}, {}).size(), 2u);
    EXPECT_THROW(expand(axes, {}, {{{"b", "1"}}}), std::invalid_argument);
}

TEST(MatrixFile, CellsIdsProvidersTagsSkew) {
    const auto m = parse_matrix(R"(name: t
build: {cuda: "13.0", cudnn: "9.19"}
host: {cuda: "13.0", cudnn: "9.19"}
tags: [nightly]
matrix:
  runtime: ["13.0", "12.9"]
  cudnn: ["9.19", "9.10"]
  exclude:
    - runtime: "13.0"
      cudnn: "9.10"
  include:
    - cudnn: "9.19"
      runtime: "13.0"
      tags: [pr, nightly]
    - runtime: "12.9"
      cudnn: "8.9"
)",
                                "t.yaml");
    ASSERT_EQ(m.cells.size(), 4u);
    EXPECT_EQ(m.cells[0].id, "cuda13.0-cudnn9.19-host");
    EXPECT_EQ(m.cells[0].provider, "host");
    EXPECT_FALSE(m.cells[0].skew);
    EXPECT_EQ(m.cells[1].id, "cuda12.9-cudnn9.19-wheels");
    EXPECT_TRUE(m.cells[1].skew);
    EXPECT_EQ(m.cells[3].id, "cuda12.9-cudnn8.9-wheels");
    EXPECT_EQ(m.select("pr").size(), 1u);
    EXPECT_EQ(m.select("nightly").size(), 4u);
    EXPECT_EQ(m.select("").size(), 4u);
    const auto gh = github_matrix(m.select("pr"));
    ASSERT_EQ(gh["include"].size(), 1u);
    EXPECT_EQ(gh["include"][0]["provider"], "host");
}

TEST(MatrixFile, ToolkitCudnnSelectsTheHeadersAndDecidesSkew) {
    const auto m = parse_matrix(R"(name: t
build: {cuda: "13.0", cudnn: "9.19"}
matrix:
  runtime: ["11.8"]
  cudnn: ["8.9"]
  include:
    - toolkit: "11.8"
      toolkit_cudnn: "8.9"
      runtime: "11.8"
      cudnn: "8.6"
)",
                                "t.yaml");
    ASSERT_EQ(m.cells.size(), 2u);
    // Built with 13.0 / 9.19 headers: a cuDNN 8.9 stack is skew.
    EXPECT_EQ(m.cells[0].toolkit_cudnn, "9.19");
    EXPECT_TRUE(m.cells[0].skew);
    EXPECT_EQ(m.cells[0].id, "cuda11.8-cudnn8.9-wheels");
    // The include cell: built with 11.8 / 8.9 headers, run on 11.8 / 8.6 (an older cuDNN than its headers).
    EXPECT_EQ(m.cells[1].toolkit, "11.8");
    EXPECT_EQ(m.cells[1].toolkit_cudnn, "8.9");
    EXPECT_TRUE(m.cells[1].skew);
    EXPECT_EQ(m.cells[1].id, "cuda11.8-cudnn8.6-wheels-tk11.8-tkcudnn8.9");
    EXPECT_EQ(m.cells[1].to_json()["toolkit_cudnn"], "8.9");
    EXPECT_EQ(github_matrix(m.cells)["include"][1]["toolkit_cudnn"], "8.9");
    const auto same = parse_matrix(R"(name: t
matrix:
  include: [{toolkit: "11.8", toolkit_cudnn: "8.9", runtime: "11.8", cudnn: "8.9"}]
)",
                                   "t.yaml");
    ASSERT_EQ(same.cells.size(), 1u);
    EXPECT_FALSE(same.cells[0].skew);
}

/// The message of the MatrixError that parsing `text` throws ("" when it does not throw).
std::string error_of(const std::string& text, int* line = nullptr) {
    try {
        parse_matrix(text, "bad.yaml");
    } catch (const MatrixError& e) {
        if (line) *line = e.line();
        return e.what();
    }
    return "";
}

TEST(MatrixFile, ErrorsNameFileLineKeyAndWhatIsAllowed) {
    int line = 0;
    auto msg = error_of("matrix:\n  cuda: [\"13.0\"]\n  cudn: [\"9.1\"]\n", &line);
    EXPECT_EQ(line, 3);
    EXPECT_NE(msg.find("bad.yaml:3:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'cudn'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("allowed: toolkit, toolkit_cudnn, cuda, runtime, cudnn"), std::string::npos) << msg;

    msg = error_of("matrix:\n  cuda: [\"13.0\"]\n  exclude:\n    - cudnn: \"9.1\"\n", &line);
    EXPECT_EQ(line, 4);
    EXPECT_NE(msg.find("exclude key 'cudnn' matches no axis"), std::string::npos) << msg;

    msg = error_of("matrix:\n  cuda: \"13.0\"\n", &line);
    EXPECT_EQ(line, 2);
    EXPECT_NE(msg.find("non-empty list"), std::string::npos) << msg;

    msg = error_of("matrix:\n  cuda: [\"13.x\"]\n", &line);
    EXPECT_EQ(line, 2);
    EXPECT_NE(msg.find("not a version"), std::string::npos) << msg;

    msg = error_of("matrix:\n  cuda: [\"12.4\"]\n  provider: [host]\n", &line);
    EXPECT_NE(msg.find("host cell"), std::string::npos) << msg;

    msg = error_of("matrix:\n  include:\n    - cuda: \"12.4\"\n    - cuda: \"12.4\"\n", &line);
    EXPECT_EQ(line, 4);
    EXPECT_NE(msg.find("two cells get the id 'cuda12.4-cudnn9.19-wheels'"), std::string::npos) << msg;

    msg = error_of("matrix: [\n", &line);
    EXPECT_NE(msg.find("not valid YAML"), std::string::npos) << msg;
    EXPECT_EQ(error_of("matrix:\n  cuda: [\"13.0\"]\n"), "");
}

// Issue #13: a long scalar crashed std::regex (recursion per character); any length is now checked by hand and
// refused over kMaxValueLength with the line.
TEST(MatrixHostile, LongScalarIsRefusedWithTheLimitNotACrash) {
    int line = 0;
    const auto msg = error_of("matrix:\n  cuda: [\"" + std::string(60000, '1') + "\"]\n", &line);
    EXPECT_EQ(line, 2);
    EXPECT_NE(msg.find("60000 characters long"), std::string::npos) << msg.substr(0, 300);
    EXPECT_NE(msg.find("kMaxValueLength"), std::string::npos) << msg.substr(0, 300);
    EXPECT_LT(msg.size(), 400u);  // the value is not quoted in full
    // Just under the limit: a well-formed but absurd version is still checked as a version.
    EXPECT_NE(error_of("matrix:\n  cuda: [\"" + std::string(200, '1') + "x\"]\n").find("not a version"),
              std::string::npos);
}

// Issue #13: a 207-byte file expanded to 10^6 cells (5 GB, 28 s) before anything said no.
TEST(MatrixHostile, CellCountIsCheckedBeforeExpanding) {
    std::string text = "matrix:\n";
    for (const char* axis : {"cuda", "cudnn", "toolkit", "toolkit_cudnn", "runner", "variants"}) {
        text += fmt::format("  {}: [0,1,2,3,4,5,6,7,8,9]\n", axis);
    }
    ASSERT_LT(text.size(), 250u);
    int line = 0;
    const auto msg = error_of(text, &line);  // bench/matrix_bench times it
    EXPECT_EQ(line, 6);  // the axis that took the product over the limit: counted before any cell is made
    EXPECT_NE(msg.find("more than 10000 cells"), std::string::npos) << msg;
    EXPECT_NE(msg.find("10 cuda x 10 cudnn x 10 toolkit x 10 toolkit_cudnn x 10 runner"), std::string::npos) << msg;
    EXPECT_NE(msg.find("kMaxCells"), std::string::npos) << msg;
}

// Found by tests/fuzz (fuzz_matrix): on "  - a\n , b" yaml-cpp's LoadAll hands out one empty document after another
// at the same place without consuming anything, so reading the file never ended (2 GB in a minute, then the OOM
// killer). Documents are now counted up to the second, and the file is refused at once, naming the line.
TEST(MatrixHostile, YamlThatYamlCppReadsAsEndlessDocumentsIsRefusedAtOnce) {
    for (const char* text : {"  - a\n , b\n", "matrix:\n  cuda: [\"13.0\"]\n  - a\n , b\n"}) {
        int line = 0;
        const auto msg = error_of(text, &line);  // before the fix it never returned (CTest's timeout ends a hang)
        EXPECT_GT(line, 0) << msg;
        EXPECT_NE(msg.find("bad.yaml:"), std::string::npos) << msg;
    }
}

// Issue #13: `id: ".."` passed validation, and the cell's folder was the results directory's parent.
TEST(MatrixHostile, AnIdIsAFolderNameInsideTheResults) {
    for (const char* id : {"..", ".", ".work", ".lock", "a/b", "../x"}) {
        int line = 0;
        const auto msg =
            error_of(fmt::format("matrix:\n  include:\n    - id: \"{}\"\n      cuda: \"13.0\"\n", id), &line);
        EXPECT_EQ(line, 3) << id;
        EXPECT_FALSE(msg.empty()) << id;
    }
    EXPECT_EQ(error_of("matrix:\n  include:\n    - id: nightly-1.x\n      cuda: \"13.0\"\n"), "");
}

// Issue #13: duplicate keys, a second document, a key that is a list and `~` were taken without a word (or with
// yaml-cpp's bare "bad conversion").
TEST(MatrixHostile, YamlThatYamlCppWouldTakeSilentlyIsRefused) {
    int line = 0;
    auto msg = error_of("matrix:\n  cuda: [\"13.0\"]\n  cuda: [\"12.4\"]\n", &line);
    EXPECT_EQ(line, 3);
    EXPECT_NE(msg.find("key 'cuda' is given twice in one mapping (first at line 2)"), std::string::npos) << msg;
    msg = error_of("matrix:\n  cuda: [\"13.0\"]\n---\nmatrix:\n  cuda: [\"12.4\"]\n", &line);
    EXPECT_EQ(line, 4);
    EXPECT_NE(msg.find("second YAML document"), std::string::npos) << msg;
    msg = error_of("matrix:\n  ? [cuda, cudnn]\n  : [\"13.0\"]\n", &line);
    EXPECT_EQ(line, 2);
    EXPECT_NE(msg.find("a key must be a single word"), std::string::npos) << msg;
    msg = error_of("name: [a, b]\nmatrix:\n  cuda: [\"13.0\"]\n", &line);
    EXPECT_EQ(line, 1);
    EXPECT_NE(msg.find("'name' must be a single value"), std::string::npos) << msg;
    msg = error_of("matrix:\n  include:\n    - cuda: ~\n", &line);
    EXPECT_EQ(line, 3);
    EXPECT_NE(msg.find("must be a single value"), std::string::npos) << msg;
    msg = error_of("matrix:\n  include:\n    - cuda: \"13.0\"\n      runtime: \"12.4\"\n", &line);
    EXPECT_EQ(line, 4);
    EXPECT_NE(msg.find("gives 'cuda' twice"), std::string::npos) << msg;
    msg = error_of("matrix: " + std::string(100000, '[') + "\n", &line);
    EXPECT_NE(msg.find("nested deeper"), std::string::npos) << msg;
    std::string deep = "matrix:\n  include:\n    - cuda: \"13.0\"\n      tags: ";
    for (int i = 0; i < 40; ++i) deep += "[";
    msg = error_of(deep + std::string(40, ']') + "\n", &line);
    EXPECT_NE(msg.find("nested deeper than 32 levels"), std::string::npos) << msg;
}

// Issue #13.10: a byte that is not UTF-8 in a matrix value reached the JSON writer, which said only
// "[json.exception.type_error.316] invalid UTF-8 byte at index 1: 0xFF" (no file, no line).
TEST(MatrixHostile, AByteThatIsNotUtf8IsRefusedWithItsLine) {
    int line = 0;
    const auto msg = error_of("matrix:\n  cuda: [\"13.0\"]\nname: \"a\xff\"\n", &line);
    EXPECT_EQ(line, 3);
    EXPECT_NE(msg.find("is not UTF-8 (invalid UTF-8 byte at index 1: 0xFF"), std::string::npos) << msg;
    EXPECT_EQ(error_of("matrix:\n  cuda: [\"13.0\"]\nname: \"nightly \u00e9t\u00e9\"\n"), "");
}

// Billion laughs: aliases of aliases stand for 10^9 values in a few hundred bytes.
TEST(MatrixHostile, AliasesCannotStandForBillionsOfValues) {
    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i)
        text += fmt::format("a{1}: &a{1} [*a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}]\n",
                            i - 1, i);
    text += "matrix:\n  cuda: [\"13.0\"]\n";
    const auto msg = error_of(text);  // bench/matrix_bench times it
    EXPECT_NE(msg.find("more than 1000000 values"), std::string::npos) << msg;
}

TEST(MatrixHostile, AFolderOrAMissingFileNamesThePathAndTheReason) {
    const fs::path dir = fs::temp_directory_path() / ("cuconform_matrix_dir_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    try {
        load_matrix(dir);
        ADD_FAILURE() << "a folder was read as a matrix";
    } catch (const MatrixError& e) {
        EXPECT_NE(std::string(e.what()).find("Is a directory"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos) << e.what();
    }
    try {
        load_matrix(dir / "missing.yaml");
        ADD_FAILURE() << "a missing file was read";
    } catch (const MatrixError& e) {
        EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
}

std::vector<Cell> numbered_cells(std::size_t n) {
    std::vector<Cell> cells(n);
    for (std::size_t i = 0; i < n; ++i) cells[i].id = "c" + std::to_string(i);
    return cells;
}

TEST(MatrixShard, BalancedDeterministicAndComplete) {
    for (std::size_t n : {0u, 1u, 7u, 12u, 13u}) {
        const auto cells = numbered_cells(n);
        for (std::size_t count : {1u, 3u, 4u, 16u}) {
            std::multiset<std::string> seen;
            std::size_t smallest = n, largest = 0;
            for (std::size_t i = 0; i < count; ++i) {
                const auto part = shard(cells, i, count);
                const auto again = shard(cells, i, count);
                ASSERT_EQ(part.size(), again.size());
                for (std::size_t k = 0; k < part.size(); ++k) EXPECT_EQ(part[k].id, again[k].id);
                smallest = std::min(smallest, part.size());
                largest = std::max(largest, part.size());
                for (const auto& c : part) seen.insert(c.id);
            }
            EXPECT_LE(largest - std::min(smallest, largest), 1u) << n << " cells in " << count;
            EXPECT_EQ(seen.size(), n);
            EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), n);  // each cell once
        }
    }
    EXPECT_EQ(shard(numbered_cells(5), 1, 2)[1].id, "c3");
    EXPECT_THROW(shard(numbered_cells(5), 2, 2), std::invalid_argument);
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

/// A result record line of `cell` (reports/schema/result.schema.json).
std::string record(const std::string& cell, const std::string& case_id, const std::string& variant, Verdict verdict,
                   const std::string& started_at) {
    results::Result r;
    r.case_id = case_id;
    r.family = case_id.substr(0, case_id.find('.'));
    r.variant = variant;
    r.verdict = verdict;
    r.rule.text = "otherwise -> ok";
    r.started_at = started_at;
    return results::to_line(r, cell);
}

TEST(MatrixMerge, IdempotentAndOrderIndependent) {
    const fs::path root = fs::temp_directory_path() / ("cuconform_merge_test_" + std::to_string(::getpid()));
    fs::remove_all(root);
    // Shard a: two records of cell x (one superseded later in shard b), shard b: the newer one and cell y.
    const std::string b_pass = record("x", "b.case", "default", Verdict::Pass, "2026-01-01T00:00:01Z");
    const std::string a_fail = record("x", "a.case", "hide", Verdict::Fail, "2026-01-01T00:00:01Z");
    const std::string a_pass = record("x", "a.case", "hide", Verdict::Pass, "2026-01-01T00:00:02Z");
    write(root / "a/x/results.jsonl", b_pass + "\n" + a_fail + "\n");
    results::CellRecord cell;
    cell.id = "x";
    const std::string cell_json = results::to_json(cell).dump(2) + "\n";
    write(root / "a/x/cell.json", cell_json);
    results::Fingerprint fp;
    fp.created = "2026-01-01T00:00:00Z";
    const std::string fp_json = results::to_json(fp).dump(2) + "\n";
    write(root / "a/x/fingerprint.json", fp_json);
    write(root / "b/x/results.jsonl", a_pass + "\n");
    write(root / "b/x/cell.json", cell_json);
    write(root / "b/nested/y/results.jsonl", record("y", "a.case", "default", Verdict::Pass, "t") + "\n");
    EXPECT_EQ(merge_results({root / "a", root / "b"}, root / "ab"), (std::vector<std::string>{"x", "y"}));
    merge_results({root / "b", root / "a"}, root / "ba");
    merge_results({root / "ab", root / "a", root / "b", root / "ab"}, root / "twice");
    merge_results({root / "ab"}, root / "again");
    const std::string x = slurp(root / "ab/x/results.jsonl");
    EXPECT_EQ(x, a_pass + "\n" + b_pass + "\n");  // sorted by (case, variant); the later a.case record wins
    for (const char* other : {"ba", "twice", "again"}) {
        EXPECT_EQ(slurp(root / other / "x/results.jsonl"), x) << other;
        EXPECT_EQ(slurp(root / other / "y/results.jsonl"), slurp(root / "ab/y/results.jsonl")) << other;
        EXPECT_EQ(slurp(root / other / "x/cell.json"), cell_json) << other;
        EXPECT_EQ(slurp(root / other / "x/fingerprint.json"), fp_json) << other;
    }
    EXPECT_THROW(merge_results({root / "missing"}, root / "out"), std::runtime_error);
    fs::remove_all(root);
}

// Issue #13.6: merge never writes outside its output folder, not even through a link already in it.
TEST(MatrixMerge, NeverWritesThroughALinkInItsOutput) {
    const fs::path root = fs::temp_directory_path() / ("cuconform_merge_link_" + std::to_string(::getpid()));
    fs::remove_all(root);
    write(root / "a/x/results.jsonl", record("x", "a.case", "default", Verdict::Pass, "t") + "\n");
    fs::create_directories(root / "elsewhere");
    fs::create_directories(root / "out");
    fs::create_symlink(root / "elsewhere", root / "out/x");
    try {
        merge_results({root / "a"}, root / "out");
        ADD_FAILURE() << "merge wrote through out/x";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("out/x is a symbolic link"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(fs::is_empty(root / "elsewhere"));
    fs::remove_all(root);
}

// Issue #13: a shard's damaged line was skipped with a warning, so the merged cell lacked a result (a failure could
// vanish); a cell id from cell.json was used as a path. Now nothing is written and every problem is named.
TEST(MatrixMerge, DamagedInputRefusesTheWholeMergeAndNamesEachProblem) {
    const fs::path root = fs::temp_directory_path() / ("cuconform_merge_damage_" + std::to_string(::getpid()));
    fs::remove_all(root);
    const std::string fail = record("x", "a.case", "default", Verdict::Fail, "2026-01-01T00:00:01Z");
    std::string mistyped = fail;
    mistyped.replace(mistyped.find("\"attempts\":1"), 12, "\"attempts\":\"2\"");
    write(root / "a/x/results.jsonl", record("x", "b.case", "default", Verdict::Pass, "t") + "\n" + mistyped + "\n");
    write(root / "a/y/results.jsonl", fail + "\n{\"case\":\"cut");
    write(root / "b/z/results.jsonl", fail + "\n");
    write(root / "b/z/cell.json", "{\"id\": \"../../escaped\"}\n");
    try {
        merge_results({root / "a", root / "b"}, root / "out");
        ADD_FAILURE() << "a damaged merge went through";
    } catch (const std::runtime_error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("nothing was merged: 3 inputs cannot be read"), std::string::npos) << msg;
        EXPECT_NE(msg.find("a/x/results.jsonl:2: attempts: expected a whole number, found a string"), std::string::npos)
            << msg;
        EXPECT_NE(msg.find("a/y/results.jsonl:2:"), std::string::npos) << msg;
        EXPECT_NE(msg.find("the run writing it was killed half-way"), std::string::npos) << msg;
        EXPECT_NE(msg.find("b/z/cell.json: the cell id \"../../escaped\" cannot be merged: a cell id is one folder "
                           "name"),
                  std::string::npos)
            << msg;
    }
    EXPECT_FALSE(fs::exists(root / "out"));
    EXPECT_FALSE(fs::exists(root / "escaped"));
    EXPECT_FALSE(fs::exists(root.parent_path() / "escaped"));
    fs::remove_all(root);
}

TEST(MatrixMerge, PlansMergeToTheFurthestStatusPerCell) {
    const fs::path root = fs::temp_directory_path() / ("cuconform_merge_plan_test_" + std::to_string(::getpid()));
    fs::remove_all(root);
    // Shard a could not provision x; a retry in shard b ran it. Shard b was killed before reaching z.
    write(root / "a/matrix.json", R"({"name": "nightly", "cells": [
        {"id": "x", "status": "provision-failed", "reason": "PyPI unreachable", "matrix": {"toolkit": "11.8"}},
        {"id": "y", "status": "skipped", "reason": "no GPU", "matrix": {"runner": "gpu"}}]})");
    write(root / "a/x/cell.json", "{\"id\":\"x\"}\n");
    write(root / "b/matrix.json", R"({"name": "nightly", "cells": [
        {"id": "x", "status": "ran", "exit": 0, "reason": "", "matrix": {"toolkit": "11.8"}},
        {"id": "z", "status": "pending", "reason": "", "matrix": {"toolkit": "13.0"}}]})");
    write(root / "b/x/results.jsonl", record("x", "a.case", "default", Verdict::Pass, "t") + "\n");
    merge_results({root / "a", root / "b"}, root / "abc");
    merge_results({root / "b", root / "a"}, root / "cba");
    merge_results({root / "abc", root / "a"}, root / "again");
    const auto merged = nlohmann::json::parse(slurp(root / "abc/matrix.json"));
    ASSERT_EQ(merged["cells"].size(), 3u);
    EXPECT_EQ(merged["cells"][0]["id"], "x");
    EXPECT_EQ(merged["cells"][0]["status"], "ran");
    EXPECT_EQ(merged["cells"][1]["status"], "skipped");
    EXPECT_EQ(merged["cells"][2]["status"], "pending");
    EXPECT_EQ(merged["name"], "nightly");
    EXPECT_EQ(slurp(root / "cba/matrix.json"), slurp(root / "abc/matrix.json"));
    EXPECT_EQ(slurp(root / "again/matrix.json"), slurp(root / "abc/matrix.json"));
    // A matrix.json cut short refuses the merge, naming it.
    write(root / "c/matrix.json", "{\"cells\": ");
    try {
        merge_results({root / "a", root / "b", root / "c"}, root / "abc2");
        ADD_FAILURE() << "a matrix.json cut short was merged";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find((root / "c/matrix.json").string()), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(root / "abc2"));
    fs::remove_all(root);
}

TEST(MatrixContainer, ImagePerToolkitGpuFlagsPerEngineAndWheelStacksInside) {
    const auto m = parse_matrix(R"(name: t
host: {cuda: "12.4", cudnn: "9.19"}
matrix:
  toolkit: ["12.4"]
  runtime: ["12.4"]
  runner: [cpu, gpu]
  include:
    - {toolkit: "11.8", toolkit_cudnn: "8.9", runtime: "11.8", cudnn: "8.6", runner: cpu}
    - {toolkit: "12.9", runner: cpu}
    - {toolkit: "13.0", runner: cpu}
)",
                                "t.yaml");
    ASSERT_EQ(m.cells.size(), 5u);
    const fs::path source = "/src/cuconform", out = "/results/nightly";
    auto has = [](const std::vector<std::string>& argv, const std::vector<std::string>& run) {
        return std::search(argv.begin(), argv.end(), run.begin(), run.end()) != argv.end();
    };
    const std::string user = fmt::format("{}:{}", getuid(), getgid());
    // Every cell's image is built by scripts/containers image on NVIDIA's CUDA image for its toolkit, with the cell's
    // toolkit and stack from the wheels; no GPU flags on cpu, this user's files, no network (all is in the image).
    const auto cpu = provision::container_commands(m.cells[0], "docker", source, out, {"--only", "loader.*"});
    EXPECT_EQ(cpu.base, "nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04");
    EXPECT_EQ(cpu.toolkit, "cuda=12.4 cudnn=9.19");
    EXPECT_EQ(cpu.stack, "cuda=12.4 cudnn=9.19");
    EXPECT_EQ(cpu.build, (std::vector<std::string>{"/src/cuconform/scripts/containers", "image", "--engine", "docker",
                                                   "--toolkit", "cuda=12.4 cudnn=9.19", "--stack",
                                                   "cuda=12.4 cudnn=9.19", "--base", cpu.base}));
    EXPECT_EQ(cpu.run, (std::vector<std::string>{"docker", "run", "--rm", "--network", "none", "--user", user, "-v",
                                                 "/results/nightly:/results", "IMAGE", "run", "--out", "/results",
                                                 "--cell", m.cells[0].id, "--quiet", "--only", "loader.*"}));
    // The GPU runner's cell gets the GPUs: docker through the NVIDIA Container Toolkit, podman through CDI.
    EXPECT_TRUE(m.cells[1].needs_gpu());
    EXPECT_TRUE(has(provision::container_commands(m.cells[1], "docker", source, out, {}).run, {"--gpus", "all"}));
    const auto podman = provision::container_commands(m.cells[1], "podman", source, out, {}).run;
    EXPECT_TRUE(has(podman, {"--device", "nvidia.com/gpu=all", "--security-opt=label=disable"}));
    EXPECT_FALSE(has(podman, {"--gpus"}));
    EXPECT_FALSE(has(podman, {"--user"}));  // rootless podman maps the user itself
    // A wheels cell: its own stack in the image of its toolkit (NVIDIA's cuDNN 8 image: its cuDNN is removed).
    const auto wheels = provision::container_commands(m.cells[2], "docker", source, out, {});
    EXPECT_EQ(wheels.base, "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04");
    EXPECT_EQ(wheels.toolkit, "cuda=11.8 cudnn=8.9");
    EXPECT_EQ(wheels.stack, "cuda=11.8 cudnn=8.6");
    // A host cell on a toolkit that is not the host stack: the host's stack (12.4 / 9.19) in the 13.0 image.
    const auto other = provision::container_commands(m.cells[4], "docker", source, out, {});
    EXPECT_EQ(other.base, "nvidia/cuda:13.0.1-cudnn-devel-ubuntu24.04");
    EXPECT_EQ(other.stack, "cuda=12.4 cudnn=9.19");
    // The local base and a named base.
    const auto local = provision::container_commands(m.cells[4], "podman", source, out, {}, "local");
    EXPECT_TRUE(local.base.empty());
    EXPECT_FALSE(has(local.build, {"--base"}));
    EXPECT_TRUE(has(provision::container_commands(m.cells[4], "podman", source, out, {}, "localhost/x:1").build,
                    {"--base", "localhost/x:1"}));
    // No NVIDIA CUDA image with cuDNN is known for 12.9: the cell cannot be provisioned, and the error says what to do.
    try {
        provision::container_commands(m.cells[3], "docker", source, out, {});
        ADD_FAILURE() << "expected an error for toolkit 12.9";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("CUDA 12.9"), std::string::npos) << e.what();
    }
}

TEST(MatrixResources, OneSlotEntryPerGpu) {
    results::Fingerprint fp;
    fp.gpus = {{0, "H100", "9.0"}, {1, "H100", "9.0"}};
    const auto spec = resource_spec(fp, 2);
    EXPECT_EQ(spec.dump(),
              R"({"local":[{"gpus":[{"id":"0","slots":2},{"id":"1","slots":2}]}],"version":{"major":1,"minor":0}})");
    EXPECT_EQ(resource_spec(results::Fingerprint{})["local"][0]["gpus"].size(), 0u);
}

}  // namespace
}  // namespace cuconform::matrix
