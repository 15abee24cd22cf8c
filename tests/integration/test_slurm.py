# SPDX-License-Identifier: Apache-2.0
"""Scale-out on a real single-node Slurm: scripts/slurm/submit.sh's job array plus merge equals one `matrix run`.

Installs nothing (scripts/lib/deps.sh lists slurm-wlm and munge). Starts munged, slurmctld and slurmd on loopback
with a throw-away slurm.conf, stops them in a finally block. Skips, with the daemons' own error text, when Slurm
cannot start here. CTest label `slurm`.
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = pathlib.Path(os.environ.get("CUCONFORM_TEST_OUTPUT", "/tmp/cuconform-test-output")) / "slurm"
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel")
MATRIX = """# host cells only: four runner x variant-set combinations of this machine's stack (no runner class named
# gpu: `matrix run` skips those where there is no GPU)
name: slurm-test
tags: [slurm]
matrix:
  runner: [cpu, big]
  variants: [all, default]
"""
ONLY = "loader.*"
SHARDS = 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def daemon_errors(tmp, processes):
    """The daemons' own words: their captured output and the error lines of their log files."""
    text = []
    for name, proc in processes:
        if proc.poll() is not None:
            out = (tmp / f"{name}.out").read_text(errors="replace") if (tmp / f"{name}.out").exists() else ""
            text.append(f"{name} exited {proc.returncode}: {out.strip()[-600:]}")
    for log in ("slurmctld.log", "slurmd.log", "munged.log"):
        path = tmp / log
        if path.exists():
            lines = [l for l in path.read_text(errors="replace").splitlines() if "fatal" in l or "error" in l.lower()]
            lines = [l for l in lines if "pmix" not in l.lower() and "state file" not in l and "NOTE:" not in l]
            if lines:
                text.append(f"{log}: " + " | ".join(lines[-4:]))
    return "; ".join(text) or "no error text from the daemons"


def results_by_key(directory):
    """(cell, case, variant) -> verdict from every <cell>/results.jsonl under `directory`."""
    out = {}
    for path in sorted(pathlib.Path(directory).rglob("results.jsonl")):
        for line in path.read_text().split("\n"):
            if line:
                record = json.loads(line)
                out[(record["cell"], record["case"], record["variant"])] = record["verdict"]
    return out


def test_slurm_job_array_matches_a_single_machine_run():
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    missing = [d for d in DAEMONS if not shutil.which(d)]
    if missing:
        pytest.skip(f"Slurm is not installed ({', '.join(missing)} not on PATH): "
                    "apt-get install slurm-wlm munge, or run ./scripts/test, which installs them")
    if os.geteuid() != 0:
        pytest.skip("the throw-away Slurm runs with SlurmUser=root; run this test as root")

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    # Socket paths must stay short (108 bytes), so the daemons' files live in /tmp.
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="cuconform-slurm-"))
    os.chmod(tmp, 0o755)
    (tmp / "state").mkdir()
    (tmp / "spool").mkdir()
    key = tmp / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = tmp / "slurm.conf"
    conf.write_text(f"""ClusterName=cuconform-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={tmp}/munge.sock
StateSaveLocation={tmp}/state
SlurmdSpoolDir={tmp}/spool
SlurmctldPidFile={tmp}/slurmctld.pid
SlurmdPidFile={tmp}/slurmd.pid
SlurmctldLogFile={tmp}/slurmctld.log
SlurmdLogFile={tmp}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
    env = dict(os.environ, SLURM_CONF=str(conf))
    processes = []

    def start(name, argv):
        out = open(tmp / f"{name}.out", "w")
        processes.append((name, subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)))

    matrix = OUT / "slurm-test.yaml"
    matrix.write_text(MATRIX)
    jobs = []
    try:
        start("munged", ["munged", "-F", "-f", f"--socket={tmp}/munge.sock", f"--key-file={key}",
                         f"--log-file={tmp}/munged.log", f"--pid-file={tmp}/munged.pid", f"--seed-file={tmp}/seed"])
        deadline = time.monotonic() + 15
        while not (tmp / "munge.sock").exists() and time.monotonic() < deadline and processes[0][1].poll() is None:
            time.sleep(0.2)
        if not (tmp / "munge.sock").exists():
            pytest.skip(f"munged did not start here: {daemon_errors(tmp, processes)}")
        start("slurmctld", ["slurmctld", "-D", "-f", str(conf)])
        time.sleep(1)
        start("slurmd", ["slurmd", "-D", "-f", str(conf), "-N", "localhost"])
        deadline = time.monotonic() + 45
        state = ""
        while time.monotonic() < deadline:
            if any(p.poll() is not None for _, p in processes):
                break
            probe = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=env)
            state = probe.stdout.strip()
            if state in ("idle", "mixed", "allocated"):
                break
            time.sleep(1)
        if state not in ("idle", "mixed", "allocated"):
            pytest.skip(f"Slurm did not bring the node up (sinfo says '{state}'): {daemon_errors(tmp, processes)}")

        started = time.monotonic()
        submit = subprocess.run([str(ROOT / "scripts/slurm/submit.sh"), str(matrix), "--shards", str(SHARDS),
                                 "--out", str(OUT / "slurm"), "--only", ONLY, "--cli", binary],
                                capture_output=True, text=True, env=env, timeout=60)
        assert submit.returncode == 0, submit.stdout + submit.stderr
        ids = dict(kv.split("=") for kv in submit.stdout.split("CUCONFORM_SLURM_JOBS", 1)[1].split())
        jobs = [ids["array"], ids["merge"]]
        script = (OUT / "slurm/slurm/shards.sbatch").read_text()
        assert f"#SBATCH --array=0-{SHARDS - 1}" in script and "gres" not in script

        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            queue = subprocess.run(["squeue", "-h", "-j", ",".join(jobs), "-o", "%i %T"], capture_output=True,
                                   text=True, env=env)
            if queue.returncode == 0 and not queue.stdout.strip():
                break
            time.sleep(2)
        else:
            pytest.fail(f"the Slurm jobs did not finish within 420 s: {queue.stdout} {daemon_errors(tmp, processes)}")
        elapsed = time.monotonic() - started
        merge_log = OUT / "slurm/logs/merge.out"
        assert merge_log.exists(), f"the merge job left no log: {daemon_errors(tmp, processes)}"
        assert "merged results" in merge_log.read_text(), merge_log.read_text()
        for i in range(SHARDS):
            assert (OUT / f"slurm/shard-{i}/matrix.json").exists(), (OUT / f"slurm/logs/shard-{i}.out").read_text()
        print(f"Slurm: {SHARDS} shards plus merge in {elapsed:.1f} s")
    finally:
        if jobs:
            subprocess.run(["scancel", *jobs], capture_output=True, env=env)
        for name, proc in reversed(processes):
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    single = subprocess.run([binary, "matrix", "run", str(matrix), "--out", str(OUT / "single"), "--only", ONLY],
                            capture_output=True, text=True, timeout=600)
    assert single.returncode in (0, 1), single.stdout + single.stderr
    expected = results_by_key(OUT / "single")
    merged = results_by_key(OUT / "slurm/merged")
    assert len({cell for cell, _, _ in expected}) == 4
    assert expected, "the single-machine run recorded nothing"
    assert merged == expected
    assert (OUT / "slurm/report/index.html").exists()
