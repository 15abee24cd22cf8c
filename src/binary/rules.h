// SPDX-License-Identifier: Apache-2.0
/// \file Whether a fat binary's kernel images can run on a GPU architecture with a given driver
/// (rules of /work/shared/facts/cuda.md §3: SASS compatibility §3c, 'a'/'f' targets §3d, PTX JIT §3b).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "binary/fatbin.h"
#include "core/version.h"

namespace cuconform::binary {

/// What the driver does with a fat binary on a GPU.
enum class Decision {
    kNative,         ///< Loads SASS built for this GPU or an older minor of its major.
    kPtxJit,         ///< JIT-compiles PTX for this GPU.
    kNoKernelImage,  ///< cudaErrorNoKernelImageForDevice / CUDA_ERROR_NO_BINARY_FOR_GPU (209).
    kPtxTooNew,      ///< CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222): the PTX ISA needs a newer driver.
};
/// "native", "ptx_jit", "no_kernel_image", "ptx_too_new".
std::string_view to_string(Decision decision);
/// False for kNoKernelImage and kPtxTooNew.
constexpr bool can_run(Decision decision) { return decision == Decision::kNative || decision == Decision::kPtxJit; }

/// The minimum driver that JIT-compiles a PTX ISA version, or nullopt when unknown. The caller passes the knowledge
/// base's (`knowledge::KnowledgeBase::min_driver_for_ptx`): this room keeps no facts of its own. Empty: unknown for
/// every ISA, and the answer says what the driver must support instead.
using MinDriverForPtx = std::function<std::optional<Version>(const Version& ptx_isa)>;

/// A driver version as nvidia-smi prints it: the third component two digits wide ("580.65.06").
std::string driver_string(const Version& driver);

/// True when SASS built for `image` runs on a GPU of architecture `gpu` (cuda.md §3c, §3d).
bool sass_runs_on(const Arch& image, const Arch& gpu);
/// True when PTX built for `image` may be JIT-compiled for `gpu`, driver aside (cuda.md §3b, §3d).
bool ptx_jits_for(const Arch& image, const Arch& gpu);

/// The answer for one fat binary on one GPU.
struct Answer {
    Decision decision = Decision::kNoKernelImage;
    std::optional<std::size_t> image;   ///< Index into FatBinary::images of the image used (or too new).
    std::string rule;                   ///< The rule applied, with the evidence and its source in cuda.md.
    std::optional<Version> min_driver;  ///< PTX: the driver the chosen PTX needs, when known.
    /// PTX with no driver given, or an ISA the table lacks: the condition under which ptx_jit holds.
    std::string condition;
    int cuda_error = 0;           ///< 209 or 222 when the decision is an error, else 0.
    std::string cuda_error_name;  ///< "cudaErrorNoKernelImageForDevice / CUDA_ERROR_NO_BINARY_FOR_GPU" ...
};

/// Decides how the driver will treat `fatbin` on `gpu`: native SASS wins, then PTX JIT, else an error.
/// `driver` is the installed driver version (nullopt: unknown, the answer says what it must be).
Answer judge(const FatBinary& fatbin, const Arch& gpu, const std::optional<Version>& driver,
             const MinDriverForPtx& min_driver_for_ptx = {});

}  // namespace cuconform::binary
