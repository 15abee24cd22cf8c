# SPDX-License-Identifier: Apache-2.0
"""`cuconform predict` (exit 0 / 1 / 2, JSON schema, every case predicted) and `cuconform table --contradictions`."""
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CUCONFORM_BIN", str(ROOT / "build" / "bin" / "cuconform"))
CONTRADICTIONS = ROOT / "tests" / "data" / "contradictions"


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)


def predict_json(*args):
    r = run("predict", "--json", *args)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


def answers(doc):
    return {q["id"]: q for q in doc["questions"]}


def test_minor_version_compatibility_yes_exit_0():
    code, doc = predict_json("--driver", "535.104.05", "--runtime", "12.4")
    assert doc["schema"] == "cuconform.predict/1"
    q = answers(doc)["runtime-on-driver"]
    assert q["answer"] == "yes" and "minor version compatibility" in q["reason"]
    assert q["source_url"].startswith("https://")
    assert code == 0  # nothing answered no; the other questions are unknown (not asked)
    assert answers(doc)["nvcc-targets"]["answer"] == "unknown"


def test_acceptance_examples_answer_no_with_sources_exit_1():
    code, doc = predict_json("--driver", "535.104.05", "--runtime", "13.0", "--toolkit", "13.0", "--gpu", "sm_61",
                             "--cudnn", "9.17.0", "--built-cudnn", "9.18.0")
    a = answers(doc)
    assert code == 1
    assert a["runtime-on-driver"]["answer"] == "no" and "580" in a["runtime-on-driver"]["reason"]
    assert a["nvcc-targets"]["answer"] == "no"
    assert a["cudnn-arch"]["answer"] == "no"  # 9.17.0's row lists 7.5 and later
    assert a["cudnn-rule"]["answer"] == "no"
    for qid in ("runtime-on-driver", "nvcc-targets", "cudnn-arch", "cudnn-rule"):
        assert a[qid]["source_url"].startswith("https://"), qid


def test_a_release_whose_row_is_not_recorded_is_unknown_saying_so():
    # No matrix row for 9.11.0 (or 9.19.0) is recorded: cudnn.yaml says so with its source, and predict answers
    # unknown with that statement, naming the rows around it that it does not borrow from.
    for release in ("9.11.0", "9.19.0"):
        _, doc = predict_json("--gpu", "sm_61", "--cudnn", release)
        q = answers(doc)["cudnn-arch"]
        assert q["answer"] == "unknown", q
        assert f"cuDNN {release}'s own support-matrix row is not recorded" in q["reason"], q
        assert "9.17.0" in q["reason"], q
        assert q["rule"] == "row not recorded", q
        assert len(q["evidence"]) == 1 and q["source_url"].startswith("https://docs.nvidia.com/"), q


def test_cudnn_rule_and_fp8_from_a_stack_file(tmp_path):
    stack = tmp_path / "stack.json"
    stack.write_text(json.dumps({"cudnn": "9.1.0", "built_cudnn": "9.3.0", "gpu": "RTX 3090"}))
    code, doc = predict_json("--file", str(stack))
    a = answers(doc)
    assert code == 1
    assert a["cudnn-rule"]["answer"] == "no" and a["cudnn-rule"]["source_url"].startswith("https://")
    assert a["precision-fp8"]["answer"] == "no" and "no hardware support" in a["precision-fp8"]["reason"]
    assert a["precision-fp8"]["source_url"].startswith("https://")
    assert doc["stack"]["gpus"][0]["cc"] == "8.6"


def test_every_case_is_predicted_with_its_rule():
    listed = run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    _, doc = predict_json("--driver", "580.65.06", "--runtime", "13.0", "--toolkit", "13.0", "--cudnn", "9.19.0",
                          "--built-cudnn", "9.19.0", "--cudnn-cuda", "13", "--gpu", "T4")
    predicted = {c["id"] for c in doc["cases"]}
    cases = json.loads(listed.stdout)
    ids = {c["id"] for c in (cases["cases"] if isinstance(cases, dict) else cases)}
    assert predicted == ids
    for c in doc["cases"]:
        assert "error" not in c, c
        assert c["rule"] and c["expected_text"]
    by_id = {(c["id"], c["variant"]): c for c in doc["cases"]}
    # On a T4 with CUDA 13.0, nvcc refuses sm_61 and the sm_75-only image loads.
    assert by_id[("precision.nvcc.sm61_refused", "default")]["expected_text"].startswith("error(compile")
    assert by_id[("kernel_image.load.sm75_only", "default")]["expected_text"] == "ok"


def test_human_output_questions_first_then_families():
    r = run("predict", "--driver", "535.104.05", "--runtime", "12.4", "--gpu", "T4")
    # A T4 has no bf16, tf32 or fp8: said, but informational (what the GPU lacks is not a broken stack).
    assert r.returncode == 0, r.stdout + r.stderr
    assert "precision-bf16     no" in r.stdout
    assert "informational: does not fail the exit code" in r.stdout
    assert r.stdout.index("runtime-on-driver") < r.stdout.index("Cases:")
    assert "source: https://" in r.stdout
    assert "\n  kernel_image\n" in r.stdout


def test_bad_input_exit_2_naming_the_flag(tmp_path):
    r = run("predict", "--gpu", "not-a-gpu-xyz")
    assert r.returncode == 2 and "--gpu" in r.stderr and "sm_61" in r.stderr
    r = run("predict", "--driver", "abc")
    assert r.returncode == 2 and "--driver" in r.stderr
    r = run("predict")
    assert r.returncode == 2 and "no stack given" in r.stderr
    missing = tmp_path / "missing.json"
    r = run("predict", "--file", str(missing))
    assert r.returncode == 2 and str(missing) in r.stderr


def test_table_contradictions_lists_the_one_contradiction():
    r = run("table", "--contradictions", str(CONTRADICTIONS))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "CONTRADICTION nvcc-targets: precision.nvcc.sm61_refused" in r.stdout
    assert "results.jsonl:2" in r.stdout and "https://" in r.stdout
    assert "sm75_accepted" not in r.stdout
    assert "1 contradiction, 1 agreement" in r.stdout


def test_table_contradictions_on_the_report_fixtures_finds_none():
    # A bf16 case's CUDNN_STATUS_ARCH_MISMATCH on a T4 is about the data type, not cuDNN's support for cc 7.5.
    r = run("table", "--contradictions", str(ROOT / "tests" / "data" / "results"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "CONTRADICTION" not in r.stdout
    assert " 0 contradictions" in r.stdout or r.stdout.startswith("0 contradictions")


def test_table_contradictions_on_agreeing_results_exit_0(tmp_path):
    cell = tmp_path / "cell"
    cell.mkdir()
    src = CONTRADICTIONS / "cuda13.0-nvcc-nogpu"
    for name in ("cell.json", "fingerprint.json"):
        (cell / name).write_text((src / name).read_text())
    (cell / "results.jsonl").write_text((src / "results.jsonl").read_text().splitlines()[0] + "\n")
    r = run("table", "--contradictions", str(cell), "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 contradictions, 1 agreement" in r.stdout
    assert (tmp_path / "out" / "table.md").exists()


def test_every_decided_answer_names_the_rule_that_decided_it():
    # #15: predict reasons like the tables and says which rule decided ("listed", "same major, higher minor", ...).
    for args in (("--driver", "535.104.05", "--runtime", "12.4", "--toolkit", "12.4", "--gpu", "H100", "--cudnn",
                  "9.5.1", "--built-cudnn", "9.5.0", "--cudnn-cuda", "12.4"),
                 ("--driver", "520.61.05", "--runtime", "13.0", "--toolkit", "11.8", "--gpu", "sm_90a", "--cudnn",
                  "9.17.0", "--built-cudnn", "8.9.7", "--cudnn-cuda", "11.8")):
        _, doc = predict_json(*args)
        for q in doc["questions"]:
            if q["answer"] != "unknown":
                assert q["rule"], q
