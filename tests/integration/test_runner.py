# SPDX-License-Identifier: Apache-2.0
"""The runner against misbehaving test-only cases (tests/fixtures/) and the real catalogue:
wrong expectations fail, crashes and hangs are contained, kill -9 then --resume loses nothing,
and `ctest -L conformance` agrees with `cuconform run`."""
import glob
import json
import os
import re
import signal
import subprocess
import time

import pytest

from full_disk import run_on_a_full_disk
from refused_syscalls import run_refusing
from sanitizer import time_scale

CLI = os.environ.get("CUCONFORM_BIN", "build/bin/cuconform")
FIXTURES = os.environ.get("CUCONFORM_FIXTURES_BIN", "build/bin/cuconform_fixtures")
BUILD = os.environ.get("CUCONFORM_BUILD_DIR", "build")
SCALE = time_scale(FIXTURES)  # 1, or how much slower the sanitizer build's processes are (sanitizer.py)


def results(out):
    files = glob.glob(os.path.join(out, "*", "results.jsonl"))
    assert len(files) == 1, files
    records = {}
    with open(files[0]) as f:
        for line in f:
            r = json.loads(line)
            key = (r["case"], r["variant"])
            assert key not in records, f"{key} recorded twice"
            records[key] = r
    return records


def run(binary, out, *args, timeout=120):
    return subprocess.run([binary, "run", "--out", str(out), "--quiet", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_crash_hang_and_wrong_expectation_are_contained(tmp_path):
    proc = run(FIXTURES, tmp_path, "--only", "fixture.crash.*", "--only", "fixture.hang.*", "--only",
               "fixture.wrong.*", "--only", "loader.*", "--timeout", str(2 * SCALE), "-j", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    r = results(tmp_path)
    crash = r[("fixture.crash.segfault", "default")]
    assert crash["verdict"] == "CRASH" and crash["observed"]["signal"] == signal.SIGSEGV
    hang = r[("fixture.hang.sleep", "default")]
    assert hang["verdict"] == "TIMEOUT" and hang["duration_ms"] < 30000
    wrong = r[("fixture.wrong.expectation", "default")]
    assert wrong["verdict"] == "FAIL" and wrong["fail_kind"] == "unexpected_error"
    loader = [v for (case, _), v in r.items() if case.startswith("loader.")]
    assert len(loader) >= 9
    assert all(v["verdict"] in ("PASS", "UNSUPPORTED") for v in loader), [v["verdict"] for v in loader]


def test_kill_minus_nine_then_resume_equals_an_uninterrupted_run(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert run(FIXTURES, whole, "--only", "fixture.slow.*").returncode == 0
    proc = subprocess.Popen([FIXTURES, "run", "--out", str(killed), "--quiet", "--only", "fixture.slow.*"])
    deadline = time.time() + 20
    while time.time() < deadline:  # Kill once some, not all, results are recorded.
        files = glob.glob(str(killed / "*" / "results.jsonl"))
        if files and sum(1 for _ in open(files[0])) >= 4:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = results(killed)
    assert 0 < len(partial) < 16, len(partial)
    resumed = run(FIXTURES, killed, "--only", "fixture.slow.*", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    after = results(killed)
    for key, record in partial.items():  # Nothing recorded before the kill was redone or lost.
        assert after[key]["started_at"] == record["started_at"]
    verdicts = lambda rs: {k: v["verdict"] for k, v in rs.items()}
    assert verdicts(after) == verdicts(results(whole))


def test_catalogue_conforms_here_with_enough_cases(tmp_path):
    proc = run(CLI, tmp_path, "-j", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    r = results(tmp_path)
    cases = {case for case, _ in r}
    assert len(cases) >= 40
    executed = {case for (case, _), v in r.items() if v["verdict"] == "PASS"}
    assert len(executed) >= 25
    for family in ["loader", "skew", "env", "device", "shape", "dtype", "autodiff", "precision", "memory",
                   "kernel_image", "rnn"]:
        assert any(c.startswith(family + ".") for c in cases), family
    for v in r.values():
        if v["verdict"] == "UNSUPPORTED":
            assert v.get("reason"), v["case"]
            assert v["expected"]["text"], v["case"]  # What it would expect here is still shown.


def test_ctest_conformance_label_agrees_with_run(tmp_path):
    proc = run(CLI, tmp_path, "-j", "2")
    by_case = {}
    for (case, _), v in results(tmp_path).items():
        by_case[case] = by_case.get(case, True) and v["verdict"] in ("PASS", "UNSUPPORTED", "WAIVED")
    # Its own results folder: the ctest running this test may run the same conformance tests at this moment.
    ctest = subprocess.run(["ctest", "--test-dir", BUILD, "-L", "conformance", "-j", "2", "--output-junit",
                            str(tmp_path / "ctest.xml")], capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, CUCONFORM_CTEST_RESULTS=str(tmp_path / "ctest-results")))
    import xml.etree.ElementTree as ET
    ctest_ok, ctest_skipped = {}, set()
    for tc in ET.parse(tmp_path / "ctest.xml").getroot().iter("testcase"):
        name = tc.get("name")
        if name.startswith("conformance."):
            ctest_ok[name[len("conformance."):]] = tc.get("status") != "fail" and tc.find("failure") is None
            if tc.get("status") == "disabled" or tc.find("skipped") is not None:
                ctest_skipped.add(name[len("conformance."):])
    assert proc.returncode == 0
    assert ctest_ok == by_case, ctest.stdout[-2000:]
    # CTest's skip protocol: a case whose every run is UNSUPPORTED is a skipped test, not a pass.
    all_unsupported = {case for case in by_case
                       if all(v["verdict"] == "UNSUPPORTED" for (c, _), v in results(tmp_path).items() if c == case)}
    assert all_unsupported, "this machine has cases that cannot run (no GPU)"
    assert ctest_skipped == all_unsupported, (sorted(ctest_skipped ^ all_unsupported), ctest.stdout[-2000:])


def write(path, text):
    path.write_text(text)
    return str(path)


def test_scoped_waiver_turns_a_covered_failure_into_waived(tmp_path):
    waivers = write(tmp_path / "waivers.yaml", """waivers:
  - case: "fixture.wrong.*"
    when: "cudnn.loaded >= 9.0"
    bug: https://bugs.example.org/cuconform/1
    reason: known wrong expectation
""")
    proc = run(FIXTURES, tmp_path / "out", "--only", "fixture.wrong.*", "--waivers", waivers)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    r = results(tmp_path / "out")[("fixture.wrong.expectation", "default")]
    assert r["verdict"] == "WAIVED"
    assert "https://bugs.example.org/cuconform/1" in r["reason"] and "waivers.yaml:2" in r["reason"]
    junit = glob.glob(str(tmp_path / "out" / "*" / "junit.xml"))
    assert junit, "run writes junit.xml beside the results"


def test_waiver_out_of_scope_leaves_the_failure(tmp_path):
    waivers = write(tmp_path / "waivers.yaml", """waivers:
  - case: "fixture.wrong.*"
    when: "cudnn.loaded < 9.0"
    bug: https://bugs.example.org/cuconform/1
    reason: only for cuDNN 8
  - case: "fixture.crash.*"
    bug: https://bugs.example.org/cuconform/2
    reason: covers FAIL only, not CRASH
""")
    proc = run(FIXTURES, tmp_path / "out", "--only", "fixture.wrong.*", "--only", "fixture.crash.*",
               "--waivers", waivers)
    assert proc.returncode == 1
    r = results(tmp_path / "out")
    assert r[("fixture.wrong.expectation", "default")]["verdict"] == "FAIL"
    assert r[("fixture.crash.segfault", "default")]["verdict"] == "CRASH"


def test_malformed_waiver_names_file_and_line(tmp_path):
    waivers = write(tmp_path / "waivers.yaml", """waivers:
  - case: "fixture.*"
    bug: http://not-https.example.org/1
    reason: x
""")
    proc = run(FIXTURES, tmp_path / "out", "--only", "fixture.wrong.*", "--waivers", waivers)
    assert proc.returncode == 2
    assert "waivers.yaml:3" in proc.stderr and "https" in proc.stderr


def fixture_processes(out):
    """Live processes of the fixtures binary's run into `out` (its case processes and anything they left behind: all
    forks of the runner, so they carry its command line). Runs of other checkouts on the same machine do not count."""
    listed = subprocess.run(["pgrep", "-af", os.path.basename(FIXTURES) + " run "], capture_output=True,
                            text=True).stdout
    own = str(os.getpid())
    return [line.split()[0] for line in listed.splitlines()
            if line.split()[0] != own and f" {out} " in f" {line} "]


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_no_combination_outlasts_its_timeouts_or_leaves_processes(tmp_path, jobs):
    """A crash, an abort, hangs with children, a detaching grandchild and quick cases at once: the run ends within
    its timeouts plus a second, every verdict is right, and no case process or descendant is left alive."""
    timeout = 2 * SCALE
    cases = ["fixture.crash.segfault", "fixture.crash.abort", "fixture.hang.sleep", "fixture.hang.with_children",
             "fixture.detach.grandchild", "fixture.wrong.expectation", "fixture.slow.case_01", "fixture.slow.case_02"]
    args = [a for c in cases for a in ("--only", c)]
    start = time.monotonic()
    proc = run(FIXTURES, tmp_path, *args, "--timeout", str(timeout), "-j", str(jobs))
    elapsed = time.monotonic() - start
    hangs = 2
    budget = timeout * -(-hangs // jobs) + (1.0 + 2.0) * SCALE  # the hangs' timeouts in waves, a second, start-up
    assert elapsed <= budget, f"{elapsed:.1f} s > {budget:.1f} s with -j {jobs}: {proc.stderr}"
    r = results(tmp_path)
    assert r[("fixture.detach.grandchild", "default")]["verdict"] == "PASS"
    assert r[("fixture.detach.grandchild", "default")]["duration_ms"] < 1000 * timeout
    assert r[("fixture.crash.abort", "default")]["verdict"] == "CRASH"
    assert r[("fixture.crash.abort", "default")]["observed"]["signal"] == signal.SIGABRT
    assert r[("fixture.hang.with_children", "default")]["verdict"] == "TIMEOUT"
    time.sleep(0.3)
    assert fixture_processes(tmp_path) == [], "left alive: " + ", ".join(fixture_processes(tmp_path))


@pytest.mark.parametrize("subreaper", [True, False], ids=["no-namespaces", "no-namespaces-no-subreaper"])
def test_where_namespaces_and_the_subreaper_are_refused_a_run_says_so_and_leaves_nothing(tmp_path, subreaper):
    """In a container whose seccomp profile refuses PID and user namespaces (and, stricter, PR_SET_CHILD_SUBREAPER),
    the run still ends within its timeouts, records the same verdicts and leaves no case process or detached
    grandchild alive; it says once, on one line, what it falls back to and what it can no longer promise."""
    timeout = 2 * SCALE
    cases = ["fixture.crash.segfault", "fixture.crash.abort", "fixture.hang.sleep", "fixture.hang.with_children",
             "fixture.detach.grandchild", "fixture.wrong.expectation"]
    args = [a for c in cases for a in ("--only", c)]
    start = time.monotonic()
    proc = run_refusing([FIXTURES, "run", "--out", tmp_path, "--quiet", *args, "--timeout", timeout, "-j", 2],
                        subreaper=not subreaper)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert elapsed <= timeout + (1.0 + 2.0) * SCALE, f"{elapsed:.1f} s: {proc.stderr}"
    r = results(tmp_path)
    assert r[("fixture.detach.grandchild", "default")]["verdict"] == "PASS"
    assert r[("fixture.hang.with_children", "default")]["verdict"] == "TIMEOUT"
    assert r[("fixture.crash.abort", "default")]["verdict"] == "CRASH"
    time.sleep(0.3)
    assert fixture_processes(tmp_path) == [], "left alive: " + ", ".join(fixture_processes(tmp_path))
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("cuconform: warning:")]
    assert len(warnings) == 1, proc.stderr
    assert "no PID namespace" in warnings[0] and "Operation not permitted" in warnings[0], warnings[0]
    assert "kill -9" in warnings[0] and "fix:" in warnings[0], warnings[0]
    if not subreaper:
        assert "PR_SET_CHILD_SUBREAPER" in warnings[0], warnings[0]


def test_kill_minus_nine_of_the_runner_leaves_no_case_process(tmp_path):
    proc = subprocess.Popen([FIXTURES, "run", "--out", str(tmp_path), "--quiet", "--only", "fixture.hang.with_children",
                             "--only", "fixture.hang.sleep", "--timeout", "60", "-j", "2"])
    deadline = time.monotonic() + 1.5 * SCALE
    while len(fixture_processes(tmp_path)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    assert len(fixture_processes(tmp_path)) >= 3, "the cases and their children should be running"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 3 * SCALE
    while fixture_processes(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fixture_processes(tmp_path) == [], "left alive after kill -9: " + ", ".join(fixture_processes(tmp_path))


def test_a_piped_run_ends_with_its_tally_and_keeps_its_lines_out_of_the_cases_output(tmp_path):
    """In a CI log (stdout a pipe): one line per result, then the tally; -q prints the tally alone; and no line the
    runner printed ends up in a case's output_tail (stdio is flushed before every fork)."""
    loud = subprocess.run([FIXTURES, "run", "--out", str(tmp_path / "loud"), "--only", "fixture.wrong.*", "--only",
                           "fixture.crash.segfault", "--only", "loader.*", "-j", "2"], capture_output=True, text=True,
                          timeout=120)
    lines = loud.stdout.strip().splitlines()
    assert lines[-1].startswith("cuconform run: ") and "failed" in lines[-1] and "does not conform" in lines[-1], lines
    assert any(l.startswith("FAIL fixture.wrong.expectation") for l in lines), lines
    # A case that could not run says why on its line, as a failure says what it got.
    unsupported = [l for l in lines if l.startswith("UNSUPPORTED ")]
    assert unsupported and all(re.search(r" \(\d+ ms\): \S", l) for l in unsupported), unsupported
    for record in results(tmp_path / "loud").values():
        tail = record.get("output_tail", "")
        assert "cuconform" not in tail and "PASS " not in tail and "FAIL " not in tail, (record["case"], tail)
    quiet = subprocess.run([FIXTURES, "run", "--out", str(tmp_path / "quiet"), "--only", "fixture.wrong.*", "-q"],
                           capture_output=True, text=True, timeout=120)
    assert quiet.stdout.strip().splitlines() == [line for line in quiet.stdout.strip().splitlines()
                                                 if line.startswith("cuconform run: ")]
    assert quiet.stdout.count("\n") == 1 and "0 passed, 1 failed" in quiet.stdout, quiet.stdout


def test_a_second_run_into_a_held_cell_folder_names_the_holder_and_exits_2(tmp_path):
    """Two runs into one cell folder mixed their records (issue #13.7): the second now refuses, naming the first."""
    first = subprocess.Popen([FIXTURES, "run", "--out", str(tmp_path), "--quiet", "--cell", "c", "--only",
                              "fixture.hang.sleep", "--timeout", "30"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "c" / ".lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        second = run(FIXTURES, tmp_path, "--cell", "c", "--only", "fixture.wrong.*")
        assert second.returncode == 2, second.stdout + second.stderr
        assert f"pid {first.pid} (" in second.stderr and "is in use by another cuconform process" in second.stderr, \
            second.stderr
    finally:
        first.kill()
        first.wait()
    # SIGKILL releases the lock: the next run goes ahead.
    assert run(FIXTURES, tmp_path, "--cell", "c", "--only", "fixture.wrong.*").returncode == 1


@pytest.mark.parametrize("cell", ["..", "../escaped", "ABSOLUTE", ".work", "a/b"])
def test_a_cell_id_that_is_no_folder_name_is_refused_before_anything_is_written(tmp_path, cell):
    """Issue #13.6: `--cell ../x` or an absolute path wrote the cell outside --out."""
    cell = str(tmp_path / "escaped") if cell == "ABSOLUTE" else cell
    proc = run(FIXTURES, tmp_path / "out", "--cell", cell, "--only", "fixture.wrong.*")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--cell" in proc.stderr and cell in proc.stderr, proc.stderr
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "out").exists()


def test_a_full_disk_is_a_harness_error_never_a_verdict_about_the_stack(tmp_path):
    """Issue #13.3: on a full disk the shadow copy of libcudnn.so.9 was cut short and the cases that loaded it were
    recorded as FAIL (or CRASH), which a later --resume kept. The run must stop with exit 2, naming the path and the
    real errno, and record no failure."""
    disk, proc = run_on_a_full_disk(tmp_path, "16k", [FIXTURES, "run", "--out", tmp_path / "full" / "o", "--quiet",
                                                       "--only", "loader.*"], 'cat "$0"/o/*/results.jsonl 2>/dev/null')
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "No space left on device" in proc.stderr and str(disk) in proc.stderr, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    failed = [(r["case"], r["variant"], r["verdict"]) for r in records if r["verdict"] not in ("PASS", "UNSUPPORTED")]
    assert failed == [], failed


def test_a_bad_waivers_file_leaves_the_cells_results_as_they_were(tmp_path):
    """Issue #13.9: a bad --waivers file deleted the cell's results.jsonl before it was read."""
    assert run(FIXTURES, tmp_path / "out", "--cell", "c", "--only", "fixture.wrong.*").returncode == 1
    before = (tmp_path / "out" / "c" / "results.jsonl").read_text()
    waivers = write(tmp_path / "waivers.yaml", "waivers:\n  - case: \"fixture.*\"\n    verdicts: []\n")
    proc = run(FIXTURES, tmp_path / "out", "--cell", "c", "--only", "fixture.wrong.*", "--waivers", waivers)
    assert proc.returncode == 2 and "waivers.yaml:" in proc.stderr, proc.stdout + proc.stderr
    assert (tmp_path / "out" / "c" / "results.jsonl").read_text() == before


def test_resume_of_a_finished_cell_with_failures_does_not_conform(tmp_path):
    """Issue #13.8: `run --resume` exited 0 when the cell it resumed already held every result, failures included."""
    assert run(FIXTURES, tmp_path, "--cell", "c", "--only", "fixture.wrong.*").returncode == 1
    proc = run(FIXTURES, tmp_path, "--cell", "c", "--only", "fixture.wrong.*", "--resume")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed" in proc.stdout and "does not conform" in proc.stdout, proc.stdout


def test_resume_into_a_read_only_results_file_names_the_path_and_errno(tmp_path):
    """A results.jsonl that this user may not write: --resume stops before running anything, exit 2, naming the path
    and the errno, and the file is as it was (a guard: so since #13)."""
    assert run(FIXTURES, tmp_path, "--cell", "c", "--only", "fixture.wrong.*").returncode == 1
    results_file = tmp_path / "c" / "results.jsonl"
    before = results_file.read_text()
    results_file.chmod(0o444)
    # root writes any file: run as its owner without privileges (a user namespace mapping us to nobody).
    wrap = ["unshare", "-U", "--map-user=65534", "--map-group=65534"] if os.geteuid() == 0 else []
    if wrap and subprocess.run([*wrap, "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -U is refused here: as root no file is read-only without it")
    proc = subprocess.run([*wrap, FIXTURES, "run", "--out", tmp_path, "--quiet", "--cell", "c", "--only",
                           "fixture.wrong.*", "--only", "fixture.crash.segfault", "--resume"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{results_file}: Permission denied" in proc.stderr, proc.stderr
    assert results_file.read_text() == before
