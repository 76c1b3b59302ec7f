"""A person's path through the pages in a real Chromium against a real `datasette` server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import METADATA, ROOT

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
SCREENSHOTS = ROOT / "tests" / "screenshots"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium here: install Debian's chromium (apt-get install chromium)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(bundled_db):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            "-i",
            str(bundled_db),
            "-m",
            str(METADATA),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        yield page
        browser.close()


def follow(page, selector: str) -> None:
    """Click a link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def test_menu_to_authority_to_comparison_to_a_finding_and_back(server, page):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.goto(server + "/")
    page.click("summary")  # Datasette's app menu
    follow(page, "text=Ofsted inspections")
    assert page.url.endswith("/-/ofsted")
    follow(page, "a:text-is('Sutton')")
    assert page.url.endswith("/-/ofsted/sutton")
    page.locator("svg.grade-chart").wait_for(state="visible")
    follow(page, "a[href='/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26']")
    assert "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26" in page.url
    badges = page.locator(".compare-grid .badge")
    assert badges.count() > 5 and badges.first.is_visible()
    assert page.locator(".compare-grid mark").first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "compare.png"), full_page=False)

    page.select_option("#status", "recurring")
    follow(page, "text=Filter")
    assert "status=recurring" in page.url
    labels = {t.strip() for t in page.locator(".compare-grid td.status .badge").all_inner_texts()}
    assert labels == {"Recurring"}
    page.screenshot(path=str(SCREENSHOTS / "compare-recurring.png"))

    with page.expect_navigation():
        page.locator(".compare-grid .where a").first.click()
    assert "/ofsted/findings/" in page.url
    assert page.locator("text=recurring").count() >= 0
    page.go_back(wait_until="load")
    assert "status=recurring" in page.url
    follow(page, ".crumbs a:text-is('Sutton')")
    assert page.url.endswith("/-/ofsted/sutton")


def test_pick_any_two_inspections(server, page):
    page.goto(server + "/-/ofsted/birmingham")
    page.select_option("#pick-from", "birmingham-2014-03-18")
    page.select_option("#pick-to", "birmingham-2023-02-20")
    follow(page, "input[value='Compare']")
    assert page.url.endswith("/-/ofsted/compare/birmingham-2014-03-18...birmingham-2023-02-20")
    assert page.locator("h1").inner_text().startswith("Birmingham")


def test_threads_grid_links_to_findings(server, page):
    page.goto(server + "/-/ofsted/sutton")
    cell = page.locator("table.threads a.badge").first
    assert cell.is_visible()
    with page.expect_navigation():
        cell.click()
    assert "/ofsted/findings_of_theme" in page.url
    page.screenshot(path=str(SCREENSHOTS / "thread-cell.png"))


def test_vega_chart_draws(server, page):
    page.goto(
        server + "/ofsted/grades_over_time?authority=birmingham#g.mark=line&g.x_column=start_date&g.x_type=temporal"
        "&g.y_column=grade_rank&g.y_type=quantitative"
    )
    page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=15000)
    page.screenshot(path=str(SCREENSHOTS / "grades-chart.png"))
