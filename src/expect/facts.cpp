// SPDX-License-Identifier: Apache-2.0
/// \file MapFacts: facts in a map, functions as callbacks, JSON flattening.
#include "expect/facts.h"

namespace cuconform::expect {

MapFacts& MapFacts::set(std::string path, Value value) {
    facts_.insert_or_assign(std::move(path), std::move(value));
    return *this;
}

MapFacts& MapFacts::define(std::string name, Function fn) {
    functions_.insert_or_assign(std::move(name), std::move(fn));
    return *this;
}

MapFacts& MapFacts::flatten(const nlohmann::json& object, VersionStrings versions, const std::string& prefix) {
    if (!object.is_object()) {
        if (!prefix.empty() && !object.is_array()) set(prefix, Value::from_json(object, versions));
        return *this;
    }
    for (const auto& [key, member] : object.items()) {
        const std::string path = prefix.empty() ? key : prefix + "." + key;
        if (member.is_object()) {
            flatten(member, versions, path);
        } else if (!member.is_array()) {
            set(path, Value::from_json(member, versions));
        }
    }
    return *this;
}

std::optional<Value> MapFacts::get(std::string_view path) const {
    if (auto it = facts_.find(path); it != facts_.end()) return it->second;
    return std::nullopt;
}

std::optional<Value> MapFacts::call(std::string_view fn, const std::vector<Value>& args) const {
    if (auto it = functions_.find(fn); it != functions_.end()) return it->second(args);
    return std::nullopt;
}

bool MapFacts::knows(std::string_view path) const { return facts_.find(path) != facts_.end(); }

bool MapFacts::has_function(std::string_view fn) const { return functions_.find(fn) != functions_.end(); }

}  // namespace cuconform::expect
