// SPDX-License-Identifier: Apache-2.0
/// \file Field-by-field JSON reading with path-qualified errors, and depth-limited parsing.
#include "results/record_io.h"

#include <fmt/format.h>

namespace cuconform::results {
using nlohmann::json;

std::string kind_of(const json& value) {
    switch (value.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::object:
            return "an object";
        case json::value_t::array:
            return "a list";
        case json::value_t::string:
            return "a string";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return "a number";
        default:
            return "something else";
    }
}

Fields::Fields(const json& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_.is_object()) {
        throw RecordError(
            fmt::format("{}: expected an object, found {}", path_.empty() ? "the record" : path_, kind_of(object_)));
    }
}

std::string Fields::path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void Fields::fail(std::string_view key, const std::string& problem) const {
    throw RecordError(fmt::format("{}: {}", path_of(key), problem));
}

const json* Fields::find(std::string_view key) const {
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
}

const json& Fields::at(std::string_view key) const {
    const json* value = find(key);
    if (value == nullptr) fail(key, "missing");
    return *value;
}

Fields Fields::object(std::string_view key) const { return Fields(at(key), path_of(key)); }

std::optional<Fields> Fields::optional_object(std::string_view key) const {
    const json* value = find(key);
    if (value == nullptr || value->is_null()) return std::nullopt;
    return Fields(*value, path_of(key));
}

std::string Fields::string(std::string_view key) const {
    const json& value = at(key);
    if (!value.is_string()) fail(key, "expected a string, found " + kind_of(value));
    return value.get<std::string>();
}

std::string Fields::string_or(std::string_view key, std::string fallback) const {
    return optional_string(key).value_or(std::move(fallback));
}

std::optional<std::string> Fields::optional_string(std::string_view key) const {
    const json* value = find(key);
    if (value == nullptr || value->is_null()) return std::nullopt;
    if (!value->is_string()) fail(key, "expected a string, found " + kind_of(*value));
    return value->get<std::string>();
}

bool Fields::boolean_or(std::string_view key, bool fallback) const {
    const json* value = find(key);
    if (value == nullptr || value->is_null()) return fallback;
    if (!value->is_boolean()) fail(key, "expected true or false, found " + kind_of(*value));
    return value->get<bool>();
}

std::optional<long long> Fields::optional_integer(std::string_view key) const {
    const json* value = find(key);
    if (value == nullptr || value->is_null()) return std::nullopt;
    if (!value->is_number_integer()) fail(key, "expected a whole number, found " + kind_of(*value));
    return value->get<long long>();
}

long long Fields::integer_or(std::string_view key, long long fallback) const {
    return optional_integer(key).value_or(fallback);
}

double Fields::number(std::string_view key) const {
    const json& value = at(key);
    if (!value.is_number()) fail(key, "expected a number, found " + kind_of(value));
    return value.get<double>();
}

double Fields::number_or(std::string_view key, double fallback) const {
    const json* value = find(key);
    if (value == nullptr || value->is_null()) return fallback;
    return number(key);
}

json parse_json(std::string_view text, const std::string& what, int max_depth) {
    // Nesting is measured before parsing: nlohmann's reader is iterative, but destroying, dumping or walking a
    // value nested 100,000 deep recurses once per level.
    int depth = 0;
    bool in_string = false, escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                throw RecordError(fmt::format("{}: nested deeper than {} levels at byte {}; no cuconform record is",
                                              what, max_depth, i + 1));
            }
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        throw RecordError(fmt::format("{}: not valid JSON at byte {}", what, e.byte));
    } catch (const json::out_of_range& e) {
        // A number beyond a double (1e400): nlohmann throws out_of_range.406, not a parse_error.
        const std::string_view message = e.what();
        const std::size_t quote = message.find('\'');
        const std::string_view number =
            quote == std::string_view::npos ? message : message.substr(quote + 1, message.rfind('\'') - quote - 1);
        throw RecordError(fmt::format("{}: the number {} is too large for any field of a cuconform record; repair it",
                                      what, number.substr(0, 64)));
    }
}

}  // namespace cuconform::results
