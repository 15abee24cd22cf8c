// SPDX-License-Identifier: Apache-2.0
/// \file Version parsing, encoding and ordering.
#include "core/version.h"

#include <charconv>

namespace cuconform {

std::optional<Version> Version::parse(std::string_view text) {
    std::vector<int> parts;
    std::size_t pos = 0;
    while (true) {
        int value = 0;
        const char* begin = text.data() + pos;
        const char* end = text.data() + text.size();
        auto [next, ec] = std::from_chars(begin, end, value);
        if (ec != std::errc{} || next == begin || value < 0) {
            return std::nullopt;
        }
        parts.push_back(value);
        pos = static_cast<std::size_t>(next - text.data());
        if (pos == text.size()) {
            Version version(std::move(parts));
            version.text_ = text;
            return version;
        }
        if (text[pos] != '.') {
            return std::nullopt;
        }
        ++pos;
    }
}

Version Version::from_cuda_int(int encoded) {
    return Version({encoded / 1000, (encoded % 1000) / 10});
}

Version Version::from_cudnn_int(long encoded) {
    if (encoded >= 90000) {
        return Version({static_cast<int>(encoded / 10000), static_cast<int>((encoded % 10000) / 100),
                        static_cast<int>(encoded % 100)});
    }
    return Version({static_cast<int>(encoded / 1000), static_cast<int>((encoded % 1000) / 100),
                    static_cast<int>(encoded % 100)});
}

Version Version::truncated(std::size_t n) const {
    std::vector<int> parts(parts_.begin(), parts_.begin() + static_cast<long>(std::min(n, parts_.size())));
    return Version(std::move(parts));
}

std::string Version::str() const {
    if (!text_.empty()) return text_;
    std::string out;
    for (std::size_t i = 0; i < parts_.size(); ++i) {
        if (i) out += '.';
        out += std::to_string(parts_[i]);
    }
    return out;
}

std::strong_ordering Version::operator<=>(const Version& other) const {
    const std::size_t n = std::max(parts_.size(), other.parts_.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (auto c = component(i) <=> other.component(i); c != 0) return c;
    }
    return std::strong_ordering::equal;
}

}  // namespace cuconform
