// SPDX-License-Identifier: Apache-2.0
/// \file Loading results directories: discovery, JSON-lines parsing, shard merging and de-duplication.
#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "report/report.h"

namespace cuconform::report {
namespace fs = std::filesystem;
namespace {

nlohmann::json read_json_file(const fs::path& path, std::vector<std::string>& warnings) {
    std::ifstream in(path);
    if (!in) return nlohmann::json::object();
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        warnings.push_back(fmt::format("{}: not valid JSON ({}); its contents are left out of the report. "
                                       "Re-run the cell or repair the file.",
                                       path.string(), e.what()));
        return nlohmann::json::object();
    }
}

std::string str_at(const nlohmann::json& j, std::initializer_list<const char*> keys) {
    const nlohmann::json* node = &j;
    for (const char* key : keys) {
        if (!node->is_object() || !node->contains(key)) return {};
        node = &(*node)[key];
    }
    return node->is_string() ? node->get<std::string>() : std::string{};
}

void apply_cell_info(Cell& cell, const nlohmann::json& info, const nlohmann::json& fingerprint, const fs::path& dir) {
    if (!info.empty()) cell.info = info;
    if (!fingerprint.empty()) cell.fingerprint = fingerprint;
    cell.directory = dir.string();
    cell.toolkit_cuda = str_at(cell.info, {"toolkit", "cuda"});
    cell.toolkit_cudnn = str_at(cell.info, {"toolkit", "cudnn"});
    cell.stack_cuda = str_at(cell.info, {"stack", "cuda"});
    cell.stack_cudnn = str_at(cell.info, {"stack", "cudnn"});
    cell.provider = str_at(cell.info, {"stack", "provider"});
    cell.gpu = str_at(cell.info, {"gpu"});
    // A cell.json without toolkit facts: fall back on the fingerprint, which measured them.
    if (cell.toolkit_cuda.empty()) cell.toolkit_cuda = str_at(cell.fingerprint, {"toolkit", "cuda"});
    if (cell.toolkit_cudnn.empty()) cell.toolkit_cudnn = str_at(cell.fingerprint, {"toolkit", "cudnn"});
    if (cell.stack_cuda.empty()) cell.stack_cuda = str_at(cell.fingerprint, {"runtime", "version"});
    if (cell.stack_cudnn.empty()) cell.stack_cudnn = str_at(cell.fingerprint, {"cudnn", "loaded"});
    if (cell.gpu.empty()) {
        const auto& gpus = cell.fingerprint.value("gpus", nlohmann::json::array());
        if (gpus.is_array() && !gpus.empty() && gpus[0].is_object()) {
            cell.gpu = fmt::format("{} ({})", gpus[0].value("name", "?"), gpus[0].value("cc", "?"));
        } else {
            cell.gpu = "none";
        }
    }
}

/// Every results.jsonl under `path` (or `path` itself), sorted so that merging is deterministic.
std::vector<fs::path> find_results_files(const fs::path& path) {
    std::vector<fs::path> files;
    if (fs::is_regular_file(path)) {
        files.push_back(path);
    } else if (fs::is_directory(path)) {
        for (const auto& entry : fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied)) {
            if (entry.is_regular_file() && entry.path().filename() == "results.jsonl") files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
    }
    return files;
}

/// How far a planned cell got; a record further along supersedes another of the same cell.
int status_rank(const std::string& status) {
    if (status == "ran") return 4;
    if (status == "harness-error") return 3;
    if (status == "provision-failed") return 2;
    if (status == "skipped") return 1;
    return 0;  // pending: planned, never reached (a killed run)
}

}  // namespace

std::vector<PlannedCell> load_plans(const std::vector<fs::path>& paths, std::vector<std::string>& warnings) {
    std::vector<fs::path> files;
    for (const auto& path : paths) {
        if (fs::is_regular_file(path) && path.filename() == "matrix.json") files.push_back(path);
        if (!fs::is_directory(path)) continue;
        for (const auto& entry : fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied)) {
            if (entry.is_regular_file() && entry.path().filename() == "matrix.json") files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    std::map<std::string, PlannedCell> best;
    for (const auto& file : files) {
        const auto plan = read_json_file(file, warnings);
        if (!plan.is_object() || !plan.contains("cells") || !plan["cells"].is_array()) {
            if (!plan.empty()) {
                warnings.push_back(fmt::format("{}: no \"cells\" list, so not a matrix.json of `cuconform matrix "
                                               "run`; the coverage view leaves it out",
                                               file.string()));
            }
            continue;
        }
        const std::string name = str_at(plan, {"name"});
        const std::string matrix = name.empty() ? str_at(plan, {"file"}) : name;
        std::size_t index = 0;
        for (const auto& entry : plan["cells"]) {
            ++index;
            if (!entry.is_object() || str_at(entry, {"id"}).empty()) {
                warnings.push_back(fmt::format("{}: cells[{}] has no \"id\"; left out of the coverage view",
                                               file.string(), index - 1));
                continue;
            }
            PlannedCell cell;
            cell.id = str_at(entry, {"id"});
            cell.status = str_at(entry, {"status"});
            cell.reason = str_at(entry, {"reason"});
            cell.matrix = matrix;
            cell.source = file.string();
            cell.record = entry;
            if (entry.contains("matrix") && entry["matrix"].is_object()) {
                for (const auto& [key, value] : entry["matrix"].items()) {
                    if (value.is_string()) cell.axes[key] = value.get<std::string>();
                }
            }
            auto rank = [](const PlannedCell& c) { return std::make_pair(status_rank(c.status), c.record.dump()); };
            auto [it, fresh] = best.try_emplace(cell.id, cell);
            if (!fresh && rank(it->second) < rank(cell)) it->second = std::move(cell);
        }
    }
    std::vector<PlannedCell> out;
    out.reserve(best.size());
    for (auto& [id, cell] : best) out.push_back(std::move(cell));
    return out;
}

std::string Cell::compute_capability() const {
    const auto open = gpu.rfind('(');
    const auto close = gpu.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) return gpu.empty() ? "none" : gpu;
    return gpu.substr(open + 1, close - open - 1);
}

std::uint32_t ResultSet::cell_index(const std::string& id) {
    if (cell_ids_.size() != cells.size()) {
        cell_ids_.clear();
        for (std::uint32_t i = 0; i < cells.size(); ++i) cell_ids_.emplace(cells[i].id, i);
    }
    if (auto it = cell_ids_.find(id); it != cell_ids_.end()) return it->second;
    cell_ids_.emplace(id, static_cast<std::uint32_t>(cells.size()));
    Cell cell;
    cell.id = id;
    cell.info = nlohmann::json::object();
    cell.fingerprint = nlohmann::json::object();
    cell.gpu = "none";
    cells.push_back(std::move(cell));
    return static_cast<std::uint32_t>(cells.size() - 1);
}

void Tally::add(Verdict verdict) {
    ++per_verdict[static_cast<int>(verdict)];
    ++total;
}
std::size_t Tally::passed() const { return per_verdict[static_cast<int>(Verdict::Pass)]; }
std::size_t Tally::skipped() const {
    return per_verdict[static_cast<int>(Verdict::Unsupported)] + per_verdict[static_cast<int>(Verdict::Waived)];
}
std::size_t Tally::failed() const { return total - passed() - skipped(); }

Tally tally(const ResultSet& set) {
    Tally t;
    for (const auto& r : set.results) t.add(r.verdict);
    return t;
}

std::string tally_line(const Tally& t) {
    return fmt::format("{} passed, {} failed, {} skipped", t.passed(), t.failed(), t.skipped());
}

Result parse_result(const nlohmann::json& j, ResultSet& set) {
    if (!j.is_object()) throw std::invalid_argument("a record must be a JSON object");
    if (j.value("schema", "") != "cuconform.result/1") {
        throw std::invalid_argument(fmt::format("schema is \"{}\", expected \"cuconform.result/1\"", j.value("schema", "")));
    }
    Result r;
    r.cell = set.cell_index(j.at("cell").get<std::string>());
    r.case_id = j.at("case").get<std::string>();
    r.family = j.at("family").get<std::string>();
    r.title = j.value("title", "");
    r.variant = j.at("variant").get<std::string>();
    r.expected = j.at("expected").get<Outcome>();
    r.observed = j.at("observed").get<Outcome>();
    const auto& rule = j.at("rule");
    r.rule_index = rule.at("index").get<int>();
    r.rule_text = rule.at("text").get<std::string>();
    r.rule_why = rule.value("why", "");
    const auto verdict = parse_verdict(j.at("verdict").get<std::string>());
    if (!verdict) throw std::invalid_argument("unknown verdict \"" + j.at("verdict").get<std::string>() + "\"");
    r.verdict = *verdict;
    if (j.contains("fail_kind")) {
        const auto kind = parse_fail_kind(j["fail_kind"].get<std::string>());
        if (!kind) throw std::invalid_argument("unknown fail_kind \"" + j["fail_kind"].get<std::string>() + "\"");
        r.fail_kind = *kind;
    }
    r.reason = j.value("reason", "");
    r.duration_ms = j.at("duration_ms").get<double>();
    r.attempts = j.value("attempts", 1);
    r.output_tail = j.value("output_tail", "");
    r.reproduce = j.value("reproduce", "");
    r.started_at = j.value("started_at", "");
    return r;
}

ResultSet load_results(const std::vector<fs::path>& paths) {
    ResultSet set;
    std::map<std::tuple<std::uint32_t, std::string, std::string>, std::size_t> seen;
    for (const auto& path : paths) {
        if (!fs::exists(path)) {
            throw std::runtime_error(fmt::format("results path {} does not exist; pass a cell directory, a directory "
                                                 "of cell directories, or a results.jsonl file",
                                                 path.string()));
        }
        const auto files = find_results_files(path);
        if (files.empty()) {
            throw std::runtime_error(fmt::format("no results.jsonl under {}; has the runner written this cell yet?",
                                                 path.string()));
        }
        for (const auto& file : files) {
            const fs::path dir = file.parent_path();
            const auto info = read_json_file(dir / "cell.json", set.warnings);
            const auto fingerprint = read_json_file(dir / "fingerprint.json", set.warnings);
            std::vector<bool> touched(set.cells.size(), false);
            auto touch = [&](std::uint32_t cell) {
                if (cell >= touched.size()) touched.resize(cell + 1, false);
                if (!touched[cell]) apply_cell_info(set.cells[cell], info, fingerprint, dir);
                touched[cell] = true;
            };
            if (info.is_object() && info.contains("id") && info["id"].is_string()) {
                touch(set.cell_index(info["id"].get<std::string>()));
            }
            std::ifstream in(file);
            std::string line;
            std::size_t number = 0;
            while (std::getline(in, line)) {
                ++number;
                if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
                Result r;
                try {
                    r = parse_result(nlohmann::json::parse(line), set);
                } catch (const std::exception& e) {
                    set.warnings.push_back(fmt::format("{}:{}: skipped a line that is not a valid result record ({}); "
                                                       "a truncated last line after an interrupted run is expected, "
                                                       "anything else means the runner wrote a bad record",
                                                       file.string(), number, e.what()));
                    continue;
                }
                touch(r.cell);
                r.source = {file.string(), number};
                auto key = std::make_tuple(r.cell, r.case_id, r.variant);
                auto [it, inserted] = seen.try_emplace(std::move(key), set.results.size());
                if (inserted) {
                    set.results.push_back(std::move(r));
                } else {
                    set.results[it->second] = std::move(r);  // a later record (retry, later shard) wins
                }
            }
        }
    }
    set.planned = load_plans(paths, set.warnings);
    for (const auto& cell : set.cells) {
        if (cell.fingerprint.empty()) {
            set.warnings.push_back(fmt::format("cell {}: no fingerprint.json in {}; the report cannot show or compare "
                                               "its stack. Re-run the cell or copy its fingerprint.json there.",
                                               cell.id, cell.directory.empty() ? "any results directory" : cell.directory));
        }
    }
    return set;
}

nlohmann::json to_record(const Result& r, const ResultSet& set) {
    nlohmann::json j{{"schema", "cuconform.result/1"},
                     {"cell", set.cells.at(r.cell).id},
                     {"case", r.case_id},
                     {"family", r.family},
                     {"variant", r.variant},
                     {"expected", r.expected},
                     {"rule", {{"index", r.rule_index}, {"text", r.rule_text}}},
                     {"observed", r.observed},
                     {"verdict", to_string(r.verdict)},
                     {"fail_kind", to_string(r.fail_kind)},
                     {"duration_ms", r.duration_ms},
                     {"attempts", r.attempts}};
    if (!r.title.empty()) j["title"] = r.title;
    if (!r.rule_why.empty()) j["rule"]["why"] = r.rule_why;
    if (!r.reason.empty()) j["reason"] = r.reason;
    if (!r.output_tail.empty()) j["output_tail"] = r.output_tail;
    if (!r.reproduce.empty()) j["reproduce"] = r.reproduce;
    if (!r.started_at.empty()) j["started_at"] = r.started_at;
    return j;
}

}  // namespace cuconform::report
