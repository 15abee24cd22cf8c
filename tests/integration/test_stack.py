# SPDX-License-Identifier: Apache-2.0
"""`cuconform stack fetch | list | container-plan` and `run --stack`: the wheel cache (sha256 manifest, reuse,
corrupt file -> download again), pip's failures quoted, and a run that sees only the prefix's libraries."""
import glob
import json
import os
import shutil
import subprocess

import pytest

from stack_wheels import make_cu12_index, make_cu13_toolkit_index

CLI = os.environ.get("CUCONFORM_BIN", "build/bin/cuconform")


def cli(*args, env=None, timeout=300):
    full = dict(os.environ)
    full.pop("CUCONFORM_STACK", None)
    full.update(env or {})
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout, env=full)


def fetch_local(cache, index, *words):
    return cli("stack", "fetch", *(words or ("cuda=12.4", "cudnn=9.1")), "--cache", str(cache),
               "--pip-arg=--no-index", f"--pip-arg=--find-links={index}")


def test_fetch_assembles_a_prefix_and_reuses_the_cache(tmp_path):
    index = make_cu12_index(str(tmp_path / "index"))
    cache = tmp_path / "cache"
    first = fetch_local(cache, index)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 downloaded, 0 reused" in first.stdout
    prefix = cache / "stacks" / "cuda12.4-cudnn9.1"
    stack = json.loads((prefix / "stack.json").read_text())
    assert stack["versions"] == {"cuda_runtime": "12.4.127", "cudnn": "9.1.1.17", "cublas": "12.4.5.8"}
    assert [w["requirement"] for w in stack["wheels"]] == [
        "nvidia-cuda-runtime-cu12>=12.4,<12.5", "nvidia-cudnn-cu12>=9.1,<9.2", "nvidia-cublas-cu12>=12.4,<12.5"]
    assert sorted(os.listdir(prefix / "lib")) == ["libcublas.so.12", "libcublasLt.so.12", "libcudart.so.12",
                                                  "libcudnn.so.9", "libcudnn_ops.so.9"]
    assert all(os.path.islink(prefix / "lib" / n) for n in os.listdir(prefix / "lib"))
    assert (prefix / "lib" / "libcudnn.so.9").read_bytes() == b"fake cudnn 9.1.1\n"
    manifest = json.loads((cache / "wheels" / "manifest.json").read_text())
    for w in stack["wheels"]:
        assert manifest["wheels"][w["file"]]["sha256"] == w["sha256"]

    again = fetch_local(cache, index)
    assert again.returncode == 0, again.stderr
    assert "0 downloaded, 3 reused" in again.stdout
    assert again.stderr.count("already in the cache, unchanged since its sha256 was checked; not downloading") == 3
    assert "already assembled" in again.stderr

    printed = fetch_local(cache, index, "cuda=12.4", "cudnn=9.1", "--print-prefix")
    assert printed.stdout.strip() == str(prefix)

    listed = cli("stack", "list", "--json", "--cache", str(cache))
    stacks = json.loads(listed.stdout)
    assert [s["name"] for s in stacks] == ["cuda12.4-cudnn9.1"] and stacks[0]["size_bytes"] > 0
    assert "cuda12.4-cudnn9.1" in cli("stack", "list", "--cache", str(cache)).stdout


def test_a_toolkit_keeps_the_wheels_executables_executable(tmp_path):
    """nvcc, cudafe++, ptxas and cicc are executable in NVIDIA's wheels (mode 0o744); a toolkit prefix that lost the
    bits has no usable nvcc, and scripts/build-toolkit then silently took the host's. Also a prefix assembled before
    (without the bits) is assembled again."""
    index = make_cu13_toolkit_index(str(tmp_path / "index"))
    cache = tmp_path / "cache"

    def fetch_toolkit():
        return cli("stack", "fetch-toolkit", "cuda=13.0", "cudnn=9.19", "--cache", str(cache),
                   "--pip-arg=--no-index", f"--pip-arg=--find-links={index}")
    first = fetch_toolkit()
    assert first.returncode == 0, first.stdout + first.stderr
    prefix = cache / "toolkits" / "cuda13.0-cudnn9.19"
    tools = ["bin/nvcc", "bin/cudafe++", "bin/fatbinary", "bin/ptxas", "nvvm/bin/cicc"]
    for tool in tools:
        assert os.access(prefix / tool, os.X_OK), f"{tool} is not executable: {oct((prefix / tool).stat().st_mode)}"
    assert not os.access(prefix / "bin/nvcc.profile", os.X_OK)  # what the wheel does not mark stays as it was
    version = subprocess.run([str(prefix / "bin/nvcc"), "--version"], capture_output=True, text=True)
    assert "release 13.0" in version.stdout
    assert json.loads((prefix / "toolkit.json").read_text())["missing"] == []

    (prefix / "bin/nvcc").chmod(0o644)  # as an older cuconform left it
    again = fetch_toolkit()
    assert again.returncode == 0, again.stderr
    assert "assembling the toolkit" in again.stderr and os.access(prefix / "bin/nvcc", os.X_OK)


def assert_damage_is_downloaded_again(cache, index, damage):
    """Damages the cached cuDNN wheel with `damage(path, good_bytes)`; the next fetch must find it and restore it."""
    wheel = glob.glob(str(cache / "wheels" / "nvidia_cudnn_cu12-*.whl"))[0]
    good = open(wheel, "rb").read()
    damage(wheel, good)
    proc = fetch_local(cache, index)
    assert proc.returncode == 0, proc.stderr
    assert "is corrupt" in proc.stderr and "1 downloaded, 2 reused" in proc.stdout
    assert open(wheel, "rb").read() == good


def test_a_corrupt_wheel_is_downloaded_again(tmp_path):
    index = make_cu12_index(str(tmp_path / "index"))
    cache = tmp_path / "cache"
    assert fetch_local(cache, index).returncode == 0

    def append(wheel, good):
        with open(wheel, "ab") as f:
            f.write(b"bit rot")
    assert_damage_is_downloaded_again(cache, index, append)


def test_an_unchanged_wheel_is_not_hashed_again_a_rewritten_one_is(tmp_path):
    index = make_cu12_index(str(tmp_path / "index"))
    cache = tmp_path / "cache"
    assert fetch_local(cache, index).returncode == 0
    again = fetch_local(cache, index)
    assert again.returncode == 0 and "unchanged since its sha256 was checked" in again.stderr

    def flip_one_byte(wheel, good):
        # Same size, rewritten in place: the modification time says it changed, the sha256 says how.
        with open(wheel, "r+b") as f:
            f.seek(len(good) // 2)
            f.write(bytes([good[len(good) // 2] ^ 0xFF]))
        assert os.path.getsize(wheel) == len(good)
    assert_damage_is_downloaded_again(cache, index, flip_one_byte)


def test_a_version_pypi_does_not_have_quotes_pip(tmp_path):
    index = make_cu12_index(str(tmp_path / "index"))
    proc = fetch_local(tmp_path / "cache", index, "cuda=12.4", "cudnn=9.99")
    assert proc.returncode == 2
    assert "PyPI has no wheel for nvidia-cudnn-cu12>=9.99,<9.100" in proc.stderr
    assert "pip: ERROR: No matching distribution found" in proc.stderr


def test_missing_pip_and_a_full_disk_say_what_to_do(tmp_path):
    index = make_cu12_index(str(tmp_path / "index"))
    proc = cli("stack", "fetch", "cuda=12.4", "cudnn=9.1", "--cache", str(tmp_path / "c1"),
               env={"CUCONFORM_PYTHON": str(tmp_path / "no-such-python")})
    assert proc.returncode == 2 and "pip is needed" in proc.stderr and "CUCONFORM_PYTHON" in proc.stderr
    nopip = tmp_path / "nopip"
    nopip.write_text("#!/bin/sh\necho '/usr/bin/python3: No module named pip' >&2\nexit 1\n")
    nopip.chmod(0o755)
    proc = cli("stack", "fetch", "cuda=12.4", "cudnn=9.1", "--cache", str(tmp_path / "c2"),
               env={"CUCONFORM_PYTHON": str(nopip)})
    assert proc.returncode == 2 and "install pip" in proc.stderr and "No module named pip" in proc.stderr
    full = tmp_path / "fullpython"
    full.write_text("#!/bin/sh\n[ \"$3\" = --version ] && exit 0\n"
                    "echo 'ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device'\n"
                    "exit 1\n")
    full.chmod(0o755)
    proc = cli("stack", "fetch", "cuda=12.4", "cudnn=9.1", "--cache", str(tmp_path / "c3"),
               env={"CUCONFORM_PYTHON": str(full)})
    assert proc.returncode == 2 and "disk full" in proc.stderr and "CUCONFORM_CACHE" in proc.stderr


def test_bad_requests_name_the_word(tmp_path):
    proc = cli("stack", "fetch", "cuda=10.2", "cudnn=7.6", "--cache", str(tmp_path))
    assert proc.returncode == 2 and "CUDA 11, 12 and 13" in proc.stderr
    proc = cli("stack", "fetch", "cuda=12.4", "tensorrt=10", "--cache", str(tmp_path))
    assert proc.returncode == 2 and "unknown component 'tensorrt'" in proc.stderr


def host_prefix_without_cudnn(tmp_path):
    """A prefix holding the host's CUDA runtime and cuBLAS but no cuDNN: the host's cuDNN sits in the ld.so cache,
    so seeing it missing proves that the run reads PREFIX/lib only."""
    fp = json.loads(cli("probe").stdout)
    runtime = fp["runtime"]["library"]
    if not runtime.get("found"):
        pytest.skip("no CUDA runtime on this host to build a prefix from")
    prefix = tmp_path / "prefix"
    (prefix / "lib").mkdir(parents=True)
    for part in ("runtime", "cublas"):
        for key in ("library", "library_lt"):
            lib = fp.get(part, {}).get(key, {})
            if lib.get("found"):
                src = os.path.realpath(lib["path"])
                os.symlink(src, prefix / "lib" / os.path.basename(lib["path"]))
    return prefix


def auto_isolation():
    """What `--isolation auto` (the default) picks here: bubblewrap when it can start a sandbox, else the loader."""
    if shutil.which("bwrap") is None:
        return "loader"
    probe = subprocess.run(["bwrap", "--dev-bind", "/", "/", "--die-with-parent", "--", "true"], capture_output=True)
    return "bwrap" if probe.returncode == 0 else "loader"


def test_run_inside_a_prefix_sees_only_its_libraries(tmp_path):
    prefix = host_prefix_without_cudnn(tmp_path)
    out = tmp_path / "out"
    proc = cli("run", "--stack", str(prefix), "--out", str(out), "--quiet", "--only", "skew.cudnn.*",
               "--only", "loader.cudnn.missing_shim")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cells = glob.glob(str(out / "*" / "cell.json"))
    assert len(cells) == 1
    cell = json.loads(open(cells[0]).read())
    assert cell["id"].startswith("prefix-cuda") and "-cudnnnone" in cell["id"]
    assert cell["stack"]["provider"] == "prefix" and cell["stack"]["prefix"] == str(prefix.resolve())
    assert cell["stack"]["isolation"] == auto_isolation() and cell["stack"]["cudnn"] == "none"
    fp = json.loads(open(os.path.join(os.path.dirname(cells[0]), "fingerprint.json")).read())
    assert not fp["cudnn"]["library"]["found"]
    assert fp["runtime"]["library"]["path"].startswith(str(prefix.resolve()))
    results = [json.loads(line) for line in open(os.path.join(os.path.dirname(cells[0]), "results.jsonl"))]
    older = [r for r in results if r["case"] == "skew.cudnn.older_than_built"][0]
    assert older["observed"]["name"] == "LIBRARY_NOT_FOUND" and older["verdict"] == "PASS"
    assert all(r["verdict"] in ("PASS", "UNSUPPORTED") for r in results), [(r["case"], r["verdict"]) for r in results]


def test_run_stack_without_lib_is_a_harness_error(tmp_path):
    proc = cli("run", "--stack", str(tmp_path / "nothing"), "--out", str(tmp_path / "o"), "--only", "skew.*")
    assert proc.returncode == 2 and "no lib/ directory" in proc.stderr


def test_container_plan_prints_commands_and_says_when_no_engine_runs(tmp_path):
    # docker by name: with podman installed (scripts/containers setup) it would be the engine found first here.
    proc = cli("stack", "container-plan", "cuda=12.4", "cudnn=9", "--engine", "docker", env={"PATH": "/usr/bin:/bin"})
    # The image is built by scripts/containers on NVIDIA's image for the toolkit, with the cell's stack from the wheels.
    build_line = next(line for line in proc.stdout.splitlines() if line.startswith("IMAGE=$("))
    assert ("scripts/containers image --engine docker --toolkit 'cuda=12.4 cudnn=9' --stack 'cuda=12.4 cudnn=9' "
            "--base nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04") in build_line, build_line
    # The same command line `matrix run --provider container` runs: this user's files, the GPUs, the results mount.
    run_line = next(line for line in proc.stdout.splitlines() if line.startswith("docker run --rm"))
    assert f"--user {os.getuid()}:{os.getgid()}" in run_line and "--gpus all" in run_line, run_line
    assert "--network none" in run_line and ":/results" in run_line, run_line
    assert run_line.endswith('"$IMAGE" run --out /results'), run_line
    engine = subprocess.run("docker info", shell=True, capture_output=True).returncode == 0
    if not engine:
        assert "no container engine here" in proc.stdout or "info` fails" in proc.stdout
    podman = cli("stack", "container-plan", "cuda=13.0", "--engine", "podman")
    assert "--device nvidia.com/gpu=all" in podman.stdout and "13.0.1-cudnn-devel-ubuntu24.04" in podman.stdout
    bad = cli("stack", "container-plan", "cuda=12.9", "cudnn=9.19")
    assert bad.returncode == 2 and "no known nvidia/cuda cuDNN image tag for CUDA 12.9" in bad.stderr


def test_a_small_real_wheel_from_pypi(tmp_path):
    """nvidia-cuda-runtime-cu12 12.4 (~0.9 MB) from PyPI: the cache and the prefix with a real library."""
    cache = tmp_path / "cache"
    proc = cli("stack", "fetch", "cuda=12.4", "cudnn=none", "cublas=none", "--cache", str(cache), timeout=600)
    if proc.returncode != 0 and ("connection" in proc.stderr.lower() or "network" in proc.stderr.lower()
                                 or "resolve" in proc.stderr.lower()):
        pytest.skip("PyPI is not reachable: " + proc.stderr[-300:])
    assert proc.returncode == 0, proc.stderr
    prefix = cache / "stacks" / "cuda12.4-nocudnn-nocublas"
    lib = prefix / "lib" / "libcudart.so.12"
    assert lib.exists() and open(lib, "rb").read(4) == b"\x7fELF"
    again = cli("stack", "fetch", "cuda=12.4", "cudnn=none", "cublas=none", "--cache", str(cache))
    assert "0 downloaded, 1 reused" in again.stdout
    out = tmp_path / "out"
    run = cli("run", "--stack", str(prefix), "--out", str(out), "--quiet", "--only", "skew.cudnn.cuda_major")
    cell = json.loads(open(glob.glob(str(out / "*" / "cell.json"))[0]).read())
    assert cell["id"] == "wheels-cuda12.4-cudnnnone", cell["id"]  # the wheel's version: a CUDA 13 build cannot load .so.12
    assert cell["stack"]["versions"] == {"cuda_runtime": "12.4.127"}
    assert cell["stack"]["wheels"][0]["package"] == "nvidia-cuda-runtime-cu12"
    assert run.returncode in (0, 1), run.stderr


def test_auto_isolation_falls_back_to_the_loader_where_bwrap_cannot_start(tmp_path):
    # A bwrap that cannot start a sandbox (as where user namespaces are off): auto takes the loader, says so in
    # cell.json and in the reproduce line.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    prefix = host_prefix_without_cudnn(tmp_path)
    out = tmp_path / "out"
    env = dict(os.environ, PATH=f"{fake}{os.pathsep}{os.environ.get('PATH', '')}")
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    proc = subprocess.run([binary, "run", "--stack", str(prefix), "--out", str(out), "--quiet", "--only",
                           "loader.cudnn.missing_shim"], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cell_dir = glob.glob(str(out / "*"))[0]
    assert json.load(open(os.path.join(cell_dir, "cell.json")))["stack"]["isolation"] == "loader"
    result = json.loads(open(os.path.join(cell_dir, "results.jsonl")).readline())
    assert "--isolation loader" in result["reproduce"]


def test_bwrap_isolation_hides_the_host_libraries(tmp_path):
    if subprocess.run(["bwrap", "--dev-bind", "/", "/", "true"], capture_output=True).returncode != 0:
        pytest.skip("bubblewrap is not usable here")
    prefix = host_prefix_without_cudnn(tmp_path)
    out = tmp_path / "out"
    proc = cli("run", "--stack", str(prefix), "--isolation", "bwrap", "--out", str(out), "--quiet", "--only",
               "skew.cudnn.older_than_built")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cell_dir = glob.glob(str(out / "*"))[0]
    assert json.load(open(os.path.join(cell_dir, "cell.json")))["stack"]["isolation"] == "bwrap"
    result = json.loads(open(os.path.join(cell_dir, "results.jsonl")).readline())
    assert result["observed"]["name"] == "LIBRARY_NOT_FOUND" and result["verdict"] == "PASS"
    assert "--isolation bwrap" in result["reproduce"]
