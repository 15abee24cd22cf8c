# SPDX-License-Identifier: Apache-2.0
"""Runs the shape, dtype, autodiff, rnn and precision families through the CLI and checks key results."""
import glob
import json
import os
import subprocess
import tempfile

import pytest

FAMILIES = ["shape", "dtype", "autodiff", "rnn", "precision"]


@pytest.fixture(scope="module")
def results():
    binary = os.environ["CUCONFORM_BIN"]
    by_key = {}
    with tempfile.TemporaryDirectory() as out:
        for family in FAMILIES:
            # One output folder per family: a run writes its cell's results.jsonl afresh.
            run = subprocess.run([binary, "run", "--family", family, "-o", os.path.join(out, family)],
                                 capture_output=True, text=True, timeout=600)
            assert run.returncode == 0, f"{family} does not conform:\n{run.stdout}\n{run.stderr}"
        for path in glob.glob(os.path.join(out, "*", "*", "results.jsonl")):
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    by_key[(record["case"], record.get("variant", "default"))] = record
    return by_key


def test_every_result_conforms(results):
    assert len(results) >= 30
    for key, record in results.items():
        assert record["verdict"] in ("PASS", "UNSUPPORTED"), key
        if record["verdict"] == "UNSUPPORTED":
            assert record["observed"].get("reason"), key


@pytest.mark.parametrize("case, variant, name", [
    ("shape.dense.feature_mismatch", "default", "CUDNN_STATUS_BAD_PARAM"),
    ("shape.conv.channel_mismatch", "default", "CUDNN_STATUS_BAD_PARAM"),
    ("shape.negative_dim.graph_tensor", "default", "CUDNN_STATUS_BAD_PARAM"),
    ("dtype.rnn.int8_lstm", "default", "CUDNN_STATUS_NOT_SUPPORTED"),
    ("dtype.int8x4.channels_not_multiple", "default", "CUDNN_STATUS_BAD_PARAM"),
    ("dtype.string.compile_time", "default", "STATIC_ASSERTION_FAILED"),
    ("autodiff.gradient.missing_backward", "default", "NO_GRADIENT"),
    ("autodiff.gradient.seed_custom_gradient_wrong", "default", "GRADIENT_MISMATCH"),
    ("autodiff.device.host_only_op", "default", "UNIMPLEMENTED"),
    ("rnn.lstm.adv_sublibrary_missing", "adv_hidden", "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE"),
    ("rnn.lstm.shim_missing", "cudnn_hidden", "LIBRARY_NOT_FOUND"),
    ("precision.nvcc.sm61_refused", "default", "UNSUPPORTED_GPU_ARCHITECTURE"),
])
def test_observed_error(results, case, variant, name):
    record = results[(case, variant)]
    assert record["verdict"] == "PASS"
    assert record["observed"]["outcome"] == "error"
    assert record["observed"]["name"] == name


@pytest.mark.parametrize("case, variant", [
    ("shape.dense.feature_match", "default"),
    ("shape.zero_dim.graph_tensor", "default"),
    ("dtype.numeric.compile_time", "default"),
    ("autodiff.gradient.custom_gradient", "default"),
    ("rnn.lstm.adv_sublibrary_missing", "default"),
    ("precision.nvcc.sm75_accepted", "default"),
])
def test_controls_ok(results, case, variant):
    record = results[(case, variant)]
    assert record["verdict"] == "PASS"
    assert record["observed"]["outcome"] == "ok"


def test_messages_name_the_cause(results):
    assert "'Sign'" in results[("autodiff.gradient.missing_backward", "default")]["observed"]["message"]
    assert "'NumpyTanh'" in results[("autodiff.device.host_only_op", "default")]["observed"]["message"]
    assert "sm_61" in results[("precision.nvcc.sm61_refused", "default")]["observed"]["message"]
    assert "static assertion" in results[("dtype.string.compile_time", "default")]["observed"]["message"]
