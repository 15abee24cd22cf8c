// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform predict`: answers about a hypothetical stack from the knowledge base, without a GPU.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog/expectation.h"
#include "core/version.h"
#include "knowledge/knowledge.h"
#include "results/fingerprint.h"

namespace cuconform::predict {

inline constexpr const char* kPredictSchema = "cuconform.predict/1";

/// Bad input: what() names the flag or file, what was given and what is accepted.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A hypothetical stack. Every part is optional; a question whose inputs are missing is answered unknown.
struct Stack {
    std::optional<Version> driver;       ///< Linux driver, "535.104.05".
    std::optional<Version> toolkit;      ///< CUDA toolkit the application was compiled with (nvcc).
    std::optional<Version> runtime;      ///< CUDA runtime loaded at run time.
    std::optional<Version> cudnn;        ///< cuDNN loaded at run time.
    std::optional<Version> cudnn_cuda;   ///< The CUDA the cuDNN build is for ("12" for nvidia-cudnn-cu12).
    std::optional<Version> built_cudnn;  ///< cuDNN the application was built against (CUDNN_VERSION).
    std::optional<Version> cc;           ///< The GPU's compute capability.
    std::string gpu_name;                ///< As given, or the knowledge base's name for it.
    std::string arch;                    ///< The exact target given ("sm_90a", "sm_100f"); empty for a name or a CC.
    bool runtime_from_toolkit = false;   ///< No --runtime: the application's runtime is its toolkit's (predict()).
    std::optional<std::uint64_t> memory_bytes;
    std::vector<knowledge::Citation> gpu_evidence;  ///< Where a GPU name was resolved.
    std::map<std::string, std::optional<std::string>> env;
};

/// Sets `stack`'s member named by `key` (driver, toolkit, runtime, cudnn, cudnn_cuda, built_cudnn, gpu) from
/// `value`. `origin` names the flag or file for messages. Throws InputError for a bad value or unknown key.
void set_field(Stack& stack, const std::string& key, const std::string& value, const std::string& origin,
               const knowledge::KnowledgeBase& kb);
/// Reads a stack file: a JSON object with the keys of set_field (strings) and "env" (object of strings or
/// null). Throws InputError naming the file for anything else.
void read_stack_file(Stack& stack, const std::string& path, const knowledge::KnowledgeBase& kb);

/// One stack-level question and its answer (ids: runtime-on-driver, nvcc-targets, cudnn-arch, cudnn-cuda,
/// cudnn-rule, cudnn-driver, ptx-jit, precision-fp16, -bf16, -tf32, -fp8, -int8-tc, -dp4a).
struct Question {
    std::string id;
    std::string text;  ///< The question in words, with the stack's values ("(not given)" for a part not given).
    knowledge::Answer answer;
    /// Informational (ptx-jit, precision-*): a No says what the GPU or driver lacks, not that the stack is broken;
    /// it does not fail the exit code.
    bool informational = false;
};

/// Every stack-level question, in a fixed order. Missing inputs and missing facts answer Unknown.
std::vector<Question> ask(const Stack& stack, const knowledge::KnowledgeBase& kb);

/// The CUDA version a driver supports (what cuDriverGetVersion would report): the newest toolkit whose
/// minimum driver it meets. nullopt when no sourced minimum decides it.
std::optional<knowledge::Fact<Version>> driver_cuda(const Version& driver, const knowledge::KnowledgeBase& kb);

/// The fingerprint a probe of this stack would produce (src/probe/fingerprint.cpp's shape), marked synthetic.
results::Fingerprint synthetic_fingerprint(const Stack& stack, const knowledge::KnowledgeBase& kb);

/// One case x variant of the catalogue evaluated on the synthetic fingerprint.
struct CasePrediction {
    std::string case_id, family, variant, title;
    bool needs_gpu = false;
    ExpectedDecision decision;
    std::string error;  ///< Non-empty when the rules could not be evaluated.
    /// The parts of the stack not given that the deciding rule read ("cudnn", "driver"): the outcome then depends on
    /// them and is not predicted.
    std::vector<std::string> unspecified;
};

/// Evaluates every registered case (all variants) on `fingerprint`; a case whose deciding rule reads a part in
/// `unspecified` is marked so instead of predicted.
std::vector<CasePrediction> predict_cases(const results::Fingerprint& fingerprint,
                                          const std::vector<std::string>& unspecified = {});

struct Prediction {
    results::Fingerprint fingerprint;
    std::vector<std::string> unspecified;  ///< Parts of the stack not given: driver, runtime, cudnn, gpu, toolkit.
    std::vector<Question> questions;
    std::vector<CasePrediction> cases;
};

Prediction predict(const Stack& stack, const knowledge::KnowledgeBase& kb);

/// The `--json` document (schema cuconform.predict/1).
nlohmann::json to_json(const Prediction& prediction);
/// Questions first, then cases grouped by family.
void write_human(std::ostream& out, const Prediction& prediction);
/// 1 when a requirement of the given stack is answered No (runtime-on-driver, nvcc-targets, cudnn-arch, cudnn-cuda,
/// cudnn-rule, cudnn-driver), else 0. Informational answers (ptx-jit, precision-*) and Unknown never count; bad input
/// is 2 (the command).
int exit_code(const Prediction& prediction);

}  // namespace cuconform::predict
