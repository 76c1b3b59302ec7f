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


@pytest.fixture(scope="module")
def hostile_url_db(tmp_path_factory, bundled_db):
    """The hostile report listed in a MANIFEST.csv whose source_url is a javascript: URL."""
    import shutil

    folder = tmp_path_factory.mktemp("hostile-url")
    path = folder / "ofsted.db"
    shutil.copy(bundled_db, path)
    reports = folder / "reports"
    reports.mkdir()
    (reports / "hostile.txt").write_text(hostile_report_text())
    (reports / "MANIFEST.csv").write_text(
        "file,source_url,local_authority,published\nhostile.txt,javascript:alert(document.cookie),sutton,01/07/31\n"
    )
    result = run_ingest(str(reports / "hostile.txt"), "--db", str(path))
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


@pytest.mark.asyncio
async def test_a_javascript_url_is_never_a_link(hostile_url_db):
    ds = make_datasette(hostile_url_db)
    await ds.invoke_startup()
    stored = (await ds.client.get("/ofsted/documents.json?_shape=array&inspection_id=sutton-2026-06-26")).json()
    assert stored and stored[0]["source_url"].startswith("javascript:")  # the database keeps what it was given
    for path in [
        "/-/ofsted/sutton",
        "/-/ofsted/compare/sutton-2018-06-26...sutton-2026-06-26",
        "/-/ofsted/compare/sutton-2013-05-13...sutton-2026-06-26",
    ]:
        response = await ds.client.get(path)
        assert response.status_code == 200
        assert 'href="javascript:' not in response.text.lower()
        assert "#page=" not in response.text  # no page links into a source that is not a web address


def test_only_http_urls_are_links():
    from datasette_ofsted.views.common import http_url, page_url

    for url in ["https://files.ofsted.gov.uk/v1/file/1", "http://example.org/a.pdf", "HTTPS://EXAMPLE.ORG/x"]:
        assert http_url(url) == url
    for url in [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "file:///etc/passwd",
        "//evil.example/x",
        "/relative",
        "https:///no-host",
        "https://exa mple.org",
        None,
        42,
    ]:
        assert http_url(url) is None, url
    assert page_url("https://files.ofsted.gov.uk/v1/file/1", 4) == "https://files.ofsted.gov.uk/v1/file/1#page=4"
    assert page_url("javascript:alert(1)", 4) is None and page_url("https://x.org/a", None) is None


@pytest.mark.asyncio
@pytest.mark.parametrize("q", ['"', '""', '"""', "\x00", "plans\x00", '"\x00"', "NEAR(", "a:b", "-x", "{x}"])
async def test_every_search_answers_200_or_400(ds, q):
    for path in ("/-/ofsted/search", "/-/ofsted/search.json"):
        response = await ds.client.get(path, params={"q": q})
        assert response.status_code in (200, 400), (q, response.status_code)
