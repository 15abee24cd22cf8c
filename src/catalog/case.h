// SPDX-License-Identifier: Apache-2.0
/// \file The case model: one reproducer of one failure scenario, its expectation, its variants.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/outcome.h"
#include "core/util.h"
#include "results/fingerprint.h"

namespace cuconform {

/// An environment transform applied to one run of a case.
struct Variant {
    std::string name = "default";  ///< lower_snake; "default" when a case declares none.
    std::string description;
    std::vector<std::string> hide;  ///< Sonames made invisible to the dynamic loader (shadow directory).
    /// Variables to set (value) or unset (nullopt) for the run.
    std::map<std::string, std::optional<std::string>> env;
    /// Only these library directories on the search path (no ld.so.cache): "LD_LIBRARY_PATH without the libraries".
    bool strip_library_path = false;
    std::optional<std::size_t> memory_cap_mib;  ///< Device memory the case may take (memory family).
    /// Start from a fresh exec with nothing preloaded: for variables a library reads when it loads.
    bool fresh_process = false;

    /// True when the transform must be in place before the dynamic loader starts (a fresh exec).
    bool needs_exec() const {
        return fresh_process || !hide.empty() || strip_library_path || env.contains("LD_LIBRARY_PATH");
    }
    nlohmann::json to_json() const;
};

/// What a reproducer sees in its (child) process.
struct CaseContext {
    const results::Fingerprint& fingerprint;  ///< The stack the run belongs to.
    const Variant& variant;
};

using Reproducer = std::function<Outcome(CaseContext&)>;

/// What a case needs from the stack before its reproducer can say anything. Each need is declared once and
/// derives the rest: a library need becomes the case's first rule (`when !cudnn -> error(loader,
/// LIBRARY_NOT_FOUND)`) and a guard before the reproducer that returns the loader's own message when the library is
/// not there; the GPU need makes the case UNSUPPORTED without a usable GPU, gives it the label `gpu` (else
/// `no_gpu`) and a CTest resource group `gpus:1`. WholeGpu is the GPU need of a case that takes the device's free
/// memory (the memory family): it is a GPU need, and the runner starts it only while no other GPU case runs and
/// starts none beside it (CTest: RUN_SERIAL), so that its out-of-memory error is its own and no neighbour's.
enum class Need { Runtime, Cudnn, Cublas, Driver, Gpu, WholeGpu };
std::string_view to_string(Need need);

/// The labels a case may carry besides the derived `gpu` / `no_gpu` (closed, so that `--label` never selects
/// nothing by a typo).
const std::vector<std::string>& known_labels();

/// One case of the catalogue. Cases are values registered at start-up (cases/*.cpp).
struct CaseSpec {
    std::string id;                   ///< family.subfamily.case, lower_snake segments.
    std::string title;                ///< One line: what is reproduced.
    std::string symptom;              ///< What the framework user sees ("Keras LSTM raises NotImplementedError").
    std::string cause;                ///< The native root cause.
    std::string seed;                 ///< The seed scenario it comes from (shared/seeds/NNN or the DESIGN.md row).
    std::vector<std::string> labels;  ///< From known_labels(); `gpu` / `no_gpu` are derived from `needs`.
    std::vector<Need> needs;          ///< In the order of the rules they derive.
    std::vector<Variant> variants;    ///< Empty: one run, variant "default".
    /// Ordered rules, one per line: `when <predicate> -> <outcome>`, last `otherwise -> <outcome>`.
    std::string expect;
    Reproducer reproduce;
    std::string file;  ///< Where it is defined (for messages).
    int line = 0;

    std::string family() const { return id.substr(0, id.find('.')); }
    bool needs_gpu() const;
    /// Needs the GPU to itself (Need::WholeGpu).
    bool needs_whole_gpu() const;
    /// The expectation as it is evaluated: the rules `needs` derives, then `expect`.
    std::string rules() const;
    /// `labels` plus the derived `gpu` or `no_gpu`.
    std::vector<std::string> all_labels() const;
    /// Its variants, or the single default one.
    std::vector<Variant> runs() const;
};

/// Validates and stores every case. Ids must be unique dotted lower_snake with three or more segments.
class CaseRegistry {
public:
    static CaseRegistry& instance();

    /// Throws std::invalid_argument naming the file:line and the rule broken.
    void add(CaseSpec spec);
    const std::vector<CaseSpec>& all() const { return cases_; }
    const CaseSpec* find(std::string_view id) const;

private:
    std::vector<CaseSpec> cases_;
};

/// True for `a.b.c` with segments of [a-z0-9_], starting with a letter.
bool is_valid_case_id(std::string_view id);

/// gtest-style name derived from the id: `loader.cudnn.missing_shim` -> `LoaderCudnn.MissingShim`.
std::string gtest_name(std::string_view id);

struct CaseRegistrar {
    CaseRegistrar(CaseSpec spec, const char* file, int line);
};

}  // namespace cuconform

/// Registers a case: CUCONFORM_CASE({.id = "...", ...});
#define CUCONFORM_CASE(...)                                                                 \
    static const ::cuconform::CaseRegistrar CUCONFORM_CONCAT(cuconform_case_, __COUNTER__)( \
        ::cuconform::CaseSpec __VA_ARGS__, __FILE__, __LINE__)
