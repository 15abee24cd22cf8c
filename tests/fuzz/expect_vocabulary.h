// SPDX-License-Identifier: Apache-2.0
/// \file The vocabulary and the facts the expectation targets (fuzz_expect, fuzz_waivers) parse and decide with.
/// The catalogue room links the loader and the suite's kernels; these targets link only the expectation language, so
/// they take the catalogue's words from its header-only catalog/vocabulary.h, over the facts of a GPU stack.
#pragma once

#include <cmath>

#include "catalog/vocabulary.h"
#include "core/version.h"
#include "expect/expectation.h"
#include "expect/facts.h"

namespace cuconform::fuzz {

inline expect::Vocabulary vocabulary() { return cuconform::vocabulary::make(); }

/// The facts of a CUDA 13.0 / cuDNN 9.19 stack on an H100, some absent and some null; every function answers with
/// a value computed from its arguments (so that each argument is evaluated and its type matters).
inline expect::MapFacts facts() {
    expect::MapFacts f;
    const auto v = [](const char* text) { return expect::Value(*Version::parse(text)); };
    f.set("driver", true).set("driver.version", v("580.65.06")).set("driver.cuda", v("13.0"));
    f.set("runtime", true).set("runtime.version", v("13.0.48")).set("toolkit", true).set("toolkit.cuda", v("13.0"));
    f.set("toolkit.cudnn", v("9.19.0")).set("cudnn", true).set("cudnn.loaded", v("9.19.0"));
    f.set("cudnn.built", v("9.19.0")).set("cudnn.cudart", v("13.0")).set("cudnn.max_device_cc", v("12.0"));
    f.set("cudnn.sublib.cudnn_adv", true).set("cudnn.sublib.cudnn_ops", false).set("cublas", true);
    f.set("gpu", true).set("gpu.count", 2).set("gpu.cc", v("9.0")).set("gpu.name", "NVIDIA H100 80GB HBM3");
    f.set("gpu.memory_mib", 81559).set("gpu.error", expect::Value()).set("env.CUDA_VISIBLE_DEVICES", "0,1");
    f.set("env.LD_LIBRARY_PATH", expect::Value()).set("variant", "default").set("host.arch", "x86_64");
    f.set("framework", false).set("framework.name", "torch").set("consumer.kind", "python");
    const auto answer = [](const std::vector<expect::Value>& args) -> expect::Value {
        double sum = 0;
        for (const auto& a : args) {
            if (a.is_number() && std::isfinite(a.as_number())) sum += a.as_number();
            if (a.is_version()) return expect::Value(a.as_version());
            if (a.is_null()) return expect::Value();
        }
        return expect::Value(sum > 1);
    };
    for (const char* fn : {"nvcc_supports", "min_driver", "runtime_runs_on_driver", "cudnn_supports_cc",
                           "cudnn_compatible", "feature_min_cc", "suite_has_kernel"}) {
        f.define(fn, answer);
    }
    return f;
}

}  // namespace cuconform::fuzz
