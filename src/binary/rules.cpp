// SPDX-License-Identifier: Apache-2.0
/// \file The SASS / PTX compatibility rules and the fallback PTX ISA -> minimum driver table.
#include "binary/rules.h"

#include <array>
#include <fmt/format.h>
#include <utility>

namespace cuconform::binary {
namespace {

// FALLBACK TABLE, to be replaced by the knowledge base (src/knowledge/) through MinDriverForPtx.
// PTX ISA -> CUDA toolkit that introduced it: cuda.md §3a, from NVIDIA/cuda-python
//   https://github.com/NVIDIA/cuda-python/blob/main/cuda_bindings/cuda/bindings/utils/_ptx_utils.py
// Toolkit -> minimum Linux x86_64 driver at GA ("Toolkit Driver Version", Table 3): cuda.md §1a, from
//   https://docs.nvidia.com/cuda/archive/13.2.2/cuda-toolkit-release-notes/index.html
// PTX 8.6 maps to "12.7", which has no driver row; the first toolkit after it (12.8, 570.26) is used.
// PTX JIT is not covered by minor-version compatibility (cuda.md §1a), so the GA driver is the floor.
struct PtxDriverRow {
    int isa_major, isa_minor;
    const char* toolkit;
    const char* driver;
};
constexpr std::array kPtxDriverTable = {
    PtxDriverRow{6, 5, "10.2", "440.33"},     PtxDriverRow{7, 0, "11.0", "450.51.05"},
    PtxDriverRow{7, 1, "11.1", "455.23"},     PtxDriverRow{7, 2, "11.2", "460.27.03"},
    PtxDriverRow{7, 3, "11.3", "465.19.01"},  PtxDriverRow{7, 4, "11.4", "470.42.01"},
    PtxDriverRow{7, 5, "11.5", "495.29.05"},  PtxDriverRow{7, 6, "11.6", "510.39.01"},
    PtxDriverRow{7, 7, "11.7", "515.43.04"},  PtxDriverRow{7, 8, "11.8", "520.61.05"},
    PtxDriverRow{8, 0, "12.0", "525.60.13"},  PtxDriverRow{8, 1, "12.1", "530.30.02"},
    PtxDriverRow{8, 2, "12.2", "535.54.03"},  PtxDriverRow{8, 3, "12.3", "545.23.06"},
    PtxDriverRow{8, 4, "12.4", "550.54.14"},  PtxDriverRow{8, 5, "12.5", "555.42.02"},
    PtxDriverRow{8, 6, "12.7/12.8", "570.26"}, PtxDriverRow{8, 7, "12.8", "570.26"},
    PtxDriverRow{8, 8, "12.9", "575.51.03"},  PtxDriverRow{9, 0, "13.0", "580.65.06"},
    PtxDriverRow{9, 1, "13.1", "590.44.01"},  PtxDriverRow{9, 2, "13.2", "595.45.04"},
};

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
        case Decision::kNative: return "native";
        case Decision::kPtxJit: return "ptx_jit";
        case Decision::kNoKernelImage: return "no_kernel_image";
        case Decision::kPtxTooNew: return "ptx_too_new";
    }
    return "?";
}

std::string driver_string(const Version& driver) {
    std::string out = fmt::format("{}.{}", driver.major(), driver.minor());
    if (driver.parts().size() >= 3) out += fmt::format(".{:02}", driver.patch());
    return out;
}

std::optional<Version> fallback_min_driver_for_ptx(const Version& ptx_isa) {
    for (const auto& row : kPtxDriverTable) {
        if (ptx_isa.major() == row.isa_major && ptx_isa.minor() == row.isa_minor) return Version::parse(row.driver);
    }
    return std::nullopt;
}

bool sass_runs_on(const Arch& image, const Arch& gpu) {
    if (image.variant == ArchVariant::kArchSpecific) return image.number == gpu.number;
    // Generic and family-specific SASS alike: same major, GPU minor at least the image's.
    return image.major() == gpu.major() && image.minor() <= gpu.minor();
}

bool ptx_jits_for(const Arch& image, const Arch& gpu) {
    switch (image.variant) {
        case ArchVariant::kArchSpecific: return image.number == gpu.number;  // No forward compatibility (§3d).
        case ArchVariant::kFamilySpecific: return image.major() == gpu.major() && image.minor() <= gpu.minor();
        default: return image.number <= gpu.number;  // PTX is forward compatible to newer GPUs (§3b).
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
        answer.rule = fmt::format("no SASS for {}; {} PTX (ISA {}) is JIT-compiled for it (cuda.md §3b{})", gpu.sm(),
                                  image.arch.compute(), isa, image.arch.variant == ArchVariant::kGeneric ? "" : ", §3d");
        if (!usable->min_driver) {
            answer.condition = fmt::format("if the driver supports PTX ISA {} (its minimum driver is not in the table)", isa);
        } else if (!driver) {
            answer.condition = fmt::format("if the driver is >= {}", driver_string(*usable->min_driver));
        } else {
            answer.rule += fmt::format("; driver {} >= {} needed for PTX ISA {} (cuda.md §1a, §3a)", driver_string(*driver),
                                       driver_string(*usable->min_driver), isa);
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
            gpu.sm(), image.arch.compute(), image.ptx_isa->str(), driver_string(*too_new->min_driver), driver_string(*driver),
            driver_string(*too_new->min_driver), gpu.sm());
        return answer;
    }
    answer.decision = Decision::kNoKernelImage;
    answer.cuda_error = 209;
    answer.cuda_error_name = kNoImageName;
    answer.rule = fmt::format(
        "no SASS of major {} with minor <= {} and no PTX at or below {} (SASS: {}; PTX: {}) (cuda.md §3c, §1c). "
        "Rebuild with -gencode arch=compute_{},code=sm_{}, or add PTX for an older architecture",
        gpu.major(), gpu.minor(), gpu.compute(), list_archs(fatbin, ImageKind::kCubin), list_archs(fatbin, ImageKind::kPtx),
        gpu.number, gpu.number);
    return answer;
}

}  // namespace cuconform::binary
