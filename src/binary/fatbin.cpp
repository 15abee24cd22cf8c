// SPDX-License-Identifier: Apache-2.0
/// \file Fat binary container, cubin e_flags and PTX header parsing, and the ELF section search.
#include "binary/fatbin.h"

#include <elf.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iterator>

namespace cuconform::binary {
namespace {

constexpr std::size_t kContainerHeaderSize = 16;
constexpr std::size_t kEntryHeaderSize = 64;
// Entry header field offsets (see fatbin.h).
constexpr std::size_t kEntryKind = 0, kEntryHeaderSizeField = 4, kEntryPayloadSize = 8, kEntryCompressedSize = 16,
                      kEntryOptionsOffset = 20, kEntryMinor = 24, kEntryMajor = 26, kEntryArch = 28,
                      kEntryNameOffset = 32, kEntryNameLength = 36, kEntryFlags = 40, kEntryUncompressedSize = 56;
// Cubin ELF ABI versions (e_ident[EI_ABIVERSION]) and their e_flags layouts, as in LLVM's
// llvm/BinaryFormat/ELF.h (ELFABIVERSION_CUDA_V1/V2, EF_CUDA_SM, EF_CUDA_SM_MASK, EF_CUDA_ACCELERATORS[_V1]).
// nvcc 13.0 writes V2 for every architecture (verified here: sm_75 -> 0x06004b04, sm_100a -> 0x06006402).
constexpr unsigned char kCudaAbiV1 = 7, kCudaAbiV2 = 8;
constexpr std::uint32_t kEfV1SmMask = 0xff, kEfV1Accelerators = 0x800;
constexpr std::uint32_t kEfV2SmMask = 0xff00, kEfV2SmShift = 8, kEfV2Accelerators = 0x8;
constexpr unsigned char kZstdMagic[4] = {0x28, 0xb5, 0x2f, 0xfd};

template <typename T>
T load(std::span<const unsigned char> bytes, std::size_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;  // Little endian host and file: the reader is for x86-64 (see README).
}

std::string hex_bytes(std::span<const unsigned char> bytes, std::size_t offset, std::size_t count) {
    std::string out;
    for (std::size_t i = offset; i < std::min(bytes.size(), offset + count); ++i) {
        out += fmt::format("{}{:02x}", out.empty() ? "" : " ", bytes[i]);
    }
    return out.empty() ? "end of data" : "bytes " + out;
}

// Checks that [offset, offset + count) lies inside `limit` bytes; overflow-safe.
void require(std::size_t limit, std::uint64_t offset, std::uint64_t count, const std::string& file,
             std::uint64_t error_offset, const std::string& expected) {
    if (offset > limit || count > limit - offset) {
        throw FormatError(file, error_offset, expected,
                          fmt::format("only {} bytes left before the end at offset {:#x}",
                                      offset > limit ? 0 : limit - offset, limit));
    }
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\0'))
        text.remove_suffix(1);
    return text;
}

// Reads `.version X.Y` and `.target sm_XX[a|f][, ...]` from an uncompressed PTX text.
void read_ptx_text(std::span<const unsigned char> payload, Image& image) {
    std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    bool have_version = false, have_target = false;
    while (!text.empty() && !(have_version && have_target)) {
        const std::size_t eol = text.find('\n');
        std::string_view line = trim(text.substr(0, eol));
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        if (!have_version && line.starts_with(".version")) {
            have_version = true;
            const auto version = Version::parse(trim(line.substr(8)));
            if (!version) {
                image.notes.push_back(fmt::format("PTX `{}` line is not a version; using the entry header", line));
                continue;
            }
            if (image.ptx_isa && *image.ptx_isa != *version) {
                image.notes.push_back(fmt::format("PTX .version {} disagrees with the entry header's {}; using .version",
                                                  version->str(), image.ptx_isa->str()));
            }
            image.ptx_isa = *version;
            image.ptx_isa_source = "PTX .version";
        } else if (!have_target && line.starts_with(".target")) {
            have_target = true;
            std::string_view first = trim(line.substr(7));
            first = trim(first.substr(0, first.find(',')));
            auto arch = Arch::parse(first);
            if (!arch) {
                image.notes.push_back(fmt::format("PTX `{}` names no sm_XX target; using the entry header", line));
                continue;
            }
            if (arch->number != image.arch.number) {
                image.notes.push_back(fmt::format("PTX .target {} disagrees with the entry header's arch {}; using .target",
                                                  first, image.arch.number));
            }
            image.arch = *arch;
            image.arch_source = "PTX .target";
        }
    }
    if (!have_version) image.notes.push_back("PTX text has no .version line; PTX ISA from the entry header");
}

// Lists the kernels of a cubin: its `.text.<kernel>` sections. Leaves `kernels` empty-handed (nullopt) with a
// note when the section table does not fit, since that is not needed to judge the image.
void read_cubin_kernels(std::span<const unsigned char> payload, const Elf64_Ehdr& ehdr, Image& image) {
    const std::uint64_t table_end = ehdr.e_shoff + std::uint64_t{ehdr.e_shnum} * sizeof(Elf64_Shdr);
    if (ehdr.e_shentsize != sizeof(Elf64_Shdr) || ehdr.e_shoff > payload.size() || table_end > payload.size() ||
        ehdr.e_shstrndx >= ehdr.e_shnum) {
        image.notes.push_back("cubin section table is out of bounds; its kernels are not listed");
        return;
    }
    Elf64_Shdr names;
    std::memcpy(&names, payload.data() + ehdr.e_shoff + ehdr.e_shstrndx * sizeof(Elf64_Shdr), sizeof names);
    if (names.sh_offset > payload.size() || names.sh_size > payload.size() - names.sh_offset) {
        image.notes.push_back("cubin section-name table is out of bounds; its kernels are not listed");
        return;
    }
    std::vector<std::string> kernels;
    for (std::size_t i = 0; i < ehdr.e_shnum; ++i) {
        Elf64_Shdr shdr;
        std::memcpy(&shdr, payload.data() + ehdr.e_shoff + i * sizeof(Elf64_Shdr), sizeof shdr);
        if (shdr.sh_name >= names.sh_size) continue;
        const char* begin = reinterpret_cast<const char*>(payload.data() + names.sh_offset + shdr.sh_name);
        const std::string_view name(begin, strnlen(begin, names.sh_size - shdr.sh_name));
        if (name.starts_with(".text.")) kernels.emplace_back(name.substr(6));
    }
    image.kernels = std::move(kernels);
}

// Reads the SASS architecture from an uncompressed cubin's ELF header.
void read_cubin_elf(std::span<const unsigned char> payload, Image& image) {
    if (payload.size() < sizeof(Elf64_Ehdr) || std::memcmp(payload.data(), ELFMAG, SELFMAG) != 0 ||
        payload[EI_CLASS] != ELFCLASS64) {
        image.notes.push_back("cubin payload is not an ELF64 file; architecture from the entry header");
        return;
    }
    Elf64_Ehdr ehdr;
    std::memcpy(&ehdr, payload.data(), sizeof ehdr);
    if (ehdr.e_machine != EM_CUDA) {
        image.notes.push_back(fmt::format("cubin e_machine is {}, not EM_CUDA ({}); architecture from the entry header",
                                          ehdr.e_machine, EM_CUDA));
        return;
    }
    int sm = 0;
    bool accelerated = false;
    if (ehdr.e_ident[EI_ABIVERSION] == kCudaAbiV1) {
        sm = static_cast<int>(ehdr.e_flags & kEfV1SmMask);
        accelerated = (ehdr.e_flags & kEfV1Accelerators) != 0;
    } else if (ehdr.e_ident[EI_ABIVERSION] == kCudaAbiV2) {
        sm = static_cast<int>((ehdr.e_flags & kEfV2SmMask) >> kEfV2SmShift);
        accelerated = (ehdr.e_flags & kEfV2Accelerators) != 0;
    } else {
        image.notes.push_back(fmt::format("cubin ELF ABI version {} is unknown (7 and 8 are); architecture from the "
                                          "entry header",
                                          ehdr.e_ident[EI_ABIVERSION]));
        return;
    }
    if (sm != image.arch.number) {
        image.notes.push_back(fmt::format("cubin e_flags {:#x} say sm_{}, the entry header {}; using e_flags",
                                          ehdr.e_flags, sm, image.arch.number));
    }
    image.arch.number = sm;
    read_cubin_kernels(payload, ehdr, image);
    // nvcc 13.0 leaves the accelerator bit clear even for sm_90a (verified here); the entry flag carries it.
    if (accelerated) image.arch.variant = ArchVariant::kArchSpecific;
    image.arch_source = "cubin e_flags";
}

Image parse_entry(std::span<const unsigned char> bytes, std::size_t at, std::size_t end, const std::string& file) {
    require(end, at, kEntryHeaderSize, file, at, "a 64-byte fat binary entry header");
    Image image;
    image.offset = at;
    image.raw_kind = load<std::uint16_t>(bytes, at + kEntryKind);
    image.kind = image.raw_kind == 1 ? ImageKind::kPtx : image.raw_kind == 2 ? ImageKind::kCubin : ImageKind::kOther;
    image.header_size = load<std::uint32_t>(bytes, at + kEntryHeaderSizeField);
    if (image.header_size < kEntryHeaderSize) {
        throw FormatError(file, at + kEntryHeaderSizeField, "an entry header size of at least 64",
                          std::to_string(image.header_size));
    }
    require(end, at, image.header_size, file, at + kEntryHeaderSizeField,
            fmt::format("an entry header of {} bytes inside the container", image.header_size));
    image.stored_size = load<std::uint64_t>(bytes, at + kEntryPayloadSize);
    require(end, at + image.header_size, image.stored_size, file, at + kEntryPayloadSize,
            fmt::format("a payload of {} bytes inside the container", image.stored_size));
    const std::uint32_t compressed_size = load<std::uint32_t>(bytes, at + kEntryCompressedSize);
    image.entry_version = Version({load<std::uint16_t>(bytes, at + kEntryMajor), load<std::uint16_t>(bytes, at + kEntryMinor)});
    image.arch.number = static_cast<int>(load<std::uint32_t>(bytes, at + kEntryArch));
    image.flags = load<std::uint64_t>(bytes, at + kEntryFlags);
    image.arch.variant = (image.flags & kFlagArchSpecific)     ? ArchVariant::kArchSpecific
                         : (image.flags & kFlagFamilySpecific) ? ArchVariant::kFamilySpecific
                                                               : ArchVariant::kGeneric;
    image.arch_source = "entry header";
    image.compression = (image.flags & kFlagCompressedZstd) ? Compression::kZstd
                        : (image.flags & kFlagCompressedLz) ? Compression::kLz
                                                            : Compression::kNone;
    image.uncompressed_size = image.stored_size;
    if (image.compressed()) {
        if (compressed_size > image.stored_size) {
            throw FormatError(file, at + kEntryCompressedSize,
                              fmt::format("a compressed size at most the payload size {}", image.stored_size),
                              std::to_string(compressed_size));
        }
        image.uncompressed_size = load<std::uint64_t>(bytes, at + kEntryUncompressedSize);
    }
    const std::size_t entry_end = at + image.header_size + image.stored_size;
    const std::uint32_t name_offset = load<std::uint32_t>(bytes, at + kEntryNameOffset);
    const std::uint32_t name_length = load<std::uint32_t>(bytes, at + kEntryNameLength);
    if (name_offset != 0) {
        require(entry_end, at + std::uint64_t{name_offset}, name_length, file, at + kEntryNameOffset,
                fmt::format("an identifier of {} bytes inside the entry", name_length));
        image.name.assign(reinterpret_cast<const char*>(bytes.data() + at + name_offset), name_length);
        image.name = std::string(trim(image.name));
    }
    // Options: a u32 offset and a u32 size at `options offset`, both relative to the entry (verified: -Xptxas -O1).
    const std::uint32_t options_offset = load<std::uint32_t>(bytes, at + kEntryOptionsOffset);
    if (options_offset != 0 && std::uint64_t{options_offset} + 8 <= image.header_size) {
        const std::uint32_t text_offset = load<std::uint32_t>(bytes, at + options_offset);
        const std::uint32_t text_size = load<std::uint32_t>(bytes, at + options_offset + 4);
        if (text_offset != 0 && text_size != 0) {
            require(entry_end, at + std::uint64_t{text_offset}, text_size, file, at + options_offset,
                    fmt::format("ptxas options of {} bytes inside the entry", text_size));
            image.ptxas_options = std::string(
                trim(std::string_view(reinterpret_cast<const char*>(bytes.data() + at + text_offset), text_size)));
        }
    }

    const auto payload = bytes.subspan(at + image.header_size, image.stored_size);
    if (image.compression == Compression::kZstd && (payload.size() < 4 || std::memcmp(payload.data(), kZstdMagic, 4))) {
        image.notes.push_back("flagged zstd-compressed but the payload does not start with the zstd magic");
    }
    if (image.kind == ImageKind::kPtx) {
        // The entry's major.minor is the PTX ISA version: verified equal to `.version` on every PTX built here.
        image.ptx_isa = image.entry_version;
        image.ptx_isa_source = "entry header";
        if (!image.compressed()) read_ptx_text(payload, image);
    } else if (image.kind == ImageKind::kCubin && !image.compressed()) {
        read_cubin_elf(payload, image);
    }
    return image;
}

std::string elf_format(std::uint16_t type) {
    switch (type) {
        case ET_EXEC: return "ELF64 executable";
        case ET_DYN: return "ELF64 shared library or PIE executable";
        case ET_REL: return "ELF64 object file";
        default: return fmt::format("ELF64 file of type {}", type);
    }
}

constexpr unsigned char kFatbinMagicBytes[4] = {0x50, 0xed, 0x55, 0xba};

// Parses the back-to-back containers in [begin, end), skipping the zero padding nvcc leaves between them.
// `search`: after the first container, look for the next magic instead of requiring it (raw blobs).
void parse_run(std::span<const unsigned char> bytes, std::size_t begin, std::size_t end, const std::string& file,
               const std::string& section, bool search, std::vector<FatBinary>& out) {
    std::size_t at = begin;
    while (true) {
        while (at < end && bytes[at] == 0) ++at;
        if (at < end && search && !out.empty()) {
            const auto next = std::search(bytes.begin() + static_cast<long>(at), bytes.begin() + static_cast<long>(end),
                                          std::begin(kFatbinMagicBytes), std::end(kFatbinMagicBytes));
            at = static_cast<std::size_t>(next - bytes.begin());
        }
        if (at >= end) return;
        FatBinary fatbin = parse_fatbin_at(bytes.first(end), at, file, section);
        at += fatbin.size;
        out.push_back(std::move(fatbin));
    }
}

void find_in_elf(std::span<const unsigned char> bytes, const std::string& file, FileContents& contents) {
    require(bytes.size(), 0, sizeof(Elf64_Ehdr), file, 0, "a 64-byte ELF64 header");
    if (bytes[EI_CLASS] != ELFCLASS64 || bytes[EI_DATA] != ELFDATA2LSB) {
        throw FormatError(file, EI_CLASS, "an ELF64 little-endian file (x86-64)",
                          fmt::format("class {} data {}", bytes[EI_CLASS], bytes[EI_DATA]));
    }
    Elf64_Ehdr ehdr;
    std::memcpy(&ehdr, bytes.data(), sizeof ehdr);
    contents.format = elf_format(ehdr.e_type);
    contents.sections_searched = {".nv_fatbin", "__nv_relfatbin"};
    if (ehdr.e_shoff == 0) return;  // No section headers (stripped of them): nothing to look up by name.
    if (ehdr.e_shentsize != sizeof(Elf64_Shdr)) {
        throw FormatError(file, offsetof(Elf64_Ehdr, e_shentsize),
                          fmt::format("a section header entry size of {}", sizeof(Elf64_Shdr)),
                          std::to_string(ehdr.e_shentsize));
    }
    auto section_header = [&](std::size_t index) {
        const std::uint64_t at = ehdr.e_shoff + index * sizeof(Elf64_Shdr);
        require(bytes.size(), at, sizeof(Elf64_Shdr), file, offsetof(Elf64_Ehdr, e_shoff),
                fmt::format("section header {} inside the file", index));
        Elf64_Shdr shdr;
        std::memcpy(&shdr, bytes.data() + at, sizeof shdr);
        return shdr;
    };
    // Extended numbering (more than 0xff00 sections): the real counts live in section header 0.
    std::uint64_t count = ehdr.e_shnum;
    std::uint64_t names_index = ehdr.e_shstrndx;
    if (count == 0) count = section_header(0).sh_size;
    if (names_index == SHN_XINDEX) names_index = section_header(0).sh_link;
    if (count > bytes.size() / sizeof(Elf64_Shdr)) {
        throw FormatError(file, offsetof(Elf64_Ehdr, e_shnum), "a section count that fits in the file",
                          std::to_string(count));
    }
    if (names_index >= count) {
        throw FormatError(file, offsetof(Elf64_Ehdr, e_shstrndx),
                          fmt::format("a section-name table index below the section count {}", count),
                          std::to_string(names_index));
    }
    const Elf64_Shdr names = section_header(names_index);
    require(bytes.size(), names.sh_offset, names.sh_size, file, ehdr.e_shoff + names_index * sizeof(Elf64_Shdr),
            "the section-name table inside the file");
    std::optional<Elf64_Shdr> rodata;
    for (std::size_t i = 0; i < count; ++i) {
        const Elf64_Shdr shdr = section_header(i);
        if (shdr.sh_type == SHT_NOBITS || shdr.sh_name >= names.sh_size) continue;
        const char* name_begin = reinterpret_cast<const char*>(bytes.data() + names.sh_offset + shdr.sh_name);
        const std::string_view name(name_begin, strnlen(name_begin, names.sh_size - shdr.sh_name));
        if (name == ".rodata") rodata = shdr;
        if (name != ".nv_fatbin" && name != "__nv_relfatbin") continue;
        require(bytes.size(), shdr.sh_offset, shdr.sh_size, file, ehdr.e_shoff + i * sizeof(Elf64_Shdr),
                fmt::format("section {} inside the file", name));
        parse_run(bytes, shdr.sh_offset, shdr.sh_offset + shdr.sh_size, file, std::string(name), false,
                   contents.fatbins);
    }
    // Images embedded as data (how cuconform carries its own kernels, kernels/CMakeLists.txt): containers anywhere
    // in .rodata, found by their magic; a magic that does not start a whole container is data, and skipped.
    if (contents.fatbins.empty() && rodata && rodata->sh_offset + rodata->sh_size <= bytes.size()) {
        const std::size_t end = rodata->sh_offset + rodata->sh_size;
        const auto first = bytes.begin();
        for (std::size_t at = rodata->sh_offset; at < end;) {
            const auto found = std::search(first + static_cast<long>(at), first + static_cast<long>(end),
                                           std::begin(kFatbinMagicBytes), std::end(kFatbinMagicBytes));
            at = static_cast<std::size_t>(found - first);
            if (at >= end) break;
            try {
                FatBinary fatbin = parse_fatbin_at(bytes.first(end), at, file, ".rodata");
                at += fatbin.size;
                contents.fatbins.push_back(std::move(fatbin));
            } catch (const FormatError&) {
                at += 1;
            }
        }
        if (!contents.fatbins.empty()) contents.sections_searched.push_back(".rodata");
    }
}

}  // namespace

std::string_view Arch::suffix() const {
    switch (variant) {
        case ArchVariant::kArchSpecific: return "a";
        case ArchVariant::kFamilySpecific: return "f";
        default: return "";
    }
}

std::string Arch::sm() const { return fmt::format("sm_{}{}", number, suffix()); }
std::string Arch::compute() const { return fmt::format("compute_{}{}", number, suffix()); }

std::optional<Arch> Arch::parse(std::string_view text) {
    if (text.starts_with("sm_")) {
        text.remove_prefix(3);
    } else if (text.starts_with("compute_")) {
        text.remove_prefix(8);
    } else if (const auto dot = text.find('.'); dot != std::string_view::npos) {
        // "8.6": a compute capability.
        const auto version = Version::parse(text);
        // At most three digits, as below ("sm_1000" is none): checked before the major is multiplied.
        if (!version || version->parts().size() != 2 || version->minor() > 9 || version->major() == 0 ||
            version->major() > 99)
            return std::nullopt;
        return Arch{version->major() * 10 + version->minor(), ArchVariant::kGeneric};
    }
    Arch arch;
    if (text.ends_with('a')) {
        arch.variant = ArchVariant::kArchSpecific;
        text.remove_suffix(1);
    } else if (text.ends_with('f')) {
        arch.variant = ArchVariant::kFamilySpecific;
        text.remove_suffix(1);
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), arch.number);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || arch.number < 10 || arch.number > 999)
        return std::nullopt;
    return arch;
}

bool FatBinary::may_hold_kernels() const {
    if (images.empty()) return false;
    return std::any_of(images.begin(), images.end(), [](const Image& image) {
        return image.kind != ImageKind::kCubin || !image.kernels || !image.kernels->empty();
    });
}

std::string_view to_string(ImageKind kind) {
    switch (kind) {
        case ImageKind::kPtx: return "ptx";
        case ImageKind::kCubin: return "cubin";
        default: return "other";
    }
}

std::string_view to_string(Compression compression) {
    switch (compression) {
        case Compression::kZstd: return "zstd";
        case Compression::kLz: return "lz";
        default: return "none";
    }
}

FormatError::FormatError(std::string file, std::uint64_t offset, std::string expected, std::string found)
    : std::runtime_error(fmt::format("{}: at offset {:#x}: expected {}, found {}. The file is truncated, corrupt or "
                                     "not a CUDA binary; rebuild it or check the copy.",
                                     file, offset, expected, found)),
      file_(std::move(file)),
      offset_(offset),
      expected_(std::move(expected)) {}

FatBinary parse_fatbin_at(std::span<const unsigned char> bytes, std::size_t offset, const std::string& file,
                          const std::string& section) {
    require(bytes.size(), offset, kContainerHeaderSize, file, offset, "a 16-byte fat binary header");
    const auto magic = load<std::uint32_t>(bytes, offset);
    if (magic != kFatbinMagic) {
        throw FormatError(file, offset, "the fat binary magic 50 ed 55 ba (0xBA55ED50)", hex_bytes(bytes, offset, 4));
    }
    FatBinary fatbin;
    fatbin.section = section;
    fatbin.offset = offset;
    fatbin.version = load<std::uint16_t>(bytes, offset + 4);
    if (fatbin.version != 1) {
        throw FormatError(file, offset + 4, "fat binary version 1", std::to_string(fatbin.version));
    }
    const auto header_size = load<std::uint16_t>(bytes, offset + 6);
    if (header_size < kContainerHeaderSize) {
        throw FormatError(file, offset + 6, "a fat binary header size of at least 16", std::to_string(header_size));
    }
    const auto fat_size = load<std::uint64_t>(bytes, offset + 8);
    require(bytes.size(), offset, header_size, file, offset + 6, fmt::format("a header of {} bytes", header_size));
    require(bytes.size(), offset + header_size, fat_size, file, offset + 8,
            fmt::format("{} bytes of entries (the header's fat size)", fat_size));
    fatbin.size = header_size + fat_size;
    const std::size_t end = offset + fatbin.size;
    for (std::size_t at = offset + header_size; at < end;) {
        Image image = parse_entry(bytes, at, end, file);
        at += image.header_size + image.stored_size;
        fatbin.images.push_back(std::move(image));
    }
    return fatbin;
}

FatBinary parse_fatbin(const unsigned char* data, std::size_t size) {
    return parse_fatbin_at(std::span<const unsigned char>(data, size), 0, "<memory>", "raw");
}

FileContents find_fatbins(std::span<const unsigned char> bytes, const std::string& file) {
    FileContents contents;
    contents.path = file;
    if (bytes.size() >= SELFMAG && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0) {
        find_in_elf(bytes, file, contents);
        return contents;
    }
    contents.format = "raw fatbin";
    const auto found =
        std::search(bytes.begin(), bytes.end(), std::begin(kFatbinMagicBytes), std::end(kFatbinMagicBytes));
    if (found == bytes.end()) {
        throw FormatError(file, 0, "an ELF file (7f 45 4c 46) or a fat binary (magic 50 ed 55 ba)",
                          hex_bytes(bytes, 0, 4));
    }
    // A .fatbin file starts with the magic; anything else (a blob that embeds one) is searched for it.
    parse_run(bytes, static_cast<std::size_t>(found - bytes.begin()), bytes.size(), file, "raw", true, contents.fatbins);
    return contents;
}

FileContents read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw FormatError(path.string(), 0, "a readable file", fmt::format("cannot open it ({})", std::strerror(errno)));
    }
    // In blocks of 1 MiB, not a character at a time through an istreambuf_iterator: bench/binary_bench on the 234 MiB
    // libcudnn_engines_precompiled.so.9, median 0.65-0.82 s before, 0.22-0.25 s after.
    constexpr std::size_t kBlock = std::size_t{1} << 20;
    std::vector<unsigned char> bytes;
    std::error_code size_error;
    if (const auto size = std::filesystem::file_size(path, size_error); !size_error) bytes.reserve(size + kBlock);
    while (in) {
        const std::size_t used = bytes.size();
        bytes.resize(used + kBlock);
        in.read(reinterpret_cast<char*>(bytes.data() + used), static_cast<std::streamsize>(kBlock));
        bytes.resize(used + static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
        throw FormatError(path.string(), 0, "a readable file", fmt::format("a read error ({})", std::strerror(errno)));
    }
    return find_fatbins(bytes, path.string());
}

}  // namespace cuconform::binary
