// SPDX-License-Identifier: Apache-2.0
/// \file Stack-level questions answered from the knowledge base, and the catalogue's expectations on a synthetic
/// fingerprint of the stack.
#include "predict/predict.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <ostream>
#include <regex>
#include <set>

#include "catalog/case.h"
#include "core/util.h"

namespace cuconform::predict {
using knowledge::Answer;
using knowledge::Citation;
using knowledge::KnowledgeBase;
using nlohmann::json;

namespace {

constexpr std::array kKeys{"driver", "toolkit", "runtime", "cudnn", "cudnn_cuda", "built_cudnn", "gpu"};

Version mm(const Version& v) { return v.truncated(2); }

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

std::string opt_str(const std::optional<Version>& v) { return v ? v->str() : std::string("(not given)"); }

Answer unknown(std::string reason, std::vector<Citation> evidence = {}) {
    return Answer{Answer::Value::Unknown, std::move(reason), std::move(evidence)};
}

Answer missing(std::initializer_list<std::pair<const char*, bool>> inputs) {
    std::vector<std::string> flags;
    for (const auto& [flag, given] : inputs) {
        if (!given) flags.push_back(flag);
    }
    return unknown(fmt::format("not asked: give {} to answer it", join(flags, " and ")));
}

std::string arch_of(const Version& cc) { return fmt::format("sm_{}{}", cc.major(), cc.minor()); }

/// "sm_61", "sm_90a", "compute_75", "6.1" -> compute capability; nullopt for anything else.
std::optional<Version> parse_cc(const std::string& text) {
    static const std::regex arch(R"((?:sm|compute)_(\d+)[af]?)", std::regex::icase);
    std::smatch m;
    if (std::regex_match(text, m, arch)) {
        const int n = std::stoi(m[1].str());
        if (n < 10) return std::nullopt;
        return Version({n / 10, n % 10});
    }
    static const std::regex dotted(R"(\d+\.\d)");
    if (std::regex_match(text, dotted)) return Version::parse(text);
    return std::nullopt;
}

Answer cudnn_driver(const Stack& s, const KnowledgeBase& kb) {
    const auto& cuda = s.cudnn_cuda ? s.cudnn_cuda : s.runtime;
    if (!s.cudnn || !s.driver || !cuda) {
        return missing({{"--cudnn", s.cudnn.has_value()},
                        {"--driver", s.driver.has_value()},
                        {"--cudnn-cuda (or --runtime)", cuda.has_value()}});
    }
    Answer a = kb.cudnn_driver(*s.cudnn, *cuda, *s.driver, s.cc);
    return a;
}

Answer ptx_jit(const Stack& s, const KnowledgeBase& kb) {
    if (!s.toolkit || !s.driver)
        return missing({{"--toolkit", s.toolkit.has_value()}, {"--driver", s.driver.has_value()}});
    return kb.ptx_jit(*s.toolkit, *s.driver);
}

}  // namespace

namespace {

struct FeatureQuestion {
    const char* id;
    const char* feature;
    const char* words;
};
constexpr std::array kFeatures{
    FeatureQuestion{"precision-fp16", "fp16_arithmetic", "fp16 arithmetic"},
    FeatureQuestion{"precision-bf16", "bf16", "bf16"},
    FeatureQuestion{"precision-tf32", "tf32", "tf32 tensor cores"},
    FeatureQuestion{"precision-fp8", "fp8", "fp8"},
    FeatureQuestion{"precision-int8-tc", "int8_tensor_cores", "int8 tensor cores"},
    FeatureQuestion{"precision-dp4a", "dp4a", "dp4a (int8 dot product)"},
};

std::string gpu_words(const Stack& s) {
    if (!s.cc) return "the GPU";
    return s.gpu_name.empty() ? fmt::format("compute capability {}", s.cc->str())
                              : fmt::format("{} (compute capability {})", s.gpu_name, s.cc->str());
}

json citation_json(const Citation& c) {
    json j{{"where", c.where()}, {"url", c.url()}, {"sourced", c.sourced()}};
    if (!c.sources.empty()) j["title"] = c.sources.front().title;
    if (!c.note.empty()) j["note"] = c.note;
    return j;
}

json version_json(const std::optional<Version>& v) { return v ? json(v->str()) : json(nullptr); }

}  // namespace

void set_field(Stack& stack, const std::string& key, const std::string& value, const std::string& origin,
               const KnowledgeBase& kb) {
    if (key == "gpu") {
        if (auto cc = parse_cc(value)) {
            stack.cc = cc;
            static const std::regex suffixed(R"((?:sm|compute)_(\d+)([af]))", std::regex::icase);
            std::smatch m;
            stack.arch = std::regex_match(value, m, suffixed) ? "sm_" + m[1].str() + m[2].str() : std::string();
            stack.gpu_name.clear();
            stack.memory_bytes.reset();
            stack.gpu_evidence.clear();
            return;
        }
        const auto gpu = kb.gpu(value);
        if (!gpu) {
            throw InputError(fmt::format(
                "{}: '{}' is neither an architecture (sm_61, sm_90a, compute_75), a compute capability (8.6) nor a "
                "GPU the knowledge base knows (matrix/knowledge/hardware.yaml `gpus`); give the architecture instead",
                origin, value));
        }
        stack.cc = gpu->value.cc;
        stack.arch.clear();
        stack.gpu_name = gpu->value.name;
        stack.memory_bytes.reset();
        if (!gpu->value.memory_gib.empty()) {
            stack.memory_bytes = static_cast<std::uint64_t>(gpu->value.memory_gib.front()) << 30;
        }
        stack.gpu_evidence = {gpu->citation};
        return;
    }
    std::optional<Version>* field = key == "driver"        ? &stack.driver
                                    : key == "toolkit"     ? &stack.toolkit
                                    : key == "runtime"     ? &stack.runtime
                                    : key == "cudnn"       ? &stack.cudnn
                                    : key == "cudnn_cuda"  ? &stack.cudnn_cuda
                                    : key == "built_cudnn" ? &stack.built_cudnn
                                                           : nullptr;
    if (!field) {
        throw InputError(fmt::format("{}: unknown key '{}'; accepted: {}, env", origin, key,
                                     join(std::vector<std::string>(kKeys.begin(), kKeys.end()), ", ")));
    }
    auto v = Version::parse(value);
    if (!v)
        throw InputError(
            fmt::format("{}: '{}' is not a version; write it dotted, e.g. 12.4 or 535.104.05", origin, value));
    *field = v;
}

void read_stack_file(Stack& stack, const std::string& path, const KnowledgeBase& kb) {
    std::ifstream in(path);
    if (!in) throw InputError(fmt::format("--file {}: cannot be read; check the path", path));
    const json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        throw InputError(
            fmt::format("--file {}: not a JSON object; expected e.g. {{\"driver\": \"535.104.05\", "
                        "\"runtime\": \"12.4\", \"gpu\": \"T4\"}}",
                        path));
    }
    for (const auto& [key, value] : j.items()) {
        if (key == "env") {
            if (!value.is_object())
                throw InputError(fmt::format("--file {}: \"env\" must be an object of strings", path));
            for (const auto& [name, v] : value.items()) {
                if (!v.is_string() && !v.is_null()) {
                    throw InputError(fmt::format("--file {}: env.{} must be a string or null (unset)", path, name));
                }
                stack.env[name] = v.is_null() ? std::nullopt : std::optional(v.get<std::string>());
            }
            continue;
        }
        if (!value.is_string()) {
            throw InputError(fmt::format("--file {}: \"{}\" must be a string such as \"12.4\"", path, key));
        }
        set_field(stack, key, value.get<std::string>(), fmt::format("--file {}: \"{}\"", path, key), kb);
    }
}

std::optional<knowledge::Fact<Version>> driver_cuda(const Version& driver, const KnowledgeBase& kb) {
    std::optional<knowledge::Fact<Version>> best;
    for (const auto& entry : kb.entries()) {
        if (entry.kind != "toolkit.driver") continue;
        const auto toolkit = Version::parse(entry.key);
        if (!toolkit) continue;
        const auto min = kb.min_driver(mm(*toolkit));
        if (min && driver >= min->value && (!best || mm(*toolkit) > best->value)) {
            best = knowledge::Fact<Version>{mm(*toolkit), min->citation};
        }
    }
    return best;
}

std::vector<Question> ask(const Stack& s, const KnowledgeBase& kb) {
    std::vector<Question> out;
    auto add = [&](const char* id, std::string text, Answer answer) {
        out.push_back({id, std::move(text), std::move(answer)});
    };
    add("runtime-on-driver",
        fmt::format("Does CUDA runtime {}{} run on driver {}?", opt_str(s.runtime),
                    s.runtime_from_toolkit ? " (the toolkit's: no --runtime given)" : "", opt_str(s.driver)),
        s.runtime && s.driver ? kb.runtime_runs_on_driver(*s.runtime, *s.driver)
                              : missing({{"--runtime", s.runtime.has_value()}, {"--driver", s.driver.has_value()}}));
    // An 'a' or 'f' target is a target of its own: nvcc must know it exactly. A GPU (name, CC, plain sm_XY) runs
    // what nvcc can build for it, its own architecture or one of the same major and a lower minor.
    add("nvcc-targets",
        s.arch.empty() ? fmt::format("Can nvcc of CUDA {} build code for {}?", opt_str(s.toolkit), gpu_words(s))
                       : fmt::format("Does nvcc of CUDA {} accept -arch={}?", opt_str(s.toolkit), s.arch),
        !s.toolkit || !s.cc ? missing({{"--toolkit", s.toolkit.has_value()}, {"--gpu", s.cc.has_value()}})
        : s.arch.empty()    ? kb.nvcc_builds_for(*s.toolkit, *s.cc)
                            : kb.nvcc_supports(*s.toolkit, s.arch));
    add("cudnn-arch", fmt::format("Does cuDNN {} support {}?", opt_str(s.cudnn), gpu_words(s)),
        s.cudnn && s.cc ? kb.cudnn_supports_cc(*s.cudnn, *s.cc)
                        : missing({{"--cudnn", s.cudnn.has_value()}, {"--gpu", s.cc.has_value()}}));
    add("cudnn-cuda", fmt::format("Is there a cuDNN {} build for CUDA {}?", opt_str(s.cudnn), opt_str(s.cudnn_cuda)),
        s.cudnn && s.cudnn_cuda
            ? kb.cudnn_supports_cuda(*s.cudnn, *s.cudnn_cuda)
            : missing({{"--cudnn", s.cudnn.has_value()}, {"--cudnn-cuda", s.cudnn_cuda.has_value()}}));
    add("cudnn-rule",
        fmt::format("Do the frameworks accept cuDNN {} loaded under a build against {}?", opt_str(s.cudnn),
                    opt_str(s.built_cudnn)),
        s.cudnn && s.built_cudnn
            ? kb.cudnn_compatible(*s.built_cudnn, *s.cudnn)
            : missing({{"--built-cudnn", s.built_cudnn.has_value()}, {"--cudnn", s.cudnn.has_value()}}));
    add("cudnn-driver",
        fmt::format("Does driver {} meet cuDNN {}'s minimum driver?", opt_str(s.driver), opt_str(s.cudnn)),
        cudnn_driver(s, kb));
    add("ptx-jit", fmt::format("Can driver {} JIT-compile PTX from CUDA {}?", opt_str(s.driver), opt_str(s.toolkit)),
        ptx_jit(s, kb));
    for (const auto& f : kFeatures) {
        add(f.id, fmt::format("Does {} have {} in hardware?", gpu_words(s), f.words),
            s.cc ? kb.has_feature(f.feature, *s.cc) : missing({{"--gpu", false}}));
    }
    for (auto& q : out) {
        q.informational = q.id.starts_with("precision-") || q.id == "ptx-jit";
        if (q.id.starts_with("precision-") || q.id == "cudnn-arch" || q.id == "nvcc-targets") {
            // A GPU resolved by name rests on the knowledge base's GPU table too.
            q.answer.evidence.insert(q.answer.evidence.end(), s.gpu_evidence.begin(), s.gpu_evidence.end());
        }
    }
    return out;
}

results::Fingerprint synthetic_fingerprint(const Stack& s, const KnowledgeBase& kb) {
    json fp{{"schema", "cuconform.fingerprint/1"},
            {"synthetic", true},
            {"created", now_iso8601()},
            {"cuconform", CUCONFORM_VERSION},
            {"host", {{"arch", "x86_64"}}}};
    // A hypothetical toolkit compiles its kernels with its own nvcc.
    fp["toolkit"] = {
        {"cuda", version_json(s.toolkit)}, {"cudnn", version_json(s.built_cudnn)}, {"nvcc", version_json(s.toolkit)}};
    json driver{{"present", s.driver.has_value()}, {"version", version_json(s.driver)}, {"cuda", nullptr}};
    if (s.driver) {
        if (auto cuda = driver_cuda(*s.driver, kb)) driver["cuda"] = cuda->value.str();
    }
    fp["driver"] = driver;
    fp["runtime"] = {{"present", s.runtime.has_value()}, {"version", version_json(s.runtime)}};
    fp["cudnn"] = {{"present", s.cudnn.has_value()},
                   {"loaded", version_json(s.cudnn)},
                   {"built", version_json(s.built_cudnn)},
                   {"cudart", version_json(s.cudnn_cuda)}};
    // cuBLAS ships with the CUDA runtime: present exactly when a runtime is.
    fp["cublas"] = {{"present", s.runtime.has_value()}};
    fp["gpus"] = json::array();
    if (s.cc) {
        json gpu{{"index", 0}, {"cc", s.cc->str()}, {"name", s.gpu_name.empty() ? arch_of(*s.cc) : s.gpu_name}};
        if (s.memory_bytes) gpu["memory_bytes"] = *s.memory_bytes;
        fp["gpus"].push_back(gpu);
    }
    if (!s.driver) {
        fp["gpu_error"] = {{"name", "DRIVER_NOT_FOUND"}, {"message", "no --driver given for this stack"}};
    }
    json env = json::object();
    for (const auto& [name, value] : s.env) env[name] = value ? json(*value) : json(nullptr);
    fp["env"] = env;
    return results::parse_fingerprint(fp);
}

std::vector<CasePrediction> predict_cases(const results::Fingerprint& fingerprint,
                                          const std::vector<std::string>& unspecified) {
    std::vector<CasePrediction> out;
    for (const auto& spec : CaseRegistry::instance().all()) {
        for (const auto& variant : spec.runs()) {
            CasePrediction p{spec.id, spec.family(), variant.name, spec.title, spec.needs_gpu(), {}, {}, {}};
            try {
                p.decision = decide_expectation(spec, variant, fingerprint);
            } catch (const std::exception& e) {
                p.error = e.what();
            }
            // The facts the deciding rule read ("cudnn = false; driver.version = ..."): one of a part not given
            // makes the outcome depend on it.
            for (const auto& part : unspecified) {
                const std::regex read("(^|; )" + part + "(\\.[a-z_.]+)? = ");
                if (std::regex_search(p.decision.why, read) || p.decision.rule_text.find(part) != std::string::npos) {
                    p.unspecified.push_back(part);
                }
            }
            out.push_back(std::move(p));
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.family < b.family; });
    return out;
}

Prediction predict(const Stack& given, const KnowledgeBase& kb) {
    Stack stack = given;
    // The application's runtime is the one its toolkit ships, unless another is given.
    if (!stack.runtime && stack.toolkit) {
        stack.runtime = stack.toolkit;
        stack.runtime_from_toolkit = true;
    }
    Prediction p;
    if (!stack.driver) p.unspecified.push_back("driver");
    if (!stack.runtime) p.unspecified.push_back("runtime");
    if (!stack.cudnn) p.unspecified.push_back("cudnn");
    if (!stack.cc) p.unspecified.push_back("gpu");
    if (!stack.toolkit) p.unspecified.push_back("toolkit");
    p.fingerprint = synthetic_fingerprint(stack, kb);
    p.questions = ask(stack, kb);
    p.cases = predict_cases(p.fingerprint, p.unspecified);
    return p;
}

json to_json(const Prediction& p) {
    json questions = json::array();
    std::size_t counts[3] = {};
    for (const auto& q : p.questions) {
        ++counts[static_cast<int>(q.answer.value)];
        json evidence = json::array();
        for (const auto& c : q.answer.evidence) evidence.push_back(citation_json(c));
        questions.push_back({{"id", q.id},
                             {"question", q.text},
                             {"answer", std::string(knowledge::to_string(q.answer.value))},
                             {"reason", q.answer.reason},
                             {"rule", q.answer.rule},
                             {"informational", q.informational},
                             {"source_url", q.answer.url()},
                             {"evidence", evidence}});
    }
    json cases = json::array();
    for (const auto& c : p.cases) {
        json j{{"id", c.case_id},
               {"family", c.family},
               {"variant", c.variant},
               {"title", c.title},
               {"needs_gpu", c.needs_gpu}};
        if (!c.error.empty()) {
            j["error"] = c.error;
        } else if (!c.unspecified.empty()) {
            j["unspecified"] = c.unspecified;
        } else {
            j["expected"] = c.decision.outcome;
            j["expected_text"] = c.decision.outcome.str();
            j["rule_index"] = c.decision.rule_index;
            j["rule"] = c.decision.rule_text;
            j["why"] = c.decision.why;
        }
        cases.push_back(j);
    }
    return {{"schema", kPredictSchema},
            {"stack", results::to_json(p.fingerprint)},
            {"questions", questions},
            {"unspecified", p.unspecified},
            {"summary", {{"yes", counts[0]}, {"no", counts[1]}, {"unknown", counts[2]}}},
            {"cases", cases}};
}

void write_human(std::ostream& out, const Prediction& p) {
    out << "Stack questions (answers from the knowledge base; unknown means no sourced fact decides it)\n\n";
    for (const auto& q : p.questions) {
        out << fmt::format("  {:<18} {:<7} {}\n", q.id, knowledge::to_string(q.answer.value), q.text);
        out << fmt::format("  {:<18} {:<7} {}{}\n", "", "", q.answer.reason,
                           q.answer.rule.empty() ? "" : fmt::format(" [rule: {}]", q.answer.rule));
        if (q.informational && q.answer.no()) {
            out << fmt::format("  {:<18} {:<7} (informational: does not fail the exit code)\n", "", "");
        }
        std::set<std::string> seen;
        for (const auto& c : q.answer.evidence) {
            const std::string line =
                c.sourced() ? fmt::format("{} ({})", c.url(), c.where()) : fmt::format("unsourced ({})", c.where());
            if (seen.insert(line).second) out << fmt::format("  {:<18} {:<7} source: {}\n", "", "", line);
        }
    }
    out << fmt::format("\nCases: the expected outcome on this stack and the rule that decided{}\n",
                       p.unspecified.empty() ? ""
                                             : fmt::format(" (not given, so unspecified: {}; a case whose rule reads "
                                                           "them is not predicted)",
                                                           join(p.unspecified, ", ")));
    std::string family;
    for (const auto& c : p.cases) {
        if (c.family != family) {
            family = c.family;
            out << "\n  " << family << '\n';
        }
        const std::string name = c.variant == "default" ? c.case_id : c.case_id + " [" + c.variant + "]";
        if (!c.error.empty()) {
            out << fmt::format("    {:<56} cannot evaluate: {}\n", name, c.error);
            continue;
        }
        if (!c.unspecified.empty()) {
            out << fmt::format("    {:<56} depends on {} (not given)\n", name, join(c.unspecified, ", "));
            continue;
        }
        out << fmt::format("    {:<56} {}{}\n", name, c.decision.outcome.str(), c.needs_gpu ? "  (needs a GPU)" : "");
        out << fmt::format("    {:<56} rule {}: {}\n", "", c.decision.rule_index + 1, c.decision.rule_text);
    }
    std::size_t counts[3] = {};
    for (const auto& q : p.questions) ++counts[static_cast<int>(q.answer.value)];
    out << fmt::format("\n{} yes, {} no, {} unknown; {} case runs predicted\n", counts[0], counts[1], counts[2],
                       p.cases.size());
}

int exit_code(const Prediction& p) {
    return std::any_of(p.questions.begin(), p.questions.end(),
                       [](const auto& q) { return q.answer.no() && !q.informational; })
               ? 1
               : 0;
}

}  // namespace cuconform::predict
