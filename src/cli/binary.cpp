// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform binary FILE...`: lists the fat binaries in files and says which GPUs can run them.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "binary/fatbin.h"
#include "binary/rules.h"
#include "core/command.h"
#include "kernels/reference.h"
#include "knowledge/knowledge.h"

namespace cuconform::binary {
namespace {

/// The PTX ISA -> minimum driver facts of the knowledge base (toolkits.yaml), for judge().
const MinDriverForPtx& ptx_drivers() {
    static const MinDriverForPtx lookup = [](const Version& isa) -> std::optional<Version> {
        const auto fact = knowledge::KnowledgeBase::builtin().min_driver_for_ptx(isa);
        return fact ? std::optional(fact->value) : std::nullopt;
    };
    return lookup;
}

const std::vector<std::string> kDefaultGpus = {"sm_75", "sm_80", "sm_86", "sm_89", "sm_90", "sm_100", "sm_120"};

struct Options {
    std::vector<std::string> files;
    std::vector<std::string> gpus;
    std::string driver;
    bool json = false;
    bool suite = false;
};

/// One input: a file, or an embedded suite image.
struct Input {
    std::string name;
    std::optional<FileContents> contents;
    std::string error;
};

std::string covers(const FatBinary& fatbin, ImageKind kind) {
    std::string out;
    for (const Image& image : fatbin.images) {
        if (image.kind != kind) continue;
        out += (out.empty() ? "" : ", ") + (kind == ImageKind::kPtx ? image.arch.compute() : image.arch.sm());
        if (kind == ImageKind::kPtx && image.ptx_isa) out += " (ISA " + image.ptx_isa->str() + ")";
    }
    return out.empty() ? "none" : out;
}

nlohmann::json image_json(const Image& image) {
    nlohmann::json j = {{"kind", to_string(image.kind)},
                        {"raw_kind", image.raw_kind},
                        {"offset", image.offset},
                        {"arch", image.kind == ImageKind::kPtx ? image.arch.compute() : image.arch.sm()},
                        {"arch_number", image.arch.number},
                        {"arch_variant", std::string(image.arch.suffix())},
                        {"arch_source", image.arch_source},
                        {"entry_version", image.entry_version.str()},
                        {"compressed", image.compressed()},
                        {"compression", to_string(image.compression)},
                        {"stored_size", image.stored_size},
                        {"uncompressed_size", image.uncompressed_size},
                        {"flags", fmt::format("{:#x}", image.flags)},
                        {"debug", image.debug()},
                        {"name", image.name},
                        {"ptxas_options", image.ptxas_options},
                        {"notes", image.notes}};
    j["kernels"] = image.kernels ? nlohmann::json(*image.kernels) : nlohmann::json(nullptr);
    j["ptx_isa"] = image.ptx_isa ? nlohmann::json(image.ptx_isa->str()) : nlohmann::json(nullptr);
    j["ptx_isa_source"] = image.ptx_isa_source;
    return j;
}

nlohmann::json answer_json(const Arch& gpu, const Answer& answer) {
    nlohmann::json j = {{"gpu", gpu.sm()},
                        {"decision", to_string(answer.decision)},
                        {"can_run", can_run(answer.decision)},
                        {"rule", answer.rule},
                        {"condition", answer.condition},
                        {"cuda_error", answer.cuda_error},
                        {"cuda_error_name", answer.cuda_error_name}};
    j["image"] = answer.image ? nlohmann::json(*answer.image + 1) : nlohmann::json(nullptr);
    j["min_driver"] = answer.min_driver ? nlohmann::json(driver_string(*answer.min_driver)) : nlohmann::json(nullptr);
    return j;
}

/// What a caller on one GPU gets from a file: how many of its fat binaries have code it can run.
struct GpuVerdict {
    Arch gpu;
    std::size_t runnable = 0;
    std::size_t judged = 0;               ///< Fat binaries that may hold kernels.
    std::vector<std::size_t> cannot;      ///< 1-based numbers of those it cannot run.
    std::string first_error;              ///< The first failing answer's error and rule.
    std::optional<Version> needs_driver;  ///< The newest driver any runnable PTX JIT needs.

    std::string_view word() const {
        if (judged == 0 || runnable == judged) return "runs";
        return runnable == 0 ? "none" : "partly";
    }
};

std::vector<GpuVerdict> verdicts(const FileContents& contents, const std::vector<Arch>& gpus,
                                 const std::optional<Version>& driver) {
    std::vector<GpuVerdict> out;
    for (const Arch& gpu : gpus) {
        GpuVerdict v{gpu};
        for (std::size_t f = 0; f < contents.fatbins.size(); ++f) {
            const FatBinary& fatbin = contents.fatbins[f];
            if (!fatbin.may_hold_kernels()) continue;
            ++v.judged;
            const Answer answer = judge(fatbin, gpu, driver, ptx_drivers());
            if (can_run(answer.decision)) {
                ++v.runnable;
                if (answer.min_driver && (!v.needs_driver || *v.needs_driver < *answer.min_driver)) {
                    v.needs_driver = answer.min_driver;
                }
            } else {
                v.cannot.push_back(f + 1);
                if (v.first_error.empty())
                    v.first_error = fmt::format("{} {}", answer.cuda_error, answer.cuda_error_name);
            }
        }
        out.push_back(v);
    }
    return out;
}

/// The verdict per GPU, before any detail: what a person asks first.
void print_verdicts(const std::vector<GpuVerdict>& verdicts, const std::optional<Version>& driver) {
    fmt::print("  {:<8} {:<7} {}\n", "GPU", "verdict", "fat binaries whose kernels it can run");
    for (const auto& v : verdicts) {
        std::string detail = fmt::format("{} of {}", v.runnable, v.judged);
        if (!v.cannot.empty()) {
            detail += fmt::format(" (not fat binar{} {}: {})", v.cannot.size() == 1 ? "y" : "ies",
                                  fmt::join(v.cannot, ", "), v.first_error);
        }
        if (v.needs_driver) {
            detail +=
                driver ? fmt::format("; PTX JIT, which driver {} allows", driver_string(*driver))
                       : fmt::format("; partly by PTX JIT, which needs driver >= {}", driver_string(*v.needs_driver));
        }
        fmt::print("  {:<8} {:<7} {}\n", v.gpu.sm(), v.word(), detail);
    }
}

void print_fatbin(const FatBinary& fatbin, std::size_t number, const std::vector<Arch>& gpus,
                  const std::optional<Version>& driver) {
    fmt::print("  fat binary {}: {} at offset {:#x}, {} bytes, container version {}, {} image(s)\n", number,
               fatbin.section, fatbin.offset, fatbin.size, fatbin.version, fatbin.images.size());
    fmt::print("    {:<5} {:<6} {:<13} {:<8} {:<22} {:>9}  {}\n", "image", "kind", "arch", "ptx isa", "compressed",
               "size", "name");
    for (std::size_t i = 0; i < fatbin.images.size(); ++i) {
        const Image& image = fatbin.images[i];
        const std::string compressed =
            image.compressed()
                ? fmt::format("{} ({} B unpacked)", to_string(image.compression), image.uncompressed_size)
                : "no";
        fmt::print("    {:<5} {:<6} {:<13} {:<8} {:<22} {:>7} B  {}\n", i + 1, to_string(image.kind),
                   image.kind == ImageKind::kPtx ? image.arch.compute() : image.arch.sm(),
                   image.ptx_isa ? image.ptx_isa->str() : "-", compressed, image.stored_size,
                   image.name.empty() ? "-" : image.name);
        if (image.kernels && !image.kernels->empty())
            fmt::print("          kernels: {}\n", fmt::join(*image.kernels, ", "));
        for (const std::string& note : image.notes) fmt::print("          note: {}\n", note);
    }
    fmt::print("    covers: SASS {}; PTX {}\n", covers(fatbin, ImageKind::kCubin), covers(fatbin, ImageKind::kPtx));
    if (!fatbin.may_hold_kernels()) {
        fmt::print(
            "    holds no kernels (every cubin lacks .text.* sections, as nvlink's device-link images do): "
            "no GPU needs an image from it\n");
        return;
    }
    for (const Arch& gpu : gpus) {
        const Answer answer = judge(fatbin, gpu, driver, ptx_drivers());
        std::string text = answer.rule;
        if (!answer.condition.empty()) text += "; " + answer.condition;
        if (answer.cuda_error) text = fmt::format("error {} {}: {}", answer.cuda_error, answer.cuda_error_name, text);
        fmt::print("    {:<8} {:<16} {}\n", gpu.sm(), to_string(answer.decision), text);
    }
}

int run(const Options& options) {
    std::vector<Arch> gpus;
    for (const std::string& text : options.gpus.empty() ? kDefaultGpus : options.gpus) {
        auto arch = Arch::parse(text);
        if (!arch || arch->variant != ArchVariant::kGeneric) {
            fmt::print(stderr,
                       "cuconform binary: --gpu {}: expected a GPU architecture such as sm_86, 86 or 8.6 (no a/f "
                       "suffix: a GPU is one architecture). Run `nvidia-smi --query-gpu=compute_cap --format=csv` "
                       "on the target to find it.\n",
                       text);
            return kExitHarnessError;
        }
        gpus.push_back(*arch);
    }
    std::optional<Version> driver;
    if (!options.driver.empty()) {
        driver = Version::parse(options.driver);
        if (!driver) {
            fmt::print(stderr,
                       "cuconform binary: --driver {}: expected a driver version such as 535.104.05 "
                       "(nvidia-smi prints it as \"Driver Version\").\n",
                       options.driver);
            return kExitHarnessError;
        }
    }
    if (options.files.empty() && !options.suite) {
        fmt::print(stderr,
                   "cuconform binary: no input. Name an executable, library, object or .fatbin file, or "
                   "pass --suite for the suite's own kernels.\n");
        return kExitHarnessError;
    }

    std::vector<Input> inputs;
    for (const std::string& file : options.files) {
        Input input{file, {}, {}};
        std::error_code ec;
        const auto status = std::filesystem::status(file, ec);
        if (!std::filesystem::exists(status)) {
            input.error =
                fmt::format("{}: no such file ({}); check the path", file, ec ? ec.message() : "it does not exist");
        } else if (std::filesystem::is_directory(status)) {
            input.error =
                fmt::format("{}: is a directory; name the executables, libraries or .fatbin files in it", file);
        } else {
            try {
                input.contents = read_file(file);
            } catch (const FormatError& e) {
                input.error = e.what();
            }
        }
        inputs.push_back(std::move(input));
    }
    if (options.suite) {
        const struct {
            const char* name;
            const unsigned char* data;
            unsigned long size;
        } embedded[] = {{"suite", cuconform_fatbin_suite, cuconform_fatbin_suite_size},
                        {"sm75_only", cuconform_fatbin_sm75_only, cuconform_fatbin_sm75_only_size},
                        {"ptx75_only", cuconform_fatbin_ptx75_only, cuconform_fatbin_ptx75_only_size},
                        {"sm90a_only", cuconform_fatbin_sm90a_only, cuconform_fatbin_sm90a_only_size}};
        for (const auto& image : embedded) {
            Input input{fmt::format("embedded:cuconform_fatbin_{}", image.name), {}, {}};
            try {
                FileContents contents;
                contents.path = input.name;
                contents.format = "fat binary embedded in cuconform (kernels/reference.h)";
                contents.fatbins.push_back(parse_fatbin_at({image.data, image.size}, 0, input.name, "raw"));
                input.contents = std::move(contents);
            } catch (const FormatError& e) {
                input.error = e.what();
            }
            inputs.push_back(std::move(input));
        }
    }

    bool unreadable = false, no_code = false, partial = false;
    nlohmann::json report = {
        {"gpus", nlohmann::json::array()},
        {"driver", driver ? nlohmann::json(driver_string(*driver)) : nlohmann::json(nullptr)},
        {"ptx_driver_table", "fallback: cuda.md §3a (PTX ISA -> toolkit) and §1a (toolkit -> driver)"},
        {"files", nlohmann::json::array()}};
    for (const Arch& gpu : gpus) report["gpus"].push_back(gpu.sm());
    for (const Input& input : inputs) {
        nlohmann::json file = {{"path", input.name}};
        if (!input.contents) {
            unreadable = true;
            file["error"] = input.error;
            report["files"].push_back(file);
            if (!options.json) fmt::print(stderr, "cuconform binary: {}\n", input.error);
            continue;
        }
        const FileContents& contents = *input.contents;
        file["format"] = contents.format;
        file["fatbins"] = nlohmann::json::array();
        if (!options.json) {
            fmt::print("{}: {}, {} fat binar{}\n", input.name, contents.format, contents.fatbins.size(),
                       contents.fatbins.size() == 1 ? "y" : "ies");
            if (contents.fatbins.empty()) {
                fmt::print(
                    "  no CUDA device code: no section {} found; nothing here needs a GPU. If this file should "
                    "carry kernels, check that it was built with nvcc.\n",
                    fmt::join(contents.sections_searched, " or "));
            }
        }
        const auto per_gpu = verdicts(contents, gpus, driver);
        file["gpus"] = nlohmann::json::array();
        for (const auto& v : per_gpu) {
            file["gpus"].push_back({{"gpu", v.gpu.sm()},
                                    {"verdict", v.word()},
                                    {"runnable_fatbins", v.runnable},
                                    {"fatbins_with_kernels", v.judged},
                                    {"cannot_run", v.cannot}});
            no_code = no_code || v.word() == "none";
            partial = partial || v.word() == "partly";
        }
        if (!options.json && !contents.fatbins.empty()) {
            print_verdicts(per_gpu, driver);
            fmt::print("  details:\n");
        }
        for (std::size_t f = 0; f < contents.fatbins.size(); ++f) {
            const FatBinary& fatbin = contents.fatbins[f];
            nlohmann::json fj = {
                {"section", fatbin.section}, {"offset", fatbin.offset},           {"size", fatbin.size},
                {"version", fatbin.version}, {"images", nlohmann::json::array()}, {"answers", nlohmann::json::array()}};
            fj["covers"] = {{"sass", covers(fatbin, ImageKind::kCubin)}, {"ptx", covers(fatbin, ImageKind::kPtx)}};
            for (const Image& image : fatbin.images) fj["images"].push_back(image_json(image));
            fj["may_hold_kernels"] = fatbin.may_hold_kernels();
            for (const Arch& gpu : gpus) {
                if (!fatbin.may_hold_kernels()) break;
                fj["answers"].push_back(answer_json(gpu, judge(fatbin, gpu, driver, ptx_drivers())));
            }
            file["fatbins"].push_back(fj);
            if (!options.json) print_fatbin(fatbin, f + 1, gpus, driver);
        }
        report["files"].push_back(file);
    }
    // A caller can use a file on a GPU when some fat binary in it runs there (a library loads, its kernels for that
    // GPU launch); a GPU with none is the failure. Partial coverage is reported, not failed: libraries carry
    // architecture-specific fat binaries on purpose.
    const int code = unreadable ? kExitHarnessError : no_code ? kExitNonConforming : kExitOk;
    report["result"] = unreadable ? "unreadable_input" : no_code ? "some_gpu_has_no_code" : "every_gpu_has_code";
    if (options.json) {
        fmt::print("{}\n", report.dump(2));
        return code;
    }
    if (!driver) fmt::print("driver: not given; PTX JIT answers say which driver they need (pass --driver X.Y.Z)\n");
    fmt::print("Result = {}\n",
               unreadable ? "ERROR (some input could not be read; see above)"
               : no_code  ? "FAIL (some GPU has no code it can run in some file: \"no kernel image is available\")"
               : partial  ? "PASS (every GPU has code it can run in every file; some fat binaries only for some GPUs)"
                          : "PASS (every GPU can run every fat binary)");
    return code;
}

CommandSetup setup = [](CLI::App& sub) -> std::function<int()> {
    auto options = std::make_shared<Options>();
    sub.add_option("files", options->files, "Executables, shared libraries, object files or .fatbin files");
    sub.add_option("--gpu", options->gpus,
                   "GPU architecture to judge, repeatable (default: sm_75 sm_80 sm_86 sm_89 "
                   "sm_90 sm_100 sm_120)");
    sub.add_option("--driver", options->driver, "Installed driver version, e.g. 535.104.05 (default: unknown)");
    sub.add_flag("--json", options->json, "Print JSON instead of text");
    sub.add_flag("--suite", options->suite, "Also report the fat binaries embedded in cuconform (kernels/*.cu)");
    return [options] { return run(*options); };
};

}  // namespace
}  // namespace cuconform::binary

CUCONFORM_COMMAND("binary", "Read CUDA fat binaries in files and say which GPUs and drivers can run them", 60,
                  cuconform::binary::setup);
