# SPDX-License-Identifier: Apache-2.0
"""Shared by test_cudnn_release_host.py and test_cudnn_releases_heavy.py. Each cuDNN release here against the knowledge base, from its own files (#15 deliverable 4): the version and
cudnnStatus_t codes its headers state against cudnn.yaml/errors.yaml, and the SASS/PTX architectures inside its own
libraries (read by `cuconform binary`'s reader) against the compute capabilities its support-matrix row lists
(same-major SASS runs on higher minors). `cuconform table --contradictions --cudnn-release DIR` lists every
disagreement with both sources; this test asserts the list is exactly the disagreements found by hand below.
Releases: the host's (/usr/local/cuda-13.0) and every nvidia_cudnn_* wheel in $CUCONFORM_CACHE/wheels (its unpacked
copy under stacks/ when a stack holds it, else unzipped here). Label `matrix-heavy`: ~5 s per release (the engines
libraries are ~0.6 GB each)."""
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

# The real disagreements, read off each release's files and its row (cudnn.yaml cites the pages):
# - 9.19.x: libcudnn_engines_precompiled carries sm_70 SASS, while the 9.17.0 row (the nearest below 9.19) lists
#   "12.0 10.0 9.0 8.9 8.6 8.0 7.5 | NVIDIA Blackwell, Hopper, Ada Lovelace, Ampere, Turing": Volta is not named, so
#   the library carries kernels for a GPU its row excludes.
# - 9.13.1: its cudnn_graph.h lacks CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE (3014), which errors.yaml gives
#   every cuDNN 9 (read from 9.19's header): the code arrived after 9.13.1.
EXPECTED = {
    "9.19.0": {("cudnn-library-arch", "sm_70")},
    "9.19.1": {("cudnn-library-arch", "sm_70")},
    "9.13.1": {("cudnn-header-status", "CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE")},
}


def wheel_releases():
    wheels = sorted((CACHE / "wheels").glob("nvidia_cudnn_cu*.whl"))
    return [pytest.param(w, id=w.name.split("-")[1]) for w in wheels]


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
    return blocks, int(m.group(2))


def check_release(prefix):
    blocks, agreements = contradictions_of(prefix)
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

