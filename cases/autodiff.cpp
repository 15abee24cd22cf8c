// SPDX-License-Identifier: Apache-2.0
/// \file Family `autodiff`: ops without a gradient, custom gradients checked against finite differences, host-only ops.
#include "catalog/case.h"
#include "cases/autodiff_graph.h"

namespace cuconform::cases {
namespace {

using autodiff::Graph;
using autodiff::Registry;
using autodiff::Vector;

constexpr double kTolerance = 1e-6;

/// The ops of the seeds: a framework tanh, sign (no gradient), a custom tanh with a correct and with the seed's
/// gradient, a numpy tanh (host only), and Dense-like scaling.
const Registry& registry() {
    static const Registry ops = [] {
        Registry r;
        r.add({.name = "Scale", .forward = [](double x) { return 0.5 * x; }, .backward = [](double, double dy) {
                   return 0.5 * dy;
               }});
        r.add({.name = "Tanh", .forward = [](double x) { return std::tanh(x); }, .backward = [](double x, double dy) {
                   const double t = std::tanh(x);
                   return dy * (1.0 - t * t);
               }});
        r.add({.name = "Sign", .forward = [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }});
        r.add({.name = "CustomTanh",
               .forward = [](double x) { return std::tanh(x); },
               .backward = [](double x, double dy) {
                   const double t = std::tanh(x);
                   return dy * (1.0 - t * t);
               }});
        // Seed 003 example 3 verbatim: `return tf.math.tanh(x), grad` with grad = dy * exp(-x**2).
        r.add({.name = "SeedCustomTanh",
               .forward = [](double x) { return std::tanh(x); },
               .backward = [](double x, double dy) { return dy * std::exp(-x * x); }});
        r.add({.name = "NumpyTanh", .forward = [](double x) { return std::tanh(x); }, .backward = {},
               .has_device_kernel = false});
        return r;
    }();
    return ops;
}

Vector sample_inputs() {
    Vector x;
    for (int i = -8; i <= 8; ++i) x.push_back(0.3 * i + 0.05);
    return x;
}

/// The gradient of the chain, checked against central differences: ok, GRADIENT_MISMATCH or NO_GRADIENT.
Outcome check_gradient(const std::vector<std::string>& ops) {
    const Graph graph(registry(), ops);
    const Vector x = sample_inputs();
    auto gradient = graph.gradient(x);
    if (auto* error = std::get_if<Outcome>(&gradient)) return *error;
    const double worst = autodiff::max_relative_gradient_error(graph, x, std::get<Vector>(gradient));
    if (worst > kTolerance) {
        return Outcome::error(Domain::Harness, "GRADIENT_MISMATCH", {},
                              fmt::format("analytic vs central differences: relative error {:.3g} > {:.0e}", worst,
                                          kTolerance));
    }
    return Outcome::ok(fmt::format("gradient within {:.3g} (relative) of central differences", worst));
}

// Tests that asking for the gradient through an op with no backward fails and names the op.
CUCONFORM_CASE({
    .id = "autodiff.gradient.missing_backward",
    .title = "LSTM -> custom Sign activation -> Dense: gradient requested through an op with no backward",
    .symptom = "LookupError: No gradient defined for operation 'Sign' / NotImplementedError during model.fit",
    .cause = "the op registry has a forward for Sign and no backward; reverse mode reaches it and stops",
    .seed = "003",
    .expect = R"(
        otherwise -> error(harness, NO_GRADIENT)
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        Outcome outcome = check_gradient({"Tanh", "Sign", "Scale"});
        if (outcome.is_error() && outcome.name == "NO_GRADIENT" && outcome.message.find("'Sign'") == std::string::npos)
            return Outcome::error(Domain::Harness, "WRONG_MESSAGE", {}, "does not name the op: " + outcome.message);
        return outcome;
    },
});

// Tests the custom-gradient fix: a correct backward for a custom op agrees with finite differences.
CUCONFORM_CASE({
    .id = "autodiff.gradient.custom_gradient",
    .title = "LSTM -> @tf.custom_gradient tanh with d/dx = 1 - tanh^2 -> Dense",
    .symptom = "none: the fix of seed 003 (a custom gradient) lets model.fit train",
    .cause = "the op now has a backward; it matches central finite differences within 1e-6 (relative)",
    .seed = "003",
    .labels = {"control"},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce =
        [](CaseContext&) {
            return check_gradient({"Tanh", "CustomTanh", "Scale"});
        },
});

// Tests that the gradient check catches a wrong custom gradient: the seed's own example 3 (exp(-x^2) for tanh).
CUCONFORM_CASE({
    .id = "autodiff.gradient.seed_custom_gradient_wrong",
    .title = "Seed 003 example 3 as written: tanh forward with the gradient dy * exp(-x^2)",
    .symptom = "training runs but converges wrongly: no error is raised, the gradient is silently wrong",
    .cause = "d tanh/dx = 1 - tanh(x)^2, not exp(-x^2); central differences disagree by up to ~10% (relative)",
    .seed = "003",
    .expect = R"(
        otherwise -> error(harness, GRADIENT_MISMATCH)
    )",
    .reproduce =
        [](CaseContext&) {
            return check_gradient({"Tanh", "SeedCustomTanh", "Scale"});
        },
});

// Tests that a host-only (numpy) op inside a device graph fails at placement, naming the op.
CUCONFORM_CASE({
    .id = "autodiff.device.host_only_op",
    .title = "Dense(32) -> numpy tanh (host-only) -> Dense(10) placed on the device",
    .symptom = "tf.errors.UnimplementedError: Graph execution error",
    .cause = "the graph has an op with no device kernel (a numpy function called inside call()); placement fails",
    .seed = "004",
    .expect = R"(
        otherwise -> error(harness, UNIMPLEMENTED)
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        const Graph graph(registry(), {"Scale", "NumpyTanh", "Scale"});
        if (auto error = graph.place_on_device()) {
            if (error->message.find("'NumpyTanh'") == std::string::npos)
                return Outcome::error(Domain::Harness, "WRONG_MESSAGE", {}, "does not name the op: " + error->message);
            return *error;
        }
        return Outcome::ok("every op has a device kernel");
    },
});

// Tests the fix of seed 004: the same graph with the framework's tanh places on the device.
CUCONFORM_CASE({
    .id = "autodiff.device.framework_op",
    .title = "Dense(32) -> tf.tanh -> Dense(10) placed on the device (control)",
    .symptom = "none: replacing np.tanh by tf.tanh fixes the UnimplementedError",
    .cause = "every op in the graph has a device kernel and a gradient",
    .seed = "004",
    .labels = {"control"},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        const Graph graph(registry(), {"Scale", "Tanh", "Scale"});
        if (auto error = graph.place_on_device()) return *error;
        return check_gradient({"Scale", "Tanh", "Scale"});
    },
});

}  // namespace
}  // namespace cuconform::cases
