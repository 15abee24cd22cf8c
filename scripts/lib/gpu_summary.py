# SPDX-License-Identifier: Apache-2.0
"""The short summary of a GPU run (scripts/gpu-run): the machine, each cell's tally, every GPU case expected vs
observed, what did not pass, the doctor's findings and where the time went. Reads only what the run wrote into its
evidence folder (results/<cell>/{fingerprint.json,results.jsonl}, catalogue.json, doctor*.json, timings.tsv)."""

import argparse
import datetime
import json
import pathlib
import sys


def load_json(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def load_results(path):
    """The results of one cell; a torn last line (a killed run) is left out, as cuconform itself does."""
    results = []
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return results
    for line in lines:
        try:
            results.append(json.loads(line))
        except ValueError:
            continue
    latest = {}
    for r in results:  # a later record of the same case x variant supersedes an earlier one (--resume, retries)
        latest[(r.get("case"), r.get("variant"))] = r
    return list(latest.values())


def library(fp, key):
    part = (fp or {}).get(key) or {}
    lib = part.get("library") or {}
    version = part.get("loaded") or part.get("version")
    if not lib.get("found"):
        return "not found" + (f" ({lib['error']})" if lib.get("error") else "")
    where = lib.get("real_path") or lib.get("path") or "?"
    return f"{version or '?'} — `{where}`"


def gpus(fp):
    found = (fp or {}).get("gpus") or []
    if not found:
        err = (fp or {}).get("gpu_error") or {}
        return f"none usable ({err.get('name', 'NO_GPU')}: {err.get('message', 'no device')})"
    return "; ".join(
        f"{g['name']} (compute capability {g['cc']}"
        + (f", {g['memory_bytes'] // (1 << 20)} MiB" if g.get("memory_bytes") else "")
        + ")"
        for g in found
    )


def version_key(text):
    return tuple(int(p) for p in str(text).split(".") if p.isdigit())


def written_down(ev, machine):
    """The expectations committed for this machine's GPU before the run (reports/evidence/gpu-expected/*.json)."""
    names = " ".join(g.get("name", "") for g in (machine or {}).get("gpus") or []).lower()
    folder = pathlib.Path(__file__).resolve().parents[2] / "reports" / "evidence" / "gpu-expected"
    for path in sorted(folder.glob("*.json")):
        doc = load_json(path)
        if doc and names and doc.get("stack", {}).get("gpu", "").lower() in names:
            doc["file"] = str(path.relative_to(folder.parents[2]))
            return doc
    return None


def prediction_for(doc, result, fingerprint):
    """The committed prediction for one result: the column of the newest cuDNN at or below the one the cell loaded."""
    if not doc:
        return None
    case = next((c for c in doc["cases"] if c["id"] == result["case"] and c["variant"] == result.get("variant")), None)
    if case is None:
        return None
    loaded = version_key(((fingerprint or {}).get("cudnn") or {}).get("loaded") or "0")
    columns = sorted(case["by_cudnn"], key=version_key)
    chosen = [v for v in columns if version_key(v) <= loaded] or columns[:1]
    return case["by_cudnn"][chosen[-1]]["expected"]


def label(r):
    return r["case"] + ("" if r.get("variant", "default") == "default" else f" [{r['variant']}]")


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--evidence", required=True, type=pathlib.Path)
    ap.add_argument("--status", type=int, default=0)
    ap.add_argument("--cli-version", default="?")
    args = ap.parse_args()
    ev = args.evidence
    out = []
    verdict = {0: "conforms", 1: "does not conform"}.get(args.status, "could not run everything (see gpu-run.log)")
    machine = load_json(ev / "fingerprint.json")
    if not (machine or {}).get("gpus"):
        verdict += "; no GPU was usable, so no GPU case ran"
    out.append(f"# cuconform GPU run, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: {verdict}")
    out.append("")

    out.append("## The machine (what cuconform's own process loads)")
    out.append("")
    out.append("| | |")
    out.append("|---|---|")
    out.append(f"| GPU | {cell(gpus(machine))} |")
    driver = (machine or {}).get("driver") or {}
    out.append(f"| driver | {cell(driver.get('version') or library(machine, 'driver'))} |")
    for key, name in (("runtime", "CUDA runtime"), ("cudnn", "cuDNN"), ("cublas", "cuBLAS")):
        out.append(f"| {name} | {cell(library(machine, key))} |")
    host = (machine or {}).get("host") or {}
    if host:
        out.append(f"| host | {cell(', '.join(f'{k} {v}' for k, v in sorted(host.items()) if isinstance(v, str)))} |")
    out.append(f"| cuconform | {cell(args.cli_version)} |")
    if machine is None:
        out.append("")
        out.append("`cuconform probe` wrote no fingerprint: see gpu-run.log.")
    out.append("")

    catalogue = {c["id"]: c for c in (load_json(ev / "catalogue.json") or [])}
    cells = sorted(p for p in (ev / "results").glob("*") if (p / "results.jsonl").exists())
    out.append("## Cells")
    out.append("")
    if not cells:
        out.append("No cell recorded a result: the run did not get as far as the catalogue (gpu-run.log says why).")
    else:
        out.append("| cell | GPU | cuDNN | recorded | pass | fail | unsupported | waived | other |")
        out.append("|---|---|---|---|---|---|---|---|---|")
    planned = sum(len(c.get("variants") or [None]) for c in catalogue.values())
    all_results = {}
    for c in cells:
        results = load_results(c / "results.jsonl")
        all_results[c.name] = results
        fp = load_json(c / "fingerprint.json")
        counts = {}
        for r in results:
            counts[r.get("verdict")] = counts.get(r.get("verdict"), 0) + 1
        other = sum(n for v, n in counts.items() if v not in ("PASS", "FAIL", "UNSUPPORTED", "WAIVED"))
        recorded = f"{len(results)} of {planned}" + (" (incomplete)" if len(results) < planned else "")
        out.append(
            f"| {c.name} | {cell(gpus(fp))} | {cell(library(fp, 'cudnn'))} | {recorded} | {counts.get('PASS', 0)} | "
            f"{counts.get('FAIL', 0)} | {counts.get('UNSUPPORTED', 0)} | {counts.get('WAIVED', 0)} | {other} |"
        )
    out.append("")

    out.append("## GPU cases: predicted before the run, expected on the measured stack, observed")
    out.append("")
    predicted = written_down(ev, machine)
    if predicted:
        out.append(f"'predicted' is {predicted['file']} (cuconform predict for {predicted['stack']}), the column for "
                   "the cuDNN at or below the one each cell loaded; 'expected' is the case's rules on the cell's own "
                   "fingerprint.")
    else:
        out.append("No expectations were written down for this GPU (reports/evidence/gpu-expected/); 'expected' is "
                   "the case's rules on the cell's own fingerprint.")
    out.append("")
    gpu_rows = [
        (name, r)
        for name, results in all_results.items()
        for r in sorted(results, key=label)
        if catalogue.get(r["case"], {}).get("needs_gpu")
    ]
    if not gpu_rows:
        out.append("No GPU case was recorded.")
    else:
        out.append("| case | cell | predicted | expected | rule | observed | verdict |")
        out.append("|---|---|---|---|---|---|---|")
        agree = 0
        for name, r in gpu_rows:
            rule = r.get("rule") or {}
            observed = (r.get("observed") or {}).get("text", "?")
            message = (r.get("observed") or {}).get("message") or r.get("reason") or ""
            if message in observed:
                message = ""
            before = prediction_for(predicted, r, load_json(ev / "results" / name / "fingerprint.json"))
            observed_text = (r.get("observed") or {}).get("text", "")
            agree += before is not None and observed_text == before
            out.append(
                f"| {cell(label(r))} | {name} | {cell(before or '-')} | {cell((r.get('expected') or {}).get('text', '?'))} | "
                f"{rule.get('index', 0) + 1}: `{cell(rule.get('text', ''))}` | {cell(observed)}"
                f"{': ' + cell(message[:160]) if message else ''} | {r.get('verdict')} |"
            )
        if predicted:
            out.append("")
            out.append(f"{agree} of {len(gpu_rows)} GPU case runs observed what was predicted before the run.")
    out.append("")

    failures = [(n, r) for n, rs in all_results.items() for r in rs if r.get("verdict") not in ("PASS", "UNSUPPORTED", "WAIVED")]
    out.append(f"## Not PASS ({len(failures)} failing; UNSUPPORTED ones are in the report)")
    out.append("")
    for name, r in failures:
        out.append(
            f"- **{r.get('verdict')}** {label(r)} ({name}): expected {(r.get('expected') or {}).get('text')}, "
            f"observed {(r.get('observed') or {}).get('text')}: {(r.get('observed') or {}).get('message', '')[:300]}"
        )
        out.append(f"  - reproduce: `{r.get('reproduce', '')}`")
    if not failures:
        out.append("None.")
    out.append("")

    out.append("## The doctor's findings")
    out.append("")
    for path, who in (("doctor.json", "the machine"), ("doctor-python.json", "the Python environment")):
        doc = load_json(ev / path)
        if doc is None:
            continue
        findings = doc.get("findings") or []
        out.append(f"- {who}: {len(findings)} finding{'s' if len(findings) != 1 else ''}")
        for f in findings:
            out.append(f"  - {f.get('severity', '?').upper()} `{f.get('id')}`: {f.get('title')}")
    out.append("")

    out.append("## Where the time went")
    out.append("")
    out.append("| step | seconds | exit |")
    out.append("|---|---|---|")
    total = 0.0
    try:
        rows = (ev / "timings.tsv").read_text().splitlines()[1:]
    except OSError:
        rows = []
    for row in rows:
        step, seconds, rc = row.split("\t")
        total += float(seconds)
        out.append(f"| {step} | {seconds} | {rc} |")
    out.append(f"| total | {total:.1f} | |")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
