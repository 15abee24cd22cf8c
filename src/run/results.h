// SPDX-License-Identifier: Apache-2.0
/// \file Result records (reports/schema/result.schema.json) and the append-only log they live in.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/outcome.h"

namespace cuconform::run {

inline constexpr const char* kResultSchema = "cuconform.result/1";

struct ResultRecord {
    std::string cell;
    std::string case_id;
    std::string family;
    std::string title;
    std::string variant = "default";
    nlohmann::json variant_spec = nlohmann::json::object();
    Outcome expected;
    int rule_index = 0;
    std::string rule_text;
    std::string rule_why;
    Outcome observed;
    Verdict verdict = Verdict::Pass;
    FailKind fail_kind = FailKind::None;
    std::string reason;
    double duration_ms = 0;
    int attempts = 1;
    std::string output_tail;
    std::string reproduce;
    std::string started_at;
};

nlohmann::json to_json(const ResultRecord& r);

/// An append-only JSON-lines file. Each record is one write(2) of one whole line to an O_APPEND
/// descriptor, so a runner killed with SIGKILL leaves every earlier record intact (at worst the line
/// being written is cut short, and readers skip it).
class ResultLog {
public:
    explicit ResultLog(std::string path);
    ~ResultLog();
    ResultLog(const ResultLog&) = delete;
    ResultLog& operator=(const ResultLog&) = delete;
    void append(const ResultRecord& record);
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

/// Writes via a temporary file and rename(2): readers see the old file or the new one, never half.
void write_json_atomically(const std::string& path, const nlohmann::json& value);


}  // namespace cuconform::run
