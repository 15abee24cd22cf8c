# SPDX-License-Identifier: Apache-2.0
"""Writes down, before any GPU run, what every case is expected to do on the GPU machine the project is lent: one
NVIDIA H200 (compute capability 9.0), driver 580, CUDA 13.0, the cu13 wheels' cuDNN (reports/evidence/gpu-expected/).

The expectations are `cuconform predict`'s, for the stack given below, once per cuDNN the cu13 wheels may hold (the
machine's Python environment pins one we cannot read from here): the first cuDNN with a CUDA 13 build and the one
this project builds against. scripts/gpu-run's summary puts them beside what the GPU showed; the test
tests/integration/test_gpu_run.py keeps these files equal to what the catalogue predicts today.

    python3 scripts/lib/gpu_expectations.py --cli build/bin/cuconform --out reports/evidence/gpu-expected
"""
import argparse
import json
import pathlib
import subprocess
import sys

MACHINE = "h200"
STACK = {"gpu": "H200", "driver": "580.95.05", "toolkit": "13.0", "runtime": "13.0", "cudnn-cuda": "13",
         "built-cudnn": "9.19.0"}
CUDNN = ["9.13.0", "9.19.0"]  # the first cu13 cuDNN wheel, and the one the CLI is built against (cudnn.md)


def predict(cli, cudnn):
    flags = [f"--{k}={v}" for k, v in STACK.items()] + [f"--cudnn={cudnn}"]
    done = subprocess.run([cli, "predict", *flags, "--json"], capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: some stack question is answered "no"
        sys.exit(f"cuconform predict {' '.join(flags)} failed ({done.returncode}): {done.stderr}")
    return "cuconform predict " + " ".join(flags), json.loads(done.stdout)


def build(cli):
    commands, cases = {}, {}
    for cudnn in CUDNN:
        command, answer = predict(cli, cudnn)
        commands[cudnn] = command
        for c in answer["cases"]:
            entry = cases.setdefault((c["id"], c["variant"]), {"id": c["id"], "variant": c["variant"],
                                                               "needs_gpu": c["needs_gpu"], "by_cudnn": {}})
            entry["by_cudnn"][cudnn] = {"expected": c["expected_text"], "rule": f"{c['rule_index'] + 1}: {c['rule']}"}
    return {"schema": "cuconform.gpu-expected/1", "machine": MACHINE, "stack": STACK, "cudnn": CUDNN,
            "commands": commands, "cases": [cases[k] for k in sorted(cases)]}


def markdown(doc):
    lines = [f"# What each case is expected to do on the {doc['stack']['gpu']} machine, written before any run", "",
             "Made by `python3 scripts/lib/gpu_expectations.py --cli build/bin/cuconform --out "
             "reports/evidence/gpu-expected` from:", ""]
    lines += [f"- `{c}`" for c in doc["commands"].values()]
    lines += ["", "A column per cuDNN the cu13 wheels may hold; `scripts/gpu-run` compares the one at or below the "
              "cuDNN it finds with what the GPU shows.", "",
              "## The GPU cases", "", "| case | " + " | ".join(f"cuDNN {v}" for v in doc["cudnn"]) + " | rule |",
              "|---|" + "---|" * len(doc["cudnn"]) + "---|"]
    for c in doc["cases"]:
        if not c["needs_gpu"]:
            continue
        name = c["id"] + ("" if c["variant"] == "default" else f" [{c['variant']}]")
        cells = [c["by_cudnn"][v]["expected"] for v in doc["cudnn"]]
        rules = sorted({c["by_cudnn"][v]["rule"] for v in doc["cudnn"]})
        lines.append(f"| {name} | " + " | ".join(f"`{x}`" for x in cells) + " | " +
                     "; ".join(f"`{r}`" for r in rules).replace("|", "\\|") + " |")
    rest = [c for c in doc["cases"] if not c["needs_gpu"]]
    differ = [c for c in rest if len({c["by_cudnn"][v]["expected"] for v in doc["cudnn"]}) > 1]
    lines += ["", f"The other {len(rest)} case runs need no GPU (the JSON beside this file has them); "
              f"{len(differ)} of them expect differently across these cuDNN versions: " +
              (", ".join(c["id"] + ("" if c["variant"] == "default" else f" [{c['variant']}]") for c in differ) or "none")
              + "."]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--out", required=True, type=pathlib.Path)
    args = ap.parse_args()
    doc = build(args.cli)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{MACHINE}.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    (args.out / f"{MACHINE}.md").write_text(markdown(doc))
    print(f"wrote {args.out / MACHINE}.json and .md ({sum(c['needs_gpu'] for c in doc['cases'])} GPU case runs)")


if __name__ == "__main__":
    main()
