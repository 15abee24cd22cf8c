# SPDX-License-Identifier: Apache-2.0
"""`cuconform report`, `table` and `junit` on the fixtures: output shapes, JUnit parsed back, schema of the fixtures."""
import csv
import json
import os
import pathlib
import re
import subprocess
import xml.etree.ElementTree as ET

import jsonschema
import pytest

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
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                assert f.parent.name == "cuda13.0-cudnn9.1-nogpu-wheels" and n == 24, f"{f}:{n} is not JSON"
                continue
            jsonschema.validate(record, schema)
            checked += 1
    assert checked > 100


def test_report_last_line_and_exit_code():
    proc = cli("report", DATA / "results", "-o", OUT / "html", "--summary", OUT / "summary.md")
    assert proc.returncode == 1, proc.stderr  # the fixtures do not conform
    last = proc.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed, \d+ failed, \d+ skipped", last)
    assert last == "52 passed, 8 failed, 9 skipped"
    assert "results.jsonl:24" in proc.stderr  # the truncated line, named
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
    proc = cli("table", DATA / "results", "-o", OUT / "table")
    assert proc.returncode == 0, proc.stderr
    md = (OUT / "table/table.md").read_text()
    assert "tested ok" in md and "predicted" in md and "unknown" in md  # the legend names all kinds
    rows = list(csv.DictReader((OUT / "table/table.csv").open()))
    assert len(rows) == 3
    nogpu = next(r for r in rows if r["cudnn"] == "9.1.0")
    assert nogpu["rnn_kind"] == "predicted" and nogpu["rnn"] == "predicted ok"
    assert nogpu["shape_kind"] == "tested" and re.search(r"results\.jsonl:\d+", nogpu["shape_evidence"])
    for r in rows:
        for family in ("loader", "rnn", "memory"):
            assert r[f"{family}_kind"] in ("tested", "predicted", "unknown")
            assert r[family].split(" ")[0] == r[f"{family}_kind"] or r[family] == "unknown"
