"""The charts in a real Chromium: the plugin's own (national themes, the timeline's grades) are readable at 1366 and
390 px, and the canned queries' datasette-vega charts still draw from their fragment links."""

from __future__ import annotations

import urllib.parse

import pytest
from conftest import CHROMIUM, NO_CHROMIUM, ROOT
from test_metadata import EXAMPLES

from datasette_ofsted import canned_queries_definitions

SCREENSHOTS = ROOT / "tests" / "screenshots"
CHARTS = sorted(name for name, query in canned_queries_definitions().items() if query.get("fragment"))
# Axes and labels are grey; the marks (bars, the line) are in colour. A chart whose query returned no
# rows, or whose columns are wrong, draws its grey frame and not one coloured pixel.
MIN_MARK_PIXELS = 300
# How far apart a pixel's red, green and blue must be for it to count as coloured, not grey.
COLOURED = 60
# Readable: no letter under 11 px (WCAG sets no minimum; 11 px is about the smallest print a phone user reads),
# a bar at least 12 px tall, a chart at least 600 px wide on a laptop.
MIN_TEXT_PX = 11
MIN_BAR_HEIGHT_PX = 12
MIN_WIDE_CHART_PX = 600
WIDTHS = [1366, 390]
RECURRING_COLOUR = "rgb(180, 35, 24)"  # ofsted.css's recurring red (#b42318), the badges' border

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)


@pytest.fixture(scope="module")
def page(browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    yield page
    page.close()


MARK_PIXELS = f"""canvas => {{
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let coloured = 0;
  for (let i = 0; i < data.length; i += 4) {{
    const rgb = [data[i], data[i + 1], data[i + 2]];
    if (data[i + 3] > 0 && Math.max(...rgb) - Math.min(...rgb) > {COLOURED}) coloured++;
  }}
  return coloured;
}}"""


@pytest.mark.parametrize("name", CHARTS)
def test_chart_draws_from_its_fragment(server, page, name):
    fragment = canned_queries_definitions()[name]["fragment"]
    settings = dict(urllib.parse.parse_qsl(fragment))
    page.goto(f"{server}/ofsted/{name}?{urllib.parse.urlencode(EXAMPLES[name])}#{fragment}")
    canvas = page.locator(".vega-embed canvas")
    canvas.wait_for(state="visible", timeout=15000)
    # datasette-vega took the fragment's columns, so they exist in the query's rows.
    for axis in ("x", "y"):
        assert page.locator(f"select[name={axis}_column]").input_value() == settings[f"g.{axis}_column"], axis
    page.wait_for_function(
        f"() => {{ const c = document.querySelector('.vega-embed canvas'); return c && ({MARK_PIXELS})(c) > {MIN_MARK_PIXELS}; }}",
        timeout=15000,
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    canvas.screenshot(path=str(SCREENSHOTS / f"chart-{name}.png"))


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
    import json
    import urllib.request

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
