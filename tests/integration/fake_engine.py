#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for the docker/podman CLI where no container engine runs (this machine): it logs every command line
to $FAKE_ENGINE_LOG (one JSON array per line) and, for `run`, starts the image's entrypoint (`cuconform`) as
$CUCONFORM_BIN on the host, with the `-v HOST:/results` mount mapped back to HOST. It checks what cuconform asks of
an engine (build arguments, GPU flags, mounts, the command inside) and lets the results flow back; it is not a
container. Installed on PATH as `docker` or `podman` by tests/integration/test_container.py."""
import json
import os
import subprocess
import sys

# Options of `run` that take a value (the image is the first argument that is neither an option nor a value).
VALUED = {"-v", "--volume", "--device", "--security-opt", "--gpus", "-e", "--env", "--name", "-w", "--workdir", "-u",
          "--user"}


def main(argv):
    with open(os.environ["FAKE_ENGINE_LOG"], "a") as log:
        log.write(json.dumps([os.path.basename(sys.argv[0])] + argv) + "\n")
    if not argv:
        return 125
    if argv[0] == "info":
        return int(os.environ.get("FAKE_ENGINE_INFO_EXIT", "0"))
    if argv[0] == "build":
        return int(os.environ.get("FAKE_ENGINE_BUILD_EXIT", "0"))
    if argv[0] != "run":
        return 125
    mounts, i = {}, 1
    while i < len(argv):
        arg = argv[i]
        if arg in VALUED:
            if arg in ("-v", "--volume"):
                host, _, inside = argv[i + 1].partition(":")
                mounts[inside.split(":")[0]] = host
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            break
    command = argv[i + 1:]  # after the image: the entrypoint's arguments
    for inside, host in mounts.items():
        command = [host + a[len(inside):] if a == inside or a.startswith(inside + "/") else a for a in command]
    return subprocess.run([os.environ["CUCONFORM_BIN"], *command]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
