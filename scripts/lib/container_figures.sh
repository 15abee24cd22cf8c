#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/lib/container_figures.sh [N]: the container figures of containers/README.md, measured here (podman): the
# rebuild of a cell's image with nothing changed (scripts/containers image, context copy included), and one cell's
# catalogue run in its image (podman run) against the same stack under bubblewrap (run --stack --isolation bwrap),
# for 3 cases (loader.cudnn.*) and for the whole catalogue, each N times (default 5), the two runs interleaved so that
# the machine's load falls on both alike. Prints each time, then the median, the range and the median of the paired
# differences. The image must exist already (one warm-up build first, not counted); CUCONFORM_BIN is the host's CLI.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
n=${1:-5}
cli=${CUCONFORM_BIN:-$root/build/bin/cuconform}
export CUCONFORM_BIN=$cli CONTAINERS_CONF="${CUCONFORM_CONTAINERS_CONF:-$root/containers/podman/containers.conf}"
toolkit="cuda=13.0 cudnn=9.19" stack="cuda=13.0 cudnn=9.19"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086
prefix=$("$cli" stack fetch $stack --print-prefix 2>/dev/null)
seconds() {  # seconds COMMAND...: the wall time of COMMAND (its output dropped; a failure stops the measurement)
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>>"$work/stderr.log" || { echo "failed: $* (see below)" >&2; tail -5 "$work/stderr.log" >&2; exit 2; }
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
"$root/scripts/containers" image --toolkit "$toolkit" --stack "$stack" >"$work/image" 2>>"$work/stderr.log"
image=$(cut -d' ' -f1 "$work/image")
echo "image $image; load $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
{
for i in $(seq "$n"); do
    echo "rebuild $(seconds "$root/scripts/containers" image --toolkit "$toolkit" --stack "$stack")"
done
for only in 'loader.cudnn.*' ''; do
    label=${only:-catalogue}
    filter=()
    [ -n "$only" ] && filter=(--only "$only")
    for i in $(seq "$n"); do
        rm -rf "$work/r" && mkdir -p "$work/r"
        echo "$label podman $(seconds podman run --rm --network none -v "$work/r:/results" "$image" run --out /results \
            --cell c --quiet "${filter[@]}")"
        echo "$label bwrap $(seconds "$cli" run --stack "$prefix" --isolation bwrap --out "$work/r" --cell b --quiet \
            "${filter[@]}")"
    done
done
} | tee "$work/times"
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/times" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    *key, value = line.split()
    rows.setdefault(" ".join(key), []).append(float(value))
for key, values in rows.items():
    print(f"{key}: median {statistics.median(values):.2f} s of {len(values)} ({min(values):.2f} to {max(values):.2f})")
for label in ("loader.cudnn.*", "catalogue"):
    pairs = zip(rows.get(f"{label} podman", []), rows.get(f"{label} bwrap", []))
    diffs = [a - b for a, b in pairs]
    if diffs:
        print(f"{label}: podman minus bwrap, median of {len(diffs)} pairs {statistics.median(diffs):+.2f} s "
              f"({min(diffs):+.2f} to {max(diffs):+.2f})")
PY
