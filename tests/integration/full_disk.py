# SPDX-License-Identifier: Apache-2.0
"""A full disk without root: a small tmpfs mounted at tmp_path/full inside a user and mount namespace of its own
(`unshare -rm`), a command run with its output there, then a shell line that reports what it left."""
import subprocess

import pytest


def run_on_a_full_disk(tmp_path, size, argv, report):
    """Mounts a `size` tmpfs (e.g. "4k") at tmp_path/full, runs argv, then the shell command `report` (in which "$0"
    is the disk) writing to stdout or stderr; returns (disk, CompletedProcess with argv's exit code). Skips, saying
    why, where user namespaces are refused."""
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -rm is refused here (no user namespaces): cannot make a full disk without root")
    disk = tmp_path / "full"
    disk.mkdir()
    script = f'mount -t tmpfs -o size={size} tmpfs "$0" || exit 99; "$@"; rc=$?; {report}; exit $rc'
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script, str(disk), *map(str, argv)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 99, f"the tmpfs could not be mounted: {proc.stderr}"
    return disk, proc
