"""The pages at the archive's size (tests/archive.py: >= 150 authorities, >= 400 inspections) in a real Chromium at a
laptop's 1366 px and a phone's 390 px: heights, no sideways scrolling (canned-query pages too), the index on a phone,
charts that are linked and readable, and axe-core on every plugin page at both widths."""

from __future__ import annotations

import urllib.parse

import pytest
from conftest import CHROMIUM, NO_CHROMIUM, ROOT
from test_browser import plugin_violations
from test_metadata import EXAMPLES

from datasette_ofsted import canned_queries_definitions
from datasette_ofsted.routes import pages

SCREENSHOTS = ROOT / "tests" / "screenshots"
WIDTHS = [1366, 390]
# The national page with the whole archive was 15,021 px tall at 1366 px; a journalist should see it in a few screens.
NATIONAL_MAX_HEIGHT = 3000
MIN_TEXT_PX = 11  # the smallest print a phone user reads (tests/test_charts.py)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)

# Every kind of plugin page, at the archive's size.
PLUGIN_PAGES = [
    "/-/ofsted",
    "/-/ofsted/national",
    "/-/ofsted/national?theme=planning",
    "/-/ofsted/national?region=North+West&framework=ILACS",
    "/-/ofsted/search?q=return+home+interviews",
    "/-/ofsted/birmingham",
    "/-/ofsted/manchester",
    "/-/ofsted/compare/manchester-2017-10-09...manchester-2022-03-21",
    # and every other page an anonymous visitor may open, from the route registry (the review pages are the
    # reviewers' own since reviews became private: test_browser_reviews.py opens them signed in)
    *(path for _, path in pages(formats=("",)) if not path.startswith(("/-/ofsted/national", "/-/ofsted/search"))),
]
# Every canned query's page (the plugin draws the chart of those that have one).
QUERY_PAGES = [f"/ofsted/{name}?{urllib.parse.urlencode(EXAMPLES[name])}" for name in sorted(canned_queries_definitions())]


@pytest.fixture(scope="module", params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def page(request, browser):
    page = browser.new_page(viewport={"width": request.param, "height": 900})
    page.width = request.param  # type: ignore[attr-defined]
    yield page
    page.close()


def test_the_national_page_fits_a_few_screens(archive_server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(archive_server + "/-/ofsted/national")
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height <= NATIONAL_MAX_HEIGHT, height
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "national-archive-1366.png"), full_page=True)
        # The heat map: a row a theme, a column a year, each cell's print readable and the names whole.
        heat = page.locator("figure.heat-map table.heat")
        assert heat.locator("tbody tr").count() >= 10 and heat.locator("thead th").count() >= 10
        sizes = heat.locator("td.heat .pct, td.heat .of, tbody th a, thead th").evaluate_all(
            "es => es.map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert min(sizes) >= MIN_TEXT_PX, min(sizes)
        cut = heat.locator("tbody th a").evaluate_all("es => es.filter(e => e.scrollWidth > e.clientWidth + 1).length")
        assert cut == 0
    finally:
        page.close()


def test_no_page_scrolls_sideways_canned_queries_included(archive_server, page):
    wide = {}
    for path in PLUGIN_PAGES + QUERY_PAGES:
        response = page.goto(archive_server + path)
        assert response is not None and response.ok, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.width:
            wide[path] = width
    assert wide == {}


def test_the_index_on_a_phone_finds_an_authority_and_shows_its_latest_grade(archive_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    try:
        page.goto(archive_server + "/-/ofsted")
        cards = page.locator("table.authorities tbody tr")
        assert cards.count() >= 150
        # Each card: the name on a line, then the latest inspection's date and grade, all on the screen.
        card = page.locator("table.authorities tbody tr", has=page.locator("a:text-is('Birmingham')"))
        for part in ("th.name", "td.latest", "td.grade"):
            box = card.locator(part).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, part
        latest, grade = card.locator("td.latest").bounding_box(), card.locator("td.grade").bounding_box()
        assert abs(latest["y"] - grade["y"]) < 8  # date and grade on one line
        assert "2023-02-20" in card.locator("td.latest").inner_text()
        assert card.locator("td.grade").inner_text().strip() == "good"
        page.fill("#find-authority", "birm")
        visible = [t.strip() for t in page.locator("table.authorities tbody tr:visible th.name").all_inner_texts()]
        assert visible == ["Birmingham"]
        assert "1 of" in page.locator("#find-authority-count").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "index-phone-find.png"))
        page.fill("#find-authority", "north west")  # a region finds its authorities
        assert page.locator("table.authorities tbody tr:visible").count() >= 10
        page.fill("#find-authority", "birmingham")
        with page.expect_navigation():
            page.press("#find-authority", "Enter")
        assert page.url.endswith("/-/ofsted/birmingham")
    finally:
        page.close()


def test_the_threads_show_the_latest_inspection_first(archive_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    try:
        page.goto(archive_server + "/-/ofsted/birmingham")
        years = [h.split()[0] for h in page.locator("table.threads thead th").all_inner_texts()[1:]]
        assert years == sorted(years, reverse=True) and years[0] == "2023"
        first = page.locator("table.threads thead th").nth(1).bounding_box()
        assert first["x"] + first["width"] <= 390  # the latest year is on the screen, not scrolled off
    finally:
        page.close()


def test_pages_link_to_charts_that_draw(archive_server, page):
    """From the index and a timeline to the canned queries with their charts open; the plugin's own charts (the
    timeline's statuses, the national bars) readable at both widths."""
    page.goto(archive_server + "/-/ofsted/birmingham")
    stacked = page.locator("figure#status-chart")
    stacked.wait_for(state="visible")
    assert stacked.bounding_box()["width"] >= min(600, page.width * 0.8)
    labels = stacked.locator(".bar-label, .segment").evaluate_all(
        "es => es.map(e => [parseFloat(getComputedStyle(e).fontSize), e.scrollWidth > e.clientWidth + 1])"
    )
    assert labels and all(size >= MIN_TEXT_PX and not cut for size, cut in labels), labels
    colour = stacked.locator(".segment.bar-recurring").first.evaluate("e => getComputedStyle(e).borderTopColor")
    badge = page.locator(".badge-recurring").first.evaluate("e => getComputedStyle(e).borderTopColor")
    assert colour == badge  # the badges' colours
    with page.expect_navigation():
        page.click("a:text-is('grades over time')")
    assert "/ofsted/grades_over_time" in page.url
    page.locator(".query-chart svg.grade-chart").wait_for(state="visible")
    page.goto(archive_server + "/-/ofsted")
    with page.expect_navigation():
        page.click("a:text-is('statuses pair by pair')")
    assert "/ofsted/status_counts" in page.url
    page.locator(".query-chart figure.stacked-chart").wait_for(state="visible")
    page.goto(archive_server + "/-/ofsted/national")
    with page.expect_navigation():
        page.click("a:text-is('recurring themes')")
    assert "/ofsted/recurring_themes" in page.url
    page.locator(".query-chart figure.bar-chart").wait_for(state="visible")


def test_axe_finds_nothing_the_plugin_owns_at_either_width(archive_server, page):
    assert plugin_violations(page, archive_server, PLUGIN_PAGES) == {}
