// SPDX-License-Identifier: Apache-2.0
/// \file Small helpers several parts share: token pasting, time stamps, colon-separated path lists.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#define CUCONFORM_CONCAT_INNER(a, b) a##b
/// Pastes after expanding: CUCONFORM_CONCAT(name_, __COUNTER__) for one unique registrar per use.
#define CUCONFORM_CONCAT(a, b) CUCONFORM_CONCAT_INNER(a, b)

namespace cuconform {

/// The current time in UTC, ISO 8601 to the second ("2026-11-23T17:09:55Z").
std::string now_iso8601();

/// The candidates closest to `word` (Levenshtein distance at most a third of its length, at least 2; or a prefix
/// match), nearest first: "did you mean ...?".
std::vector<std::string> near_matches(std::string_view word, const std::vector<std::string>& candidates,
                                      std::size_t max = 3);

/// The non-empty entries of a colon-separated list such as LD_LIBRARY_PATH (nullptr: none).
std::vector<std::string> split_path_list(const char* value);

}  // namespace cuconform
