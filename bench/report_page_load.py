#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Time to a usable HTML report in headless Chromium (10^6 results by default).

Usable = navigationStart -> the report script has set `data-ready` on <html> (handlers wired, grid drawn)
and the frame after it has been produced (rAF, then a task: the grid is on screen). Measured by a script
injected before the page's own (CDP Page.addScriptToEvaluateOnNewDocument), so the page needs no hooks and
old and new reports are measured alike. Also printed: DOMContentLoaded, load, first contentful paint and
`busy`, the end of the last long task (> 50 ms) seen within 3 s after usable (0 when none): deferred work that
would still make the page janky. Each run uses a fresh browser (no cache). Prints the median of --runs.

  bench/report_page_load.py                       # generates build/bench-report-1M/index.html first
  bench/report_page_load.py --report /tmp/big/index.html --runs 5
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = pathlib.Path(__file__).resolve().parents[1]

PROBE = r"""
(function () {
  var t = window.__cuconformTiming = { ready: -1, painted: -1, longtasks: [] };
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) { t.longtasks.push([e.startTime, e.startTime + e.duration]); });
    }).observe({ type: 'longtask' });
  } catch (e) {}
  function check() {
    if (t.ready >= 0 || document.documentElement.getAttribute('data-ready') !== '1') return;
    t.ready = performance.now();
    requestAnimationFrame(function () { setTimeout(function () { t.painted = performance.now(); }, 0); });
  }
  new MutationObserver(check).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });
})();
"""


def make_driver(width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.page_load_strategy = "none"  # driver.get returns at once; we poll
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def measure(url, width, height, timeout):
    driver = make_driver(width, height)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        driver.get(url)
        deadline = time.monotonic() + timeout
        timing = None
        while time.monotonic() < deadline:
            timing = driver.execute_script("var t = window.__cuconformTiming; return t && t.painted >= 0 ? t : null;")
            if timing:
                break
            time.sleep(0.05)
        if not timing:
            raise RuntimeError(f"the page did not become ready within {timeout} s")
        time.sleep(3)  # let deferred work run, so that long tasks after ready are seen
        timing = driver.execute_script("return window.__cuconformTiming;")
        nav = driver.execute_script("var n = performance.getEntriesByType('navigation')[0];"
                                    "return [n.domContentLoadedEventEnd, n.loadEventEnd];")
        fcp = driver.execute_script("var p = performance.getEntriesByName('first-contentful-paint');"
                                    "return p.length ? p[0].startTime : -1;")
        late = [end for start, end in timing["longtasks"] if end > timing["ready"]]
        return {"usable_ms": timing["painted"], "ready_ms": timing["ready"], "dcl_ms": nav[0], "load_ms": nav[1],
                "fcp_ms": fcp, "busy_ms": max(late) if late else 0.0, "nodes": driver.execute_script(
                    "return document.getElementsByTagName('*').length;")}
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=pathlib.Path, help="index.html to open (default: generate one)")
    parser.add_argument("--bin", type=pathlib.Path, default=ROOT / "build" / "bin" / "cuconform")
    parser.add_argument("--synthetic", default="500x2000:7", help="CASESxCELLS[:SEED] when generating")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="1500x1000", help="window WIDTHxHEIGHT")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    report = args.report
    if report is None:
        out = ROOT / "build" / "bench-report-1M"
        proc = subprocess.run([str(args.bin), "report", "--synthetic", args.synthetic, "-o", str(out)],
                              capture_output=True, text=True)
        report = out / "index.html"
        if not report.exists():
            sys.exit(f"cuconform report failed ({proc.returncode}): {proc.stderr}")
    width, height = (int(v) for v in args.size.split("x"))
    runs = []
    for i in range(args.runs):
        runs.append(measure(report.resolve().as_uri(), width, height, args.timeout))
        if not args.json:
            print(f"run {i + 1}: " + "  ".join(f"{k}={v:.0f}" for k, v in runs[-1].items()), flush=True)
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    size_mb = report.stat().st_size / 1e6
    if args.json:
        print(json.dumps({"report": str(report), "size_MB": size_mb, "runs": runs, "median": median}))
    else:
        print(f"{report} ({size_mb:.1f} MB), median of {len(runs)}: usable {median['usable_ms']:.0f} ms "
              f"(ready {median['ready_ms']:.0f}, DOMContentLoaded {median['dcl_ms']:.0f}, "
              f"load {median['load_ms']:.0f}, FCP {median['fcp_ms']:.0f}, busy until {median['busy_ms']:.0f}, "
              f"{median['nodes']:.0f} elements)")


if __name__ == "__main__":
    main()
