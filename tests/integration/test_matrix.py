# SPDX-License-Identifier: Apache-2.0
"""`cuconform matrix plan|shard|run` and `cuconform merge` through the CLI: GitHub JSON, errors, provisioning, merge."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = pathlib.Path(os.environ.get("CUCONFORM_TEST_OUTPUT", "/tmp/cuconform-test-output")) / "matrix"


def cli(*args, timeout=600, env=None):
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def test_plan_github_is_strategy_matrix_json():
    r = cli("matrix", "plan", ROOT / "matrix/nightly.yaml", "--github")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == 1  # one line, for $GITHUB_OUTPUT
    include = json.loads(r.stdout)["include"]
    assert len(include) >= 12
    ids = [c["id"] for c in include]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(v, str) for c in include for v in c.values())  # GitHub matrix values as strings
    host = [c for c in include if c["provider"] == "host"]
    wheels = [c for c in include if c["provider"] == "wheels"]
    assert "cuda13.0-cudnn9.19-host" in ids and len(host) == 3  # + the toolkit 12.9 build on the host stack
    # Not skew: the run stack is what the catalogue was built with (toolkit 12.9 / 9.19, toolkit 11.8 / cuDNN 8.9).
    assert all(c["skew"] == ("false" if (c["toolkit"], c["toolkit_cudnn"]) == (c["cuda"], c["cudnn"]) else "true")
               for c in wheels)
    assert {c["toolkit"] for c in include} == {"13.0", "12.9", "11.8"}
    assert {c["toolkit_cudnn"] for c in include if c["toolkit"] == "11.8"} == {"8.9"}
    assert all(c["skew"] == ("true" if c["toolkit"] != c["cuda"] else "false") for c in host)
    assert {c["cudnn"].split(".")[0] for c in wheels} == {"8", "9"}
    pr = json.loads(cli("matrix", "plan", ROOT / "matrix/nightly.yaml", "--github", "--tag", "pr").stdout)["include"]
    assert [c["id"] for c in pr] == ["cuda13.0-cudnn9.19-host"]


def test_pr_matrix_is_host_only_and_plan_prints_a_table():
    r = cli("matrix", "plan", ROOT / "matrix/pr.yaml", "--json")
    assert r.returncode == 0, r.stderr
    cells = json.loads(r.stdout)["cells"]
    assert cells and all(c["provider"] == "host" for c in cells)
    table = cli("matrix", "plan", ROOT / "matrix/nightly.yaml")
    assert "cuda12.9-cudnn8.9-wheels" in table.stdout and "skew" in table.stdout


def test_errors_name_file_line_key_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("matrix:\n  cuda: [\"13.0\"]\n  exclude:\n    - cudnn: \"9.1\"\n")
    r = cli("matrix", "plan", bad)
    assert r.returncode == 2
    assert f"{bad}:4: exclude key 'cudnn' matches no axis of the matrix; axes: cuda" in r.stderr
    bad.write_text("name: x\nmatrx:\n  cuda: [\"13.0\"]\n")
    r = cli("matrix", "plan", bad)
    assert r.returncode == 2 and f"{bad}:2: unknown key 'matrx'" in r.stderr and "allowed:" in r.stderr


def test_shard_lists_each_cell_once():
    seen = []
    for i in range(5):
        r = cli("matrix", "shard", ROOT / "matrix/nightly.yaml", "--index", i, "--count", 5)
        assert r.returncode == 0, r.stderr
        seen += r.stdout.split()
    plan = json.loads(cli("matrix", "plan", ROOT / "matrix/nightly.yaml", "--json").stdout)["cells"]
    assert sorted(seen) == sorted(c["id"] for c in plan)
    assert cli("matrix", "shard", ROOT / "matrix/nightly.yaml", "--index", 5, "--count", 5).returncode == 2


def test_run_records_a_cell_that_cannot_be_provisioned_and_goes_on(tmp_path):
    matrix = tmp_path / "m.yaml"
    # No wheels for 10.2; a GPU runner's cell on this machine without a GPU is skipped, not run under a false name.
    matrix.write_text("matrix:\n  toolkit: [\"13.0\", \"10.2\"]\n  runner: [cpu]\n  include: [{runner: gpu}]\n")
    out = OUT / "run"
    shutil.rmtree(out, ignore_errors=True)
    # No device visible (also on a GPU runner): the driver sees none, so the GPU runner's cell is skipped.
    r = cli("matrix", "run", matrix, "--out", out, "--only", "loader.cudnn.*", env={"CUDA_VISIBLE_DEVICES": ""})
    assert r.returncode == 2, r.stdout + r.stderr  # one cell could not run
    assert "cell cuda13.0-cudnn9.19-host-tk10.2 could not be provisioned" in r.stdout
    status = {c["id"]: c for c in json.loads((out / "matrix.json").read_text())["cells"]}
    assert status["cuda13.0-cudnn9.19-host"]["status"] == "ran"
    assert status["cuda13.0-cudnn9.19-host-tk10.2"]["status"] == "provision-failed"
    assert "built with CUDA 13.0" in status["cuda13.0-cudnn9.19-host-tk10.2"]["reason"]
    assert status["cuda13.0-cudnn9.19-host-tk10.2"]["matrix"]["toolkit"] == "10.2"
    assert status["cuda13.0-cudnn9.19-host-gpu"]["status"] == "skipped"
    assert "needs a GPU" in status["cuda13.0-cudnn9.19-host-gpu"]["reason"]
    assert not (out / "cuda13.0-cudnn9.19-host-gpu/results.jsonl").exists()
    failed = json.loads((out / "cuda13.0-cudnn9.19-host-tk10.2/cell.json").read_text())
    assert failed["provision"]["ok"] is False
    ran = json.loads((out / "cuda13.0-cudnn9.19-host/cell.json").read_text())
    assert ran["matrix"]["provider"] == "host" and ran["stack"]["provider"] == "host"
    assert (out / "cuda13.0-cudnn9.19-host/results.jsonl").stat().st_size > 0
    assert (out / "report/index.html").exists() and (out / "report/junit.xml").exists()
    # The report shows the cells that did not run and the axis values nobody exercised; JUnit fails the one that
    # could not be provisioned and skips the GPU runner's.
    page = (out / "report/index.html").read_text()
    assert "<section id=coverage>" in page and "fetch-toolkit cuda=10.2" in page
    assert "1 planned cell did not run" in page
    junit = (out / "report/junit.xml").read_text()
    assert 'name="cuda13.0-cudnn9.19-host-tk10.2[provision]"' in junit and "<error " in junit
    assert 'name="cuda13.0-cudnn9.19-host-gpu[provision]"' in junit
    assert "toolkit 10.2 planned but exercised by no cell" in r.stderr

    # Merging is idempotent and order-independent, byte for byte.
    assert cli("merge", out, OUT / "run", "-o", OUT / "merged1").returncode == 0
    assert cli("merge", OUT / "merged1", out, "-o", OUT / "merged2").returncode == 0
    for name in ("results.jsonl", "cell.json", "fingerprint.json"):
        one = (OUT / "merged1/cuda13.0-cudnn9.19-host" / name).read_bytes()
        assert one == (OUT / "merged2/cuda13.0-cudnn9.19-host" / name).read_bytes(), name
    assert (OUT / "merged1/matrix.json").read_bytes() == (OUT / "merged2/matrix.json").read_bytes()
    merged = {c["id"]: c["status"] for c in json.loads((OUT / "merged1/matrix.json").read_text())["cells"]}
    assert merged == {k: v["status"] for k, v in status.items()}
    assert cli("merge", tmp_path / "nothing", "-o", OUT / "merged3").returncode == 2


def test_slurm_submit_dry_run_asks_for_a_gpu_per_shard(tmp_path):
    r = subprocess.run([ROOT / "scripts/slurm/submit.sh", ROOT / "matrix/nightly.yaml", "--shards", "4", "--out",
                        tmp_path, "--gpu", "--dry-run", "--cli", os.environ.get("CUCONFORM_BIN", "/bin/true")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    script = (tmp_path / "slurm/shards.sbatch").read_text()
    assert "#SBATCH --array=0-3" in script and "#SBATCH --gres=gpu:1" in script
    assert '--index "$SLURM_ARRAY_TASK_ID" --count 4 --run' in script
    assert "merge" in (tmp_path / "slurm/merge.sbatch").read_text()


FRAMEWORK_CELL = """name: x
cells:
  - id: torch-a
    framework: torch==2.15.0
    install: ["torch==2.15.0"]
"""


STRICT_CASES = {
    "duplicate-key": (FRAMEWORK_CELL + "    framework: torch==2.14.0\n",
                      ":6: key 'framework' is given twice in one mapping (first at line 4)"),
    "second-document": (FRAMEWORK_CELL + "---\nname: y\n", ":7: a second YAML document"),
    "mapping-for-a-name": (FRAMEWORK_CELL.replace("name: x", "name: {a: 1}"),
                           ":1: 'name' must be a single value (a string or a number), not a mapping"),
    "list-for-a-framework": (FRAMEWORK_CELL.replace("framework: torch==2.15.0", "framework: [torch==2.15.0]"),
                             ":4: 'framework' of a cell must be a single value (a string or a number), not a list"),
    "empty-id": (FRAMEWORK_CELL.replace("id: torch-a", "id: ~"), ":3: 'id' of a cell is empty"),
    "huge-id": (FRAMEWORK_CELL.replace("id: torch-a", "id: t" + "a" * 300_000),
                ":3: 'id' of a cell is 300001 characters long; at most 100"),
    "huge-install": (FRAMEWORK_CELL.replace('["torch==2.15.0"]', '["' + "t" * 300_000 + '"]'),
                     ":5: an entry of 'install' is 300000 characters long; at most 4096"),
    "deep": (FRAMEWORK_CELL + "    description: " + "[" * 40 + "]" * 40 + "\n", ":6: nested deeper than 32 levels"),
}


@pytest.mark.parametrize("name", STRICT_CASES)
def test_a_framework_matrix_is_read_strictly(tmp_path, name):
    """matrix/frameworks.yaml was read by yaml-cpp directly: a key given twice, a second document or a mapping for a
    name were taken without a word (exit 0), a list for a value read as '', and a 300 kB id crashed std::regex
    (SIGSEGV). Each is now refused with file:line, exit 2."""
    text, evidence = STRICT_CASES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    r = cli("frameworks", "plan", path)
    assert r.returncode == 2, f"exit {r.returncode}\n{r.stdout}{r.stderr[:2000]}"
    assert f"cuconform frameworks: {path}{evidence}" in r.stderr, r.stderr[:2000]


def test_a_framework_matrix_that_is_a_folder_or_missing_names_the_path_and_errno(tmp_path):
    (tmp_path / "folder.yaml").mkdir()
    for path, errno_text in ((tmp_path / "folder.yaml", "Is a directory"), (tmp_path / "none.yaml", "No such file")):
        r = cli("frameworks", "plan", path)
        assert r.returncode == 2 and str(path) in r.stderr and errno_text in r.stderr, r.stderr
        assert r.stderr.startswith("cuconform frameworks: "), r.stderr
