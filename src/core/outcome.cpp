// SPDX-License-Identifier: Apache-2.0
/// \file Outcome and verdict names, JSON form, and the judgement of expected against observed.
#include "core/outcome.h"

#include <array>
#include <fmt/format.h>
#include <utility>

namespace cuconform {
namespace {

constexpr std::array<std::pair<Domain, std::string_view>, 6> kDomains{{
    {Domain::Cuda, "cuda"},
    {Domain::Cudnn, "cudnn"},
    {Domain::Cublas, "cublas"},
    {Domain::Loader, "loader"},
    {Domain::Compile, "compile"},
    {Domain::Harness, "harness"},
}};

constexpr std::array<std::pair<Verdict, std::string_view>, 7> kVerdicts{{
    {Verdict::Pass, "PASS"},
    {Verdict::Fail, "FAIL"},
    {Verdict::Unsupported, "UNSUPPORTED"},
    {Verdict::Waived, "WAIVED"},
    {Verdict::Flaky, "FLAKY"},
    {Verdict::Crash, "CRASH"},
    {Verdict::Timeout, "TIMEOUT"},
}};

constexpr std::array<std::pair<FailKind, std::string_view>, 5> kFailKinds{{
    {FailKind::None, "none"},
    {FailKind::UnexpectedError, "unexpected_error"},
    {FailKind::WrongError, "wrong_error"},
    {FailKind::UnexpectedPass, "unexpected_pass"},
    {FailKind::UnexpectedUnsupported, "unexpected_unsupported"},
}};

constexpr std::array<std::pair<Outcome::Kind, std::string_view>, 5> kKinds{{
    {Outcome::Kind::Ok, "ok"},
    {Outcome::Kind::Error, "error"},
    {Outcome::Kind::Unsupported, "unsupported"},
    {Outcome::Kind::Crash, "crash"},
    {Outcome::Kind::Timeout, "timeout"},
}};

template <typename Table, typename Key>
std::string_view name_of(const Table& table, Key key) {
    for (const auto& [k, name] : table) {
        if (k == key) return name;
    }
    return "?";
}

template <typename Table>
auto key_of(const Table& table, std::string_view name) -> std::optional<typename Table::value_type::first_type> {
    for (const auto& [k, n] : table) {
        if (n == name) return k;
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(Domain domain) { return name_of(kDomains, domain); }
std::optional<Domain> parse_domain(std::string_view text) { return key_of(kDomains, text); }
std::string_view to_string(Verdict verdict) { return name_of(kVerdicts, verdict); }
std::optional<Verdict> parse_verdict(std::string_view text) { return key_of(kVerdicts, text); }
std::string_view to_string(FailKind kind) { return name_of(kFailKinds, kind); }
std::optional<FailKind> parse_fail_kind(std::string_view text) { return key_of(kFailKinds, text); }

Outcome Outcome::ok(std::string message) {
    Outcome o;
    o.message = std::move(message);
    return o;
}

Outcome Outcome::error(Domain domain, std::string name, std::optional<long> native_code, std::string message) {
    Outcome o;
    o.kind = Kind::Error;
    o.domain = domain;
    o.name = std::move(name);
    o.native_code = native_code;
    o.message = std::move(message);
    return o;
}

Outcome Outcome::unsupported(std::string reason) {
    Outcome o;
    o.kind = Kind::Unsupported;
    o.reason = std::move(reason);
    return o;
}

Outcome Outcome::crash(int signal, std::string message) {
    Outcome o;
    o.kind = Kind::Crash;
    o.signal = signal;
    o.message = std::move(message);
    return o;
}

Outcome Outcome::timeout(std::string message) {
    Outcome o;
    o.kind = Kind::Timeout;
    o.message = std::move(message);
    return o;
}

bool Outcome::same_as(const Outcome& other) const {
    if (kind != other.kind) return false;
    if (kind == Kind::Error) {
        if (domain != other.domain) return false;
        if (name == other.name) return true;
        // cuDNN 9 reports sub-codes (CUDNN_STATUS_BAD_PARAM_NULL_POINTER); an expectation naming the
        // category (CUDNN_STATUS_BAD_PARAM) accepts them. `this` is the expected outcome.
        return domain == Domain::Cudnn && other.name.starts_with(name + "_");
    }
    return true;
}

std::string Outcome::str() const {
    switch (kind) {
        case Kind::Ok: return "ok";
        case Kind::Error: return fmt::format("error({}, {})", to_string(domain), name);
        // JSON string escaping is the rule syntax's (\" and \\), so the text parses back (expect::parse_outcome).
        // Bytes that are not UTF-8 (a library path, dlerror() text) are replaced, as results.jsonl replaces them.
        case Kind::Unsupported:
            return fmt::format("unsupported({})",
                               nlohmann::json(reason).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        case Kind::Crash: return fmt::format("crash({})", signal);
        case Kind::Timeout: return "timeout";
    }
    return "?";
}

void to_json(nlohmann::json& j, const Outcome& o) {
    j = nlohmann::json{{"outcome", name_of(kKinds, o.kind)}, {"text", o.str()}};
    if (o.kind == Outcome::Kind::Error) {
        j["domain"] = to_string(o.domain);
        j["name"] = o.name;
    }
    if (!o.reason.empty()) j["reason"] = o.reason;
    if (o.native_code) j["code"] = *o.native_code;
    if (!o.message.empty()) j["message"] = o.message;
    if (o.kind == Outcome::Kind::Crash) j["signal"] = o.signal;
}

void from_json(const nlohmann::json& j, Outcome& o) {
    o = Outcome{};
    auto kind = key_of(kKinds, j.at("outcome").get<std::string>());
    if (!kind) throw std::invalid_argument("unknown outcome kind: " + j.at("outcome").get<std::string>());
    o.kind = *kind;
    if (o.kind == Outcome::Kind::Error) {
        auto domain = parse_domain(j.at("domain").get<std::string>());
        if (!domain) throw std::invalid_argument("unknown error domain: " + j.at("domain").get<std::string>());
        o.domain = *domain;
        o.name = j.at("name").get<std::string>();
    }
    o.reason = j.value("reason", "");
    if (j.contains("code") && !j["code"].is_null()) o.native_code = j["code"].get<long>();
    o.message = j.value("message", "");
    o.signal = j.value("signal", 0);
}

Judgement judge(const Outcome& expected, const Outcome& observed) {
    using Kind = Outcome::Kind;
    switch (observed.kind) {
        case Kind::Crash: return {Verdict::Crash, FailKind::None};
        case Kind::Timeout: return {Verdict::Timeout, FailKind::None};
        case Kind::Unsupported:
            if (expected.kind == Kind::Unsupported) return {Verdict::Unsupported, FailKind::None};
            return {Verdict::Fail, FailKind::UnexpectedUnsupported};
        case Kind::Ok:
            if (expected.kind == Kind::Ok) return {Verdict::Pass, FailKind::None};
            if (expected.kind == Kind::Unsupported) return {Verdict::Unsupported, FailKind::None};
            return {Verdict::Fail, FailKind::UnexpectedPass};
        case Kind::Error:
            if (expected.kind == Kind::Ok) return {Verdict::Fail, FailKind::UnexpectedError};
            if (expected.kind == Kind::Unsupported) return {Verdict::Unsupported, FailKind::None};
            if (expected.same_as(observed)) return {Verdict::Pass, FailKind::None};
            return {Verdict::Fail, FailKind::WrongError};
    }
    return {Verdict::Fail, FailKind::None};
}

}  // namespace cuconform
