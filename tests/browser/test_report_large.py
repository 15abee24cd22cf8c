# SPDX-License-Identifier: Apache-2.0
"""The compact grid of large reports (one text strip per row) in headless Chromium: lazy colouring keeps every
column in place, a symbol opens its result, arrow keys move, deep links open a cell, readable without JavaScript."""
import os
import pathlib
import subprocess

import pytest
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from test_report import OUT, make_driver

CASES, CELLS = 40, 200  # 200 cells > 120: compact grid; > 100 cells: the summary's tail is folded


@pytest.fixture(scope="module")
def report():
    binary = os.environ.get("CUCONFORM_BIN")
    if not binary:
        pytest.skip("CUCONFORM_BIN is not set: run through ctest, which points it at build/bin/cuconform")
    out = OUT / "report-large"
    proc = subprocess.run([binary, "report", "--synthetic", f"{CASES}x{CELLS}:3", "-o", str(out)],
                          capture_output=True, text=True)
    assert (out / "index.html").exists(), proc.stderr
    return (out / "index.html").resolve()


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    d = make_driver(tmp_path_factory.mktemp("chromium"))
    yield d
    d.quit()


def load(driver, url):
    driver.get(url)
    assert driver.execute_script("return document.documentElement.getAttribute('data-ready')") == "1"


def strip_texts(driver):
    return driver.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#gridtable td.strip'), function (t) {"
        " return t.textContent; });")


def click_column(driver, r, c):
    """Clicks the symbol of column c in row r's strip, wherever the runs split the text."""
    x, y = driver.execute_script("""
        var strip = document.querySelector('#gridtable tr[data-r="' + arguments[0] + '"] td.strip');
        strip.scrollIntoView({block: 'center'});
        function rect(c) {
          for (var n = strip.firstChild; n; n = n.nextSibling) {
            var t = n.nodeType === 3 ? n : n.firstChild;
            if (c < t.length) {
              var range = document.createRange(); range.setStart(t, c); range.setEnd(t, c + 1);
              return range.getBoundingClientRect();
            }
            c -= t.length;
          }
        }
        var wrap = strip.closest('.gridwrap');
        wrap.scrollLeft += rect(arguments[1]).left - wrap.getBoundingClientRect().left - 500;
        var q = rect(arguments[1]);
        return [q.left + q.width / 2, q.top + q.height / 2];""", r, c)
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(int(x), int(y)).click()
    actions.perform()


def test_rows_are_text_strips_coloured_on_view(driver, report, tmp_path):
    plain = make_driver(tmp_path, javascript=False)
    try:
        plain.get(report.as_uri())
        before = strip_texts(plain)
    finally:
        plain.quit()
    assert len(before) == CASES and all(len(t) == CELLS for t in before)
    load(driver, report.as_uri())
    driver.execute_script("document.getElementById('grid').scrollIntoView()")
    # The visible rows get runs (after the next frame: IntersectionObserver reports asynchronously).
    WebDriverWait(driver, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#gridtable tr[data-r='0'][data-coloured] td.strip b.vP"))
    assert strip_texts(driver) == before  # colouring changes no column
    OUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUT / "report-large.png"))


def test_symbol_opens_its_result_and_arrows_move(driver, report):
    load(driver, report.as_uri())
    cells = driver.execute_script("return JSON.parse(document.getElementById('report-data').textContent)"
                                  ".cells.map(function (c) { return c[0]; })")
    row = driver.find_element(By.CSS_SELECTOR, "#gridtable tr[data-r='3'] th.case").text
    # A failure: its symbol is the text's ✗, the panel must say FAIL for the same cell.
    text = strip_texts(driver)[3]
    c = text.find("\u2717")
    assert c > 0, "the synthetic row has no FAIL to click"
    click_column(driver, 3, c)
    panel = driver.find_element(By.ID, "panel")
    assert panel.is_displayed()
    assert row in panel.text and cells[c] in panel.text and "FAIL" in panel.text
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not panel.is_displayed()
    driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    assert panel.is_displayed() and cells[c + 1] in panel.text


def test_deep_link_opens_a_cell(driver, report):
    load(driver, report.as_uri())
    case, cell = driver.execute_script("var D = JSON.parse(document.getElementById('report-data').textContent);"
                                       "return [D.rows[7].c, D.cells[150][0]];")
    driver.get(report.as_uri() + f"#case={case}&cell={cell}")
    panel = driver.find_element(By.ID, "panel")
    assert panel.is_displayed() and case in panel.text and cell in panel.text


def test_large_report_readable_without_javascript(report, tmp_path):
    d = make_driver(tmp_path, javascript=False)
    try:
        d.get(report.as_uri())
        assert len(d.find_elements(By.CSS_SELECTOR, "#gridtable tr[data-r]")) == CASES
        assert len(d.find_elements(By.CSS_SELECTOR, "#summary > .scroll tbody tr")) == 100
        rest = d.find_element(By.ID, "summary-rest")
        rest.find_element(By.TAG_NAME, "summary").click()
        assert len(rest.find_elements(By.CSS_SELECTOR, "tbody tr")) == CELLS - 100
        failure = d.find_element(By.CSS_SELECTOR, "details.res.vF")
        # Sections off screen are laid out lazily (content-visibility): scrolling to the entry can move it while
        # the rows above it take their real size, so scroll until it stays put, as a reader's eyes would.
        summary = failure.find_element(By.TAG_NAME, "summary")
        for _ in range(5):
            before = summary.location_once_scrolled_into_view
            if summary.location_once_scrolled_into_view == before:
                break
        summary.click()
        assert "Expected" in failure.text and "Reproduce" in failure.text
    finally:
        d.quit()
