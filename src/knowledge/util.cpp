// SPDX-License-Identifier: Apache-2.0
/// \file The knowledge base's small value types and the helpers its readers and queries share.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "knowledge/data.h"

namespace cuconform::knowledge {

namespace {

std::string with_line(const std::string& file, int line, const std::string& message) {
    return line > 0 ? fmt::format("{}:{}: {}", file, line, message) : fmt::format("{}: {}", file, message);
}

}  // namespace

KnowledgeError::KnowledgeError(std::string file, int line, const std::string& message)
    : std::runtime_error(with_line(file, line, message)), file_(std::move(file)), line_(line) {}

std::string Citation::url() const { return sources.empty() ? std::string() : sources.front().url; }

std::string Citation::where() const { return fmt::format("{}:{}", file, line); }

std::string Answer::url() const {
    for (const auto& c : evidence) {
        if (c.sourced()) return c.url();
    }
    return {};
}

std::string_view to_string(Answer::Value value) {
    switch (value) {
        case Answer::Value::Yes:
            return "yes";
        case Answer::Value::No:
            return "no";
        case Answer::Value::Unknown:
            break;
    }
    return "unknown";
}

std::string CcSet::str() const {
    if (is_list()) {
        std::string out;
        for (const auto& cc : list) out += (out.empty() ? "" : ", ") + cc.str();
        return out;
    }
    return max ? fmt::format("{} to {}", min.str(), max->str()) : fmt::format("{} and later", min.str());
}

std::string CudnnPackage::cuda_str() const {
    std::string out;
    for (const auto& [from, to] : cuda) {
        if (!out.empty()) out += ", ";
        out += from == to ? from.str() : fmt::format("{}-{}", from.str(), to.str());
    }
    return out;
}

std::string CudnnRelease::label() const {
    return through == version ? version.str() : fmt::format("{}-{}", version.str(), through.str());
}

namespace detail {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

/// Lower case, runs of anything but letters and digits become one '_' ("FP8 E4M3" -> "fp8_e4m3").
std::string feature_key(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c)) {
            out += static_cast<char>(std::tolower(c));
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out;
}

/// A GPU name as lower-case words without the vendor and brand words ("NVIDIA A100-SXM4-80GB" ->
/// a100 sxm4 80gb).
std::vector<std::string> gpu_tokens(std::string_view name) {
    static const std::set<std::string> kIgnored = {"nvidia", "tesla", "geforce"};
    std::vector<std::string> tokens;
    std::string word;
    auto flush = [&] {
        if (!word.empty() && !kIgnored.contains(word)) tokens.push_back(word);
        word.clear();
    };
    for (unsigned char c : name) {
        if (std::isalnum(c)) {
            word += static_cast<char>(std::tolower(c));
        } else {
            flush();
        }
    }
    flush();
    return tokens;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

/// "sm_90a" -> {90, "a"}; nullopt when it is not sm_<digits>[a|f].
std::optional<std::pair<int, std::string>> split_arch(std::string_view arch) {
    if (!arch.starts_with("sm_")) return std::nullopt;
    std::string_view rest = arch.substr(3);
    int number = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
    if (ec != std::errc{} || end == rest.data()) return std::nullopt;
    std::string suffix(end, rest.data() + rest.size());
    if (!(suffix.empty() || suffix == "a" || suffix == "f")) return std::nullopt;
    return std::make_pair(number, suffix);
}

bool arch_less(const std::string& a, const std::string& b) { return split_arch(a) < split_arch(b); }

/// Versions dotted to three places, as cuDNN writes them ("9.3" -> "9.3.0").
std::string dotted3(const Version& v) { return fmt::format("{}.{}.{}", v.major(), v.minor(), v.patch()); }

Version major_minor(const Version& v) { return Version({v.major(), v.minor()}); }

/// `v` compared with `bound` at the bound's own depth, so that "8.8" covers every 8.8.x.
bool at_most(const Version& v, const Version& bound) { return v.truncated(bound.parts().size()) <= bound; }

Answer answer(Answer::Value value, std::string reason, std::vector<Citation> evidence, std::string rule) {
    return Answer{value, std::move(reason), std::move(evidence), std::move(rule)};
}

}  // namespace detail

const detail::Toolkit* KnowledgeBase::Data::toolkit(const Version& v) const {
    for (const auto& t : toolkits) {
        if (t.version == detail::major_minor(v)) return &t;
    }
    return nullptr;
}

const detail::Family* KnowledgeBase::Data::family(int major) const {
    for (const auto& f : families) {
        if (f.major == major) return &f;
    }
    return nullptr;
}

}  // namespace cuconform::knowledge
