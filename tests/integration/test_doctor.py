# SPDX-License-Identifier: Apache-2.0
"""`cuconform doctor`: inject one fault at a time (no root) and check the finding, its severity,
its message and the exit code (0 healthy, 1 any error finding). Runs on a machine with the CUDA 13.0
runtime and cuDNN 9 but no GPU and no driver, so driver.missing and gpu.none are always there."""
import json
import os
import pathlib
import re
import shutil
import subprocess

import jsonschema
import pytest

from doctor_support import clean_env, finding

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CUCONFORM_BIN", str(REPO / "build" / "bin" / "cuconform"))
SCHEMAS = REPO / "reports" / "schema"
CUDA_LIB = pathlib.Path("/usr/local/cuda-13.0/lib")
CUDNN_HEADER = pathlib.Path("/usr/local/cuda/include/cudnn_version.h")
LD_SO = "/lib64/ld-linux-x86-64.so.2"
SUBLIBRARIES = ["graph", "ops", "cnn", "adv", "engines_precompiled", "engines_runtime_compiled", "heuristic"]

pytestmark = pytest.mark.skipif(not CUDA_LIB.is_dir(), reason="needs the CUDA 13.0 runtime and cuDNN in " + str(CUDA_LIB))


def doctor(*, env=None, library_path=None):
    """Runs `doctor --json`; with library_path, through ld.so with the cache inhibited."""
    cmd = [BIN, "doctor", "--json"]
    if library_path is not None:
        cmd = [LD_SO, "--inhibit-cache", "--library-path", library_path, *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env or clean_env())
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = json.loads(result.stdout)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert result.returncode == (1 if errors else 0), report["findings"]
    assert report["healthy"] == (not errors)
    return result.returncode, report


def message(f):
    return " ".join([f["title"], f["evidence"], f["fix"]])


def shadow(dir_, exclude=(), copy=()):
    """Fills dir_ with symlinks to every lib*.so* of the CUDA lib dir except `exclude` (glob patterns);
    the names in `copy` are copied instead (so that their RUNPATH $ORIGIN is dir_)."""
    dir_.mkdir(parents=True, exist_ok=True)
    for lib in CUDA_LIB.glob("lib*.so*"):
        if any(lib.match(p) for p in exclude):
            continue
        if lib.name in copy:
            shutil.copy2(lib.resolve(), dir_ / lib.name)
        else:
            (dir_ / lib.name).symlink_to(lib)
    return dir_


def header_cudnn_version():
    text = CUDNN_HEADER.read_text()
    parts = [re.search(rf"#define\s+CUDNN_{k}\s+(\d+)", text).group(1) for k in ("MAJOR", "MINOR", "PATCHLEVEL")]
    return ".".join(parts)


def validator(name):
    store = {}
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        store[schema["$id"]] = schema
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, resolver=jsonschema.RefResolver.from_schema(schema, store=store),
               format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def baseline():
    return doctor()


def test_baseline_driver_missing_and_no_gpu(baseline):
    rc, report = baseline
    assert rc == 1
    d = finding(report, "driver.missing")
    assert d["severity"] == "error"
    assert "libcuda.so.1" in message(d)
    assert "runtime 13.0 needs driver >= 580.65.06" in d["evidence"]
    assert "580.65.06" in d["fix"]
    assert finding(report, "gpu.none")["severity"] == "error"
    fp = report["fingerprint"]
    assert fp["cudnn"]["loaded"] == "9.19.0" == header_cudnn_version()
    assert re.fullmatch(r"\d+\.\d+", fp["cudnn"]["cudart"])
    subs = {s["soname"]: s for s in fp["cudnn"]["sublibraries"]}
    assert set(subs) == {f"libcudnn_{s}.so.9" for s in SUBLIBRARIES}
    assert all(s["found"] for s in subs.values())
    assert not any(f["id"].startswith(("cudnn.", "runtime.")) for f in report["findings"])


def test_doctor_json_validates(baseline):
    validator("doctor").validate(baseline[1])


def test_probe_validates():
    result = subprocess.run([BIN, "probe"], capture_output=True, text=True, timeout=60, env=clean_env())
    assert result.returncode == 0, result.stderr
    fp = json.loads(result.stdout)
    validator("fingerprint").validate(fp)
    assert fp["schema"] == "cuconform.fingerprint/1"


def test_shadow_dir_with_everything_is_clean(tmp_path):
    # The control for the loader-based faults below: the same mechanism with nothing removed.
    rc, report = doctor(library_path=str(shadow(tmp_path / "lib", copy={"libcudnn.so.9"})))
    assert not any(f["id"].startswith(("cudnn.", "runtime.")) for f in report["findings"]), report["findings"]
    assert report["fingerprint"]["cudnn"]["library"]["path"].startswith(str(tmp_path))


def test_cudnn_missing(tmp_path):
    rc, report = doctor(library_path=str(shadow(tmp_path / "lib", exclude=["libcudnn*.so*"])))
    assert rc == 1
    f = finding(report, "cudnn.missing")
    assert f["severity"] == "error"
    assert "libcudnn.so.9" in f["title"] and "libcudnn.so.9" in f["evidence"]
    assert "9.19" in f["fix"] and "13.0" in f["fix"]
    assert str(tmp_path) in f["evidence"]
    validator("doctor").validate(report)


def test_cudnn_sublibrary_missing(tmp_path):
    lib = shadow(tmp_path / "lib", exclude=["libcudnn_adv.so*"], copy={"libcudnn.so.9"})
    rc, report = doctor(library_path=str(lib))
    assert rc == 1
    f = finding(report, "cudnn.sublibrary_missing")
    assert f["severity"] == "error"
    assert "libcudnn_adv.so.9" in f["title"]
    assert str(lib / "libcudnn.so.9") in f["evidence"]
    assert "9.19.0" in f["fix"]
    adv = [s for s in report["fingerprint"]["cudnn"]["sublibraries"] if s["soname"] == "libcudnn_adv.so.9"][0]
    # The system copy is still listed among the copies on disk (ld.so.cache names it), but this loader, with
    # the cache inhibited, cannot reach it: not loaded, not found.
    assert adv["loaded"] is False
    assert adv["found"] is False
    assert [x["id"] for x in report["findings"]].count("cudnn.sublibrary_missing") == 1


def test_cudnn_graph_missing_aborts_cudnn_not_the_doctor(tmp_path):
    # Without libcudnn_graph.so.9, cuDNN 9.19 aborts even in cudnnGetVersion ("Invalid handle. Cannot load symbol").
    # The probe asks in child processes, so the doctor lives to say so, with cuDNN's own words.
    lib = shadow(tmp_path / "lib", exclude=["libcudnn_graph.so*"], copy={"libcudnn.so.9"})
    rc, report = doctor(library_path=str(lib))
    assert rc == 1
    aborts = finding(report, "cudnn.aborts")
    assert "signal 6" in aborts["evidence"] and "Cannot load symbol cudnnGetVersion" in aborts["evidence"]
    assert str(lib / "libcudnn.so.9") in aborts["evidence"]
    checks = report["fingerprint"]["cudnn"]["version_checks"]
    assert checks["graph"]["name"] == "CRASH" and checks["graph"]["signal"] == 6
    assert "loaded" not in report["fingerprint"]["cudnn"]
    validator("fingerprint").validate(report["fingerprint"])


def test_runtime_missing(tmp_path):
    rc, report = doctor(library_path=str(shadow(tmp_path / "lib", exclude=["libcudart*"])))
    assert rc == 1
    f = finding(report, "runtime.missing")
    assert f["severity"] == "error"
    assert "libcudart.so.13" in f["title"] and "libcudart.so.13" in f["evidence"]
    assert "13.0" in f["fix"]
    assert report["fingerprint"]["runtime"]["present"] is False


def test_cudnn_mixed_copies(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    for lib in CUDA_LIB.glob("libcudnn*.so*"):
        if lib.name == "libcudnn.so.9":
            shutil.copy2(lib.resolve(), a / lib.name)
        elif not lib.name.startswith("libcudnn_ops"):
            (a / lib.name).symlink_to(lib)
    b = tmp_path / "b"
    b.mkdir()
    (b / "libcudnn_ops.so.9").symlink_to(CUDA_LIB / "libcudnn_ops.so.9")
    rc, report = doctor(library_path=f"{a}:{b}:{CUDA_LIB}")
    assert rc == 1
    f = finding(report, "cudnn.mixed_copies")
    assert f["severity"] == "error"
    assert "libcudnn_ops.so.9" in f["title"]
    assert str(a / "libcudnn.so.9") in f["evidence"] and str(b / "libcudnn_ops.so.9") in f["evidence"]


def test_cuda_home_unset():
    rc, report = doctor(env=clean_env(CUDA_HOME=None, CUDA_PATH=None))
    assert rc == 1  # driver.missing and gpu.none only
    f = finding(report, "env.cuda_home.unset")
    assert f["severity"] == "warning"
    assert "CUDA_HOME" in f["title"] and "CUDA_HOME=(unset)" in f["evidence"]
    assert "13.0" in f["fix"]
    assert {x["id"] for x in report["findings"] if x["severity"] == "error"} == {"driver.missing", "gpu.none"}


def test_cuda_home_nonexistent():
    rc, report = doctor(env=clean_env(CUDA_HOME="/nonexistent"))
    assert rc == 1
    f = finding(report, "env.cuda_home.missing")
    assert f["severity"] == "error"
    assert "CUDA_HOME" in f["title"] and "CUDA_HOME=/nonexistent" in f["evidence"]


def test_cuda_home_other_toolkit(tmp_path):
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "cuda_runtime_api.h").write_text("#define CUDART_VERSION 12040\n")
    rc, report = doctor(env=clean_env(CUDA_HOME=str(tmp_path)))
    f = finding(report, "env.cuda_home.other_toolkit")
    assert f["severity"] == "warning"
    assert "CUDA_HOME" in f["title"] and "12.4" in f["title"] and "13.0" in f["title"]
    assert f"CUDA_HOME={tmp_path}" in f["evidence"]
    assert "13.0" in f["fix"]


def test_ld_library_path_missing_dir():
    rc, report = doctor(env=clean_env(LD_LIBRARY_PATH="/nonexistent/lib"))
    f = finding(report, "env.ld_library_path.missing_dir")
    assert f["severity"] == "warning"
    assert "/nonexistent/lib" in f["title"] and "LD_LIBRARY_PATH=/nonexistent/lib" in f["evidence"]


def test_ld_library_path_conflict(tmp_path):
    dirs = [tmp_path / "one", tmp_path / "two"]
    for d in dirs:
        d.mkdir()
        shutil.copy2((CUDA_LIB / "libcudart.so.13").resolve(), d / "libcudart.so.13")
    value = ":".join(map(str, dirs))
    rc, report = doctor(env=clean_env(LD_LIBRARY_PATH=value))
    f = finding(report, "env.ld_library_path.conflict")
    assert f["severity"] == "warning"
    assert "2 copies of libcudart.so.13" in f["title"]
    assert all(str(d) in f["evidence"] for d in dirs)
    assert report["fingerprint"]["runtime"]["library"]["path"] == str(dirs[0] / "libcudart.so.13")


@pytest.mark.parametrize("value, fid, severity, needle", [
    ("", "env.cuda_visible_devices.empty", "error", 'CUDA_VISIBLE_DEVICES=""'),
    ("-1", "env.cuda_visible_devices.none", "error", '"-1" is not an index or a GPU-/MIG- UUID'),
    ("0,abc", "env.cuda_visible_devices.truncated", "warning", "the runtime then sees 1 device"),
    # Without a GPU the doctor cannot compare UUIDs; "zz" is not hex, so GPU-zz is malformed.
    ("GPU-zz", "env.cuda_visible_devices.none", "error", '"GPU-zz" is not an index or a GPU-/MIG- UUID'),
])
def test_cuda_visible_devices(value, fid, severity, needle):
    rc, report = doctor(env=clean_env(CUDA_VISIBLE_DEVICES=value))
    assert rc == 1
    f = finding(report, fid)
    assert f["severity"] == severity
    assert "CUDA_VISIBLE_DEVICES" in f["title"]
    assert needle in f["evidence"], f["evidence"]
    ids = [x["id"] for x in report["findings"] if x["id"].startswith("env.cuda_visible_devices.")]
    assert ids == [fid]
    if fid == "env.cuda_visible_devices.truncated":
        assert "only the 1 entry before it" in f["title"]
