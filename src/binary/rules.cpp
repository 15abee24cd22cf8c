// SPDX-License-Identifier: Apache-2.0
/// \file The SASS / PTX compatibility rules. The PTX ISA -> minimum driver facts come from the knowledge base, passed
/// in.
#include "binary/rules.h"

#include <fmt/format.h>

#include <utility>

namespace cuconform::binary {
namespace {

constexpr const char* kNoImageName = "cudaErrorNoKernelImageForDevice / CUDA_ERROR_NO_BINARY_FOR_GPU";
constexpr const char* kPtxTooNewName = "cudaErrorUnsupportedPtxVersion / CUDA_ERROR_UNSUPPORTED_PTX_VERSION";

std::string sass_reason(const Arch& image, const Arch& gpu) {
    switch (image.variant) {
        case ArchVariant::kArchSpecific:
            return fmt::format("{} SASS runs only on {} exactly (cuda.md §3d)", image.sm(), Arch{image.number}.sm());
        case ArchVariant::kFamilySpecific:
            return fmt::format("{} SASS runs within family {}.x at minor >= {}: {} is {}.{} (cuda.md §3d)", image.sm(),
                               image.major(), image.minor(), gpu.sm(), gpu.major(), gpu.minor());
        default:
            return fmt::format("{} SASS runs on {}: same major {}, minor {} <= {} (cuda.md §3c)", image.sm(), gpu.sm(),
                               gpu.major(), image.minor(), gpu.minor());
    }
}

std::string list_archs(const FatBinary& fatbin, ImageKind kind) {
    std::string out;
    for (const Image& image : fatbin.images) {
        if (image.kind != kind) continue;
        out += (out.empty() ? "" : ", ") + (kind == ImageKind::kPtx ? image.arch.compute() : image.arch.sm());
    }
    return out.empty() ? "none" : out;
}

}  // namespace

std::string_view to_string(Decision decision) {
    switch (decision) {
        case Decision::kNative:
            return "native";
        case Decision::kPtxJit:
            return "ptx_jit";
        case Decision::kNoKernelImage:
            return "no_kernel_image";
        case Decision::kPtxTooNew:
            return "ptx_too_new";
    }
    return "?";
}

std::string driver_string(const Version& driver) {
    std::string out = fmt::format("{}.{}", driver.major(), driver.minor());
    if (driver.parts().size() >= 3) out += fmt::format(".{:02}", driver.patch());
    return out;
}

bool sass_runs_on(const Arch& image, const Arch& gpu) {
    if (image.variant == ArchVariant::kArchSpecific) return image.number == gpu.number;
    // Generic and family-specific SASS alike: same major, GPU minor at least the image's.
    return image.major() == gpu.major() && image.minor() <= gpu.minor();
}

bool ptx_jits_for(const Arch& image, const Arch& gpu) {
    switch (image.variant) {
        case ArchVariant::kArchSpecific:
            return image.number == gpu.number;  // No forward compatibility (§3d).
        case ArchVariant::kFamilySpecific:
            return image.major() == gpu.major() && image.minor() <= gpu.minor();
        default:
            return image.number <= gpu.number;  // PTX is forward compatible to newer GPUs (§3b).
    }
}

Answer judge(const FatBinary& fatbin, const Arch& gpu, const std::optional<Version>& driver,
             const MinDriverForPtx& min_driver_for_ptx) {
    Answer answer;
    // Native: the driver prefers SASS; take the closest match (highest minor not above the GPU's).
    for (std::size_t i = 0; i < fatbin.images.size(); ++i) {
        const Image& image = fatbin.images[i];
        if (image.kind != ImageKind::kCubin || !sass_runs_on(image.arch, gpu)) continue;
        if (!answer.image || image.arch.number > fatbin.images[*answer.image].arch.number) answer.image = i;
    }
    if (answer.image) {
        answer.decision = Decision::kNative;
        answer.rule = sass_reason(fatbin.images[*answer.image].arch, gpu);
        return answer;
    }

    // PTX JIT: among the PTX images this GPU may JIT, the newest one the driver accepts.
    struct Candidate {
        std::size_t index;
        std::optional<Version> min_driver;
    };
    std::optional<Candidate> usable, too_new;
    for (std::size_t i = 0; i < fatbin.images.size(); ++i) {
        const Image& image = fatbin.images[i];
        if (image.kind != ImageKind::kPtx || !ptx_jits_for(image.arch, gpu)) continue;
        Candidate candidate{i, image.ptx_isa && min_driver_for_ptx ? min_driver_for_ptx(*image.ptx_isa) : std::nullopt};
        const bool accepted = !driver || !candidate.min_driver || *driver >= *candidate.min_driver;
        auto& slot = accepted ? usable : too_new;
        if (!slot || image.arch.number > fatbin.images[slot->index].arch.number) slot = candidate;
    }
    if (usable) {
        const Image& image = fatbin.images[usable->index];
        const std::string isa = image.ptx_isa ? image.ptx_isa->str() : "unknown";
        answer.decision = Decision::kPtxJit;
        answer.image = usable->index;
        answer.min_driver = usable->min_driver;
        answer.rule =
            fmt::format("no SASS for {}; {} PTX (ISA {}) is JIT-compiled for it (cuda.md §3b{})", gpu.sm(),
                        image.arch.compute(), isa, image.arch.variant == ArchVariant::kGeneric ? "" : ", §3d");
        if (!usable->min_driver) {
            answer.condition =
                fmt::format("if the driver supports PTX ISA {} (no minimum driver for it is known)", isa);
        } else if (!driver) {
            answer.condition = fmt::format("if the driver is >= {}", driver_string(*usable->min_driver));
        } else {
            answer.rule += fmt::format("; driver {} >= {} needed for PTX ISA {} (cuda.md §1a, §3a)",
                                       driver_string(*driver), driver_string(*usable->min_driver), isa);
        }
        return answer;
    }
    if (too_new) {
        const Image& image = fatbin.images[too_new->index];
        answer.decision = Decision::kPtxTooNew;
        answer.image = too_new->index;
        answer.min_driver = too_new->min_driver;
        answer.cuda_error = 222;
        answer.cuda_error_name = kPtxTooNewName;
        answer.rule = fmt::format(
            "no SASS for {}; {} PTX has ISA {}, which needs driver >= {} but driver {} is given (cuda.md §3b, §1c). "
            "Upgrade the driver to >= {}, or ship SASS for {} or PTX from an older toolkit",
            gpu.sm(), image.arch.compute(), image.ptx_isa->str(), driver_string(*too_new->min_driver),
            driver_string(*driver), driver_string(*too_new->min_driver), gpu.sm());
        return answer;
    }
    answer.decision = Decision::kNoKernelImage;
    answer.cuda_error = 209;
    answer.cuda_error_name = kNoImageName;
    answer.rule = fmt::format(
        "no SASS of major {} with minor <= {} and no PTX at or below {} (SASS: {}; PTX: {}) (cuda.md §3c, §1c). "
        "Rebuild with -gencode arch=compute_{},code=sm_{}, or add PTX for an older architecture",
        gpu.major(), gpu.minor(), gpu.compute(), list_archs(fatbin, ImageKind::kCubin),
        list_archs(fatbin, ImageKind::kPtx), gpu.number, gpu.number);
    return answer;
}

}  // namespace cuconform::binary
