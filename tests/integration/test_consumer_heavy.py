# SPDX-License-Identifier: Apache-2.0
"""The stack as the real frameworks load it (label matrix-heavy: ~10 GB of wheels and venvs in $CUCONFORM_CACHE,
made once by `cuconform frameworks run matrix/frameworks.yaml`, which this test runs first).

Each framework cell runs the real framework's own check (framework.own_check.stack) and `predict --framework` must
agree with it on every cell; then each fault of issue 11 is injected the way a user meets it and doctor's findings
are compared with the framework's own verdict, on this machine (the system's cuDNN 9.19 / CUDA 13.0 in ld.so.cache)
and on a pip-only machine (bubblewrap hides ld.so.cache and the system's CUDA)."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

from doctor_support import clean_env, finding, ids

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CUCONFORM_BIN", str(REPO / "build" / "bin" / "cuconform"))
OUT = pathlib.Path(os.environ.get("CUCONFORM_TEST_OUTPUT", "/tmp")) / "frameworks"
CUDA_LIB = pathlib.Path("/usr/local/cuda-13.0/lib")

TORCH_WORDS = ("cuDNN version incompatibility: PyTorch was compiled  against (9, 26, 0) but found runtime version "
               "(9, 19, 0). PyTorch already comes bundled with cuDNN.")
TORCH_FIX = "-m pip install nvidia-cudnn-cu13==9.26.0.51"


@pytest.fixture(scope="module")
def cells():
    """Runs every framework cell (makes the venvs on the first run) and returns {cell id: cell.json}."""
    if OUT.exists():
        shutil.rmtree(OUT)
    result = subprocess.run([BIN, "frameworks", "run", str(REPO / "matrix" / "frameworks.yaml"), "--out", str(OUT)],
                            capture_output=True, text=True, timeout=5400, env=clean_env())
    print(result.stdout[-6000:], result.stderr[-3000:])
    out = {}
    for cell_json in OUT.glob("*/cell.json"):
        record = json.loads(cell_json.read_text())
        out[record["id"]] = record
    assert len(out) >= 8, result.stdout + result.stderr
    return out, result


def venv_of(cells, cell):
    return pathlib.Path(cells[0][cell]["provision"]["venv"])


def doctor(venv, *args, env=None, wrap=(), timeout=600):
    result = subprocess.run([*wrap, BIN, "doctor", "--json", *args], capture_output=True, text=True, timeout=timeout,
                            env=env or clean_env(VIRTUAL_ENV=str(venv), PATH=f"{venv}/bin:{os.environ['PATH']}"))
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return json.loads(result.stdout)


def errors(report):
    return [f for f in report["findings"] if f["severity"] == "error" and f["id"] not in ("driver.missing", "gpu.none")]


def pip_only():
    probe = subprocess.run(["bwrap", "--dev-bind", "/", "/", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("bubblewrap cannot start a sandbox here")
    return ["bwrap", "--dev-bind", "/", "/", "--ro-bind", "/dev/null", "/etc/ld.so.cache",
            "--tmpfs", "/usr/local/cuda-13.0", "--tmpfs", "/usr/local/lib"]


def test_every_cell_agrees_with_the_framework(cells):
    records, result = cells
    for cell_id, record in records.items():
        predict = record["provision"].get("predict")
        assert predict, cell_id
        assert predict["agrees"], (cell_id, predict)
        results = [json.loads(line) for line in (OUT / cell_id / "results.jsonl").read_text().splitlines()]
        own = [r for r in results if r["case"] == "framework.own_check.stack"]
        assert own and own[0]["verdict"] == "PASS", (cell_id, own)
    assert result.returncode == 0, result.stdout[-3000:]
    expected = {"torch-2.15.0": "accepts", "torch-2.15.0-cudnn-older": "refuses",
                "torch-2.15.0-cudnn-newer": "accepts", "jax-0.10.2-cuda12": "accepts",
                "jax-0.10.2-cuda12-cudnn-9.10.0": "refuses", "jax-0.10.2-cuda12-cudnn-older": "accepts"}
    for cell_id, verdict in expected.items():
        assert records[cell_id]["provision"]["predict"]["observed"] == verdict, cell_id


def test_torch_venv_is_what_torch_loads(cells):
    venv = venv_of(cells, "torch-2.15.0")
    report = doctor(venv)
    c = report["fingerprint"]["consumer"]
    assert c["given_by"] == "VIRTUAL_ENV" and c["frameworks"][0]["name"] == "torch"
    assert c["frameworks"][0]["built"]["cudnn"] == "9.26.0" and c["frameworks"][0]["built"]["cuda"] == "13.2"
    assert c["cudnn"]["loaded"] == "9.26.0" and c["cudnn"]["library"]["path"].startswith(str(venv))
    assert c["runtime"]["version"] == "13.2" and c["runtime"]["library"]["path"].startswith(str(venv))
    assert c["cublas"]["version"] == "13.4.1"
    subs = {s["soname"] for s in c["cudnn"]["sublibraries"]}
    assert {"libcudnn_ext.so.9", "libcudnn_engines_tensor_ir.so.9"} <= subs  # 9.26's own list
    assert not errors(report), errors(report)
    assert "framework.cudnn_accepted" in ids(report) and "framework.check_passed" in ids(report)
    # torch's own answers agree with the model: what it mapped is what the model says it loads.
    mapped = c["frameworks"][0]["check"]["answers"]["mapped"]
    assert any(p.endswith("libcudnn.so.9") and p.startswith(str(venv)) for p in mapped)


def test_wheel_removed_falls_back_to_the_system_and_torch_refuses(cells):
    venv = venv_of(cells, "torch-2.15.0-cudnn-wheel-removed")
    report = doctor(venv)
    refused = finding(report, "framework.cudnn_refused")
    assert TORCH_WORDS in refused["evidence"] and str(CUDA_LIB) in refused["evidence"]
    assert TORCH_FIX in refused["fix"]
    assert TORCH_WORDS in finding(report, "framework.check_refused")["evidence"]  # torch itself says the same
    missing = finding(report, "framework.wheel_missing")
    assert "nvidia-cudnn-cu13==9.26.0.51" in missing["title"] and str(CUDA_LIB) in missing["evidence"]
    assert "framework.rule_disagrees" not in ids(report)


def test_older_cudnn_wheel_refused(cells):
    report = doctor(venv_of(cells, "torch-2.15.0-cudnn-older"))
    assert TORCH_WORDS in finding(report, "framework.cudnn_refused")["evidence"]
    assert "framework.wheel_version" in ids(report)
    assert "framework.rule_disagrees" not in ids(report)


def test_ld_library_path_is_ignored_by_torch(cells):
    venv = venv_of(cells, "torch-2.15.0")
    env = clean_env(VIRTUAL_ENV=str(venv), LD_LIBRARY_PATH=str(CUDA_LIB))
    report = doctor(venv, env=env)
    f = finding(report, "consumer.ld_library_path_ignored")
    assert f"{CUDA_LIB}/libcudart.so.13" in f["evidence"]
    assert report["fingerprint"]["consumer"]["cudnn"]["loaded"] == "9.26.0"
    assert "framework.cudnn_refused" not in ids(report) and "framework.check_passed" in ids(report)


def test_pip_only_machine(cells):
    """Nothing in ld.so.cache: torch still works from its venv, and doctor gives no error about it."""
    report = doctor(venv_of(cells, "torch-2.15.0"), wrap=pip_only())
    assert report["fingerprint"]["cudnn"]["present"] is False  # this program's own view: nothing
    assert not errors(report), errors(report)
    assert "framework.check_passed" in ids(report)
    # Without its cuDNN wheel and with no system cuDNN, `import torch` fails, and doctor says so with the pin.
    report = doctor(venv_of(cells, "torch-2.15.0-cudnn-wheel-removed"), wrap=pip_only())
    f = finding(report, "framework.import_fails")
    assert "libcudnn.so.9" in f["evidence"] and TORCH_FIX in f["fix"]
    assert "framework.check_failed" in ids(report) or "framework.check_crashed" in ids(report)


def test_jax_cuda12_venv_has_no_false_errors(cells):
    venv = venv_of(cells, "jax-0.10.2-cuda12")
    report = doctor(venv)
    c = report["fingerprint"]["consumer"]
    assert c["runtime"]["library"]["soname"] == "libcudart.so.12" and c["runtime"]["version"] == "12.9"
    assert c["cudnn"]["loaded"] == "9.28.0" and c["cudnn"]["cudart"].startswith("12.")
    assert not errors(report), errors(report)
    assert "cudnn.cuda_major_mismatch" not in ids(report)
    report = doctor(venv, wrap=pip_only())
    assert not errors(report), errors(report)


def test_jax_refuses_cudnn_9_10_0_in_its_words(cells):
    report = doctor(venv_of(cells, "jax-0.10.2-cuda12-cudnn-9.10.0"))
    words = "cuDNN 9.10.0 had a binary backward-compatibility issue due to reordered enum values"
    assert words in finding(report, "framework.cudnn_refused")["evidence"]
    assert words in finding(report, "framework.check_refused")["evidence"]


def test_jax_older_cudnn_passes_its_python_check_but_not_xla_on_a_gpu(cells):
    report = doctor(venv_of(cells, "jax-0.10.2-cuda12-cudnn-older"))
    assert "framework.check_passed" in ids(report)
    f = finding(report, "framework.cudnn_refused_on_gpu")
    assert "Loaded runtime CuDNN library: 9.1.0 but source was compiled with: 9.8.0" in f["evidence"]


def test_visible_devices_as_torch_parses_them(cells):
    venv = venv_of(cells, "torch-2.15.0")
    report = doctor(venv, env=clean_env(VIRTUAL_ENV=str(venv), CUDA_VISIBLE_DEVICES="0,0"))
    assert "torch.cuda._parse_visible_devices() = []" in finding(report, "framework.visible_devices_none")["evidence"]
    torch_says = report["fingerprint"]["consumer"]["frameworks"][0]["check"]["answers"]["visible_devices"]
    assert torch_says == []


def test_predict_framework_answers_in_torchs_words():
    result = subprocess.run([BIN, "predict", "--framework", "torch==2.15.0", "--cudnn", "9.19.0", "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    q = {x["id"]: x for x in json.loads(result.stdout)["questions"]}
    assert q["framework-cudnn"]["answer"] == "no" and TORCH_WORDS in q["framework-cudnn"]["reason"]


def hooked_copy(base, tmp_path, behaviour):
    """A hard-link copy of a torch venv where `import torch` hangs or aborts (an import hook in a .pth file)."""
    venv = tmp_path / "venv"
    subprocess.run(["cp", "-al", str(base), str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    action = "__import__(\"time\").sleep(600)" if behaviour == "hang" else "__import__(\"os\").abort()"
    hook = (f"import sys, os, time; exec('class _F:\\n def find_spec(self, n, p, t=None):\\n"
            f"  if n == \"torch\": {action}\\n  return None\\nsys.meta_path.insert(0, _F())')\n")
    (site / "zz_cuconform_test_hook.pth").write_text(hook)
    return venv


@pytest.mark.parametrize("behaviour,fid", [("hang", "framework.check_timeout"), ("crash", "framework.check_crashed")])
def test_framework_that_hangs_or_crashes_on_import(cells, tmp_path, behaviour, fid):
    venv = hooked_copy(venv_of(cells, "torch-2.15.0"), tmp_path, behaviour)
    report = doctor(venv, "--framework-timeout", "15", timeout=120)
    f = finding(report, fid)
    assert f["severity"] == "error" and str(venv) in f["evidence"]


def test_tensorflow_from_its_files(cells, tmp_path):
    """TensorFlow is read from its files without importing it: build_info.py and the dist-info's pins of the real
    tensorflow 2.21.0 wheel (downloaded once into the wheelhouse, ~570 MB), placed in a venv's site-packages."""
    import zipfile
    pip = venv_of(cells, "torch-2.15.0") / "bin" / "python"
    cache = pathlib.Path(os.environ.get("CUCONFORM_CACHE", pathlib.Path.home() / ".cache" / "cuconform"))
    house = cache / "wheelhouse"
    subprocess.run([str(pip), "-m", "pip", "download", "--disable-pip-version-check", "-q", "--no-deps", "-d",
                    str(house), "tensorflow==2.21.0"], check=True, timeout=3600)
    wheel = next(house.glob("tensorflow-2.21.0-*.whl"))
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    site = next((tmp_path / "venv" / "lib").glob("python3*/site-packages"))
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name == "tensorflow/python/platform/build_info.py" or name.startswith("tensorflow-2.21.0.dist-info/"):
                z.extract(name, site)
    result = subprocess.run([BIN, "probe", "--no-gpus", "--python", str(tmp_path / "venv" / "bin" / "python")],
                            capture_output=True, text=True, timeout=120, env=clean_env())
    assert result.returncode == 0, result.stderr
    fw = json.loads(result.stdout)["consumer"]["frameworks"][0]
    assert fw["name"] == "tensorflow" and fw["version"] == "2.21.0"
    assert fw["built"] == {"cuda": "12.5.1", "cudnn": "9"}
    assert fw["built_source"] == "tensorflow/python/platform/build_info.py"
    pins = {p["package"]: p for p in fw["pins"]}
    assert pins["nvidia-cudnn-cu12"]["spec"] == "<10.0,>=9.3.0.75" and pins["nvidia-cudnn-cu12"]["installed"] is None


def test_missing_sublibrary_of_the_cudnn_in_use(cells):
    """The venv's libcudnn_ops.so.9 deleted: torch's own check passes (cudnn.version() never loads ops), but the shim
    takes the system's 9.19 copy through ld.so.cache (mixed, and cuDNN's own ops check says so); on a pip-only machine
    nothing provides it."""
    venv = venv_of(cells, "torch-2.15.0-sublibrary-missing")
    report = doctor(venv)
    assert "framework.check_passed" in ids(report)
    ops = [r for r in report["fingerprint"]["consumer"]["libraries"] if r["soname"] == "libcudnn_ops.so.9"][0]
    assert ops["path"].startswith(str(CUDA_LIB)) and ops["via"] == "ld.so.cache"
    assert "consumer.mixed_copies" in ids(report)
    assert "cudnn.sublibrary_version_mismatch" in ids(report) or "cudnn.mixed_copies" in ids(report)
    report = doctor(venv, wrap=pip_only())
    assert "libcudnn_ops.so.9" in finding(report, "cudnn.sublibrary_missing")["title"]
