// SPDX-License-Identifier: Apache-2.0
/// \file frameworks.yaml: reading and validating it, and the frameworks' rules applied to a stack.
#include "knowledge/frameworks.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/yaml.h"
#include "knowledge/reader.h"

namespace cuconform::knowledge {

namespace {

using yaml::line_of;

const std::set<std::string> kRules = {"major_equal_minor_at_least", "at_least_encoded", "same_major",
                                      "torch_parse_visible_devices"};
const std::set<std::string> kComponents = {"cudnn", "cuda", "cublas", "visible_devices"};

}  // namespace

/// Reads frameworks.yaml, failing at the offending node with what to do.
class FrameworksReader {
public:
    explicit FrameworksReader(std::string file)
        : file_(std::move(file)), name_(std::filesystem::path(file_).filename().string()) {}

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
        throw KnowledgeError(file_, line_of(at), message);
    }

    void keys(const YAML::Node& node, const std::string& what, const std::vector<std::string>& required,
              const std::vector<std::string>& optional) const {
        if (!node.IsMap()) fail(node, fmt::format("{} must be a mapping (key: value)", what));
        for (const auto& kv : node) {
            const std::string key = kv.first.Scalar();
            const bool known = std::find(required.begin(), required.end(), key) != required.end() ||
                               std::find(optional.begin(), optional.end(), key) != optional.end();
            if (!known) {
                std::vector<std::string> all(required);
                all.insert(all.end(), optional.begin(), optional.end());
                fail(kv.first,
                     fmt::format("unknown key '{}' in {}; the keys are: {}", key, what, fmt::join(all, ", ")));
            }
        }
        for (const auto& key : required) {
            if (!node[key]) fail(node, fmt::format("{} has no '{}'; add it", what, key));
        }
    }

    std::string text(const YAML::Node& node, const std::string& key, const std::string& what) const {
        const YAML::Node value = node[key];
        if (!value) return "";
        if (!value.IsScalar()) fail(value, fmt::format("'{}' of {} must be a string", key, what));
        return value.Scalar();
    }

    Version version(const YAML::Node& node, const std::string& what) const {
        if (!node.IsScalar()) fail(node, fmt::format("{} must be a quoted version (\"9.26.0\")", what));
        const auto v = Version::parse(node.Scalar());
        if (!v)
            fail(node,
                 fmt::format("{} is '{}', not a version: write digits and dots (\"9.26.0\")", what, node.Scalar()));
        return *v;
    }

    long integer(const YAML::Node& node, const std::string& what) const {
        try {
            return node.as<long>();
        } catch (const YAML::Exception&) {
            fail(node, fmt::format("{} must be a whole number", what));
        }
    }

    void sources(const YAML::Node& node) {
        if (!node || !node.IsMap() || node.size() == 0)
            fail(node ? node : root_, "'sources' must map ids to {url, title, kind}; add the sources the facts cite");
        for (const auto& kv : node) {
            const std::string id = kv.first.Scalar();
            const std::string what = fmt::format("source '{}'", id);
            keys(kv.second, what, {"url", "title", "kind"}, {"path"});
            const std::string url = text(kv.second, "url", what);
            if (!url.starts_with("https://") || url.find(' ') != std::string::npos)
                fail(kv.second["url"], fmt::format("{} has url '{}': write its https:// address", what, url));
            const std::string kind = text(kv.second, "kind", what);
            if (!detail::is_primary_site(url))
                fail(kv.second["url"], fmt::format("{} has url '{}', which is no primary source's site: cite the "
                                                   "framework's own repository or its package on pypi.org "
                                                   "(matrix/knowledge/README.md)",
                                                   what, url));
            if (std::find(std::begin(kSourceKinds), std::end(kSourceKinds), kind) == std::end(kSourceKinds))
                fail(kv.second["kind"], fmt::format("{} has kind '{}': write code (the framework's own code) or "
                                                    "package (its wheel on PyPI); docs, header and tool are NVIDIA's",
                                                    what, kind));
            if (sources_.contains(id)) fail(kv.first, fmt::format("source '{}' is defined twice; keep one", id));
            sources_[id] = Source{id, url, text(kv.second, "title", what), kind, text(kv.second, "path", what), true};
            source_lines_[id] = line_of(kv.first);
        }
    }

    Citation cite(const YAML::Node& fact, const std::string& what) {
        Citation c{name_, line_of(fact), {}, text(fact, "note", what), text(fact, "quote", what)};
        const YAML::Node source = fact["source"];
        if (!source)
            fail(fact, fmt::format("{} has no source: add `source: <id>` naming an entry of `sources:`", what));
        std::vector<YAML::Node> ids;
        if (source.IsSequence()) {
            for (const auto& id : source) ids.push_back(id);
        } else {
            ids.push_back(source);
        }
        if (ids.empty()) fail(source, fmt::format("{} has an empty source list", what));
        for (const auto& id_node : ids) {
            const auto found = sources_.find(id_node.Scalar());
            if (found == sources_.end()) {
                std::vector<std::string> known;
                for (const auto& [id, unused] : sources_) known.push_back(id);
                fail(id_node, fmt::format("{} cites unknown source '{}': define it under `sources:` or use one of {}",
                                          what, id_node.Scalar(), fmt::join(known, ", ")));
            }
            used_.insert(found->first);
            c.sources.push_back(found->second);
        }
        return c;
    }

    FrameworkRule rule(const YAML::Node& node, const std::string& framework) {
        const std::string what = fmt::format("a rule of {}", framework);
        keys(node, what, {"component", "rule", "source"},
             {"equal_minor_before_major", "min", "scale", "skip_env", "needs_gpu", "where", "message",
              "message_ld_library_path", "message_ld_library_path_other", "exceptions", "note", "quote"});
        FrameworkRule r;
        r.component = text(node, "component", what);
        if (!kComponents.contains(r.component))
            fail(node["component"], fmt::format("{} is for '{}': the components are cudnn, cuda, cublas, "
                                                "visible_devices",
                                                what, r.component));
        r.rule = text(node, "rule", what);
        if (!kRules.contains(r.rule))
            fail(node["rule"],
                 fmt::format("{} is '{}': the rules this build applies are "
                             "major_equal_minor_at_least, at_least_encoded, same_major, torch_parse_visible_devices",
                             what, r.rule));
        if (node["equal_minor_before_major"])
            r.equal_minor_before_major =
                static_cast<int>(integer(node["equal_minor_before_major"], "equal_minor_before_major"));
        if (node["min"]) r.min = integer(node["min"], "'min'");
        if (node["scale"]) r.scale = integer(node["scale"], "'scale'");
        if (r.scale <= 0) fail(node["scale"], "'scale' must be a positive whole number");
        r.skip_env = text(node, "skip_env", what);
        r.needs_gpu = node["needs_gpu"] && node["needs_gpu"].as<bool>(false);
        r.where = text(node, "where", what);
        r.message = text(node, "message", what);
        r.message_ld_library_path = text(node, "message_ld_library_path", what);
        r.message_ld_library_path_other = text(node, "message_ld_library_path_other", what);
        if (r.rule != "torch_parse_visible_devices" && r.message.empty())
            fail(node,
                 fmt::format("{} has no 'message': quote the framework's own words (with {{built}} and {{loaded}})",
                             what));
        if (const YAML::Node list = node["exceptions"]) {
            if (!list.IsSequence()) fail(list, "'exceptions' must be a list");
            for (const auto& e : list) {
                keys(e, "an exception", {"loaded", "message"}, {"unless_built"});
                FrameworkException ex{version(e["loaded"], "'loaded'"), std::nullopt,
                                      text(e, "message", "an exception")};
                if (e["unless_built"]) ex.unless_built = version(e["unless_built"], "'unless_built'");
                r.exceptions.push_back(std::move(ex));
            }
        }
        r.citation = cite(node, what);
        // The message is the framework's own words (its code's format string): the quote, unless one is given.
        if (r.citation.quote.empty()) r.citation.quote = r.message;
        entries_.push_back({"framework.rule", fmt::format("{}:{}:{}", framework, r.component, r.rule), r.citation});
        return r;
    }

    FrameworkRelease release(const YAML::Node& node, const std::string& framework) {
        const std::string what = fmt::format("a release of {}", framework);
        keys(node, what, {"version", "built", "source"}, {"wheels", "resolved", "note", "quote"});
        FrameworkRelease r;
        r.version = version(node["version"], "'version'").str();
        keys(node["built"], "'built'", {}, {"cuda", "cudnn", "cublas"});
        for (const auto& kv : node["built"]) r.built[kv.first.Scalar()] = version(kv.second, "a built version").str();
        if (const YAML::Node wheels = node["wheels"]) {
            keys(wheels, "'wheels'", {}, {"cudnn", "cudart", "cublas", "nvrtc"});
            for (const auto& kv : wheels) r.wheels[kv.first.Scalar()] = kv.second.Scalar();
        }
        if (const YAML::Node resolved = node["resolved"]) {
            keys(resolved, "'resolved'", {}, {"cuda", "cudnn", "cublas"});
            for (const auto& kv : resolved)
                r.resolved[kv.first.Scalar()] = version(kv.second, "a resolved version").str();
        }
        r.citation = cite(node, what);
        entries_.push_back({"framework.release", fmt::format("{}=={}", framework, r.version), r.citation});
        return r;
    }

    Frameworks read(const std::string& text_in, Frameworks out) {
        // Through the strict reader (core/yaml.h) like every other knowledge file: a key given twice, a second
        // document, nesting over its limit or an alias bomb are refused with file:line.
        try {
            root_ = yaml::load(text_in, file_);
        } catch (const yaml::Error& e) {
            throw KnowledgeError(file_, e.line(), e.detail());
        }
        if (!root_.IsMap())
            throw KnowledgeError(file_, 0,
                                 "a knowledge file is a mapping with `schema:`, `sources:` and `frameworks:`");
        keys(root_, "the top level", {"schema", "sources", "frameworks"}, {});
        if (integer(root_["schema"], "schema") != 2)
            fail(root_["schema"], "schema must be 2: this build reads schema 2 (matrix/knowledge/README.md)");
        sources(root_["sources"]);
        const YAML::Node list = root_["frameworks"];
        if (!list.IsMap()) fail(list, "'frameworks' maps a framework's name (torch, jax, tensorflow) to its facts");
        for (const auto& kv : list) {
            const std::string name = kv.first.Scalar();
            const std::string what = fmt::format("framework '{}'", name);
            keys(kv.second, what, {"display", "rules"}, {"check", "loading", "releases"});
            FrameworkFacts fw;
            fw.name = name;
            fw.display = text(kv.second, "display", what);
            fw.check = text(kv.second, "check", what);
            if (const YAML::Node loading = kv.second["loading"]) {
                keys(loading, "'loading'", {"source"}, {"note", "quote"});
                fw.loading = cite(loading, what + "'s loading");
                entries_.push_back({"framework.loading", name, fw.loading});
            }
            const YAML::Node rules = kv.second["rules"];
            if (!rules.IsSequence() || rules.size() == 0) fail(rules, fmt::format("{} needs a list of rules", what));
            for (const auto& r : rules) fw.rules.push_back(rule(r, name));
            if (const YAML::Node releases = kv.second["releases"]) {
                if (!releases.IsSequence()) fail(releases, "'releases' must be a list");
                for (const auto& r : releases) fw.releases.push_back(release(r, name));
            }
            out.frameworks_.push_back(std::move(fw));
        }
        for (const auto& [id, line] : source_lines_) {
            if (!used_.contains(id))
                throw KnowledgeError(file_, line,
                                     fmt::format("source '{}' is cited by no entry; cite it or remove it", id));
        }
        out.entries_ = entries_;
        out.summary_ = {name_, entries_.size(), 0, sources_.size()};
        return out;
    }

private:
    std::string file_, name_;
    YAML::Node root_;
    std::map<std::string, Source> sources_;
    std::map<std::string, int> source_lines_;
    std::set<std::string> used_;
    std::vector<Entry> entries_;
};

namespace {

std::string tuple_of(const Version& v) { return fmt::format("({}, {}, {})", v.major(), v.minor(), v.patch()); }

std::string format_message(std::string text, const std::map<std::string, std::string>& values) {
    for (const auto& [key, value] : values) {
        const std::string token = "{" + key + "}";
        for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at + value.size()))
            text.replace(at, token.size(), value);
    }
    return text;
}

/// Whether a loaded version of `component` is in the framework's known exceptions.
const FrameworkException* exception_for(const FrameworkRule& rule, const Version& built, const Version& loaded) {
    for (const auto& e : rule.exceptions) {
        if (loaded.truncated(3) == e.loaded && !(e.unless_built && built.truncated(3) == *e.unless_built)) return &e;
    }
    return nullptr;
}

}  // namespace

bool requirement_satisfied(const std::string& version_text, const std::string& specifier) {
    auto numeric = [](std::string text) {
        text = text.substr(0, text.find('+'));  // local version label
        std::size_t end = 0;
        while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) ++end;
        text = text.substr(0, end);
        while (!text.empty() && text.back() == '.') text.pop_back();
        return Version::parse(text);
    };
    const auto version = numeric(version_text);
    if (!version) return false;
    std::stringstream clauses(specifier);
    for (std::string clause; std::getline(clauses, clause, ',');) {
        clause.erase(std::remove(clause.begin(), clause.end(), ' '), clause.end());
        if (clause.empty()) continue;
        std::string op;
        for (const char* candidate : {"===", "~=", "==", "!=", ">=", "<=", ">", "<"}) {
            if (clause.rfind(candidate, 0) == 0) {
                op = candidate;
                break;
            }
        }
        if (op.empty()) return false;
        std::string bound_text = clause.substr(op.size());
        const bool prefix = bound_text.size() > 2 && bound_text.ends_with(".*");
        if (prefix) bound_text.resize(bound_text.size() - 2);
        const auto bound = numeric(bound_text);
        if (!bound) return false;
        const auto depth = bound->parts().size();
        bool ok = true;
        if (op == "==" || op == "===")
            ok = prefix ? version->truncated(depth) == *bound : *version == *bound;
        else if (op == "!=")
            ok = prefix ? version->truncated(depth) != *bound : !(*version == *bound);
        else if (op == ">=")
            ok = *version >= *bound;
        else if (op == "<=")
            ok = *version <= *bound;
        else if (op == ">")
            ok = *version > *bound;
        else if (op == "<")
            ok = *version < *bound;
        else if (op == "~=")
            ok = *version >= *bound && depth >= 2 && version->truncated(depth - 1) == bound->truncated(depth - 1);
        if (!ok) return false;
    }
    return true;
}

long encode_version(std::string_view component, const Version& v) {
    if (component == "cuda") return v.major() * 1000L + v.minor() * 10L;
    if (component == "cudnn")
        return v.major() >= 9 ? v.major() * 10000L + v.minor() * 100L + v.patch()
                              : v.major() * 1000L + v.minor() * 100L + v.patch();
    return v.major() * 10000L + v.minor() * 100L + v.patch();  // cuBLAS
}

Frameworks Frameworks::parse(const std::string& text, const std::string& file) {
    return FrameworksReader(file).read(text, Frameworks{});
}

Frameworks Frameworks::load(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw KnowledgeError(file.string(), 0, "cannot read the file");
    std::stringstream text;
    text << in.rdbuf();
    return parse(text.str(), file.string());
}

const Frameworks& Frameworks::builtin() {
    static const Frameworks frameworks = [] {
        const auto text = KnowledgeBase::builtin_text("frameworks.yaml");
        const auto dir = KnowledgeBase::override_dir();
        const std::string where =
            dir ? (*dir / "frameworks.yaml").string() : std::string("matrix/knowledge/frameworks.yaml (built in)");
        if (!text) throw KnowledgeError(where, 0, "there is no frameworks.yaml; restore it from matrix/knowledge");
        return parse(*text, where);
    }();
    return frameworks;
}

const FrameworkFacts* Frameworks::find(std::string_view name) const {
    for (const auto& fw : frameworks_) {
        if (fw.name == name) return &fw;
    }
    return nullptr;
}

const FrameworkRelease* Frameworks::release(std::string_view name, std::string_view version) const {
    const auto* fw = find(name);
    if (fw == nullptr) return nullptr;
    const std::string bare(version.substr(0, version.find('+')));
    const auto wanted = Version::parse(bare);
    for (const auto& r : fw->releases) {
        if (wanted && Version::parse(r.version) == *wanted) return &r;
    }
    return nullptr;
}

FrameworkVerdict Frameworks::accepts(std::string_view framework, std::string_view component, const Version& built,
                                     const Version& loaded, bool on_gpu,
                                     const std::map<std::string, std::optional<std::string>>& env) const {
    FrameworkVerdict verdict;
    const auto* fw = find(framework);
    if (fw == nullptr) {
        verdict.answer.reason = fmt::format("the knowledge base has no rules of {}", framework);
        return verdict;
    }
    const auto var = [&](const std::string& name) -> std::optional<std::string> {
        const auto it = env.find(name);
        return it == env.end() ? std::nullopt : it->second;
    };
    const std::map<std::string, std::string> values = {
        {"built", built.str()},
        {"loaded", loaded.str()},
        {"built_tuple", tuple_of(built)},
        {"loaded_tuple", tuple_of(loaded)},
        {"built_int", std::to_string(encode_version(component, built))},
        {"built_major", std::to_string(built.major())},
        {"loaded_int", std::to_string(encode_version(component, loaded))}};
    bool any = false;
    for (const auto& rule : fw->rules) {
        if (rule.component != component || (rule.needs_gpu && !on_gpu)) continue;
        any = true;
        verdict.rule = &rule;
        verdict.answer.evidence = {rule.citation};
        if (!rule.skip_env.empty() && var(rule.skip_env) == std::optional<std::string>("1")) {
            verdict.answer.value = Answer::Value::Yes;
            verdict.answer.reason = fmt::format("{}=1 turns {}'s check off", rule.skip_env, fw->display);
            continue;
        }
        bool ok = true;
        std::string words;
        auto refuse = [&](std::string text) {
            ok = false;
            words = std::move(text);
        };
        if (rule.rule == "major_equal_minor_at_least") {
            const bool equal_minor = rule.equal_minor_before_major && loaded.major() < *rule.equal_minor_before_major;
            const bool passes = loaded.major() == built.major() &&
                                (equal_minor ? loaded.minor() == built.minor() : loaded.minor() >= built.minor());
            if (!passes) {
                std::string text = format_message(rule.message, values);
                // torch adds a sentence about LD_LIBRARY_PATH when it is set.
                if (const auto ld = var("LD_LIBRARY_PATH"); ld && !rule.message_ld_library_path.empty()) {
                    const bool names_cuda =
                        ld->find("cuda") != std::string::npos || ld->find("cudnn") != std::string::npos;
                    text += format_message(
                        names_cuda ? rule.message_ld_library_path : rule.message_ld_library_path_other, values);
                }
                refuse(text);
            }
        } else if (rule.rule == "at_least_encoded") {
            const long minimum = rule.min.value_or(encode_version(component, built) / rule.scale);
            auto with_min = values;
            with_min["min"] = std::to_string(minimum);
            if (encode_version(component, loaded) < minimum) refuse(format_message(rule.message, with_min));
            if (ok) {
                if (const auto* e = exception_for(rule, built, loaded)) refuse(format_message(e->message, with_min));
            }
        } else if (rule.rule == "same_major") {
            if (loaded.major() != built.major()) refuse(format_message(rule.message, values));
        } else {
            continue;
        }
        if (!ok) {
            verdict.answer.value = Answer::Value::No;
            verdict.answer.reason = words;
            return verdict;
        }
        verdict.answer.value = Answer::Value::Yes;
        verdict.answer.reason = fmt::format("{} built against {} {} accepts {} {} ({}: {})", fw->display, component,
                                            built.str(), component, loaded.str(), rule.where, rule.rule);
    }
    if (!any) {
        verdict.answer.value = Answer::Value::Unknown;
        verdict.answer.reason = fmt::format("the knowledge base has no rule of {} for {}{}", fw->display, component,
                                            on_gpu ? "" : " that applies without a GPU");
    }
    return verdict;
}

std::optional<std::vector<std::string>> Frameworks::visible_devices(std::string_view framework,
                                                                    const std::string& value) const {
    const auto* fw = find(framework);
    if (fw == nullptr) return std::nullopt;
    const bool torch_rule = std::any_of(fw->rules.begin(), fw->rules.end(),
                                        [](const FrameworkRule& r) { return r.rule == "torch_parse_visible_devices"; });
    if (!torch_rule) return std::nullopt;
    // torch/cuda/__init__.py _parse_visible_devices, statement by statement.
    std::vector<std::string> elems;
    {
        std::string item;
        for (char ch : value) {
            if (ch == ',') {
                elems.push_back(item);
                item.clear();
            } else {
                item += ch;
            }
        }
        elems.push_back(item);
    }
    std::vector<std::string> out;
    for (const char* prefix : {"GPU-", "MIG-"}) {
        if (value.rfind(prefix, 0) != 0) continue;
        for (const auto& e : elems) {
            if (std::find(out.begin(), out.end(), e) != out.end()) return std::vector<std::string>{};  // repeated id
            if (e.rfind(prefix, 0) != 0) break;
            out.push_back(e);
        }
        return out;
    }
    auto strtoul_like = [](const std::string& s) -> long {
        // _strtoul: the leading digits (a sign only first); -1 when none.
        if (s.empty()) return -1;
        std::size_t idx = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const char c = s[i];
            if (!(std::isdigit(static_cast<unsigned char>(c)) || (i == 0 && (c == '+' || c == '-')))) break;
            idx = i + 1;
        }
        if (idx == 0) return -1;
        try {
            return std::stol(s.substr(0, idx));
        } catch (const std::exception&) {
            return -1;  // a lone sign: Python's int('+') raises; torch would fail the same way
        }
    };
    std::vector<long> ordinals;
    for (const auto& e : elems) {
        std::string stripped = e;
        stripped.erase(0, stripped.find_first_not_of(" \t\n\r\f\v"));
        stripped.erase(stripped.find_last_not_of(" \t\n\r\f\v") + 1);
        const long x = strtoul_like(stripped);
        if (std::find(ordinals.begin(), ordinals.end(), x) != ordinals.end()) return std::vector<std::string>{};
        if (x < 0) break;
        ordinals.push_back(x);
    }
    for (long x : ordinals) out.push_back(std::to_string(x));
    return out;
}

}  // namespace cuconform::knowledge
