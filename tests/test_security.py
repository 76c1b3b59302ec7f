"""Hostile report text is shown as text everywhere; CSV cells cannot run as formulas; the plugin only reads."""

from __future__ import annotations

import csv
import io

import pytest
import pytest_asyncio
from conftest import make_datasette, run_ingest
from fixtures import HOSTILE, hostile_report_text

PAGES = [
    "/-/ofsted",
    "/-/ofsted/sutton",
    "/-/ofsted/compare/sutton-2018-06-26...sutton-2026-06-26",
    "/-/ofsted/search?q=script",
    "/-/ofsted/search?q=onerror",
]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory, bundled_db):
    import shutil

    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "ofsted.db"
    shutil.copy(bundled_db, path)
    report = folder / "hostile.txt"
    report.write_text(hostile_report_text())
    result = run_ingest(str(report), "--db", str(path))
    assert result.returncode == 0, result.stderr
    return path


@pytest_asyncio.fixture
async def hostile_ds(hostile_db):
    ds = make_datasette(hostile_db)
    await ds.invoke_startup()
    return ds


@pytest.mark.asyncio
@pytest.mark.parametrize("path", PAGES)
async def test_markup_in_report_text_is_escaped(hostile_ds, path):
    response = await hostile_ds.client.get(path)
    assert response.status_code == 200
    html = response.text
    assert "<script>alert('x')</script>" not in html
    assert "<img src=x onerror" not in html
    if "compare" in path or "search" in path:
        assert "&lt;script&gt;" in html or "&lt;img" in html


@pytest.mark.asyncio
async def test_json_keeps_the_text_as_data(hostile_ds):
    data = (await hostile_ds.client.get("/-/ofsted/compare/sutton-2018-06-26...sutton-2026-06-26.json")).json()
    texts = [f["text"] for row in data["rows"] for side in ("from", "to") for f in row[side]]
    assert any(HOSTILE in t for t in texts)


@pytest.mark.asyncio
async def test_csv_cells_cannot_run_as_formulas(hostile_ds):
    text = (await hostile_ds.client.get("/-/ofsted/compare/sutton-2018-06-26...sutton-2026-06-26.csv")).text
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any("SUM(1+1)" in c for c in cells)
    assert not any(c[:1] in ("=", "+", "-", "@") for c in cells)


@pytest.mark.asyncio
@pytest.mark.parametrize("q", ["' OR 1=1 --", '" OR ""="', "x'); DROP TABLE findings; --"])
async def test_search_takes_parameters(hostile_ds, q):
    response = await hostile_ds.client.get("/-/ofsted/search", params={"q": q})
    assert response.status_code == 200
    assert (await hostile_ds.client.get("/ofsted/findings.json?_size=1")).status_code == 200


@pytest.mark.asyncio
async def test_the_plugin_works_on_an_immutable_database(ds):
    assert ds.get_database("ofsted").is_mutable is False
    for path in ["/-/ofsted", "/-/ofsted/kent", "/-/ofsted/compare/kent-2022-05-09...kent-2025-11-03.json"]:
        assert (await ds.client.get(path)).status_code == 200


@pytest.mark.asyncio
async def test_pages_write_nothing(bundled_copy):
    import hashlib

    path = bundled_copy()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    ds = make_datasette(path, immutable=False)
    for page in [
        "/-/ofsted",
        "/-/ofsted/sutton",
        "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26",
        "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26.csv",
        "/-/ofsted/search?q=plans",
    ]:
        assert (await ds.client.get(page)).status_code == 200
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


@pytest.mark.asyncio
async def test_server_sees_new_data_after_an_ingest(bundled_copy, tmp_path):
    path = bundled_copy()
    ds = make_datasette(path, immutable=False)
    assert "sutton-2026-06-26" not in (await ds.client.get("/-/ofsted/sutton")).text
    report = tmp_path / "hostile.txt"
    report.write_text(hostile_report_text())
    assert run_ingest(str(report), "--db", str(path)).returncode == 0
    assert "sutton-2026-06-26" in (await ds.client.get("/-/ofsted/sutton")).text
