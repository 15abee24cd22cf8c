// SPDX-License-Identifier: Apache-2.0
/// \file Matrix files: parsing with file:line errors, GitHub Actions expansion, cells, shards, the GitHub JSON.
#include "matrix/matrix.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "core/files.h"
#include "core/yaml.h"

namespace cuconform::matrix {
namespace {

constexpr const char* kLineKey = "\x01line";  ///< Where a combination came from (an include entry); never output.
const std::vector<std::string> kAxisKeys = {"toolkit", "toolkit_cudnn", "cuda",     "runtime",
                                            "cudnn",   "runner",      "variants", "provider"};
const std::vector<std::string> kEntryOnlyKeys = {"tags", "only", "id"};
const std::vector<std::string> kTopKeys = {"name", "description", "build",        "host",
                                           "tags", "run",         "variant_sets", "matrix"};

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
    return out;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

/// \d+(\.\d+){0,2}: a version as matrix files write it.
bool is_version(std::string_view text) {
    int parts = 0;
    std::size_t i = 0;
    while (i <= text.size()) {
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
        if (i == start || ++parts > 3) return false;
        if (i == text.size()) return true;
        if (text[i] != '.') return false;
        ++i;
    }
    return false;
}

/// [A-Za-z0-9_.+-]+: a runner class, variant set or id.
bool is_word(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '+' || c == '-';
    });
}

class Reader {
public:
    Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
        throw MatrixError(file_, yaml::line_of(at), message);
    }
    [[noreturn]] void fail(int line, const std::string& message) const { throw MatrixError(file_, line, message); }

    YAML::Node load(const std::string& text) const {
        try {
            return yaml::load(text, file_);
        } catch (const yaml::Error& e) {
            fail(e.line(), e.detail());
        }
    }

    void check_keys(const YAML::Node& map, const std::string& what, const std::vector<std::string>& allowed) const {
        if (!map.IsMap()) fail(map, fmt::format("{} must be a mapping of keys to values", what));
        for (const auto& kv : map) {
            const auto key = yaml::key(kv.first);
            if (!contains(allowed, key)) {
                fail(kv.first, fmt::format("unknown key '{}' in {}; allowed: {}", shown(key), what, join(allowed)));
            }
        }
    }

    std::string scalar(const YAML::Node& node, const std::string& what) const {
        if (!node.IsScalar()) fail(node, fmt::format("{} must be a single value (a string or a number)", what));
        const std::string& value = node.Scalar();
        if (value.size() > kMaxValueLength) {
            fail(node, fmt::format("{} is {} characters long; a matrix value is at most {} (kMaxValueLength)", what,
                                   value.size(), kMaxValueLength));
        }
        return value;
    }

    /// A scalar, or a list of scalars joined with ','.
    std::string scalar_or_list(const YAML::Node& node, const std::string& what) const {
        if (node.IsScalar()) return scalar(node, what);
        if (!node.IsSequence()) fail(node, fmt::format("{} must be a value or a list of values", what));
        if (node.size() > kMaxListLength) {
            fail(node, fmt::format("{} has {} entries; a list in a matrix file has at most {} (kMaxListLength)", what,
                                   node.size(), kMaxListLength));
        }
        std::vector<std::string> items;
        for (const auto& item : node) items.push_back(scalar(item, what + " entry"));
        return join(items, ",");
    }

    void check_value(const YAML::Node& at, const std::string& key, const std::string& value) const {
        if (key == "toolkit" || key == "toolkit_cudnn" || key == "cuda" || (key == "cudnn" && value != "none")) {
            if (!is_version(value)) {
                fail(at, fmt::format("'{}' is not a version for '{}'; write MAJOR.MINOR, e.g. \"12.4\"{}", shown(value),
                                     key, key == "cudnn" ? " (or none)" : ""));
            }
        } else if (key == "provider") {
            if (value != "host" && value != "wheels") {
                fail(at, fmt::format("provider '{}' is not known; allowed: host, wheels", shown(value)));
            }
        } else if (key == "runner" || key == "variants" || key == "id") {
            if (!is_word(value)) {
                fail(at, fmt::format("'{}' for '{}' may hold only letters, digits and . _ + -", shown(value), key));
            }
            // A cell id is the name of the cell's folder under the results directory: one path component, and
            // none that a results folder holds of its own (.work, .lock).
            if (key == "id" && value.front() == '.') {
                fail(at, fmt::format("id '{}' must start with a letter or digit: it names the cell's folder under "
                                     "the results directory",
                                     value));
            }
        }
    }

    Combination entry(const YAML::Node& node, const std::string& what, bool include) const {
        std::vector<std::string> allowed = kAxisKeys;
        if (include) allowed.insert(allowed.end(), kEntryOnlyKeys.begin(), kEntryOnlyKeys.end());
        check_keys(node, what, allowed);
        Combination out;
        for (const auto& kv : node) {
            std::string key = yaml::key(kv.first);
            if (key == "runtime") key = "cuda";
            if (out.count(key))
                fail(kv.first, fmt::format("{} gives '{}' twice (runtime is cuda's other name)", what, key));
            const bool list = key == "tags" || key == "only";
            const std::string value =
                list ? scalar_or_list(kv.second, what + " '" + key + "'") : scalar(kv.second, what + " '" + key + "'");
            check_value(kv.second, key, value);
            out[key] = value;
        }
        if (include) out[kLineKey] = std::to_string(yaml::line_of(node));
        return out;
    }

    const std::string& file() const { return file_; }

private:
    /// A value as messages quote it: long values shortened.
    static std::string shown(const std::string& value) {
        return value.size() > 64 ? value.substr(0, 60) + "..." : value;
    }

    std::string file_;
};

std::string cell_id(const Matrix& m, const Cell& c) {
    std::string id = fmt::format("cuda{}-cudnn{}-{}", c.cuda, c.cudnn, c.provider);
    if (c.runner != "cpu") id += "-" + c.runner;
    if (c.variants != "all") id += "-" + c.variants;
    if (c.toolkit != m.build_cuda) id += "-tk" + c.toolkit;
    if (c.toolkit_cudnn != m.build_cudnn) id += "-tkcudnn" + c.toolkit_cudnn;
    return id;
}

}  // namespace

MatrixError::MatrixError(std::string file, int line, const std::string& message)
    : std::runtime_error(line > 0 ? fmt::format("{}:{}: {}", file, line, message)
                                  : fmt::format("{}: {}", file, message)),
      file_(std::move(file)),
      line_(line) {}

nlohmann::json Cell::to_json() const {
    return nlohmann::json{{"id", id},
                          {"toolkit", toolkit},
                          {"toolkit_cudnn", toolkit_cudnn},
                          {"cuda", cuda},
                          {"cudnn", cudnn},
                          {"provider", provider},
                          {"runner", runner},
                          {"variants", variants},
                          {"variant_list", variant_list},
                          {"tags", tags},
                          {"only", only},
                          {"skew", skew}};
}

std::vector<Cell> Matrix::select(const std::string& tag) const {
    std::vector<Cell> out;
    for (const auto& cell : cells) {
        if (tag.empty() || contains(cell.tags, tag)) out.push_back(cell);
    }
    return out;
}

std::vector<Combination> expand(const std::vector<std::pair<std::string, std::vector<std::string>>>& axes,
                                const std::vector<Combination>& include, const std::vector<Combination>& exclude) {
    std::set<std::string> axis_keys;
    for (const auto& [key, values] : axes) axis_keys.insert(key);
    for (const auto& entry : exclude) {
        for (const auto& [key, value] : entry) {
            if (!axis_keys.count(key)) throw std::invalid_argument(key);
        }
    }
    // The cartesian product, the first axis varying slowest (GitHub's order). No axes: no combinations.
    std::vector<Combination> combos;
    if (!axes.empty()) {
        combos.emplace_back();
        for (const auto& [key, values] : axes) {
            std::vector<Combination> next;
            for (const auto& combo : combos) {
                for (const auto& value : values) {
                    auto extended = combo;
                    extended[key] = value;
                    next.push_back(std::move(extended));
                }
            }
            combos = std::move(next);
        }
    }
    // Exclude: a partial match on the entry's keys removes the combination.
    std::erase_if(combos, [&](const Combination& combo) {
        return std::any_of(exclude.begin(), exclude.end(), [&](const Combination& entry) {
            return std::all_of(entry.begin(), entry.end(),
                               [&](const auto& kv) { return combo.at(kv.first) == kv.second; });
        });
    });
    // Include, after exclude: extend every original combination whose axis values the entry does not
    // overwrite; an entry that fits none is a new combination (new ones are not extended later).
    const std::size_t original = combos.size();
    std::vector<Combination> extra;
    for (const auto& entry : include) {
        bool added = false;
        for (std::size_t i = 0; i < original; ++i) {
            auto& combo = combos[i];
            const bool fits = std::all_of(entry.begin(), entry.end(), [&](const auto& kv) {
                return !axis_keys.count(kv.first) || combo.at(kv.first) == kv.second;
            });
            if (!fits) continue;
            for (const auto& [key, value] : entry) combo[key] = value;
            added = true;
        }
        if (!added) extra.push_back(entry);
    }
    combos.insert(combos.end(), extra.begin(), extra.end());
    return combos;
}

Matrix parse_matrix(const std::string& text, const std::string& file) {
    Reader r(file);
    const YAML::Node root = r.load(text);
    if (!root.IsMap()) r.fail(root, "a matrix file is a mapping with a 'matrix:' key; see matrix/README.md");
    r.check_keys(root, "the matrix file", kTopKeys);
    Matrix m;
    m.file = file;
    if (root["name"]) m.name = r.scalar(root["name"], "'name'");
    if (root["description"]) m.description = r.scalar(root["description"], "'description'");
    auto stack = [&](const char* key, std::string& cuda, std::string& cudnn) {
        cuda = "13.0";
        cudnn = "9.19";
        const YAML::Node node = root[key];
        if (!node) return;
        r.check_keys(node, fmt::format("'{}'", key), {"cuda", "cudnn"});
        if (node["cuda"]) cuda = r.scalar(node["cuda"], fmt::format("'{}.cuda'", key));
        if (node["cudnn"]) cudnn = r.scalar(node["cudnn"], fmt::format("'{}.cudnn'", key));
        r.check_value(node["cuda"], "cuda", cuda);
        r.check_value(node["cudnn"], "cudnn", cudnn);
    };
    stack("build", m.build_cuda, m.build_cudnn);
    stack("host", m.host_cuda, m.host_cudnn);
    std::string default_tags, default_only;
    if (root["tags"]) default_tags = r.scalar_or_list(root["tags"], "'tags'");
    if (const YAML::Node run = root["run"]) {
        r.check_keys(run, "'run'", {"only"});
        if (run["only"]) default_only = r.scalar_or_list(run["only"], "'run.only'");
    }
    std::map<std::string, std::vector<std::string>> variant_sets;
    if (const YAML::Node sets = root["variant_sets"]) {
        if (!sets.IsMap()) r.fail(sets, "'variant_sets' maps a set name to a list of variant names");
        for (const auto& kv : sets) {
            const auto name = yaml::key(kv.first);
            if (name == "all") r.fail(kv.first, "'all' is built in (every variant); pick another set name");
            variant_sets[name] = split_list(r.scalar_or_list(kv.second, fmt::format("variant set '{}'", name)));
        }
    }
    const YAML::Node mnode = root["matrix"];
    if (!mnode)
        r.fail(root, "no 'matrix:' key; a matrix file needs axes and/or include entries (see matrix/README.md)");
    std::vector<std::string> allowed = kAxisKeys;
    allowed.insert(allowed.end(), {"include", "exclude"});
    r.check_keys(mnode, "'matrix'", allowed);

    std::vector<std::pair<std::string, std::vector<std::string>>> axes;
    std::size_t combinations = 1;
    std::vector<Combination> include, exclude;
    std::vector<int> exclude_lines;
    for (const auto& kv : mnode) {
        std::string key = yaml::key(kv.first);
        if (key == "include" || key == "exclude") {
            if (!kv.second.IsSequence()) r.fail(kv.second, fmt::format("'{}' must be a list of mappings", key));
            if (kv.second.size() > kMaxEntries) {
                r.fail(kv.second, fmt::format("'{}' has {} entries; a matrix has at most {} (kMaxEntries)", key,
                                              kv.second.size(), kMaxEntries));
            }
            for (const auto& item : kv.second) {
                auto entry = r.entry(item, fmt::format("an '{}' entry", key), key == "include");
                if (key == "include")
                    include.push_back(std::move(entry));
                else {
                    exclude.push_back(std::move(entry));
                    exclude_lines.push_back(yaml::line_of(item));
                }
            }
            continue;
        }
        if (key == "runtime") key = "cuda";
        if (!kv.second.IsSequence() || kv.second.size() == 0) {
            r.fail(kv.second, fmt::format("axis '{}' must be a non-empty list of values, e.g. {}: [\"12.4\", \"13.0\"]",
                                          key, key));
        }
        if (kv.second.size() > kMaxListLength) {
            r.fail(kv.second, fmt::format("axis '{}' has {} values; an axis has at most {} (kMaxListLength)", key,
                                          kv.second.size(), kMaxListLength));
        }
        std::vector<std::string> values;
        for (const auto& item : kv.second) {
            const auto value = r.scalar(item, fmt::format("a value of axis '{}'", key));
            r.check_value(item, key, value);
            values.push_back(value);
        }
        for (const auto& [other, unused] : axes) {
            if (other == key)
                r.fail(kv.first, fmt::format("axis '{}' is given twice (runtime is cuda's other name)", key));
        }
        axes.emplace_back(key, std::move(values));
        m.axes.push_back(key);
        // The product is checked as it grows, before anything is expanded: a few short axes multiply fast.
        combinations = std::min<std::size_t>(combinations * axes.back().second.size(), kMaxCells + 1);
        if (combinations > kMaxCells) {
            std::vector<std::string> sizes;
            for (const auto& [name, list] : axes) sizes.push_back(fmt::format("{} {}", list.size(), name));
            r.fail(kv.first, fmt::format("the axes expand to more than {} cells ({}); a matrix has at most {} cells "
                                         "(kMaxCells): split it into several files or use include entries",
                                         kMaxCells, join(sizes, " x "), kMaxCells));
        }
    }
    for (std::size_t i = 0; i < exclude.size(); ++i) {
        for (const auto& [key, value] : exclude[i]) {
            if (!contains(m.axes, key)) {
                r.fail(exclude_lines[i], fmt::format("exclude key '{}' matches no axis of the matrix; axes: {}", key,
                                                     m.axes.empty() ? "none" : join(m.axes)));
            }
        }
    }
    m.combinations = expand(axes, include, exclude);
    if (m.combinations.empty()) r.fail(mnode, "the matrix expands to no cell: every combination is excluded");
    if (m.combinations.size() > kMaxCells) {
        r.fail(mnode, fmt::format("the matrix expands to {} cells; a matrix has at most {} (kMaxCells): split it into "
                                  "several files",
                                  m.combinations.size(), kMaxCells));
    }

    const int matrix_line = yaml::line_of(mnode);
    std::map<std::string, int> seen;
    for (auto& combo : m.combinations) {
        const int line = combo.count(kLineKey) ? std::stoi(combo[kLineKey]) : matrix_line;
        combo.erase(kLineKey);
        auto value = [&](const char* key, const std::string& fallback) {
            auto it = combo.find(key);
            return it == combo.end() ? fallback : it->second;
        };
        Cell c;
        c.values = combo;
        c.toolkit = value("toolkit", m.build_cuda);
        c.toolkit_cudnn = value("toolkit_cudnn", m.build_cudnn);
        c.cuda = value("cuda", m.host_cuda);
        c.cudnn = value("cudnn", m.host_cudnn);
        const bool is_host = c.cuda == m.host_cuda && c.cudnn == m.host_cudnn;
        c.provider = value("provider", is_host ? "host" : "wheels");
        c.runner = value("runner", "cpu");
        c.variants = value("variants", "all");
        c.tags = split_list(value("tags", default_tags));
        c.only = split_list(value("only", default_only));
        // Against what this cell's catalogue is compiled with: its toolkit (build-<toolkit>/ when not `build`).
        c.skew = c.cuda != c.toolkit || c.cudnn != c.toolkit_cudnn;
        if (c.provider == "host" && !is_host) {
            r.fail(line, fmt::format("a host cell runs on this machine's own stack (CUDA {}, cuDNN {}), not CUDA {} / "
                                     "cuDNN {}; drop 'provider: host' to get the stack from wheels, or fix 'host:'",
                                     m.host_cuda, m.host_cudnn, c.cuda, c.cudnn));
        }
        if (c.provider == "wheels" && c.cudnn == "none") {
            r.fail(line, "a wheels cell needs a cuDNN version (NVIDIA's PyPI wheels); use provider host for 'none'");
        }
        if (c.variants != "all") {
            auto it = variant_sets.find(c.variants);
            if (it != variant_sets.end())
                c.variant_list = it->second;
            else if (c.variants == "default")
                c.variant_list = {"default"};
            else
                c.variant_list = {c.variants};
        }
        c.id = value("id", cell_id(m, c));
        if (auto [it, fresh] = seen.emplace(c.id, line); !fresh) {
            r.fail(line, fmt::format("two cells get the id '{}' (the other from line {}); give one an 'id:' in its "
                                     "include entry or make their values differ",
                                     c.id, it->second));
        }
        m.cells.push_back(std::move(c));
    }
    return m;
}

Matrix load_matrix(const std::filesystem::path& path) {
    std::string text;
    try {
        text = read_file(path, kMaxMatrixBytes);
    } catch (const FileError& e) {
        throw MatrixError(path.string(), 0,
                          fmt::format("cannot read the matrix file ({}); check the path (matrix files live in "
                                      "matrix/)",
                                      e.what()));
    }
    return parse_matrix(text, path.string());
}

std::vector<Cell> shard(const std::vector<Cell>& cells, std::size_t index, std::size_t count) {
    if (count == 0 || index >= count) {
        throw std::invalid_argument(fmt::format("shard index {} of {}: need 0 <= index < count", index, count));
    }
    std::vector<Cell> out;
    for (std::size_t k = index; k < cells.size(); k += count) out.push_back(cells[k]);
    return out;
}

nlohmann::json github_matrix(const std::vector<Cell>& cells) {
    auto include = nlohmann::json::array();
    for (const auto& c : cells) {
        include.push_back({{"id", c.id},
                           {"toolkit", c.toolkit},
                           {"toolkit_cudnn", c.toolkit_cudnn},
                           {"cuda", c.cuda},
                           {"cudnn", c.cudnn},
                           {"provider", c.provider},
                           {"runner", c.runner},
                           {"variants", c.variants},
                           {"tags", join(c.tags, ",")},
                           {"skew", c.skew ? "true" : "false"}});
    }
    return nlohmann::json{{"include", include}};
}

nlohmann::json resource_spec(const results::Fingerprint& fingerprint, int slots_per_gpu) {
    auto gpus = nlohmann::json::array();
    for (const auto& gpu : fingerprint.gpus)
        gpus.push_back({{"id", std::to_string(gpu.index)}, {"slots", slots_per_gpu}});
    return nlohmann::json{{"version", {{"major", 1}, {"minor", 0}}}, {"local", {{{"gpus", gpus}}}}};
}

}  // namespace cuconform::matrix
