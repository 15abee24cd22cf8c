# SPDX-License-Identifier: Apache-2.0
"""The committed evidence still says the same: for every recorded result of the nightly matrix evidence
(reports/evidence/) and of the report fixtures, today's catalogue expects the same outcome on that cell's fingerprint,
decided by the same rule, and judging the recorded observation against it gives the recorded verdict. A change to a
rule, to the fact flattening or to the judge that would flip any of them fails here."""
import glob
import json
import os
import subprocess

import pytest

CLI = os.environ.get("CUCONFORM_BIN", "build/bin/cuconform")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Cases whose reproduction changed on purpose after the evidence was recorded: its records are evidence of the case as
# it was, so they are not compared (each entry must still be in the evidence and in the catalogue). Re-recording the
# nightly evidence (reports/evidence/README.md) empties this.
REDEFINED = {
    "memory.cudnn.workspace": "2026-12-04: asks cuDNN for a convolution workspace and needs cuDNN; the 2026-11-23 "
                              "evidence recorded the earlier case, a bare cudaMalloc that never called cuDNN",
}

CELLS = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(ROOT, "reports", "evidence", "nightly-*", "*",
                                                                    "results.jsonl")))


def expectations(fingerprint):
    proc = subprocess.run([CLI, "list", "--json", "--fingerprint", fingerprint], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = {}
    for case in json.loads(proc.stdout):
        for v in case["variants"]:
            out[(case["id"], v["name"])] = v
    return out


def judged(expected, observed):
    """core/outcome.cpp's judge, as the schema describes it: the verdict an observation gets against an expectation."""
    kind = observed["outcome"]
    if kind == "crash":
        return "CRASH"
    if kind == "timeout":
        return "TIMEOUT"
    if expected["outcome"] == "unsupported" or kind == "unsupported":
        return "UNSUPPORTED" if kind == "unsupported" else "FAIL"
    if expected["outcome"] != kind:
        return "FAIL"
    if kind == "error":
        same_name = observed["name"] == expected["name"] or (
            expected["domain"] == "cudnn" and observed["name"].startswith(expected["name"] + "_"))
        return "PASS" if expected["domain"] == observed["domain"] and same_name else "FAIL"
    return "PASS"


def test_there_is_evidence_to_compare():
    assert len(CELLS) >= 10, CELLS


def test_each_redefined_case_is_in_the_evidence_and_the_catalogue():
    listed = {c["id"] for c in json.loads(subprocess.run([CLI, "list", "--json"], capture_output=True, text=True,
                                                         check=True).stdout)}
    recorded = set()
    for cell in CELLS:
        with open(os.path.join(cell, "results.jsonl")) as f:
            recorded |= {json.loads(line)["case"] for line in f}
    for case, why in REDEFINED.items():
        assert case in listed and case in recorded, f"{case} ({why}): drop it from REDEFINED"


@pytest.mark.parametrize("cell", CELLS, ids=[os.path.basename(c) for c in CELLS])
def test_evidence_cell_keeps_its_expectations_and_verdicts(cell):
    expected_now = expectations(os.path.join(cell, "fingerprint.json"))
    compared = 0
    with open(os.path.join(cell, "results.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            now = expected_now.get((r["case"], r["variant"]))
            assert now is not None, f"{r['case']}[{r['variant']}] is no longer in the catalogue"
            where = f"{os.path.basename(cell)}: {r['case']}[{r['variant']}]"
            if r["case"] in REDEFINED:
                continue
            assert now["expected"]["text"] == r["expected"]["text"], where
            assert now["rule"]["index"] == r["rule"]["index"], where
            assert now["rule"]["text"] == r["rule"]["text"], where
            if r["verdict"] in ("PASS", "FAIL", "CRASH", "TIMEOUT", "UNSUPPORTED") and r["attempts"] == 1:
                assert judged(now["expected"], r["observed"]) == r["verdict"], where
            compared += 1
    assert compared > 0
