# SPDX-License-Identifier: Apache-2.0
"""`cuconform matrix run --provider container`: what it asks of docker/podman, and what it says where neither runs.

No container engine runs on the development machine, so the flow test puts tests/integration/fake_engine.py on PATH
as `docker`/`podman`: it records each command line and runs the image's entrypoint (cuconform) on the host with the
results mount mapped back. It checks the commands and the results' way back, not docker itself."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FAKE = pathlib.Path(__file__).resolve().parent / "fake_engine.py"

MATRIX = """name: containers
matrix:
  toolkit: ["13.0"]             # the host stack is the toolkit's: the image's own stack (no wheel stack baked in)
  variants: [all, default]      # two cells in one image, which is built once
"""


def binary():
    path = os.environ.get("CUCONFORM_BIN")
    if not path:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    return path


def engine_dir(tmp_path, name):
    """A directory holding the fake engine as `name`, to put first on PATH."""
    bindir = tmp_path / "engine-bin"
    bindir.mkdir(exist_ok=True)
    (bindir / name).symlink_to(FAKE)
    return bindir


def path_without_engines(tmp_path):
    """PATH with no docker or podman: a directory on PATH that holds one is replaced by a directory of links to
    everything else in it (podman from apt lives in /usr/bin, beside bash and everything else a case needs)."""
    keep = []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not d or not os.path.isdir(d):
            continue
        if not any(os.access(os.path.join(d, e), os.X_OK) for e in ENGINES):
            keep.append(d)
            continue
        shadow = tmp_path / "path-without-engines" / d.strip("/").replace("/", "_")
        if not shadow.exists():
            shadow.mkdir(parents=True)
            for name in os.listdir(d):
                if name not in ENGINES:
                    (shadow / name).symlink_to(os.path.join(d, name))
        keep.append(str(shadow))
    return os.pathsep.join(keep)


ENGINES = ("docker", "podman")


def run(args, env, timeout=600):
    return subprocess.run([binary(), *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)


def test_without_an_engine_it_says_so_and_runs_nothing(tmp_path):
    env = dict(os.environ, PATH=path_without_engines(tmp_path))
    out = tmp_path / "out"
    r = run(["matrix", "run", ROOT / "matrix/pr.yaml", "--provider", "container", "--out", out], env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "no container engine" in r.stderr and "docker, podman" in r.stderr
    assert "NVIDIA Container Toolkit" in r.stderr  # what a GPU runner needs
    assert "without --provider" in r.stderr  # what to do here instead
    assert not out.exists() or not any(out.glob("*/results.jsonl"))


def test_an_engine_that_does_not_work_is_named_with_its_error(tmp_path):
    bindir = engine_dir(tmp_path, "docker")
    log = tmp_path / "engine.log"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{path_without_engines(tmp_path)}", FAKE_ENGINE_LOG=str(log),
               FAKE_ENGINE_INFO_EXIT="1")
    r = run(["matrix", "run", ROOT / "matrix/pr.yaml", "--provider", "container", "--out", tmp_path / "out"], env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "`docker info` fails" in r.stderr
    assert [json.loads(line)[1] for line in log.read_text().splitlines()] == ["info"]


@pytest.mark.parametrize("engine", ["docker", "podman"])
def test_container_cells_build_once_per_image_and_run_the_catalogue_inside(tmp_path, engine):
    bindir = engine_dir(tmp_path, engine)
    log = tmp_path / "engine.log"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{path_without_engines(tmp_path)}", FAKE_ENGINE_LOG=str(log),
               CUCONFORM_BIN=binary())
    matrix = tmp_path / "containers.yaml"
    matrix.write_text(MATRIX)
    out = tmp_path / "out"
    r = run(["matrix", "run", matrix, "--provider", "container", "--engine", engine, "--out", out,
             "--only", "loader.cudnn.*"], env)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(c[0] == engine for c in calls)
    builds = [c for c in calls if c[1] == "build"]
    runs = [c for c in calls if c[1] == "run"]
    # One image per toolkit, from NVIDIA's CUDA image with cuDNN, built from the source tree's Dockerfile.
    bases = sorted(a.split("=", 1)[1] for c in builds for a in c if a.startswith("BASE="))
    assert bases == ["nvidia/cuda:13.0.1-cudnn-devel-ubuntu24.04"]
    for c in builds:
        assert c[c.index("-f") + 1] == str(ROOT / "containers/Dockerfile") and c[-1] == str(ROOT)
        assert not any(a.startswith("STACK=") for a in c)  # host cells: the image's own stack
    # Two cells in the image, results mounted at /results; CPU runners get no GPU flags; docker runs as this user.
    assert len(runs) == 2
    plan = {c["id"]: c for c in json.loads(run(["matrix", "plan", matrix, "--json"], env).stdout)["cells"]}
    for c in runs:
        assert "--gpus" not in c and "--device" not in c
        assert ("--user" in c) == (engine == "docker")
        assert f"{out.resolve()}:/results" in c
        cell_id = c[c.index("--cell") + 1]
        image = c[c.index("run", 2) - 1]
        assert image.startswith("cuconform:" + plan[cell_id]["toolkit"] + ".")
        assert image in {b[b.index("-t") + 1] for b in builds}
        assert c[c.index("run", 2):c.index("run", 2) + 3] == ["run", "--out", "/results"]
    for cell_id in plan:
        cell = json.loads((out / cell_id / "cell.json").read_text())
        assert cell["stack"]["provider"] == "container"
        assert cell["provision"]["ok"] is True and cell["provision"]["engine"] == engine
        assert cell["provision"]["base"].startswith("nvidia/cuda:")
        assert (out / cell_id / "results.jsonl").stat().st_size > 0
    status = {c["id"]: c["status"] for c in json.loads((out / "matrix.json").read_text())["cells"]}
    assert set(status.values()) == {"ran"}
    assert (out / "report/index.html").exists()


def test_a_failed_image_build_fails_its_cells_and_the_others_go_on(tmp_path):
    bindir = engine_dir(tmp_path, "docker")
    log = tmp_path / "engine.log"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{path_without_engines(tmp_path)}", FAKE_ENGINE_LOG=str(log),
               FAKE_ENGINE_BUILD_EXIT="1")
    matrix = tmp_path / "containers.yaml"
    matrix.write_text(MATRIX)
    out = tmp_path / "out"
    r = run(["matrix", "run", matrix, "--provider", "container", "--out", out, "--only", "loader.cudnn.*"], env)
    assert r.returncode == 2, r.stdout + r.stderr
    status = {c["id"]: c for c in json.loads((out / "matrix.json").read_text())["cells"]}
    assert {c["status"] for c in status.values()} == {"provision-failed"}
    assert all("docker build" in c["reason"] for c in status.values())
    # A failed image is not built again for the next cell that needs it.
    assert sum(1 for line in log.read_text().splitlines() if json.loads(line)[1] == "build") == 1
