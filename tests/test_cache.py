"""What the pages keep in memory (datasette_ofsted/cache.py) is kept only while the database holds the same data:
another process's commit, a file replaced under the same name, a reviewer's call each show at the next request."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from conftest import make_datasette
from datasette.app import Datasette

from datasette_ofsted import cache
from datasette_ofsted.permissions import TABLES, resource_permissions
from datasette_ofsted.reviews import create_reviews_database, insert_review, now, review_row

# Consecutive inspections (the timeline and the national page count consecutive pairs only: the bundled reports
# hold Sutton 2016 between 2013 and 2018).
PAIR = "sutton-2016-11-14...sutton-2018-06-26"


def _in_another_process(db_path, *statements: tuple[str, list]) -> None:
    """A write as ofsted-ingest makes one: another process, its own connection, one transaction."""
    code = (
        "import json, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nwith c:\n"
        "    for sql, params in json.loads(sys.argv[2]): c.execute(sql, params)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(db_path), json.dumps(statements)], check=True, timeout=60)


@pytest.mark.asyncio
async def test_pages_keep_their_reads_while_the_database_is_unchanged(bundled_db):
    cache.clear()
    ds = make_datasette(bundled_db)
    await ds.invoke_startup()
    for path in ("/-/ofsted.json", f"/-/ofsted/compare/{PAIR}.json", "/-/ofsted/sutton.json"):
        first = await ds.client.get(path)
        misses = cache._KEPT.misses
        second = await ds.client.get(path)
        assert first.status_code == second.status_code == 200
        assert second.json() == first.json()
        assert cache._KEPT.misses == misses, f"{path}: the second request read the database again"


@pytest.mark.asyncio
async def test_a_commit_by_another_process_shows_at_the_next_request(bundled_copy):
    path = bundled_copy()
    ds = make_datasette(path, immutable=False)
    await ds.invoke_startup()
    before = (await ds.client.get("/-/ofsted.json")).json()
    assert any(a["id"] == "sutton" and a["name"] == "Sutton" for a in before["authorities"])
    compared = (await ds.client.get(f"/-/ofsted/compare/{PAIR}.json")).json()
    finding = compared["rows"][0]["from"][0]

    _in_another_process(path, ("update authorities set name = ? where id = ?", ["Sutton (renamed)", "sutton"]))
    # A document read again: its findings rewritten, and its ingested_at with them, in one transaction.
    _in_another_process(
        path,
        ("update findings set text = ? where id = ?", ["A text changed by a reread.", finding["id"]]),
        ("update documents set ingested_at = ? where id = ?", ["2099-01-01T00:00:00", finding["document_id"]]),
    )

    after = (await ds.client.get("/-/ofsted.json")).json()
    assert any(a["id"] == "sutton" and a["name"] == "Sutton (renamed)" for a in after["authorities"])
    recompared = (await ds.client.get(f"/-/ofsted/compare/{PAIR}.json")).json()
    texts = {f["id"]: f["text"] for row in recompared["rows"] for side in ("from", "to") for f in row[side]}
    assert texts[finding["id"]] == "A text changed by a reread."


@pytest.mark.asyncio
async def test_a_database_replaced_under_the_same_name_is_read_afresh(bundled_db, tmp_path):
    path = tmp_path / "ofsted.db"
    shutil.copy(bundled_db, path)
    ds = make_datasette(path)
    await ds.invoke_startup()
    assert "Sutton" in {a["name"] for a in (await ds.client.get("/-/ofsted.json")).json()["authorities"]}

    rebuilt = tmp_path / "rebuilt.db"
    shutil.copy(bundled_db, rebuilt)
    with sqlite3.connect(rebuilt) as conn:
        conn.execute("update authorities set name = 'London Borough of Sutton' where id = 'sutton'")
    conn.close()
    os.replace(rebuilt, path)  # as a rebuild published over the old file: a new inode, the same name

    ds = make_datasette(path)
    await ds.invoke_startup()
    names = {a["name"] for a in (await ds.client.get("/-/ofsted.json")).json()["authorities"]}
    assert "London Borough of Sutton" in names and "Sutton" not in names


@pytest.mark.asyncio
async def test_a_review_shows_at_once_on_the_compare_timeline_and_national_pages(bundled_copy):
    """The comparisons and recurring rows pages keep are kept against the reviews database's version too."""
    path = bundled_copy()
    reviews = create_reviews_database(path)
    ds = Datasette(
        [str(reviews)], immutables=[str(path)], metadata={"plugins": {"datasette-ofsted": {"public_reviews": True}}}
    )
    await ds.invoke_startup()
    compared = (await ds.client.get(f"/-/ofsted/compare/{PAIR}.json")).json()
    row = next(r for r in compared["rows"] if r["status"] == "recurring")
    side = "from" if any(f["role"] == "improvement" for f in row["from"]) else "to"
    improvement = next(f for f in row[side] if f["role"] == "improvement")
    pages = {p: (await ds.client.get(p)).text for p in ("/-/ofsted/sutton.json", "/-/ofsted/national.json")}

    with sqlite3.connect(reviews) as conn:  # a connection of its own, as another server process would write
        earlier, later = PAIR.split("...")
        insert_review(
            conn,
            review_row("sutton", earlier, later, row, side, improvement, "resolved", "seen fixed", "reviewer", now()),
        )
    conn.close()

    after = (await ds.client.get(f"/-/ofsted/compare/{PAIR}.json")).json()
    reviewed = next(r for r in after["rows"] if any(f["id"] == improvement["id"] for f in r[side]))
    assert reviewed["status"] == "resolved" and reviewed["review"]["note"] == "seen fixed"
    for page, before in pages.items():
        assert (await ds.client.get(page)).text != before, f"{page} still shows the call before the review"


@pytest.mark.asyncio
async def test_a_page_asks_each_permission_once(ds):
    """0.65: each table's check, the database's and the instance's, asked once a request (the database's and the
    instance's were asked again for every table: 33 calls of the permission hooks for one page)."""
    if resource_permissions(ds):
        pytest.skip("Datasette 1.0a keeps its own answers per request")
    ds._permission_checks.clear()
    assert (await ds.client.get(f"/-/ofsted/compare/{PAIR}.json")).status_code == 200
    asked = [(c["action"], c["resource"]) for c in ds._permission_checks]
    assert len(asked) == len(set(asked)), "a permission was asked twice in one request"
    assert sorted(r[1] for a, r in asked if a == "view-table" and r[0] == "ofsted") == sorted(TABLES)


async def _fresh(db_path, immutable: bool = True) -> Datasette:
    """A Datasette serving the database (immutably unless asked), with nothing kept from another test."""
    cache.clear()
    ds = make_datasette(db_path, immutable=immutable)
    await ds.invoke_startup()
    return ds


def _calls(monkeypatch, module, name: str) -> list[tuple]:
    """Every call of `module.name` from now on (its arguments), the function still doing its work."""
    calls: list[tuple] = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.asyncio
async def test_requests_that_want_the_same_read_at_once_make_it_once(bundled_db, monkeypatch):
    """Under 40 clients every request before the first national page was done read the whole archive again."""
    import asyncio

    from datasette_ofsted.views import national

    ds = await _fresh(bundled_db)
    reads = _calls(monkeypatch, national, "_recurring")
    responses = await asyncio.gather(*(ds.client.get("/-/ofsted/national.json") for _ in range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    assert len(reads) == 1


@pytest.mark.asyncio
async def test_a_read_that_fails_is_made_again_by_those_waiting_for_it(bundled_db):
    import asyncio

    cache.clear()
    ds = make_datasette(bundled_db)
    db = ds.get_database("ofsted")
    calls = []

    async def read():
        calls.append(1)
        await asyncio.sleep(0.01)
        if len(calls) == 1:
            raise RuntimeError("the first read failed")
        return "read"

    results = await asyncio.gather(*(cache.kept(db, ("a test read",), read) for _ in range(3)), return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and results[1:] == ["read", "read"]
    assert len(calls) == 2  # the first waiter made it again; the second waited for that


@pytest.mark.asyncio
async def test_the_national_page_counts_its_themes_once_for_each_filter(bundled_db, monkeypatch):
    """Counting every pair of every theme and encoding them was 50 ms of the event loop a request on the archive."""
    from datasette_ofsted.views import national

    ds = await _fresh(bundled_db)
    counted = _calls(monkeypatch, national, "recurring_themes")
    for _ in range(2):
        for path in ("/-/ofsted/national.json", "/-/ofsted/national", "/-/ofsted/national?year=2018"):
            assert (await ds.client.get(path)).status_code == 200, path
    assert len(counted) == 2  # England, then 2018; the page and its JSON share a count
    # A year no inspection was in is answered but not kept: hostile filters cannot fill memory.
    for _ in range(2):
        assert (await ds.client.get("/-/ofsted/national.json?year=1999")).status_code == 200
    assert len(counted) == 4


@pytest.mark.asyncio
async def test_an_inspection_committed_while_a_timeline_is_being_read_is_no_error(bundled_copy, monkeypatch):
    """A timeline's first reading is a dozen reads, and ofsted-ingest may commit between two of them (the README
    invites ingesting while serving): its judgements and documents, read after the commit, named an inspection its
    list of inspections, read before, did not hold (a KeyError: HTTP 500)."""
    from datasette_ofsted.views import common

    path = bundled_copy()
    ds = await _fresh(path, immutable=False)
    read = common._rows
    committed = []

    async def commit_after_the_inspections_are_read(db, sql, params=None):
        rows = await read(db, sql, params)
        if not committed and sql.startswith("select i.*") and "where i.authority_id = ?" in sql:
            committed.append(params)
            _in_another_process(
                path,
                (
                    "insert into inspections (id, authority_id, inspection_type, framework, start_date) "
                    "values (?, ?, ?, ?, ?)",
                    ["sutton-2026-11-02", "sutton", "focused visit", "ILACS", "2026-11-02"],
                ),
                (
                    "insert into judgements (id, inspection_id, area, grade, ordinal) values (?, ?, ?, ?, ?)",
                    ["sutton-2026-11-02-j1", "sutton-2026-11-02", "overall", "good", 1],
                ),
                (
                    "insert into documents (id, inspection_id, kind, title) values (?, ?, ?, ?)",
                    ["sutton-2026-11-02-d1", "sutton-2026-11-02", "report", "A report ingested meanwhile"],
                ),
            )
        return rows

    monkeypatch.setattr(common, "_rows", commit_after_the_inspections_are_read)
    during = await ds.client.get("/-/ofsted/sutton.json")
    assert committed and during.status_code == 200, during.text[:500]
    assert "sutton-2026-11-02" not in [i["id"] for i in during.json()["inspections"]]  # read before it was there
    monkeypatch.setattr(common, "_rows", read)
    after = await ds.client.get("/-/ofsted/sutton.json")
    assert after.status_code == 200 and [i["id"] for i in after.json()["inspections"]][-1] == "sutton-2026-11-02"


@pytest.mark.asyncio
async def test_a_reading_made_from_rows_read_before_a_commit_is_not_kept_as_the_new_data(bundled_copy, monkeypatch):
    """A timeline is read with the authority's row the page read first. When ofsted-ingest commits between the two,
    the timeline (made at the new version, with the old row in it) was kept as the new version's: the old name
    showed on every later request until the next change. It is now given to that request alone."""
    from datasette_ofsted.views import authority

    path = bundled_copy()
    ds = await _fresh(path, immutable=False)
    held = authority._held_authority
    renamed = []

    async def renamed_once_read(db, authority_id):
        found = await held(db, authority_id)
        if not renamed:
            renamed.append(authority_id)
            _in_another_process(path, ("update authorities set name = ? where id = ?", ["Sutton (renamed)", "sutton"]))
        return found

    monkeypatch.setattr(authority, "_held_authority", renamed_once_read)
    during = await ds.client.get("/-/ofsted/sutton.json")
    assert renamed and during.status_code == 200
    assert during.json()["authority"]["name"] == "Sutton"  # read before the commit: this request's own reading
    after = await ds.client.get("/-/ofsted/sutton.json")
    assert after.json()["authority"]["name"] == "Sutton (renamed)"
    page = await ds.client.get("/-/ofsted/sutton")
    assert "Sutton (renamed)" in page.text
