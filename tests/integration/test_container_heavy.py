# SPDX-License-Identifier: Apache-2.0
"""A cell in a real podman image, built here: the local Debian base (scripts/containers base, mmdebstrap), the
catalogue compiled in the image against the CUDA 13.0 toolkit and run on the cuDNN 9.19 stack, both from NVIDIA's
wheels (the cache of `cuconform stack fetch`), by `matrix run --provider container --base local`. The same stack run
as a wheels cell under bubblewrap (`run --stack PREFIX --isolation bwrap`) must give every (case, variant) the same
verdict. The first run downloads the base's Debian packages and about 1 GB of wheels, and builds the image (about
20 minutes on 2 cores); later runs reuse every layer."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("podman") is None,
                                reason="podman is not installed here (scripts/containers setup installs it)")

MATRIX = """name: container-heavy
description: the CUDA 13.0 / cuDNN 9.19 stack from NVIDIA's wheels, every variant
build: {cuda: "13.0", cudnn: "9.19"}
host: {cuda: "13.0", cudnn: "9.19"}
matrix:
  runtime: ["13.0"]
  cudnn: ["9.19"]
  variants: [all]
"""


def binary():
    path = os.environ.get("CUCONFORM_BIN")
    if not path:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    return os.path.abspath(path)


def test_a_cell_in_a_podman_image_gives_the_verdicts_of_the_same_stack_under_bubblewrap(tmp_path):
    cli = binary()
    matrix = tmp_path / "container.yaml"
    matrix.write_text(MATRIX)
    out = tmp_path / "out"
    r = subprocess.run([cli, "matrix", "run", matrix, "--provider", "container", "--base", "local", "--out", out],
                       capture_output=True, text=True, timeout=3600)
    assert r.returncode in (0, 1), r.stdout[-4000:] + r.stderr[-4000:]
    (cell_id,) = [c["id"] for c in json.loads((out / "matrix.json").read_text())["cells"]]
    cell_dir = out / cell_id
    cell = json.loads((cell_dir / "cell.json").read_text())
    provision = cell["provision"]
    assert provision["ok"] is True and provision["engine"] == "podman" and provision["base"] == "local"
    assert provision["image"].startswith("localhost/cuconform-cell:cuda13.0-cudnn9.19-tkcuda13.0-cudnn9.19-")
    assert provision["digest"].startswith("sha256:") and provision["reference"].endswith("@" + provision["digest"])
    # The digest is the engine's for the image that ran.
    env = dict(os.environ, CONTAINERS_CONF=str(ROOT / "containers/podman/containers.conf"))
    inspected = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}} {{.Digest}}", provision["image"]],
                               capture_output=True, text=True, env=env, timeout=300)
    assert inspected.stdout.split() == [provision["image_id"], provision["digest"]]
    assert (cell_dir / "fingerprint.json").stat().st_size > 0
    results = [json.loads(line) for line in (cell_dir / "results.jsonl").read_text().splitlines() if line.strip()]
    assert len(results) > 50

    prefix = subprocess.run([cli, "stack", "fetch", "cuda=13.0", "cudnn=9.19", "--print-prefix"], capture_output=True,
                            text=True, timeout=3600, check=True).stdout.strip()
    bwrap = subprocess.run([cli, "run", "--stack", prefix, "--isolation", "bwrap", "--out", out, "--cell",
                            "wheels-bwrap", "--quiet"], capture_output=True, text=True, timeout=3600)
    assert bwrap.returncode in (0, 1), bwrap.stderr[-4000:]
    same = subprocess.run(["python3", ROOT / "scripts/lib/same_verdicts.py", cell_dir, out / "wheels-bwrap"],
                          capture_output=True, text=True, timeout=300)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "same verdicts" in same.stdout
