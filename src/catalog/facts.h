// SPDX-License-Identifier: Apache-2.0
/// \file The facts an expectation may read about a stack, and the knowledge-base functions it may call.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>

#include "catalog/case.h"
#include "expect/expectation.h"
#include "expect/facts.h"

namespace cuconform {

/// Facts of a fingerprint (see docs in cases/README.md):
///   driver, driver.version, driver.cuda          runtime, runtime.version        toolkit, toolkit.cuda, toolkit.cudnn
///   cudnn, cudnn.loaded, cudnn.built, cudnn.cudart, cudnn.max_device_cc, cudnn.sublib.<name>
///   cublas, cublas.version       gpu, gpu.count, gpu.cc, gpu.name, gpu.memory_mib, gpu.error
///   env.<NAME> (null when unset)  variant   host.arch
///   consumer, consumer.kind; framework, framework.name, framework.version, framework.built.{cuda,cudnn,cublas},
///   framework.runtime / .cudnn / .cublas (what it loads), framework.imports, framework.accepts,
///   framework.accepts.{cudnn,cuda,cublas}, framework.cudnn_aborts, framework.visible_devices, framework.check
std::unique_ptr<expect::MapFacts> facts_from_fingerprint(const results::Fingerprint& fingerprint,
                                                         const Variant& variant);

/// The fact paths and functions case expectations may use (checked when the catalogue loads).
const expect::Vocabulary& catalog_vocabulary();

}  // namespace cuconform
