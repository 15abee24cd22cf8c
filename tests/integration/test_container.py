# SPDX-License-Identifier: Apache-2.0
"""`cuconform matrix run --provider container` with docker (and podman's GPU flags), which cannot run here: what it asks
of the engine, and what it says where none runs.

podman itself runs here (test_container_podman.py, test_container_*heavy.py); docker and GPUs do not, so these tests
put tests/integration/fake_engine.py on PATH as `docker`/`podman` (the GPU flags themselves: tests/unit/matrix_test.cpp,
MatrixContainer; a gpu cell is skipped where the probe lists no GPU): it records each command line, remembers what was
"pulled" and "built" (with the build context's contents), and runs the image's entrypoint (cuconform) on the host with
the results mount mapped back. It checks the commands and the results' way back, not docker itself. The build goes
through scripts/containers image as with podman, so the toolkit and stack must be in the wheel cache."""
import json
import os
import pathlib
import shlex
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
TOOLKIT_PREFIX, STACK_PREFIX = "toolkits/cuda13.0-cudnn9.19", "stacks/cuda13.0-cudnn9.19"


def cache_dir():
    if os.environ.get("CUCONFORM_CACHE"):
        return pathlib.Path(os.environ["CUCONFORM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME", "/tmp"), ".cache")
    return pathlib.Path(base) / "cuconform"


def needs_cache():
    """The image's build context is assembled from the wheel cache (the toolkit and stack of the host's CUDA 13.0 /
    cuDNN 9.19); without them, the build would download about 1.4 GB, which the default test run does not."""
    for part, made_by in ((TOOLKIT_PREFIX + "/toolkit.json", "stack fetch-toolkit"), (STACK_PREFIX + "/stack.json",
                                                                                       "stack fetch")):
        if not (cache_dir() / part).exists():
            pytest.skip(f"{cache_dir() / part} is not assembled yet (about 1.4 GB of NVIDIA's wheels: "
                        f"`cuconform {made_by} cuda=13.0 cudnn=9.19`, or test_container_heavy.py)")


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
    # docker's own words (its daemon is not running), the fix, and nothing built or run.
    assert "docker does not answer here; docker info said:" in r.stderr, r.stderr
    assert "docker: Cannot connect to the Docker daemon" in r.stderr and "fix: start the docker daemon" in r.stderr
    assert {json.loads(line)[1] for line in log.read_text().splitlines()} == {"info"}


def test_without_engine_the_first_that_answers_is_used_and_one_that_does_not_is_named(tmp_path):
    """A docker CLI whose daemon is down, beside a podman that works: with no --engine, podman is taken, and the
    output says why docker was passed over."""
    bindir = engine_dir(tmp_path, "docker")
    (bindir / "podman").symlink_to(FAKE)
    log = tmp_path / "engine.log"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{path_without_engines(tmp_path)}", FAKE_ENGINE_LOG=str(log),
               FAKE_ENGINE_INFO_EXIT_DOCKER="1")
    r = run(["stack", "container-plan", "cuda=13.0", "cudnn=9.19"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "--engine podman" in r.stdout and "--engine docker" not in r.stdout, r.stdout
    assert "`docker info` fails (" in r.stderr and "Cannot connect to the Docker daemon" in r.stderr, r.stderr
    assert "using podman instead (--engine chooses)" in r.stderr, r.stderr
    assert [json.loads(line)[:2] for line in log.read_text().splitlines()] == [["docker", "info"], ["podman", "info"]]


@pytest.mark.parametrize("engine", ["docker", "podman"])
def test_container_cells_build_once_per_image_and_run_the_catalogue_inside(tmp_path, engine):
    needs_cache()
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
    runs = [c for c in calls if c[1] == "run" and "--rootfs" not in c]  # not podman's start check
    # One image for the toolkit and stack, on NVIDIA's CUDA image (pulled), built by scripts/containers from the
    # recipe and an assembled context: the source, the toolkit and the cell's stack from the wheel cache.
    assert [c[-1] for c in calls if c[1] == "pull"] == ["nvidia/cuda:13.0.1-cudnn-devel-ubuntu24.04"]
    assert len(builds) == 1, builds
    build = builds[0]
    assert build[build.index("-f") + 1] == str(ROOT / "containers/Dockerfile")
    args = {a.split("=", 1)[0]: a.split("=", 1)[1] for a in build if a.startswith(("BASE=", "BASE_STACK=", "STACK_NAME="))}
    assert args == {"BASE": "nvidia/cuda:13.0.1-cudnn-devel-ubuntu24.04",
                    "BASE_STACK": "cuda13.0.1-cudnn9.13.0.50-1", "STACK_NAME": "cuda13.0-cudnn9.19"}, args
    assert "--network" not in build  # NVIDIA's base gets its build packages from apt
    (built,) = [json.loads(line) for line in pathlib.Path(str(log) + ".builds").read_text().splitlines()]
    assert built["context"] == ["source", "stack", "toolkit"]
    assert built["stack"]["name"] == "cuda13.0-cudnn9.19", built["stack"]
    assert built["labels"]["org.cuconform.stack"] == "wheels:cuda13.0-cudnn9.19"
    # Two cells in the image, no network, results mounted at /results; CPU runners get no GPU flags; docker runs as
    # this user.
    assert len(runs) == 2
    plan = {c["id"]: c for c in json.loads(run(["matrix", "plan", matrix, "--json"], env).stdout)["cells"]}
    for c in runs:
        assert "--gpus" not in c and "--device" not in c
        assert c[c.index("--network") + 1] == "none"
        assert ("--user" in c) == (engine == "docker")
        assert f"{out.resolve()}:/results" in c
        image = c[c.index("run", 2) - 1]
        assert image == built["tag"]
        assert c[c.index("run", 2):c.index("run", 2) + 3] == ["run", "--out", "/results"]
    for cell_id in plan:
        cell = json.loads((out / cell_id / "cell.json").read_text())
        provision = cell["provision"]
        assert cell["stack"]["provider"] == "container"
        assert provision["ok"] is True and provision["engine"] == engine
        assert provision["base"] == "nvidia/cuda:13.0.1-cudnn-devel-ubuntu24.04"
        # What the base carried, and that the cell ran on its own stack from the wheels instead.
        assert provision["base_stack"] == "cuda13.0.1-cudnn9.13.0.50-1" and provision["stack_source"] == "wheels"
        assert provision["image"] == built["tag"] and provision["image_id"].startswith("sha256:")
        assert (out / cell_id / "results.jsonl").stat().st_size > 0
        # Each result's reproduce command enters this very image by its id or digest (the tag may move on) with the
        # cell's results mounted, and runs that one case again into a cell of its own.
        for line in (out / cell_id / "results.jsonl").read_text().splitlines():
            record = json.loads(line)
            words = shlex.split(record["reproduce"])
            if engine == "podman":  # with the project's settings, as the matrix ran it
                assert words[:2] == ["env", f"CONTAINERS_CONF={provision['settings']}"], record["reproduce"]
                words = words[2:]
            assert words[:2] == [engine, "run"], record["reproduce"]
            assert provision["reference"] in words and provision["image"] not in words, record["reproduce"]
            assert f"{out.resolve()}:/results" in words
            tail = words[words.index(provision["reference"]) + 1:]
            # (--out is /results in the image; the stand-in runs the entrypoint on the host with /results mapped back)
            assert tail[2] in ("/results", str(out.resolve())), tail
            assert tail[:2] + tail[3:6] == ["run", "--out", "--cell", f"{cell_id}-reproduce", "--only"], tail
            assert tail[6] == record["case"], tail
    status = {c["id"]: c["status"] for c in json.loads((out / "matrix.json").read_text())["cells"]}
    assert set(status.values()) == {"ran"}
    assert (out / "report/index.html").exists()


def test_a_failed_image_build_fails_its_cells_and_the_others_go_on(tmp_path):
    needs_cache()
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
    assert all("docker build failed; it said:" in c["reason"] and "the stand-in was told to fail" in c["reason"]
               for c in status.values())
    # A failed image is not built again for the next cell that needs it.
    assert sum(1 for line in log.read_text().splitlines() if json.loads(line)[1] == "build") == 1


def test_the_local_base_refuses_toolkits_before_cuda_13_before_anything_is_fetched_or_built(tmp_path):
    # No engine is needed to say it: the refusal comes first (a stand-in on PATH records any call).
    bindir = engine_dir(tmp_path, "podman")
    log = tmp_path / "engine.log"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{path_without_engines(tmp_path)}", FAKE_ENGINE_LOG=str(log),
               CUCONFORM_CACHE=str(tmp_path / "empty-cache"))
    matrix = tmp_path / "old.yaml"
    matrix.write_text('name: old\nbuild: {cuda: "13.0", cudnn: "9.19"}\nmatrix:\n  toolkit: ["12.9", "13.0"]\n')
    out = tmp_path / "out"
    r = run(["matrix", "run", matrix, "--provider", "container", "--base", "local", "--out", out], env)
    assert r.returncode == 2, r.stdout + r.stderr
    # Which cell and toolkit, why, and the fix.
    assert "--base local needs a CUDA 13 toolkit or later: 1 of the cells ask for an older one" in r.stderr, r.stderr
    assert "(toolkit CUDA 12.9)" in r.stderr and "(toolkit CUDA 13.0)" not in r.stderr
    assert "NVIDIA's CUDA 11 and 12 wheels carry none" in r.stderr and "--base nvidia" in r.stderr
    # Nothing fetched, built, run or recorded.
    assert not log.exists() and not (tmp_path / "empty-cache").exists() and not out.exists()
