// SPDX-License-Identifier: Apache-2.0
/// \file cell.json to and from JSON.
#include "results/cell.h"

#include <fmt/format.h>

#include "core/version.h"
#include "results/record_io.h"

namespace cuconform::results {
using nlohmann::json;

std::string CellRecord::compute_capability() const {
    const auto open = gpu.rfind('(');
    const auto close = gpu.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) return gpu.empty() ? "none" : gpu;
    return gpu.substr(open + 1, close - open - 1);
}

json to_json(const CellRecord& c) {
    json stack = c.stack.details.is_object() ? c.stack.details : json::object();
    stack["provider"] = c.stack.provider;
    stack["prefix"] = c.stack.prefix;
    if (!c.stack.isolation.empty()) stack["isolation"] = c.stack.isolation;
    stack["cuda"] = c.stack.cuda;
    stack["cudnn"] = c.stack.cudnn;
    json j{{"id", c.id},
           {"toolkit", {{"cuda", c.toolkit.cuda}, {"nvcc", c.toolkit.nvcc}, {"cudnn", c.toolkit.cudnn}}},
           {"stack", stack},
           {"gpu", c.gpu}};
    if (!c.matrix.empty()) j["matrix"] = c.matrix;
    if (c.provision) {
        json p = c.provision->details.is_object() ? c.provision->details : json::object();
        p["ok"] = c.provision->ok;
        if (!c.provision->reason.empty()) p["reason"] = c.provision->reason;
        j["provision"] = p;
    }
    if (!c.run.empty()) j["run"] = c.run;
    return j;
}

CellRecord parse_cell(const json& j) {
    const Fields f(j, "");
    CellRecord c;
    c.id = f.string("id");
    if (c.id.empty()) f.fail("id", "is empty");
    if (const auto toolkit = f.optional_object("toolkit")) {
        c.toolkit = {toolkit->string_or("cuda", ""), toolkit->string_or("nvcc", ""), toolkit->string_or("cudnn", "")};
    }
    if (const auto stack = f.optional_object("stack")) {
        c.stack.provider = stack->string_or("provider", "host");
        c.stack.prefix = stack->string_or("prefix", "");
        c.stack.isolation = stack->string_or("isolation", "");
        c.stack.cuda = stack->string_or("cuda", "");
        c.stack.cudnn = stack->string_or("cudnn", "");
        c.stack.details = stack->raw();
        // Written by the record itself, or by the runner before it was typed: what this build loaded is in the
        // fingerprint, not the cell.
        for (const char* key : {"provider", "prefix", "isolation", "cuda", "cudnn", "loaded"})
            c.stack.details.erase(key);
    }
    c.gpu = f.string_or("gpu", "none");
    if (const auto matrix = f.optional_object("matrix")) c.matrix = matrix->raw();
    if (const auto provision = f.optional_object("provision")) {
        Provision p;
        p.ok = provision->boolean_or("ok", false);
        p.reason = provision->string_or("reason", "");
        p.details = provision->raw();
        p.details.erase("ok");
        p.details.erase("reason");
        c.provision = p;
    }
    if (const auto run = f.optional_object("run")) c.run = run->raw();
    return c;
}

std::string cell_id_for(const CellStack& stack, const Fingerprint& fp) {
    if (stack.prefix.empty() && stack.provider == "host") {
        std::string gpu = fp.has_gpu() ? "sm" + fp.gpus[0].cc : "nogpu";
        std::erase(gpu, '.');
        return fmt::format("host-cuda{}-cudnn{}-{}", fp.runtime.version.value_or("none"),
                           fp.cudnn.loaded.value_or("none"), gpu);
    }
    std::string gpu;
    if (fp.has_gpu()) {
        gpu = "-sm" + fp.gpus[0].cc;
        std::erase(gpu, '.');
    }
    // What the loader found; else the wheel's version (a cu12 runtime is invisible to a CUDA 13 build's soname).
    const json versions = stack.details.value("versions", json::object());
    auto pick = [&](const std::optional<std::string>& measured, const char* component, int parts) {
        if (measured) return *measured;
        std::string v = versions.value(component, "none");
        for (std::size_t pos = 0, n = 0; (pos = v.find('.', pos)) != std::string::npos; ++pos) {
            if (++n == static_cast<std::size_t>(parts)) return v.substr(0, pos);
        }
        return v;
    };
    return fmt::format("{}-cuda{}-cudnn{}{}", stack.provider, pick(fp.runtime.version, "cuda_runtime", 2),
                       pick(fp.cudnn.loaded, "cudnn", 3), gpu);
}

CellRecord cell_for(const std::string& id, const Fingerprint& fingerprint, CellStack stack) {
    CellRecord c;
    c.id = id;
    c.toolkit = fingerprint.toolkit;
    c.gpu = fingerprint.gpu_label();
    // The cell is the stack it was given (a wheel stack's own versions); what this build could load from it is in
    // the fingerprint. A cuDNN 8 stack under a cuDNN 9 build is still "cuDNN 8.9.6", not "none".
    const json versions = stack.details.value("versions", json::object());
    if (stack.cuda.empty()) {
        const auto runtime = Version::parse(versions.value("cuda_runtime", ""));
        stack.cuda = runtime ? runtime->truncated(2).str() : fingerprint.runtime.version.value_or("none");
    }
    if (stack.cudnn.empty()) stack.cudnn = versions.value("cudnn", fingerprint.cudnn.loaded.value_or("none"));
    c.stack = std::move(stack);
    return c;
}

std::string cell_id_problem(std::string_view id) {
    if (id.empty()) return "a cell id cannot be empty";
    if (id.size() > 255)
        return fmt::format("a cell id is at most 255 bytes (a folder name); this one has {}", id.size());
    if (id.find('/') != std::string_view::npos || id.find('\0') != std::string_view::npos) {
        return "a cell id is one folder name: it cannot hold '/'";
    }
    if (id.front() == '.') {
        return "a cell id cannot start with '.': it names a folder inside the results directory (not .., nor .work "
               "or .lock, which the directory keeps for itself)";
    }
    return {};
}

}  // namespace cuconform::results
