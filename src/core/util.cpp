// SPDX-License-Identifier: Apache-2.0
/// \file Time stamps and path lists.
#include "core/util.h"

#include <ctime>
#include <sstream>

namespace cuconform {

std::string now_iso8601() {
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buf;
}

std::vector<std::string> split_path_list(const char* value) {
    std::vector<std::string> entries;
    if (value == nullptr) return entries;
    std::stringstream in(value);
    for (std::string entry; std::getline(in, entry, ':');) {
        if (!entry.empty()) entries.push_back(entry);
    }
    return entries;
}

}  // namespace cuconform
