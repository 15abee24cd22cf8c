// SPDX-License-Identifier: Apache-2.0
/// \file Tests of the consumer's parts that need no process of their own: the ELF reader on the host's real cuDNN,
/// the ld.so model's entry expansion and search order on a tree built here, the frameworks' rules and words
/// (matrix/knowledge/frameworks.yaml) against what the frameworks printed (shared/facts/frameworks.md), requirement
/// specifiers, and the consumer's JSON round trip. End to end (a fresh process confirming each load, real frameworks):
/// tests/integration/test_consumer*.py.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "consumer/elf.h"
#include "consumer/ldso.h"
#include "doctor/doctor.h"
#include "knowledge/frameworks.h"
#include "results/fingerprint.h"

namespace cuconform::consumer {
namespace {
namespace fs = std::filesystem;
using knowledge::Frameworks;

const fs::path kHostCuda = "/usr/local/cuda-13.0/lib";

Version v(const char* text) { return *Version::parse(text); }

const Frameworks& kb() { return Frameworks::builtin(); }

// Tests the ELF reader on the host's real cuDNN shim: soname, DT_RUNPATH $ORIGIN, no DT_RPATH.
TEST(ConsumerElf, ReadsTheHostCudnnShim) {
    if (!fs::exists(kHostCuda / "libcudnn.so.9")) GTEST_SKIP() << "no cuDNN 9 in " << kHostCuda;
    const auto info = read_elf((kHostCuda / "libcudnn.so.9").string());
    EXPECT_EQ(info.soname, "libcudnn.so.9");
    EXPECT_EQ(info.runpath, std::vector<std::string>{"$ORIGIN"});
    EXPECT_TRUE(info.rpath.empty());
    EXPECT_NE(std::find(info.needed.begin(), info.needed.end(), "libc.so.6"), info.needed.end());
    EXPECT_TRUE(info.interp.empty());  // a library has no PT_INTERP
}

// Tests that the sub-library list comes from the cuDNN there: 9.19's shim and graph library name seven.
TEST(ConsumerElf, CudnnSublibrariesFromTheLibraryItself) {
    if (!fs::exists(kHostCuda / "libcudnn.so.9")) GTEST_SKIP() << "no cuDNN 9 in " << kHostCuda;
    auto names = cudnn_sublibrary_sonames((kHostCuda / "libcudnn.so.9").string());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names,
              (std::vector<std::string>{"libcudnn_adv.so.9", "libcudnn_cnn.so.9", "libcudnn_engines_precompiled.so.9",
                                        "libcudnn_engines_runtime_compiled.so.9", "libcudnn_graph.so.9",
                                        "libcudnn_heuristic.so.9", "libcudnn_ops.so.9"}));
}

// Tests that an executable's PT_INTERP is read and a file that is not ELF is refused with its name.
TEST(ConsumerElf, InterpreterAndBadFiles) {
    const auto self = read_elf(fs::read_symlink("/proc/self/exe").string());
    EXPECT_NE(self.interp.find("ld-linux"), std::string::npos) << self.interp;
    const fs::path text = fs::temp_directory_path() / fmt::format("consumer_test_{}.so", getpid());
    std::ofstream(text) << "not ELF\n";
    try {
        read_elf(text.string());
        ADD_FAILURE() << "expected ElfError";
    } catch (const ElfError& e) {
        EXPECT_NE(std::string(e.what()).find(text.string()), std::string::npos) << e.what();
    }
    fs::remove(text);
    EXPECT_THROW(read_elf("/nonexistent/libx.so"), ElfError);
    EXPECT_EQ(elf_info("/nonexistent/libx.so"), nullptr);
}

// Tests the dynamic string tokens ld.so expands in DT_RPATH / DT_RUNPATH entries.
TEST(ConsumerLdso, ExpandsOriginAndLib) {
    EXPECT_EQ(expand_entry("$ORIGIN/../../nvidia/cudnn/lib", "/v/torch/lib"), "/v/torch/lib/../../nvidia/cudnn/lib");
    EXPECT_EQ(expand_entry("${ORIGIN}/x", "/o"), "/o/x");
    EXPECT_EQ(expand_entry("/usr/$LIB", "/o"), "/usr/lib/x86_64-linux-gnu");
    EXPECT_EQ(expand_entry("/plain/dir", "/o"), "/plain/dir");
    EXPECT_FALSE(expand_entry("$PLATFORM/lib", "/o").has_value());
    EXPECT_FALSE(expand_entry("${ORIGIN/x", "/o").has_value());
}

// Tests the search order on a tree of the host's real libraries: DT_RPATH of the requester before LD_LIBRARY_PATH
// before ld.so.cache, and an object already loaded answering its soname.
TEST(ConsumerLdso, SearchOrderOnRealFiles) {
    if (!fs::exists(kHostCuda / "libcudart.so.13")) GTEST_SKIP() << "no CUDA 13 runtime in " << kHostCuda;
    const fs::path root = fs::temp_directory_path() / fmt::format("consumer_ldso_{}", getpid());
    struct Removed {  // also when an assertion or exception ends the test early
        fs::path path;
        ~Removed() {
            std::error_code ec;
            fs::remove_all(path, ec);
        }
    } const removed{root};
    fs::create_directories(root / "a");
    fs::create_directories(root / "b");
    fs::create_hard_link(fs::canonical(kHostCuda / "libcudart.so.13"), root / "a" / "libcudart.so.13");
    fs::create_hard_link(fs::canonical(kHostCuda / "libcudart.so.13"), root / "b" / "libcudart.so.13");
    LoaderSettings settings = LoaderSettings::current(std::string((root / "b").string()));
    LoadModel model(settings);
    // The cuDNN shim (DT_RUNPATH $ORIGIN) loaded by path; libcudart asked by it: LD_LIBRARY_PATH (b) comes first.
    ASSERT_TRUE(model.load_path((kHostCuda / "libcudnn.so.9").string(), "the test", "preload"));
    const auto shim = model.find_loaded("libcudnn.so.9");
    ASSERT_TRUE(shim);
    const auto found = model.candidates("libcudart.so.13", shim);
    ASSERT_FALSE(found.empty());
    EXPECT_EQ(found.front().via, "LD_LIBRARY_PATH");
    EXPECT_EQ(found.front().path, (root / "b" / "libcudart.so.13").string());
    // Its DT_RUNPATH ($ORIGIN = the CUDA lib folder) comes after LD_LIBRARY_PATH.
    EXPECT_NE(std::find_if(found.begin(), found.end(), [](const auto& c) { return c.via == "DT_RUNPATH"; }),
              found.end());
    // Loaded by full path first, a copy answers every later request of its soname.
    ASSERT_TRUE(model.load_path((root / "a" / "libcudart.so.13").string(), "the test", "preload"));
    EXPECT_EQ(model.objects()[*model.find_loaded("libcudart.so.13")].path, (root / "a" / "libcudart.so.13").string());
    ASSERT_TRUE(model.dlopen("libcudart.so.13", shim, "the shim"));
    const auto& records = model.resolutions();
    const auto last = records.back();
    EXPECT_EQ(last.via, "already loaded") << last.why;
    EXPECT_EQ(last.path, (root / "a" / "libcudart.so.13").string());
    ASSERT_FALSE(last.passed_over.empty());
    EXPECT_EQ(last.passed_over.front().via, "LD_LIBRARY_PATH");
    // A name nothing provides is reported with ld.so's words.
    EXPECT_FALSE(model.dlopen("libcudart.so.99", shim, "the shim"));
    EXPECT_NE(model.error().find("libcudart.so.99: cannot open shared object file"), std::string::npos);
}

// Tests torch's cuDNN rule and words (torch/backends/cudnn/__init__.py) as torch printed them (frameworks.md §3).
TEST(ConsumerFrameworks, TorchCudnnRuleAndWords) {
    const auto refused = kb().accepts("torch", "cudnn", v("9.26.0"), v("9.13.0"));
    ASSERT_TRUE(refused.answer.no());
    EXPECT_EQ(refused.answer.reason,
              "cuDNN version incompatibility: PyTorch was compiled  against (9, 26, 0) but found runtime version (9, "
              "13, 0). PyTorch already comes bundled with cuDNN. One option to resolving this error is to ensure "
              "PyTorch can find the bundled cuDNN. ");
    EXPECT_NE(refused.answer.url().find("torch/backends/cudnn/__init__.py"), std::string::npos);
    EXPECT_TRUE(kb().accepts("torch", "cudnn", v("9.26.0"), v("9.19.0")).answer.no());
    EXPECT_TRUE(kb().accepts("torch", "cudnn", v("9.26.0"), v("9.28.1")).answer.yes());
    EXPECT_TRUE(kb().accepts("torch", "cudnn", v("9.26.0"), v("8.9.7")).answer.no());
    // With LD_LIBRARY_PATH naming a cuda/cudnn folder, torch adds its sentence about it.
    const auto with_ld = kb().accepts("torch", "cudnn", v("9.26.0"), v("9.19.0"), false,
                                      {{"LD_LIBRARY_PATH", std::string("/usr/local/cuda-13.0/lib")}});
    EXPECT_NE(with_ld.answer.reason.find("Looks like your LD_LIBRARY_PATH contains incompatible version of cudnn. "
                                         "Please either remove it from the path or install cudnn (9, 26, 0)"),
              std::string::npos);
    // PYTORCH_SKIP_CUDNN_COMPATIBILITY_CHECK=1 turns the check off.
    EXPECT_TRUE(kb().accepts("torch", "cudnn", v("9.26.0"), v("9.19.0"), false,
                             {{"PYTORCH_SKIP_CUDNN_COMPATIBILITY_CHECK", std::string("1")}})
                    .answer.yes());
}

// Tests JAX's plugin check (jax_plugins/xla_cuda12/__init__.py) as read in the 0.10.2 wheel: the cuDNN minimum is
// scaled but the runtime is not (any 9.x passes), 9.10.0 is refused by name, XLA's check on a GPU wants the minor.
TEST(ConsumerFrameworks, JaxPluginRules) {
    EXPECT_TRUE(kb().accepts("jax", "cudnn", v("9.8.0"), v("9.1.0")).answer.yes());
    const auto enum_bug = kb().accepts("jax", "cudnn", v("9.8.0"), v("9.10.0"));
    ASSERT_TRUE(enum_bug.answer.no());
    EXPECT_EQ(enum_bug.answer.reason,
              "cuDNN 9.10.0 had a binary backward-compatibility issue due to reordered enum values affecting "
              "block-scale datatypes. Found runtime version 91000 and build version 90800. Please upgrade to 9.10.1 "
              "or above.");
    EXPECT_TRUE(kb().accepts("jax", "cudnn", v("9.10.0"), v("9.10.0")).answer.yes());
    const auto on_gpu = kb().accepts("jax", "cudnn", v("9.8.0"), v("9.1.0"), true);
    ASSERT_TRUE(on_gpu.answer.no());
    EXPECT_NE(on_gpu.answer.reason.find("Loaded runtime CuDNN library: 9.1.0 but source was compiled with: 9.8.0"),
              std::string::npos);
    EXPECT_TRUE(kb().accepts("jax", "cuda", v("12.9"), v("12.0")).answer.no());
    EXPECT_TRUE(kb().accepts("jax", "cuda", v("12.9"), v("12.1")).answer.yes());
    EXPECT_TRUE(kb().accepts("jax", "cublas", v("12.9.1"), v("12.0.2")).answer.no());
    EXPECT_TRUE(kb().accepts("tensorflow", "cudnn", v("9"), v("8.9.7"), true).answer.no());
    EXPECT_TRUE(kb().accepts("tensorflow", "cudnn", v("9"), v("8.9.7")).answer.unknown());  // only on a GPU
    EXPECT_TRUE(kb().accepts("mxnet", "cudnn", v("9"), v("9")).answer.unknown());
    EXPECT_EQ(knowledge::encode_version("cuda", v("12.9")), 12090);
    EXPECT_EQ(knowledge::encode_version("cudnn", v("9.8.0")), 90800);
    EXPECT_EQ(knowledge::encode_version("cudnn", v("8.9.7")), 8907);
    EXPECT_EQ(knowledge::encode_version("cublas", v("12.9.1")), 120901);
}

// Tests torch's own CUDA_VISIBLE_DEVICES parsing, value by value as torch.cuda._parse_visible_devices() answered
// (frameworks.md §3).
TEST(ConsumerFrameworks, TorchVisibleDevices) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {{"", {}},
                                                                                 {"-1", {}},
                                                                                 {"0,abc", {"0"}},
                                                                                 {"0,-1,1", {"0"}},
                                                                                 {"1,0,1", {}},
                                                                                 {"0,0", {}},
                                                                                 {"0abc", {"0"}},
                                                                                 {"+1", {"1"}},
                                                                                 {" 0", {"0"}},
                                                                                 {"GPU-xyz", {"GPU-xyz"}},
                                                                                 {"0,1", {"0", "1"}},
                                                                                 {"GPU-a,GPU-a", {}},
                                                                                 {"MIG-x,GPU-y", {"MIG-x"}}};
    for (const auto& [value, expected] : cases) {
        const auto got = kb().visible_devices("torch", value);
        ASSERT_TRUE(got) << value;
        EXPECT_EQ(*got, expected) << "CUDA_VISIBLE_DEVICES=\"" << value << "\"";
    }
    EXPECT_FALSE(kb().visible_devices("jax", "0"));
}

// Tests the releases the knowledge base has, with what they are built against and pin.
TEST(ConsumerFrameworks, Releases) {
    const auto* torch = kb().release("torch", "2.15.0+cu132");
    ASSERT_NE(torch, nullptr);
    EXPECT_EQ(torch->built.at("cudnn"), "9.26.0");
    EXPECT_EQ(torch->built.at("cuda"), "13.2");
    EXPECT_EQ(torch->wheels.at("cudnn"), "nvidia-cudnn-cu13==9.26.0.51");
    const auto* jax = kb().release("jax", "0.10.2");
    ASSERT_NE(jax, nullptr);
    EXPECT_EQ(jax->built.at("cudnn"), "9.8.0");
    EXPECT_EQ(kb().release("torch", "1.0.0"), nullptr);
    for (const auto& e : kb().entries()) EXPECT_TRUE(e.citation.sourced()) << e.kind << " " << e.key;
}

// Tests that a broken frameworks.yaml is refused with FILE:LINE and what to do.
TEST(ConsumerFrameworks, BadFileNamesTheLine) {
    const std::string text = R"(schema: 2
sources:
  S: {url: "https://github.com/pytorch/pytorch/blob/v2.15.0/torch/backends/cudnn/__init__.py", title: t, kind: code}
frameworks:
  torch:
    display: PyTorch
    rules:
      - component: cudnn
        rule: major_equal_minor_at_least
        message: "m {built} {loaded}"
        source: NOPE
)";
    try {
        Frameworks::parse(text, "frameworks.yaml");
        ADD_FAILURE() << "expected KnowledgeError";
    } catch (const knowledge::KnowledgeError& e) {
        EXPECT_EQ(e.line(), 11) << e.what();
        EXPECT_NE(std::string(e.what()).find("unknown source 'NOPE'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(
        Frameworks::parse("schema: 2\nsources: {S: {url: 'https://pypi.org/project/torch/2.15.0/', title: t, "
                          "kind: package}}\nframeworks:\n  "
                          "x: {display: X, rules: [{component: gpu, rule: same_major, message: m, source: S}]}\n",
                          "f.yaml"),
        knowledge::KnowledgeError);
    // A blog is no primary source, whatever kind it claims.
    try {
        Frameworks::parse(
            "schema: 2\nsources: {S: {url: 'https://blog.example.com/torch', title: t, kind: code}}\n"
            "frameworks:\n  torch: {display: PyTorch, rules: [{component: cuda, rule: same_major, "
            "message: m, source: S}]}\n",
            "frameworks.yaml");
        ADD_FAILURE() << "expected KnowledgeError";
    } catch (const knowledge::KnowledgeError& e) {
        EXPECT_EQ(e.line(), 2) << e.what();
        EXPECT_NE(std::string(e.what()).find("no primary source's site"), std::string::npos) << e.what();
    }
}

// Tests requirement specifiers as pins use them.
TEST(ConsumerFrameworks, RequirementSpecifiers) {
    using knowledge::requirement_satisfied;
    EXPECT_TRUE(requirement_satisfied("9.26.0.51", "==9.26.0.51"));
    EXPECT_FALSE(requirement_satisfied("9.19.0.56", "==9.26.0.51"));
    EXPECT_TRUE(requirement_satisfied("9.28.0.42", "<10.0,>=9.8"));
    EXPECT_FALSE(requirement_satisfied("10.0.1", "<10.0,>=9.8"));
    EXPECT_FALSE(requirement_satisfied("9.1.0.70", ">=9.8"));
    EXPECT_TRUE(requirement_satisfied("13.2.86", "==13.2.86.*"));
    EXPECT_TRUE(requirement_satisfied("13.2.86.1", "==13.2.86.*"));
    EXPECT_FALSE(requirement_satisfied("13.2.87", "==13.2.86.*"));
    EXPECT_TRUE(requirement_satisfied("2.15.0+cu132", ">=2.15"));
    EXPECT_TRUE(requirement_satisfied("3.9.1", "~=3.9.0"));
    EXPECT_FALSE(requirement_satisfied("3.10.0", "~=3.9.0"));
    EXPECT_TRUE(requirement_satisfied("1.0", ""));
}

// Tests that a consumer survives its JSON round trip.
TEST(ConsumerRecord, RoundTrip) {
    results::Consumer c;
    c.kind = "python";
    c.given_by = "VIRTUAL_ENV";
    c.path = "/v/bin/python";
    c.python =
        results::Python{"/v/bin/python", "3.11.2", "/v", "/usr", {"/v/lib/python3.11/site-packages"}, std::nullopt};
    results::Framework fw;
    fw.name = "torch";
    fw.version = "2.15.0+cu132";
    fw.built = {{"cuda", "13.2"}, {"cudnn", "9.26.0"}};
    fw.pins = {{"nvidia-cudnn-cu13", "==9.26.0.51", "platform_system == \"Linux\"", "9.26.0.51"}};
    fw.check = results::FrameworkCheck{"refused", "cuDNN version incompatibility", 2.5, {{"cudnn", 91900}}};
    c.frameworks.push_back(fw);
    results::Resolution r;
    r.soname = "libcudnn.so.9";
    r.found = true;
    r.path = r.real_path = "/usr/local/cuda-13.0/lib/libcudnn.so.9";
    r.via = "ld.so.cache";
    r.passed_over = {{"/x/libcudnn.so.9", "/x/libcudnn.so.9", "LD_LIBRARY_PATH"}};
    r.mapped = r.path;
    r.load_error = "libz.so.1: cannot open shared object file";
    c.libraries.push_back(r);
    c.cudnn.loaded = "9.19.0";
    c.cudnn.present = true;
    c.problems = {"import torch: ImportError: x"};
    const auto back = results::parse_consumer(results::to_json(c), "consumer");
    EXPECT_EQ(results::to_json(back), results::to_json(c));
    EXPECT_THROW(results::parse_consumer(nlohmann::json{{"kind", 3}}, "consumer"), std::exception);
}

}  // namespace
}  // namespace cuconform::consumer

namespace cuconform::doctor {
namespace {

/// A consumer as the probe would record torch 2.15.0 in a venv: built against CUDA 13.2 / cuDNN 9.26.0, pinning
/// nvidia-cudnn-cu13==9.26.0.51, loading what the arguments say.
results::Fingerprint torch_fingerprint(const std::string& runtime, const std::string& cudnn,
                                       std::optional<std::string> cudnn_wheel) {
    results::Fingerprint fp;
    fp.toolkit = {"13.0", "13.0.88", "9.19.0"};
    results::Consumer c;
    c.kind = "python";
    c.given_by = "VIRTUAL_ENV";
    c.path = "/v/bin/python";
    c.python =
        results::Python{"/v/bin/python", "3.11.2", "/v", "/usr", {"/v/lib/python3.11/site-packages"}, std::nullopt};
    results::Framework fw;
    fw.name = "torch";
    fw.version = "2.15.0+cu132";
    fw.built = {{"cuda", "13.2"}, {"cudnn", "9.26.0"}};
    fw.built_source = "torch/version.py";
    fw.pins = {{"nvidia-cudnn-cu13", "==9.26.0.51", "", cudnn_wheel}};
    c.frameworks.push_back(fw);
    const std::string cudnn_dir =
        cudnn_wheel ? "/v/lib/python3.11/site-packages/nvidia/cudnn/lib" : "/usr/local/cuda-13.0/lib";
    results::Resolution shim;
    shim.soname = "libcudnn.so.9";
    shim.found = true;
    shim.how = "preload";
    shim.path = shim.real_path = cudnn_dir + "/libcudnn.so.9";
    shim.via = cudnn_wheel ? "preload" : "ld.so.cache";
    shim.why = cudnn_wheel ? "loaded by full path by torch/__init__.py (_preload_cuda_deps)" : "ld.so.cache";
    results::Resolution rt;
    rt.soname = "libcudart.so.13";
    rt.found = true;
    rt.how = "DT_NEEDED";
    rt.path = rt.real_path = "/v/lib/python3.11/site-packages/nvidia/cu13/lib/libcudart.so.13";
    rt.via = "DT_RPATH";
    rt.why = "entry $ORIGIN/../../nvidia/cu13/lib of the DT_RPATH of libtorch_global_deps.so";
    c.libraries = {rt, shim};
    c.runtime.present = true;
    c.runtime.library = {"libcudart.so.13", true, rt.path, rt.path, "", {}};
    c.runtime.version = runtime;
    c.cudnn.present = true;
    c.cudnn.library = {"libcudnn.so.9", true, shim.path, shim.path, "", {}};
    c.cudnn.loaded = cudnn;
    c.cudnn.built = "9.26.0";
    c.cudnn.cudart = "13.0";
    fp.consumer = c;
    fp.env["CUDA_HOME"] = std::nullopt;
    return fp;
}

const Finding* find(const std::vector<Finding>& findings, const std::string& id) {
    for (const auto& f : findings) {
        if (f.id == id) return &f;
    }
    return nullptr;
}

// Tests the doctor on a consumer's stack: torch's rule decides, in torch's words, with the pin as the fix; the
// program's own cuDNN rule (cudnn.older_than_built against cuconform's headers) is not asked.
TEST(DoctorFramework, RefusedCudnnInTorchsWordsWithThePin) {
    const auto findings = examine(torch_fingerprint("13.2", "9.19.0", std::nullopt));
    const auto* refused = find(findings, "framework.cudnn_refused");
    ASSERT_NE(refused, nullptr);
    EXPECT_EQ(refused->severity, Severity::Error);
    EXPECT_NE(refused->evidence.find("PyTorch was compiled  against (9, 26, 0) but found runtime version (9, 19, 0)"),
              std::string::npos)
        << refused->evidence;
    EXPECT_NE(refused->fix.find("/v/bin/python -m pip install nvidia-cudnn-cu13==9.26.0.51"), std::string::npos)
        << refused->fix;
    EXPECT_EQ(find(findings, "cudnn.older_than_built"), nullptr);
    const auto* missing = find(findings, "framework.wheel_missing");
    ASSERT_NE(missing, nullptr);
    EXPECT_NE(missing->evidence.find("/usr/local/cuda-13.0/lib/libcudnn.so.9"), std::string::npos);
    EXPECT_NE(find(findings, "consumer.mixed_copies"), nullptr);
}

// Tests that the copies torch pins give no finding but the accepted one, and that a runtime older than torch's
// toolkit is a warning.
TEST(DoctorFramework, AcceptedAndRuntimeOlder) {
    auto findings = examine(torch_fingerprint("13.2", "9.26.0", "9.26.0.51"));
    EXPECT_NE(find(findings, "framework.cudnn_accepted"), nullptr);
    for (const auto& f : findings) {
        EXPECT_FALSE(f.id.rfind("framework.", 0) == 0 && f.severity != Severity::Info) << f.id << ": " << f.title;
    }
    findings = examine(torch_fingerprint("13.0", "9.26.0", "9.26.0.51"));
    const auto* older = find(findings, "framework.runtime_older");
    ASSERT_NE(older, nullptr);
    EXPECT_EQ(older->severity, Severity::Warning);
    EXPECT_NE(older->fix.find("nvidia-cuda-runtime==13.2.86"), std::string::npos) << older->fix;
}

// Tests CUDA_VISIBLE_DEVICES as torch parses it, and a framework's own check that disagrees with the rule.
TEST(DoctorFramework, VisibleDevicesAndDisagreement) {
    auto fp = torch_fingerprint("13.2", "9.26.0", "9.26.0.51");
    fp.env["CUDA_VISIBLE_DEVICES"] = "0,0";
    fp.consumer->frameworks[0].check =
        results::FrameworkCheck{"refused", "cuDNN version incompatibility: ...", 2.0, {}};
    const auto findings = examine(fp);
    const auto* none = find(findings, "framework.visible_devices_none");
    ASSERT_NE(none, nullptr);
    EXPECT_EQ(none->severity, Severity::Error);
    EXPECT_NE(find(findings, "framework.check_refused"), nullptr);
    EXPECT_NE(find(findings, "framework.rule_disagrees"), nullptr);
}

}  // namespace
}  // namespace cuconform::doctor
