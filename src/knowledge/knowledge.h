// SPDX-License-Identifier: Apache-2.0
/// \file The knowledge base: versioned facts about the stack (matrix/knowledge/*.yaml), each with the
/// source it comes from, and the questions expectations, `doctor` and `predict` ask of them.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/version.h"

namespace cuconform::knowledge {

/// A knowledge file that cannot be used. what() reads "FILE:LINE: what is wrong; what to do".
class KnowledgeError : public std::runtime_error {
public:
    /// `line` is 1-based; 0 for an error about a whole file or directory (then what() has no line).
    KnowledgeError(std::string file, int line, const std::string& message);
    const std::string& file() const { return file_; }
    int line() const { return line_; }

private:
    std::string file_;
    int line_;
};

/// The kinds of primary source a fact may cite. A blog, a forum or another project's copy is none of them.
/// docs: an NVIDIA documentation page; header: an NVIDIA header (in the package `url` names, at `path`);
/// code: a framework's (or NVIDIA's) own code; package: NVIDIA's package index entry (releases, versions);
/// tool: what an NVIDIA tool in the package `url` names prints (`path` says which tool and how it was asked).
inline constexpr std::string_view kSourceKinds[] = {"docs", "header", "code", "package", "tool"};

/// One entry of a file's `sources:` map.
struct Source {
    std::string id;
    std::string url;  ///< Always https://...
    std::string title;
    std::string kind;     ///< One of kSourceKinds.
    std::string path;     ///< header/tool: the file inside the package ("nvidia/cu13/include/driver_types.h").
    bool primary = true;  ///< Every accepted source is primary; kept for callers that print it.
};

/// Where a fact stands in the knowledge base and what backs it.
struct Citation {
    std::string file;  ///< File name within the knowledge directory ("toolkits.yaml").
    int line = 0;
    std::vector<Source> sources;  ///< Empty for a fact entered as `status: unsourced`.
    std::string note;
    std::string quote;  ///< The source's own words the fact rests on (required for docs and code sources).

    bool sourced() const { return !sources.empty(); }
    /// The first source's URL, or "" for an unsourced fact.
    std::string url() const;
    /// "toolkits.yaml:42".
    std::string where() const;
};

/// A value and where it comes from.
template <typename T>
struct Fact {
    T value;
    Citation citation;
};

/// The answer to a yes/no question. Unknown is not No: it means no sourced fact decides the question.
struct Answer {
    enum class Value { Yes, No, Unknown };
    Value value = Value::Unknown;
    std::string reason;              ///< One or two sentences a user can act on.
    std::vector<Citation> evidence;  ///< The facts the answer rests on (empty when nothing is known).
    /// Which rule decided: "listed", "same major, higher minor", "family", "minor version compatibility",
    /// "toolkit minimum driver", "not released", ... Empty for Unknown answers that no rule reached.
    std::string rule;

    bool yes() const { return value == Value::Yes; }
    bool no() const { return value == Value::No; }
    bool unknown() const { return value == Value::Unknown; }
    /// The first source URL among the evidence, or "".
    std::string url() const;
};

std::string_view to_string(Answer::Value value);

/// Compute capabilities a cuDNN package supports: an explicit list, or a range (no max: "and later").
struct CcSet {
    std::vector<Version> list;  ///< Non-empty for a list.
    Version min;                ///< Range only.
    std::optional<Version> max;
    bool is_list() const { return !list.empty(); }
    std::string str() const;
};

/// One package of a cuDNN support-matrix row ("cuDNN 9.5.1 for CUDA 12.x").
struct CudnnPackage {
    std::string name;                               ///< As the matrix labels it; may be empty.
    std::vector<std::pair<Version, Version>> cuda;  ///< Inclusive ranges, compared at major.minor.
    std::optional<CcSet> cc;                        ///< When absent, the row's `cc` applies (if any).
    std::vector<std::string> architectures;         ///< Architecture families the row names ("Hopper"); may be empty.
    std::optional<Version> min_driver_linux;
    std::optional<Version> min_driver_windows;
    std::string note;
    std::string cuda_str() const;  ///< "12.0-12.6, 11.8".
};

/// One row of cuDNN's support matrix, covering releases `version` through `through`.
struct CudnnRelease {
    Version version;
    Version through;
    bool sourced = true;                     ///< False: entered as unsourced; nothing is derived from it.
    std::optional<CcSet> cc;                 ///< Row-wide compute capabilities, when the matrix gives them so.
    std::vector<std::string> architectures;  ///< Row-wide architecture families, when the matrix names them.
    std::vector<CudnnPackage> packages;      ///< Empty when the row's CUDA packages are unknown.
    bool exact = false;                      ///< cudnn_release(): the asked version lies inside this row.
    Citation citation;

    std::string label() const;  ///< "9.5.0-9.5.1" or "9.17.0".
};

/// A CUDA or cuDNN error code.
struct ErrorCode {
    std::string name;  ///< cudaErrorNoDevice, CUDA_ERROR_NO_DEVICE, CUDNN_STATUS_BAD_PARAM_NULL_POINTER
    long code = 0;
    std::string meaning;          ///< Runtime errors: the header's documentation, paraphrased.
    std::string twin;             ///< Runtime errors: the CUresult with the same meaning, if any.
    bool deprecated = false;      ///< cuDNN 9: an old name kept as an alias of a new code.
    std::string category;         ///< cuDNN 9: the category status (code / 1000 * 1000), e.g. CUDNN_STATUS_BAD_PARAM.
    std::optional<Version> from;  ///< cuDNN: the first release whose header defines it (none: every release).
};

/// A GPU model.
struct Gpu {
    std::string name;
    Version cc;
    std::vector<int> memory_gib;              ///< Empty when no source gives it.
    std::optional<Citation> memory_citation;  ///< Memory sizes have their own sources.
};

/// An environment variable and its documented semantics.
struct EnvVar {
    std::string name;
    std::string values;
    std::string default_value;
    std::string behaviour;
    std::string edge_cases;
};

/// One fact as it stands in a file (for tests and `cuconform kb`).
struct Entry {
    std::string kind;  ///< "toolkit.driver", "cudnn.release", "error.cudnn_status", ...
    std::string key;   ///< What it is about: "12.4", "9.5.0-9.5.1", "9:CUDNN_STATUS_BAD_PARAM".
    Citation citation;
};

/// Per-file counts (for `cuconform kb`).
struct FileSummary {
    std::string file;
    std::size_t entries = 0;
    std::size_t unsourced = 0;
    std::size_t sources = 0;
};

/// The facts of one knowledge directory, validated, and the questions asked of them. Cheap to copy.
class KnowledgeBase {
public:
    /// Parses and validates every *.yaml in `dir`. Throws KnowledgeError naming FILE:LINE and the fix
    /// (bad YAML, missing or unknown source, bad version, unknown key, duplicate, unknown file).
    static KnowledgeBase load(const std::filesystem::path& dir);
    /// Parses and validates files given as {file name, text}; `origin` names them in messages ("built in").
    static KnowledgeBase parse(const std::vector<std::pair<std::string, std::string_view>>& files,
                               const std::string& origin);
    /// The knowledge base compiled into this binary (matrix/knowledge/*.yaml at build time).
    static KnowledgeBase embedded();
    /// The knowledge base a run uses, loaded once: the folder $CUCONFORM_KNOWLEDGE_DIR names (a working copy
    /// during development), else the one compiled in. Throws KnowledgeError when it is invalid.
    static const KnowledgeBase& builtin();
    /// $CUCONFORM_KNOWLEDGE_DIR, or nullopt when the compiled-in knowledge base is used.
    static std::optional<std::filesystem::path> override_dir();
    /// The text of one knowledge file ("frameworks.yaml") as builtin() reads it: from $CUCONFORM_KNOWLEDGE_DIR
    /// when set, else compiled in. nullopt when there is no such file.
    static std::optional<std::string> builtin_text(std::string_view file);
    /// The files compiled in: {file name, text}, in name order.
    static std::vector<std::pair<std::string, std::string_view>> embedded_files();
    /// The files a complete knowledge base holds ("cudnn.yaml", ..., "frameworks.yaml"), in name order.
    static std::vector<std::string> file_names();
    /// Those of file_names() this one was not read from (a partial folder loads; `cuconform kb` refuses it).
    std::vector<std::string> missing_files() const;

    /// The folder the knowledge base was read from (empty for the compiled-in one).
    const std::filesystem::path& dir() const;
    /// Where it came from, for messages: the folder, or "built in (matrix/knowledge at build time)".
    const std::string& origin() const;
    const std::vector<Entry>& entries() const;
    std::vector<FileSummary> files() const;

    // --- toolkits.yaml --------------------------------------------------------------------------
    /// Minimum Linux x86_64 driver of a toolkit (release notes Table 3); a patch version picks the
    /// update release's minimum ("12.2.2" -> 535.104.05).
    std::optional<Fact<Version>> min_driver(const Version& toolkit) const;
    /// The oldest driver that runs every CUDA `cuda_major`.x runtime by minor version compatibility:
    /// the later of Table 2's family minimum and the x.0 release's own minimum. nullopt for majors
    /// without minor version compatibility (10) or unknown ones.
    std::optional<Fact<Version>> minor_compat_floor(int cuda_major) const;
    /// Whether a CUDA runtime runs on a driver: the toolkit's minimum driver, else minor version
    /// compatibility within its major. A version NVIDIA never released ("12.7") is Unknown, never Yes.
    Answer runtime_runs_on_driver(const Version& runtime, const Version& driver) const;
    /// The evidence that NVIDIA released a toolkit (its Table 3 row, its release notes or its package), or
    /// nullopt: then nothing is known of it, or it was never released ("12.7").
    std::optional<Citation> toolkit_release(const Version& toolkit) const;
    /// Whether `nvcc` of a toolkit accepts `-arch=<arch>` ("sm_90", "sm_90a", "compute_75") exactly: an 'a' or 'f'
    /// target is a target of its own (sm_90a arrived in 12.0, sm_90 in 11.8). rule: "listed".
    Answer nvcc_supports(const Version& toolkit, std::string_view arch) const;
    /// Whether nvcc of a toolkit can build SASS that a GPU of compute capability `cc` runs: its own architecture
    /// listed (rule "listed"), else a listed architecture of the same major and a lower minor (rule "same major,
    /// higher minor": SASS runs on the same major at the same or a higher minor).
    Answer nvcc_builds_for(const Version& toolkit, const Version& cc) const;
    /// Every real architecture the toolkit's nvcc accepts, oldest first.
    std::optional<Fact<std::vector<std::string>>> nvcc_archs(const Version& toolkit) const;
    /// The PTX ISA version a toolkit emits.
    std::optional<Fact<Version>> ptx_isa(const Version& toolkit) const;
    /// The first toolkit that emits PTX ISA `isa` (a driver needs at least this CUDA version to JIT it).
    std::optional<Fact<Version>> toolkit_for_ptx_isa(const Version& isa) const;
    /// The oldest driver that JIT-compiles PTX ISA `isa`: the minimum driver of the first released toolkit that
    /// emits it or a newer ISA. What `cuconform binary` needs (binary::MinDriverForPtx).
    std::optional<Fact<Version>> min_driver_for_ptx(const Version& isa) const;
    /// Whether a driver JIT-compiles the PTX a toolkit emits: the driver must meet the minimum driver of the
    /// first toolkit emitting that PTX ISA (minor version compatibility does not cover PTX JIT).
    Answer ptx_jit(const Version& toolkit, const Version& driver) const;

    // --- cudnn.yaml -----------------------------------------------------------------------------
    /// The support-matrix row for a cuDNN release: the row containing it (exact), else the nearest
    /// row below it. nullopt when it is older than every row.
    std::optional<CudnnRelease> cudnn_release(const Version& cudnn) const;
    /// Releases known to exist (matrix rows and others), ascending, without duplicates.
    std::vector<Fact<Version>> cudnn_known_releases() const;
    Answer cudnn_supports_cuda(const Version& cudnn, const Version& cuda) const;
    /// Whether a cuDNN release supports a GPU: its compute capability listed (rule "listed"), a listed one of the
    /// same major and a lower minor ("same major, higher minor": cuDNN's SASS for 8.0 runs on 8.6), or the
    /// architecture family the row names ("family").
    Answer cudnn_supports_cc(const Version& cudnn, const Version& cc) const;
    /// Whether `driver` meets the minimum driver of cuDNN `cudnn` for CUDA `cuda` on a GPU of compute capability
    /// `cc`: among the packages for that CUDA, those that support the GPU decide (the lowest floor wins). Without a
    /// GPU, the answer is Yes or No only where every package agrees.
    Answer cudnn_driver(const Version& cudnn, const Version& cuda, const Version& driver,
                        const std::optional<Version>& cc) const;
    /// Whether cuDNN `cudnn` is a release NVIDIA published (a matrix row or a package version).
    bool cudnn_is_release(const Version& cudnn) const;
    /// The sourced statement that release `cudnn`'s support-matrix row is not recorded (cudnn.yaml
    /// `rows_not_recorded`), or nullopt. Its matrix questions answer Unknown with it, never from another row.
    std::optional<Fact<Version>> cudnn_row_not_recorded(const Version& cudnn) const;
    /// The sub-libraries of a major's first release (bare names: "cudnn_graph" is libcudnn_graph.so.9).
    std::optional<Fact<std::vector<std::string>>> cudnn_sublibraries(int major) const;
    /// The sub-libraries of a given release (9.24 and later add two).
    std::optional<Fact<std::vector<std::string>>> cudnn_sublibraries(const Version& cudnn) const;
    /// Whether an application built against `built` runs with `loaded` loaded: same major, loaded minor
    /// >= built minor (equal minor before cuDNN 7), except known-broken releases. A No carries the
    /// message the frameworks print.
    /// `framework` ("jax") adds that framework's own exceptions (JAX refuses a loaded 9.10.0 built against any other
    /// release); NVIDIA's rule alone applies without it.
    Answer cudnn_compatible(const Version& built, const Version& loaded, std::string_view framework = {}) const;
    /// What CUDNN_MAJOR is multiplied by in CUDNN_VERSION (1000 up to 8, 10000 from 9).
    std::optional<Fact<long>> cudnn_version_major_factor(int major) const;

    // --- hardware.yaml --------------------------------------------------------------------------
    /// The first compute capability with a feature ("fp16_arithmetic", "dp4a", "fp16_tensor_cores",
    /// "int8_tensor_cores", "bf16", "tf32", "fp8", or an alias such as "bfloat16").
    std::optional<Fact<Version>> feature_min_cc(std::string_view feature) const;
    /// Whether a device of compute capability `cc` has a feature in hardware.
    Answer has_feature(std::string_view feature, const Version& cc) const;
    /// A GPU by name as nvidia-smi or a user writes it ("Tesla T4", "NVIDIA A100-SXM4-80GB", "h100").
    std::optional<Fact<Gpu>> gpu(std::string_view name) const;
    /// The binary-compatibility rule of SASS (same major, same or higher minor), with its source.
    std::optional<Fact<std::string>> sass_compatibility_rule() const;
    /// Every GPU the knowledge base names.
    std::vector<Fact<Gpu>> gpus() const;
    /// The architecture family of a compute capability ("Hopper" for 9.0), with its source.
    std::optional<Fact<std::string>> architecture_family(const Version& cc) const;

    // --- errors.yaml ----------------------------------------------------------------------------
    std::optional<Fact<ErrorCode>> cuda_runtime_error(std::string_view name) const;
    std::optional<Fact<ErrorCode>> cuda_runtime_error(long code) const;
    std::optional<Fact<ErrorCode>> cuda_driver_error(std::string_view name) const;
    std::optional<Fact<ErrorCode>> cuda_driver_error(long code) const;
    /// A cudnnStatus_t of a cuDNN major by name (the CUDNN_STATUS_ prefix may be left out).
    std::optional<Fact<ErrorCode>> cudnn_status(int major, std::string_view name) const;
    /// By number; for a number with a current and a deprecated name, the current one.
    std::optional<Fact<ErrorCode>> cudnn_status(int major, long code) const;
    /// Every status of a major (current names first, then deprecated aliases).
    std::vector<Fact<ErrorCode>> cudnn_statuses(int major) const;
    /// The statuses a release's header defines: those of its major without a `from`, or from it or earlier.
    std::vector<Fact<ErrorCode>> cudnn_statuses(const Version& release) const;

    // --- env.yaml -------------------------------------------------------------------------------
    std::optional<Fact<EnvVar>> env_var(std::string_view name) const;

    struct Data;

private:
    explicit KnowledgeBase(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
    Answer not_a_release(const Version& cudnn) const;
    /// Unknown: `cudnn`'s own row is not recorded (the statement and the nearest rows in the reason).
    Answer row_not_recorded(const Fact<Version>& statement, const Version& cudnn) const;
    Answer cudnn_supports_cc_row(const Version& cudnn, const Version& cc, const std::optional<CudnnRelease>& row) const;
    std::shared_ptr<const Data> data_;
};

/// min_driver_for_ptx of the built-in knowledge base as a plain lookup, the shape binary::judge takes
/// (binary::MinDriverForPtx): the binary room keeps no facts, so every caller of judge passes this one.
const std::function<std::optional<Version>(const Version& isa)>& builtin_ptx_driver_floor();

}  // namespace cuconform::knowledge
