// SPDX-License-Identifier: Apache-2.0
/// \file Result records in JSON and the append-only results log.
#include "run/results.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>

namespace cuconform::run {
using nlohmann::json;

json to_json(const ResultRecord& r) {
    json j{{"schema", kResultSchema},
           {"cell", r.cell},
           {"case", r.case_id},
           {"family", r.family},
           {"title", r.title},
           {"variant", r.variant},
           {"variant_spec", r.variant_spec},
           {"expected", r.expected},
           {"rule", {{"index", r.rule_index}, {"text", r.rule_text}, {"why", r.rule_why}}},
           {"observed", r.observed},
           {"verdict", to_string(r.verdict)},
           {"fail_kind", to_string(r.fail_kind)},
           {"duration_ms", r.duration_ms},
           {"attempts", r.attempts},
           {"reproduce", r.reproduce},
           {"started_at", r.started_at}};
    if (!r.reason.empty()) j["reason"] = r.reason;
    if (!r.output_tail.empty()) j["output_tail"] = r.output_tail;
    return j;
}

ResultLog::ResultLog(std::string path) : path_(std::move(path)) {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw std::runtime_error(fmt::format("cannot open {} for appending: {}; check that the --out directory is "
                                             "writable",
                                             path_, std::strerror(errno)));
    }
}

ResultLog::~ResultLog() {
    if (fd_ >= 0) close(fd_);
}

void ResultLog::append(const ResultRecord& record) {
    const std::string line = to_json(record).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    const ssize_t n = write(fd_, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size())) {
        throw std::runtime_error(fmt::format("could not append a result to {}: {}", path_, std::strerror(errno)));
    }
}

void write_json_atomically(const std::string& path, const json& value) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        out << value.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
        if (!out) throw std::runtime_error(fmt::format("could not write {}: {}", tmp, std::strerror(errno)));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        throw std::runtime_error(fmt::format("could not rename {} to {}: {}", tmp, path, std::strerror(errno)));
    }
}

}  // namespace cuconform::run
