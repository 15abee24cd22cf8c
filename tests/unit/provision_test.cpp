// SPDX-License-Identifier: Apache-2.0
/// \file Stack providers: requests -> pip requirements, the cache's SHA-256, cell ids, container tags.
#include <gtest/gtest.h>

#include "provision/container.h"
#include "provision/wheels.h"
#include "results/cell.h"

namespace cuconform::provision {
namespace {

TEST(StackSha256, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(StackRequest, VersionPatternsBecomePipSpecifiers) {
    EXPECT_EQ(version_specifier("9.1"), ">=9.1,<9.2");
    EXPECT_EQ(version_specifier("12"), ">=12,<13");
    EXPECT_EQ(version_specifier("9.13.0"), ">=9.13.0,<9.13.1");
    EXPECT_EQ(version_specifier("9.13.0.50"), "==9.13.0.50");
    EXPECT_THROW(version_specifier("9.x"), StackError);
}

TEST(StackRequest, WheelsPerCudaMajor) {
    auto cu12 = resolve_wheels(StackRequest::parse({"cuda=12.4", "cudnn=9.1"}));
    ASSERT_EQ(cu12.size(), 3u);
    EXPECT_EQ(cu12[0].requirement, "nvidia-cuda-runtime-cu12>=12.4,<12.5");
    EXPECT_EQ(cu12[1].requirement, "nvidia-cudnn-cu12>=9.1,<9.2");
    EXPECT_EQ(cu12[2].requirement, "nvidia-cublas-cu12>=12.4,<12.5");
    EXPECT_EQ(cu12[2].fallback, "nvidia-cublas-cu12>=12,<13");

    auto cu13 = resolve_wheels(StackRequest::parse({"cuda=13.0", "cudnn=9.13.0.50"}));
    ASSERT_EQ(cu13.size(), 3u);
    EXPECT_EQ(cu13[0].requirement, "nvidia-cuda-runtime>=13.0,<13.1");  // No -cu13 suffix for CUDA 13 components.
    EXPECT_EQ(cu13[1].requirement, "nvidia-cudnn-cu13==9.13.0.50");
    EXPECT_EQ(cu13[2].requirement, "nvidia-cublas>=13.0,<13.1");

    auto cu11 = resolve_wheels(StackRequest::parse({"cuda=11.8", "cudnn=8.9", "cublas=none"}));
    ASSERT_EQ(cu11.size(), 2u);
    EXPECT_EQ(cu11[1].requirement, "nvidia-cudnn-cu11>=8.9,<8.10");
    EXPECT_EQ(resolve_wheels(StackRequest::parse({"cuda=11.8", "cudnn=none"}))[1].requirement,
              "nvidia-cublas-cu11>=11,<12");
}

TEST(StackRequest, NamesAndErrors) {
    EXPECT_EQ(StackRequest::parse({"cuda=12.4", "cudnn=9.1"}).name(), "cuda12.4-cudnn9.1");
    EXPECT_EQ(StackRequest::parse({"cuda=12.4", "cudnn=none", "cublas=none"}).name(), "cuda12.4-nocudnn-nocublas");
    EXPECT_THROW(StackRequest::parse({"cudnn=9.1"}), StackError);
    EXPECT_THROW(StackRequest::parse({"cuda=12.4"}), StackError);
    EXPECT_THROW(StackRequest::parse({"cuda=10.2", "cudnn=7.6"}), StackError);
    EXPECT_THROW(StackRequest::parse({"cuda=12.4", "cudnn"}), StackError);
}

TEST(StackCell, IdFromWhatTheLoaderFoundElseTheWheels) {
    results::CellStack stack;
    stack.provider = "wheels";
    stack.prefix = "/cache/stacks/cuda12.4-cudnn9.1";
    stack.details = {{"versions", {{"cuda_runtime", "12.4.127"}, {"cudnn", "9.1.1.17"}}}};
    results::Fingerprint fp;
    fp.cudnn.loaded = "9.1.1";
    EXPECT_EQ(results::cell_id_for(stack, fp), "wheels-cuda12.4-cudnn9.1.1");
    fp.gpus.push_back({0, "H100", "9.0"});
    fp.runtime.version = "12.4";
    EXPECT_EQ(results::cell_id_for(stack, fp), "wheels-cuda12.4-cudnn9.1.1-sm90");
    EXPECT_EQ(results::cell_id_for(results::CellStack{}, fp), "host-cuda12.4-cudnn9.1.1-sm90");
}

TEST(StackContainer, BaseTags) {
    EXPECT_EQ(container_base_tag("12.4", "9"), "nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04");
    EXPECT_EQ(container_base_tag("13.0.1", ""), "nvidia/cuda:13.0.1-cudnn-devel-ubuntu24.04");
    EXPECT_EQ(container_base_tag("11.8", "8.9"), "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04");
    EXPECT_THROW(container_base_tag("12.4", "8.9"), StackError);
    EXPECT_THROW(container_base_tag("10.2", ""), StackError);
}

}  // namespace
}  // namespace cuconform::provision
