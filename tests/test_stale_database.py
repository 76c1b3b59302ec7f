"""Today's plugin serving a database an older release built (unmigrated) or whose stored comparisons are out of date:
pages and canned queries say what to do, never an SQL error, and no request compares the whole archive."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from conftest import make_datasette

from datasette_ofsted import comparisons
from datasette_ofsted.comparisons import OLDER_RELEASE

# Canned queries that read the stored comparisons (what schema step 2 added).
READS_STORED = ["status_counts?authority=sutton", "what_recurs?authority=sutton", "recurring_themes"]

# A database as a release before stored comparisons left it (schema_version 1).
UNMIGRATE = """
drop trigger documents_forget_comparisons_insert; drop trigger documents_forget_comparisons_update;
drop trigger documents_forget_comparisons_delete;
drop view comparison_counts; drop table comparison_rows; drop table comparisons;
drop table _sqlite_migrations; drop index idx_issue_links_comparison_row_id;
alter table issue_links drop column comparison_row_id;
drop index idx_documents_parser_version; alter table documents drop column parser_version;
update meta set value = '1' where key = 'schema_version';
"""


@pytest.fixture
def unmigrated(bundled_copy) -> Path:
    path = bundled_copy()
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(UNMIGRATE)
    return path


@pytest.mark.asyncio
async def test_canned_queries_on_an_unmigrated_database_say_to_run_ofsted_ingest(unmigrated):
    ds = make_datasette(unmigrated)
    await ds.invoke_startup()
    for query in READS_STORED:
        response = await ds.client.get(f"/ofsted/{query.replace('?', '.json?') if '?' in query else query + '.json'}")
        assert response.status_code == 200, (query, response.text[:300])
        assert OLDER_RELEASE in response.text and "no such" not in response.text
        page = await ds.client.get(f"/ofsted/{query}")
        assert page.status_code == 200 and "run ofsted-ingest to update it" in page.text
    # A query that needs nothing new still answers.
    grades = await ds.client.get("/ofsted/grades_over_time.json?authority=sutton")
    assert grades.status_code == 200 and OLDER_RELEASE not in grades.text


@pytest.mark.asyncio
async def test_canned_queries_and_pages_on_a_current_database_are_the_real_ones(ds):
    response = await ds.client.get("/ofsted/status_counts.json?authority=sutton&_shape=array")
    assert response.status_code == 200 and OLDER_RELEASE not in response.text and response.json()
    assert "run ofsted-ingest to update it" not in (await ds.client.get("/-/ofsted")).text


def counting(monkeypatch) -> list[tuple[str, str]]:
    """Record every pair the engine compares live."""
    calls: list[tuple[str, str]] = []
    real = comparisons.compare_inspections

    def counted(db, earlier, later):
        calls.append((earlier, later))
        return real(db, earlier, later)

    monkeypatch.setattr(comparisons, "compare_inspections", counted)
    return calls


def never_compared(monkeypatch) -> None:
    """Fail the test if the engine compares a pair live."""

    def never(*_args):
        raise AssertionError("a page of many pairs compared a pair live")

    monkeypatch.setattr(comparisons, "compare_inspections", never)


@pytest.mark.asyncio
async def test_pages_of_many_pairs_compare_none_on_an_unmigrated_database(unmigrated, monkeypatch):
    ds = make_datasette(unmigrated)
    await ds.invoke_startup()
    never_compared(monkeypatch)
    national = await ds.client.get("/-/ofsted/national.json")
    assert national.status_code == 200
    notice = national.json()["being_updated"]
    assert notice["pairs"] > 1 and "ofsted-ingest" in notice["message"]
    assert "Being updated" in (await ds.client.get("/-/ofsted/national")).text
    timeline = (await ds.client.get("/-/ofsted/manchester.json")).json()
    assert len(timeline["pairs"]) > 2 and all(p["being_updated"] for p in timeline["pairs"])
    assert "being updated" in (await ds.client.get("/-/ofsted/manchester")).text
    # Every page of the plugin says what to do.
    for page in ("/-/ofsted", "/-/ofsted/manchester", "/-/ofsted/national", "/-/ofsted/search?q=plan"):
        assert "run ofsted-ingest to update it" in (await ds.client.get(page)).text, page


@pytest.mark.asyncio
async def test_the_compare_page_computes_its_one_pair_when_nothing_is_stored(unmigrated, monkeypatch):
    calls = counting(monkeypatch)
    ds = make_datasette(unmigrated)
    data = (await ds.client.get("/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26.json")).json()
    assert calls == [("sutton-2013-05-13", "sutton-2018-06-26")] and data["rows"] and data["being_updated"] is None


@pytest.mark.asyncio
async def test_out_of_date_stored_comparisons_are_served_as_stored_while_being_updated(bundled_copy, monkeypatch):
    path = bundled_copy()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("update comparisons set engine_version = 'an-older-engine'")
    never_compared(monkeypatch)
    ds = make_datasette(path)
    data = (await ds.client.get("/-/ofsted/manchester.json")).json()
    assert data["pairs"] and all(p["being_updated"] and sum(p["counts"].values()) > 0 for p in data["pairs"])
    pair = "/-/ofsted/compare/{from}...{to}".format(**data["pairs"][0])
    compared = (await ds.client.get(pair + ".json")).json()
    assert compared["rows"] and "Being updated" in compared["being_updated"]
    assert "Being updated" in (await ds.client.get(pair)).text


@pytest.mark.asyncio
async def test_pages_being_updated_are_read_once_until_a_pair_is_compared_live(unmigrated, monkeypatch):
    """Under 40 clients a stale archive's timelines and national page, read afresh at every request, took seconds;
    they are kept like any other read, and a pair the compare page has just compared shows at the next request."""
    from datasette_ofsted import cache

    cache.clear()
    comparisons._CACHE.clear()
    ds = make_datasette(unmigrated)
    await ds.invoke_startup()
    pages = ("/-/ofsted/manchester.json", "/-/ofsted/national.json")
    first = {page: (await ds.client.get(page)).json() for page in pages}
    assert all(p["being_updated"] for p in first["/-/ofsted/manchester.json"]["pairs"])
    misses = cache._KEPT.misses
    for page in pages:
        assert (await ds.client.get(page)).json() == first[page]
    assert cache._KEPT.misses == misses, "a page being updated read the database again"
    pair = first["/-/ofsted/manchester.json"]["pairs"][0]
    calls = counting(monkeypatch)
    assert (await ds.client.get("/-/ofsted/compare/{from}...{to}.json".format(**pair))).status_code == 200
    assert calls == [(pair["from"], pair["to"])]
    timeline = (await ds.client.get("/-/ofsted/manchester.json")).json()
    assert not timeline["pairs"][0]["being_updated"] and all(p["being_updated"] for p in timeline["pairs"][1:])
    national = (await ds.client.get("/-/ofsted/national.json")).json()
    assert national["being_updated"]["pairs"] == first["/-/ofsted/national.json"]["being_updated"]["pairs"] - 1
