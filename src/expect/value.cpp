// SPDX-License-Identifier: Apache-2.0
/// \file Value truthiness, text and JSON forms.
#include "expect/value.h"

#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

namespace cuconform::expect {

bool Value::truthy() const {
    switch (type()) {
        case Type::Null: return false;
        case Type::Bool: return as_bool();
        case Type::Number: return as_number() != 0.0;
        case Type::String: return !as_string().empty();
        case Type::Version: return !as_version().empty();
    }
    return false;
}

std::string Value::str() const {
    switch (type()) {
        case Type::Null: return "null";
        case Type::Bool: return as_bool() ? "true" : "false";
        // fmt prints the shortest text that reads back the same double: 13, 8.6.
        case Type::Number: return fmt::format("{}", as_number());
        // JSON string escaping is the language's own (\" and \\), so reuse it. Bytes that are not UTF-8 (an
        // environment variable's value) are replaced, as results.jsonl replaces them.
        case Type::String:
            return nlohmann::json(as_string()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        case Type::Version: return as_version().str();
    }
    return "?";
}

nlohmann::json Value::to_json() const {
    switch (type()) {
        case Type::Null: return nullptr;
        case Type::Bool: return as_bool();
        case Type::Number: {
            // Keep integers integers in JSON, so that 13 does not come back as 13.0 in other tools.
            const double n = as_number();
            if (std::nearbyint(n) == n && std::fabs(n) < 9.0e15) return static_cast<long long>(n);
            return n;
        }
        case Type::String: return as_string();
        case Type::Version: return as_version().str();
    }
    return nullptr;
}

Value Value::from_json(const nlohmann::json& j, VersionStrings versions) {
    switch (j.type()) {
        case nlohmann::json::value_t::null: return Value();
        case nlohmann::json::value_t::boolean: return Value(j.get<bool>());
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
        case nlohmann::json::value_t::number_float: return Value(j.get<double>());
        case nlohmann::json::value_t::string: {
            const auto& s = j.get_ref<const std::string&>();
            if (versions == VersionStrings::DottedToVersion && s.find('.') != std::string::npos) {
                if (auto v = cuconform::Version::parse(s)) return Value(*v);
            }
            return Value(s);
        }
        default:
            throw std::invalid_argument(fmt::format(
                "a JSON {} is not an expectation value (only null, booleans, numbers and strings are); "
                "flatten objects into dotted fact paths first (MapFacts::flatten)",
                j.type_name()));
    }
}

std::string_view Value::type_name(Type type) {
    switch (type) {
        case Type::Null: return "null";
        case Type::Bool: return "bool";
        case Type::Number: return "number";
        case Type::String: return "string";
        case Type::Version: return "version";
    }
    return "?";
}

std::optional<cuconform::Version> number_as_version(double number) {
    if (!std::isfinite(number) || number < 0) return std::nullopt;
    return cuconform::Version::parse(fmt::format("{}", number));
}

void to_json(nlohmann::json& j, const Value& value) { j = value.to_json(); }

}  // namespace cuconform::expect
