// SPDX-License-Identifier: Apache-2.0
/// \file A tiny op registry and chain graph with reverse-mode gradients, for the autodiff cases.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/outcome.h"

namespace cuconform::cases::autodiff {

using Vector = std::vector<double>;

/// One registered operation: element-wise forward, optional backward (dL/dx from x and dL/dy).
struct Op {
    std::string name;
    std::function<double(double)> forward;
    std::function<double(double x, double dy)> backward;  ///< Empty: "no gradient defined".
    bool has_device_kernel = true;  ///< False for host-only (numpy-like) ops.
};

/// Ops by name, like a framework's op registry.
class Registry {
public:
    void add(Op op) { ops_[op.name] = std::move(op); }
    const Op* find(const std::string& name) const {
        auto it = ops_.find(name);
        return it == ops_.end() ? nullptr : &it->second;
    }

private:
    std::map<std::string, Op> ops_;
};

/// A chain of ops y = op_n(...op_1(x)), its forward pass, gradient and device placement.
class Graph {
public:
    Graph(const Registry& registry, std::vector<std::string> ops) : registry_(registry), ops_(std::move(ops)) {}

    /// The forward value, or UNKNOWN_OP.
    std::variant<Vector, Outcome> forward(Vector x) const {
        for (const auto& name : ops_) {
            const Op* op = registry_.find(name);
            if (op == nullptr) return Outcome::error(Domain::Harness, "UNKNOWN_OP", {}, "no op named " + name);
            for (double& v : x) v = op->forward(v);
        }
        return x;
    }

    /// d(sum y)/dx by reverse mode; NO_GRADIENT naming the first op (from the output) without a backward.
    std::variant<Vector, Outcome> gradient(const Vector& x) const {
        std::vector<Vector> inputs{x};
        for (const auto& name : ops_) {
            const Op* op = registry_.find(name);
            if (op == nullptr) return Outcome::error(Domain::Harness, "UNKNOWN_OP", {}, "no op named " + name);
            Vector next = inputs.back();
            for (double& v : next) v = op->forward(v);
            inputs.push_back(std::move(next));
        }
        Vector dy(x.size(), 1.0);
        for (std::size_t i = ops_.size(); i-- > 0;) {
            const Op& op = *registry_.find(ops_[i]);
            if (!op.backward) {
                return Outcome::error(Domain::Harness, "NO_GRADIENT", {},
                                      fmt::format("No gradient defined for operation '{}' (op type: {})", op.name,
                                                  op.name));
            }
            for (std::size_t j = 0; j < dy.size(); ++j) dy[j] = op.backward(inputs[i][j], dy[j]);
        }
        return dy;
    }

    /// UNIMPLEMENTED naming the first op with no device kernel, like a graph placed on a GPU.
    std::optional<Outcome> place_on_device() const {
        for (const auto& name : ops_) {
            const Op* op = registry_.find(name);
            if (op == nullptr) return Outcome::error(Domain::Harness, "UNKNOWN_OP", {}, "no op named " + name);
            if (!op->has_device_kernel) {
                return Outcome::error(Domain::Harness, "UNIMPLEMENTED", {},
                                      fmt::format("Graph execution error: no device kernel registered for op '{}' "
                                                  "(a host-only function inside the graph)",
                                                  op->name));
            }
        }
        return std::nullopt;
    }

private:
    const Registry& registry_;
    std::vector<std::string> ops_;
};

/// Largest relative disagreement between `gradient` and central differences of sum(forward) at `x`,
/// relative to max(1, |values|) so that the tolerance scales with the values.
inline double max_relative_gradient_error(const Graph& graph, const Vector& x, const Vector& gradient,
                                          double step = 1e-5) {
    double worst = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        Vector plus = x, minus = x;
        plus[i] += step;
        minus[i] -= step;
        const auto up = std::get<Vector>(graph.forward(plus));
        const auto down = std::get<Vector>(graph.forward(minus));
        const double numeric = (up[i] - down[i]) / (2.0 * step);
        const double scale = std::max({1.0, std::fabs(numeric), std::fabs(gradient[i])});
        worst = std::max(worst, std::fabs(numeric - gradient[i]) / scale);
    }
    return worst;
}

}  // namespace cuconform::cases::autodiff
