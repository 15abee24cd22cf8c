// SPDX-License-Identifier: Apache-2.0
/// \file Reading records from JSON with errors that name the field: `cudnn.loaded: expected a string, found a
/// number`. Every typed record of results/ is read through these, so a malformed file is reported where it is
/// wrong instead of as nlohmann's `[json.exception.type_error.302]`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cuconform::results {

/// A record that does not have the shape its schema gives. what(): "<field path>: <what is wrong>".
class RecordError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One JSON object being read, with the dotted path that names it in messages ("cudnn.sublibraries[2]").
class Fields {
public:
    Fields(const nlohmann::json& object, std::string path);

    /// The member, or nullptr when absent (or null and `null_is_absent`).
    const nlohmann::json* find(std::string_view key) const;
    /// The member; throws RecordError when it is absent.
    const nlohmann::json& at(std::string_view key) const;
    /// A nested object.
    Fields object(std::string_view key) const;
    std::optional<Fields> optional_object(std::string_view key) const;

    std::string string(std::string_view key) const;  ///< Required.
    std::string string_or(std::string_view key, std::string fallback) const;
    std::optional<std::string> optional_string(std::string_view key) const;  ///< Absent or null: nullopt.
    bool boolean_or(std::string_view key, bool fallback) const;
    long long integer_or(std::string_view key, long long fallback) const;
    std::optional<long long> optional_integer(std::string_view key) const;
    double number(std::string_view key) const;  ///< Required.
    double number_or(std::string_view key, double fallback) const;

    const nlohmann::json& raw() const { return object_; }
    const std::string& path() const { return path_; }
    /// The path of a member, for messages: "cudnn" + "loaded" -> "cudnn.loaded".
    std::string path_of(std::string_view key) const;
    [[noreturn]] void fail(std::string_view key, const std::string& problem) const;

private:
    const nlohmann::json& object_;
    std::string path_;
};

/// "a string", "a number", "null", ...: what a JSON value is, for messages.
std::string kind_of(const nlohmann::json& value);

/// Parses JSON text whose nesting is at most `max_depth` deep (deeper input would exhaust the stack of a
/// recursive reader). Throws RecordError naming `what` and, for malformed text, the byte where it broke.
nlohmann::json parse_json(std::string_view text, const std::string& what, int max_depth = 64);

}  // namespace cuconform::results
