// SPDX-License-Identifier: Apache-2.0
/// \file Merging shard result directories into one directory per cell: idempotent and order-independent.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "matrix/matrix.h"
#include "report/report.h"
#include "run/results.h"

namespace cuconform::matrix {
namespace fs = std::filesystem;
namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file_atomically(const fs::path& path, const std::string& content) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out)
            throw std::runtime_error(fmt::format("could not write {}: check the directory is writable", tmp.string()));
    }
    fs::rename(tmp, path);
}

struct CellInputs {
    std::vector<fs::path> results;
    std::set<std::string> cell_json;  ///< Contents; the greatest wins (order-independent).
    std::set<std::string> fingerprint_json;
};

/// The cell id of a directory: cell.json's "id", else the directory's name.
std::string cell_id_of(const fs::path& dir) {
    try {
        std::ifstream in(dir / "cell.json");
        if (in) {
            const auto info = nlohmann::json::parse(in);
            if (info.is_object() && info.value("id", "") != "") return info["id"].get<std::string>();
        }
    } catch (const nlohmann::json::exception&) {
    }
    return dir.filename().string();
}

/// One matrix.json for the merged directory: every planned cell of the inputs' matrix.json files, the record that got
/// furthest per cell (report::load_plans decides, so merge and report agree).
nlohmann::json merge_plans(const std::vector<fs::path>& inputs, std::vector<std::string>& warnings) {
    const auto planned = report::load_plans(inputs, warnings);
    std::set<std::string> names;
    nlohmann::json merged{{"scope", "merged"}, {"cells", nlohmann::json::array()}};
    for (const auto& cell : planned) {
        if (!cell.matrix.empty()) names.insert(cell.matrix);
        merged["cells"].push_back(cell.record);
    }
    merged["name"] = fmt::format("{}", fmt::join(names, ", "));
    return merged;
}

void collect(const fs::path& dir, std::map<std::string, CellInputs>& cells) {
    const bool has_results = fs::exists(dir / "results.jsonl");
    const bool has_cell = fs::exists(dir / "cell.json");
    if (has_results || has_cell) {
        auto& inputs = cells[cell_id_of(dir)];
        if (has_results) inputs.results.push_back(dir / "results.jsonl");
        if (has_cell) inputs.cell_json.insert(read_file(dir / "cell.json"));
        if (fs::exists(dir / "fingerprint.json")) inputs.fingerprint_json.insert(read_file(dir / "fingerprint.json"));
    }
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_directory()) collect(entry.path(), cells);
    }
}

}  // namespace

std::vector<std::string> merge_results(const std::vector<fs::path>& inputs, const fs::path& out,
                                       std::vector<std::string>& warnings) {
    std::map<std::string, CellInputs> cells;
    for (const auto& input : inputs) {
        if (!fs::is_directory(input)) {
            throw std::runtime_error(
                fmt::format("{} is not a directory: pass the shard result directories (each "
                            "holding <cell>/results.jsonl)",
                            input.string()));
        }
        collect(input, cells);
    }
    if (cells.empty()) {
        throw std::runtime_error(
            "no cell directory (results.jsonl or cell.json) under the inputs: check that the "
            "shards ran and wrote to these directories");
    }
    std::vector<std::string> written;
    for (const auto& [id, in] : cells) {
        // Per (case, variant): the record with the greatest (started_at, serialised content).
        std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> best;
        for (const auto& path : in.results) {
            std::ifstream lines(path);
            std::size_t number = 0;
            for (std::string line; std::getline(lines, line);) {
                ++number;
                if (line.empty()) continue;
                nlohmann::json record;
                try {
                    record = nlohmann::json::parse(line);
                } catch (const nlohmann::json::exception&) {
                    warnings.push_back(fmt::format("{}:{}: not JSON (a line cut short?); left out of the merge",
                                                   path.string(), number));
                    continue;
                }
                if (!record.is_object() || !record.contains("case") || !record["case"].is_string()) {
                    warnings.push_back(fmt::format("{}:{}: not a result record (no \"case\"); left out of the merge",
                                                   path.string(), number));
                    continue;
                }
                const auto key = std::make_pair(record["case"].get<std::string>(), record.value("variant", "default"));
                auto candidate = std::make_pair(record.value("started_at", ""), record.dump());
                auto it = best.find(key);
                if (it == best.end() || it->second < candidate) best[key] = std::move(candidate);
            }
        }
        const fs::path dir = out / id;
        fs::create_directories(dir);
        if (!best.empty()) {
            std::string content;
            for (const auto& [key, record] : best) content += record.second + "\n";
            write_file_atomically(dir / "results.jsonl", content);
        }
        if (!in.cell_json.empty()) write_file_atomically(dir / "cell.json", *in.cell_json.rbegin());
        if (!in.fingerprint_json.empty())
            write_file_atomically(dir / "fingerprint.json", *in.fingerprint_json.rbegin());
        written.push_back(id);
    }
    const auto plan = merge_plans(inputs, warnings);
    if (!plan["cells"].empty()) write_file_atomically(out / "matrix.json", plan.dump(2) + "\n");
    return written;
}

}  // namespace cuconform::matrix
