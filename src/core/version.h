// SPDX-License-Identifier: Apache-2.0
/// \file Dotted versions ("13.0", "9.19.0", "580.65.06") and the integer encodings CUDA and cuDNN use.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cuconform {

/// A dotted version. Missing trailing components compare as zero, so 13.0 == 13.0.0.
class Version {
public:
    Version() = default;
    explicit Version(std::vector<int> parts) : parts_(std::move(parts)) {}

    /// Parses "13", "13.0", "9.19.0". Returns nullopt for anything else (empty, letters, "1..2").
    /// The text is kept for str(), so that zero-padded driver versions ("580.65.06") print as written.
    static std::optional<Version> parse(std::string_view text);
    /// CUDA's encoding, as cudaRuntimeGetVersion / cuDriverGetVersion return it: 1000*major + 10*minor.
    static Version from_cuda_int(int encoded);
    /// cuDNN's encoding: 1000*major + 100*minor + patch before 9, 10000*major + 100*minor + patch from 9.
    static Version from_cudnn_int(long encoded);

    bool empty() const { return parts_.empty(); }
    int major() const { return component(0); }
    int minor() const { return component(1); }
    int patch() const { return component(2); }
    int component(std::size_t i) const { return i < parts_.size() ? parts_[i] : 0; }
    const std::vector<int>& parts() const { return parts_; }
    /// The first `n` components ("9.19.0".truncated(2) == "9.19").
    Version truncated(std::size_t n) const;

    /// The version as parsed, or its components joined by dots.
    std::string str() const;

    std::strong_ordering operator<=>(const Version& other) const;
    bool operator==(const Version& other) const { return (*this <=> other) == 0; }

private:
    std::vector<int> parts_;
    std::string text_;  ///< What parse() read; empty for versions built from numbers.
};

}  // namespace cuconform
