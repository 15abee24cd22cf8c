# SPDX-License-Identifier: Apache-2.0
"""`cuconform report`, `table` and `junit` on the fixtures: output shapes, JUnit parsed back, schema of the fixtures."""
import csv
import json
import os
import pathlib
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from full_disk import run_on_a_full_disk

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
OUT = pathlib.Path(os.environ.get("CUCONFORM_TEST_OUTPUT", "/tmp/cuconform-test-output")) / "report_cli"


def cli(*args):
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True)


def test_fixtures_match_the_schema():
    schema = json.loads((ROOT / "reports/schema/result.schema.json").read_text())
    checked = 0
    for f in sorted((DATA / "results").rglob("results.jsonl")) + sorted((DATA / "baseline").rglob("results.jsonl")):
        for n, line in enumerate(f.read_text().split("\n"), 1):  # not splitlines(): messages hold U+2028
            if not line:
                continue
            record = json.loads(line)
            jsonschema.validate(record, schema)
            checked += 1
    assert checked > 100


def test_report_last_line_and_exit_code():
    proc = cli("report", DATA / "results", "-o", OUT / "html", "--summary", OUT / "summary.md")
    assert proc.returncode == 1, proc.stderr  # the fixtures do not conform
    last = proc.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed, \d+ failed, \d+ skipped", last)
    assert last == "52 passed, 8 failed, 9 skipped"
    page = (OUT / "html/index.html").read_text()
    assert page.count("<script") == 2 and "<script>alert(1)" not in page
    summary = (OUT / "summary.md").read_text()
    assert "does not conform" in summary and "kernel_image.sm.missing_arch" in summary


def test_conforming_results_exit_zero(tmp_path):
    cell = tmp_path / "c"
    cell.mkdir()
    lines = (DATA / "results/cuda13.0-cudnn9.19-h100-host/results.jsonl").read_text().split("\n")
    passing = [l for l in lines if l and json.loads(l)["verdict"] in ("PASS", "UNSUPPORTED", "WAIVED")]
    (cell / "results.jsonl").write_text("\n".join(passing) + "\n")
    proc = cli("report", cell, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(f"{len(passing)} passed, 0 failed, 0 skipped")


def test_junit_parses_and_matches_verdicts():
    proc = cli("junit", DATA / "results", "-o", OUT / "junit.xml")
    assert proc.returncode == 0, proc.stderr
    root = ET.parse(OUT / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert len(suites) == 3
    cases = root.findall(".//testcase")
    assert len(cases) == 69
    by_name = {}
    for s in suites:
        for c in s.findall("testcase"):
            props = {p.get("name"): p.get("value") for p in c.findall("properties/property")}
            assert props["cell"] == s.get("name")
            assert c.get("name") == f"{props['case_id']}[{props['variant']}]"
            by_name[(s.get("name"), c.get("name"))] = (c, props)
    c, props = by_name[("cuda13.0-cudnn9.19-h100-host", "dtype.tensor.string_input[default]")]
    failure = c.find("failure")
    assert "<script>alert(1)</script>" in failure.text  # escaped in the file, intact after parsing
    assert "expected error(harness, TYPE_ERROR), observed error(harness, VALUE_ERROR)" in failure.get("message")
    c, _ = by_name[("cuda13.0-cudnn9.1-nogpu-wheels", "rnn.lstm.forward[default]")]
    assert "needs a GPU" in c.find("skipped").get("message")
    assert sum(int(s.get("failures")) for s in suites) == len(root.findall(".//failure")) == 8


def test_table_kinds_and_evidence():
    """Rows are stacks with the driver, columns families, entries short symbols whose links resolve from the
    table's own folder to the results line; the kinds never blur; the JSON has cuDNN ranges."""
    out = OUT / "table"
    proc = cli("table", DATA / "results", "-o", out)
    assert proc.returncode == 0, proc.stderr
    md = (out / "table.md").read_text()
    header = next(line for line in md.splitlines() if line.startswith("| driver |"))
    assert "| driver | CUDA toolkit | CUDA runtime | cuDNN | GPU (cc) |" in header and "| shape |" in header
    links = re.findall(r"\]\(([^)#]+)#L(\d+)\)", md)
    assert links
    for target, line in links:
        path = (out / target).resolve()
        assert path.exists(), target  # relative to the table, not to where the command ran
        assert int(line) <= len(path.read_text().splitlines())
    assert "## Notes" in md and "\u25c7 **rnn**" in md  # predicted, named as such
    rows = list(csv.DictReader((out / "table.csv").open()))
    assert len(rows) == 3 and {r["driver"] for r in rows} == {"580.65.06", "none"}
    nogpu = next(r for r in rows if r["cudnn"] == "9.1.0")
    assert nogpu["rnn"] == "predicted" and "not run here" in nogpu["rnn_detail"]
    assert nogpu["shape"] == "documented" and re.search(r"results\.jsonl#L\d+", nogpu["shape_evidence"])
    for r in rows:
        for family in ("loader", "rnn", "memory", "env"):
            assert r[family] in ("documented", "deviates", "waived", "predicted", "unknown")
    table = json.loads((out / "table.json").read_text())
    assert table["schema"] == "cuconform.table/1" and len(table["stacks"]) == 3
    support = table["families"]["shape"]["__compat"]["support"]
    assert {s["status"] for s in support.values()} <= {"documented", "deviates", "waived", "predicted", "unknown"}
    assert table["families"]["shape"]["cudnn_ranges"], table["families"]["shape"]
    assert json.loads(cli("table", DATA / "results", "--json").stdout)["stacks"] == table["stacks"]


def test_table_csv_never_starts_a_formula(tmp_path):
    """A case id, reason or message that starts with = + - @ reaches a spreadsheet as text, not as a formula."""
    results = tmp_path / "r" / "evil"
    results.mkdir(parents=True)
    src = next((DATA / "results" / "cuda13.0-cudnn9.19-h100-host").glob("results.jsonl"))
    lines = []
    for line in src.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the fixture's torn line
        record["cell"] = "=HYPERLINK(\"http://x\")"
        lines.append(json.dumps(record))
    (results / "results.jsonl").write_text("\n".join(lines) + "\n")
    (results / "cell.json").write_text(json.dumps({"id": "=HYPERLINK(\"http://x\")",
                                                   "stack": {"cudnn": "@SUM(1)", "cuda": "+1"},
                                                   "toolkit": {"cuda": "-2", "cudnn": "9.19.0"}}))
    proc = cli("table", tmp_path / "r", "-o", tmp_path / "t")
    assert proc.returncode == 0, proc.stderr
    for row in csv.reader((tmp_path / "t" / "table.csv").open()):
        for field in row:
            assert not field or field[0] not in "=+-@\t\r", row

def damaged_results(tmp_path):
    """Three results folders a nightly job must never read as green (issue #13.2): an empty results.jsonl, one of
    garbage, and a FAIL record with one mistyped field."""
    fail = next(json.loads(line) for line in (DATA / "results" / "cuda13.0-cudnn9.19-h100-host" / "results.jsonl")
                .read_text().split("\n") if line and json.loads(line)["verdict"] == "FAIL")
    fail["attempts"] = "2"
    cases = {"empty": ("", "holds no result record"),
             "garbage": ("garbage\n", "results.jsonl:1: the line: not valid JSON"),
             "mistyped": (json.dumps(fail) + "\n", "results.jsonl:1: attempts: expected a whole number")}
    for name, (text, _) in cases.items():
        (tmp_path / name / "cell").mkdir(parents=True)
        (tmp_path / name / "cell" / "results.jsonl").write_text(text)
    return {name: (tmp_path / name, evidence) for name, (_, evidence) in cases.items()}


@pytest.mark.parametrize("command,output", [("report", "out"), ("table", "out"), ("junit", "out.xml"),
                                            ("merge", "out")])
def test_damaged_results_are_a_harness_error_and_write_nothing(tmp_path, command, output):
    for name, (folder, evidence) in damaged_results(tmp_path).items():
        out = tmp_path / f"{name}-{output}"
        proc = cli(command, folder, "-o", out)
        assert proc.returncode == 2, f"{command} on {name}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
        assert evidence in proc.stderr, f"{command} on {name}: {proc.stderr}"
        assert "Conforms" not in proc.stdout and not out.exists(), f"{command} on {name} wrote {out}"


def on_a_full_disk(tmp_path, *args):
    """Runs the CLI with its output on a 4 KiB disk of its own, and lists what it left there (on stderr)."""
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    return run_on_a_full_disk(tmp_path, "4k", [binary, *args], 'find "$0" -type f -printf "%s %p\\n" >&2')


@pytest.mark.parametrize("command,output", [("report", "out"), ("table", "out"), ("junit", "out.xml"),
                                            ("merge", "out")])
def test_a_full_disk_is_a_harness_error_naming_path_and_errno(tmp_path, command, output):
    """Issue #13.3: a full disk left a truncated index.html that said "Conforms", 0-byte tables, a 0-byte junit.xml
    and merge's results.jsonl.tmp, and its message ended in ': Success'."""
    disk, proc = on_a_full_disk(tmp_path, command, DATA / "results", "-o", tmp_path / "full" / output)
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert "No space left on device" in proc.stderr and str(disk) in proc.stderr, proc.stderr
    assert "Success" not in proc.stderr and "Conforms" not in proc.stdout, proc.stdout + proc.stderr
    left = [line.split(" ", 1) for line in proc.stderr.splitlines() if line.split(" ", 1)[-1].startswith(str(disk))]
    for size, path in left:
        assert size != "0" and ".tmp" not in path, f"{command} left {path} ({size} bytes)"


@pytest.mark.parametrize("command,output", [("report", "out"), ("table", "out"), ("junit", "out/junit.xml"),
                                            ("merge", "out")])
def test_a_second_writer_into_a_held_output_folder_names_the_holder_and_exits_2(tmp_path, command, output):
    """Two report writers into one folder mixed their files with no warning: the second now refuses, naming the
    first (pid, command line, since when), and a `kill -9` of the first releases the folder. The first is held
    half-way by a --summary FIFO that nobody reads yet."""
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    fifo = tmp_path / "summary.fifo"
    os.mkfifo(fifo)
    first = subprocess.Popen([binary, "report", DATA / "results", "-o", tmp_path / "out", "--summary", fifo],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not (tmp_path / "out" / "index.html").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, "the first report should wait on its summary FIFO"
        second = cli(command, DATA / "results", "-o", tmp_path / output)
        assert second.returncode == 2, f"exit {second.returncode}\n{second.stdout}{second.stderr}"
        assert f"{tmp_path / 'out'} is in use by another cuconform process: pid {first.pid} (" in second.stderr, \
            second.stderr
        assert f" report {DATA / 'results'} -o " in second.stderr and ", since 20" in second.stderr, second.stderr
        assert "-o" in second.stderr.split("in use by another cuconform process", 1)[1].split("since", 1)[1], \
            "the message should say how to go ahead: " + second.stderr
    finally:
        first.kill()
        first.wait()
    after = cli(command, DATA / "results", "-o", tmp_path / output)  # SIGKILL released the lock
    assert after.returncode in (0, 1), f"exit {after.returncode}\n{after.stdout}{after.stderr}"


def copy_of_the_fixtures(tmp_path):
    import shutil
    results = tmp_path / "results"
    shutil.copytree(DATA / "results", results)
    return results


@pytest.mark.parametrize("command,output", [("report", "out"), ("table", "out"), ("junit", "out.xml"),
                                            ("merge", "out")])
def test_a_folder_in_place_of_results_jsonl_names_the_path_and_errno(tmp_path, command, output):
    """A cell whose results.jsonl is a folder was passed over ("no results.jsonl under ...", or the other cells
    reported alone): its results are missing, which is a harness error naming the path and the errno."""
    results = copy_of_the_fixtures(tmp_path)
    damaged = results / "cuda13.0-cudnn9.1-nogpu-wheels" / "results.jsonl"
    damaged.unlink()
    damaged.mkdir()
    proc = cli(command, results, "-o", tmp_path / output)
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert f"{damaged}: Is a directory" in proc.stderr or f"{damaged}: a folder" in proc.stderr, proc.stderr
    assert not (tmp_path / output).exists()


@pytest.mark.parametrize("command,output", [("report", "out"), ("table", "out"), ("junit", "out.xml"),
                                            ("merge", "out")])
def test_an_unreadable_cell_folder_is_a_harness_error_not_a_smaller_report(tmp_path, command, output):
    """A cell folder that cannot be listed (Permission denied) was skipped without a word, and the report, table,
    junit and merge went on with the other cells: a failing cell could vanish from a green report."""
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    results = copy_of_the_fixtures(tmp_path)
    locked = results / "cuda13.0-cudnn9.1-nogpu-wheels"
    locked.chmod(0)
    # root reads any folder: run as the folder's owner without privileges (a user namespace mapping us to nobody).
    wrap = ["unshare", "-U", "--map-user=65534", "--map-group=65534"] if os.geteuid() == 0 else []
    if wrap and subprocess.run([*wrap, "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -U is refused here: as root no folder is unreadable without it")
    try:
        proc = subprocess.run([*wrap, binary, command, results, "-o", tmp_path / output], capture_output=True,
                              text=True)
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert f"{locked}: Permission denied" in proc.stderr, proc.stderr
    assert not (tmp_path / output).exists()
