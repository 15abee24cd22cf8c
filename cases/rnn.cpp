// SPDX-License-Identifier: Apache-2.0
/// \file Family `rnn`: an LSTM through cuDNN's RNN API, and the same LSTM with the adv sub-library or the shim gone.
#include "catalog/case.h"
#include "cases/cudnn_check.h"
#include "cases/lstm.h"
#include "loader/apis.h"

namespace cuconform::cases {
namespace {

/// Builds the LSTM's descriptors on the host; the first adv-library call is cudnnCreateRNNDescriptor.
Outcome describe_lstm() {
    if (auto missing = library_failure(loader::cudnn().library)) return *missing;
    Lstm lstm;
    if (auto error = lstm.describe({})) return *error;
    return Outcome::ok("LSTM descriptors (RNN v8, RNN data x/y, h/c tensors) set on the host");
}

// Tests that an LSTM's descriptors validate on the host, without a GPU or a handle.
CUCONFORM_CASE({
    .id = "rnn.lstm.host_descriptors",
    .title = "LSTM(16) on [7, 4, 10] sequences: RNN v8, RNN data and state descriptors set on the host",
    .symptom = "none: the descriptor half of Keras' cuDNN LSTM path works without touching the GPU",
    .cause = "cudnnSetRNNDescriptor_v8 and cudnnSetRNNDataDescriptor validate arguments only (adv sub-library)",
    .seed = "000",
    .labels = {"control"},
    .needs = {Need::Cudnn},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return describe_lstm(); },
});

// Tests an LSTM forward and backward (data and weights) step through cuDNN on the GPU.
CUCONFORM_CASE({
    .id = "rnn.lstm.forward_backward",
    .title = "LSTM(16) training step: cudnnRNNForward, cudnnRNNBackwardData_v8, cudnnRNNBackwardWeights_v8",
    .symptom = "Keras LSTM trains on the GPU (the cuDNN kernel path) instead of raising NotImplementedError",
    .cause = "the whole cuDNN RNN path: handle, weight space, temp space, forward (training), backward",
    .seed = "000",
    .labels = {"rnn"},
    .needs = {Need::Cudnn, Need::Gpu},
    .expect = R"(
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) -> Outcome {
        if (auto missing = library_failure(loader::cudnn().library)) return *missing;
        Lstm lstm;
        if (auto error = lstm.describe({})) return *error;
        return lstm_train_step(lstm);
    },
});

// Tests that the LSTM reports the missing adv sub-library as a cuDNN status, with and without it hidden.
CUCONFORM_CASE({
    .id = "rnn.lstm.adv_sublibrary_missing",
    .title = "LSTM descriptors with libcudnn_adv.so.N invisible to the loader (the shim is present)",
    .symptom = "Keras LSTM raises NotImplementedError / TensorFlow falls back from the cuDNN LSTM kernel",
    .cause = "the shim libcudnn.so.9 dlopens libcudnn_adv on the first RNN call; when it is missing every adv "
             "entry point returns CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE (cuDNN 9)",
    .seed = "000",
    .labels = {"sublibrary"},
    .needs = {Need::Cudnn},
    .variants = {{.name = "default", .description = "nothing hidden (control)"},
                 {.name = "adv_hidden", .description = "libcudnn_adv hidden from the loader", .hide = {"@cudnn_adv"}}},
    .expect = R"(
        when variant == "adv_hidden" -> error(cudnn, CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE)
        otherwise -> ok
    )",
    .reproduce = [](CaseContext&) { return describe_lstm(); },
});

// Tests that the LSTM with the whole cuDNN shim hidden is a loader error, not a crash.
CUCONFORM_CASE({
    .id = "rnn.lstm.shim_missing",
    .title = "LSTM descriptors with libcudnn.so.N itself invisible to the loader",
    .symptom =
        "Keras LSTM raises NotImplementedError; TensorFlow logs \"Could not load dynamic library 'libcudnn.so'\"",
    .cause = "dlopen(libcudnn.so.9) fails, so no RNN entry point exists",
    .seed = "000",
    .variants = {{.name = "cudnn_hidden", .description = "libcudnn.so.N hidden from the loader", .hide = {"@cudnn"}}},
    .expect = R"(
        otherwise -> error(loader, LIBRARY_NOT_FOUND)
    )",
    .reproduce = [](CaseContext&) { return describe_lstm(); },
});

}  // namespace
}  // namespace cuconform::cases
