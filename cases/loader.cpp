// SPDX-License-Identifier: Apache-2.0
/// \file Family `loader`: the CUDA and cuDNN libraries missing or mixed, as the dynamic loader sees it.
#include "catalog/case.h"
#include "loader/apis.h"

namespace cuconform::cases {
namespace {

Outcome loaded_or_error(const loader::Library& lib) {
    if (!lib.loaded()) return Outcome::error(Domain::Loader, "LIBRARY_NOT_FOUND", {}, lib.record().error);
    return Outcome::ok(lib.record().path);
}

// Tests that a missing cuDNN shim is reported by the loader, not as a crash.
CUCONFORM_CASE({
    .id = "loader.cudnn.missing_shim",
    .title = "cuDNN's shim library (libcudnn.so.N) is not on the loader's path",
    .symptom = "Keras LSTM raises NotImplementedError; TensorFlow logs \"Could not load dynamic library 'libcudnn.so'\"",
    .cause = "dlopen(\"libcudnn.so.N\") fails: no such file in LD_LIBRARY_PATH, RUNPATH, ld.so.cache or /lib",
    .seed = "000",
    .labels = {"no_gpu"},
    .variants = {{.name = "hidden", .description = "libcudnn.so.N hidden from the loader", .hide = {"@cudnn"}}},
    .expect = R"(
        otherwise -> error(loader, LIBRARY_NOT_FOUND)
    )",
    .reproduce = [](CaseContext&) { return loaded_or_error(loader::cudnn().library); },
});

}  // namespace
}  // namespace cuconform::cases
