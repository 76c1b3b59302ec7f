"""One definition of a comparison: stored at ingest for consecutive pairs, read by every page and query."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from conftest import REPORTS, make_datasette, run_ingest
from fixtures import comparison_tables

from datasette_ofsted import comparisons
from datasette_ofsted.comparisons import comparison, consecutive_pairs, stored_comparison
from datasette_ofsted.findings import compare_inspections
from datasette_ofsted.pairs import improvement_key

SUTTON_REPORTS = sorted(REPORTS.glob("00[0-3]_*.txt"))  # three inspections of Sutton, four documents
LARGEST = ("manchester-2014-06-25", "manchester-2017-10-09")


def _doctor(path, statements: list[tuple[str, list]]) -> None:
    """Change a database copy (served afterwards as a mutable file, which reads its write-ahead log)."""
    conn = sqlite3.connect(path)
    with conn:
        for sql, params in statements:
            conn.execute(sql, params)
    conn.close()


def _stored_rows(path, pair: tuple[str, str]) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select count(*) from comparison_rows where comparison_id = ?", ["...".join(pair)]).fetchone()[0]
    finally:
        conn.close()


# Every stored row of a pair made resolved, which the engine never gives for all: what the pages show is then the
# stored comparison, not a recomputation.
ALL_RESOLVED = "update comparison_rows set status = 'resolved' where comparison_id = ?"


def _authorities(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("select distinct authority_id from inspections order by 1")]


@pytest.mark.asyncio
async def test_authority_json_pair_counts_equal_the_compare_json_for_every_pair(ds, bundled_db):
    pairs = 0
    for authority in _authorities(bundled_db):
        response = await ds.client.get(f"/-/ofsted/{authority}.json")
        assert response.status_code == 200
        data = response.json()
        ids = [i["id"] for i in data["inspections"]]
        assert [(p["from"], p["to"]) for p in data["pairs"]] == list(zip(ids, ids[1:]))
        for pair in data["pairs"]:
            compared = (await ds.client.get(f"/-/ofsted/compare/{pair['from']}...{pair['to']}.json")).json()
            assert pair["counts"] == compared["counts"], pair
            pairs += 1
    with sqlite3.connect(bundled_db) as conn:
        # Each authority's inspections in consecutive pairs: one fewer pair than inspections, per authority.
        expected = conn.execute("select count(*) - count(distinct authority_id) from inspections").fetchone()[0]
        assert pairs == conn.execute("select count(*) from comparisons").fetchone()[0] == expected > 20


@pytest.mark.asyncio
async def test_the_timeline_shows_the_compare_pages_counts(ds):
    """Birmingham 2014 to 2016: three concerns raised in both reports are one row each, not two."""
    counts = (await ds.client.get("/-/ofsted/compare/birmingham-2014-03-18...birmingham-2016-09-12.json")).json()[
        "counts"
    ]
    html = (await ds.client.get("/-/ofsted/birmingham")).text
    pair = html[html.index("/-/ofsted/compare/birmingham-2014-03-18...birmingham-2016-09-12") :]
    pair = pair[: pair.index("</li>")]
    assert counts["recurring"] > 0  # three concerns raised in both reports count once each
    for status, label in (("recurring", "Recurring"), ("not_revisited", "Not revisited"), ("new", "New")):
        if counts[status]:
            assert f'<span class="badge badge-{status}">{label} {counts[status]}</span>' in pair
        else:  # a status with no rows has no badge
            assert f'class="badge badge-{status}"' not in pair


@pytest.mark.asyncio
async def test_status_counts_query_counts_the_comparison_rows(ds):
    rows = (await ds.client.get("/ofsted/status_counts.json?authority=birmingham&_shape=array")).json()
    by_pair: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        by_pair.setdefault((row["from_inspection_id"], row["to_inspection_id"]), {})[row["status"]] = row["n"]
        assert row["pair"] == f"{row['from_inspection_id'][-10:]} → {row['to_inspection_id'][-10:]}"  # the dates
    assert len(by_pair) == 3
    for (earlier, later), counts in by_pair.items():
        compared = (await ds.client.get(f"/-/ofsted/compare/{earlier}...{later}.json")).json()["counts"]
        assert counts == {status: n for status, n in compared.items() if n}


def test_every_consecutive_pair_is_stored_and_equals_a_fresh_computation(bundled_db):
    conn = sqlite3.connect(bundled_db)
    for authority in _authorities(bundled_db):
        for earlier, later in consecutive_pairs(conn, authority):
            stored = stored_comparison(conn, earlier, later)
            assert stored is not None, (earlier, later)
            assert stored == compare_inspections(conn, earlier, later)


def test_a_comparison_is_stored_one_way(bundled_db):
    """The rows are the one stored form (issue 24): no JSON of the whole, no counts, no copies in the links; the
    counts the pages show are the comparison_counts view's count of the rows."""
    conn = sqlite3.connect(bundled_db)
    assert {r[1] for r in conn.execute("pragma table_info(comparisons)")} == {
        "id",
        "authority_id",
        "from_inspection_id",
        "to_inspection_id",
        "engine_version",
        "taxonomy_version",
        "computed_at",
    }
    assert not {"status", "score", "themes"} & {r[1] for r in conn.execute("pragma table_info(issue_links)")}
    assert conn.execute("select count(*) from meta where key = 'schema_version'").fetchone()[0] == 0
    for (cid,) in conn.execute("select id from comparisons").fetchall():
        stored = stored_comparison(conn, *cid.split("..."))
        rows = len(stored["rows"])
        counted = dict(conn.execute("select status, n from comparison_counts where comparison_id = ?", [cid]).fetchall())
        assert stored["counts"] == {**dict.fromkeys(stored["counts"], 0), **counted}
        statuses = conn.execute(
            "select status from comparison_rows where comparison_id = ? order by row_number", [cid]
        ).fetchall()
        assert [s for (s,) in statuses] == [row["status"] for row in stored["rows"]]
        # Every row holds an improvement, so every row has links; the links name their row.
        linked = conn.execute(
            "select count(distinct comparison_row_id) from issue_links where comparison_row_id in "
            "(select id from comparison_rows where comparison_id = ?)",
            [cid],
        ).fetchone()[0]
        assert linked == rows


def test_a_row_is_keyed_by_its_improvement_and_the_words_of_it(bundled_db):
    """A row's key is its first improvement's review key (pairs.improvement_key, the one key of an improvement)."""
    conn = sqlite3.connect(bundled_db)
    checked = 0
    for row_key, document_id, text, comparison_id, row_id in conn.execute(
        "select r.row_key, f.document_id, f.text, r.comparison_id, r.id from comparison_rows r "
        "join findings f on f.id = r.improvement_id"
    ):
        key = improvement_key({"document_id": document_id, "text": text})
        assert row_key == key or row_key.startswith(f"{key}#")  # two identical items of one document: numbered
        assert row_key.split(":")[0] == document_id
        assert row_id == f"{comparison_id}:{row_key}"
        checked += 1
    assert checked == conn.execute("select count(*) from comparison_rows").fetchone()[0] > 200


def test_row_keys_survive_a_rebuild_in_another_order(tmp_path):
    forward, backward = tmp_path / "a.db", tmp_path / "b.db"
    assert run_ingest(*map(str, SUTTON_REPORTS), "--db", str(forward)).returncode == 0
    for report in reversed(SUTTON_REPORTS):
        assert run_ingest(str(report), "--db", str(backward)).returncode == 0
    keys = comparison_tables(forward)["comparison_rows"]
    assert len(keys) > 10
    assert keys == comparison_tables(backward)["comparison_rows"]
    assert comparison_tables(forward) == comparison_tables(backward)


@pytest.mark.asyncio
async def test_the_pages_read_the_stored_comparison(bundled_copy):
    """A current stored comparison is what the pages show (here doctored, to tell it from a recomputation)."""
    path = bundled_copy()
    n = _stored_rows(path, LARGEST)
    _doctor(path, [(ALL_RESOLVED, ["...".join(LARGEST)])])
    ds = make_datasette(path, immutable=False)
    data = (await ds.client.get("/-/ofsted/compare/{}...{}.json".format(*LARGEST))).json()
    assert data["counts"]["resolved"] == n and data["counts"]["recurring"] == 0
    timeline = (await ds.client.get("/-/ofsted/manchester.json")).json()
    assert timeline["pairs"][0]["counts"]["resolved"] == n


@pytest.mark.asyncio
async def test_a_comparison_made_by_another_engine_is_served_as_stored_while_being_updated(bundled_copy):
    """Until ofsted-ingest compares it again (test_migrations), the page serves what is stored, and says so: a
    long pair compared live takes seconds, and many at once took a server down (issue 26)."""
    path = bundled_copy()
    n = _stored_rows(path, LARGEST)
    _doctor(
        path,
        [  # what an older engine said: every call resolved
            (ALL_RESOLVED, ["...".join(LARGEST)]),
            ("update comparisons set engine_version = 'an older engine' where id = ?", ["...".join(LARGEST)]),
        ],
    )
    ds = make_datasette(path, immutable=False)
    data = (await ds.client.get("/-/ofsted/compare/{}...{}.json".format(*LARGEST))).json()
    assert data["counts"]["resolved"] == n and data["counts"]["recurring"] == 0
    assert "Being updated" in data["being_updated"] and "ofsted-ingest" in data["being_updated"]


def test_live_comparisons_are_cached_until_the_data_changes(bundled_copy, monkeypatch):
    path = bundled_copy()
    calls = []

    def counted(db, earlier, later):
        calls.append((earlier, later))
        return compare_inspections(db, earlier, later)

    monkeypatch.setattr(comparisons, "compare_inspections", counted)
    conn = sqlite3.connect(path)
    pair = ("sutton-2010-03-09", "sutton-2018-06-26")  # not consecutive: never stored
    first = comparison(conn, *pair)
    again = comparison(conn, *pair)
    assert first == again and calls == [pair]
    again["rows"].clear()  # each caller gets its own copy to change
    assert comparison(conn, *pair) == first and calls == [pair]
    comparison(conn, *LARGEST)  # stored: not computed
    assert calls == [pair]
    with conn:  # a document of the pair written again
        conn.execute("update documents set ingested_at = 'later' where inspection_id = ?", [pair[1]])
    assert comparison(conn, *pair) == first and calls == [pair, pair]


def test_rewriting_a_document_forgets_its_comparisons_and_the_next_run_repairs_them(bundled_copy, bundled_db):
    """As a run killed between a document's transaction and its comparisons' leaves it."""
    path = bundled_copy()
    with sqlite3.connect(path) as conn:
        conn.execute("update documents set ingested_at = 'again' where inspection_id = 'kent-2017-03-06'")
        assert {r[0] for r in conn.execute("select id from comparisons where authority_id = 'kent'")} == {
            "kent-2022-05-09...kent-2025-11-03"
        }
        assert not conn.execute(
            "select count(*) from issue_links where 'kent-2017-03-06' in (from_inspection_id, to_inspection_id)"
        ).fetchone()[0]
    result = run_ingest(*map(str, SUTTON_REPORTS), "--db", str(path))  # held already: nothing to read
    assert result.returncode == 0, result.stderr
    assert "2 comparisons of consecutive inspections computed" in result.stdout
    assert comparison_tables(path) == comparison_tables(bundled_db)


def test_records_of_a_result_that_breaks_the_engines_promises_still_store():
    """Keys stay unique (the table's primary key) if an engine puts an improvement in two rows or
    gives a row with none, so a faulty engine cannot stop an ingest."""
    improvement = {
        "id": "x-2020-01-01-report-001",
        "document_id": "x-2020-01-01-report",
        "text": "Improve  the plans.",
        "role": "improvement",
    }
    evidence = {
        "id": "x-2022-01-01-report-002",
        "document_id": "x-2022-01-01-report",
        "text": "Plans are good.",
        "role": "evidence",
    }
    result = {
        "counts": {"recurring": 0, "resolved": 2, "not_revisited": 0, "new": 1},
        "rows": [
            {"status": "resolved", "score": 0.5, "themes": ["plans"], "from": [improvement], "to": [evidence]},
            {"status": "resolved", "score": 0.4, "themes": [], "from": [improvement], "to": []},
            {"status": "new", "score": 0.0, "themes": [], "from": [], "to": [evidence]},
        ],
    }
    stored, rows, links = comparisons.records("x", "x-2020-01-01", "x-2022-01-01", result, [], "now")
    assert stored["id"] == "x-2020-01-01...x-2022-01-01" and "resolved" not in stored and "result" not in stored
    assert [r["status"] for r in rows] == ["resolved", "resolved", "new"]
    assert json.loads(rows[0]["detail"])["from"] == [improvement] and "status" not in json.loads(rows[0]["detail"])
    key = improvement_key(improvement)
    assert key == "x-2020-01-01-report:" + hashlib.sha256(b"improve the plans.").hexdigest()[:16]
    assert [r["row_key"] for r in rows] == [key, f"{key}#2", improvement_key(evidence)]
    assert [r["improvement_id"] for r in rows] == ["x-2020-01-01-report-001", "x-2020-01-01-report-001", None]
    assert len({r["id"] for r in rows}) == 3
    assert [(link["from_finding_id"], link["to_finding_id"]) for link in links] == [
        ("x-2020-01-01-report-001", "x-2022-01-01-report-002"),
        ("x-2020-01-01-report-001", None),
    ]
