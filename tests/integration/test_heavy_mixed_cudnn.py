# SPDX-License-Identifier: Apache-2.0
"""loader.cudnn.mixed_copies against a real second cuDNN: the ops sub-library of cuDNN 9.13 (NVIDIA's PyPI wheel)
next to this stack's shim. Downloads about 350 MB once (cached in the build directory): CTest label matrix-heavy,
which ./scripts/test leaves out; run it with `ctest --test-dir build -L matrix-heavy`."""
import glob
import json
import os
import subprocess
import sys
import zipfile

CLI = os.environ.get("CUCONFORM_BIN", "build/bin/cuconform")
CACHE = os.path.join(os.environ.get("CUCONFORM_BUILD_DIR", "build"), "test-cache", "cudnn-cu13-9.13.0.50")
WHEEL = "nvidia-cudnn-cu13==9.13.0.50"


def second_cudnn_lib():
    lib = os.path.join(CACHE, "nvidia", "cudnn", "lib")
    if not os.path.exists(os.path.join(lib, "libcudnn_ops.so.9")):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d",
                        CACHE, WHEEL], check=True)
        (wheel,) = glob.glob(os.path.join(CACHE, "nvidia_cudnn_cu13-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            z.extract("nvidia/cudnn/lib/libcudnn_ops.so.9", CACHE)
            z.extract("nvidia/cudnn/lib/libcudnn_graph.so.9", CACHE)
    return lib


def test_foreign_ops_library_is_a_version_mismatch(tmp_path):
    env = dict(os.environ, CUCONFORM_SECOND_CUDNN=second_cudnn_lib())
    proc = subprocess.run([CLI, "run", "--quiet", "--out", str(tmp_path), "--only", "loader.cudnn.mixed_copies"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (results,) = glob.glob(str(tmp_path / "*" / "results.jsonl"))
    (record,) = [json.loads(line) for line in open(results)]
    assert record["verdict"] == "PASS"
    assert record["observed"]["name"] == "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH"
    assert record["observed"]["code"] == 1002
