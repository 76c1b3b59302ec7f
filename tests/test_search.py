"""/-/ofsted/search: full-text search over the findings, paged and filtered, in HTML and JSON."""

import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest


@pytest.mark.asyncio
async def test_search_finds_and_highlights(ds):
    response = await ds.client.get("/-/ofsted/search?q=return+home+interviews")
    assert response.status_code == 200
    assert "<mark>interviews</mark>" in response.text or "<mark>Return</mark>" in response.text
    assert "/-/ofsted/sutton" in response.text


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "q",
    ['"unbalanced', "AND OR NOT", "*", "a" * 5000, "'; drop table findings; --", '"', '""', "a\x00b", "\x00", "^-:"],
)
async def test_search_syntax_never_errors(ds, q):
    response = await ds.client.get("/-/ofsted/search", params={"q": q})
    assert response.status_code == 200
    assert (await ds.client.get("/-/ofsted/search.json", params={"q": q})).status_code == 200


@pytest.mark.asyncio
async def test_a_query_without_words_says_so(ds):
    html = (await ds.client.get("/-/ofsted/search", params={"q": '""'})).text
    assert "There are no words to search for" in html


@pytest.mark.asyncio
async def test_search_pages_through_every_result(ds, bundled_db):
    first = (await ds.client.get("/-/ofsted/search.json?q=children")).json()
    assert len(first["rows"]) == 50 and first["next_url"]
    assert first["next_url"].startswith("/-/ofsted/search.json?")
    assert parse_qs(urlsplit(first["next_url"]).query)["_next"] == ["50"]
    second = (await ds.client.get(first["next_url"])).json()
    assert second["rows"] and not {r["id"] for r in first["rows"]} & {r["id"] for r in second["rows"]}
    seen, url = set(), "/-/ofsted/search.json?q=children"
    while url:
        page = (await ds.client.get(url)).json()
        seen |= {r["id"] for r in page["rows"]}
        url = page["next_url"]
    with sqlite3.connect(bundled_db) as conn:  # counted in SQLite itself, whatever Datasette's JSON shape
        everything = conn.execute("select count(*) from findings_fts where findings_fts match 'children'").fetchone()[0]
    assert len(seen) == everything
    html = (await ds.client.get("/-/ofsted/search?q=children")).text
    assert 'rel="next"' in html and "_next=50" in html
    last = (await ds.client.get("/-/ofsted/search.json?q=radicalisation")).json()
    assert 0 < len(last["rows"]) < 50 and last["next_url"] is None


@pytest.mark.asyncio
async def test_search_filters_by_kind_authority_and_year(ds):
    rows = (await ds.client.get("/-/ofsted/search.json?q=plans&kind=improvement")).json()["rows"]
    assert rows and {r["kind"] for r in rows} == {"improvement"}
    rows = (await ds.client.get("/-/ofsted/search.json?q=plans&authority=kent")).json()["rows"]
    assert rows and {r["authority_id"] for r in rows} == {"kent"}
    rows = (await ds.client.get("/-/ofsted/search.json?q=plans&year=2017")).json()["rows"]
    assert rows and {r["start_date"][:4] for r in rows} == {"2017"}
    html = (await ds.client.get("/-/ofsted/search?q=plans&authority=kent&kind=improvement")).text
    assert '<option value="kent" selected>Kent</option>' in html and "<option selected>improvement</option>" in html
    for bad in ("kind=<script>", "authority=a%20b", "year=20x7", "_next=-1", "_next=x"):
        assert (await ds.client.get(f"/-/ofsted/search?q=plans&{bad}")).status_code == 400
