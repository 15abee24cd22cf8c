// SPDX-License-Identifier: Apache-2.0
/// \file Toolkit CLIs: the catalogue built against a toolkit prefix assembled from NVIDIA's wheels.
#include "provision/toolkit.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "core/files.h"
#include "core/process.h"
#include "provision/wheels.h"
#include "results/record_io.h"

namespace cuconform::provision {
namespace fs = std::filesystem;
using nlohmann::json;

bool same_release(const std::string& built, const std::string& wanted) {
    return built == wanted || built.starts_with(wanted + ".");
}

namespace {

/// The toolkit prefix a build-<toolkit>/ directory was made against (its toolkit-build.json), or "".
std::string built_against(const fs::path& build) {
    try {
        return results::parse_json(read_file(build / "toolkit-build.json"), "toolkit-build.json")
            .value("toolkit_prefix", "");
    } catch (const std::exception&) {
        return "";  // absent or unreadable: made against an unknown prefix
    }
}

/// Whether `cli` was compiled with CUDA `cuda` and cuDNN `cudnn` headers (its own probe says); `why` otherwise.
bool compiled_with(const std::string& cli, const std::string& cuda, const std::string& cudnn, std::string& why) {
    const auto p = process::run({cli, "probe", "--no-gpus"}, {.timeout_s = 120});
    std::string built_cuda, built_cudnn;
    try {
        const auto fp = results::parse_fingerprint(results::parse_json(p.out, fmt::format("`{} probe`", cli)));
        built_cuda = fp.toolkit.cuda;
        built_cudnn = fp.toolkit.cudnn;
    } catch (const std::exception& e) {
        why = fmt::format("`{} probe` {} without a fingerprint ({}): {}", cli, p.describe(), e.what(),
                          process::tail(p.err + p.out));
        return false;
    }
    if (same_release(built_cuda, cuda) && (cudnn == "none" || same_release(built_cudnn, cudnn))) return true;
    why = fmt::format("{} reports CUDA {} / cuDNN {} headers, not CUDA {} / cuDNN {}", cli, built_cuda, built_cudnn,
                      cuda, cudnn);
    return false;
}

}  // namespace

std::string toolkit_cli(const std::string& cuda, const std::string& cudnn_headers, const std::string& cell,
                        std::string& reason) {
    const std::string cudnn = cudnn_headers.empty() ? std::string("none") : cudnn_headers;
    fmt::print(
        "cuconform matrix: cell {}: toolkit CUDA {} with cuDNN {} headers (cuconform stack fetch-toolkit "
        "cuda={} cudnn={})\n",
        cell, cuda, cudnn, cuda, cudnn);
    std::string prefix;
    try {
        prefix = fetch_toolkit(StackRequest::parse({"cuda=" + cuda, "cudnn=" + cudnn}), {.quiet = true}).prefix;
    } catch (const std::exception& e) {
        reason = fmt::format(
            "`cuconform stack fetch-toolkit cuda={} cudnn={}` failed: {} (check that PyPI is "
            "reachable; the other cells go on)",
            cuda, cudnn, e.what());
        return "";
    }
    const fs::path source = source_dir();
    const fs::path build = source / ("build-" + fs::path(prefix).filename().string());
    const fs::path cli = build / "bin" / "cuconform";
    const std::string was = built_against(build);
    std::error_code same_ec;
    if (fs::exists(build) &&
        (was.empty() || fs::weakly_canonical(was, same_ec) != fs::weakly_canonical(prefix, same_ec))) {
        fmt::print("cuconform matrix: cell {}: {} was made against '{}', not {}; making it afresh\n", cell,
                   build.string(), was.empty() ? "an unknown prefix" : was, prefix);
        std::error_code ec;
        fs::remove_all(build, ec);
        if (ec) {
            reason = fmt::format("cannot remove {} ({}); remove it by hand so that it is built against {}",
                                 build.string(), ec.message(), prefix);
            return "";
        }
    }
    if (fs::exists(cli) && fs::exists(build / "build.ninja")) {
        // Sources may have changed since that build: let the build system decide what is out of date.
        fmt::print("cuconform matrix: cell {}: bringing {} up to date (cmake --build {})\n", cell, cli.string(),
                   build.string());
        const auto b = process::run({"cmake", "--build", build.string(), "-j", "2"});
        if (b.rc() != 0) {
            reason = b.rc() == 127
                         ? fmt::format("`cmake --build {}`: {} (scripts/conform installs cmake)", build.string(),
                                       process::tail(b.err + b.out))
                         : fmt::format(
                               "`cmake --build {}` exited {}: {} (the sources no longer build against CUDA {} / "
                               "cuDNN {}; fix them, or remove {} to configure it afresh)",
                               build.string(), b.rc(), process::tail(b.err + b.out), cuda, cudnn, build.string());
            return "";
        }
    } else {
        fmt::print("cuconform matrix: cell {}: building {} (scripts/build-toolkit {})\n", cell, cli.string(), prefix);
        const auto b = process::run({(source / "scripts" / "build-toolkit").string(), prefix, build.string()});
        if (b.rc() != 0 || !fs::exists(cli)) {
            reason = fmt::format(
                "`scripts/build-toolkit {} {}` exited {}: {} (fix the build, or run the cell from a "
                "build made with CUDA {} / cuDNN {})",
                prefix, build.string(), b.rc(), process::tail(b.err + b.out), cuda, cudnn);
            return "";
        }
    }
    if (std::string why; !compiled_with(cli.string(), cuda, cudnn, why)) {
        reason =
            fmt::format("{}; remove {} so that `matrix run` builds it afresh against {}", why, build.string(), prefix);
        return "";
    }
    return cli.string();
}

}  // namespace cuconform::provision
