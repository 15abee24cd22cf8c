# SPDX-License-Identifier: Apache-2.0
"""Label `matrix-heavy` (about 800 MB of wheels the first time; cached after): cuDNN 9.13 for CUDA 13 from
NVIDIA's wheels (nvidia-cudnn-cu13, nvidia-cuda-runtime, nvidia-cublas: nothing from the host), run under this
build (cuDNN 9.19 headers): the frameworks' rule must be the expected error, observed, so PASS."""
import glob
import json
import os
import subprocess
import time

CLI = os.environ.get("CUCONFORM_BIN", "build/bin/cuconform")


def test_cudnn_9_13_from_wheels_is_older_than_built(tmp_path):
    env = dict(os.environ)
    env.pop("CUCONFORM_STACK", None)
    started = time.time()
    fetch = subprocess.run([CLI, "stack", "fetch", "cuda=13.0", "cudnn=9.13.0.50", "--print-prefix"],
                           capture_output=True, text=True, timeout=3000, env=env)
    assert fetch.returncode == 0, fetch.stderr[-3000:]
    prefix = fetch.stdout.strip()
    stack = json.load(open(os.path.join(prefix, "stack.json")))
    assert {w["package"] for w in stack["wheels"]} == {"nvidia-cudnn-cu13", "nvidia-cuda-runtime", "nvidia-cublas"}
    assert stack["versions"]["cudnn"] == "9.13.0.50" and stack["versions"]["cuda_runtime"].startswith("13.0.")
    for soname in ("libcudnn.so.9", "libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13"):
        assert os.path.exists(os.path.join(prefix, "lib", soname)), soname

    out = tmp_path / "out"
    run = subprocess.run([CLI, "run", "--stack", prefix, "--out", str(out), "--quiet", "--only", "skew.*"],
                         capture_output=True, text=True, timeout=600, env=env)
    cell_dir = glob.glob(str(out / "*"))
    assert len(cell_dir) == 1, run.stdout + run.stderr
    cell = json.load(open(os.path.join(cell_dir[0], "cell.json")))
    assert cell["id"].startswith("wheels-cuda13.0-cudnn9.13.0"), cell["id"]
    assert cell["stack"]["provider"] == "wheels" and cell["stack"]["cudnn"] == "9.13.0"
    fp = json.load(open(os.path.join(cell_dir[0], "fingerprint.json")))
    real_prefix = os.path.realpath(prefix)
    for part in ("runtime", "cudnn"):
        assert fp[part]["library"]["path"].startswith(real_prefix), (part, fp[part]["library"])
    results = {r["case"] + "/" + r["variant"]: r for r in map(json.loads, open(os.path.join(cell_dir[0], "results.jsonl")))}
    older = results["skew.cudnn.older_than_built/default"]
    assert older["observed"]["outcome"] == "error" and older["observed"]["domain"] == "loader"
    assert older["observed"]["name"] == "CUDNN_OLDER_THAN_BUILT" and older["verdict"] == "PASS", older
    print(f"matrix-heavy: {time.time() - started:.0f} s; verdicts "
          f"{sorted((k, r['verdict']) for k, r in results.items())}")
