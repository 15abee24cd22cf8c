// SPDX-License-Identifier: Apache-2.0
/// \file A typed layer instantiated with CUCONFORM_ELEMENT (a -D of the dtype case): numeric compiles, others must not.
#include <string>
#include <type_traits>
#include <vector>

template <typename T>
struct Dense {
    static_assert(std::is_arithmetic_v<T>, "Dense<T> needs a numeric element type (got a non-numeric one)");
    std::vector<T> weights;
    T apply(T x) const { return weights.empty() ? x : weights.front() * x; }
};

int main() {
    Dense<CUCONFORM_ELEMENT> layer{};
    (void)layer;
    return 0;
}
