# SPDX-License-Identifier: Apache-2.0
"""Shared by test_cudnn_release_host.py and test_cudnn_releases_heavy.py. Each cuDNN release here against the knowledge base, from its own files (#15 deliverable 4): the version and
cudnnStatus_t codes its headers state against cudnn.yaml/errors.yaml, and the SASS/PTX architectures inside its own
libraries (read by `cuconform binary`'s reader) against the compute capabilities its support-matrix row lists
(same-major SASS runs on higher minors). `cuconform table --contradictions --cudnn-release DIR` lists every
disagreement with both sources; this test asserts the list is exactly the disagreements found by hand below.
Releases: the host's (/usr/local/cuda-13.0), every nvidia_cudnn_* wheel a stack provisioned in $CUCONFORM_CACHE/wheels
(its unpacked copy under stacks/ when a stack holds it, else unzipped here), and the releases below that the knowledge
base's own checks need (KB_WHEELS, fetched once into $CUCONFORM_CACHE/wheels/kb-cudnn with `pip download`). Label
`matrix-heavy`: ~5 s per release (the engines libraries are ~0.6 GB each)."""
import os
import pathlib
import re
import subprocess
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CACHE = pathlib.Path(os.environ.get("CUCONFORM_CACHE", pathlib.Path.home() / ".cache" / "cuconform"))
BIN = os.environ.get("CUCONFORM_BIN", str(ROOT / "build" / "bin" / "cuconform"))
HOST = pathlib.Path("/usr/local/cuda-13.0")

# Releases fetched for the knowledge base's own checks: 9.17.0 (its own row is recorded: the SASS in its libraries
# against the row that names it), 9.17.1 and 9.18.0 (the release before CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE
# and the one that adds it: errors.yaml's `from: "9.18.0"`), and a CUDA 12 package (9.10.2, whose row is recorded).
KB_WHEELS = ["nvidia-cudnn-cu13==9.17.0.29", "nvidia-cudnn-cu13==9.17.1.4", "nvidia-cudnn-cu13==9.18.0.77",
             "nvidia-cudnn-cu12==9.10.2.21"]

# The real disagreements, read off each release's files and its row (cudnn.yaml cites the pages). None is left:
# - 9.19.x carries sm_70 SASS (libcudnn_engines_precompiled), and the CUDA 13 package of 9.17.0, whose row names no
#   Volta, carries none (checked here: 9.17.0 agrees with its row). That was listed as a contradiction while 9.19 was
#   judged by the 9.17.0 row; 9.19's own row is not recorded (cudnn.yaml rows_not_recorded), so the knowledge base
#   answers Unknown for it and the check is undecided, which is what the sources allow. UNDECIDED pins that.
# - 9.13.1's cudnn_graph.h lacks CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE: errors.yaml now dates it from 9.18.0
#   (9.18.0.77's header defines it, 9.17.1.4's does not), so 9.13.1, 9.17.x and 9.10.2 agree.
EXPECTED = {release: set() for release in ("9.10.2", "9.13.1", "9.17.0", "9.17.1", "9.18.0", "9.19.0", "9.19.1")}

# Checks that must stay undecided (knowledge base Unknown), with what the reason must say.
UNDECIDED = {
    "9.19.0": {("cudnn-library-arch", "sm_70"): "own support-matrix row is not recorded"},
    "9.19.1": {("cudnn-library-arch", "sm_70"): "own support-matrix row is not recorded"},
}


def kb_wheels():
    """KB_WHEELS, fetched into $CUCONFORM_CACHE/wheels/kb-cudnn when missing; [] when pip cannot reach PyPI."""
    into = CACHE / "wheels" / "kb-cudnn"
    into.mkdir(parents=True, exist_ok=True)
    out = []
    for spec in KB_WHEELS:
        package, version = spec.split("==")
        stem = package.replace("-", "_") + "-" + version + "-"
        found = [w for w in into.glob("*.whl") if w.name.startswith(stem)]
        if not found:
            r = subprocess.run(["/usr/bin/python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                                "--platform", "manylinux_2_27_x86_64", "--python-version", "3.11", "--dest",
                                str(into), spec], capture_output=True, text=True, timeout=1800)
            found = [w for w in into.glob("*.whl") if w.name.startswith(stem)] if r.returncode == 0 else []
        out.extend(found[:1])
    return out


def wheel_releases():
    wheels = sorted((CACHE / "wheels").glob("nvidia_cudnn_cu*.whl")) + kb_wheels()
    return [pytest.param(w, id=w.name.split("-")[0].split("_")[-1] + "-" + w.name.split("-")[1]) for w in wheels]


def prefix_of(wheel, tmp_path_factory):
    stem = wheel.name[: -len(".whl")]
    for unpacked in sorted((CACHE / "stacks").glob(f"*/wheels/{stem}/nvidia/cudnn")):
        if (unpacked / "include" / "cudnn_version.h").is_file():
            return unpacked
    into = tmp_path_factory.mktemp(stem)
    with zipfile.ZipFile(wheel) as z:
        z.extractall(into, [n for n in z.namelist() if n.startswith("nvidia/cudnn/")])
    return into / "nvidia" / "cudnn"


def contradictions_of(prefix):
    r = subprocess.run([BIN, "table", "--contradictions", "--cudnn-release", str(prefix)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr
    blocks = re.findall(r"^CONTRADICTION (\S+): cuDNN (\S+) (\S+)\n((?:  .*\n)+)", r.stdout, re.M)
    summary = r.stdout.strip().splitlines()[-1]
    m = re.match(r"(\d+) contradictions?, (\d+) agreements?, (\d+) undecided", summary)
    assert m, r.stdout
    assert int(m.group(1)) == len(blocks), r.stdout
    assert r.returncode == (1 if blocks else 0), r.stdout
    for check, release, subject, body in blocks:
        # Both sources: the release's own file and the knowledge base's cited page.
        assert re.search(r"release files:  .*" + re.escape(str(prefix)), body), body
        assert re.search(r"source: +https://(docs\.nvidia\.com|pypi\.org)/", body), body
    undecided = re.findall(r"^UNDECIDED (\S+): cuDNN (\S+) (\S+)\n((?:  .*\n)+)", r.stdout, re.M)
    assert len(undecided) == int(m.group(3)), r.stdout
    return blocks, int(m.group(2)), undecided


def check_release(prefix):
    blocks, agreements, undecided = contradictions_of(prefix)
    release = blocks[0][1] if blocks else None
    found = {(check, subject) for check, release, subject, _ in blocks}
    versions = {b[1] for b in blocks}
    assert len(versions) <= 1, versions
    if release is None:
        text = (prefix / "include" / "cudnn_version.h").read_text()
        release = ".".join(re.search(rf"#define CUDNN_{k}\s+(\d+)", text).group(1)
                           for k in ("MAJOR", "MINOR", "PATCHLEVEL"))
    assert release in EXPECTED, (f"cuDNN {release} at {prefix} has no expectation here: read its support-matrix row and "
                                 f"headers, then add what it disagrees on to EXPECTED. Found: {sorted(found)}")
    assert found == EXPECTED[release], f"cuDNN {release} at {prefix}"
    assert agreements > 0
    reasons = {(check, subject): body for check, _, subject, body in undecided}
    for key, says in UNDECIDED.get(release, {}).items():
        assert key in reasons, f"cuDNN {release} at {prefix}: {key} is not undecided: {sorted(reasons)}"
        assert says in reasons[key], reasons[key]

