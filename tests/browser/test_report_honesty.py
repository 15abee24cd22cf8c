# SPDX-License-Identifier: Apache-2.0
"""What the report claims, checked in headless Chromium: how much ran and why the rest did not, the driver on every
cell, pass rates, rules numbered from 1, no figure nobody measured, an honest empty view, filters in the address,
and verdict colours that stay apart under deuteranopia."""
import json
import os
import pathlib
import re
import subprocess

import pytest
from selenium.webdriver.common.by import By

from test_report import DATA, OUT, load, make_driver

CLI = os.environ.get("CUCONFORM_BIN")


def cli(*args):
    if not CLI:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest")
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    d = make_driver(tmp_path_factory.mktemp("chromium"))
    yield d
    d.quit()


@pytest.fixture(scope="module")
def host_report():
    """A real run of a slice of the catalogue on this machine (no GPU here: GPU cases cannot run), with the doctor."""
    out = OUT / "honesty"
    results = out / "results"
    run = cli("run", "--only", "shape.*", "--only", "precision.*", "--only", "memory.*", "--out", str(results), "-q")
    assert run.returncode == 0, run.stdout + run.stderr
    doctor = out / "doctor.json"
    doctor.write_text(cli("doctor", "--json").stdout)
    proc = cli("report", str(results), "-o", str(out / "report"), "--doctor", str(doctor))
    assert proc.returncode == 0, proc.stderr
    cells = [p for p in results.iterdir() if p.is_dir()]
    fingerprint = json.loads((cells[0] / "fingerprint.json").read_text())
    records = [json.loads(l) for l in (cells[0] / "results.jsonl").read_text().splitlines()]
    return (out / "report" / "index.html").resolve(), fingerprint, records


def test_the_verdict_says_how_much_ran_and_why_the_rest_did_not(driver, host_report):
    page, fingerprint, records = host_report
    load(driver, page.as_uri())
    unsupported = [r for r in records if r["verdict"] == "UNSUPPORTED"]
    assert unsupported, "this machine has no GPU: some cases cannot run"
    ran = driver.find_element(By.ID, "ran").text
    assert f"{len(records) - len(unsupported)} of {len(records)} results ran here" in ran, ran
    assert f"{len(unsupported)} could not run (UNSUPPORTED)" in ran, ran
    reasons = driver.find_element(By.ID, "unsupported-reasons").text
    gpu_reason = max({r["reason"] for r in unsupported}, key=lambda x: sum(r["reason"] == x for r in unsupported))
    count = sum(r["reason"] == gpu_reason for r in unsupported)
    assert f"{count} \u00d7 {gpu_reason}" in reasons, reasons
    doctor = driver.find_element(By.ID, "doctor").text
    if fingerprint["driver"]["present"] is False:
        assert "driver.missing" in doctor, doctor
    # Not PASS: one group per reason, not one line per unsupported result.
    groups = driver.find_elements(By.CSS_SELECTOR, "#details details.reason")
    assert len(groups) == len({r["reason"] for r in unsupported})


def test_the_driver_is_on_every_cell_and_each_cell_has_a_pass_rate(driver, host_report):
    page, fingerprint, records = host_report
    load(driver, page.as_uri())
    driver_text = fingerprint["driver"]["version"] or "none"
    summary = driver.find_element(By.ID, "summary").text
    assert f"driver {driver_text}" in summary, summary
    ran = sum(r["verdict"] != "UNSUPPORTED" for r in records)
    failed = sum(r["verdict"] not in ("PASS", "UNSUPPORTED", "WAIVED") for r in records)
    assert f"{round(100 * (ran - failed) / ran)} %" in summary, summary
    grid_head = driver.find_element(By.CSS_SELECTOR, "#gridtable thead").text
    assert f"driver {driver_text}" in grid_head, grid_head


def test_rules_count_from_one_and_unmeasured_durations_are_not_invented(driver, host_report):
    page, _, records = host_report
    load(driver, page.as_uri())
    passing = next(r for r in records if r["verdict"] == "PASS")
    unsupported = next(r for r in records if r["verdict"] == "UNSUPPORTED")
    for record in (passing, unsupported):
        driver.get(page.as_uri() + f"#case={record['case']}&variant={record['variant']}")
        driver.refresh()
        panel = driver.find_element(By.ID, "panel")
        text = panel.text
        assert f"rule {record['rule']['index'] + 1}: {record['rule']['text']}" in text, text
        assert "\u00b1" not in text
        if record is unsupported:
            assert "not measured" in text, text
    explain = cli("explain", passing["case"]).stdout
    assert f"decided by rule {passing['rule']['index'] + 1}:" in explain


def test_only_failures_without_failures_says_so_and_filters_live_in_the_address(driver, host_report):
    page, _, _ = host_report
    load(driver, page.as_uri())
    driver.find_element(By.ID, "f-failing").click()
    empty = driver.find_element(By.ID, "f-empty")
    assert empty.is_displayed() and "No failures" in empty.text, empty.text
    assert not driver.find_element(By.ID, "gridtable").is_displayed()
    address = driver.current_url
    assert "#view&" in address and "verdicts=" in address, address
    # The address alone brings the same view back.
    driver.get("about:blank")
    driver.get(address)
    assert driver.find_element(By.ID, "f-empty").is_displayed()
    checked = [b.get_attribute("value") for b in driver.find_elements(By.CSS_SELECTOR, "#f-verdicts input")
               if b.is_selected()]
    assert "0" not in checked  # PASS is off in the shared view


def srgb_to_linear(c):
    c /= 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def linear_to_srgb(c):
    c = min(max(c, 0.0), 1.0)
    return 255 * (12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055)


# Machado, Oliveira and Fernandes (2009), deuteranomaly at severity 1.0.
DEUTAN = [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]


def lab(rgb):
    r, g, b = (srgb_to_linear(c) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = lambda t: t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a, b):
    return sum((p - q) ** 2 for p, q in zip(lab(a), lab(b))) ** 0.5


def deutan(rgb):
    lin = [srgb_to_linear(c) for c in rgb]
    return [linear_to_srgb(sum(DEUTAN[i][j] * lin[j] for j in range(3))) for i in range(3)]


def test_verdict_backgrounds_stay_apart_for_deuteranopes(driver, host_report):
    page, _, _ = host_report
    load(driver, page.as_uri())
    colours = {}
    for letter in "PFUWKCT":
        css = driver.execute_script(
            "var e = document.createElement('span'); e.className = 'v' + arguments[0]; document.body.appendChild(e);"
            "var c = getComputedStyle(e).backgroundColor; e.remove(); return c;", letter)
        colours[letter] = [int(v) for v in re.findall(r"\d+", css)[:3]]
    for a in colours:
        for b in colours:
            if a < b:
                assert delta_e(colours[a], colours[b]) >= 10, (a, b, colours[a], colours[b])
                assert delta_e(deutan(colours[a]), deutan(colours[b])) >= 10, ("deuteranopia", a, b)
