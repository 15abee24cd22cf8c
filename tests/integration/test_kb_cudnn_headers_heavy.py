# SPDX-License-Identifier: Apache-2.0
"""errors.yaml's cuDNN 9 status codes against the real headers of every cuDNN 9 release from 9.1.0 to 9.10.0 and of
9.20.0-9.22.0 (#15): each release's cudnn_graph.h defines exactly the cudnnStatus_t names and numbers errors.yaml
gives that release (the codes of its major, a `from` group only from its release on). The releases with libraries in the cache are checked
with those (test_cudnn_releases_heavy.py); these are checked by their headers only. Label `matrix-heavy`: each wheel is
~0.6 GB; it is fetched once with `pip download`, its two headers kept in $CUCONFORM_CACHE/wheels/kb-cudnn-headers and
the wheel deleted."""
import os
import pathlib
import re
import subprocess
import zipfile

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ERRORS = ROOT / "matrix" / "knowledge" / "errors.yaml"
CACHE = pathlib.Path(os.environ.get("CUCONFORM_CACHE", pathlib.Path.home() / ".cache" / "cuconform"))
HEADERS = CACHE / "wheels" / "kb-cudnn-headers"
# Every release on either side of a code's arrival (errors.yaml cites the wheel that adds it and the one before), and
# those read for the sub-libraries 9.21.0 and 9.22.0 added (cudnn.yaml), as (package, version).
RELEASES = [("nvidia-cudnn-cu12", v) for v in ("9.1.0.70", "9.1.1.17", "9.2.0.82", "9.2.1.18", "9.3.0.75", "9.4.0.58",
                                               "9.5.0.50", "9.5.1.17", "9.6.0.74", "9.7.0.66", "9.7.1.26", "9.8.0.87",
                                               "9.9.0.52", "9.10.0.56")]
RELEASES += [("nvidia-cudnn-cu13", v) for v in ("9.20.0.48", "9.21.0.82", "9.21.1.3", "9.22.0.52")]
STATUS = re.compile(r"(CUDNN_STATUS_[A-Z0-9_]+)\s*(?:CUDNN_DEPRECATED_ENUM\s*)?=\s*(\w+)")


def vtuple(text):
    return tuple(int(p) for p in text.split("."))


def headers_of(package, version):
    """The release's cudnn_graph.h and cudnn_version.h, from the cache or its wheel."""
    stem = package.replace("-", "_") + "-" + version
    into = HEADERS / stem
    graph = into / "cudnn_graph.h"
    if not graph.is_file():
        download = HEADERS / "download"
        download.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["/usr/bin/python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest",
                            str(download), f"{package}=={version}"], capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            pytest.skip(f"pip download {package}=={version} failed (no network?): {r.stderr[-400:]}")
        wheel = next(download.glob(f"{stem}-*.whl"))
        into.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as z:
            for name in ("cudnn_graph.h", "cudnn_version.h"):
                (into / name).write_bytes(z.read(f"nvidia/cudnn/include/{name}"))
        wheel.unlink()
    return graph, into / "cudnn_version.h"


def kb_codes(release):
    """{name: number} errors.yaml gives cuDNN `release` (x.y.z)."""
    doc = yaml.safe_load(ERRORS.read_text())
    out = {}
    for group in doc["cudnn_status"]:
        if group["major"] != release[0] or ("from" in group and vtuple(group["from"]) > release):
            continue
        for key in ("codes", "deprecated"):
            out.update(group.get(key, {}))
    return out


def header_codes(graph):
    codes = {}
    for name, value in STATUS.findall(graph.read_text()):
        if value.isdigit():
            codes[name] = int(value)
        elif value in codes:  # a deprecated alias: NAME = OTHER_NAME
            codes[name] = codes[value]
    return codes


@pytest.mark.parametrize("package,version", RELEASES, ids=[f"{p[-4:]}-{v}" for p, v in RELEASES])
def test_each_release_header_defines_exactly_the_codes_errors_yaml_gives_it(package, version):
    graph, version_h = headers_of(package, version)
    text = version_h.read_text()
    release = tuple(int(re.search(rf"#define CUDNN_{k}\s+(\d+)", text).group(1)) for k in ("MAJOR", "MINOR", "PATCHLEVEL"))
    assert release == vtuple(version)[:3], f"{version_h} states {release}"
    ours, theirs = kb_codes(release), header_codes(graph)
    assert ours == theirs, (f"cuDNN {version}: only in errors.yaml {sorted(set(ours) - set(theirs))}, only in "
                            f"{graph} {sorted(set(theirs) - set(ours))}, different numbers "
                            f"{sorted(n for n in set(ours) & set(theirs) if ours[n] != theirs[n])}")


def test_the_dated_codes_arrive_where_errors_yaml_says():
    # Each `from` group's codes: absent from the release before, present in the `from` release (both checked above);
    # here, that every group's `from` is a release this test reads or one test_cudnn_releases_heavy.py reads.
    doc = yaml.safe_load(ERRORS.read_text())
    dated = [g["from"] for g in doc["cudnn_status"] if "from" in g]
    assert dated, "errors.yaml dates no cuDNN status code"
    read = {".".join(v.split(".")[:3]) for _, v in RELEASES} | {"9.18.0"}
    assert set(dated) <= read, sorted(set(dated) - read)
