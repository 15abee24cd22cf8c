// SPDX-License-Identifier: Apache-2.0
/// \file Loading and validating matrix/knowledge/*.yaml, and answering questions from it.
#include "knowledge/knowledge.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <set>

#include "core/build_info.h"
#include "knowledge/frameworks.h"

namespace cuconform::knowledge {

// ---------------------------------------------------------------------------------------------
// Small value types

namespace {

std::string with_line(const std::string& file, int line, const std::string& message) {
    return line > 0 ? fmt::format("{}:{}: {}", file, line, message) : fmt::format("{}: {}", file, message);
}

}  // namespace

KnowledgeError::KnowledgeError(std::string file, int line, const std::string& message)
    : std::runtime_error(with_line(file, line, message)), file_(std::move(file)), line_(line) {}

std::string Citation::url() const { return sources.empty() ? std::string() : sources.front().url; }

std::string Citation::where() const { return fmt::format("{}:{}", file, line); }

std::string Answer::url() const {
    for (const auto& c : evidence) {
        if (c.sourced()) return c.url();
    }
    return {};
}

std::string_view to_string(Answer::Value value) {
    switch (value) {
        case Answer::Value::Yes:
            return "yes";
        case Answer::Value::No:
            return "no";
        case Answer::Value::Unknown:
            break;
    }
    return "unknown";
}

std::string CcSet::str() const {
    if (is_list()) {
        std::string out;
        for (const auto& cc : list) out += (out.empty() ? "" : ", ") + cc.str();
        return out;
    }
    return max ? fmt::format("{} to {}", min.str(), max->str()) : fmt::format("{} and later", min.str());
}

std::string CudnnPackage::cuda_str() const {
    std::string out;
    for (const auto& [from, to] : cuda) {
        if (!out.empty()) out += ", ";
        out += from == to ? from.str() : fmt::format("{}-{}", from.str(), to.str());
    }
    return out;
}

std::string CudnnRelease::label() const {
    return through == version ? version.str() : fmt::format("{}-{}", version.str(), through.str());
}

// ---------------------------------------------------------------------------------------------
// The parsed data

namespace {

struct DriverFact {
    std::optional<Version> linux_min;
    std::vector<std::pair<Version, Version>> updates;  ///< Update release -> its minimum, ascending.
    Citation citation;
};

struct ArchFact {
    std::vector<std::string> add;
    std::vector<std::string> remove;
    Citation citation;
};

struct Toolkit {
    Version version;  ///< major.minor
    std::optional<DriverFact> driver;
    std::optional<Fact<Version>> ptx_isa;  ///< Unsourced: empty value.
    std::optional<ArchFact> archs;         ///< Unsourced: no changes, empty sources.
};

struct Family {
    int major = 0;
    bool minor_version_compat = false;
    std::optional<Version> min_driver;
    Citation citation;
};

struct SupportEnd {
    int cuda_major = 0;
    Version last_cudnn;
    Citation citation;
};

struct Sublibraries {
    int major = 0;
    std::optional<Version> from;
    std::vector<std::string> libraries;
    Citation citation;
};

struct Encoding {
    std::optional<int> from_major;
    std::optional<int> until_major;
    long major_factor = 0;
    Citation citation;
};

struct CompatRule {
    int minor_backward_from_major = 0;
    Citation citation;
};

struct CompatException {
    Version loaded;
    std::string text;
    Citation citation;
};

struct Feature {
    std::vector<std::string> keys;  ///< Normalised name and aliases.
    Version min_cc;
    Citation citation;
};

struct GpuRow {
    std::vector<std::vector<std::string>> names;  ///< Normalised token lists of the name and aliases.
    Fact<Gpu> gpu;
};

}  // namespace

struct KnowledgeBase::Data {
    std::filesystem::path dir;
    std::vector<Entry> entries;
    std::vector<FileSummary> files;

    std::vector<Family> families;
    std::vector<Toolkit> toolkits;

    std::vector<CudnnRelease> releases;
    std::vector<Fact<Version>> known_releases;
    std::vector<SupportEnd> support_ends;
    std::vector<Sublibraries> sublibraries;
    std::vector<Encoding> encodings;
    std::optional<CompatRule> compat_rule;
    std::vector<CompatException> compat_exceptions;
    std::optional<Fact<std::string>> pytorch_message;

    std::vector<Feature> features;
    std::vector<GpuRow> gpus;

    std::vector<Fact<ErrorCode>> runtime_errors;
    std::vector<Fact<ErrorCode>> driver_errors;
    std::map<int, std::vector<Fact<ErrorCode>>> cudnn_statuses;

    std::vector<Fact<EnvVar>> env;
};

namespace {

using Data = KnowledgeBase::Data;
using Keys = std::initializer_list<std::string_view>;

constexpr int kSchema = 1;

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

/// Lower case, runs of anything but letters and digits become one '_' ("FP8 E4M3" -> "fp8_e4m3").
std::string feature_key(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c)) {
            out += static_cast<char>(std::tolower(c));
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out;
}

/// A GPU name as lower-case words without the vendor and brand words ("NVIDIA A100-SXM4-80GB" ->
/// a100 sxm4 80gb).
std::vector<std::string> gpu_tokens(std::string_view name) {
    static const std::set<std::string> kIgnored = {"nvidia", "tesla", "geforce"};
    std::vector<std::string> tokens;
    std::string word;
    auto flush = [&] {
        if (!word.empty() && !kIgnored.contains(word)) tokens.push_back(word);
        word.clear();
    };
    for (unsigned char c : name) {
        if (std::isalnum(c)) {
            word += static_cast<char>(std::tolower(c));
        } else {
            flush();
        }
    }
    flush();
    return tokens;
}

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

/// "sm_90a" -> {90, "a"}; nullopt when it is not sm_<digits>[a|f].
std::optional<std::pair<int, std::string>> split_arch(std::string_view arch) {
    if (!arch.starts_with("sm_")) return std::nullopt;
    std::string_view rest = arch.substr(3);
    int number = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
    if (ec != std::errc{} || end == rest.data()) return std::nullopt;
    std::string suffix(end, rest.data() + rest.size());
    if (!(suffix.empty() || suffix == "a" || suffix == "f")) return std::nullopt;
    return std::make_pair(number, suffix);
}

bool arch_less(const std::string& a, const std::string& b) { return split_arch(a) < split_arch(b); }

/// Versions dotted to three places, as cuDNN writes them ("9.3" -> "9.3.0").
std::string dotted3(const Version& v) { return fmt::format("{}.{}.{}", v.major(), v.minor(), v.patch()); }

Version major_minor(const Version& v) { return Version({v.major(), v.minor()}); }

/// `v` compared with `bound` at the bound's own depth, so that "8.8" covers every 8.8.x.
bool at_most(const Version& v, const Version& bound) { return v.truncated(bound.parts().size()) <= bound; }

int line_of(const YAML::Node& node) {
    const int line = node.Mark().line;
    return line >= 0 ? line + 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Reading one file

/// Reads one knowledge file into Data, checking every key, value and source as it goes. Every
/// problem is a KnowledgeError at the line of the offending node.
class FileReader {
public:
    FileReader(std::filesystem::path path, Data& data)
        : path_(std::move(path)), name_(path_.filename().string()), data_(data) {}

    void read() {
        using Section = void (FileReader::*)(const YAML::Node&);
        struct FileKind {
            std::vector<std::string> sections;
            Section read;
        };
        static const std::map<std::string, FileKind> kKinds = {
            {"toolkits.yaml", {{"families", "toolkits"}, &FileReader::read_toolkits}},
            {"cudnn.yaml",
             {{"releases", "cuda_support_ends", "known_releases", "sublibraries", "version_encoding", "compatibility"},
              &FileReader::read_cudnn}},
            {"hardware.yaml", {{"features", "gpus"}, &FileReader::read_hardware}},
            {"errors.yaml", {{"cuda_runtime", "cuda_driver", "cudnn_status"}, &FileReader::read_errors}},
            {"env.yaml", {{"variables"}, &FileReader::read_env}},
        };
        if (name_ == "frameworks.yaml") {
            // Read by its own reader (knowledge/frameworks.h); validated here with the rest.
            const Frameworks frameworks = Frameworks::load(path_);
            data_.entries.insert(data_.entries.end(), frameworks.entries().begin(), frameworks.entries().end());
            data_.files.push_back(frameworks.summary());
            return;
        }
        const auto kind = kKinds.find(name_);
        if (kind == kKinds.end()) {
            std::vector<std::string> names;
            for (const auto& [name, unused] : kKinds) names.push_back(name);
            throw KnowledgeError(
                path_.string(), 0,
                fmt::format("not a knowledge file: the files are {}; rename it or move it elsewhere", join(names)));
        }

        const YAML::Node root = parse();
        std::vector<std::string_view> allowed = {"schema", "sources"};
        for (const auto& section : kind->second.sections) allowed.push_back(section);
        check_keys(root, "the top level", {"schema", "sources"}, allowed);
        const YAML::Node schema = root["schema"];
        if (integer(schema, "schema") != kSchema) {
            fail(schema,
                 fmt::format("schema {} is not supported: this build reads schema {}", schema.Scalar(), kSchema));
        }
        read_sources(root["sources"]);
        const std::size_t first_entry = data_.entries.size();
        (this->*kind->second.read)(root);
        check_sources_used();

        FileSummary summary{name_, data_.entries.size() - first_entry, 0, sources_.size()};
        for (std::size_t i = first_entry; i < data_.entries.size(); ++i) {
            if (!data_.entries[i].citation.sourced()) ++summary.unsourced;
        }
        data_.files.push_back(summary);
    }

private:
    // --- generic checks ---------------------------------------------------------------------

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
        throw KnowledgeError(path_.string(), line_of(at), message);
    }

    YAML::Node parse() const {
        try {
            YAML::Node root = YAML::LoadFile(path_.string());
            if (!root.IsMap()) {
                throw KnowledgeError(path_.string(), root.IsDefined() && !root.IsNull() ? line_of(root) : 0,
                                     "a knowledge file is a mapping with `schema:`, `sources:` and its sections");
            }
            return root;
        } catch (const YAML::ParserException& e) {
            throw KnowledgeError(path_.string(), e.mark.line >= 0 ? e.mark.line + 1 : 0,
                                 fmt::format("not valid YAML ({}); fix the syntax", e.msg));
        } catch (const YAML::BadFile&) {
            throw KnowledgeError(path_.string(), 0, "cannot read the file");
        }
    }

    /// `node` must be a mapping holding every `required` key, no key outside `allowed` (which
    /// includes the required ones), and no key twice.
    void check_keys(const YAML::Node& node, std::string_view what, Keys required,
                    const std::vector<std::string_view>& allowed) const {
        if (!node.IsMap()) fail(node, fmt::format("{} must be a mapping (key: value)", what));
        std::map<std::string, int> seen;
        for (const auto& kv : node) {
            const std::string key = kv.first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                std::vector<std::string> names(allowed.begin(), allowed.end());
                fail(kv.first, fmt::format("unknown key '{}' in {}; the keys are: {}", key, what, join(names)));
            }
            if (auto [it, inserted] = seen.emplace(key, line_of(kv.first)); !inserted) {
                fail(kv.first,
                     fmt::format("key '{}' appears twice in {} (first at line {}); keep one", key, what, it->second));
            }
        }
        for (std::string_view key : required) {
            if (!seen.contains(std::string(key))) fail(node, fmt::format("{} has no '{}'; add it", what, key));
        }
    }

    void check_keys(const YAML::Node& node, std::string_view what, Keys required, Keys optional) const {
        std::vector<std::string_view> allowed(required);
        allowed.insert(allowed.end(), optional.begin(), optional.end());
        check_keys(node, what, required, allowed);
    }

    /// A fact's keys: `required` and `optional` plus the provenance keys (source, status, note).
    void check_fact_keys(const YAML::Node& node, std::string_view what, Keys required, Keys optional) const {
        std::vector<std::string_view> allowed(required);
        allowed.insert(allowed.end(), optional.begin(), optional.end());
        allowed.insert(allowed.end(), {"source", "status", "note"});
        check_keys(node, what, required, allowed);
    }

    std::string scalar(const YAML::Node& node, std::string_view what) const {
        if (!node.IsScalar())
            fail(node, fmt::format("{} must be a single value, not empty, a list or a mapping", what));
        return node.Scalar();
    }

    std::string text(const YAML::Node& map, const char* key, std::string_view what) const {
        const YAML::Node node = map[key];
        return node ? scalar(node, fmt::format("'{}' of {}", key, what)) : std::string();
    }

    long integer(const YAML::Node& node, std::string_view what) const {
        const std::string s = scalar(node, what);
        long value = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec != std::errc{} || end != s.data() + s.size()) {
            fail(node, fmt::format("bad number '{}' for {}: write a whole number", s, what));
        }
        return value;
    }

    bool boolean(const YAML::Node& node, std::string_view what) const {
        const std::string s = scalar(node, what);
        if (s == "true") return true;
        if (s == "false") return false;
        fail(node, fmt::format("bad value '{}' for {}: write true or false", s, what));
    }

    Version version(const YAML::Node& node, std::string_view what) const {
        const std::string s = scalar(node, what);
        const auto v = Version::parse(s);
        if (!v) fail(node, fmt::format("bad version '{}' for {}: write a dotted version such as \"12.4\"", s, what));
        return *v;
    }

    std::optional<Version> optional_version(const YAML::Node& map, const char* key, std::string_view what) const {
        const YAML::Node node = map[key];
        if (!node) return std::nullopt;
        return version(node, fmt::format("'{}' of {}", key, what));
    }

    Version compute_capability(const YAML::Node& node, std::string_view what) const {
        const Version v = version(node, what);
        if (v.parts().size() != 2) {
            fail(node, fmt::format("bad compute capability '{}' for {}: write major.minor, such as \"8.6\"",
                                   node.Scalar(), what));
        }
        return v;
    }

    std::vector<YAML::Node> list(const YAML::Node& node, std::string_view what) const {
        if (!node.IsSequence()) fail(node, fmt::format("{} must be a list", what));
        return {node.begin(), node.end()};
    }

    std::vector<YAML::Node> section(const YAML::Node& root, const char* key) const {
        const YAML::Node node = root[key];
        if (!node) return {};
        return list(node, fmt::format("'{}'", key));
    }

    std::vector<std::string> strings(const YAML::Node& node, std::string_view what) const {
        std::vector<std::string> out;
        for (const auto& item : list(node, what)) out.push_back(scalar(item, fmt::format("an item of {}", what)));
        return out;
    }

    // --- sources and citations --------------------------------------------------------------

    void read_sources(const YAML::Node& node) {
        if (!node.IsMap() || node.size() == 0) {
            fail(node, "'sources' must map ids to {url, title, kind}; add the sources the facts cite");
        }
        for (const auto& kv : node) {
            const std::string id = kv.first.Scalar();
            const bool valid_id = !id.empty() && std::all_of(id.begin(), id.end(), [](unsigned char c) {
                return std::isalnum(c) || c == '-' || c == '_' || c == '.';
            });
            if (!valid_id) fail(kv.first, fmt::format("bad source id '{}': use letters, digits, '-', '_' and '.'", id));
            if (sources_.contains(id)) {
                fail(kv.first,
                     fmt::format("source '{}' is defined twice (first at line {}); keep one", id, source_lines_[id]));
            }
            const std::string what = fmt::format("source '{}'", id);
            check_keys(kv.second, what, {"url", "title", "kind"}, Keys{});
            const std::string url = text(kv.second, "url", what);
            if (!url.starts_with("https://") || url.size() <= 8 || url.find(' ') != std::string::npos) {
                fail(kv.second["url"],
                     fmt::format("{} has url '{}': write the https:// address the fact sheet gives", what, url));
            }
            const std::string kind = text(kv.second, "kind", what);
            if (kind != "primary" && kind != "secondary") {
                fail(kv.second["kind"],
                     fmt::format("{} has kind '{}': write primary (NVIDIA) or secondary (third party)", what, kind));
            }
            sources_[id] = Source{id, url, text(kv.second, "title", what), kind == "primary"};
            source_lines_[id] = line_of(kv.first);
        }
    }

    void check_sources_used() const {
        for (const auto& [id, line] : source_lines_) {
            if (!used_.contains(id)) {
                throw KnowledgeError(path_.string(), line,
                                     fmt::format("source '{}' is cited by no entry; cite it or remove it", id));
            }
        }
    }

    /// The provenance of a fact mapping: `source` (an id or a list of ids from `sources:`), or
    /// `status: unsourced`; `note` either way. An unsourced fact may carry only the keys in
    /// `identity` besides status and note: no value, so that nothing is derived from it.
    Citation cite(const YAML::Node& fact, std::string_view what, Keys identity = {}) {
        Citation c{name_, line_of(fact), {}, text(fact, "note", what)};
        const YAML::Node status = fact["status"];
        const YAML::Node source = fact["source"];
        if (status) {
            if (scalar(status, fmt::format("'status' of {}", what)) != "unsourced") {
                fail(status, fmt::format("{} has status '{}': the only status is 'unsourced' (a sourced fact names "
                                         "its `source:` instead)",
                                         what, status.Scalar()));
            }
            if (source)
                fail(source, fmt::format("{} is marked unsourced but names a source: remove one of the two", what));
            if (c.note.empty())
                fail(fact, fmt::format("unsourced {} has no note: say what is missing or unverified", what));
            for (const auto& kv : fact) {
                const std::string key = kv.first.Scalar();
                if (key == "status" || key == "note" ||
                    std::find(identity.begin(), identity.end(), key) != identity.end()) {
                    continue;
                }
                fail(kv.first, fmt::format("unsourced {} has a value ('{}'): nothing may be derived from an unsourced "
                                           "fact; move what is known into its note, or give it a source",
                                           what, key));
            }
            return c;
        }
        if (!source) {
            fail(fact, fmt::format("{} has no source: add `source: <id>` naming an entry of `sources:`, or "
                                   "`status: unsourced` with a note saying what is missing",
                                   what));
        }
        const std::vector<YAML::Node> ids = source.IsSequence() ? list(source, "source") : std::vector{source};
        if (ids.empty()) fail(source, fmt::format("{} has an empty source list: name at least one source", what));
        for (const auto& id_node : ids) {
            const std::string id = scalar(id_node, fmt::format("a source of {}", what));
            const auto found = sources_.find(id);
            if (found == sources_.end()) {
                std::vector<std::string> known;
                for (const auto& [known_id, unused] : sources_) known.push_back(known_id);
                fail(id_node, fmt::format("{} cites unknown source '{}': define it under `sources:` or use one of {}",
                                          what, id, join(known)));
            }
            used_.insert(id);
            c.sources.push_back(found->second);
        }
        return c;
    }

    void record(std::string kind, std::string key, const Citation& citation) {
        data_.entries.push_back(Entry{std::move(kind), std::move(key), citation});
    }

    // --- toolkits.yaml ----------------------------------------------------------------------

    void read_toolkits(const YAML::Node& root) {
        for (const auto& node : section(root, "families")) {
            check_fact_keys(node, "a family", {"major"}, {"minor_version_compat", "min_driver", "below_driver"});
            Family family;
            family.major = static_cast<int>(integer(node["major"], "'major' of a family"));
            const std::string what = fmt::format("family CUDA {}.x", family.major);
            family.citation = cite(node, what, {"major"});
            for (const auto& other : data_.families) {
                if (other.major == family.major) {
                    fail(node,
                         fmt::format("{} is listed twice (first at line {}); keep one", what, other.citation.line));
                }
            }
            record("toolkit.family", std::to_string(family.major), family.citation);
            if (!family.citation.sourced()) continue;
            if (!node["minor_version_compat"])
                fail(node, fmt::format("{} has no 'minor_version_compat'; add true or false", what));
            family.minor_version_compat = boolean(node["minor_version_compat"], "'minor_version_compat' of " + what);
            family.min_driver = optional_version(node, "min_driver", what);
            optional_version(node, "below_driver", what);
            if (family.minor_version_compat && !family.min_driver) {
                fail(node,
                     fmt::format("{} has minor version compatibility but no min_driver; add it (release notes Table 2)",
                                 what));
            }
            data_.families.push_back(family);
        }

        std::map<std::string, std::pair<int, int>> arch_state;  ///< arch -> (accepted?, line of its last change)
        for (const auto& node : section(root, "toolkits")) {
            check_keys(node, "a toolkit", {"version"}, {"driver", "ptx_isa", "released", "archs", "note"});
            Toolkit toolkit;
            toolkit.version = version(node["version"], "a toolkit");
            const std::string key = toolkit.version.str();
            const std::string what = "toolkit " + key;
            if (toolkit.version.parts().size() != 2) {
                fail(node["version"],
                     fmt::format("{}: write the toolkit as major.minor; updates go under driver.updates", what));
            }
            if (!data_.toolkits.empty() && data_.toolkits.back().version >= toolkit.version) {
                fail(node["version"], fmt::format("{} comes after {}: list each toolkit once, oldest first", what,
                                                  data_.toolkits.back().version.str()));
            }
            if (const YAML::Node d = node["driver"]) toolkit.driver = read_driver(d, toolkit.version, what);
            if (const YAML::Node p = node["ptx_isa"]) {
                check_fact_keys(p, "ptx_isa of " + what, {}, {"version"});
                Fact<Version> fact{{}, cite(p, "ptx_isa of " + what)};
                if (fact.citation.sourced()) {
                    if (!p["version"]) fail(p, fmt::format("ptx_isa of {} has no 'version'; add it", what));
                    fact.value = version(p["version"], "ptx_isa of " + what);
                }
                record("toolkit.ptx_isa", key, fact.citation);
                toolkit.ptx_isa = fact;
            }
            if (const YAML::Node r = node["released"]) {
                check_fact_keys(r, "released of " + what, {}, {"date"});
                const Citation c = cite(r, "released of " + what);
                if (c.sourced()) {
                    if (!r["date"])
                        fail(r, fmt::format("released of {} has no 'date'; add YYYY, YYYY-MM or YYYY-MM-DD", what));
                    check_date(r["date"], "released of " + what);
                }
                record("toolkit.released", key, c);
            }
            if (const YAML::Node a = node["archs"]) toolkit.archs = read_archs(a, key, arch_state);
            data_.toolkits.push_back(std::move(toolkit));
        }
    }

    DriverFact read_driver(const YAML::Node& node, const Version& toolkit, const std::string& toolkit_what) {
        const std::string what = "driver of " + toolkit_what;
        check_fact_keys(node, what, {}, {"linux", "windows", "updates"});
        DriverFact driver;
        driver.citation = cite(node, what);
        record("toolkit.driver", toolkit.str(), driver.citation);
        if (!driver.citation.sourced()) return driver;
        if (!node["linux"]) fail(node, fmt::format("{} has no 'linux' minimum; add it (release notes Table 3)", what));
        driver.linux_min = optional_version(node, "linux", what);
        optional_version(node, "windows", what);  // validated; the questions are about Linux
        if (const YAML::Node updates = node["updates"]) {
            if (!updates.IsMap())
                fail(updates, fmt::format("'updates' of {} must map update releases to drivers", what));
            for (const auto& kv : updates) {
                const Version release = version(kv.first, "an update release of " + what);
                if (major_minor(release) != toolkit || release.parts().size() != 3) {
                    fail(kv.first, fmt::format("update {} is not a {} update release: write {}.N", release.str(),
                                               toolkit.str(), toolkit.str()));
                }
                if (!driver.updates.empty() && driver.updates.back().first >= release) {
                    fail(kv.first,
                         fmt::format("update {} of {}: list updates once, oldest first", release.str(), what));
                }
                driver.updates.emplace_back(release, version(kv.second, "the driver of update " + release.str()));
            }
        }
        return driver;
    }

    ArchFact read_archs(const YAML::Node& node, const std::string& toolkit,
                        std::map<std::string, std::pair<int, int>>& state) {
        const std::string what = "archs of toolkit " + toolkit;
        check_fact_keys(node, what, {}, {"add", "remove"});
        ArchFact archs;
        archs.citation = cite(node, what);
        record("toolkit.archs", toolkit, archs.citation);
        if (!archs.citation.sourced()) return archs;
        for (const auto& [key, accepted] : {std::pair{"add", true}, std::pair{"remove", false}}) {
            const YAML::Node items = node[key];
            if (!items) continue;
            for (const auto& item : list(items, fmt::format("'{}' of {}", key, what))) {
                const std::string arch = scalar(item, "an architecture of " + what);
                if (!split_arch(arch)) {
                    fail(item, fmt::format("bad architecture '{}' in {}: write sm_XX, sm_XXa or sm_XXf", arch, what));
                }
                const auto found = state.find(arch);
                const bool was_accepted = found != state.end() && found->second.first;
                if (accepted && was_accepted) {
                    fail(item, fmt::format("{} adds {}, which is already accepted since line {}; remove it here", what,
                                           arch, found->second.second));
                }
                if (!accepted && !was_accepted) {
                    fail(item,
                         fmt::format("{} removes {}, which no earlier toolkit accepts; check the name", what, arch));
                }
                state[arch] = {accepted, line_of(item)};
                (accepted ? archs.add : archs.remove).push_back(arch);
            }
        }
        return archs;
    }

    void check_date(const YAML::Node& node, std::string_view what) const {
        const std::string s = scalar(node, what);
        const bool ok = [&] {
            if (s.size() != 4 && s.size() != 7 && s.size() != 10) return false;
            for (std::size_t i = 0; i < s.size(); ++i) {
                const bool dash = i == 4 || i == 7;
                if (dash ? s[i] != '-' : !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
            }
            return true;
        }();
        if (!ok) fail(node, fmt::format("bad date '{}' for {}: write YYYY, YYYY-MM or YYYY-MM-DD", s, what));
    }

    // --- cudnn.yaml -------------------------------------------------------------------------

    CcSet read_cc(const YAML::Node& node, std::string_view what) const {
        CcSet cc;
        if (node.IsSequence()) {
            for (const auto& item : list(node, what)) cc.list.push_back(compute_capability(item, what));
            if (cc.list.empty()) fail(node, fmt::format("{} is an empty list: name the compute capabilities", what));
            std::sort(cc.list.begin(), cc.list.end());
            return cc;
        }
        check_keys(node, what, {"min"}, {"max"});
        cc.min = compute_capability(node["min"], what);
        if (const YAML::Node max = node["max"]) cc.max = compute_capability(max, what);
        if (cc.max && *cc.max < cc.min)
            fail(node, fmt::format("{}: max {} is below min {}", what, cc.max->str(), cc.min.str()));
        return cc;
    }

    CudnnPackage read_package(const YAML::Node& node, std::string_view row) const {
        const std::string what = fmt::format("a package of {}", row);
        check_keys(node, what, {"cuda"}, {"name", "cc", "min_driver", "note"});
        CudnnPackage package;
        package.name = text(node, "name", what);
        package.note = text(node, "note", what);
        for (const auto& item : list(node["cuda"], "'cuda' of " + what)) {
            if (item.IsMap()) {
                check_keys(item, "a CUDA range of " + what, {"from", "to"}, Keys{});
                const Version from = version(item["from"], "a CUDA range of " + what);
                const Version to = version(item["to"], "a CUDA range of " + what);
                if (to < from)
                    fail(item, fmt::format("CUDA range {} to {} of {} is backwards", from.str(), to.str(), what));
                package.cuda.emplace_back(from, to);
            } else {
                const Version v = version(item, "a CUDA version of " + what);
                package.cuda.emplace_back(v, v);
            }
        }
        if (package.cuda.empty()) fail(node, fmt::format("{} lists no CUDA version", what));
        if (const YAML::Node cc = node["cc"]) package.cc = read_cc(cc, "'cc' of " + what);
        if (const YAML::Node driver = node["min_driver"]) {
            check_keys(driver, "'min_driver' of " + what, Keys{}, {"linux", "windows"});
            package.min_driver_linux = optional_version(driver, "linux", what);
            package.min_driver_windows = optional_version(driver, "windows", what);
        }
        return package;
    }

    void read_cudnn(const YAML::Node& root) {
        for (const auto& node : section(root, "releases")) {
            check_fact_keys(node, "a cuDNN release", {"version"}, {"through", "cc", "packages"});
            CudnnRelease row;
            row.version = version(node["version"], "a cuDNN release");
            row.through =
                node["through"] ? version(node["through"], "'through' of cuDNN " + row.version.str()) : row.version;
            const std::string what = "cuDNN " + row.label();
            if (!at_most(row.version, row.through)) fail(node, fmt::format("{}: 'through' is before 'version'", what));
            if (!data_.releases.empty() && at_most(row.version, data_.releases.back().through)) {
                fail(node["version"],
                     fmt::format("{} starts inside or before cuDNN {} (line {}): list rows once, oldest "
                                 "first",
                                 what, data_.releases.back().label(), data_.releases.back().citation.line));
            }
            row.citation = cite(node, what, {"version", "through"});
            row.sourced = row.citation.sourced();
            record("cudnn.release", row.label(), row.citation);
            if (row.sourced) {
                if (const YAML::Node cc = node["cc"]) row.cc = read_cc(cc, "'cc' of " + what);
                if (const YAML::Node packages = node["packages"]) {
                    for (const auto& p : list(packages, "'packages' of " + what))
                        row.packages.push_back(read_package(p, what));
                }
                if (!row.cc && row.packages.empty())
                    fail(node, fmt::format("{} has neither 'cc' nor 'packages': add what its matrix says", what));
            }
            data_.releases.push_back(std::move(row));
        }

        for (const auto& node : section(root, "cuda_support_ends")) {
            check_fact_keys(node, "a cuda_support_ends entry", {"cuda_major", "last_cudnn"}, {});
            SupportEnd end{static_cast<int>(integer(node["cuda_major"], "'cuda_major'")),
                           version(node["last_cudnn"], "'last_cudnn'"),
                           {}};
            end.citation = cite(node, fmt::format("the end of CUDA {}.x support", end.cuda_major));
            record("cudnn.cuda_support_end", std::to_string(end.cuda_major), end.citation);
            data_.support_ends.push_back(end);
        }

        std::map<Version, int> known_lines;
        for (const auto& node : section(root, "known_releases")) {
            check_fact_keys(node, "a known release", {"version"}, {});
            const Version v = version(node["version"], "a known release");
            if (auto [it, inserted] = known_lines.emplace(v, line_of(node)); !inserted) {
                fail(node,
                     fmt::format("known release {} is listed twice (first at line {}); keep one", v.str(), it->second));
            }
            const Citation c = cite(node, "known release " + v.str());
            record("cudnn.known_release", v.str(), c);
            data_.known_releases.push_back({v, c});
        }

        for (const auto& node : section(root, "sublibraries")) {
            check_fact_keys(node, "a sublibraries entry", {"major", "libraries"}, {"from", "shim"});
            Sublibraries entry;
            entry.major = static_cast<int>(integer(node["major"], "'major' of a sublibraries entry"));
            entry.from = optional_version(node, "from", "a sublibraries entry");
            const std::string key = entry.from ? entry.from->str() : std::to_string(entry.major);
            entry.libraries = strings(node["libraries"], "'libraries' of cuDNN " + key);
            for (const auto& other : data_.sublibraries) {
                if (other.major == entry.major && other.from == entry.from) {
                    fail(node, fmt::format("sub-libraries of cuDNN {} are listed twice (first at line {}); keep one",
                                           key, other.citation.line));
                }
            }
            if (entry.from && entry.from->major() != entry.major) {
                fail(node["from"], fmt::format("'from' {} is not a cuDNN {} release", entry.from->str(), entry.major));
            }
            entry.citation = cite(node, "sub-libraries of cuDNN " + key);
            record("cudnn.sublibraries", key, entry.citation);
            data_.sublibraries.push_back(entry);
        }

        for (const auto& node : section(root, "version_encoding")) {
            check_fact_keys(node, "a version_encoding entry", {"formula", "major_factor"},
                            {"from_major", "until_major"});
            Encoding e;
            if (node["from_major"]) e.from_major = static_cast<int>(integer(node["from_major"], "'from_major'"));
            if (node["until_major"]) e.until_major = static_cast<int>(integer(node["until_major"], "'until_major'"));
            if (!e.from_major && !e.until_major)
                fail(node, "a version_encoding entry needs from_major or until_major (or both)");
            e.major_factor = integer(node["major_factor"], "'major_factor'");
            e.citation = cite(node, "a version_encoding entry");
            record("cudnn.version_encoding", text(node, "formula", "a version_encoding entry"), e.citation);
            data_.encodings.push_back(e);
        }

        if (const YAML::Node compat = root["compatibility"]) read_compatibility(compat);
    }

    void read_compatibility(const YAML::Node& node) {
        check_keys(node, "'compatibility'", {"rule"}, {"exceptions", "messages"});
        const YAML::Node rule = node["rule"];
        check_fact_keys(rule, "the compatibility rule", {"minor_backward_from_major", "text"}, {});
        data_.compat_rule =
            CompatRule{static_cast<int>(integer(rule["minor_backward_from_major"], "'minor_backward_from_major'")),
                       cite(rule, "the compatibility rule")};
        record("cudnn.compatibility.rule", "minor_backward", data_.compat_rule->citation);

        if (const YAML::Node exceptions = node["exceptions"]) {
            for (const auto& e : list(exceptions, "'exceptions'")) {
                check_fact_keys(e, "a compatibility exception", {"loaded", "text"}, {});
                CompatException exception{version(e["loaded"], "'loaded' of a compatibility exception"),
                                          text(e, "text", "a compatibility exception"),
                                          {}};
                exception.citation = cite(e, "the exception for cuDNN " + exception.loaded.str());
                record("cudnn.compatibility.exception", exception.loaded.str(), exception.citation);
                data_.compat_exceptions.push_back(exception);
            }
        }
        if (const YAML::Node messages = node["messages"]) {
            for (const auto& m : list(messages, "'messages'")) {
                check_fact_keys(m, "a compatibility message", {"framework"}, {"text"});
                const std::string framework = text(m, "framework", "a compatibility message");
                const Citation c = cite(m, framework + "'s compatibility message", {"framework"});
                record("cudnn.compatibility.message", framework, c);
                if (!c.sourced()) continue;
                const std::string message = text(m, "text", framework + "'s compatibility message");
                if (message.find("{built}") == std::string::npos || message.find("{loaded}") == std::string::npos) {
                    fail(m, fmt::format("{}'s compatibility message needs the placeholders {{built}} and {{loaded}}",
                                        framework));
                }
                if (framework == "pytorch") data_.pytorch_message = Fact<std::string>{message, c};
            }
        }
    }

    // --- hardware.yaml ----------------------------------------------------------------------

    void read_hardware(const YAML::Node& root) {
        std::map<std::string, int> feature_keys;
        for (const auto& node : section(root, "features")) {
            check_fact_keys(node, "a feature", {"name", "min_cc", "description"}, {"aliases"});
            Feature feature;
            const std::string name = text(node, "name", "a feature");
            const std::string what = "feature " + name;
            std::vector<std::string> names = {name};
            if (node["aliases"]) {
                for (const auto& alias : strings(node["aliases"], "'aliases' of " + what)) names.push_back(alias);
            }
            for (const auto& alias : names) {
                const std::string key = feature_key(alias);
                if (std::find(feature.keys.begin(), feature.keys.end(), key) != feature.keys.end()) continue;
                if (auto [it, inserted] = feature_keys.emplace(key, line_of(node)); !inserted) {
                    fail(node, fmt::format("{}: the name '{}' is taken by the feature at line {}; use another", what,
                                           alias, it->second));
                }
                feature.keys.push_back(key);
            }
            feature.min_cc = compute_capability(node["min_cc"], "'min_cc' of " + what);
            feature.citation = cite(node, what);
            record("hardware.feature", name, feature.citation);
            data_.features.push_back(std::move(feature));
        }

        std::map<std::vector<std::string>, int> gpu_names;
        for (const auto& node : section(root, "gpus")) {
            check_fact_keys(node, "a GPU", {"name", "cc"}, {"aliases", "memory"});
            GpuRow row;
            row.gpu.value.name = text(node, "name", "a GPU");
            const std::string what = "GPU " + row.gpu.value.name;
            std::vector<std::string> names = {row.gpu.value.name};
            if (node["aliases"]) {
                for (const auto& alias : strings(node["aliases"], "'aliases' of " + what)) names.push_back(alias);
            }
            for (const auto& name : names) {
                std::vector<std::string> tokens = gpu_tokens(name);
                if (tokens.empty())
                    fail(node, fmt::format("{}: '{}' has no words to match; write the model name", what, name));
                if (std::find(row.names.begin(), row.names.end(), tokens) != row.names.end()) continue;
                if (auto [it, inserted] = gpu_names.emplace(tokens, line_of(node)); !inserted) {
                    fail(node, fmt::format("{}: the name '{}' is taken by the GPU at line {}; keep one", what, name,
                                           it->second));
                }
                row.names.push_back(std::move(tokens));
            }
            row.gpu.value.cc = compute_capability(node["cc"], "'cc' of " + what);
            row.gpu.citation = cite(node, what);
            record("hardware.gpu", row.gpu.value.name, row.gpu.citation);
            if (const YAML::Node memory = node["memory"]) {
                check_fact_keys(memory, "memory of " + what, {"gib"}, {});
                for (const auto& item : list(memory["gib"], "'gib' of " + what)) {
                    row.gpu.value.memory_gib.push_back(static_cast<int>(integer(item, "a memory size of " + what)));
                }
                row.gpu.value.memory_citation = cite(memory, "memory of " + what);
                record("hardware.gpu.memory", row.gpu.value.name, *row.gpu.value.memory_citation);
            }
            data_.gpus.push_back(std::move(row));
        }
    }

    // --- errors.yaml ------------------------------------------------------------------------

    void read_codes(const std::vector<YAML::Node>& nodes, std::vector<Fact<ErrorCode>>& out, const std::string& kind,
                    bool runtime) {
        for (const auto& node : nodes) {
            if (runtime) {
                check_fact_keys(node, "an error", {"name", "code"}, {"meaning", "driver", "former"});
            } else {
                check_fact_keys(node, "an error", {"name", "code"}, {});
            }
            ErrorCode error;
            error.name = text(node, "name", "an error");
            error.code = integer(node["code"], "'code' of " + error.name);
            error.meaning = text(node, "meaning", error.name);
            error.twin = text(node, "driver", error.name);
            for (const auto& other : out) {
                if (other.value.name == error.name || other.value.code == error.code) {
                    fail(node,
                         fmt::format("{} ({}) repeats the name or number of {} ({}) at line {}; keep one", error.name,
                                     error.code, other.value.name, other.value.code, other.citation.line));
                }
            }
            const Citation c = cite(node, error.name);
            record(kind, error.name, c);
            if (const YAML::Node former = node["former"]) {
                check_fact_keys(former, "'former' of " + error.name, {"code"}, {});
                integer(former["code"], "'former' code of " + error.name);
                record(kind + ".former", error.name, cite(former, "the former code of " + error.name));
            }
            out.push_back({error, c});
        }
    }

    void read_errors(const YAML::Node& root) {
        read_codes(section(root, "cuda_runtime"), data_.runtime_errors, "error.cuda_runtime", true);
        read_codes(section(root, "cuda_driver"), data_.driver_errors, "error.cuda_driver", false);
        for (const auto& runtime : data_.runtime_errors) {
            const auto& twin = runtime.value.twin;
            if (twin.empty()) continue;
            const bool listed = std::any_of(data_.driver_errors.begin(), data_.driver_errors.end(),
                                            [&](const auto& d) { return d.value.name == twin; });
            if (!listed) {
                throw KnowledgeError(path_.string(), runtime.citation.line,
                                     fmt::format("{} names the driver twin {}, which cuda_driver does not list; add it "
                                                 "there or fix the name",
                                                 runtime.value.name, twin));
            }
        }

        for (const auto& node : section(root, "cudnn_status")) {
            check_fact_keys(node, "a cudnn_status group", {"major", "codes"}, {"deprecated"});
            const int major = static_cast<int>(integer(node["major"], "'major' of a cudnn_status group"));
            const std::string what = fmt::format("cuDNN {} status codes", major);
            if (data_.cudnn_statuses.contains(major))
                fail(node, fmt::format("{} are listed twice; keep one group", what));
            const Citation group = cite(node, what);
            auto& statuses = data_.cudnn_statuses[major];
            for (const auto& [key, deprecated] : {std::pair{"codes", false}, std::pair{"deprecated", true}}) {
                const YAML::Node codes = node[key];
                if (!codes) continue;
                if (!codes.IsMap()) fail(codes, fmt::format("'{}' of {} must map names to numbers", key, what));
                for (const auto& kv : codes) {
                    ErrorCode status;
                    status.name = kv.first.Scalar();
                    status.code = integer(kv.second, status.name);
                    status.deprecated = deprecated;
                    if (!status.name.starts_with("CUDNN_STATUS_")) {
                        fail(kv.first, fmt::format("'{}' in {} is not a cudnnStatus_t name (CUDNN_STATUS_...)",
                                                   status.name, what));
                    }
                    for (const auto& other : statuses) {
                        const bool same_number =
                            !deprecated && !other.value.deprecated && other.value.code == status.code;
                        if (other.value.name == status.name || same_number) {
                            fail(kv.first, fmt::format("{} = {} in {} repeats {} = {} at line {}; keep one",
                                                       status.name, status.code, what, other.value.name,
                                                       other.value.code, other.citation.line));
                        }
                    }
                    Citation c = group;
                    c.line = line_of(kv.first);
                    record("error.cudnn_status", fmt::format("{}:{}", major, status.name), c);
                    statuses.push_back({status, c});
                }
            }
            if (major >= 9) {  // code = category (thousands) + specific error; the category has its own name.
                for (auto& status : statuses) {
                    const long category = status.value.code / 1000 * 1000;
                    for (const auto& other : statuses) {
                        if (!other.value.deprecated && other.value.code == category)
                            status.value.category = other.value.name;
                    }
                }
            }
        }
    }

    // --- env.yaml ---------------------------------------------------------------------------

    void read_env(const YAML::Node& root) {
        for (const auto& node : section(root, "variables")) {
            check_fact_keys(node, "a variable", {"name", "behaviour"}, {"values", "default", "edge_cases"});
            EnvVar var{text(node, "name", "a variable"), {}, {}, {}, {}};
            const std::string what = "variable " + var.name;
            for (const auto& other : data_.env) {
                if (other.value.name == var.name) {
                    fail(node,
                         fmt::format("{} is listed twice (first at line {}); keep one", what, other.citation.line));
                }
            }
            var.values = text(node, "values", what);
            var.default_value = text(node, "default", what);
            var.behaviour = text(node, "behaviour", what);
            var.edge_cases = text(node, "edge_cases", what);
            const Citation c = cite(node, what);
            record("env.variable", var.name, c);
            data_.env.push_back({var, c});
        }
    }

    std::filesystem::path path_;
    std::string name_;
    Data& data_;
    std::map<std::string, Source> sources_;
    std::map<std::string, int> source_lines_;
    std::set<std::string> used_;
};

// ---------------------------------------------------------------------------------------------
// Helpers for the questions

Answer answer(Answer::Value value, std::string reason, std::vector<Citation> evidence = {}) {
    return Answer{value, std::move(reason), std::move(evidence)};
}

const Toolkit* find_toolkit(const Data& data, const Version& v) {
    for (const auto& t : data.toolkits) {
        if (t.version == major_minor(v)) return &t;
    }
    return nullptr;
}

const Family* find_family(const Data& data, int major) {
    for (const auto& f : data.families) {
        if (f.major == major) return &f;
    }
    return nullptr;
}

enum class CcFit { In, Below, Above, Gap };

CcFit fit(const CcSet& set, const Version& cc) {
    if (set.is_list()) {
        if (std::find(set.list.begin(), set.list.end(), cc) != set.list.end()) return CcFit::In;
        if (cc < set.list.front()) return CcFit::Below;
        if (cc > set.list.back()) return CcFit::Above;
        return CcFit::Gap;
    }
    if (cc < set.min) return CcFit::Below;
    if (set.max && cc > *set.max) return CcFit::Above;
    return CcFit::In;
}

bool covers(const CudnnPackage& package, const Version& cuda) {
    const Version v = major_minor(cuda);
    return std::any_of(package.cuda.begin(), package.cuda.end(), [&](const auto& range) {
        return major_minor(range.first) <= v && v <= major_minor(range.second);
    });
}

std::string packages_str(const CudnnRelease& row) {
    std::vector<std::string> parts;
    for (const auto& p : row.packages)
        parts.push_back(p.name.empty() ? "CUDA " + p.cuda_str() : fmt::format("{} ({})", p.name, p.cuda_str()));
    return join(parts, "; ");
}

/// "cuDNN 9.17.0" or "cuDNN 9.19 (nearest known row: 9.17.0)".
std::string row_label(const Version& asked, const CudnnRelease& row) {
    return row.exact ? "cuDNN " + asked.str()
                     : fmt::format("cuDNN {} (nearest known matrix row: {})", asked.str(), row.label());
}

std::string format_message(std::string text, const Version& built, const Version& loaded) {
    for (const auto& [key, value] :
         {std::pair{std::string("{built}"), dotted3(built)}, std::pair{std::string("{loaded}"), dotted3(loaded)}}) {
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
            text.replace(at, key.size(), value);
        }
    }
    return text;
}

template <typename T, typename Pred>
std::optional<Fact<T>> find_fact(const std::vector<Fact<T>>& facts, Pred pred) {
    for (const auto& f : facts) {
        if (pred(f.value)) return f;
    }
    return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Loading

KnowledgeBase KnowledgeBase::load(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        throw KnowledgeError(dir.string(), 0,
                             "not a directory; point CUCONFORM_KNOWLEDGE_DIR (or the path) at matrix/knowledge");
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file() && (entry.path().extension() == ".yaml" || entry.path().extension() == ".yml")) {
            files.push_back(entry.path());
        }
    }
    if (files.empty()) throw KnowledgeError(dir.string(), 0, "holds no *.yaml knowledge files");
    std::sort(files.begin(), files.end());

    auto data = std::make_shared<Data>();
    data->dir = dir;
    for (const auto& file : files) FileReader(file, *data).read();
    return KnowledgeBase(std::move(data));
}

std::filesystem::path KnowledgeBase::builtin_dir() {
    if (const char* env = std::getenv("CUCONFORM_KNOWLEDGE_DIR"); env && *env) return env;
    return source_dir() / "matrix" / "knowledge";
}

const KnowledgeBase& KnowledgeBase::builtin() {
    static const KnowledgeBase kb = load(builtin_dir());
    return kb;
}

const std::filesystem::path& KnowledgeBase::dir() const { return data_->dir; }

const std::vector<Entry>& KnowledgeBase::entries() const { return data_->entries; }

std::vector<FileSummary> KnowledgeBase::files() const { return data_->files; }

// ---------------------------------------------------------------------------------------------
// toolkits.yaml

std::optional<Fact<Version>> KnowledgeBase::min_driver(const Version& toolkit) const {
    const Toolkit* t = find_toolkit(*data_, toolkit);
    if (!t || !t->driver || !t->driver->citation.sourced()) return std::nullopt;
    Fact<Version> fact{*t->driver->linux_min, t->driver->citation};
    for (const auto& [release, driver] : t->driver->updates) {
        if (release <= toolkit) fact.value = driver;
    }
    return fact;
}

std::optional<Fact<Version>> KnowledgeBase::minor_compat_floor(int cuda_major) const {
    const Family* family = find_family(*data_, cuda_major);
    if (!family || !family->minor_version_compat) return std::nullopt;
    Fact<Version> floor{*family->min_driver, family->citation};
    // No x.y runs on a driver that x.0 itself refuses (release notes Table 3).
    if (auto first = min_driver(Version({cuda_major, 0})); first && first->value > floor.value) {
        first->citation.note = fmt::format(
            "the later of release notes Table 2's CUDA {}.x minimum (>= {}) and CUDA "
            "{}.0's own minimum driver (Table 3)",
            cuda_major, family->min_driver->str(), cuda_major);
        floor = *first;
    }
    return floor;
}

Answer KnowledgeBase::runtime_runs_on_driver(const Version& runtime, const Version& driver) const {
    const std::string cuda = major_minor(runtime).str();
    const auto min = min_driver(runtime);
    if (min && driver >= min->value) {
        return answer(Answer::Value::Yes,
                      fmt::format("driver {} meets CUDA {}'s minimum driver {} (release notes Table 3)", driver.str(),
                                  cuda, min->value.str()),
                      {min->citation});
    }
    const Family* family = find_family(*data_, runtime.major());
    if (!family) {
        return answer(
            Answer::Value::Unknown,
            min ? fmt::format("driver {} is below CUDA {}'s minimum {}, and nothing is known about minor version "
                              "compatibility for CUDA {}.x",
                              driver.str(), cuda, min->value.str(), runtime.major())
                : fmt::format("no sourced driver requirement for CUDA {}", cuda),
            min ? std::vector{min->citation} : std::vector<Citation>{});
    }
    if (!family->minor_version_compat) {
        if (!min) {
            return answer(
                Answer::Value::Unknown,
                fmt::format("no sourced minimum driver for CUDA {}, and CUDA {}.x has no minor version compatibility",
                            cuda, runtime.major()),
                {family->citation});
        }
        return answer(Answer::Value::No,
                      fmt::format("CUDA {} needs driver >= {} and driver {} is older; CUDA {}.x has no minor version "
                                  "compatibility, so install driver {} or newer",
                                  cuda, min->value.str(), driver.str(), runtime.major(), min->value.str()),
                      {min->citation, family->citation});
    }
    const auto floor = minor_compat_floor(runtime.major());
    std::vector<Citation> evidence = {floor->citation};
    if (min && min->citation.where() != floor->citation.where()) evidence.insert(evidence.begin(), min->citation);
    const std::string floor_str = floor->value.str();
    if (driver >= floor->value) {
        if (const auto ptx = cuda_runtime_error("cudaErrorUnsupportedPtxVersion")) evidence.push_back(ptx->citation);
        return answer(Answer::Value::Yes,
                      fmt::format("{}, but runs by minor version compatibility: CUDA {}.x runs on drivers >= {} with a "
                                  "limited feature set (PTX from a newer toolkit still fails with error 222)",
                                  min ? fmt::format("driver {} is below CUDA {}'s minimum {}", driver.str(), cuda,
                                                    min->value.str())
                                      : fmt::format("CUDA {} has no sourced minimum driver", cuda),
                                  runtime.major(), floor_str),
                      evidence);
    }
    if (const auto insufficient = cuda_runtime_error("cudaErrorInsufficientDriver")) {
        evidence.push_back(insufficient->citation);
    }
    const std::string needed =
        !min || min->value == floor->value
            ? fmt::format("{}, the oldest driver that runs CUDA {}.x even by minor version compatibility", floor_str,
                          runtime.major())
            : fmt::format("CUDA {}'s minimum {}, and {}, the oldest that runs CUDA {}.x by minor version compatibility",
                          cuda, min->value.str(), floor_str, runtime.major());
    const std::string install = !min || min->value == floor->value
                                    ? fmt::format("Install driver {} or newer", floor_str)
                                    : fmt::format("Install driver {} or newer ({} for CUDA {}'s full feature set)",
                                                  floor_str, min->value.str(), cuda);
    return answer(Answer::Value::No,
                  fmt::format("driver {} is older than {}; the runtime fails with cudaErrorInsufficientDriver (35). {}",
                              driver.str(), needed, install),
                  evidence);
}

std::optional<Fact<std::vector<std::string>>> KnowledgeBase::nvcc_archs(const Version& toolkit) const {
    const Toolkit* t = find_toolkit(*data_, toolkit);
    if (!t || !t->archs || !t->archs->citation.sourced()) return std::nullopt;
    std::vector<std::string> accepted;
    for (const auto& row : data_->toolkits) {
        if (row.version > t->version) break;
        if (!row.archs || !row.archs->citation.sourced()) continue;
        for (const auto& arch : row.archs->remove) std::erase(accepted, arch);
        accepted.insert(accepted.end(), row.archs->add.begin(), row.archs->add.end());
    }
    std::sort(accepted.begin(), accepted.end(), arch_less);
    return Fact<std::vector<std::string>>{accepted, t->archs->citation};
}

Answer KnowledgeBase::nvcc_supports(const Version& toolkit, std::string_view arch_text) const {
    std::string arch(arch_text);
    if (arch.starts_with("compute_")) arch = "sm_" + arch.substr(std::string("compute_").size());
    const std::string cuda = major_minor(toolkit).str();
    if (!split_arch(arch)) {
        return answer(Answer::Value::Unknown,
                      fmt::format("'{}' is not an architecture name (sm_XX, sm_XXa, sm_XXf)", arch_text));
    }
    const Toolkit* t = find_toolkit(*data_, toolkit);
    if (!t || !t->archs || !t->archs->citation.sourced()) {
        std::vector<Citation> evidence;
        if (t && t->archs) evidence.push_back(t->archs->citation);
        return answer(
            Answer::Value::Unknown,
            fmt::format("no sourced architecture list for nvcc {}{}", cuda,
                        t && t->archs && !t->archs->citation.note.empty() ? ": " + t->archs->citation.note : ""),
            evidence);
    }
    // The last change up to this toolkit that names the architecture decides; failing that, a later
    // toolkit that adds it shows this one predates it.
    const Toolkit* decided = nullptr;
    bool accepted = false;
    for (const auto& row : data_->toolkits) {
        if (!row.archs || !row.archs->citation.sourced()) continue;
        const bool adds = std::find(row.archs->add.begin(), row.archs->add.end(), arch) != row.archs->add.end();
        const bool removes =
            std::find(row.archs->remove.begin(), row.archs->remove.end(), arch) != row.archs->remove.end();
        if (row.version > t->version) {
            if (adds && !decided) {
                return answer(Answer::Value::No,
                              fmt::format("nvcc {} does not know -arch={}: CUDA {} added it; use CUDA {} or newer",
                                          cuda, arch, row.version.str(), row.version.str()),
                              {row.archs->citation, t->archs->citation});
            }
            if (adds || removes) break;
            continue;
        }
        if (adds || removes) {
            decided = &row;
            accepted = adds;
        }
    }
    if (!decided) {
        return answer(Answer::Value::Unknown,
                      fmt::format("{} appears in no sourced architecture list up to CUDA {}", arch, cuda),
                      {t->archs->citation});
    }
    std::vector<Citation> evidence = {decided->archs->citation};
    if (decided != t) evidence.push_back(t->archs->citation);
    if (accepted) {
        return answer(Answer::Value::Yes,
                      fmt::format("nvcc {} accepts -arch={} (added in CUDA {})", cuda, arch, decided->version.str()),
                      evidence);
    }
    return answer(Answer::Value::No,
                  fmt::format("nvcc {} refuses -arch={}: CUDA {} removed it; build with an older toolkit or target a "
                              "newer architecture",
                              cuda, arch, decided->version.str()),
                  evidence);
}

std::optional<Fact<Version>> KnowledgeBase::ptx_isa(const Version& toolkit) const {
    const Toolkit* t = find_toolkit(*data_, toolkit);
    if (!t || !t->ptx_isa || !t->ptx_isa->citation.sourced()) return std::nullopt;
    return t->ptx_isa;
}

std::optional<Fact<Version>> KnowledgeBase::toolkit_for_ptx_isa(const Version& isa) const {
    for (const auto& t : data_->toolkits) {
        if (t.ptx_isa && t.ptx_isa->citation.sourced() && major_minor(t.ptx_isa->value) == major_minor(isa)) {
            return Fact<Version>{t.version, t.ptx_isa->citation};
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// cudnn.yaml

std::optional<CudnnRelease> KnowledgeBase::cudnn_release(const Version& cudnn) const {
    const CudnnRelease* nearest = nullptr;
    for (const auto& row : data_->releases) {
        if (row.version <= cudnn) nearest = &row;
    }
    if (!nearest) return std::nullopt;
    CudnnRelease out = *nearest;
    out.exact = at_most(cudnn, nearest->through);
    return out;
}

std::vector<Fact<Version>> KnowledgeBase::cudnn_known_releases() const {
    std::vector<Fact<Version>> out;
    for (const auto& row : data_->releases) {
        if (!row.sourced) continue;
        out.push_back({row.version, row.citation});
        if (row.through != row.version) out.push_back({row.through, row.citation});
    }
    out.insert(out.end(), data_->known_releases.begin(), data_->known_releases.end());
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.value < b.value; });
    out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.value == b.value; }),
              out.end());
    return out;
}

Answer KnowledgeBase::cudnn_supports_cuda(const Version& cudnn, const Version& cuda) const {
    const std::string cuda_str = major_minor(cuda).str();
    for (const auto& end : data_->support_ends) {
        if (end.cuda_major == cuda.major() && cudnn > end.last_cudnn) {
            return answer(Answer::Value::No,
                          fmt::format("cuDNN {} has no CUDA {}.x package: {} was the last cuDNN for CUDA {}.x",
                                      cudnn.str(), cuda.major(), end.last_cudnn.str(), cuda.major()),
                          {end.citation});
        }
    }
    const auto row = cudnn_release(cudnn);
    if (!row)
        return answer(Answer::Value::Unknown,
                      fmt::format("cuDNN {} is older than every known matrix row", cudnn.str()));
    const std::string label = row_label(cudnn, *row);
    if (!row->sourced || row->packages.empty()) {
        return answer(Answer::Value::Unknown,
                      fmt::format("{}: its CUDA packages are not known{}", label,
                                  row->citation.note.empty() ? "" : " (" + row->citation.note + ")"),
                      {row->citation});
    }
    for (const auto& package : row->packages) {
        if (covers(package, cuda)) {
            return answer(Answer::Value::Yes,
                          fmt::format("{} has a package for CUDA {}: {}", label, cuda_str,
                                      package.name.empty() ? "CUDA " + package.cuda_str()
                                                           : package.name + " (" + package.cuda_str() + ")"),
                          {row->citation});
        }
    }
    Version newest;
    for (const auto& p : row->packages) {
        for (const auto& range : p.cuda) newest = std::max(newest, major_minor(range.second));
    }
    if (!row->exact && major_minor(cuda) > newest) {
        return answer(
            Answer::Value::Unknown,
            fmt::format("{}: CUDA {} is newer than any package of that row ({}), and no row for {} itself is known",
                        label, cuda_str, packages_str(*row), cudnn.str()),
            {row->citation});
    }
    return answer(Answer::Value::No,
                  fmt::format("{} has no package for CUDA {}; its packages: {}", label, cuda_str, packages_str(*row)),
                  {row->citation});
}

Answer KnowledgeBase::cudnn_supports_cc(const Version& cudnn, const Version& cc_in) const {
    const Version cc = major_minor(cc_in);
    const auto row = cudnn_release(cudnn);
    if (!row)
        return answer(Answer::Value::Unknown,
                      fmt::format("cuDNN {} is older than every known matrix row", cudnn.str()));
    const std::string label = row_label(cudnn, *row);
    if (!row->sourced) {
        return answer(Answer::Value::Unknown,
                      fmt::format("{}: its support matrix is unsourced ({})", label, row->citation.note),
                      {row->citation});
    }
    std::vector<std::optional<CcSet>> sets;
    if (row->packages.empty()) sets.push_back(row->cc);
    for (const auto& p : row->packages) sets.push_back(p.cc ? p.cc : row->cc);

    bool unknown_set = false;
    bool above = false;
    std::vector<std::string> described;
    for (const auto& set : sets) {
        if (!set) {
            unknown_set = true;
            continue;
        }
        described.push_back(set->str());
        const CcFit f = fit(*set, cc);
        if (f == CcFit::In) {
            return answer(Answer::Value::Yes,
                          fmt::format("{} supports compute capability {} ({})", label, cc.str(), set->str()),
                          {row->citation});
        }
        above = above || f == CcFit::Above;
    }
    std::sort(described.begin(), described.end());
    described.erase(std::unique(described.begin(), described.end()), described.end());
    if (unknown_set || (!row->exact && above)) {
        return answer(Answer::Value::Unknown,
                      fmt::format("{}: compute capability {} is not in what is known ({}){}", label, cc.str(),
                                  described.empty() ? "nothing" : join(described, "; "),
                                  row->exact ? "" : ", and no row for this release itself is known"),
                      {row->citation});
    }
    return answer(Answer::Value::No,
                  fmt::format("{} does not support compute capability {}: it supports {}{}", label, cc.str(),
                              join(described, "; "), row->citation.note.empty() ? "" : " (" + row->citation.note + ")"),
                  {row->citation});
}

std::optional<Fact<std::vector<std::string>>> KnowledgeBase::cudnn_sublibraries(int major) const {
    for (const auto& entry : data_->sublibraries) {
        if (entry.major == major && !entry.from) return Fact<std::vector<std::string>>{entry.libraries, entry.citation};
    }
    return std::nullopt;
}

std::optional<Fact<std::vector<std::string>>> KnowledgeBase::cudnn_sublibraries(const Version& cudnn) const {
    auto fact = cudnn_sublibraries(cudnn.major());
    if (!fact) return std::nullopt;
    for (const auto& entry : data_->sublibraries) {
        if (entry.major == cudnn.major() && entry.from && *entry.from <= cudnn) {
            fact->value.insert(fact->value.end(), entry.libraries.begin(), entry.libraries.end());
            fact->citation = entry.citation;
            fact->citation.note =
                fmt::format("cuDNN {} sub-libraries plus those added in {}", cudnn.major(), entry.from->str());
        }
    }
    return fact;
}

Answer KnowledgeBase::cudnn_compatible(const Version& built, const Version& loaded) const {
    if (!data_->compat_rule)
        return answer(Answer::Value::Unknown, "the knowledge base has no cuDNN compatibility rule");
    const auto& rule = *data_->compat_rule;
    for (const auto& exception : data_->compat_exceptions) {
        if (loaded.truncated(3) == exception.loaded && built.truncated(3) != exception.loaded) {
            return answer(
                Answer::Value::No,
                fmt::format("built against cuDNN {}, loaded {}: {}", dotted3(built), dotted3(loaded), exception.text),
                {exception.citation});
        }
    }
    const bool same_major = built.major() == loaded.major();
    const bool minor_ok = built.major() < rule.minor_backward_from_major ? loaded.minor() == built.minor()
                                                                         : loaded.minor() >= built.minor();
    std::vector<Citation> evidence = {rule.citation};
    if (same_major && minor_ok) {
        return answer(
            Answer::Value::Yes,
            fmt::format("built against cuDNN {}, loaded {}: same major and {} minor, which cuDNN keeps binary "
                        "compatible",
                        dotted3(built), dotted3(loaded), loaded.minor() == built.minor() ? "the same" : "a newer"),
            evidence);
    }
    std::string why = !same_major ? "API compatibility is not guaranteed across major versions"
                      : built.major() < rule.minor_backward_from_major
                          ? "before cuDNN 7 the minor versions must match"
                          : "an application built against a newer minor is not guaranteed to work with an older one";
    std::string reason = fmt::format("built against cuDNN {}, loaded {}: {}", dotted3(built), dotted3(loaded), why);
    if (data_->pytorch_message) {
        reason += ". PyTorch: " + format_message(data_->pytorch_message->value, built, loaded);
        evidence.push_back(data_->pytorch_message->citation);
    }
    return answer(Answer::Value::No, reason, evidence);
}

std::optional<Fact<long>> KnowledgeBase::cudnn_version_major_factor(int major) const {
    for (const auto& e : data_->encodings) {
        if ((!e.from_major || major >= *e.from_major) && (!e.until_major || major <= *e.until_major)) {
            return Fact<long>{e.major_factor, e.citation};
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// hardware.yaml

std::optional<Fact<Version>> KnowledgeBase::feature_min_cc(std::string_view feature) const {
    const std::string key = feature_key(feature);
    for (const auto& f : data_->features) {
        if (std::find(f.keys.begin(), f.keys.end(), key) != f.keys.end()) return Fact<Version>{f.min_cc, f.citation};
    }
    return std::nullopt;
}

Answer KnowledgeBase::has_feature(std::string_view feature, const Version& cc) const {
    const auto min = feature_min_cc(feature);
    if (!min)
        return answer(Answer::Value::Unknown, fmt::format("no sourced compute-capability threshold for '{}'", feature));
    if (major_minor(cc) >= min->value) {
        return answer(Answer::Value::Yes,
                      fmt::format("{} needs compute capability >= {}; {} has it", feature, min->value.str(),
                                  major_minor(cc).str()),
                      {min->citation});
    }
    return answer(Answer::Value::No,
                  fmt::format("no hardware support: {} needs compute capability >= {}, and {} is below it", feature,
                              min->value.str(), major_minor(cc).str()),
                  {min->citation});
}

std::optional<Fact<Gpu>> KnowledgeBase::gpu(std::string_view name) const {
    const std::vector<std::string> query = gpu_tokens(name);
    const GpuRow* best = nullptr;
    std::size_t best_length = 0;
    for (const auto& row : data_->gpus) {
        for (const auto& tokens : row.names) {
            const bool prefix =
                tokens.size() <= query.size() && std::equal(tokens.begin(), tokens.end(), query.begin());
            if (prefix && tokens.size() > best_length) {
                best = &row;
                best_length = tokens.size();
            }
        }
    }
    if (!best) return std::nullopt;
    return best->gpu;
}

// ---------------------------------------------------------------------------------------------
// errors.yaml

std::optional<Fact<ErrorCode>> KnowledgeBase::cuda_runtime_error(std::string_view name) const {
    return find_fact(data_->runtime_errors, [&](const ErrorCode& e) { return lower(e.name) == lower(name); });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cuda_runtime_error(long code) const {
    return find_fact(data_->runtime_errors, [&](const ErrorCode& e) { return e.code == code; });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cuda_driver_error(std::string_view name) const {
    return find_fact(data_->driver_errors, [&](const ErrorCode& e) { return lower(e.name) == lower(name); });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cuda_driver_error(long code) const {
    return find_fact(data_->driver_errors, [&](const ErrorCode& e) { return e.code == code; });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cudnn_status(int major, std::string_view name) const {
    std::string wanted = upper(name);
    if (!wanted.starts_with("CUDNN_STATUS_")) wanted = "CUDNN_STATUS_" + wanted;
    return find_fact(cudnn_statuses(major), [&](const ErrorCode& e) { return e.name == wanted; });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cudnn_status(int major, long code) const {
    // Current names come first, so a number shared with a deprecated alias finds the current name.
    return find_fact(cudnn_statuses(major), [&](const ErrorCode& e) { return e.code == code; });
}

std::vector<Fact<ErrorCode>> KnowledgeBase::cudnn_statuses(int major) const {
    const auto found = data_->cudnn_statuses.find(major);
    if (found == data_->cudnn_statuses.end()) return {};
    std::vector<Fact<ErrorCode>> out = found->second;
    std::stable_partition(out.begin(), out.end(), [](const auto& f) { return !f.value.deprecated; });
    return out;
}

// ---------------------------------------------------------------------------------------------
// env.yaml

std::optional<Fact<EnvVar>> KnowledgeBase::env_var(std::string_view name) const {
    return find_fact(data_->env, [&](const EnvVar& v) { return v.name == name; });
}

}  // namespace cuconform::knowledge
