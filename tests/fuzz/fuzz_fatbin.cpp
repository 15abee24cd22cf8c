// SPDX-License-Identifier: Apache-2.0
/// \file Fuzz target: what `cuconform binary` reads: an ELF file's .nv_fatbin / __nv_relfatbin sections, or fat binary
/// containers found by their magic in anything else (find_fatbins), and each container again from its own offset.
/// Seeds: small ELF objects with a fat binary built by nvcc, and raw .fatbin files (tests/fuzz/corpus/fatbin/).
#include "binary/fatbin.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace cuconform;
    const std::span<const unsigned char> bytes(data, size);
    try {
        const auto contents = binary::find_fatbins(bytes, fuzz::kInputName);
        for (const auto& fatbin : contents.fatbins) {
            (void)fatbin.may_hold_kernels();
            for (const auto& image : fatbin.images) {
                (void)image.arch.sm();
                (void)image.arch.compute();
            }
        }
    } catch (const binary::FormatError& e) {
        fuzz::expect_named(e);
    } catch (const std::exception& e) {
        fuzz::finding("find_fatbins", std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
    try {
        (void)binary::Arch::parse(fuzz::text(data, size < 64 ? size : 64));
    } catch (const std::exception& e) {
        fuzz::finding("Arch::parse", std::string("escaped ") + typeid(e).name() + ": " + e.what());
    }
    return 0;
}
