// SPDX-License-Identifier: Apache-2.0
/// \file The checks of a consumer's framework, each with the framework's own rule and words.
#include "doctor/framework_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/version.h"
#include "knowledge/frameworks.h"

namespace cuconform::doctor {
namespace fs = std::filesystem;

namespace {

/// The distribution prefix that ships a component's library.
const std::map<std::string, std::vector<std::string>>& kPackages() {
    static const std::map<std::string, std::vector<std::string>> packages = {{"cudnn", {"nvidia-cudnn-cu"}},
                                                                             {"cudart", {"nvidia-cuda-runtime"}},
                                                                             {"cublas", {"nvidia-cublas"}},
                                                                             {"nvrtc", {"nvidia-cuda-nvrtc"}}};
    return packages;
}

/// The component a stack library belongs to ("libcudnn_ops.so.9" -> cudnn).
std::string component_of(const std::string& soname) {
    const std::string base = fs::path(soname).filename().string();
    if (base.rfind("libcudnn", 0) == 0) return "cudnn";
    if (base.rfind("libcudart", 0) == 0) return "cudart";
    if (base.rfind("libcublas", 0) == 0) return "cublas";
    if (base.rfind("libnvrtc", 0) == 0) return "nvrtc";
    return "";
}

const results::Pin* pin_for(const results::Framework& fw, const std::string& component) {
    const auto it = kPackages().find(component);
    if (it == kPackages().end()) return nullptr;
    for (const auto& pin : fw.pins) {
        for (const auto& prefix : it->second) {
            if (pin.package.rfind(prefix, 0) == 0) return &pin;
        }
    }
    return nullptr;
}

std::string display(const results::Framework& fw) {
    if (const auto* facts = knowledge::Frameworks::builtin().find(fw.name)) return facts->display;
    return fw.name;
}

std::string label(const results::Framework& fw) { return fmt::format("{} {}", display(fw), fw.version); }

/// Where a library comes from, in words: "the environment", "the user site-packages", "NVIDIA's wheels under DIR",
/// "DIR".
std::string origin_of(const results::Consumer& c, const std::string& path) {
    if (c.python) {
        std::error_code ec;
        const std::string real = fs::weakly_canonical(path, ec).string();
        auto under = [&](const std::string& dir) {
            if (dir.empty()) return false;
            const std::string d = fs::weakly_canonical(dir, ec).string();
            return real.rfind(d + "/", 0) == 0;
        };
        if (c.python->user_site && under(*c.python->user_site)) return "the user site-packages";
        if (under(c.python->prefix) && c.python->prefix != c.python->base_prefix) return "the environment";
        for (const auto& entry : c.python->sys_path) {
            if (entry.find("-packages") != std::string::npos && under(entry)) return "site-packages " + entry;
        }
    }
    std::error_code ec;
    const std::string real = fs::weakly_canonical(path, ec).string();
    if (const auto at = real.find("/nvidia/"); at != std::string::npos)
        return fmt::format("NVIDIA's wheels under {}", real.substr(0, at));
    return fs::path(real).parent_path().string();
}

const results::Resolution* resolution_of(const results::Consumer& c, const std::string& soname) {
    for (const auto& r : c.libraries) {
        if (fs::path(r.soname).filename() == soname) return &r;
    }
    return nullptr;
}

class FrameworkExaminer {
public:
    FrameworkExaminer(const results::Fingerprint& fp, std::vector<Finding>& out)
        : fp_(fp),
          c_(*fp.consumer),
          fw_ptr_(stack_view(fp).framework),
          fw_(fw_ptr_ ? *fw_ptr_ : no_framework()),
          out_(out) {}

    void run() {
        if (fw_ptr_ != nullptr) {
            check_import();
            check_pins();
            check_cudnn();
            check_cuda();
            check_cublas();
        } else {
            check_native_load();
        }
        check_ld_library_path();
        check_mixed();
        if (fw_ptr_ != nullptr) {
            check_visible_devices();
            check_own_check();
        }
    }

private:
    static const results::Framework& no_framework() {
        static const results::Framework none;
        return none;
    }

    /// "PyTorch 2.15.0", or the consumer's file for a consumer without a framework.
    std::string who() const { return fw_ptr_ ? label(fw_) : fmt::format("the consumer {}", c_.path); }

    /// A native consumer that cannot be loaded (a library it needs is missing).
    void check_native_load() {
        for (const auto& problem : c_.problems) {
            if (problem.rfind("loading ", 0) != 0) continue;
            out_.push_back({"consumer.load_fails", Severity::Error,
                            fmt::format("{} cannot be loaded: a library it needs is missing", c_.path), problem,
                            "Install the missing library where the consumer's DT_RPATH / DT_RUNPATH points, or on "
                            "LD_LIBRARY_PATH."});
        }
    }

    std::map<std::string, std::optional<std::string>> env() const { return fp_.env; }

    void check_import() {
        const std::string prefix = fmt::format("import {}: ", fw_.name);
        for (const auto& problem : c_.problems) {
            if (problem.rfind(prefix, 0) != 0) continue;
            const std::string error = problem.substr(prefix.size());
            std::string component;
            for (const char* name : {"libcudnn", "libcudart", "libcublas", "libnvrtc"}) {
                if (error.find(name) != std::string::npos) component = component_of(name + std::string(".so"));
            }
            const auto fix = component.empty() ? std::nullopt : framework_fix(fp_, component);
            predicted_refusal_ = true;
            out_.push_back({"framework.import_fails", Severity::Error,
                            fmt::format("`import {}` fails: a library it needs cannot be loaded", fw_.name),
                            fmt::format("{} ({}): {}", label(fw_), fw_.location, error),
                            fix.value_or(fmt::format("Reinstall {} with its CUDA wheels ({} -m pip install "
                                                     "--force-reinstall {}=={}).",
                                                     fw_.name, python(), fw_.name, bare_version()))});
        }
    }

    std::string python() const { return c_.python ? c_.python->executable : std::string("python"); }
    std::string bare_version() const { return fw_.version.substr(0, fw_.version.find('+')); }

    void check_pins() {
        for (const auto& [component, prefixes] : kPackages()) {
            const auto* pin = pin_for(fw_, component);
            if (pin == nullptr) continue;
            const std::string soname_prefix = component == "cudnn"    ? "libcudnn.so"
                                              : component == "cudart" ? "libcudart.so"
                                              : component == "cublas" ? "libcublas.so"
                                                                      : "libnvrtc.so";
            const results::Resolution* used = nullptr;
            for (const auto& r : c_.libraries) {
                if (fs::path(r.soname).filename().string().rfind(soname_prefix, 0) == 0) {
                    used = &r;
                    break;
                }
            }
            const std::string fix = framework_fix(fp_, component).value_or("");
            if (!pin->installed) {
                const bool fallback = used != nullptr && used->found;
                const std::string where = fallback ? fmt::format("it falls back to {} ({}, {})", used->path,
                                                                 origin_of(c_, used->path), used->why)
                                                   : "no other copy is found";
                out_.push_back({"framework.wheel_missing", fallback ? Severity::Warning : Severity::Error,
                                fmt::format("{} pins {} but it is not installed: {}", label(fw_),
                                            pip_requirement(pin->package, pin->spec),
                                            fallback ? "it loads another copy" : "nothing provides it"),
                                fmt::format("{} Requires-Dist: {}{}{}; not in {}; {}", fw_.name, pin->package,
                                            pin->spec, pin->marker.empty() ? "" : "; " + pin->marker,
                                            c_.python ? c_.python->prefix : c_.path, where),
                                fix});
            } else if (!knowledge::requirement_satisfied(*pin->installed, pin->spec)) {
                out_.push_back({"framework.wheel_version", Severity::Warning,
                                fmt::format("{} pins {} but {} {} is installed", label(fw_),
                                            pip_requirement(pin->package, pin->spec), pin->package, *pin->installed),
                                fmt::format("{} Requires-Dist: {}{}; installed: {} {}", fw_.name, pin->package,
                                            pin->spec, pin->package, *pin->installed),
                                fix});
            }
        }
    }

    /// Asks the framework's rule; records the finding. Returns the verdict.
    void judge(const std::string& component, const std::string& built_text,
               const std::optional<std::string>& loaded_text, const std::string& path, const std::string& why,
               const std::string& fix_component) {
        const auto built = Version::parse(built_text);
        const auto loaded = loaded_text ? Version::parse(*loaded_text) : std::nullopt;
        if (!built || !loaded) return;
        const auto& kb = knowledge::Frameworks::builtin();
        const auto verdict = kb.accepts(fw_.name, component, *built, *loaded, fp_.has_gpu(), env());
        const std::string names = component == "cudnn" ? "cuDNN" : component == "cuda" ? "CUDA runtime" : "cuBLAS";
        const std::string evidence_head =
            fmt::format("{} was built against {} {} ({}); it will load {} {} from {} ({})", label(fw_), names,
                        built->str(), fw_.built_source, names, loaded->str(), path, why);
        const std::string source = verdict.answer.url();
        if (verdict.answer.no()) {
            predicted_refusal_ = true;
            out_.push_back({fmt::format("framework.{}_refused", component), Severity::Error,
                            fmt::format("{} will refuse the {} it loads: built against {}, loads {}", label(fw_), names,
                                        built->str(), loaded->str()),
                            fmt::format("{}; {}'s check ({}) says: {}", evidence_head, display(fw_),
                                        verdict.rule ? verdict.rule->where : "", verdict.answer.reason),
                            framework_fix(fp_, fix_component)
                                .value_or(fmt::format("Install {} {} or a newer minor of {}.x where {} loads it.",
                                                      names, built->str(), built->major(), fw_.name)),
                            source});
        } else if (verdict.answer.yes()) {
            out_.push_back({fmt::format("framework.{}_accepted", component), Severity::Info,
                            fmt::format("{} accepts the {} it loads ({} built against {})", label(fw_), names,
                                        loaded->str(), built->str()),
                            fmt::format("{}; {}", evidence_head, verdict.answer.reason), "Nothing to do.", source});
        }
        // A rule the framework applies only on a GPU (XLA's cuDNN check) would answer otherwise there.
        if (!fp_.has_gpu()) {
            const auto on_gpu = kb.accepts(fw_.name, component, *built, *loaded, true, env());
            if (on_gpu.answer.no() && !verdict.answer.no()) {
                out_.push_back({fmt::format("framework.{}_refused_on_gpu", component), Severity::Warning,
                                fmt::format("{} accepts {} {} here, but refuses it where a GPU initialises it",
                                            label(fw_), names, loaded->str()),
                                fmt::format("{}; on a GPU, {} ({}) says: {}", evidence_head,
                                            on_gpu.rule ? on_gpu.rule->where : "the framework",
                                            on_gpu.rule ? on_gpu.rule->citation.url() : "", on_gpu.answer.reason),
                                framework_fix(fp_, fix_component).value_or(""), on_gpu.answer.url()});
            }
        }
    }

    void check_cudnn() {
        const auto& cudnn = c_.cudnn;
        if (!cudnn.present || !fw_.built.contains("cudnn")) return;
        const auto* r = resolution_of(c_, cudnn.library.soname);
        judge("cudnn", fw_.built.at("cudnn"), cudnn.loaded, cudnn.library.path, r ? r->why : "", "cudnn");
    }

    void check_cuda() {
        const auto& rt = c_.runtime;
        if (!rt.present || !rt.version || !fw_.built.contains("cuda")) return;
        const auto built = Version::parse(fw_.built.at("cuda"));
        const auto loaded = Version::parse(*rt.version);
        if (!built || !loaded) return;
        const auto* r = resolution_of(c_, rt.library.soname);
        const auto* facts = knowledge::Frameworks::builtin().find(fw_.name);
        const bool has_rule =
            facts != nullptr && std::any_of(facts->rules.begin(), facts->rules.end(),
                                            [](const auto& rule) { return rule.component == "cuda"; });
        if (has_rule) judge("cuda", built->str(), rt.version, rt.library.path, r ? r->why : "", "cudart");
        if (loaded->major() == built->major() && loaded->truncated(2) < built->truncated(2)) {
            out_.push_back(
                {"framework.runtime_older", Severity::Warning,
                 fmt::format("The CUDA runtime {} loads is older than the toolkit it was built with: {} < {}",
                             label(fw_), loaded->str(), built->truncated(2).str()),
                 fmt::format("{} built with CUDA {} ({}); it loads libcudart {} from {} ({}); a function "
                             "added after {} fails when called (undefined symbol or "
                             "cudaErrorCallRequiresNewerDriver)",
                             label(fw_), built->str(), fw_.built_source, loaded->str(), rt.library.path,
                             r ? r->why : "", loaded->str()),
                 framework_fix(fp_, "cudart")
                     .value_or(fmt::format("Install the CUDA {} runtime {} pins.", built->str(), fw_.name))});
        } else if (!has_rule && loaded->major() != built->major()) {
            out_.push_back({"framework.runtime_major", Severity::Error,
                            fmt::format("{} loads a CUDA {} runtime but was built for CUDA {}", label(fw_),
                                        loaded->major(), built->major()),
                            fmt::format("libcudart {} from {}", loaded->str(), rt.library.path),
                            framework_fix(fp_, "cudart").value_or("")});
        }
    }

    void check_cublas() {
        const auto& blas = c_.cublas;
        if (!blas.present || !fw_.built.contains("cublas")) return;
        const auto* r = resolution_of(c_, blas.library.soname);
        judge("cublas", fw_.built.at("cublas"), blas.version, blas.library.path, r ? r->why : "", "cublas");
    }

    void check_ld_library_path() {
        const auto ld = fp_.env_value("LD_LIBRARY_PATH");
        if (!ld || ld->empty()) return;
        std::vector<std::string> ignored;
        std::set<std::string> seen;
        for (const auto& r : c_.libraries) {
            if (!r.found || r.via == "LD_LIBRARY_PATH") continue;
            if (r.mapped && fs::path(*r.mapped).parent_path() != fs::path(r.path).parent_path() &&
                std::any_of(r.passed_over.begin(), r.passed_over.end(), [&](const results::Copy& p) {
                    return p.via == "LD_LIBRARY_PATH" && p.path == *r.mapped;
                })) {
                continue;  // the real loader did take the LD_LIBRARY_PATH copy
            }
            if (!seen.insert(fs::path(r.soname).filename().string()).second) continue;
            for (const auto& p : r.passed_over) {
                if (p.via != "LD_LIBRARY_PATH" || p.real_path == r.real_path) continue;
                ignored.push_back(fmt::format("{}: {} is not used, {} is ({})", fs::path(r.soname).filename().string(),
                                              p.path, r.path, r.why));
                break;
            }
        }
        if (ignored.empty()) return;
        out_.push_back({"consumer.ld_library_path_ignored", Severity::Warning,
                        fmt::format("LD_LIBRARY_PATH does not decide which CUDA libraries {} loads", who()),
                        fmt::format("LD_LIBRARY_PATH={}; {}", *ld, fmt::join(ignored, "; ")),
                        fmt::format("Its own copies are found first (a DT_RPATH is searched before LD_LIBRARY_PATH, "
                                    "and a library loaded by full path answers every later lookup): remove those "
                                    "entries from LD_LIBRARY_PATH, or change the copies in {} instead.",
                                    c_.python ? c_.python->prefix : fs::path(c_.path).parent_path().string())});
    }

    void check_mixed() {
        std::map<std::string, std::set<std::string>> by_origin;
        std::map<std::string, std::set<std::string>> components_by_origin;
        for (const auto& r : c_.libraries) {
            if (!r.found || r.how == "if asked" || r.load_error) continue;  // only what it really loads
            const std::string base = fs::path(r.soname).filename().string();
            if (base.rfind("libcuda.so", 0) == 0) continue;  // the driver belongs to the system
            const std::string path = r.mapped.value_or(r.path);
            const std::string origin = origin_of(c_, path);
            by_origin[origin].insert(base);
            components_by_origin[origin].insert(component_of(base));
        }
        if (by_origin.size() < 2) return;
        std::vector<std::string> parts;
        for (const auto& [origin, libs] : by_origin)
            parts.push_back(fmt::format("{}: {}", origin, fmt::join(libs, " ")));
        // What to install: the components that come from outside the framework's own environment.
        std::set<std::string> outside;
        for (const auto& [origin, components] : components_by_origin) {
            if (origin != "the environment") outside.insert(components.begin(), components.end());
        }
        std::vector<std::string> installs;
        for (const char* component : {"cudnn", "cudart", "cublas", "nvrtc"}) {
            if (!outside.contains(component)) continue;
            if (const auto fix = framework_fix(fp_, component)) installs.push_back(*fix);
        }
        out_.push_back({"consumer.mixed_copies", Severity::Warning,
                        fmt::format("{} loads CUDA libraries from more than one installation", who()),
                        fmt::format("{}", fmt::join(parts, "; ")),
                        installs.empty() ? std::string("Make one installation provide every library (install the "
                                                       "missing ones next to the others).")
                                         : fmt::format("Install what {} pins so that its environment provides every "
                                                       "library: {}",
                                                       fw_.name, fmt::join(installs, " ; "))});
    }

    void check_visible_devices() {
        const auto value = fp_.env_value("CUDA_VISIBLE_DEVICES");
        if (!value) return;
        const auto devices = knowledge::Frameworks::builtin().visible_devices(fw_.name, *value);
        if (!devices) return;
        const auto* facts = knowledge::Frameworks::builtin().find(fw_.name);
        std::string source, where;
        for (const auto& rule : facts->rules) {
            if (rule.component == "visible_devices") {
                source = rule.citation.url();
                where = rule.where;
            }
        }
        const std::string list = fmt::format("[{}]", fmt::join(*devices, ", "));
        if (devices->empty()) {
            out_.push_back(
                {"framework.visible_devices_none", Severity::Error,
                 fmt::format("{} sees no GPU: it parses CUDA_VISIBLE_DEVICES=\"{}\" as no device", label(fw_), *value),
                 fmt::format("{} = [] for CUDA_VISIBLE_DEVICES=\"{}\" (an empty or negative first entry, or "
                             "a repeated id, gives the empty list)",
                             where, *value),
                 "List each GPU once, by index or full UUID (CUDA_VISIBLE_DEVICES=0,1), or unset it.", source});
        } else {
            out_.push_back(
                {"framework.visible_devices", Severity::Info,
                 fmt::format("{} reads CUDA_VISIBLE_DEVICES=\"{}\" as the devices {}", label(fw_), *value, list),
                 fmt::format("{} = {}", where, list), "Nothing to do if those are the GPUs meant.", source});
        }
    }

    void check_own_check() {
        if (!fw_.check) return;
        const auto& check = *fw_.check;
        const auto* facts = knowledge::Frameworks::builtin().find(fw_.name);
        const std::string how = facts ? facts->check : fw_.name;
        if (check.status == "ok") {
            out_.push_back(
                {"framework.check_passed", Severity::Info, fmt::format("{}'s own check passes ({})", label(fw_), how),
                 fmt::format("{:.1f} s in {}; {}", check.seconds, python(), check.answers.dump()), "Nothing to do."});
        } else {
            const std::string id = check.status == "refused"   ? "framework.check_refused"
                                   : check.status == "crashed" ? "framework.check_crashed"
                                   : check.status == "timeout" ? "framework.check_timeout"
                                                               : "framework.check_failed";
            out_.push_back({id, Severity::Error,
                            fmt::format("{}'s own check {}", label(fw_),
                                        check.status == "refused"   ? "refuses this stack"
                                        : check.status == "crashed" ? "crashes its interpreter"
                                        : check.status == "timeout" ? "does not finish"
                                                                    : "fails"),
                            fmt::format("{} (in {}, {:.1f} s): {}", how, python(), check.seconds, check.message),
                            "See the other findings for the library at fault and its fix."});
        }
        if (check.status == "ok" || check.status == "refused" || check.status == "failed") {
            const bool framework_refuses = check.status != "ok";
            if (framework_refuses != predicted_refusal_) {
                out_.push_back(
                    {"framework.rule_disagrees", Severity::Warning,
                     fmt::format("{}'s own check and the knowledge base's rule disagree", label(fw_)),
                     fmt::format("{} itself: {}; the rule predicts: {}", fw_.name,
                                 framework_refuses ? "refuses (" + check.message + ")" : "accepts",
                                 predicted_refusal_ ? "refuses" : "accepts"),
                     "Trust the framework's own verdict; report this (with `cuconform probe --framework-check "
                     "-o FILE`) so the rule in matrix/knowledge/frameworks.yaml can be corrected."});
            }
        }
    }

    const results::Fingerprint& fp_;
    const results::Consumer& c_;
    const results::Framework* fw_ptr_;
    const results::Framework& fw_;
    std::vector<Finding>& out_;
    bool predicted_refusal_ = false;
};

}  // namespace

StackView stack_view(const results::Fingerprint& fp) {
    if (fp.consumer) {
        const auto& c = *fp.consumer;
        return {&c.runtime, &c.cudnn, &c.cublas, c.frameworks.empty() ? nullptr : &c.frameworks.front()};
    }
    return {&fp.runtime, &fp.cudnn, &fp.cublas, nullptr};
}

std::string pip_requirement(const std::string& package, const std::string& spec) {
    const bool plain = spec.empty() || (spec.rfind("==", 0) == 0 && spec.find(',') == std::string::npos &&
                                        spec.find('*') == std::string::npos);
    return plain ? package + spec : fmt::format("\"{}{}\"", package, spec);
}

std::optional<std::string> framework_fix(const results::Fingerprint& fp, const std::string& component) {
    if (!fp.consumer) return std::nullopt;
    const auto view = stack_view(fp);
    if (view.framework == nullptr) return std::nullopt;
    const auto& fw = *view.framework;
    const std::string python = fp.consumer->python ? fp.consumer->python->executable : "python";
    std::string requirement;
    if (const auto* pin = pin_for(fw, component)) {
        requirement = pip_requirement(pin->package, pin->spec);
    } else if (const auto* release = knowledge::Frameworks::builtin().release(fw.name, fw.version);
               release != nullptr && release->wheels.contains(component)) {
        // torch pins its CUDA runtime through the cuda-toolkit meta-package; the release entry names the wheel.
        const std::string wheel = release->wheels.at(component);
        const auto op = wheel.find_first_of("=<>~!");
        requirement = op == std::string::npos ? wheel : pip_requirement(wheel.substr(0, op), wheel.substr(op));
    } else {
        return std::nullopt;
    }
    return fmt::format("{} -m pip install {} (what {} {} pins)", python, requirement, fw.name, fw.version);
}

void framework_findings(const results::Fingerprint& fp, std::vector<Finding>& findings) {
    if (!fp.consumer) return;
    FrameworkExaminer(fp, findings).run();
}

}  // namespace cuconform::doctor
