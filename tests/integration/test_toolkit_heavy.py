# SPDX-License-Identifier: Apache-2.0
"""A catalogue built with another toolkit (CUDA 12.9 / cuDNN 9.19 headers from NVIDIA's wheels) and run on a 12.9 stack
through `cuconform matrix run`, which fetches the toolkit and builds build-<toolkit>/ when missing. Label `matrix-heavy`
(the wheels are ~1.3 GB, the build minutes)."""
import json
import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = pathlib.Path(os.environ.get("CUCONFORM_TEST_OUTPUT", "/tmp/cuconform-test-output")) / "toolkit-heavy"
MATRIX = """name: toolkit-heavy
build: {cuda: "13.0", cudnn: "9.19"}
host: {cuda: "13.0", cudnn: "9.19"}
matrix:
  toolkit: ["12.9"]
  runtime: ["12.9"]
  cudnn: ["9.19"]
"""


@pytest.fixture(scope="module")
def binary():
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    if subprocess.run([binary, "stack", "fetch-toolkit", "--help"], capture_output=True).returncode != 0:
        pytest.skip("this build has no `cuconform stack fetch-toolkit`")
    return binary


def test_toolkit_prefix_is_laid_out_like_a_cuda_toolkit(binary):
    r = subprocess.run([binary, "stack", "fetch-toolkit", "cuda=12.9", "cudnn=9.19", "--print-prefix"],
                       capture_output=True, text=True, timeout=3000)
    assert r.returncode == 0, r.stderr[-2000:]
    prefix = pathlib.Path(r.stdout.strip().splitlines()[-1])
    info = json.loads((prefix / "toolkit.json").read_text())
    assert (prefix / "version.txt").read_text().startswith("CUDA Version 12.9."), info
    assert re.search(r"define CUDART_VERSION\s+12090\b", (prefix / "include/cuda_runtime_api.h").read_text())
    assert re.search(r"define CUDNN_MAJOR\s+9", (prefix / "include/cudnn_version.h").read_text())
    assert (prefix / "lib/libcudart.so").exists() and (prefix / "include/cublasLt.h").exists()
    # The finding: nvidia-cuda-nvcc-cu12 has ptxas and libnvvm but no nvcc driver; toolkit.json must say so.
    assert (prefix / "bin/ptxas").exists()
    assert (prefix / "bin/nvcc").exists() == bool(info["nvcc"])
    if not info["nvcc"]:
        assert "bin/nvcc" in info["missing"] and "no nvcc" in info["note"], info


def test_cells_of_a_12x_toolkit_run_with_a_12x_build(binary, tmp_path):
    matrix = tmp_path / "toolkit.yaml"
    matrix.write_text(MATRIX)
    r = subprocess.run([binary, "matrix", "run", matrix, "--out", OUT, "--only", "skew.*", "--only", "loader.cudnn.*"],
                       capture_output=True, text=True, timeout=3300)
    summary = json.loads((OUT / "matrix.json").read_text())
    assert [c["status"] for c in summary["cells"]] == ["ran"], f"{r.stdout[-3000:]} {r.stderr[-2000:]} {summary}"
    cell_dir = OUT / summary["cells"][0]["id"]
    cell = json.loads((cell_dir / "cell.json").read_text())
    assert cell["provision"]["cli"].endswith("build-cuda12.9-cudnn9.19/bin/cuconform"), cell["provision"]
    fingerprint = json.loads((cell_dir / "fingerprint.json").read_text())
    assert fingerprint["toolkit"]["cuda"] == "12.9" and fingerprint["toolkit"]["cudnn"].startswith("9.19"), fingerprint
    results = [json.loads(line) for line in (cell_dir / "results.jsonl").read_text().splitlines() if line.strip()]
    assert any(x["case"].startswith("skew.") for x in results) and any(x["case"].startswith("loader.cudnn.")
                                                                      for x in results), results
    bad = [(x["case"], x.get("variant"), x["verdict"]) for x in results if x["verdict"] not in ("PASS", "UNSUPPORTED")]
    assert not bad, bad
