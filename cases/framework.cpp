// SPDX-License-Identifier: Apache-2.0
/// \file Family `framework`: the real framework's own verdict on the stack it loads. The reproducer runs the framework
/// of the cell's consumer (an activated venv, or `cuconform run` started in one) in a child interpreter and asks its
/// own check (torch: `torch.backends.cudnn.version()`; JAX: its CUDA plugin's `_check_cuda_versions`); the expectation
/// predicts that verdict from the fingerprint's consumer with the framework's rule (matrix/knowledge/frameworks.yaml).
/// A cell without a framework has nothing to ask: UNSUPPORTED with the reason.
#include <fmt/format.h>

#include "catalog/case.h"
#include "consumer/frameworks.h"

namespace cuconform::cases {
namespace {

/// The framework the case asks, or the reason there is none.
const results::Framework* framework_of(const CaseContext& ctx, std::string& why_not) {
    const auto& c = ctx.fingerprint.consumer;
    if (!c) {
        why_not =
            "no consumer: run in a Python environment that holds torch, JAX or TensorFlow (activate it, or "
            "`cuconform probe --python`)";
        return nullptr;
    }
    if (c->frameworks.empty() || !c->python) {
        why_not = fmt::format("the consumer {} holds no framework (torch, JAX, TensorFlow)", c->path);
        return nullptr;
    }
    return &c->frameworks.front();
}

/// The framework's own check as an outcome: ok, or the error it raised in its own words.
Outcome own_check(CaseContext& ctx) {
    std::string why_not;
    const auto* fw = framework_of(ctx, why_not);
    if (fw == nullptr) return Outcome::unsupported(why_not);
    const auto check = consumer::run_framework_check(ctx.fingerprint.consumer->python->executable, *fw, 240);
    const std::string words = fmt::format("{} {} ({:.1f} s): {}", fw->name, fw->version, check.seconds,
                                          check.message.empty() ? check.answers.dump() : check.message);
    if (check.status == "ok") return Outcome::ok(words);
    if (check.status == "refused") return Outcome::error(Domain::Loader, "FRAMEWORK_REFUSES_STACK", {}, words);
    if (check.status == "crashed") return Outcome::error(Domain::Loader, "FRAMEWORK_ABORTS", {}, words);
    if (check.status == "timeout") return Outcome::timeout(words);
    return Outcome::error(Domain::Loader, "FRAMEWORK_IMPORT_FAILED", {}, words);
}

// Tests the framework's own check against its rule applied to the copies it loads.
CUCONFORM_CASE({
    .id = "framework.own_check.stack",
    .title = "The framework's own check of the CUDA/cuDNN stack it loads agrees with its rule in the knowledge base",
    .symptom = "\"RuntimeError: cuDNN version incompatibility: PyTorch was compiled  against (9, 26, 0) but found "
               "runtime version (9, 19, 0)\"; JAX: \"Outdated cuDNN installation found\"; ImportError of a libcudnn",
    .cause = "The framework loads other copies than it was built against (its wheel removed or swapped, a fall-back to "
             "the system, LD_LIBRARY_PATH, a sub-library from elsewhere) and its own rule refuses them",
    .seed = "000",
    .labels = {"matrix"},
    .expect = R"(
        when !framework -> unsupported("no framework in this cell's consumer")
        when !framework.imports -> error(loader, FRAMEWORK_IMPORT_FAILED)
        when framework.cudnn_aborts -> error(loader, FRAMEWORK_ABORTS)
        when !framework.accepts -> error(loader, FRAMEWORK_REFUSES_STACK)
        otherwise -> ok
    )",
    .reproduce = own_check,
});

// Tests the framework's own parsing of CUDA_VISIBLE_DEVICES against the knowledge base's copy of its rule.
CUCONFORM_CASE({
    .id = "framework.visible_devices.parse",
    .title = "The framework reads CUDA_VISIBLE_DEVICES as its rule in the knowledge base says",
    .symptom = "torch.cuda.device_count() is 0 with CUDA_VISIBLE_DEVICES=0,0 (a repeated id hides every GPU)",
    .cause = "torch parses CUDA_VISIBLE_DEVICES itself (torch.cuda._parse_visible_devices): a negative or repeated "
             "entry ends or empties the list",
    .seed = "DESIGN.md: bad environment variables",
    .labels = {"matrix", "env"},
    .variants =
        {{.name = "repeated", .description = "CUDA_VISIBLE_DEVICES=0,0", .env = {{"CUDA_VISIBLE_DEVICES", "0,0"}}},
         {.name = "negative_first", .description = "CUDA_VISIBLE_DEVICES=-1", .env = {{"CUDA_VISIBLE_DEVICES", "-1"}}},
         {.name = "junk_after",
          .description = "CUDA_VISIBLE_DEVICES=0,abc,1",
          .env = {{"CUDA_VISIBLE_DEVICES", "0,abc,1"}}},
         {.name = "uuid", .description = "CUDA_VISIBLE_DEVICES=GPU-xyz", .env = {{"CUDA_VISIBLE_DEVICES", "GPU-xyz"}}}},
    .expect = R"(
        when !framework -> unsupported("no framework in this cell's consumer")
        when framework.visible_devices == null -> unsupported("this framework has no CUDA_VISIBLE_DEVICES rule of its own")
        when framework.visible_devices == 0 -> error(cuda, NO_VISIBLE_DEVICE)
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext& ctx) {
            std::string why_not;
            const auto* fw = framework_of(ctx, why_not);
            if (fw == nullptr) return Outcome::unsupported(why_not);
            if (fw->name != "torch")
                return Outcome::unsupported(fmt::format("{} has no CUDA_VISIBLE_DEVICES rule of its own", fw->name));
            const auto check = consumer::run_framework_check(ctx.fingerprint.consumer->python->executable, *fw, 240);
            if (!check.answers.contains("visible_devices"))
                return Outcome::error(Domain::Harness, "NO_ANSWER", {}, check.message);
            const auto& devices = check.answers["visible_devices"];
            const std::string words = fmt::format("torch.cuda._parse_visible_devices() = {}", devices.dump());
            return devices.empty() ? Outcome::error(Domain::Cuda, "NO_VISIBLE_DEVICE", {}, words) : Outcome::ok(words);
        },
});

}  // namespace
}  // namespace cuconform::cases
