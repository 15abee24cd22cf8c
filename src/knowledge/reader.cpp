// SPDX-License-Identifier: Apache-2.0
/// \file The checks every knowledge file's reader shares: YAML, keys, values, sources and citations.
#include "knowledge/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "knowledge/frameworks.h"

namespace cuconform::knowledge::detail {

namespace {

constexpr int kSchema = 2;

int line_of(const YAML::Node& node) {
    const int line = node.Mark().line;
    return line >= 0 ? line + 1 : 0;
}

/// Where primary sources are published: NVIDIA's pages, NVIDIA's and the frameworks' packages on PyPI, and the
/// frameworks' (and NVIDIA's) own repositories. A blog, a forum or another project's copy of a header is none of them.
constexpr std::string_view kPrimarySites[] = {
    "https://docs.nvidia.com/",        "https://developer.nvidia.com/",    "https://developer.download.nvidia.com/",
    "https://nvidia.github.io/",       "https://pypi.org/project/nvidia-", "https://pypi.org/project/cuda-",
    "https://pypi.org/project/torch/", "https://pypi.org/project/jax",     "https://pypi.org/project/tensorflow",
    "https://github.com/NVIDIA/",      "https://github.com/pytorch/",      "https://github.com/jax-ml/",
    "https://github.com/openxla/",     "https://github.com/tensorflow/",
};

}  // namespace

bool is_primary_site(std::string_view url) {
    return std::any_of(std::begin(kPrimarySites), std::end(kPrimarySites),
                       [&](std::string_view site) { return url.starts_with(site); });
}

namespace {

bool is_kind(std::string_view kind) {
    return std::find(std::begin(kSourceKinds), std::end(kSourceKinds), kind) != std::end(kSourceKinds);
}

}  // namespace

FileReader::FileReader(std::string name, std::string where, std::string_view text, KnowledgeBase::Data& data)
    : name_(std::move(name)), where_(std::move(where)), text_(text), data_(data) {}

void FileReader::read() {
    if (name_ == "frameworks.yaml") {
        // Read by its own reader (knowledge/frameworks.h); validated and counted here with the rest.
        const Frameworks frameworks = Frameworks::parse(std::string(text_), where_);
        data_.entries.insert(data_.entries.end(), frameworks.entries().begin(), frameworks.entries().end());
        FileSummary summary = frameworks.summary();
        summary.file = name_;
        data_.files.push_back(summary);
        return;
    }
    const auto& kinds = file_kinds();
    const auto kind = kinds.find(name_);
    if (kind == kinds.end()) {
        std::vector<std::string> names;
        for (const auto& [name, unused] : kinds) names.push_back(name);
        names.push_back("frameworks.yaml");
        throw KnowledgeError(
            where_, 0,
            fmt::format("not a knowledge file: the files are {}; rename it or move it elsewhere", join(names)));
    }
    const YAML::Node root = parse();
    std::vector<std::string_view> allowed = {"schema", "sources"};
    for (const auto& section : kind->second.sections) allowed.push_back(section);
    check_keys(root, "the top level", {"schema", "sources"}, allowed);
    const YAML::Node schema = root["schema"];
    if (integer(schema, "schema") != kSchema) {
        fail(schema, fmt::format("schema {} is not supported: this build reads schema {} (matrix/knowledge/README.md)",
                                 schema.Scalar(), kSchema));
    }
    read_sources(root["sources"]);
    const std::size_t first_entry = data_.entries.size();
    kind->second.read(*this, root);
    check_sources_used();

    FileSummary summary{name_, data_.entries.size() - first_entry, 0, sources_.size()};
    for (std::size_t i = first_entry; i < data_.entries.size(); ++i) {
        if (!data_.entries[i].citation.sourced()) ++summary.unsourced;
    }
    data_.files.push_back(summary);
}

void FileReader::fail(const YAML::Node& at, const std::string& message) const {
    throw KnowledgeError(where_, line_of(at), message);
}

void FileReader::fail_line(int line, const std::string& message) const { throw KnowledgeError(where_, line, message); }

YAML::Node FileReader::parse() const {
    try {
        YAML::Node root = YAML::Load(std::string(text_));
        if (!root.IsMap()) {
            throw KnowledgeError(where_, root.IsDefined() && !root.IsNull() ? line_of(root) : 0,
                                 "a knowledge file is a mapping with `schema:`, `sources:` and its sections");
        }
        return root;
    } catch (const YAML::ParserException& e) {
        throw KnowledgeError(where_, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                             fmt::format("not valid YAML ({}); fix the syntax", e.msg));
    }
}

void FileReader::check_keys(const YAML::Node& node, std::string_view what, Keys required,
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

void FileReader::check_keys(const YAML::Node& node, std::string_view what, Keys required, Keys optional) const {
    std::vector<std::string_view> allowed(required);
    allowed.insert(allowed.end(), optional.begin(), optional.end());
    check_keys(node, what, required, allowed);
}

void FileReader::check_fact_keys(const YAML::Node& node, std::string_view what, Keys required, Keys optional) const {
    std::vector<std::string_view> allowed(required);
    allowed.insert(allowed.end(), optional.begin(), optional.end());
    allowed.insert(allowed.end(), {"source", "status", "note", "quote"});
    check_keys(node, what, required, allowed);
}

std::string FileReader::scalar(const YAML::Node& node, std::string_view what) const {
    if (!node.IsScalar()) fail(node, fmt::format("{} must be a single value, not empty, a list or a mapping", what));
    return node.Scalar();
}

std::string FileReader::text(const YAML::Node& map, const char* key, std::string_view what) const {
    const YAML::Node node = map[key];
    return node ? scalar(node, fmt::format("'{}' of {}", key, what)) : std::string();
}

long FileReader::integer(const YAML::Node& node, std::string_view what) const {
    const std::string s = scalar(node, what);
    long value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        fail(node, fmt::format("bad number '{}' for {}: write a whole number", s, what));
    }
    return value;
}

bool FileReader::boolean(const YAML::Node& node, std::string_view what) const {
    const std::string s = scalar(node, what);
    if (s == "true") return true;
    if (s == "false") return false;
    fail(node, fmt::format("bad value '{}' for {}: write true or false", s, what));
}

Version FileReader::version(const YAML::Node& node, std::string_view what) const {
    const std::string s = scalar(node, what);
    const auto v = Version::parse(s);
    if (!v) fail(node, fmt::format("bad version '{}' for {}: write a dotted version such as \"12.4\"", s, what));
    return *v;
}

std::optional<Version> FileReader::optional_version(const YAML::Node& map, const char* key,
                                                    std::string_view what) const {
    const YAML::Node node = map[key];
    if (!node) return std::nullopt;
    return version(node, fmt::format("'{}' of {}", key, what));
}

Version FileReader::compute_capability(const YAML::Node& node, std::string_view what) const {
    const Version v = version(node, what);
    if (v.parts().size() != 2) {
        fail(node, fmt::format("bad compute capability '{}' for {}: write major.minor, such as \"8.6\"", node.Scalar(),
                               what));
    }
    return v;
}

std::vector<YAML::Node> FileReader::list(const YAML::Node& node, std::string_view what) const {
    if (!node.IsSequence()) fail(node, fmt::format("{} must be a list", what));
    return {node.begin(), node.end()};
}

std::vector<YAML::Node> FileReader::section(const YAML::Node& root, const char* key) const {
    const YAML::Node node = root[key];
    if (!node) return {};
    return list(node, fmt::format("'{}'", key));
}

std::vector<std::string> FileReader::strings(const YAML::Node& node, std::string_view what) const {
    std::vector<std::string> out;
    for (const auto& item : list(node, what)) out.push_back(scalar(item, fmt::format("an item of {}", what)));
    return out;
}

void FileReader::check_date(const YAML::Node& node, std::string_view what) const {
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

void FileReader::read_sources(const YAML::Node& node) {
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
        check_keys(kv.second, what, {"url", "title", "kind"}, {"path"});
        const std::string url = text(kv.second, "url", what);
        if (!url.starts_with("https://") || url.size() <= 8 || url.find(' ') != std::string::npos) {
            fail(kv.second["url"],
                 fmt::format("{} has url '{}': write the https:// address of the primary source", what, url));
        }
        if (!is_primary_site(url)) {
            fail(kv.second["url"],
                 fmt::format("{} has url '{}', which is no primary source's site (NVIDIA's docs.nvidia.com, "
                             "developer.nvidia.com or nvidia.github.io; an NVIDIA or framework package on pypi.org; a "
                             "framework's or NVIDIA's own repository on github.com): a blog, a forum or another "
                             "project's copy is none of them; cite the page or package NVIDIA publishes the fact in",
                             what, url));
        }
        const std::string kind = text(kv.second, "kind", what);
        if (!is_kind(kind)) {
            fail(kv.second["kind"],
                 fmt::format("{} has kind '{}': a fact rests on a primary source only — docs (an NVIDIA page), header "
                             "(an NVIDIA header), code (the framework's own code), package (NVIDIA's package index) "
                             "or tool (an NVIDIA tool's output); a blog, a forum or a copy is none of them",
                             what, kind));
        }
        const std::string path = text(kv.second, "path", what);
        if ((kind == "header" || kind == "tool") && path.empty()) {
            fail(kv.second, fmt::format("{} is a {} source without 'path': name the file in the package (and for a "
                                        "tool how it was asked, e.g. \"nvidia/cu13/bin/ptxas --help\")",
                                        what, kind));
        }
        sources_[id] = Source{id, url, text(kv.second, "title", what), kind, path, true};
        source_lines_[id] = line_of(kv.first);
    }
}

void FileReader::check_sources_used() const {
    for (const auto& [id, line] : source_lines_) {
        if (!used_.contains(id))
            fail_line(line, fmt::format("source '{}' is cited by no entry; cite it or remove it", id));
    }
}

Citation FileReader::cite(const YAML::Node& fact, std::string_view what, Keys identity) {
    Citation c{name_, line_of(fact), {}, text(fact, "note", what), text(fact, "quote", what)};
    const YAML::Node status = fact["status"];
    const YAML::Node source = fact["source"];
    if (status) {
        if (scalar(status, fmt::format("'status' of {}", what)) != "unsourced") {
            fail(status, fmt::format("{} has status '{}': the only status is 'unsourced' (a sourced fact names its "
                                     "`source:` instead)",
                                     what, status.Scalar()));
        }
        if (source) fail(source, fmt::format("{} is marked unsourced but names a source: remove one of the two", what));
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
    bool needs_quote = false;
    for (const auto& id_node : ids) {
        const std::string id = scalar(id_node, fmt::format("a source of {}", what));
        const auto found = sources_.find(id);
        if (found == sources_.end()) {
            std::vector<std::string> known;
            for (const auto& [known_id, unused] : sources_) known.push_back(known_id);
            fail(id_node, fmt::format("{} cites unknown source '{}': define it under `sources:` or use one of {}", what,
                                      id, join(known)));
        }
        used_.insert(id);
        c.sources.push_back(found->second);
        needs_quote = needs_quote || found->second.kind == "docs" || found->second.kind == "code";
    }
    if (needs_quote && c.quote.empty()) {
        fail(fact, fmt::format("{} cites a page or code but has no `quote:`: copy the words it rests on, so that "
                               "anyone can re-check it",
                               what));
    }
    return c;
}

void FileReader::record(std::string kind, std::string key, const Citation& citation) {
    data_.entries.push_back(Entry{std::move(kind), std::move(key), citation});
}

}  // namespace cuconform::knowledge::detail
