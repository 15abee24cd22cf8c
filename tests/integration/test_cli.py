# SPDX-License-Identifier: Apache-2.0
"""The command line as a person meets it: a typo gets a suggestion, a bare command lists what it has, bad values are
refused with the option named, every message starts with `cuconform:`, and every command writes with -o/--out."""
import json
import os
import subprocess

CLI = os.environ.get("CUCONFORM_BIN", "build/bin/cuconform")


def cli(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def test_a_typo_gets_the_nearest_command():
    proc = cli("doctr")
    assert proc.returncode == 2
    assert proc.stderr.startswith("cuconform: ") and "did you mean doctor?" in proc.stderr, proc.stderr
    sub = cli("matrix", "pln", "matrix/pr.yaml")
    assert sub.returncode == 2 and "did you mean plan" in sub.stderr, sub.stderr


def test_a_bare_command_lists_its_commands():
    top = cli()
    assert top.returncode == 2 and "doctor" in top.stdout and "matrix" in top.stdout, top.stdout
    assert "__case" not in top.stdout
    matrix = cli("matrix")
    assert matrix.returncode == 2 and "`cuconform matrix` needs a command" in matrix.stderr
    assert "plan" in matrix.stderr and "shard" in matrix.stderr and "resources" in matrix.stderr


def test_bad_values_are_refused_naming_the_option():
    for args, option in ((["run", "--timeout", "-1"], "--timeout"), (["run", "--jobs", "0"], "--jobs"),
                         (["run", "--retries", "-3"], "--retries"),
                         (["matrix", "plan", "matrix/pr.yaml", "--json", "--github"], "--github")):
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stderr.startswith("cuconform: ") and option in proc.stderr, (args, proc.stderr)


def test_explain_suggests_near_ids():
    proc = cli("explain", "loader.cudnn.missng_shim")
    assert proc.returncode == 2 and "did you mean loader.cudnn.missing_shim?" in proc.stderr, proc.stderr


def test_every_writer_takes_dash_o_and_out(tmp_path):
    run = cli("run", "--only", "shape.conv.channel_mismatch", "--out", str(tmp_path / "r"), "-q")
    assert run.returncode == 0, run.stderr
    for command, target in (("report", tmp_path / "html"), ("table", tmp_path / "table"),
                            ("junit", tmp_path / "junit.xml")):
        for flag in ("-o", "--out", "--output"):
            proc = cli(command, str(tmp_path / "r"), flag, str(target))
            assert proc.returncode == 0, (command, flag, proc.stderr)


def test_doctor_names_the_file_and_the_field_of_a_bad_fingerprint(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    proc = cli("doctor", "--fingerprint", str(empty))
    assert proc.returncode == 2
    assert str(empty) in proc.stderr and "schema" in proc.stderr, proc.stderr
    typed = tmp_path / "typed.json"
    fp = json.loads(cli("probe", "--no-gpus").stdout)
    fp["cudnn"]["loaded"] = 9
    typed.write_text(json.dumps(fp))
    proc = cli("doctor", "--fingerprint", str(typed))
    assert proc.returncode == 2 and "cudnn.loaded: expected a string, found a number" in proc.stderr, proc.stderr


def test_matrix_plan_says_what_a_run_will_download(tmp_path):
    env = dict(os.environ, CUCONFORM_CACHE=str(tmp_path / "empty-cache"))
    proc = subprocess.run([CLI, "matrix", "plan", "matrix/nightly.yaml"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    line = next(l for l in proc.stdout.splitlines() if l.startswith("downloads: "))
    assert "not there yet" in line and "GB" in line, line
    assert "to fetch: stacks/cuda12.4-cudnn9.1" in proc.stdout
    host_only = subprocess.run([CLI, "matrix", "plan", "matrix/pr.yaml"], capture_output=True, text=True, env=env,
                               timeout=120)
    assert "downloads:" not in host_only.stdout  # this machine's stack only: nothing to fetch
