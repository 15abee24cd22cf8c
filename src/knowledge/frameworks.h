// SPDX-License-Identifier: Apache-2.0
/// \file The frameworks' part of the knowledge base (matrix/knowledge/frameworks.yaml): each framework's own rule for
/// the stack it finds, with its own words and the file in its code the rule is quoted from, and what each release is
/// built against and pins. `doctor`, `predict --framework` and the framework cases ask it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/version.h"
#include "knowledge/knowledge.h"

namespace cuconform::knowledge {

/// A known exception to a rule: this loaded version is refused (unless it is also the built one).
struct FrameworkException {
    Version loaded;
    std::optional<Version> unless_built;
    std::string message;
};

/// One acceptance rule of a framework, for one component (cudnn, cuda, cublas, visible_devices).
struct FrameworkRule {
    std::string component;
    /// major_equal_minor_at_least: same major, runtime minor >= built minor (equal minor below
    /// `equal_minor_before_major`); at_least_encoded: the runtime's integer encoding >= `min`, or >= built encoding
    /// / `scale` when no `min` is given (JAX's _version_check); same_major: the runtime's major is the built one (the
    /// soname it needs); torch_parse_visible_devices.
    std::string rule;
    std::optional<int> equal_minor_before_major;
    std::optional<long> min;
    long scale = 1;
    std::string skip_env;    ///< A variable that turns the check off when it is "1".
    bool needs_gpu = false;  ///< Only made where a GPU initialises the library.
    std::string where;       ///< Where in the framework the check runs.
    std::string message, message_ld_library_path, message_ld_library_path_other;
    std::vector<FrameworkException> exceptions;
    Citation citation;
};

struct FrameworkRelease {
    std::string version;
    std::map<std::string, std::string> built;   ///< cuda, cudnn, cublas -> version
    std::map<std::string, std::string> wheels;  ///< cudnn, cudart, cublas, nvrtc -> requirement it pins
    /// cudnn, cuda, cublas -> the version `pip install <framework>==<version>` installs (its exact pins, or what a
    /// range resolved to when it was observed).
    std::map<std::string, std::string> resolved;
    Citation citation;
};

struct FrameworkFacts {
    std::string name;  ///< torch | jax | tensorflow
    std::string display;
    std::string check;  ///< The framework's own check, as a user runs it.
    Citation loading;   ///< How it loads its CUDA libraries (the note says).
    std::vector<FrameworkRule> rules;
    std::vector<FrameworkRelease> releases;
};

/// What a framework says of a stack: the answer of each rule that applies, the first refusal deciding.
struct FrameworkVerdict {
    Answer answer;                        ///< Yes: accepted; No: refused (reason: the framework's own words); Unknown.
    const FrameworkRule* rule = nullptr;  ///< The deciding rule (the refusing one, or the last that accepted).
};

class FrameworksReader;

class Frameworks {
public:
    /// Parses frameworks.yaml text. Throws KnowledgeError naming FILE:LINE and the fix.
    static Frameworks parse(const std::string& text, const std::string& file);
    static Frameworks load(const std::filesystem::path& file);
    /// frameworks.yaml as KnowledgeBase::builtin_text() gives it ($CUCONFORM_KNOWLEDGE_DIR, else compiled in), loaded once.
    static const Frameworks& builtin();

    const std::vector<FrameworkFacts>& all() const { return frameworks_; }
    const FrameworkFacts* find(std::string_view name) const;
    /// The release entry of a framework version ("2.15.0+cu132" matches "2.15.0").
    const FrameworkRelease* release(std::string_view name, std::string_view version) const;
    const std::vector<Entry>& entries() const { return entries_; }
    FileSummary summary() const { return summary_; }

    /// Whether the framework accepts a loaded `component` (cudnn, cuda, cublas) built against `built`. Rules that
    /// need a GPU are asked only when `on_gpu`. `env` supplies LD_LIBRARY_PATH and the skip variable (torch's words
    /// depend on them). Unknown when the framework or its rule is not known.
    FrameworkVerdict accepts(std::string_view framework, std::string_view component, const Version& built,
                             const Version& loaded, bool on_gpu = false,
                             const std::map<std::string, std::optional<std::string>>& env = {}) const;

    /// The devices a framework sees for CUDA_VISIBLE_DEVICES=`value` by its own parsing (torch's
    /// _parse_visible_devices: ordinals, or GPU-/MIG- ids); nullopt when the framework has no such rule.
    std::optional<std::vector<std::string>> visible_devices(std::string_view framework, const std::string& value) const;

private:
    friend class FrameworksReader;
    std::vector<FrameworkFacts> frameworks_;
    std::vector<Entry> entries_;
    FileSummary summary_;
};

/// Whether `version` ("9.26.0.51") satisfies a requirement specifier ("==9.26.0.51", ">=9.8,<10.0", "==13.2.86.*",
/// "~=2.1"): the numeric part of PEP 440, which is what NVIDIA's and the frameworks' pins use. An empty specifier is
/// satisfied by any version.
bool requirement_satisfied(const std::string& version, const std::string& specifier);

/// The integer a framework compares: CUDA 12.9 -> 12090, cuDNN 9.8.0 -> 90800 (8.9.7 -> 8907), cuBLAS 12.9.1 -> 120901.
long encode_version(std::string_view component, const Version& version);

}  // namespace cuconform::knowledge
