// SPDX-License-Identifier: Apache-2.0
/// \file The catalogue built against another toolkit: a CUDA-toolkit prefix from NVIDIA's wheels and a CLI built
/// against it in build-<toolkit>/ of the source tree.
#pragma once

#include <string>

namespace cuconform::provision {

/// True when `built` ("9.19.0") is the release `wanted` names ("9.19" or "9.19.0").
bool same_release(const std::string& built, const std::string& wanted);

/// A CLI compiled with CUDA `cuda` and cuDNN `cudnn` headers (cudnn "none": without cuDNN): `stack fetch-toolkit`,
/// then build-<toolkit name>/bin/cuconform, built by scripts/build-toolkit when missing or made against another
/// prefix (the toolkit moved: CMake would quietly fall back on the host's), brought up to date (`cmake --build`, a
/// no-op when nothing changed) when present. The CLI's own probe must then report that toolkit. Empty, with
/// `reason` set, when it cannot be had. `cell` names the cell in progress messages.
std::string toolkit_cli(const std::string& cuda, const std::string& cudnn, const std::string& cell,
                        std::string& reason);

}  // namespace cuconform::provision
