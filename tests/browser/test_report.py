# SPDX-License-Identifier: Apache-2.0
"""The HTML report in headless Chromium: grid, filters, drill-down, deep links, XSS safety, JavaScript off."""
import os
import pathlib
import subprocess
import tempfile

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
OUT = pathlib.Path(os.environ.get("CUCONFORM_TEST_OUTPUT", "/tmp/cuconform-test-output")) / "browser"
CELLS = ["cuda12.8-cudnn9.19-t4-container", "cuda13.0-cudnn9.1-nogpu-wheels", "cuda13.0-cudnn9.19-h100-host"]


def fixture_rows():
    """(case, variant) pairs in the fixtures, read independently of the report."""
    import json
    rows = set()
    for f in (DATA / "results").rglob("results.jsonl"):
        for line in f.read_text().split("\n"):  # not splitlines(): messages hold U+2028
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            rows.add((r["case"], r["variant"]))
    return rows


@pytest.fixture(scope="module")
def report():
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest, which points it at build/bin/cuconform")
    out = OUT / "report"
    proc = subprocess.run([binary, "report", str(DATA / "results"), "-o", str(out), "--baseline", str(DATA / "baseline")],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr  # the fixtures do not conform
    return (out / "index.html").resolve()


def make_driver(folder, javascript=True):
    """Headless Chromium through chromedriver, writing nothing outside `folder` (a pytest tmp folder): its TMPDIR
    (the singleton socket folder, chromedriver's scoped dirs), its profile and its crash dumps. By default these went
    to /tmp, and the singleton socket folder stayed there after every run."""
    for path in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.path.exists(path):
            pytest.skip(f"{path} is missing: apt-get install chromium chromium-driver")
    folder = pathlib.Path(folder)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,1000", "--disable-dev-shm-usage",
                f"--user-data-dir={folder / 'profile'}", f"--crash-dumps-dir={folder / 'crashes'}"):
        options.add_argument(arg)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    # Chromium's singleton socket lives at $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket and it stops with
    # "Socket path too long" once TMPDIR passes 62 characters, which a pytest folder does from /tmp/pytest-of-root/
    # pytest-1000 on. So TMPDIR is a short link to `folder`, removed when the driver quits: the files stay in `folder`.
    link = pathlib.Path(tempfile.mkdtemp(prefix="cuconform-chromium-"))
    link.rmdir()
    link.symlink_to(folder, target_is_directory=True)
    service = Service("/usr/bin/chromedriver", env=dict(os.environ, TMPDIR=str(link)))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except BaseException:
        link.unlink()
        raise
    quit_browser = driver.quit

    def quit_and_unlink():
        try:
            quit_browser()
        finally:
            link.unlink(missing_ok=True)

    driver.quit = quit_and_unlink
    return driver


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    d = make_driver(tmp_path_factory.mktemp("chromium"))
    yield d
    d.quit()


def load(driver, url):
    driver.get(url)
    driver.execute_script("window.__xss = undefined;")  # sentinel: only injected markup could set it later
    assert driver.execute_script("return document.documentElement.getAttribute('data-ready')") == "1"


def assert_no_script_ran(driver):
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    assert driver.execute_script("return window.__xss") is None
    assert driver.find_elements(By.CSS_SELECTOR, "img[src=x]") == []


def test_grid_holds_every_case_and_cell(driver, report):
    load(driver, report.as_uri())
    rows = driver.find_elements(By.CSS_SELECTOR, "#gridtable tr[data-r]")
    expected = fixture_rows()
    assert len(rows) == len(expected)
    shown = {r.find_element(By.CSS_SELECTOR, "th.case a").text for r in rows}
    assert shown == {case for case, _ in expected}
    headers = [h.get_attribute("textContent") for h in driver.find_elements(By.CSS_SELECTOR, "th.cellid")]
    assert sorted(headers) == CELLS
    assert all(len(r.find_elements(By.TAG_NAME, "td")) == len(CELLS) for r in rows)
    OUT.mkdir(parents=True, exist_ok=True)
    driver.execute_script("document.getElementById('grid').scrollIntoView()")
    driver.save_screenshot(str(OUT / "report.png"))


def test_filter_hides_rows(driver, report):
    load(driver, report.as_uri())
    visible = lambda: [r for r in driver.find_elements(By.CSS_SELECTOR, "#gridtable tr[data-r]") if r.is_displayed()]
    total = len(visible())
    driver.find_element(By.ID, "f-text").send_keys("lstm")
    assert [r.find_element(By.CSS_SELECTOR, "th.case").text for r in visible()] == ["rnn.lstm.forward"]
    driver.find_element(By.ID, "f-reset").click()
    driver.find_element(By.ID, "f-failing").click()
    failing = visible()
    assert 0 < len(failing) < total
    assert all(r.find_elements(By.CSS_SELECTOR, "td.vF, td.vK, td.vC, td.vT") for r in failing)


def test_click_and_keyboard_show_details(driver, report):
    load(driver, report.as_uri())
    td = driver.find_element(By.CSS_SELECTOR, "#gridtable td.vT")
    td.click()
    panel = driver.find_element(By.ID, "panel")
    assert panel.is_displayed()
    assert "TIMEOUT" in panel.text and "device.query.no_driver" in panel.text
    assert "cuconform run --stack" in panel.text  # the reproduction command, rebuilt from the row template
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not panel.is_displayed()
    td.send_keys(Keys.ARROW_RIGHT)
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    assert panel.is_displayed() and "device.query.no_driver" in panel.text


def test_deep_link_opens_a_result(driver, report):
    driver.get(report.as_uri() + "#case=kernel_image.sm.missing_arch&cell=cuda13.0-cudnn9.19-h100-host")
    panel = driver.find_element(By.ID, "panel")
    assert panel.is_displayed()
    assert "cudaErrorInvalidPtx" in panel.text and "new failure" in panel.text
    assert "cuda13.0-cudnn9.19-h100-host" in panel.text
    OUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUT / "report-detail.png"))


def test_xss_message_is_text(driver, report):
    load(driver, report.as_uri())
    listed = driver.execute_script("return document.getElementById('details').textContent")
    assert "<script>alert(1)</script>" in listed  # rendered server-side, as text
    driver.get(report.as_uri() + "#case=dtype.tensor.string_input&cell=cuda13.0-cudnn9.19-h100-host")
    panel = driver.find_element(By.ID, "panel")
    assert '"><img src=x onerror=alert(1)>' in panel.text
    assert_no_script_ran(driver)


def test_readable_without_javascript(report, tmp_path):
    d = make_driver(tmp_path, javascript=False)
    try:
        d.get(report.as_uri())
        assert d.execute_script is not None
        rows = d.find_elements(By.CSS_SELECTOR, "#gridtable tr[data-r]")
        assert len(rows) == len(fixture_rows())
        assert d.find_element(By.TAG_NAME, "noscript") is not None
        assert not d.find_element(By.ID, "toolbar").is_displayed()
        # A failure's details: follow the grid entry's link to its server-side <details>.
        d.find_element(By.CSS_SELECTOR, "#gridtable td.vC a").click()
        details = d.find_element(By.CSS_SELECTOR, "details.res.vC")
        details.find_element(By.TAG_NAME, "summary").click()
        assert "SIGSEGV" in details.text and "crash(11)" in details.text
        OUT.mkdir(parents=True, exist_ok=True)
        d.save_screenshot(str(OUT / "report-nojs.png"))
    finally:
        d.quit()


def chromium_leftovers():
    """What Chromium and chromedriver put in the system's temporary folder (singleton socket folders, profiles,
    scoped dirs)."""
    system = pathlib.Path(tempfile.gettempdir())
    return {p.name for p in system.iterdir() if "chromium" in p.name.lower() or p.name.startswith("scoped_dir")}


def test_chromium_keeps_its_temporary_files_in_the_tests_folder(report, tmp_path):
    """Every test run left /tmp/org.chromium.Chromium.* behind (the singleton socket folder, which nobody removes
    when chromedriver ends the browser): the browser's TMPDIR, profile and crash dumps are the test's own folder."""
    before = chromium_leftovers()
    d = make_driver(tmp_path)
    try:
        d.get(report.as_uri())
        assert any(tmp_path.iterdir()), "the browser should write into the test's folder"
    finally:
        d.quit()
    assert chromium_leftovers() - before == set(), "left in " + tempfile.gettempdir()
