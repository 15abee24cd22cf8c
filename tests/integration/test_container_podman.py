# SPDX-License-Identifier: Apache-2.0
"""Container cells with the real podman here (scripts/containers, `matrix run --provider container --base local`):
what each of them says, with podman's own words and the fix, and exit 2, when the engine is not installed, cannot
start a container, the base image is missing, or the image build fails. No cell image is built here (that is
test_container_heavy.py); the failed build uses a base without a shell, made from this machine's /usr/bin/true."""
import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts/containers"
TOOLKIT, STACK = "cuda=13.0 cudnn=9.19", "cuda=13.0 cudnn=9.19"

pytestmark = pytest.mark.skipif(shutil.which("podman") is None,
                                reason="podman is not installed here (scripts/containers setup installs it)")


def binary():
    path = os.environ.get("CUCONFORM_BIN")
    if not path:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    return path


def cache_dir():
    if os.environ.get("CUCONFORM_CACHE"):
        return pathlib.Path(os.environ["CUCONFORM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME", "/tmp"), ".cache")
    return pathlib.Path(base) / "cuconform"


def matrix_run(out, *extra, env=None, timeout=600):
    return subprocess.run([binary(), "matrix", "run", ROOT / "matrix/pr.yaml", "--provider", "container", "--out", out,
                           "--only", "loader.cudnn.*", *extra], capture_output=True, text=True, timeout=timeout,
                          env=env or os.environ)


def settings_file(tmp_path, runtime):
    conf = tmp_path / "containers.conf"
    conf.write_text(f'[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "{runtime}"\n')
    return conf


def test_without_podman_it_says_how_to_install_it(tmp_path):
    # Everything of /usr/bin but the engines (on Debian 12 /bin is /usr/bin).
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in pathlib.Path("/usr/bin").iterdir():
        if tool.name not in ("podman", "docker"):
            (bindir / tool.name).symlink_to(tool)
    env = dict(os.environ, PATH=str(bindir))
    out = tmp_path / "out"
    r = matrix_run(out, "--base", "local", env=env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "podman not found on PATH" in r.stderr and "scripts/containers setup" in r.stderr
    assert not any(out.glob("*/results.jsonl"))
    check = subprocess.run([SCRIPT, "check"], capture_output=True, text=True, env=env, timeout=120)
    assert check.returncode == 2
    assert "no container engine: podman is not installed" in check.stderr and "fix: scripts/containers setup" in check.stderr


def test_an_engine_that_cannot_start_a_container_is_quoted_with_the_fix(tmp_path):
    env = dict(os.environ, CUCONFORM_CONTAINERS_CONF=str(settings_file(tmp_path, "no-such-runtime")))
    out = tmp_path / "out"
    r = matrix_run(out, "--base", "local", env=env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert 'podman: Error: default OCI runtime "no-such-runtime" not found' in r.stderr  # podman's own words
    assert "fix: install the runtime the settings name" in r.stderr
    assert "scripts/containers check` exited with status 2" in r.stderr
    assert not any(out.glob("*/results.jsonl"))  # nothing was built or run
    # The project's own settings start one here (the same check, passing).
    ok = subprocess.run([SCRIPT, "check"], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "podman starts containers here" in ok.stderr


def test_a_missing_base_fails_its_cells_with_podmans_words(tmp_path):
    image = f"localhost/cuconform-missing-{uuid.uuid4().hex[:8]}:1"
    out = tmp_path / "out"
    r = matrix_run(out, "--engine", "podman", "--base", image)
    assert r.returncode == 2, r.stdout + r.stderr
    cells = json.loads((out / "matrix.json").read_text())["cells"]
    assert {c["status"] for c in cells} == {"provision-failed"}
    for c in cells:
        assert f"the base image {image} is not here and cannot be pulled" in c["reason"]
        assert "podman: Error:" in c["reason"] and "podman load -i" in c["reason"]
        assert "level=warning" not in c["reason"]
        cell = json.loads((out / c["id"] / "cell.json").read_text())
        assert cell["provision"]["ok"] is False and image in cell["provision"]["reason"]


def test_a_failed_image_build_shows_the_failing_step_and_fails_every_cell_of_that_image(tmp_path):
    cache = cache_dir()
    for part in ("toolkits/cuda13.0-cudnn9.19/toolkit.json", "stacks/cuda13.0-cudnn9.19/stack.json"):
        if not (cache / part).exists():
            pytest.skip(f"{cache / part} is not assembled yet (a download of about 1 GB: test_container_heavy.py "
                        f"or `cuconform stack fetch-toolkit {TOOLKIT}` makes it)")
    # A base that podman can start but the Dockerfile cannot build on: /usr/bin/true and its libraries, no shell.
    rootfs = tmp_path / "rootfs"
    (rootfs / "usr/bin").mkdir(parents=True)
    shutil.copy2("/usr/bin/true", rootfs / "usr/bin/true")
    for lib in subprocess.run(["ldd", "/usr/bin/true"], capture_output=True, text=True).stdout.split():
        if lib.startswith("/"):
            (rootfs / lib.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(os.path.realpath(lib), rootfs / lib.lstrip("/"))
    tar = tmp_path / "noshell.tar"
    with tarfile.open(tar, "w") as t:
        t.add(rootfs, arcname=".")
    image = f"localhost/cuconform-test-noshell:{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, CONTAINERS_CONF=str(ROOT / "containers/podman/containers.conf"))
    subprocess.run(["podman", "import", tar, image], check=True, capture_output=True, env=env, timeout=300)
    try:
        out = tmp_path / "out"
        r = matrix_run(out, "--engine", "podman", "--base", image)
        assert r.returncode == 2, r.stdout + r.stderr
        assert "podman build failed; it said:" in r.stderr
        assert "/bin/sh" in r.stderr  # the engine's words: the RUN step has no shell to run in
        cells = json.loads((out / "matrix.json").read_text())["cells"]
        assert {c["status"] for c in cells} == {"provision-failed"}
        assert all("podman build failed" in c["reason"] and "fix:" in c["reason"] for c in cells)
        # One image for both cells: built (and failed) once.
        assert r.stderr.count("podman build failed; it said:") == 1
    finally:
        subprocess.run(["podman", "rmi", "-f", image], capture_output=True, env=env, timeout=300)
        # The failed build's log and lock, named after this run's base: not left in the cache for every run.
        for leftover in (cache / "containers/contexts").glob(f"*-cuconform-test-noshell-{image.rsplit(':', 1)[1]}.*"):
            leftover.unlink()
