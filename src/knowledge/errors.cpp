// SPDX-License-Identifier: Apache-2.0
/// \file Questions about error codes (errors.yaml) and environment variables (env.yaml).
#include <fmt/format.h>

#include <algorithm>

#include "knowledge/data.h"

namespace cuconform::knowledge {
using namespace detail;

std::optional<Fact<ErrorCode>> KnowledgeBase::cuda_runtime_error(std::string_view name) const {
    return find_fact(data_->runtime_errors, [&](const ErrorCode& e) { return lower(e.name) == lower(name); });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cuda_runtime_error(long code) const {
    return find_fact(data_->runtime_errors, [&](const ErrorCode& e) { return e.code == code; });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cuda_driver_error(std::string_view name) const {
    return find_fact(data_->driver_errors, [&](const ErrorCode& e) { return lower(e.name) == lower(name); });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cuda_driver_error(long code) const {
    return find_fact(data_->driver_errors, [&](const ErrorCode& e) { return e.code == code; });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cudnn_status(int major, std::string_view name) const {
    std::string wanted = upper(name);
    if (!wanted.starts_with("CUDNN_STATUS_")) wanted = "CUDNN_STATUS_" + wanted;
    return find_fact(cudnn_statuses(major), [&](const ErrorCode& e) { return e.name == wanted; });
}

std::optional<Fact<ErrorCode>> KnowledgeBase::cudnn_status(int major, long code) const {
    // Current names come first, so a number shared with a deprecated alias finds the current name.
    return find_fact(cudnn_statuses(major), [&](const ErrorCode& e) { return e.code == code; });
}

std::vector<Fact<ErrorCode>> KnowledgeBase::cudnn_statuses(int major) const {
    const auto found = data_->cudnn_statuses.find(major);
    if (found == data_->cudnn_statuses.end()) return {};
    std::vector<Fact<ErrorCode>> out = found->second;
    std::stable_partition(out.begin(), out.end(), [](const auto& f) { return !f.value.deprecated; });
    return out;
}

std::vector<Fact<ErrorCode>> KnowledgeBase::cudnn_statuses(const Version& release) const {
    std::vector<Fact<ErrorCode>> out = cudnn_statuses(release.major());
    std::erase_if(out, [&](const auto& f) { return f.value.from && release.truncated(3) < *f.value.from; });
    return out;
}

std::optional<Fact<EnvVar>> KnowledgeBase::env_var(std::string_view name) const {
    return find_fact(data_->env, [&](const EnvVar& v) { return v.name == name; });
}

}  // namespace cuconform::knowledge
