// SPDX-License-Identifier: Apache-2.0
/// \file Reads CUDA fat binaries (the 0xBA55ED50 container nvcc embeds) from ELF files, raw .fatbin files or memory.
///
/// Layout as verified against nvcc 13.0 output built here (and as described by public readers, e.g.
/// n-eiling/cuda-fatbin-decompression and jiegec/fatbinary):
///   container header, 16 bytes: u32 magic 0xBA55ED50, u16 version (1), u16 header size (16), u64 fat size
///   then entries until header size + fat size: each a header (>= 64 bytes) followed by its payload:
///     u16 kind (1 PTX, 2 cubin), u16 (0x0101), u32 header size, u64 payload size, u32 compressed size,
///     u32 options offset, u16 minor, u16 major, u32 arch (sm number), u32 name offset, u32 name length,
///     u64 flags, u64 reserved, u64 uncompressed size; the name and ptxas options lie past byte 64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/version.h"

namespace cuconform::binary {

/// The magic number that opens a fat binary container (little endian on disk: 50 ed 55 ba).
inline constexpr std::uint32_t kFatbinMagic = 0xBA55ED50;

/// Entry flag bits, each verified on nvcc 13.0 output built here.
inline constexpr std::uint64_t kFlag64Bit = 0x1;
inline constexpr std::uint64_t kFlagDebug = 0x2;
inline constexpr std::uint64_t kFlagHostLinux = 0x10;
/// Older toolkits' LZ-style compression (public readers; not produced by nvcc 13.0).
inline constexpr std::uint64_t kFlagCompressedLz = 0x2000;
/// Zstandard compression: payload starts with the zstd frame magic 28 b5 2f fd (nvcc >= 12.8/13.0 default for PTX).
inline constexpr std::uint64_t kFlagCompressedZstd = 0x8000;
/// `sm_90a` / `compute_90a` (arch-specific) images.
inline constexpr std::uint64_t kFlagArchSpecific = 0x100000;
/// `sm_100f` / `compute_120f` (family-specific) images.
inline constexpr std::uint64_t kFlagFamilySpecific = 0x200000;

/// The suffix of an architecture name: none, `a` (only that exact GPU) or `f` (that family).
enum class ArchVariant { kGeneric, kArchSpecific, kFamilySpecific };

/// A GPU architecture as nvcc names it: 75 for sm_75 / compute_75 (compute capability 7.5), 100 for 10.0.
struct Arch {
    int number = 0;
    ArchVariant variant = ArchVariant::kGeneric;

    int major() const { return number / 10; }
    int minor() const { return number % 10; }
    /// "", "a" or "f".
    std::string_view suffix() const;
    /// "sm_90a".
    std::string sm() const;
    /// "compute_90a".
    std::string compute() const;
    /// Parses "sm_86", "compute_90a", "sm_100f", "86" and "8.6". Nullopt for anything else.
    static std::optional<Arch> parse(std::string_view text);

    bool operator==(const Arch&) const = default;
};

enum class ImageKind { kPtx, kCubin, kOther };
std::string_view to_string(ImageKind kind);

enum class Compression { kNone, kZstd, kLz };
std::string_view to_string(Compression compression);

/// One entry of a fat binary: a PTX or cubin image for one architecture.
struct Image {
    ImageKind kind = ImageKind::kOther;
    std::uint16_t raw_kind = 0;           ///< The kind field as stored (1 PTX, 2 cubin).
    std::uint64_t offset = 0;             ///< Of the entry header, from the start of the file or buffer.
    std::uint32_t header_size = 0;
    std::uint64_t stored_size = 0;        ///< Payload bytes in the container (compressed bytes when compressed).
    std::uint64_t uncompressed_size = 0;  ///< As the entry header states it; equals stored_size when not compressed.
    Version entry_version;                ///< The entry's major.minor: the PTX ISA for PTX, the cubin format for cubin.
    std::uint64_t flags = 0;
    Compression compression = Compression::kNone;
    std::string name;                     ///< The identifier (`fatbinary -ident`), empty when absent.
    std::string ptxas_options;            ///< `-Xptxas` options recorded with the image, empty when absent.

    Arch arch;                            ///< The architecture the image targets (sm_XX for cubin, compute_XX for PTX).
    std::string arch_source;              ///< Where `arch` was read: "cubin e_flags", "PTX .target", "entry header".
    std::optional<Version> ptx_isa;       ///< PTX only: the PTX ISA version.
    std::string ptx_isa_source;           ///< "PTX .version" or "entry header" (payload compressed).
    /// Uncompressed cubin only: the kernels it defines (its `.text.<name>` sections). nvlink's device-link
    /// images have none.
    std::optional<std::vector<std::string>> kernels;
    std::vector<std::string> notes;       ///< Disagreements or fields that could not be read, for the user.

    bool compressed() const { return compression != Compression::kNone; }
    bool debug() const { return (flags & kFlagDebug) != 0; }
};

/// One fat binary container.
struct FatBinary {
    std::string section;       ///< ".nv_fatbin", "__nv_relfatbin", or "raw" for a .fatbin file or a buffer.
    std::uint64_t offset = 0;  ///< Of the container header, from the start of the file or buffer.
    std::uint64_t size = 0;    ///< Header plus fat size.
    std::uint16_t version = 0;
    std::vector<Image> images;

    /// False only when every image is a cubin known to define no kernel (an nvlink device-link image):
    /// no GPU needs anything from such a fat binary.
    bool may_hold_kernels() const;
};

/// Malformed input: names the file, the offset and what was expected there.
class FormatError : public std::runtime_error {
public:
    FormatError(std::string file, std::uint64_t offset, std::string expected, std::string found);
    const std::string& file() const { return file_; }
    std::uint64_t offset() const { return offset_; }
    const std::string& expected() const { return expected_; }

private:
    std::string file_;
    std::uint64_t offset_;
    std::string expected_;
};

/// Parses the one container that starts at `data` (bytes after it are ignored). Throws FormatError.
/// For the suite's embedded images (kernels/reference.h).
FatBinary parse_fatbin(const unsigned char* data, std::size_t size);

/// Parses the container at `bytes[offset]`; offsets in the result and in errors are relative to `bytes`.
FatBinary parse_fatbin_at(std::span<const unsigned char> bytes, std::size_t offset, const std::string& file,
                          const std::string& section);

/// What a file holds.
struct FileContents {
    std::string path;
    std::string format;  ///< "ELF64 executable", "ELF64 shared library", "ELF64 object file", "raw fatbin".
    std::vector<FatBinary> fatbins;
    std::vector<std::string> sections_searched;  ///< ELF only: the sections that were looked for.
};

/// Finds every fat binary in `bytes`: in the ELF sections `.nv_fatbin` and `__nv_relfatbin` of an ELF64
/// little-endian file, or by the container magic in anything else. Throws FormatError.
FileContents find_fatbins(std::span<const unsigned char> bytes, const std::string& file);

/// Reads `path` and calls find_fatbins. Throws FormatError (also for a file that cannot be read).
FileContents read_file(const std::filesystem::path& path);

}  // namespace cuconform::binary
