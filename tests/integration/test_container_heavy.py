# SPDX-License-Identifier: Apache-2.0
"""Cells in real podman images, built here: the local Debian base (scripts/containers base, mmdebstrap), the
catalogue compiled once in the image of the CUDA 13.0 / cuDNN 9.19 toolkit, and run on two stacks from NVIDIA's wheels
(the cache of `cuconform stack fetch`): the toolkit's own (cuDNN 9.19) and an older cuDNN skew cell (cuDNN 9.13 under
the 9.19 headers), by one `matrix run --provider container --base local`. Each stack run as a wheels cell under
bubblewrap (`run --stack PREFIX --isolation bwrap`) must give every (case, variant) the same verdict as its container
cell, and the merged report shows the four cells side by side. The first run downloads the base's Debian packages and
about 1.4 GB of wheels, and builds the toolkit's image (about 20 minutes on 2 cores); the second stack's image shares
every layer but its stack, and later runs reuse every layer."""
import json
import os
import pathlib
import shlex
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("podman") is None,
                                reason="podman is not installed here (scripts/containers setup installs it)")

STACKS = ["9.19", "9.13"]  # the toolkit's cuDNN, then an older one: skew.cudnn.older_than_built sees the difference

MATRIX = """name: container-heavy
description: the CUDA 13.0 toolkit, run on its cuDNN 9.19 stack and on an older cuDNN 9.13, every variant
build: {cuda: "13.0", cudnn: "9.19"}
host: {cuda: "13.0", cudnn: "9.19"}
matrix:
  runtime: ["13.0"]
  cudnn: ["9.19", "9.13"]
  variants: [all]
"""


def binary():
    path = os.environ.get("CUCONFORM_BIN")
    if not path:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    return os.path.abspath(path)


def results(cell_dir):
    return {(r["case"], r["variant"]): r
            for r in (json.loads(line) for line in (cell_dir / "results.jsonl").read_text().splitlines() if line.strip())}


def test_cells_in_podman_images_give_the_verdicts_of_the_same_stacks_under_bubblewrap(tmp_path):
    cli = binary()
    matrix = tmp_path / "container.yaml"
    matrix.write_text(MATRIX)
    out = tmp_path / "out"
    r = subprocess.run([cli, "matrix", "run", matrix, "--provider", "container", "--base", "local", "--out", out],
                       capture_output=True, text=True, timeout=3600)
    assert r.returncode in (0, 1), r.stdout[-4000:] + r.stderr[-4000:]
    cells = [c["id"] for c in json.loads((out / "matrix.json").read_text())["cells"]]
    assert len(cells) == 2, cells
    env = dict(os.environ, CONTAINERS_CONF=str(ROOT / "containers/podman/containers.conf"))
    container, layers = {}, {}
    for cudnn in STACKS:
        (cell_id,) = [c for c in cells if c.startswith(f"cuda13.0-cudnn{cudnn}-")]
        cell_dir = out / cell_id
        provision = json.loads((cell_dir / "cell.json").read_text())["provision"]
        assert provision["ok"] is True and provision["engine"] == "podman" and provision["base"] == "local"
        assert provision["image"].startswith(f"localhost/cuconform-cell:cuda13.0-cudnn{cudnn}-tkcuda13.0-cudnn9.19-")
        assert provision["digest"].startswith("sha256:") and provision["reference"].endswith("@" + provision["digest"])
        # The digest is the engine's for the image that ran.
        inspected = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}} {{.Digest}}",
                                    provision["image"]], capture_output=True, text=True, env=env, timeout=300)
        assert inspected.stdout.split() == [provision["image_id"], provision["digest"]]
        layers[cudnn] = subprocess.run(["podman", "image", "inspect", "--format", "{{json .RootFS.Layers}}",
                                        provision["image"]], capture_output=True, text=True, env=env, timeout=300,
                                       check=True).stdout
        assert (cell_dir / "fingerprint.json").stat().st_size > 0
        # Each result's reproduce command runs its case again in exactly this image, by digest, with the results
        # mounted where the cell's were.
        for line in (cell_dir / "results.jsonl").read_text().splitlines():
            words = shlex.split(json.loads(line)["reproduce"])
            assert words[2:4] == ["podman", "run"] and provision["reference"] in words, words
            assert words[words.index(provision["reference"]) + 1:][:3] == ["run", "--out", "/results"], words
        container[cudnn] = cell_dir
        assert len(results(cell_dir)) > 50

    # One build per toolkit image: the two cells' images differ only in their last layer, the stack.
    a, b = (json.loads(layers[c]) for c in STACKS)
    assert len(a) == len(b) and a[:-1] == b[:-1] and a[-1] != b[-1], (a, b)

    for cudnn in STACKS:
        prefix = subprocess.run([cli, "stack", "fetch", "cuda=13.0", f"cudnn={cudnn}", "--print-prefix"],
                                capture_output=True, text=True, timeout=3600, check=True).stdout.strip()
        wheels = f"cuda13.0-cudnn{cudnn}-wheels-bwrap"
        bwrap = subprocess.run([cli, "run", "--stack", prefix, "--isolation", "bwrap", "--out", out, "--cell", wheels,
                                "--quiet"], capture_output=True, text=True, timeout=3600)
        assert bwrap.returncode in (0, 1), bwrap.stderr[-4000:]
        same = subprocess.run(["python3", ROOT / "scripts/lib/same_verdicts.py", container[cudnn], out / wheels],
                              capture_output=True, text=True, timeout=300)
        print(same.stdout)
        assert same.returncode == 0, same.stdout + same.stderr
        assert "same verdicts" in same.stdout

    # The older cuDNN is seen: some loader.cudnn.* or skew.* result observed something else on 9.13 than on 9.19.
    new, old = results(container["9.19"]), results(container["9.13"])
    seen = [key for key in new if key[0].startswith(("loader.cudnn", "skew.")) and key in old
            and new[key]["observed"] != old[key]["observed"]]
    assert seen, "the cuDNN 9.13 cell observed the same as the 9.19 cell in every loader.cudnn.* and skew.* case"

    # The merged report shows the two container cells beside the two wheel cells.
    report = subprocess.run([cli, "report", out, "--out", tmp_path / "report"], capture_output=True, text=True,
                            timeout=600)
    assert report.returncode in (0, 1), report.stdout[-4000:] + report.stderr[-4000:]
    html = (tmp_path / "report" / "index.html").read_text()
    for cell in [*cells, "cuda13.0-cudnn9.19-wheels-bwrap", "cuda13.0-cudnn9.13-wheels-bwrap"]:
        assert cell in html, cell
