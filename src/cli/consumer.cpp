// SPDX-License-Identifier: Apache-2.0
/// \file `cuconform __consumer-confirm`: the fresh process that makes a consumer's loads and reports what mapped
/// (started by consumer::confirm_loads, not by people).
#include "consumer/confirm.h"
#include "core/command.h"

namespace cuconform::consumer {
namespace {

struct ConfirmOptions {
    std::string request;
    int result_fd = 3;
};

CommandSetup confirm_setup = [](CLI::App& sub) -> std::function<int()> {
    auto o = std::make_shared<ConfirmOptions>();
    sub.group("");  // Internal.
    sub.add_option("--request", o->request)->required();
    sub.add_option("--result-fd", o->result_fd);
    return [o] { return confirm_child_main(o->request, o->result_fd); };
};

CUCONFORM_COMMAND(kConfirmCommand, "", 998, confirm_setup);

}  // namespace
}  // namespace cuconform::consumer
