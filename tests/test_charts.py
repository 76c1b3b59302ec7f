"""The charts in a real Chromium: the plugin's own (national themes, the timeline's grades, and the charts it draws
on its canned queries' pages) are readable at 1366 and 390 px."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from conftest import CHROMIUM, NO_CHROMIUM, ROOT
from test_metadata import EXAMPLES

from datasette_ofsted.views import query_charts

SCREENSHOTS = ROOT / "tests" / "screenshots"
# Readable: no letter under 11 px (WCAG sets no minimum; 11 px is about the smallest print a phone user reads),
# a bar at least 12 px tall, a chart at least 600 px wide on a laptop.
MIN_TEXT_PX = 11
MIN_BAR_HEIGHT_PX = 12
MIN_WIDE_CHART_PX = 600
WIDTHS = [1366, 390]
RECURRING_COLOUR = "rgb(180, 35, 24)"  # ofsted.css's recurring red (#b42318), the badges' border

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)


# The queries the plugin draws a chart for on their own pages (views/query_charts.py).
QUERY_CHARTS = sorted(query_charts.QUERY_CHARTS)
# What each chart's print is in HTML: names, counts, the key, the caption (and the grade chart's SVG text).
CHART_TEXT = ".bar-label, .bar-value, .segment, ul.key li, figcaption"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", QUERY_CHARTS)
def test_a_canned_query_page_draws_its_chart_readable_in_the_badge_colours(server, browser, name, width):
    """Issue 25: datasette-vega drew these 447 px wide on a canvas, in its theme's colours, its letters about 8 px,
    with a Vega v3 warning. The plugin's own chart fills the column, its print whole and at least 11 px, its bars in
    the status badges' colours, its numbers the query's own; datasette-vega draws nothing unless asked."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type in ("warning", "error") else None)
    try:
        query = urllib.parse.urlencode(EXAMPLES[name])
        page.goto(f"{server}/ofsted/{name}?{query}")
        chart = page.locator(".query-chart #query-chart")
        chart.wait_for(state="visible")
        frame = chart.bounding_box()
        column = page.evaluate("document.querySelector('.query-chart').parentElement.clientWidth")
        if name != "grades_over_time":  # the grade chart is as wide as its inspections need (the timeline's)
            # As wide as the column, up to the bar charts' readable measure (58em: a bar's count stays near its name).
            assert frame["width"] >= (MIN_WIDE_CHART_PX if width > 1000 else column * 0.9), (frame, column)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        texts = boxes(chart, CHART_TEXT)
        assert texts
        for text in texts:
            assert text["font"] >= MIN_TEXT_PX and not text["cut"], text
            assert text["left"] >= 0 and text["right"] <= width, text
        for svg in chart.locator("svg").all():  # the SVG's print as drawn, after it is scaled, inside its frame
            box = svg.bounding_box()
            for text in boxes(svg, "text"):
                assert text["height"] >= MIN_TEXT_PX, text
                assert box["x"] - 1 <= text["left"] and text["right"] <= box["x"] + box["width"] + 1, text
        rows = json.load(urllib.request.urlopen(f"{server}/ofsted/{name}.json?{query}&_shape=array", timeout=30))
        if name == "status_counts":
            drawn = [int(t["text"].split()[0]) for t in boxes(chart, ".segment")]
            assert sorted(drawn) == sorted(r["n"] for r in rows)
            colour = chart.locator(".segment.bar-recurring").first.evaluate("e => getComputedStyle(e).borderTopColor")
            assert colour == RECURRING_COLOUR
        elif name == "recurring_themes":
            values = [int(v) for v in chart.locator("li").evaluate_all("ls => ls.map(l => l.dataset.value)")]
            # The themes raised again in most authorities, largest first, as the query orders them (all in the table).
            assert values == [r["authorities"] for r in rows][: query_charts.CHART_THEMES]
            assert chart.locator(".bar").first.evaluate("e => getComputedStyle(e).borderTopColor") == RECURRING_COLOUR
        else:
            assert chart.locator("circle.graded").count() == len({r["start_date"] for r in rows})
        assert page.locator(".vega-embed canvas").count() == 0
        assert not [w for w in warnings if "Vega" in w], warnings
        SCREENSHOTS.mkdir(exist_ok=True)
        chart.screenshot(path=str(SCREENSHOTS / f"chart-{name}-{width}.png"))
    finally:
        page.close()


BOXES = """root => Array.from(root.querySelectorAll(arguments_selector)).map(e => {
  const r = e.getBoundingClientRect();
  return {text: e.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          width: r.width, height: r.height, font: parseFloat(getComputedStyle(e).fontSize),
          cut: e.scrollWidth > e.clientWidth + 1};
})"""


def boxes(locator, selector: str) -> list[dict]:
    return locator.evaluate(BOXES.replace("arguments_selector", repr(selector)))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_national_chart_is_readable(server, browser, width):
    """Bars sorted by count, every theme named in full beside or above its bar, in the plugin's red."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(server + "/-/ofsted/national")
        chart = page.locator("figure.bar-chart#recurring-chart")
        chart.wait_for(state="visible")
        figure = chart.bounding_box()
        assert figure["width"] >= (MIN_WIDE_CHART_PX if width > 1000 else width * 0.8), figure
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        values = [int(v) for v in chart.locator("li").evaluate_all("ls => ls.map(l => l.dataset.value)")]
        assert len(values) >= 5 and values == sorted(values, reverse=True)
        themes = json.load(urllib.request.urlopen(server + "/-/ofsted/national.json", timeout=30))["themes"]
        # The same themes in the same order as the table under it (most authorities, then most recurring rows).
        expected = [(len(t["authorities"]), t["name"]) for t in themes]
        labels = boxes(chart, ".bar-label")
        assert [(v, label["text"]) for v, label in zip(values, labels)] == expected[: len(values)]
        for label in labels:  # named in full, inside the screen, in readable print
            assert not label["cut"] and label["left"] >= 0 and label["right"] <= width, label
            assert label["font"] >= MIN_TEXT_PX, label
        bars = boxes(chart, ".bar")
        counts = boxes(chart, ".bar-value")
        assert [int(c["text"].split()[0]) for c in counts] == values  # each count written at its bar
        for bar, count in zip(bars, counts):
            assert bar["height"] >= MIN_BAR_HEIGHT_PX and bar["right"] <= count["left"] + 1 and count["right"] <= width
        # Lengths follow the counts: the first bar is the longest and a bar of half the count is about half as long.
        for bar, value in zip(bars, values):
            assert bar["width"] == pytest.approx(bars[0]["width"] * value / values[0], abs=3), (bar, value)
        colour = chart.locator(".bar").first.evaluate("e => getComputedStyle(e).borderTopColor")
        assert colour == RECURRING_COLOUR
        SCREENSHOTS.mkdir(exist_ok=True)
        chart.screenshot(path=str(SCREENSHOTS / f"chart-national-{width}.png"))
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_grade_chart_names_the_grades_best_first_and_is_not_cut(server, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(server + "/-/ofsted/birmingham")
        chart = page.locator("svg.grade-chart")
        chart.wait_for(state="visible")
        frame = chart.bounding_box()
        assert frame["width"] >= 340, frame
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # it scrolls in its own box
        axis = boxes(chart, "text.axis-label")
        names = [a["text"] for a in axis]
        assert names == ["Outstanding", "Good", "Requires improvementor adequate", "Inadequate"]
        assert [a["top"] for a in axis] == sorted(a["top"] for a in axis)  # best at the top
        years = boxes(chart, "text.axis-year")
        assert [y["text"] for y in years] == ["2014", "2016", "2018", "2023"]
        for text in axis + years + boxes(chart, "text.ungraded-label"):
            assert text["height"] >= MIN_TEXT_PX, text  # rendered size, after the SVG is scaled
            inside = frame["x"] - 1 <= text["left"] and text["right"] <= frame["x"] + frame["width"] + 1
            assert inside and frame["y"] - 1 <= text["top"] and text["bottom"] <= frame["y"] + frame["height"] + 1, text
        assert chart.locator("circle.graded").count() == 4
        SCREENSHOTS.mkdir(exist_ok=True)
        chart.screenshot(path=str(SCREENSHOTS / f"chart-grades-{width}.png"))
    finally:
        page.close()


IN_QUERY_CHART = """targets => targets.some(t => {
  const e = document.querySelector(Array.isArray(t) ? t[0] : t);
  return e !== null && e.closest('.query-chart') !== null;
})"""


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_nothing_in_the_query_charts(server, browser, width):
    """The plugin's charts on Datasette's query pages: axe-core finds nothing on any of their elements (the rest of
    the page is Datasette's)."""
    from test_browser import axe_violations

    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        found = {}
        for name in QUERY_CHARTS:
            page.goto(f"{server}/ofsted/{name}?{urllib.parse.urlencode(EXAMPLES[name])}")
            page.locator(".query-chart").wait_for(state="visible")
            ours = [
                (v["id"], [n["target"] for n in v["nodes"]][:3])
                for v in axe_violations(page)
                if page.evaluate(IN_QUERY_CHART, [n["target"] for n in v["nodes"]])
            ]
            if ours:
                found[name] = ours
        assert found == {}
    finally:
        page.close()
