// SPDX-License-Identifier: Apache-2.0
/// \file Outcomes (what a case run expects or shows) and verdicts (how the two compare), per DESIGN.md.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace cuconform {

/// Where a named error comes from. The name of an error is only meaningful within its domain.
enum class Domain { Cuda, Cudnn, Cublas, Loader, Compile, Harness };

std::string_view to_string(Domain domain);
std::optional<Domain> parse_domain(std::string_view text);

/// `ok`, `error(domain, NAME)`, `unsupported(reason)`; observed runs may also end in
/// `crash(signal)` or `timeout`.
struct Outcome {
    enum class Kind { Ok, Error, Unsupported, Crash, Timeout };

    Kind kind = Kind::Ok;
    Domain domain = Domain::Harness;  ///< Error only.
    std::string name;                 ///< Error only: CUDNN_STATUS_BAD_PARAM, cudaErrorNoDevice, LIBRARY_NOT_FOUND...
    std::string reason;               ///< Unsupported only: why it cannot run here.
    std::optional<long> native_code;  ///< Observed only: the library's own number for `name`.
    std::string message;              ///< Observed only: the library's own text (dlerror, cudnnGetErrorString...).
    int signal = 0;                   ///< Crash only.

    static Outcome ok(std::string message = {});
    static Outcome error(Domain domain, std::string name, std::optional<long> native_code = {},
                         std::string message = {});
    static Outcome unsupported(std::string reason);
    static Outcome crash(int signal, std::string message = {});
    static Outcome timeout(std::string message = {});

    bool is_ok() const { return kind == Kind::Ok; }
    bool is_error() const { return kind == Kind::Error; }
    bool is_unsupported() const { return kind == Kind::Unsupported; }
    /// Same outcome for verdict purposes: kind, and for errors the domain and the name. `this` is the
    /// expected outcome: for cuDNN an expected category name also accepts an observed sub-code
    /// (CUDNN_STATUS_BAD_PARAM accepts CUDNN_STATUS_BAD_PARAM_NULL_POINTER, not CUDNN_STATUS_BAD_PARAMX).
    bool same_as(const Outcome& other) const;

    /// The outcome in rule syntax: `ok`, `error(cudnn, CUDNN_STATUS_BAD_PARAM)`, `unsupported("...")`.
    std::string str() const;
};

void to_json(nlohmann::json& j, const Outcome& outcome);
void from_json(const nlohmann::json& j, Outcome& outcome);

/// lit/dEQP-style verdicts. Each has a fixed "is it a failure" bit (see is_failure()).
enum class Verdict { Pass, Fail, Unsupported, Waived, Flaky, Crash, Timeout };

/// Why a FAIL failed.
enum class FailKind { None, UnexpectedError, WrongError, UnexpectedPass, UnexpectedUnsupported };

std::string_view to_string(Verdict verdict);
std::optional<Verdict> parse_verdict(std::string_view text);
std::string_view to_string(FailKind kind);
std::optional<FailKind> parse_fail_kind(std::string_view text);

/// The conformance criterion, written once: a run conforms when every result is PASS, UNSUPPORTED
/// or WAIVED. Everything else is a failure.
constexpr bool is_failure(Verdict verdict) {
    return !(verdict == Verdict::Pass || verdict == Verdict::Unsupported || verdict == Verdict::Waived);
}

struct Judgement {
    Verdict verdict = Verdict::Pass;
    FailKind fail_kind = FailKind::None;
};

/// Compares what a case was expected to do with what it did.
Judgement judge(const Outcome& expected, const Outcome& observed);

}  // namespace cuconform
