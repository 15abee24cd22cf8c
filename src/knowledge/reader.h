// SPDX-License-Identifier: Apache-2.0
/// \file What every knowledge file's reader shares: YAML parsing, key and value checks, `sources:` and the
/// citation of each fact. Each file has its own reader (read_toolkits.cpp, read_cudnn.cpp, read_hardware.cpp,
/// read_errors.cpp, read_env.cpp); `file_kinds()` (load.cpp) says which reads which file.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "knowledge/data.h"

namespace cuconform::knowledge::detail {

using Keys = std::initializer_list<std::string_view>;

/// One knowledge file being read into Data. Every problem is a KnowledgeError at the line of the offending node.
class FileReader {
public:
    /// `name` is the file's name ("toolkits.yaml"), `where` how messages name it (its path, or "built in: ...").
    FileReader(std::string name, std::string where, std::string_view text, KnowledgeBase::Data& data);

    /// Parses the file, checks the top level and `sources:`, runs the file's own reader, checks that every source
    /// is cited and records the file's summary.
    void read();

    KnowledgeBase::Data& data() { return data_; }
    const std::string& name() const { return name_; }

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const;
    [[noreturn]] void fail_line(int line, const std::string& message) const;

    /// `node` must be a mapping holding every `required` key, no key outside `allowed`, and no key twice.
    void check_keys(const YAML::Node& node, std::string_view what, Keys required,
                    const std::vector<std::string_view>& allowed) const;
    void check_keys(const YAML::Node& node, std::string_view what, Keys required, Keys optional) const;
    /// A fact's keys: `required` and `optional` plus the provenance keys (source, status, note, quote).
    void check_fact_keys(const YAML::Node& node, std::string_view what, Keys required, Keys optional) const;

    std::string scalar(const YAML::Node& node, std::string_view what) const;
    std::string text(const YAML::Node& map, const char* key, std::string_view what) const;
    long integer(const YAML::Node& node, std::string_view what) const;
    bool boolean(const YAML::Node& node, std::string_view what) const;
    Version version(const YAML::Node& node, std::string_view what) const;
    std::optional<Version> optional_version(const YAML::Node& map, const char* key, std::string_view what) const;
    Version compute_capability(const YAML::Node& node, std::string_view what) const;
    std::vector<YAML::Node> list(const YAML::Node& node, std::string_view what) const;
    std::vector<YAML::Node> section(const YAML::Node& root, const char* key) const;
    std::vector<std::string> strings(const YAML::Node& node, std::string_view what) const;
    void check_date(const YAML::Node& node, std::string_view what) const;

    /// The provenance of a fact mapping: `source` (an id or a list of ids from `sources:`), or `status:
    /// unsourced`; `note` and `quote` either way. A fact citing a docs or code source must quote it. An unsourced
    /// fact may carry only the keys in `identity` besides status and note: no value, so nothing is derived from it.
    Citation cite(const YAML::Node& fact, std::string_view what, Keys identity = {});
    void record(std::string kind, std::string key, const Citation& citation);

private:
    YAML::Node parse() const;
    void read_sources(const YAML::Node& node);
    void check_sources_used() const;

    std::string name_;
    std::string where_;
    std::string_view text_;
    KnowledgeBase::Data& data_;
    std::map<std::string, Source> sources_;
    std::map<std::string, int> source_lines_;
    std::set<std::string> used_;
};

// The readers, one per file: each reads its sections from the file's root mapping.
void read_toolkits(FileReader& reader, const YAML::Node& root);
void read_cudnn(FileReader& reader, const YAML::Node& root);
void read_hardware(FileReader& reader, const YAML::Node& root);
void read_errors(FileReader& reader, const YAML::Node& root);
void read_env(FileReader& reader, const YAML::Node& root);

/// A knowledge file: the top-level sections it may hold and the reader that reads them.
struct FileKind {
    std::vector<std::string> sections;
    void (*read)(FileReader&, const YAML::Node&);
};
/// File name -> its kind. A file named by none is refused.
const std::map<std::string, FileKind>& file_kinds();

/// Whether `url` is on a primary source's site (NVIDIA's pages, NVIDIA's and the frameworks' PyPI projects, the
/// frameworks' own repositories): a blog, a forum or another project's copy is not.
bool is_primary_site(std::string_view url);

}  // namespace cuconform::knowledge::detail
