"""The canned queries' datasette-vega charts draw in a real Chromium, from their own fragment links."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import METADATA, ROOT
from test_metadata import EXAMPLES

from datasette_ofsted import canned_queries_definitions

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHARTS = sorted(name for name, query in canned_queries_definitions().items() if query.get("fragment"))
# Axes and labels are grey; the marks (bars, the line) are in colour. A chart whose query returned no
# rows, or whose columns are wrong, draws its grey frame and not one coloured pixel.
MIN_MARK_PIXELS = 300
# How far apart a pixel's red, green and blue must be for it to count as coloured, not grey.
COLOURED = 60

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium here: install Debian's chromium (apt-get install chromium)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(bundled_db):
    """`datasette -i ofsted.db -m metadata.yml`, as the README serves it."""
    port = free_port()
    command = [sys.executable, "-m", "datasette", "serve", "-i", str(bundled_db), "-m", str(METADATA)]
    process = subprocess.Popen(
        [*command, "-p", str(port), "-h", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield browser.new_page(viewport={"width": 1366, "height": 900})
        browser.close()


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
