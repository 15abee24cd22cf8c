// SPDX-License-Identifier: Apache-2.0
/// \file The fingerprint to and from JSON (reports/schema/fingerprint.schema.json).
#include "results/fingerprint.h"

#include <fmt/format.h>

#include "results/record_io.h"

namespace cuconform::results {
using nlohmann::json;

namespace {

void put(json& j, const char* key, const std::optional<std::string>& value) {
    if (value) j[key] = *value;
}

json copies_json(const std::vector<Copy>& copies) {
    json out = json::array();
    for (const auto& c : copies) out.push_back({{"path", c.path}, {"real_path", c.real_path}, {"via", c.via}});
    return out;
}

std::vector<Copy> parse_copies(const Fields& parent, const char* key) {
    std::vector<Copy> copies;
    const json* list = parent.find(key);
    if (list == nullptr || list->is_null()) return copies;
    if (!list->is_array()) parent.fail(key, "expected a list, found " + kind_of(*list));
    for (std::size_t i = 0; i < list->size(); ++i) {
        const Fields c((*list)[i], fmt::format("{}[{}]", parent.path_of(key), i));
        copies.push_back({c.string("path"), c.string_or("real_path", ""), c.string_or("via", "")});
    }
    return copies;
}

LoadRecord optional_record(const Fields& parent, const char* key) {
    const json* value = parent.find(key);
    return value == nullptr || value->is_null() ? LoadRecord{} : parse_load_record(*value, parent.path_of(key));
}

json runtime_json(const Runtime& rt) {
    json runtime{{"present", rt.present}, {"installed", copies_json(rt.installed)}};
    if (!rt.library.soname.empty()) runtime["library"] = to_json(rt.library);
    put(runtime, "version", rt.version);
    if (const auto& e = rt.version_error)
        runtime["version_error"] = {{"call", e->call}, {"code", e->code}, {"name", e->name}};
    return runtime;
}

json cudnn_json(const Cudnn& c) {
    json cudnn{{"present", c.present}, {"built", c.built}, {"installed", copies_json(c.installed)}};
    if (!c.library.soname.empty()) cudnn["library"] = to_json(c.library);
    put(cudnn, "loaded", c.loaded);
    put(cudnn, "cudart", c.cudart);
    put(cudnn, "max_device_cc", c.max_device_cc);
    put(cudnn, "query_error", c.query_error);
    if (!c.version_checks.empty()) {
        json checks = json::object();
        for (const auto& [name, check] : c.version_checks) {
            json entry{{"name", check.name}, {"code", check.code}};
            if (check.signal) entry["signal"] = *check.signal;
            if (!check.message.empty()) entry["message"] = check.message;
            checks[name] = entry;
        }
        cudnn["version_checks"] = checks;
    }
    if (!c.sublibraries.empty()) {
        json subs = json::array();
        for (const auto& s : c.sublibraries) {
            json entry{
                {"soname", s.soname}, {"loaded", s.loaded}, {"found", s.found}, {"copies", copies_json(s.copies)}};
            if (s.loaded) entry["path"] = s.path;
            subs.push_back(entry);
        }
        cudnn["sublibraries"] = subs;
    }
    return cudnn;
}

json cublas_json(const Cublas& cb) {
    json cublas{{"present", cb.present}};
    if (!cb.library.soname.empty()) cublas["library"] = to_json(cb.library);
    if (!cb.library_lt.soname.empty()) cublas["library_lt"] = to_json(cb.library_lt);
    put(cublas, "version", cb.version);
    put(cublas, "lt_version", cb.lt_version);
    return cublas;
}

Runtime parse_runtime(const Fields& runtime) {
    Runtime rt;
    rt.library = optional_record(runtime, "library");
    rt.present = runtime.boolean_or("present", false);
    rt.installed = parse_copies(runtime, "installed");
    rt.version = runtime.optional_string("version");
    if (const auto e = runtime.optional_object("version_error")) {
        rt.version_error = CallError{e->string_or("call", ""), e->integer_or("code", 0), e->string_or("name", "")};
    }
    return rt;
}

Cudnn parse_cudnn(const Fields& cudnn) {
    Cudnn c;
    c.library = optional_record(cudnn, "library");
    c.present = cudnn.boolean_or("present", false);
    c.built = cudnn.string_or("built", "");
    c.loaded = cudnn.optional_string("loaded");
    c.cudart = cudnn.optional_string("cudart");
    c.max_device_cc = cudnn.optional_string("max_device_cc");
    c.installed = parse_copies(cudnn, "installed");
    c.query_error = cudnn.optional_string("query_error");
    if (const auto checks = cudnn.optional_object("version_checks")) {
        for (const auto& [name, value] : checks->raw().items()) {
            const Fields check(value, checks->path_of(name));
            CudnnCheck entry{check.string("name"), check.integer_or("code", 0), std::nullopt,
                             check.string_or("message", "")};
            if (const auto signal = check.optional_integer("signal")) entry.signal = static_cast<int>(*signal);
            c.version_checks[name] = entry;
        }
    }
    if (const json* subs = cudnn.find("sublibraries"); subs != nullptr && !subs->is_null()) {
        if (!subs->is_array()) cudnn.fail("sublibraries", "expected a list, found " + kind_of(*subs));
        for (std::size_t i = 0; i < subs->size(); ++i) {
            const Fields s((*subs)[i], cudnn.path_of("sublibraries") + fmt::format("[{}]", i));
            c.sublibraries.push_back({s.string("soname"), s.boolean_or("loaded", false), s.string_or("path", ""),
                                      s.boolean_or("found", false), parse_copies(s, "copies")});
        }
    }
    return c;
}

Cublas parse_cublas(const Fields& cublas) {
    Cublas cb;
    cb.library = optional_record(cublas, "library");
    cb.library_lt = optional_record(cublas, "library_lt");
    cb.present = cublas.boolean_or("present", false);
    cb.version = cublas.optional_string("version");
    cb.lt_version = cublas.optional_string("lt_version");
    return cb;
}

}  // namespace

std::string Fingerprint::gpu_label() const {
    return gpus.empty() ? std::string("none") : fmt::format("{} ({})", gpus.front().name, gpus.front().cc);
}

std::optional<std::string> Fingerprint::env_value(const std::string& name) const {
    const auto it = env.find(name);
    return it == env.end() ? std::nullopt : it->second;
}

json to_json(const LoadRecord& r) {
    json j{{"soname", r.soname}, {"found", r.found}};
    if (r.found) {
        j["path"] = r.path;
        j["real_path"] = r.real_path;
    } else {
        j["error"] = r.error;
        j["search_path"] = r.search_path;
    }
    return j;
}

LoadRecord parse_load_record(const json& j, const std::string& path) {
    const Fields f(j, path);
    LoadRecord r;
    r.soname = f.string("soname");
    r.found = f.boolean_or("found", false);
    r.path = f.string_or("path", "");
    r.real_path = f.string_or("real_path", "");
    r.error = f.string_or("error", "");
    if (const json* dirs = f.find("search_path"); dirs != nullptr && !dirs->is_null()) {
        if (!dirs->is_array()) f.fail("search_path", "expected a list, found " + kind_of(*dirs));
        for (const auto& d : *dirs) {
            if (!d.is_string()) f.fail("search_path", "expected a list of strings");
            r.search_path.push_back(d.get<std::string>());
        }
    }
    return r;
}

json to_json(const Fingerprint& fp) {
    json j{{"schema", fp.schema}, {"created", fp.created}, {"cuconform", fp.cuconform}};
    json host = json::object();
    for (const auto& [key, value] : {std::pair{"os", &fp.host.os}, std::pair{"kernel", &fp.host.kernel},
                                     std::pair{"arch", &fp.host.arch}, std::pair{"hostname", &fp.host.hostname}}) {
        if (!value->empty()) host[key] = *value;
    }
    j["host"] = host;
    j["toolkit"] = {{"cuda", fp.toolkit.cuda}, {"nvcc", fp.toolkit.nvcc}, {"cudnn", fp.toolkit.cudnn}};

    json driver{{"present", fp.driver.present}, {"version", fp.driver.version ? json(*fp.driver.version) : json()}};
    if (!fp.driver.library.soname.empty()) driver["library"] = to_json(fp.driver.library);
    put(driver, "cuda", fp.driver.cuda);
    j["driver"] = driver;

    j["runtime"] = runtime_json(fp.runtime);
    j["cudnn"] = cudnn_json(fp.cudnn);
    j["cublas"] = cublas_json(fp.cublas);

    json gpus = json::array();
    for (const auto& g : fp.gpus) {
        json gpu{{"index", g.index}, {"name", g.name}, {"cc", g.cc}};
        if (g.sm_count) gpu["sm_count"] = *g.sm_count;
        if (g.memory_bytes) gpu["memory_bytes"] = *g.memory_bytes;
        put(gpu, "uuid", g.uuid);
        put(gpu, "pci", g.pci);
        gpus.push_back(gpu);
    }
    j["gpus"] = gpus;
    if (const auto& e = fp.gpu_error) {
        if (e->name.empty()) {
            j["gpu_error"] = e->message;
        } else {
            json err{{"name", e->name}, {"message", e->message}};
            put(err, "call", e->call);
            if (e->code) err["code"] = *e->code;
            j["gpu_error"] = err;
        }
    }
    json env = json::object();
    for (const auto& [name, value] : fp.env) env[name] = value ? json(*value) : json();
    j["env"] = env;
    if (fp.synthetic) j["synthetic"] = true;
    if (fp.consumer) j["consumer"] = to_json(*fp.consumer);
    return j;
}

Fingerprint parse_fingerprint(const json& j) {
    const Fields f(j, "");
    Fingerprint fp;
    fp.schema = f.string_or("schema", "");
    if (fp.schema != kFingerprintSchema) {
        f.fail("schema", fmt::format("is \"{}\", expected \"{}\" (is this a fingerprint written by `cuconform probe`?)",
                                     fp.schema, kFingerprintSchema));
    }
    fp.created = f.string_or("created", "");
    fp.cuconform = f.string_or("cuconform", "");
    if (const auto host = f.optional_object("host")) {
        fp.host = {host->string_or("os", ""), host->string_or("kernel", ""), host->string_or("arch", ""),
                   host->string_or("hostname", "")};
    }
    // A synthetic stack (predict) may leave the toolkit unnamed.
    const Fields toolkit = f.object("toolkit");
    fp.toolkit = {toolkit.string_or("cuda", ""), toolkit.string_or("nvcc", ""), toolkit.string_or("cudnn", "")};

    const Fields driver = f.object("driver");
    fp.driver.library = optional_record(driver, "library");
    fp.driver.present = driver.boolean_or("present", false);
    fp.driver.version = driver.optional_string("version");
    fp.driver.cuda = driver.optional_string("cuda");

    fp.runtime = parse_runtime(f.object("runtime"));
    fp.cudnn = parse_cudnn(f.object("cudnn"));
    fp.cublas = parse_cublas(f.object("cublas"));

    if (const json* gpus = f.find("gpus"); gpus != nullptr && !gpus->is_null()) {
        if (!gpus->is_array()) f.fail("gpus", "expected a list, found " + kind_of(*gpus));
        for (std::size_t i = 0; i < gpus->size(); ++i) {
            const Fields g((*gpus)[i], fmt::format("gpus[{}]", i));
            Gpu gpu{g.integer_or("index", static_cast<long long>(i)), g.string_or("name", ""), g.string("cc")};
            gpu.sm_count = g.optional_integer("sm_count");
            if (const auto memory = g.optional_integer("memory_bytes"))
                gpu.memory_bytes = static_cast<unsigned long long>(*memory);
            gpu.uuid = g.optional_string("uuid");
            gpu.pci = g.optional_string("pci");
            fp.gpus.push_back(gpu);
        }
    }
    if (const json* e = f.find("gpu_error"); e != nullptr && !e->is_null()) {
        if (e->is_string()) {
            fp.gpu_error = GpuError{"", e->get<std::string>(), std::nullopt, std::nullopt};
        } else {
            const Fields err(*e, "gpu_error");
            fp.gpu_error = GpuError{err.string_or("name", "UNKNOWN"), err.string_or("message", ""),
                                    err.optional_string("call"), err.optional_integer("code")};
        }
    }
    if (const auto env = f.optional_object("env")) {
        for (const auto& [name, value] : env->raw().items()) {
            if (!value.is_null() && !value.is_string())
                env->fail(name, "expected a string or null, found " + kind_of(value));
            fp.env[name] = value.is_string() ? std::optional<std::string>(value.get<std::string>()) : std::nullopt;
        }
    }
    fp.synthetic = f.boolean_or("synthetic", false);
    // Absent in fingerprints written before consumers (reports/evidence): the view of a program started here.
    if (const json* consumer = f.find("consumer"); consumer != nullptr && !consumer->is_null())
        fp.consumer = parse_consumer(*consumer, "consumer");
    return fp;
}

namespace {

std::vector<std::string> parse_strings(const Fields& parent, const char* key) {
    std::vector<std::string> out;
    const json* list = parent.find(key);
    if (list == nullptr || list->is_null()) return out;
    if (!list->is_array()) parent.fail(key, "expected a list, found " + kind_of(*list));
    for (const auto& item : *list) {
        if (!item.is_string()) parent.fail(key, "expected a list of strings, found " + kind_of(item));
        out.push_back(item.get<std::string>());
    }
    return out;
}

/// Each element of the list `key` (absent or null: none), read by `read`.
template <typename Read>
void each(const Fields& parent, const char* key, Read read) {
    const json* list = parent.find(key);
    if (list == nullptr || list->is_null()) return;
    if (!list->is_array()) parent.fail(key, "expected a list, found " + kind_of(*list));
    for (std::size_t i = 0; i < list->size(); ++i)
        read(Fields((*list)[i], fmt::format("{}[{}]", parent.path_of(key), i)));
}

json resolution_json(const Resolution& r) {
    json j{{"soname", r.soname}, {"requested_by", r.requested_by}, {"how", r.how}, {"found", r.found}};
    if (r.found) {
        j["path"] = r.path;
        j["real_path"] = r.real_path;
    }
    j["via"] = r.via;
    if (!r.entry.empty()) j["entry"] = r.entry;
    if (!r.of.empty()) j["of"] = r.of;
    j["why"] = r.why;
    if (!r.package.empty()) j["package"] = r.package;
    if (!r.passed_over.empty()) j["passed_over"] = copies_json(r.passed_over);
    put(j, "mapped", r.mapped);
    put(j, "version", r.version);
    put(j, "load_error", r.load_error);
    return j;
}

Resolution parse_resolution(const Fields& f) {
    Resolution r;
    r.soname = f.string("soname");
    r.requested_by = f.string_or("requested_by", "");
    r.how = f.string_or("how", "");
    r.found = f.boolean_or("found", false);
    r.path = f.string_or("path", "");
    r.real_path = f.string_or("real_path", "");
    r.via = f.string_or("via", "");
    r.entry = f.string_or("entry", "");
    r.of = f.string_or("of", "");
    r.why = f.string_or("why", "");
    r.package = f.string_or("package", "");
    r.passed_over = parse_copies(f, "passed_over");
    r.mapped = f.optional_string("mapped");
    r.version = f.optional_string("version");
    r.load_error = f.optional_string("load_error");
    return r;
}

}  // namespace

json to_json(const Consumer& c) {
    json j{{"kind", c.kind}, {"given_by", c.given_by}, {"path", c.path}};
    if (const auto& py = c.python) {
        json python{{"executable", py->executable},
                    {"version", py->version},
                    {"prefix", py->prefix},
                    {"base_prefix", py->base_prefix},
                    {"sys_path", py->sys_path}};
        put(python, "user_site", py->user_site);
        j["python"] = python;
    }
    json frameworks = json::array();
    for (const auto& fw : c.frameworks) {
        json pins = json::array();
        for (const auto& p : fw.pins) {
            json pin{
                {"package", p.package}, {"spec", p.spec}, {"installed", p.installed ? json(*p.installed) : json()}};
            if (!p.marker.empty()) pin["marker"] = p.marker;
            pins.push_back(pin);
        }
        json entry{{"name", fw.name},    {"version", fw.version},           {"location", fw.location},
                   {"built", fw.built},  {"built_source", fw.built_source}, {"pins", pins},
                   {"native", fw.native}};
        if (const auto& check = fw.check) {
            entry["check"] = {{"status", check->status},
                              {"message", check->message},
                              {"seconds", check->seconds},
                              {"answers", check->answers}};
        }
        frameworks.push_back(entry);
    }
    j["frameworks"] = frameworks;
    json objects = json::array();
    for (const auto& o : c.objects) {
        json object{{"path", o.path}, {"needed", o.needed}, {"rpath", o.rpath}, {"runpath", o.runpath}};
        if (!o.soname.empty()) object["soname"] = o.soname;
        if (!o.interp.empty()) object["interp"] = o.interp;
        objects.push_back(object);
    }
    j["objects"] = objects;
    json libraries = json::array();
    for (const auto& r : c.libraries) libraries.push_back(resolution_json(r));
    j["libraries"] = libraries;
    j["runtime"] = runtime_json(c.runtime);
    j["cudnn"] = cudnn_json(c.cudnn);
    j["cublas"] = cublas_json(c.cublas);
    if (!c.confirm_error.empty()) j["confirm_error"] = c.confirm_error;
    if (!c.problems.empty()) j["problems"] = c.problems;
    return j;
}

Consumer parse_consumer(const json& j, const std::string& path) {
    const Fields f(j, path);
    Consumer c;
    c.kind = f.string("kind");
    c.given_by = f.string_or("given_by", "");
    c.path = f.string_or("path", "");
    if (const auto py = f.optional_object("python")) {
        c.python =
            Python{py->string_or("executable", ""),  py->string_or("version", ""),   py->string_or("prefix", ""),
                   py->string_or("base_prefix", ""), parse_strings(*py, "sys_path"), py->optional_string("user_site")};
    }
    each(f, "frameworks", [&](const Fields& fw) {
        Framework framework;
        framework.name = fw.string("name");
        framework.version = fw.string_or("version", "");
        framework.location = fw.string_or("location", "");
        if (const auto built = fw.optional_object("built")) {
            for (const auto& [key, value] : built->raw().items()) {
                if (!value.is_string()) built->fail(key, "expected a string, found " + kind_of(value));
                framework.built[key] = value.get<std::string>();
            }
        }
        framework.built_source = fw.string_or("built_source", "");
        each(fw, "pins", [&](const Fields& p) {
            framework.pins.push_back({p.string("package"), p.string_or("spec", ""), p.string_or("marker", ""),
                                      p.optional_string("installed")});
        });
        framework.native = fw.string_or("native", "");
        if (const auto check = fw.optional_object("check")) {
            FrameworkCheck fc{check->string("status"), check->string_or("message", ""), check->number_or("seconds", 0),
                              json::object()};
            if (const json* answers = check->find("answers"); answers != nullptr && answers->is_object())
                fc.answers = *answers;
            framework.check = fc;
        }
        c.frameworks.push_back(framework);
    });
    each(f, "objects", [&](const Fields& o) {
        c.objects.push_back({o.string("path"), o.string_or("soname", ""), parse_strings(o, "needed"),
                             parse_strings(o, "rpath"), parse_strings(o, "runpath"), o.string_or("interp", "")});
    });
    each(f, "libraries", [&](const Fields& r) { c.libraries.push_back(parse_resolution(r)); });
    if (const auto rt = f.optional_object("runtime")) c.runtime = parse_runtime(*rt);
    if (const auto cudnn = f.optional_object("cudnn")) c.cudnn = parse_cudnn(*cudnn);
    if (const auto cublas = f.optional_object("cublas")) c.cublas = parse_cublas(*cublas);
    c.confirm_error = f.string_or("confirm_error", "");
    c.problems = parse_strings(f, "problems");
    return c;
}

}  // namespace cuconform::results
