// SPDX-License-Identifier: Apache-2.0
/// \file Fuzz target: one knowledge file (matrix/knowledge/*.yaml) through its own reader, then the questions the
/// harness asks of it. The input's first line is the file's name (`toolkits.yaml`, ..., `frameworks.yaml`), which
/// picks the reader; the rest is the file. Seeds: matrix/knowledge/*.yaml and tests/data/knowledge/ (scripts/fuzz
/// writes each with its name line).
#include "fuzz.h"
#include "knowledge/frameworks.h"
#include "knowledge/knowledge.h"

namespace {

using cuconform::Version;

Version v(const char* text) { return *Version::parse(text); }

void ask(const cuconform::knowledge::KnowledgeBase& kb) {
    for (const char* cuda : {"12.4", "13.0", "11.8.0", "10.2"}) {
        (void)kb.min_driver(v(cuda));
        (void)kb.runtime_runs_on_driver(v(cuda), v("535.104.05"));
        (void)kb.toolkit_release(v(cuda));
        (void)kb.nvcc_supports(v(cuda), "sm_90a");
        (void)kb.nvcc_builds_for(v(cuda), v("8.6"));
        (void)kb.nvcc_archs(v(cuda));
        (void)kb.ptx_isa(v(cuda));
        (void)kb.ptx_jit(v(cuda), v("525.60.13"));
        (void)kb.cudnn_supports_cuda(v("9.19.0"), v(cuda));
        (void)kb.cudnn_driver(v("9.1.1"), v(cuda), v("550.54"), v("9.0"));
        (void)kb.cudnn_driver(v("9.1.1"), v(cuda), v("550.54"), std::nullopt);
    }
    for (int major : {8, 9, 10, 11, 12, 13}) (void)kb.minor_compat_floor(major);
    (void)kb.toolkit_for_ptx_isa(v("8.5"));
    (void)kb.min_driver_for_ptx(v("9.0"));
    (void)kb.cudnn_release(v("9.19.0"));
    (void)kb.cudnn_known_releases();
    (void)kb.cudnn_supports_cc(v("9.19.0"), v("12.0"));
    (void)kb.cudnn_is_release(v("9.13.1"));
    for (int major : {8, 9, 10}) {
        (void)kb.cudnn_sublibraries(major);
        (void)kb.cudnn_version_major_factor(major);
        (void)kb.cudnn_statuses(major);
        (void)kb.cudnn_status(major, "CUDNN_STATUS_BAD_PARAM");
        (void)kb.cudnn_status(major, 3014L);
    }
    (void)kb.cudnn_sublibraries(v("9.24.0"));
    (void)kb.cudnn_compatible(v("9.1.0"), v("9.10.0"), "jax");
    (void)kb.cudnn_compatible(v("8.9.7"), v("9.1.0"));
    (void)kb.feature_min_cc("bfloat16");
    (void)kb.has_feature("fp8", v("8.9"));
    (void)kb.gpu("NVIDIA A100-SXM4-80GB");
    (void)kb.gpu("h100");
    (void)kb.sass_compatibility_rule();
    (void)kb.gpus();
    (void)kb.architecture_family(v("9.0"));
    (void)kb.cuda_runtime_error("cudaErrorInsufficientDriver");
    (void)kb.cuda_runtime_error(35L);
    (void)kb.cuda_driver_error("CUDA_ERROR_NO_DEVICE");
    (void)kb.cuda_driver_error(100L);
    (void)kb.env_var("CUDA_VISIBLE_DEVICES");
    (void)kb.files();
}

void ask(const cuconform::knowledge::Frameworks& frameworks) {
    for (const auto& framework : frameworks.all()) {
        (void)frameworks.release(framework.name, "2.15.0+cu132");
        for (const char* component : {"cudnn", "cuda", "cublas"}) {
            (void)frameworks.accepts(framework.name, component, v("9.10.0"), v("9.1.0"), true,
                                     {{"LD_LIBRARY_PATH", std::nullopt}});
        }
        (void)frameworks.visible_devices(framework.name, "0,GPU-1,MIG-x,-1");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cuconform;
    const std::string_view input = fuzz::text(data, size);
    const std::size_t newline = input.find('\n');
    if (newline == std::string_view::npos) return 0;
    const std::string name(input.substr(0, newline));
    // A knowledge file's name comes from a folder listing or the compiled-in table: one path component.
    if (name.empty() || name.find('/') != std::string::npos || name.find('\0') != std::string::npos) return 0;
    const std::string text(input.substr(newline + 1));
    try {
        if (name == "frameworks.yaml") {
            ask(knowledge::Frameworks::parse(text, std::string(fuzz::kInputName) + "/frameworks.yaml"));
        } else {
            ask(knowledge::KnowledgeBase::parse({{name, text}}, fuzz::kInputName));
        }
    } catch (const knowledge::KnowledgeError& e) {
        fuzz::expect_named(e);
    } catch (const std::exception& e) {
        fuzz::finding("knowledge reader", std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
    return 0;
}
