# SPDX-License-Identifier: Apache-2.0
"""`cuconform kb`: validates the knowledge base, exit 0 when valid and 2 with FILE:LINE when not."""
import json
import os
import pathlib
import subprocess

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


def test_unsourced_entries_are_counted():
    # The valid fixture enters one driver as `status: unsourced`: the count above is not always 0.
    summary = json.loads(kb("--json", str(FIXTURES / "valid")).stdout)
    assert sum(f["unsourced"] for f in summary["files"]) == 1


def test_a_blog_is_refused_even_when_called_docs():
    r = kb(str(FIXTURES / "blog_as_docs"))
    assert r.returncode == 2
    assert "hardware.yaml:4:" in r.stderr and "no primary source's site" in r.stderr
