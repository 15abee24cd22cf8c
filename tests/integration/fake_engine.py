#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for the docker CLI (and podman's GPU flags), for what cannot run here: docker itself and GPUs. It logs
every command line to $FAKE_ENGINE_LOG (one JSON array per line) and answers as an engine would:
  info                 exit $FAKE_ENGINE_INFO_EXIT (0), or $FAKE_ENGINE_INFO_EXIT_<NAME> for the engine it stands in
                       for (FAKE_ENGINE_INFO_EXIT_DOCKER), with an error line when not 0
  pull IMAGE           the image is now "here"
  image inspect IMAGE  exit 1 for an image neither pulled nor built; the id, "-" (docker's missing digest) and the
                       base_stack label for the identity format; an NVIDIA image's CUDA_VERSION and NV_CUDNN_VERSION
                       for the environment format
  build ... -t TAG CONTEXT
                       exit $FAKE_ENGINE_BUILD_EXIT (0); records the tag, its labels and what the context holds
                       (top-level entries, stack/stack.json) in $FAKE_ENGINE_LOG.builds
  run ... IMAGE ARGS   starts the image's entrypoint (`cuconform`) as $CUCONFORM_BIN on the host, with the
                       `-v HOST:/results` mount mapped back to HOST
It checks what cuconform asks of an engine (build arguments, GPU flags, mounts, the command inside) and lets the
results flow back; it builds nothing and is not a container. Installed on PATH as `docker` or `podman` by
tests/integration/test_container.py."""
import hashlib
import json
import os
import subprocess
import sys

# Options of `run` that take a value (the image is the first argument that is neither an option nor a value).
VALUED = {"-v", "--volume", "--device", "--security-opt", "--gpus", "-e", "--env", "--name", "-w", "--workdir", "-u",
          "--user", "--network"}


def state_path():
    return os.environ["FAKE_ENGINE_LOG"] + ".images"


def images():
    try:
        with open(state_path()) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def remember(tag, labels):
    known = images()
    known[tag] = labels
    with open(state_path(), "w") as f:
        json.dump(known, f)


def build(argv):
    labels, tag, i = {}, None, 0
    while i < len(argv) - 1:
        if argv[i] == "--label":
            key, _, value = argv[i + 1].partition("=")
            labels[key] = value
        if argv[i] == "-t":
            tag = argv[i + 1]
        i += 2 if argv[i] in ("--label", "-t", "-f", "--build-arg", "--network") else 1
    context = argv[-1]
    stack_json = os.path.join(context, "stack", "stack.json")
    with open(os.environ["FAKE_ENGINE_LOG"] + ".builds", "a") as f:
        f.write(json.dumps({"tag": tag, "labels": labels, "context": sorted(os.listdir(context)),
                            "stack": json.load(open(stack_json)) if os.path.exists(stack_json) else None}) + "\n")
    rc = int(os.environ.get("FAKE_ENGINE_BUILD_EXIT", "0"))
    if rc == 0:
        remember(tag, labels)
    else:
        print("Error: building at STEP \"RUN ...\": exit status 1 (the stand-in was told to fail)", file=sys.stderr)
    return rc


def inspect(argv):
    image, fmt = argv[-1], argv[argv.index("--format") + 1] if "--format" in argv else ""
    known = images()
    if image not in known:
        print(f"Error: No such image: {image}", file=sys.stderr)
        return 1
    if "Config.Env" in fmt:
        if "nvidia/cuda:" in image:  # what NVIDIA's images set
            print(f"CUDA_VERSION={image.split(':')[1].split('-')[0]}\nNV_CUDNN_VERSION=9.13.0.50-1")
        return 0
    ident = "sha256:" + hashlib.sha256(image.encode()).hexdigest()
    print(f"{ident} - {known[image].get('org.cuconform.base_stack', '')}" if "base_stack" in fmt else ident)
    return 0


def main(argv):
    with open(os.environ["FAKE_ENGINE_LOG"], "a") as log:
        log.write(json.dumps([os.path.basename(sys.argv[0])] + argv) + "\n")
    if not argv:
        return 125
    if argv[0] == "info":
        name = os.path.basename(sys.argv[0])
        rc = int(os.environ.get(f"FAKE_ENGINE_INFO_EXIT_{name.upper()}", os.environ.get("FAKE_ENGINE_INFO_EXIT", "0")))
        if rc:
            print("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
                  file=sys.stderr)
        return rc
    if argv[0] == "pull":
        remember(argv[-1], {})
        return 0
    if argv[0] == "build":
        return build(argv[1:])
    if argv[:2] == ["image", "inspect"]:
        return inspect(argv[2:])
    if argv[0] != "run":
        return 125
    if "--rootfs" in argv:  # podman's start check (scripts/containers check): a container started
        return 0
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
