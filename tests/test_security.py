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


def test_a_finding_cell_escapes_every_field():
    """The compare page's findings are built in Python (views/compare.finding_cell), not by an autoescaping
    template: every field of a hostile finding comes out as text, its marked words too."""
    from datasette_ofsted.text import stem
    from datasette_ofsted.views.compare import finding_cell

    finding = {
        "id": 7,
        "role": "evidence",
        "stance": "negative",
        "matched_stems": [stem("alert"), stem("quoted")],
        "sentence": HOSTILE,
        "text": HOSTILE + " <b>whole</b>",
        "page": '3"><script>',
        "paragraph": "<i>2</i>",
        "section": "<svg onload=alert(1)>",
        "timescale": "</span><script>x()</script>",
    }
    row = {"status": "recurring", "from": [], "to": [finding]}
    html = str(finding_cell(finding, row, 'https://x.test/a.pdf#page=3"onmouseover="alert(1)', '/r/"><b>'))
    for raw in ("<script", "<img", "<svg", "<b>", "<i>", '"onmouseover', '/r/">'):
        assert raw not in html, raw
    assert 'href="/r/&#34;&gt;&lt;b&gt;"' in html and 'p. 3&#34;&gt;&lt;script&gt;</a>' in html
    # The shared words are still marked, inside the escaped text.
    assert "&lt;script&gt;<mark>alert</mark>(&#39;x&#39;)&lt;/script&gt;" in html and "&#34;<mark>quoted</mark>&#34;" in html
    assert "&lt;svg onload=alert(1)&gt;" in html and "&lt;/span&gt;&lt;script&gt;x()&lt;/script&gt;" in html


@pytest.mark.asyncio
async def test_a_reviewer_s_compare_page_escapes_report_text(hostile_db, tmp_path):
    """A reviewer's compare page (its rows rendered in one synchronous pass, views/common.synchronous_rows, with
    the review form in each row) shows hostile report text as text, as a visitor's page does."""
    import yaml
    from conftest import METADATA
    from datasette.app import Datasette

    from datasette_ofsted.reviews import create_reviews_database

    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    metadata.setdefault("plugins", {})["datasette-ofsted"] = {"reviewers": {"id": ["alice"]}}
    reviews = create_reviews_database(tmp_path / "ofsted.db")
    ds = Datasette([str(reviews)], immutables=[str(hostile_db)], metadata=metadata)
    await ds.invoke_startup()
    response = await ds.client.get(PAGES[2], cookies={"ds_actor": ds.sign({"a": {"id": "alice"}}, "actor")})
    assert response.status_code == 200
    html = response.text
    assert 'class="review-form"' in html  # the reviewer's page, with its forms
    assert "<script>alert('x')</script>" not in html and "<img src=x onerror" not in html
    assert "&lt;script&gt;" in html
