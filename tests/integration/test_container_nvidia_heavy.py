# SPDX-License-Identifier: Apache-2.0
"""The NVIDIA-base path of containers/Dockerfile with the real podman: a cell built on an image with NVIDIA's layout
and its own, other stack, and the catalogue run in it.

No registry is reachable here, so `nvidia/cuda:13.0.1-cudnn-devel-ubuntu24.04` itself cannot be pulled. The test makes
an image laid out as NVIDIA's is (what the nvidia/cuda Dockerfiles install and set): the toolkit under
/usr/local/cuda-13.0 (targets/x86_64-linux/{include,lib}, /usr/local/cuda linked to it), the CUDA runtime and cuBLAS on
the loader's cache through /etc/ld.so.conf.d, cuDNN 9.13 in /usr/lib/x86_64-linux-gnu (the cuDNN of NVIDIA's 13.0.1
cudnn images, NV_CUDNN_VERSION=9.13.0.50-1), CUDA_VERSION, NV_CUDNN_VERSION, PATH and LD_LIBRARY_PATH as NVIDIA's set
them, and no /etc/cuconform/base.json, so the recipe takes its NVIDIA branch (the build packages from apt). Its parts
come from NVIDIA's wheels in the cache and its Debian from the local base. The cell's toolkit is CUDA 13.0 / cuDNN 9.19
and its stack cuDNN 9.19: the image must hold exactly that stack (the base's cuDNN 9.13 and runtime removed), its
fingerprint must say so, and its verdicts must be those of the same stack on the local base and under bubblewrap."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts/containers"
NVIDIA_LAYOUT = "localhost/cuconform-test-nvidia-layout:13.0.1-cudnn9.13"
BASE_STACK = "cuda13.0.1-cudnn9.13.0.50-1"

pytestmark = pytest.mark.skipif(shutil.which("podman") is None,
                                reason="podman is not installed here (scripts/containers setup installs it)")

MATRIX = """name: nvidia-layout
description: the CUDA 13.0 toolkit and its cuDNN 9.19 stack, every variant
build: {cuda: "13.0", cudnn: "9.19"}
host: {cuda: "13.0", cudnn: "9.19"}
matrix:
  runtime: ["13.0"]
  cudnn: ["9.19"]
  variants: [all]
"""

# NVIDIA's layout (the nvidia/cuda base, runtime, devel and cudnn Dockerfiles): /usr/local/cuda-X.Y with targets/,
# the runtime libraries on the loader's cache, cuDNN from its Debian package in the multiarch directory.
CONTAINERFILE = """ARG BASE
FROM ${BASE}
COPY toolkit/ /usr/local/cuda-13.0/
COPY cudnn/ /usr/lib/x86_64-linux-gnu/
RUN set -e; t=/usr/local/cuda-13.0; mkdir -p $t/targets/x86_64-linux; \
    mv $t/include $t/targets/x86_64-linux/include; cp -a $t/lib $t/targets/x86_64-linux/lib; rm -rf $t/lib $t/lib64; \
    ln -s targets/x86_64-linux/include $t/include; ln -s targets/x86_64-linux/lib $t/lib64; \
    ln -s /usr/local/cuda-13.0 /usr/local/cuda; \
    echo $t/targets/x86_64-linux/lib > /etc/ld.so.conf.d/988_cuda-13.conf; \
    echo /usr/local/nvidia/lib > /etc/ld.so.conf.d/nvidia.conf; echo /usr/local/nvidia/lib64 >> /etc/ld.so.conf.d/nvidia.conf; \
    rm -f /etc/cuconform/base.json; rmdir /etc/cuconform 2>/dev/null || true; ldconfig
ENV CUDA_VERSION=13.0.1 NV_CUDNN_VERSION=9.13.0.50-1 \
    PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LD_LIBRARY_PATH=/usr/local/nvidia/lib:/usr/local/nvidia/lib64 NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
"""


def binary():
    path = os.environ.get("CUCONFORM_BIN")
    if not path:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    return os.path.abspath(path)


def podman_env():
    return dict(os.environ, CONTAINERS_CONF=str(ROOT / "containers/podman/containers.conf"))


def results(cell_dir):
    return {(r["case"], r["variant"]): r["verdict"]
            for r in (json.loads(line) for line in (cell_dir / "results.jsonl").read_text().splitlines() if line.strip())}


def fetch(cli, *words):
    return subprocess.run([cli, *words, "--print-prefix"], capture_output=True, text=True, timeout=3600,
                          check=True).stdout.strip()


def nvidia_layout_image(tmp_path, cli):
    """The NVIDIA-layout image on the local base (its layers cached by podman between runs)."""
    base = subprocess.run([SCRIPT, "base"], capture_output=True, text=True, timeout=3600)
    assert base.returncode == 0, base.stderr
    toolkit = fetch(cli, "stack", "fetch-toolkit", "cuda=13.0", "cudnn=9.19")
    old_stack = fetch(cli, "stack", "fetch", "cuda=13.0", "cudnn=9.13")
    context = tmp_path / "nvidia-layout"
    (context / "cudnn").mkdir(parents=True)
    shutil.copytree(toolkit, context / "toolkit", symlinks=True, copy_function=os.link,
                    ignore=shutil.ignore_patterns("toolkit.json", "version.txt"))
    for lib in pathlib.Path(old_stack, "lib").glob("libcudnn*.so*"):
        os.link(os.path.realpath(lib), context / "cudnn" / lib.name)
    (context / "Containerfile").write_text(CONTAINERFILE)
    r = subprocess.run(["podman", "build", "--network", "none", "--build-arg", f"BASE={base.stdout.strip()}", "-t",
                        NVIDIA_LAYOUT, str(context)], capture_output=True, text=True, env=podman_env(), timeout=3600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def test_a_cell_on_an_nvidia_base_holds_exactly_its_stack_and_agrees_with_the_local_base_and_bubblewrap(tmp_path):
    cli = binary()
    nvidia_layout_image(tmp_path, cli)
    matrix = tmp_path / "m.yaml"
    matrix.write_text(MATRIX)

    # The same cell on the NVIDIA-layout base and on the local base, each by one matrix run.
    cells = {}
    for name, base in (("nvidia", NVIDIA_LAYOUT), ("local", "local")):
        out = tmp_path / name
        r = subprocess.run([cli, "matrix", "run", matrix, "--provider", "container", "--engine", "podman", "--base", base,
                            "--out", out], capture_output=True, text=True, timeout=3600)
        assert r.returncode in (0, 1), r.stdout[-4000:] + r.stderr[-4000:]
        (cell,) = json.loads((out / "matrix.json").read_text())["cells"]
        cells[name] = out / cell["id"]
    provision = json.loads((cells["nvidia"] / "cell.json").read_text())["provision"]
    assert provision["ok"] is True and provision["base"] == NVIDIA_LAYOUT
    # What the base carried of its own (its CUDA_VERSION and NV_CUDNN_VERSION), and that the cell's stack came from
    # the wheels instead; the local base carries none.
    assert provision["base_stack"] == BASE_STACK and provision["stack_source"] == "wheels", provision
    local = json.loads((cells["local"] / "cell.json").read_text())["provision"]
    assert local["base_stack"] == "none" and local["stack_source"] == "wheels", local
    assert provision["image"] == ("localhost/cuconform-cell:cuda13.0-cudnn9.19-tkcuda13.0-cudnn9.19-"
                                  "cuconform-test-nvidia-layout-13.0.1-cudnn9.13")

    # The image holds exactly the cell's stack: the base's cuDNN 9.13 and CUDA runtime were removed, and the only
    # copies of libcudnn, libcudart and libcublas left are the stack's and the build toolkit's (not on any path).
    def inside(command):
        r = subprocess.run(["podman", "run", "--rm", "--network", "none", "--entrypoint", "sh", provision["image"], "-c",
                            command], capture_output=True, text=True, env=podman_env(), timeout=600)
        assert r.returncode == 0, r.stderr
        return r.stdout

    # The recipe took its NVIDIA branch: no local base's marker, so the build packages came from the base's apt
    # sources (python3-venv is installed by that branch only).
    assert inside("test ! -e /etc/cuconform/base.json && dpkg-query -W -f '${Status}' python3-venv") == \
        "install ok installed"
    removed = inside("cat /etc/cuconform/base-stack-removed.txt").split()
    assert "/usr/lib/x86_64-linux-gnu/libcudnn.so.9" in removed, removed
    assert "/usr/local/cuda-13.0/targets/x86_64-linux/lib/libcudart.so.13" in removed, removed
    left = inside("find / -xdev \\( -name 'libcudnn*.so*' -o -name 'libcudart.so*' -o -name 'libcublas*.so*' \\) "
                  "-print").split()
    assert left and all(p.startswith(("/opt/cuconform/stack/", "/opt/cuconform/toolkit/")) for p in left), left
    assert "libcudnn" not in inside("ldconfig -p")  # nothing of the base's stack in the loader's cache

    # cell.json's stack is the image's, from its stack.json (as `run --stack` records a prefix), not the host's.
    stack = json.loads((cells["nvidia"] / "cell.json").read_text())["stack"]
    assert stack["provider"] == "container" and stack["prefix"] == "/opt/cuconform/stack", stack
    assert stack["name"] == "cuda13.0-cudnn9.19" and stack["versions"]["cudnn"].startswith("9.19."), stack

    # The fingerprint says which stack ran: the image's variables, and cuDNN 9.19 loaded from the stack.
    fp = json.loads((cells["nvidia"] / "fingerprint.json").read_text())
    assert fp["env"].get("CUCONFORM_IMAGE_STACK") == "wheels:cuda13.0-cudnn9.19", fp["env"]
    assert fp["env"].get("CUCONFORM_IMAGE_BASE_STACK") == BASE_STACK, fp["env"]
    assert fp["cudnn"]["loaded"].startswith("9.19"), fp["cudnn"]
    # One cuDNN where the loader looks (the base's 9.13 in the loader's cache would be a second copy).
    assert [c["path"] for c in fp["cudnn"]["installed"]] == ["/opt/cuconform/stack/lib/libcudnn.so.9"], fp["cudnn"]
    assert fp["env"].get("LD_LIBRARY_PATH", "").startswith("/opt/cuconform/stack/lib:/usr/local/nvidia/lib")

    # The same verdicts on the NVIDIA-layout base, on the local base and under bubblewrap.
    prefix = fetch(cli, "stack", "fetch", "cuda=13.0", "cudnn=9.19")
    bwrap = tmp_path / "bwrap"
    r = subprocess.run([cli, "run", "--stack", prefix, "--isolation", "bwrap", "--out", bwrap, "--cell", "wheels",
                        "--quiet"], capture_output=True, text=True, timeout=3600)
    assert r.returncode in (0, 1), r.stderr[-4000:]
    for other in (cells["local"], bwrap / "wheels"):
        same = subprocess.run(["python3", ROOT / "scripts/lib/same_verdicts.py", cells["nvidia"], other],
                              capture_output=True, text=True, timeout=300)
        print(same.stdout)
        assert same.returncode == 0, same.stdout + same.stderr
    assert len(results(cells["nvidia"])) > 50
