#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""same_verdicts.py CELL_A CELL_B: whether two cells (folders with results.jsonl) gave every (case, variant) the same
verdict, e.g. a stack run in a container image and the same stack run as a wheels cell under bubblewrap. Prints the
counts and each difference with both observations; exit 0 the same, 1 different, 2 a cell cannot be read."""
import json
import os
import sys


def verdicts(cell):
    path = os.path.join(cell, "results.jsonl")
    out, number = {}, 0
    try:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    r = json.loads(line)
                    out[(r["case"], r["variant"])] = r
    except (OSError, ValueError, KeyError) as e:
        print(f"same_verdicts: cannot read {path} (line {number}): {e}", file=sys.stderr)
        sys.exit(2)
    if not out:
        print(f"same_verdicts: {path} holds no results; run the cell first", file=sys.stderr)
        sys.exit(2)
    return out


def main(a, b):
    left, right = verdicts(a), verdicts(b)
    differ = []
    for key in sorted(set(left) | set(right)):
        va = left[key]["verdict"] if key in left else "(absent)"
        vb = right[key]["verdict"] if key in right else "(absent)"
        if va != vb:
            differ.append((key, va, vb))
    tally = {}
    for r in left.values():
        tally[r["verdict"]] = tally.get(r["verdict"], 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in sorted(tally.items()))
    name_a, name_b = os.path.basename(os.path.normpath(a)), os.path.basename(os.path.normpath(b))
    if not differ:
        print(f"same verdicts: {name_a} and {name_b}, {len(left)} results each ({summary})")
        return 0
    print(f"different verdicts: {len(differ)} of {len(set(left) | set(right))} results ({name_a} vs {name_b})")
    for (case, variant), va, vb in differ:
        print(f"  {case} [{variant}]: {name_a} {va}, {name_b} {vb}")
        for name, side in ((name_a, left), (name_b, right)):
            r = side.get((case, variant))
            if r:
                print(f"    {name}: {r.get('observed', {}).get('text', '')} {r.get('observed', {}).get('message', '')}"[:300])
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: same_verdicts.py CELL_A CELL_B (folders holding results.jsonl)", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
