// SPDX-License-Identifier: Apache-2.0
/// \file Reading the harness's YAML files (matrix files, waivers, the knowledge base) strictly: yaml-cpp takes a key
/// given twice in one mapping (the first wins), a second document after `---` (ignored) and a list where a value
/// belongs (a bare "bad conversion") without a word. Every YAML file cuconform reads goes through `load` and the
/// typed getters here, whose errors name file:line and the fix.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cuconform::yaml {

/// Deepest nesting of mappings and lists a file may have (cuconform's own files need 4).
inline constexpr int kMaxDepth = 32;
/// Most nodes a file may have, counting each use of an alias (`*name`) anew: a few aliases of aliases would
/// otherwise stand for billions of nodes.
inline constexpr std::size_t kMaxNodes = 1'000'000;

/// A YAML file that cannot be read as cuconform reads it. what(): "<file>:<line>: <message>" (no line: "<file>:").
class Error : public std::runtime_error {
public:
    Error(std::string file, int line, const std::string& message);
    const std::string& file() const { return file_; }
    int line() const { return line_; }
    const std::string& detail() const { return detail_; }  ///< The message without file and line.

private:
    std::string file_;
    int line_;
    std::string detail_;
};

/// The 1-based line of a node (0 when it has none: a node that is not in the file).
int line_of(const YAML::Node& node);

/// Parses `text`, which `file` names in messages: exactly one document (none: a null node), no key twice in a
/// mapping, every key a scalar, nesting at most kMaxDepth, at most kMaxNodes nodes. Throws Error.
YAML::Node load(std::string_view text, const std::string& file);

/// Typed getters: `what` names the value in messages ("'cuda' of an include entry"). A scalar is a single value
/// (a string or a number); `~`/null is none.
std::string scalar(const YAML::Node& node, const std::string& file, const std::string& what);
/// The key of a mapping entry as text (load() guarantees it is a scalar).
std::string key(const YAML::Node& key_node);

}  // namespace cuconform::yaml
