// SPDX-License-Identifier: Apache-2.0
/// \file Result records in JSON and the append-only results log.
#include "run/results.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
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

ResultRecord result_from_json(const json& j) {
    ResultRecord r;
    r.cell = j.at("cell").get<std::string>();
    r.case_id = j.at("case").get<std::string>();
    r.family = j.value("family", "");
    r.title = j.value("title", "");
    r.variant = j.value("variant", "default");
    r.variant_spec = j.value("variant_spec", json::object());
    r.expected = j.at("expected").get<Outcome>();
    r.rule_index = j.at("rule").value("index", 0);
    r.rule_text = j.at("rule").value("text", "");
    r.rule_why = j.at("rule").value("why", "");
    r.observed = j.at("observed").get<Outcome>();
    auto verdict = parse_verdict(j.at("verdict").get<std::string>());
    if (!verdict) throw std::invalid_argument("unknown verdict " + j.at("verdict").dump());
    r.verdict = *verdict;
    r.fail_kind = parse_fail_kind(j.value("fail_kind", "none")).value_or(FailKind::None);
    r.reason = j.value("reason", "");
    r.duration_ms = j.value("duration_ms", 0.0);
    r.attempts = j.value("attempts", 1);
    r.output_tail = j.value("output_tail", "");
    r.reproduce = j.value("reproduce", "");
    r.started_at = j.value("started_at", "");
    return r;
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

std::vector<ResultRecord> read_results(const std::string& path) {
    std::vector<ResultRecord> out;
    std::ifstream in(path);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        auto j = json::parse(line, nullptr, false);
        try {
            if (j.is_discarded()) throw std::invalid_argument("not valid JSON (cut short by a kill?)");
            out.push_back(result_from_json(j));
        } catch (const std::exception& e) {
            fmt::print(stderr, "cuconform: {}:{}: skipped a result line: {}\n", path, number, e.what());
        }
    }
    return out;
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

std::string now_iso8601() {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

}  // namespace cuconform::run
