// SPDX-License-Identifier: Apache-2.0
/// \file What every fuzz target shares: the input as text, and the rule that a parser refuses bad input only with its
/// own error, naming the input. Anything else that escapes (std::bad_alloc, nlohmann's or yaml-cpp's own exceptions,
/// std::out_of_range) is what a user would see as a bare message without a file or line: the target aborts, and
/// libFuzzer keeps the input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

namespace cuconform::fuzz {

/// The name each target gives its input; a refusal must name it.
inline constexpr const char* kInputName = "fuzz-input";

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Stops the run: a finding. libFuzzer saves the input (crash-<sha1>) on abort.
[[noreturn]] inline void finding(const char* what, const std::string& detail) {
    std::fprintf(stderr, "cuconform fuzz finding: %s: %s\n", what, detail.c_str());
    std::abort();
}

/// A refusal that does not say which input it is about.
inline void expect_named(const std::exception& e, std::string_view name = kInputName) {
    if (std::string_view(e.what()).find(name) == std::string_view::npos) {
        finding("the error does not name the input", std::string(typeid(e).name()) + ": " + e.what());
    }
}

/// Runs `parse`, which may refuse the input only by throwing `Expected`; anything else escaping is a finding.
template <typename Expected, typename Parse>
void refuses_only_with(const char* what, Parse parse) {
    try {
        parse();
    } catch (const Expected&) {
    } catch (const std::exception& e) {
        finding(what, std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
}

}  // namespace cuconform::fuzz
