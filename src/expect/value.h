// SPDX-License-Identifier: Apache-2.0
/// \file The values an expectation predicate computes with: null, bool, number, string, version.
#pragma once

#include <concepts>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "core/version.h"

namespace cuconform::expect {

/// How Value::from_json treats JSON strings that look like dotted versions.
enum class VersionStrings {
    Keep,          ///< Every JSON string stays a string ("9.19.0" is the string "9.19.0").
    DottedToVersion,  ///< A string that parses as a version with at least one dot ("9.19", "580.65.06") becomes a
                      ///< Version; "13", "sm_61" and "" stay strings. Use for fingerprints, whose versions are strings.
};

/// One value of the expectation language. Default-constructed it is null.
class Value {
public:
    enum class Type { Null, Bool, Number, String, Version };

    Value() = default;
    Value(std::nullptr_t) {}
    Value(bool b) : data_(b) {}
    template <typename T>
        requires(std::is_arithmetic_v<T> && !std::same_as<T, bool>)
    Value(T number) : data_(static_cast<double>(number)) {}
    Value(std::string s) : data_(std::move(s)) {}
    Value(std::string_view s) : data_(std::string(s)) {}
    Value(const char* s) : data_(std::string(s)) {}
    Value(cuconform::Version v) : data_(std::move(v)) {}

    Type type() const { return static_cast<Type>(data_.index()); }
    bool is_null() const { return type() == Type::Null; }
    bool is_bool() const { return type() == Type::Bool; }
    bool is_number() const { return type() == Type::Number; }
    bool is_string() const { return type() == Type::String; }
    bool is_version() const { return type() == Type::Version; }

    /// Accessors; each requires the matching type (std::bad_variant_access otherwise).
    bool as_bool() const { return std::get<bool>(data_); }
    double as_number() const { return std::get<double>(data_); }
    const std::string& as_string() const { return std::get<std::string>(data_); }
    const cuconform::Version& as_version() const { return std::get<cuconform::Version>(data_); }

    /// null, false, 0, "" and an empty version are false; everything else is true.
    bool truthy() const;

    /// Rule syntax: `null`, `true`, `8.6`, `13`, `9.19.0`, `"sm_61"` (strings quoted and escaped).
    std::string str() const;

    /// JSON form: null, bool, number, string; a version becomes its dotted string.
    nlohmann::json to_json() const;
    /// The inverse for scalars. Objects and arrays are not values: std::invalid_argument naming the JSON type.
    static Value from_json(const nlohmann::json& j, VersionStrings versions = VersionStrings::Keep);

    /// Same type and same value (versions compare with missing components as zero). No coercion.
    bool operator==(const Value& other) const = default;

    static std::string_view type_name(Type type);

private:
    std::variant<std::monostate, bool, double, std::string, cuconform::Version> data_;
};

/// A number read as a version: 13 -> 13, 8.6 -> 8.6. Nullopt for negative, fractional-exponent or huge numbers.
std::optional<cuconform::Version> number_as_version(double number);

void to_json(nlohmann::json& j, const Value& value);

}  // namespace cuconform::expect
