// SPDX-License-Identifier: Apache-2.0
/// \file Tests of src/binary: fat binaries built here with nvcc, the compatibility rules, malformed input.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "binary/fatbin.h"
#include "binary/rules.h"
#include "kernels/reference.h"
#include "knowledge/knowledge.h"

namespace cuconform::binary {

/// gtest prints an Arch as "sm_90a" rather than its bytes.
void PrintTo(const Arch& arch, std::ostream* out) { *out << arch.sm(); }

namespace {

/// The knowledge base's PTX ISA -> minimum driver facts, as `cuconform binary` passes them.
const MinDriverForPtx& kb_drivers() { return knowledge::builtin_ptx_driver_floor(); }

namespace fs = std::filesystem;

/// The objects built once per test binary (6 nvcc runs). CTest runs each test in its own process, so
/// they are cached beside the test binary, under a lock, and rebuilt when the stamp (nvcc + flags) or
/// kernels/probe.cu changes.
struct Fixtures {
    fs::path dir;
    std::string skip_reason;  ///< Non-empty: nvcc is missing or failed; tests that need the files skip.

    Fixtures() {
        const char* env = std::getenv("CUCONFORM_NVCC");
        const std::string nvcc = env ? env : "/usr/local/cuda/bin/nvcc";
        if (access(nvcc.c_str(), X_OK) != 0) {
            skip_reason = fmt::format("nvcc not found at {} (set CUCONFORM_NVCC); fixtures cannot be built", nvcc);
            return;
        }
        std::error_code error;
        dir = fs::read_symlink("/proc/self/exe", error).parent_path() / "binary_test_fixtures";
        fs::create_directories(dir, error);
        const int lock = open((dir / ".lock").c_str(), O_CREAT | O_RDWR, 0644);
        if (error || lock < 0 || flock(lock, LOCK_EX) != 0) {
            skip_reason =
                fmt::format("cannot create and lock {}: {}", dir.string(), error ? error.message() : "open/flock");
            return;
        }
        build(nvcc);
        close(lock);  // Releases the lock.
    }

    void build(const std::string& nvcc) {
        const fs::path source = fs::path(CUCONFORM_SOURCE_DIR) / "kernels" / "probe.cu";
        const std::pair<const char*, const char*> builds[] = {
            {"sm75.o", "-c -gencode arch=compute_75,code=sm_75"},
            {"sm90a.o", "-c -gencode arch=compute_90a,code=sm_90a"},
            {"ptx75.fatbin", "--fatbin -gencode arch=compute_75,code=compute_75 -Xfatbin=-compress=false"},
            {"ptx75_zstd.fatbin", "--fatbin -gencode arch=compute_75,code=compute_75"},
            {"multi.so",
             "-shared -Xcompiler -fPIC -gencode arch=compute_75,code=sm_75 -gencode "
             "arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode "
             "arch=compute_90,code=compute_90"},
            {"family_rdc.o",
             "-c -rdc=true -gencode arch=compute_100f,code=sm_100f -gencode "
             "arch=compute_120,code=compute_120 -Xfatbin=-compress-all"},
        };
        std::string want = nvcc + "\n";
        for (const auto& [output, flags] : builds) want += fmt::format("{}: {}\n", output, flags);
        const fs::path stamp = dir / "stamp";
        std::error_code error;
        if (std::ifstream in(stamp); in && fs::last_write_time(stamp, error) >= fs::last_write_time(source, error) &&
                                     std::string(std::istreambuf_iterator<char>(in), {}) == want) {
            return;  // Built by an earlier test process.
        }
        fs::remove(stamp, error);
        for (const auto& [output, flags] : builds) {
            const std::string command = fmt::format("'{}' {} -o '{}' '{}' > '{}/nvcc.log' 2>&1", nvcc, flags,
                                                    (dir / output).string(), source.string(), dir.string());
            if (std::system(command.c_str()) != 0) {
                std::ifstream log(dir / "nvcc.log");
                skip_reason =
                    fmt::format("`{}` failed: {}", command, std::string(std::istreambuf_iterator<char>(log), {}));
                return;
            }
        }
        std::ofstream(stamp) << want;
    }

    std::vector<unsigned char> bytes(const std::string& name) const {
        std::ifstream in(dir / name, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
};

const Fixtures& fixtures() {
    static const Fixtures instance;
    return instance;
}

#define REQUIRE_FIXTURES()                                                           \
    do {                                                                             \
        if (!fixtures().skip_reason.empty()) GTEST_SKIP() << fixtures().skip_reason; \
    } while (0)

Arch sm(int number) { return Arch{number, ArchVariant::kGeneric}; }

/// The one fat binary of `file` that holds kernels.
FatBinary kernel_fatbin(const std::string& file) {
    const FileContents contents = read_file(fixtures().dir / file);
    std::vector<FatBinary> with_kernels;
    for (const FatBinary& fatbin : contents.fatbins)
        if (fatbin.may_hold_kernels()) with_kernels.push_back(fatbin);
    EXPECT_EQ(with_kernels.size(), 1u) << file;
    return with_kernels.empty() ? FatBinary{} : with_kernels.front();
}

Decision decide(const FatBinary& fatbin, int gpu, const char* driver = nullptr) {
    return judge(fatbin, sm(gpu), driver ? Version::parse(driver) : std::nullopt, kb_drivers()).decision;
}

// Tests the reader on an object with sm_75 SASS only, and the rule "same major, minor <= target".
TEST(BinaryFixture, Sm75OnlyObject) {
    REQUIRE_FIXTURES();
    const FileContents contents = read_file(fixtures().dir / "sm75.o");
    EXPECT_EQ(contents.format, "ELF64 object file");
    ASSERT_EQ(contents.fatbins.size(), 1u);
    const FatBinary& fatbin = contents.fatbins[0];
    EXPECT_EQ(fatbin.section, ".nv_fatbin");
    ASSERT_EQ(fatbin.images.size(), 1u);
    const Image& image = fatbin.images[0];
    EXPECT_EQ(image.kind, ImageKind::kCubin);
    EXPECT_EQ(image.arch, sm(75));
    EXPECT_EQ(image.arch_source, "cubin e_flags");
    EXPECT_FALSE(image.compressed());
    ASSERT_TRUE(image.kernels.has_value());
    EXPECT_EQ(*image.kernels, std::vector<std::string>{"cuconform_probe"});
    EXPECT_EQ(decide(fatbin, 75), Decision::kNative);
    for (int gpu : {80, 86, 90, 100}) {
        const Answer answer = judge(fatbin, sm(gpu), std::nullopt, kb_drivers());
        EXPECT_EQ(answer.decision, Decision::kNoKernelImage) << gpu;
        EXPECT_EQ(answer.cuda_error, 209);
    }
}

// Tests that sm_90a SASS is recognised and runs only on sm_90.
TEST(BinaryFixture, Sm90aOnlyObject) {
    REQUIRE_FIXTURES();
    const FatBinary fatbin = kernel_fatbin("sm90a.o");
    ASSERT_EQ(fatbin.images.size(), 1u);
    EXPECT_EQ(fatbin.images[0].arch, (Arch{90, ArchVariant::kArchSpecific}));
    EXPECT_EQ(fatbin.images[0].arch.sm(), "sm_90a");
    EXPECT_EQ(decide(fatbin, 90), Decision::kNative);
    for (int gpu : {75, 80, 86, 100}) EXPECT_EQ(decide(fatbin, gpu), Decision::kNoKernelImage) << gpu;
}

// Tests uncompressed PTX: .version and .target read from the text, JIT everywhere >= 7.5, 222 on driver 418.
TEST(BinaryFixture, Ptx75Uncompressed) {
    REQUIRE_FIXTURES();
    const FileContents contents = read_file(fixtures().dir / "ptx75.fatbin");
    EXPECT_EQ(contents.format, "raw fatbin");
    ASSERT_EQ(contents.fatbins.size(), 1u);
    const FatBinary& fatbin = contents.fatbins[0];
    ASSERT_EQ(fatbin.images.size(), 1u);
    const Image& image = fatbin.images[0];
    EXPECT_EQ(image.kind, ImageKind::kPtx);
    EXPECT_FALSE(image.compressed());
    EXPECT_EQ(image.arch, sm(75));
    EXPECT_EQ(image.arch_source, "PTX .target");
    ASSERT_TRUE(image.ptx_isa.has_value());
    EXPECT_EQ(image.ptx_isa_source, "PTX .version");
    EXPECT_EQ(*image.ptx_isa, Version({9, 0}));  // nvcc 13.0 writes PTX ISA 9.0 (cuda.md §3a).
    EXPECT_TRUE(image.notes.empty()) << image.notes.front();
    for (int gpu : {75, 80, 86, 90, 100}) {
        EXPECT_EQ(decide(fatbin, gpu, "580.65.06"), Decision::kPtxJit) << gpu;
        const Answer old = judge(fatbin, sm(gpu), Version::parse("418.67"), kb_drivers());
        EXPECT_EQ(old.decision, Decision::kPtxTooNew) << gpu;
        EXPECT_EQ(old.cuda_error, 222);
        EXPECT_EQ(driver_string(*old.min_driver), "580.65.06");
    }
    // A 13.0 toolkit's PTX needs the 13.0 driver: 575 (12.9) is one short.
    EXPECT_EQ(decide(fatbin, 86, "575.57.08"), Decision::kPtxTooNew);
    // Driver unknown: ptx_jit, saying which driver it needs.
    const Answer unknown = judge(fatbin, sm(86), std::nullopt, kb_drivers());
    EXPECT_EQ(unknown.decision, Decision::kPtxJit);
    EXPECT_EQ(unknown.condition, "if the driver is >= 580.65.06");
}

// Tests nvcc's default (zstd-compressed PTX): reported as compressed, ISA from the entry header.
TEST(BinaryFixture, Ptx75CompressedByDefault) {
    REQUIRE_FIXTURES();
    const FatBinary fatbin = read_file(fixtures().dir / "ptx75_zstd.fatbin").fatbins.at(0);
    ASSERT_EQ(fatbin.images.size(), 1u);
    const Image& image = fatbin.images[0];
    EXPECT_EQ(image.compression, Compression::kZstd);
    EXPECT_LT(image.stored_size, image.uncompressed_size);
    EXPECT_EQ(image.arch_source, "entry header");
    EXPECT_EQ(image.ptx_isa_source, "entry header");
    EXPECT_EQ(image.ptx_isa, Version({9, 0}));
    EXPECT_EQ(decide(fatbin, 86, "418.67"), Decision::kPtxTooNew);
}

// Tests a shared library with sm_75, sm_80, sm_90 SASS and compute_90 PTX, plus nvlink's kernel-less image.
TEST(BinaryFixture, MultiArchSharedLibrary) {
    REQUIRE_FIXTURES();
    const FileContents contents = read_file(fixtures().dir / "multi.so");
    ASSERT_EQ(contents.fatbins.size(), 2u);  // nvlink's device-link image, then the kernels'.
    EXPECT_FALSE(contents.fatbins[0].may_hold_kernels());
    const FatBinary fatbin = kernel_fatbin("multi.so");
    std::vector<std::string> archs;
    for (const Image& image : fatbin.images)
        archs.push_back(fmt::format("{}:{}", to_string(image.kind), image.arch.sm()));
    EXPECT_EQ(archs, (std::vector<std::string>{"cubin:sm_75", "cubin:sm_80", "ptx:sm_90", "cubin:sm_90"}));
    EXPECT_EQ(decide(fatbin, 75), Decision::kNative);
    EXPECT_EQ(decide(fatbin, 80), Decision::kNative);
    const Answer sm86 = judge(fatbin, sm(86), std::nullopt, kb_drivers());
    EXPECT_EQ(sm86.decision, Decision::kNative);
    EXPECT_EQ(fatbin.images.at(*sm86.image).arch, sm(80));  // Via the sm_80 SASS.
    EXPECT_EQ(decide(fatbin, 90), Decision::kNative);
    EXPECT_EQ(decide(fatbin, 100, "580.65.06"), Decision::kPtxJit);
    EXPECT_EQ(decide(fatbin, 100, "535.104.05"), Decision::kPtxTooNew);
    EXPECT_EQ(decide(fatbin, 90, "418.67"), Decision::kNative);  // SASS needs no JIT.
}

// Tests __nv_relfatbin (-rdc), compressed cubins (arch from the entry) and the 'f' family rule.
TEST(BinaryFixture, FamilyRelocatableCompressed) {
    REQUIRE_FIXTURES();
    const FileContents contents = read_file(fixtures().dir / "family_rdc.o");
    ASSERT_EQ(contents.fatbins.size(), 1u);
    const FatBinary& fatbin = contents.fatbins[0];
    EXPECT_EQ(fatbin.section, "__nv_relfatbin");
    const Image* cubin = nullptr;
    for (const Image& image : fatbin.images)
        if (image.kind == ImageKind::kCubin) cubin = &image;
    ASSERT_NE(cubin, nullptr);
    EXPECT_TRUE(cubin->compressed());
    EXPECT_EQ(cubin->arch_source, "entry header");
    EXPECT_EQ(cubin->arch, (Arch{100, ArchVariant::kFamilySpecific}));
    EXPECT_EQ(decide(fatbin, 100), Decision::kNative);
    EXPECT_EQ(decide(fatbin, 103), Decision::kNative);                      // Family 10.x (cuda.md §3d).
    EXPECT_EQ(decide(fatbin, 110, "580.65.06"), Decision::kNoKernelImage);  // Not 11.x; compute_120 is above.
    EXPECT_EQ(decide(fatbin, 120, "580.65.06"), Decision::kPtxJit);
}

// Tests the suite's embedded images (kernels/reference.h) through parse_fatbin.
TEST(BinarySuite, EmbeddedImages) {
    const FatBinary sm75 = parse_fatbin(cuconform_fatbin_sm75_only, cuconform_fatbin_sm75_only_size);
    ASSERT_EQ(sm75.images.size(), 1u);
    EXPECT_EQ(sm75.images[0].arch.sm(), "sm_75");
    EXPECT_EQ(sm75.images[0].kind, ImageKind::kCubin);

    const FatBinary ptx75 = parse_fatbin(cuconform_fatbin_ptx75_only, cuconform_fatbin_ptx75_only_size);
    ASSERT_EQ(ptx75.images.size(), 1u);
    EXPECT_EQ(ptx75.images[0].kind, ImageKind::kPtx);
    EXPECT_EQ(ptx75.images[0].arch.compute(), "compute_75");

    const FatBinary sm90a = parse_fatbin(cuconform_fatbin_sm90a_only, cuconform_fatbin_sm90a_only_size);
    ASSERT_EQ(sm90a.images.size(), 1u);
    EXPECT_EQ(sm90a.images[0].arch.sm(), "sm_90a");

    const FatBinary suite = parse_fatbin(cuconform_fatbin_suite, cuconform_fatbin_suite_size);
    std::vector<int> sass;
    int ptx = 0;
    for (const Image& image : suite.images) {
        if (image.kind == ImageKind::kCubin) sass.push_back(image.arch.number);
        if (image.kind == ImageKind::kPtx) ptx = image.arch.number;
    }
    std::sort(sass.begin(), sass.end());
    EXPECT_EQ(sass, (std::vector<int>{75, 80, 86, 89, 90}));  // CUCONFORM_KERNEL_ARCHS
    EXPECT_EQ(ptx, 90);
    EXPECT_EQ(decide(suite, 120, "580.65.06"), Decision::kPtxJit);
}

// Tests the rules on hand-made architectures, without nvcc.
TEST(BinaryRules, ArchParseAndCompatibility) {
    EXPECT_EQ(Arch::parse("sm_86"), sm(86));
    EXPECT_EQ(Arch::parse("8.6"), sm(86));
    EXPECT_EQ(Arch::parse("86"), sm(86));
    EXPECT_EQ(Arch::parse("compute_120f"), (Arch{120, ArchVariant::kFamilySpecific}));
    EXPECT_FALSE(Arch::parse("sm_"));
    EXPECT_FALSE(Arch::parse("gfx90a"));
    EXPECT_FALSE(Arch::parse("8.10"));
    // A compute capability is an architecture number of at most three digits, as "sm_1000" is none; 800000000.0
    // overflowed the int it was multiplied in (UBSan in fuzz_fatbin; tests/fuzz/corpus/fatbin/).
    EXPECT_EQ(Arch::parse("12.1"), sm(121));
    EXPECT_FALSE(Arch::parse("100.0"));
    EXPECT_FALSE(Arch::parse("800000000.0"));
    EXPECT_TRUE(sass_runs_on(sm(80), sm(86)));
    EXPECT_FALSE(sass_runs_on(sm(86), sm(80)));
    EXPECT_FALSE(sass_runs_on(sm(89), sm(90)));
    EXPECT_FALSE(ptx_jits_for(Arch{90, ArchVariant::kArchSpecific}, sm(100)));
    EXPECT_TRUE(ptx_jits_for(sm(75), sm(120)));
    EXPECT_FALSE(ptx_jits_for(sm(90), sm(89)));
}

// Tests that the PTX -> driver lookup is the caller's (the knowledge base's), and pluggable.
TEST(BinaryRules, PluggableMinDriver) {
    FatBinary fatbin;
    Image ptx;
    ptx.kind = ImageKind::kPtx;
    ptx.arch = sm(75);
    ptx.ptx_isa = Version({7, 5});
    fatbin.images.push_back(ptx);
    // The knowledge base's facts (toolkits.yaml): PTX ISA 7.5 is CUDA 11.5's, whose minimum driver is 495.29.05.
    EXPECT_EQ(driver_string(*kb_drivers()(Version({7, 5}))), "495.29.05");
    EXPECT_FALSE(kb_drivers()(Version({9, 9})));
    EXPECT_EQ(judge(fatbin, sm(86), Version::parse("470.82.01"), kb_drivers()).decision, Decision::kPtxTooNew);
    const MinDriverForPtx lenient = [](const Version&) { return Version::parse("400"); };
    EXPECT_EQ(judge(fatbin, sm(86), Version::parse("470.82.01"), lenient).decision, Decision::kPtxJit);
    const MinDriverForPtx unknown = [](const Version&) { return std::optional<Version>(); };
    const Answer answer = judge(fatbin, sm(86), Version::parse("470.82.01"), unknown);
    EXPECT_EQ(answer.decision, Decision::kPtxJit);
    EXPECT_NE(answer.condition.find("no minimum driver for it is know"), std::string::npos);
}

// Tests that malformed containers give a FormatError naming the offset and the expectation.
TEST(BinaryMalformed, ClearErrors) {
    const std::vector<unsigned char> good(cuconform_fatbin_sm75_only,
                                          cuconform_fatbin_sm75_only + cuconform_fatbin_sm75_only_size);
    auto bad = good;
    bad[0] ^= 0xff;
    try {
        find_fatbins(bad, "bad_magic.fatbin");
        FAIL() << "bad magic accepted";
    } catch (const FormatError& e) {
        EXPECT_EQ(e.file(), "bad_magic.fatbin");
        EXPECT_EQ(e.offset(), 0u);
        EXPECT_NE(std::string(e.what()).find("fat binary (magic 50 ed 55 ba)"), std::string::npos) << e.what();
    }
    const std::vector<unsigned char> truncated(good.begin(), good.begin() + 100);
    try {
        find_fatbins(truncated, "short.fatbin");
        FAIL() << "truncated container accepted";
    } catch (const FormatError& e) {
        EXPECT_EQ(e.offset(), 8u);  // The fat size field promises more than is there.
        EXPECT_NE(std::string(e.what()).find("short.fatbin: at offset 0x8: expected"), std::string::npos) << e.what();
    }
    bad = good;
    bad[16 + 8] = 0xff;  // First entry's payload size far past the end.
    bad[16 + 13] = 0x7f;
    EXPECT_THROW(parse_fatbin(bad.data(), bad.size()), FormatError);
    EXPECT_THROW(read_file("/nonexistent/cuconform.fatbin"), FormatError);
}

// Fuzz-style: every truncation and random byte flips of a fatbin and an ELF object parse or throw FormatError.
TEST(BinaryMalformed, TruncationsAndFlipsNeverCrash) {
    std::vector<std::vector<unsigned char>> seeds = {
        {cuconform_fatbin_suite, cuconform_fatbin_suite + cuconform_fatbin_suite_size}};
    if (fixtures().skip_reason.empty()) seeds.push_back(fixtures().bytes("family_rdc.o"));
    std::mt19937 random(20261123);
    int errors = 0, parsed = 0;
    auto attempt = [&](const std::vector<unsigned char>& bytes) {
        try {
            find_fatbins(bytes, "fuzz");
            ++parsed;
        } catch (const FormatError& e) {
            ++errors;
            EXPECT_NE(std::string(e.what()).find("fuzz: at offset"), std::string::npos);
        }
    };
    for (const auto& seed : seeds) {
        for (std::size_t length = 0; length < seed.size(); length += 1 + length / 64) {
            attempt(std::vector<unsigned char>(seed.begin(), seed.begin() + static_cast<long>(length)));
        }
        for (int round = 0; round < 3000; ++round) {
            auto bytes = seed;
            const int flips = 1 + static_cast<int>(random() % 4);
            for (int i = 0; i < flips; ++i) {
                // Mostly in the headers, where the sizes are.
                const std::size_t span = random() % 2 ? std::min<std::size_t>(bytes.size(), 1024) : bytes.size();
                bytes[random() % span] ^= static_cast<unsigned char>(1 + random() % 255);
            }
            attempt(bytes);
        }
    }
    EXPECT_GT(errors, 100);  // The corruptions are noticed...
    EXPECT_GT(parsed, 100);  // ...and payload-only flips still parse.
}

}  // namespace
}  // namespace cuconform::binary
