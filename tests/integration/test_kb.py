# SPDX-License-Identifier: Apache-2.0
"""`cuconform kb`: validates the knowledge base: exit 0 when valid and clean, 1 when it holds unsourced entries, 2 with
FILE:LINE when a file is broken or a knowledge file is missing (or something else stands in its place)."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "knowledge"
BIN = os.environ.get("CUCONFORM_BIN", str(ROOT / "build" / "bin" / "cuconform"))


def kb(*args):
    env = {k: v for k, v in os.environ.items() if k != "CUCONFORM_KNOWLEDGE_DIR"}
    return subprocess.run([BIN, "kb", *args], capture_output=True, text=True, env=env, timeout=60)


def test_builtin_knowledge_base_is_valid():
    r = kb()
    assert r.returncode == 0, r.stderr
    assert "Result = VALID" in r.stdout
    for name in ("toolkits.yaml", "cudnn.yaml", "hardware.yaml", "errors.yaml", "env.yaml"):
        assert name in r.stdout


def test_json_summary_counts_every_file():
    r = kb("--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["valid"] is True
    assert {f["file"] for f in summary["files"]} == {"toolkits.yaml", "cudnn.yaml", "hardware.yaml", "errors.yaml", "env.yaml",
                                                  "frameworks.yaml"}
    assert summary["entries"] == sum(f["entries"] for f in summary["files"])


def test_invalid_directory_exits_2_naming_file_and_line():
    r = kb("--json", str(FIXTURES / "missing_source"))
    assert r.returncode == 2
    result = json.loads(r.stdout)
    assert result["valid"] is False
    assert result["file"].endswith("hardware.yaml") and result["line"] == 9
    assert "hardware.yaml:9:" in r.stderr and "has no source" in r.stderr


def test_builtin_knowledge_base_has_no_unsourced_entry():
    # #15: every fact carries its primary source; `kb` counts what does not, and a count above 0 fails here.
    summary = json.loads(kb("--json").stdout)
    unsourced = {f["file"]: f["unsourced"] for f in summary["files"] if f["unsourced"]}
    assert unsourced == {}, f"cuconform kb reports unsourced entries: {unsourced}"
    assert "0 unsourced" in kb().stdout.splitlines()[-3]  # the total line
    assert set(summary["by_source_kind"]) <= {"docs", "header", "code", "package", "tool"}


def test_a_partial_folder_is_refused_naming_what_it_lacks():
    # The valid fixture holds two of the six files: the unit tests load it, `kb` does not call it a knowledge base.
    r = kb(str(FIXTURES / "valid"))
    assert r.returncode == 2
    assert "lacks cudnn.yaml, env.yaml, errors.yaml, frameworks.yaml" in r.stderr, r.stderr


def complete_copy(tmp_path):
    """A full copy of the project's knowledge base to break one way or another."""
    copy = tmp_path / "knowledge"
    shutil.copytree(ROOT / "matrix" / "knowledge", copy)
    return copy


def test_unsourced_entries_exit_1_naming_the_file_and_the_fix(tmp_path):
    # #15: a knowledge base with an unsourced entry is not clean; `kb` said VALID and exited 0 (only tests failed).
    copy = complete_copy(tmp_path)
    text = (copy / "toolkits.yaml").read_text()
    row = next(line for line in text.splitlines() if line.startswith('    driver: {linux: "550.54.14"'))
    (copy / "toolkits.yaml").write_text(text.replace(row, '    driver: {status: unsourced, note: "Table 3 row not read"}'))
    r = kb(str(copy))
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Result = UNSOURCED" in r.stdout
    assert "toolkits.yaml" in r.stderr and "1 unsourced" in r.stderr
    assert "give each its source" in r.stderr
    j = kb("--json", str(copy))
    assert j.returncode == 1
    summary = json.loads(j.stdout)
    assert summary["valid"] is True and summary["clean"] is False and summary["unsourced"] == 1


@pytest.mark.parametrize("name", ["hardware.yaml", "frameworks.yaml", "errors.yaml"])
def test_a_missing_knowledge_file_exits_2_naming_it(tmp_path, name):
    # #13 defect 10: a knowledge base without one of its files was reported VALID.
    copy = complete_copy(tmp_path)
    (copy / name).unlink()
    r = kb(str(copy))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Result = INVALID" in r.stdout
    assert f"{copy / name}" in r.stderr and "missing" in r.stderr and "git checkout matrix/knowledge" in r.stderr
    result = json.loads(kb("--json", str(copy)).stdout)
    assert result["valid"] is False and result["file"] == str(copy / name)


@pytest.mark.parametrize("name", ["cudnn.yaml", "frameworks.yaml"])
def test_a_folder_in_a_knowledge_files_place_exits_2_naming_it(tmp_path, name):
    copy = complete_copy(tmp_path)
    (copy / name).unlink()
    (copy / name).mkdir()
    r = kb(str(copy))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Result = INVALID" in r.stdout
    assert f"{copy / name}" in r.stderr and "not a file" in r.stderr


def test_a_blog_is_refused_even_when_called_docs():
    r = kb(str(FIXTURES / "blog_as_docs"))
    assert r.returncode == 2
    assert "hardware.yaml:4:" in r.stderr and "no primary source's site" in r.stderr
