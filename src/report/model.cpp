// SPDX-License-Identifier: Apache-2.0
/// \file The grid model and the escaping helpers every report writer uses.
#include "report/model.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <tuple>
#include <unordered_map>

namespace cuconform::report::detail {

void append_html(std::string& out, std::string_view text) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char* entity = nullptr;
        switch (text[i]) {
            case '&': entity = "&amp;"; break;
            case '<': entity = "&lt;"; break;
            case '>': entity = "&gt;"; break;
            case '"': entity = "&quot;"; break;
            case '\'': entity = "&#39;"; break;
            default: continue;
        }
        out.append(text.substr(start, i - start));
        out.append(entity);
        start = i + 1;
    }
    out.append(text.substr(start));
}

std::string html(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_html(out, text);
    return out;
}

void append_xml(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            out.append("\xEF\xBF\xBD");  // XML 1.0 cannot hold these, not even as character references
        } else if (c == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBF &&
                   (static_cast<unsigned char>(text[i + 2]) == 0xBE || static_cast<unsigned char>(text[i + 2]) == 0xBF)) {
            out.append("\xEF\xBF\xBD");  // U+FFFE, U+FFFF
            i += 2;
        } else if (c == '\r') {
            out.append("&#13;");
        } else {
            append_html(out, text.substr(i, 1));
        }
    }
}

std::string json_for_script(const nlohmann::json& value) {
    const std::string raw = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(raw.size() + raw.size() / 64);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == '<') {
            out.append("\\u003c");
        } else if (c == '>') {
            out.append("\\u003e");
        } else if (c == '&') {
            out.append("\\u0026");
        } else if (c == '\xE2' && i + 2 < raw.size() && raw[i + 1] == '\x80' && (raw[i + 2] == '\xA8' || raw[i + 2] == '\xA9')) {
            out.append(raw[i + 2] == '\xA8' ? "\\u2028" : "\\u2029");
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string_view verdict_symbol(Verdict verdict) {
    switch (verdict) {
        case Verdict::Pass: return "\u2713";
        case Verdict::Fail: return "\u2717";
        case Verdict::Unsupported: return "\u25CB";
        case Verdict::Waived: return "W";
        case Verdict::Flaky: return "~";
        case Verdict::Crash: return "\u2620";
        case Verdict::Timeout: return "\u25F7";  // ◷: ⏱ is missing from common fonts (DejaVu)
    }
    return "?";
}

char verdict_letter(Verdict verdict) { return "PFUWKCT"[static_cast<int>(verdict)]; }

std::string short_outcome(const Outcome& outcome) {
    switch (outcome.kind) {
        case Outcome::Kind::Ok: return "ok";
        case Outcome::Kind::Error: return outcome.name;
        case Outcome::Kind::Unsupported: return "unsupported";
        case Outcome::Kind::Timeout: return "timeout";
        case Outcome::Kind::Crash: {
            static const std::map<int, const char*> kSignals{{4, "SIGILL"},  {6, "SIGABRT"}, {7, "SIGBUS"},
                                                             {8, "SIGFPE"},  {9, "SIGKILL"}, {11, "SIGSEGV"},
                                                             {13, "SIGPIPE"}, {15, "SIGTERM"}};
            auto it = kSignals.find(outcome.signal);
            return it != kSignals.end() ? it->second : fmt::format("signal {}", outcome.signal);
        }
    }
    return "?";
}

std::string stack_label(const Cell& c) {
    std::string cuda = c.toolkit_cuda.empty() ? "?" : c.toolkit_cuda;
    if (!c.stack_cuda.empty() && c.stack_cuda != c.toolkit_cuda) cuda += " (runs " + c.stack_cuda + ")";
    const std::string& cudnn = c.stack_cudnn.empty() ? c.toolkit_cudnn : c.stack_cudnn;
    return fmt::format("driver {} \u00B7 CUDA {} \u00B7 cuDNN {}", c.driver.empty() ? "none" : c.driver, cuda,
                       cudnn.empty() ? "?" : cudnn);
}

Grid build_grid(const ResultSet& set) {
    Grid grid;
    grid.columns.resize(set.cells.size());
    for (std::uint32_t i = 0; i < set.cells.size(); ++i) grid.columns[i] = i;
    auto key = [&](std::uint32_t i) {
        const Cell& c = set.cells[i];
        return std::tie(c.driver, c.toolkit_cuda, c.stack_cuda, c.stack_cudnn, c.gpu, c.id);
    };
    std::stable_sort(grid.columns.begin(), grid.columns.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return key(a) < key(b); });
    std::vector<std::int32_t> column_of(set.cells.size());
    for (std::size_t col = 0; col < grid.columns.size(); ++col) column_of[grid.columns[col]] = static_cast<std::int32_t>(col);

    std::unordered_map<std::string, std::size_t> row_of;
    std::string row_key;
    for (std::size_t i = 0; i < set.results.size(); ++i) {
        const Result& r = set.results[i];
        row_key.assign(r.case_id).push_back('\n');
        row_key.append(r.variant);
        auto [it, inserted] = row_of.try_emplace(row_key, grid.rows.size());
        if (inserted) {
            grid.rows.push_back({r.case_id, r.variant, r.family, r.title, std::vector<std::int32_t>(grid.columns.size(), -1)});
        }
        grid.rows[it->second].result_at[column_of[r.cell]] = static_cast<std::int32_t>(i);
    }
    // Failures first: families with failing results before the others (most failures first), and within a family
    // the failing rows first; otherwise by name.
    std::vector<std::size_t> row_failures(grid.rows.size(), 0);
    std::unordered_map<std::string, std::size_t> family_failures;
    for (std::size_t i = 0; i < grid.rows.size(); ++i) {
        for (const std::int32_t at : grid.rows[i].result_at) {
            if (at >= 0 && is_failure(set.results[static_cast<std::size_t>(at)].verdict)) ++row_failures[i];
        }
        family_failures[grid.rows[i].family] += row_failures[i];
    }
    std::vector<std::size_t> order(grid.rows.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        const Row& a = grid.rows[x];
        const Row& b = grid.rows[y];
        const std::size_t fa = family_failures[a.family], fb = family_failures[b.family];
        if (fa != fb) return fa > fb;
        if (a.family != b.family) return a.family < b.family;
        if ((row_failures[x] > 0) != (row_failures[y] > 0)) return row_failures[x] > 0;
        return std::tie(a.case_id, a.variant) < std::tie(b.case_id, b.variant);
    });
    std::vector<Row> sorted;
    sorted.reserve(grid.rows.size());
    for (const std::size_t i : order) sorted.push_back(std::move(grid.rows[i]));
    grid.rows = std::move(sorted);
    for (std::size_t i = 0; i < grid.rows.size(); ++i) {
        if (grid.families.empty() || grid.families.back().first != grid.rows[i].family) {
            grid.families.push_back({grid.rows[i].family, {}});
        }
        grid.families.back().second.push_back(i);
    }
    return grid;
}

}  // namespace cuconform::report::detail
