# SPDX-License-Identifier: Apache-2.0
"""The stack for a consumer (`probe/doctor --consumer FILE`, `--python PATH`, an activated venv), on real ld.so
behaviour without downloads: small stand-in consumers are built here with gcc, with a DT_RPATH or a DT_RUNPATH into a
venv-shaped tree of the host's real cuDNN 9.19 and CUDA 13.0 libraries (hard links, so that hiding
/usr/local/cuda-13.0 with bubblewrap leaves them in place). Every library the model says is loaded must be what a
fresh process making the same loads mapped (`mapped`). The real frameworks are in test_consumer_heavy.py."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import jsonschema
import pytest

from doctor_support import clean_env, finding, ids
from sanitizer import skip_where_dlopen_is_intercepted

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CUCONFORM_BIN", str(REPO / "build" / "bin" / "cuconform"))
CUDA_LIB = pathlib.Path("/usr/local/cuda-13.0/lib")
PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(not CUDA_LIB.is_dir() or not shutil.which("gcc"),
                                reason=f"needs the host's CUDA 13.0 / cuDNN 9 in {CUDA_LIB} and gcc")
# The tests that confirm where cuDNN's shim finds its sub-libraries (its dlopen through its own DT_RUNPATH $ORIGIN).
sublibraries_by_runpath = skip_where_dlopen_is_intercepted(BIN)


def run(args, env=None, wrap=(), timeout=120):
    return subprocess.run([*wrap, BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env=env or clean_env())


def doctor(args, env=None, wrap=()):
    result = run(["doctor", "--json", *args], env=env, wrap=wrap)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = json.loads(result.stdout)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert result.returncode == (1 if errors else 0)
    return report


def libraries(consumer):
    """soname -> the first record of it (the load that decided)."""
    out = {}
    for r in consumer["libraries"]:
        out.setdefault(pathlib.Path(r["soname"]).name, r)
    return out


def link_tree(root, exclude=()):
    """A venv-shaped tree: site/nvidia/cudnn/lib (cuDNN 9.19) and site/nvidia/cuda_runtime/lib (cudart 13.0), hard
    links to the host's files (cuDNN's shim has DT_RUNPATH $ORIGIN, so it finds its sub-libraries next to it)."""
    cudnn = root / "site" / "nvidia" / "cudnn" / "lib"
    runtime = root / "site" / "nvidia" / "cuda_runtime" / "lib"
    for d in (cudnn, runtime):
        d.mkdir(parents=True)
    for lib in CUDA_LIB.glob("libcudnn*.so.9"):
        if lib.name not in exclude:
            os.link(lib.resolve(), cudnn / lib.name)
    os.link((CUDA_LIB / "libcudart.so.13").resolve(), runtime / "libcudart.so.13")
    return root / "site"


STANDIN_C = "int standin_answer(void) { return 42; }\n"


def build_standin(site, *, runpath=False, name="libstandin.so"):
    """A consumer library in site/standin/ that needs libcudnn.so.9 and libcudart.so.13, found through a DT_RPATH
    (or DT_RUNPATH) of $ORIGIN/../nvidia/cudnn/lib:$ORIGIN/../nvidia/cuda_runtime/lib."""
    out = site / "standin" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.parent / "standin.c"
    src.write_text(STANDIN_C)
    tags = "--enable-new-dtags" if runpath else "--disable-new-dtags"
    subprocess.run(["gcc", "-shared", "-fPIC", str(src), "-o", str(out),
                    f"-L{site}/nvidia/cudnn/lib", f"-L{site}/nvidia/cuda_runtime/lib",
                    "-Wl,--no-as-needed", "-l:libcudnn.so.9", "-l:libcudart.so.13",
                    f"-Wl,{tags},-rpath,$ORIGIN/../nvidia/cudnn/lib:$ORIGIN/../nvidia/cuda_runtime/lib"],
                   check=True, capture_output=True)
    dyn = subprocess.run(["readelf", "-d", str(out)], capture_output=True, text=True).stdout
    assert ("(RUNPATH)" in dyn) == runpath and ("(RPATH)" in dyn) == (not runpath), dyn
    return out


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    site = link_tree(tmp_path_factory.mktemp("venvish"))
    return site, build_standin(site), build_standin(site, runpath=True, name="libstandin_runpath.so")


def assert_confirmed(consumer):
    """Every library the model loads is what the fresh process mapped (or not asked for there)."""
    assert not consumer.get("confirm_error"), consumer.get("confirm_error")
    for r in consumer["libraries"]:
        if r["found"] and r.get("mapped") is not None and not r.get("load_error"):
            assert os.path.realpath(r["mapped"]) == r["real_path"], r


@sublibraries_by_runpath
def test_rpath_consumer_loads_its_tree(tree):
    site, rpath, _ = tree
    report = doctor(["--consumer", str(rpath), "--no-framework-check"])
    c = report["fingerprint"]["consumer"]
    assert c["kind"] == "native" and c["given_by"] == "--consumer" and c["path"] == str(rpath)
    libs = libraries(c)
    for soname, sub in (("libcudnn.so.9", "cudnn"), ("libcudart.so.13", "cuda_runtime")):
        r = libs[soname]
        assert r["how"] == "DT_NEEDED" and r["via"] == "DT_RPATH", r
        assert r["entry"] == f"$ORIGIN/../nvidia/{sub}/lib" and r["of"] == str(rpath)
        assert r["real_path"] == str((site / "nvidia" / sub / "lib" / soname).resolve())
        assert r["mapped"] is not None
    # The shim's sub-libraries come from next to it (its own DT_RUNPATH $ORIGIN), confirmed by cuDNN's own checks.
    assert libs["libcudnn_graph.so.9"]["path"].startswith(str(site))
    assert_confirmed(c)
    assert c["cudnn"]["loaded"] == "9.19.0" and c["runtime"]["version"] == "13.0"
    assert all(v["name"] == "CUDNN_STATUS_SUCCESS" for v in c["cudnn"]["version_checks"].values())
    # The cuDNN there names seven sub-libraries (9.26 names nine): the list is read from it, not fixed.
    assert {s["soname"] for s in c["cudnn"]["sublibraries"]} == {
        f"libcudnn_{s}.so.9" for s in ("graph", "ops", "cnn", "adv", "engines_precompiled",
                                       "engines_runtime_compiled", "heuristic")}
    assert not any(i.startswith(("cudnn.", "runtime.", "consumer.")) for i in ids(report)), report["findings"]
    # The objects whose search paths decided, with their dynamic sections.
    obj = next(o for o in c["objects"] if o["path"] == str(rpath))
    assert obj["rpath"] == ["$ORIGIN/../nvidia/cudnn/lib", "$ORIGIN/../nvidia/cuda_runtime/lib"] and obj["runpath"] == []
    assert {"libcudnn.so.9", "libcudart.so.13"} <= set(obj["needed"])


def test_rpath_beats_ld_library_path(tree, tmp_path):
    """DT_RPATH is searched before LD_LIBRARY_PATH: the other copy there is passed over, and doctor says so."""
    site, rpath, _ = tree
    other = tmp_path / "other"
    other.mkdir()
    for lib in CUDA_LIB.glob("libcudnn*.so.9"):
        os.link(lib.resolve(), other / lib.name)
    os.link((CUDA_LIB / "libcudart.so.13").resolve(), other / "libcudart.so.13")
    report = doctor(["--consumer", str(rpath)], env=clean_env(LD_LIBRARY_PATH=str(other)))
    c = report["fingerprint"]["consumer"]
    shim = libraries(c)["libcudnn.so.9"]
    assert shim["via"] == "DT_RPATH" and shim["path"].startswith(str(site))
    assert [p["path"] for p in shim["passed_over"] if p["via"] == "LD_LIBRARY_PATH"] == [str(other / "libcudnn.so.9")]
    assert_confirmed(c)
    f = finding(report, "consumer.ld_library_path_ignored")
    assert str(other / "libcudnn.so.9") in f["evidence"] and "DT_RPATH" in f["evidence"]


@sublibraries_by_runpath
def test_runpath_loses_to_ld_library_path(tree, tmp_path):
    """DT_RUNPATH is searched after LD_LIBRARY_PATH: the same tree, but the LD_LIBRARY_PATH copy wins."""
    site, _, runpath = tree
    other = tmp_path / "other"
    other.mkdir()
    os.link((CUDA_LIB / "libcudart.so.13").resolve(), other / "libcudart.so.13")
    report = doctor(["--consumer", str(runpath)], env=clean_env(LD_LIBRARY_PATH=str(other)))
    c = report["fingerprint"]["consumer"]
    rt = libraries(c)["libcudart.so.13"]
    assert rt["via"] == "LD_LIBRARY_PATH" and rt["path"] == str(other / "libcudart.so.13"), rt
    assert [p["via"] for p in rt["passed_over"]][:1] == ["DT_RUNPATH"]
    assert_confirmed(c)
    # Two installations: the runtime from LD_LIBRARY_PATH, cuDNN from the tree.
    assert "consumer.mixed_copies" in ids(report)
    assert "consumer.ld_library_path_ignored" not in ids(report)


@sublibraries_by_runpath
def test_missing_sublibrary_of_the_cudnn_in_use(tmp_path):
    """The tree's cuDNN lacks libcudnn_ops: without the system's copies (bubblewrap hides them) nothing provides it."""
    site = link_tree(tmp_path / "t", exclude=("libcudnn_ops.so.9",))
    rpath = build_standin(site)
    report = doctor(["--consumer", str(rpath)], wrap=pip_only())
    c = report["fingerprint"]["consumer"]
    subs = {s["soname"]: s for s in c["cudnn"]["sublibraries"]}
    assert subs["libcudnn_ops.so.9"]["found"] is False
    f = finding(report, "cudnn.sublibrary_missing")
    assert "libcudnn_ops.so.9" in f["title"] and "/nvidia/cudnn/lib" in f["evidence"]
    # cuDNN's own check says the same.
    assert c["cudnn"]["version_checks"]["ops"]["name"] != "CUDNN_STATUS_SUCCESS"


@sublibraries_by_runpath
def test_missing_sublibrary_falls_back_to_the_system(tmp_path):
    """With the system's cuDNN in ld.so.cache, the missing sub-library comes from there: mixed copies, silently."""
    site = link_tree(tmp_path / "t", exclude=("libcudnn_ops.so.9",))
    rpath = build_standin(site)
    report = doctor(["--consumer", str(rpath)])
    c = report["fingerprint"]["consumer"]
    ops = libraries(c)["libcudnn_ops.so.9"]
    assert ops["found"] and ops["via"] == "ld.so.cache" and ops["path"].startswith(str(CUDA_LIB)), ops
    assert_confirmed(c)
    assert "consumer.mixed_copies" in ids(report)


def pip_only():
    """A machine where only pip installed CUDA: no ld.so.cache, no /usr/local/cuda-13.0, no /usr/local/lib copies."""
    if not shutil.which("bwrap"):
        pytest.skip("bubblewrap is not installed")
    probe = subprocess.run(["bwrap", "--dev-bind", "/", "/", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"bubblewrap cannot start a sandbox here: {probe.stderr.decode().strip()}")
    return ["bwrap", "--dev-bind", "/", "/", "--ro-bind", "/dev/null", "/etc/ld.so.cache",
            "--tmpfs", "/usr/local/cuda-13.0", "--tmpfs", "/usr/local/lib"]


@sublibraries_by_runpath
def test_pip_only_machine_no_false_errors(tree):
    """Nothing in ld.so.cache: this program's own view has no runtime and no cuDNN, but the consumer brings its own,
    so doctor reports no runtime/cuDNN error."""
    site, rpath, _ = tree
    report = doctor(["--consumer", str(rpath)], wrap=pip_only())
    fp = report["fingerprint"]
    assert fp["runtime"]["present"] is False and fp["cudnn"]["present"] is False  # this program's view
    c = fp["consumer"]
    assert c["cudnn"]["present"] and c["runtime"]["present"] and c["cudnn"]["loaded"] == "9.19.0"
    assert_confirmed(c)
    bad = [f for f in report["findings"] if f["severity"] == "error" and f["id"] not in ("driver.missing", "gpu.none")]
    assert not bad, bad


def test_pip_only_machine_consumer_without_its_tree(tmp_path):
    """The consumer's tree lacks cuDNN and the system has none: doctor says cuDNN is missing for the consumer."""
    site = link_tree(tmp_path / "t")
    rpath = build_standin(site)
    shutil.rmtree(site / "nvidia" / "cudnn")
    report = doctor(["--consumer", str(rpath)], wrap=pip_only())
    f = finding(report, "consumer.load_fails")
    assert "libcudnn.so.9" in f["evidence"]
    c = report["fingerprint"]["consumer"]
    assert libraries(c)["libcudnn.so.9"]["found"] is False


def test_not_an_elf_consumer(tmp_path):
    bogus = tmp_path / "libnot.so"
    bogus.write_text("not ELF\n")
    result = run(["doctor", "--consumer", str(bogus)])
    assert result.returncode == 2
    assert str(bogus) in result.stderr and "not an ELF file" in result.stderr


def make_venv(path, system_site=False):
    args = [PYTHON, "-m", "venv", "--without-pip", str(path)]
    if system_site:
        args.insert(3, "--system-site-packages")
    subprocess.run(args, check=True)
    return path / "bin" / "python"


def test_python_that_is_not_an_interpreter(tmp_path):
    for bad in ("/bin/true", str(tmp_path / "nothing-here")):
        result = run(["doctor", "--python", bad])
        assert result.returncode == 2, result.stdout + result.stderr
        assert bad in result.stderr
    text = tmp_path / "python"
    text.write_text("#!/bin/sh\necho hello\n")
    text.chmod(0o755)
    result = run(["doctor", "--python", str(text)])
    assert result.returncode == 2 and "not a working Python interpreter" in result.stderr


def test_broken_activated_venv_is_a_finding(tmp_path):
    venv = tmp_path / "venv"
    make_venv(venv)
    # The interpreter the venv was made with is gone (uninstalled, or the venv was copied to another machine).
    for name in ("python", "python3"):
        (venv / "bin" / name).unlink()
        (venv / "bin" / name).symlink_to(tmp_path / "gone" / "python3")
    report = doctor([], env=clean_env(VIRTUAL_ENV=str(venv)))
    f = finding(report, "consumer.unexaminable")
    assert str(venv) in f["evidence"] and "does not exist" in f["evidence"]


def test_interpreter_that_hangs_is_bounded(tmp_path):
    venv = tmp_path / "venv"
    python = make_venv(venv)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "hang.pth").write_text("import time; time.sleep(600)\n")  # site runs import lines of .pth files
    result = run(["doctor", "--python", str(python), "--framework-timeout", "3"], timeout=60)
    assert result.returncode == 2
    assert "did not answer within 3 s" in result.stderr


def test_plain_venv_is_the_view_of_python(tmp_path):
    """A venv without a framework: python asks by soname, so LD_LIBRARY_PATH and ld.so.cache decide; every CUDA
    major's sonames are looked for."""
    python = make_venv(tmp_path / "venv")
    report = doctor([], env=clean_env(VIRTUAL_ENV=str(tmp_path / "venv")))
    c = report["fingerprint"]["consumer"]
    assert c["kind"] == "python" and c["given_by"] == "VIRTUAL_ENV" and c["frameworks"] == []
    assert c["python"]["prefix"] == str(tmp_path / "venv")
    assert os.path.realpath(c["python"]["executable"]) == os.path.realpath(python)
    rt = libraries(c)["libcudart.so.13"]
    assert rt["via"] == "ld.so.cache" and rt["how"] == "if asked"
    assert_confirmed(c)


def test_environments_on_path_are_named(tmp_path):
    """No consumer given: doctor keeps this program's view and names the environments on PATH that hold a framework
    (read from their dist-info folders, nothing imported), with the command to examine each."""
    venv = tmp_path / "venv"
    python = make_venv(venv)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "torch-2.15.0.dist-info").mkdir()
    env = clean_env(PATH=f"{venv / 'bin'}:{os.environ['PATH']}")
    report = doctor([], env=env)
    assert "consumer" not in report["fingerprint"]
    f = finding(report, "consumer.environments_on_path")
    assert f["severity"] == "info" and "torch 2.15.0" in f["evidence"]
    assert f"cuconform doctor --python {venv / 'bin' / 'python3'}" in f["fix"]


def validator(name):
    schemas = REPO / "reports" / "schema"
    store = {}
    for path in schemas.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        store[schema["$id"]] = schema
    schema = json.loads((schemas / f"{name}.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, resolver=jsonschema.RefResolver.from_schema(schema, store=store))


def test_probe_records_the_consumer_and_old_fingerprints_still_parse(tree, tmp_path):
    site, rpath, _ = tree
    out = tmp_path / "fp.json"
    result = run(["probe", "--no-gpus", "--consumer", str(rpath), "-o", str(out)])
    assert result.returncode == 0, result.stderr
    fp = json.loads(out.read_text())
    assert fp["consumer"]["kind"] == "native"
    validator("fingerprint").validate(fp)
    # Read back by doctor --fingerprint (the typed reader) with the same findings as a live run would give.
    again = doctor(["--fingerprint", str(out)])
    assert again["fingerprint"]["consumer"] == fp["consumer"]
    # A fingerprint written before consumers (the committed evidence) has none and still reads.
    old = next((REPO / "reports" / "evidence").rglob("fingerprint.json"))
    legacy = doctor(["--fingerprint", str(old)])
    assert "consumer" not in legacy["fingerprint"]
