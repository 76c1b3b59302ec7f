"""Guards on what the pages show (issue 15's mutation check): each fails if its detail is taken out."""

from __future__ import annotations

import re
import sqlite3
from html import unescape

import pytest

KENT = "/-/ofsted/compare/kent-2013-07-15...kent-2017-03-06"
SUTTON = "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26"


def attribute_values(html: str, pattern: str) -> list[str]:
    return [unescape(v) for v in re.findall(pattern, html)]


@pytest.mark.asyncio
async def test_thread_cell_resolved_when_the_comparison_resolves_the_theme(ds):
    """Kent's threads show a resolved cell where a comparison judged an earlier improvement on it resolved."""
    data = (await ds.client.get("/-/ofsted/kent.json")).json()
    resolved = [(t["id"], c["inspection_id"]) for t in data["threads"] for c in t["cells"] if c["state"] == "resolved"]
    assert resolved
    html = (await ds.client.get("/-/ofsted/kent")).text
    assert html.count('class="badge badge-resolved"') >= len(resolved)


@pytest.mark.asyncio
async def test_grade_chart_joins_graded_inspections_with_a_line(ds):
    """Manchester's four graded inspections: four points, and one line through them in date order."""
    html = (await ds.client.get("/-/ofsted/manchester")).text
    start = html.index('<svg class="grade-chart"')
    chart = html[start : html.index("</svg>", start)]
    circles = re.findall(r'<circle cx="(\d+)" cy="(\d+)"', chart)
    assert len(circles) == 4
    (points,) = re.findall(r'<polyline points="([^"]+)" class="grade-line"', chart)
    assert [tuple(p.split(",")) for p in points.split()] == circles


@pytest.mark.asyncio
async def test_index_totals_count_the_database(ds, bundled_db):
    db = sqlite3.connect(bundled_db)
    improvements = db.execute("select count(*) from findings where kind = 'improvement'").fetchone()[0]
    assert improvements > 0
    totals = (await ds.client.get("/-/ofsted.json")).json()["totals"]
    assert totals["improvements"] == improvements
    html = (await ds.client.get("/-/ofsted")).text
    assert f"of which {improvements} are improvements" in html


@pytest.mark.asyncio
async def test_timeline_badges_count_the_compare_pages_rows(ds):
    """The timeline's "Recurring N" is the number of recurring rows its comparison page lists."""
    data = (await ds.client.get("/-/ofsted/birmingham.json")).json()
    html = (await ds.client.get("/-/ofsted/birmingham")).text
    assert len(data["pairs"]) == 3
    for pair in data["pairs"]:
        compared = (await ds.client.get(f"/-/ofsted/compare/{pair['from']}...{pair['to']}.json")).json()
        rows_by_status = {s: sum(1 for r in compared["rows"] if r["status"] == s) for s in compared["counts"]}
        assert pair["counts"] == compared["counts"] == rows_by_status
        for status, n in rows_by_status.items():
            if n:
                assert f'href="{pair["url"]}?status={status}"><span class="badge badge-{status}">' in html
                assert re.search(rf"{re.escape(pair['url'])}\?status={status}\"><span [^>]*>[^<]* {n}</span>", html)


@pytest.mark.asyncio
async def test_compare_csv_downloads_under_the_pairs_name(ds):
    response = await ds.client.get(SUTTON + ".csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="compare-sutton-2013-05-13...sutton-2018-06-26.csv"'
    )


@pytest.mark.asyncio
async def test_compare_page_folds_the_whole_paragraph_under_the_sentence(ds):
    """Evidence shows the sentence that matched; the paragraph it comes from is one click away."""
    html = (await ds.client.get(KENT)).text
    folded = re.findall(r"<details><summary>whole paragraph</summary>(.*?)</details>", html, re.S)
    assert folded
    data = (await ds.client.get(KENT + ".json")).json()
    paragraphs = {f["text"] for r in data["rows"] for f in r["from"] + r["to"]}
    assert any(unescape(re.sub(r"</?mark>", "", p)) in paragraphs for p in folded)


@pytest.mark.asyncio
async def test_compare_download_links_keep_the_filter(ds):
    """Filtered to recurring rows, the JSON and CSV links download those rows, not every row."""
    html = (await ds.client.get(SUTTON + "?status=recurring")).text
    assert f'<a href="{SUTTON}.json?status=recurring">JSON</a>' in html
    assert f'<a href="{SUTTON}.csv?status=recurring">CSV</a>' in html
