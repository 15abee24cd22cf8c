// SPDX-License-Identifier: Apache-2.0
/// \file Where an expectation reads facts and calls functions: the Facts interface and a map-backed implementation.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expect/value.h"

namespace cuconform::expect {

/// The facts of one stack (usually a flattened fingerprint) plus the functions predicates may call.
/// Paths are dotted (`gpu.cc`, `cudnn.loaded.major`, `env.CUDA_VISIBLE_DEVICES`).
class Facts {
public:
    virtual ~Facts() = default;
    /// The value at `path`; nullopt when these facts do not have it (it then evaluates as null). A fact that is
    /// present but null (e.g. an unset environment variable) returns Value().
    virtual std::optional<Value> get(std::string_view path) const = 0;
    /// The result of `fn(args...)`; nullopt when these facts do not provide `fn` (it then evaluates as null).
    virtual std::optional<Value> call(std::string_view fn, const std::vector<Value>& args) const = 0;
    /// True when get(path) would return a value.
    virtual bool knows(std::string_view path) const = 0;
    /// True when call(fn, ...) would be answered.
    virtual bool has_function(std::string_view fn) const = 0;
};

/// Facts held in a map, with functions registered as callbacks. For tests, and for callers that flatten a
/// fingerprint into paths.
class MapFacts : public Facts {
public:
    using Function = std::function<Value(const std::vector<Value>& args)>;

    MapFacts() = default;
    MapFacts(std::initializer_list<std::pair<const std::string, Value>> facts) : facts_(facts) {}

    /// Sets (or replaces) one fact.
    MapFacts& set(std::string path, Value value);
    /// Registers `name(args...)`; the parser checks arity, so `fn` may index `args` freely.
    MapFacts& define(std::string name, Function fn);

    /// Adds every scalar of a JSON object under dotted paths: {"gpu": {"cc": "8.6"}} -> `gpu.cc`. Arrays are
    /// skipped (paths name object members only); `prefix` is prepended with a dot when not empty.
    MapFacts& flatten(const nlohmann::json& object, VersionStrings versions = VersionStrings::DottedToVersion,
                      const std::string& prefix = {});

    std::optional<Value> get(std::string_view path) const override;
    std::optional<Value> call(std::string_view fn, const std::vector<Value>& args) const override;
    bool knows(std::string_view path) const override;
    bool has_function(std::string_view fn) const override;

    const std::map<std::string, Value, std::less<>>& facts() const { return facts_; }

private:
    std::map<std::string, Value, std::less<>> facts_;
    std::map<std::string, Function, std::less<>> functions_;
};

}  // namespace cuconform::expect
