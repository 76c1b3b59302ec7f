"""Databases made by release 0.1.0 open with today's code: migrated by sqlite-utils' migrations, no review lost.

tests/fixtures/release-0.1.0/ holds an ofsted.db and an ofsted_reviews.db made by 0.1.0's own code
(tests/fixtures/make_release_0_1_0.py says how): three Sutton reports, two reviews of the 2010...2013
pair. 0.1.0 recorded three steps of ofsted.db in `_sqlite_migrations` and none of the reviews
database, whose table had no hash chain yet.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from conftest import METADATA, ROOT, run_ingest
from datasette.app import Datasette

from datasette_ofsted.reviews import REVIEWS_MIGRATIONS, improvement_key, verify_chain
from ingest.load import MIGRATIONS

RELEASE = ROOT / "tests" / "fixtures" / "release-0.1.0"
PAIR = "sutton-2010-03-09...sutton-2013-05-13"
# The reviews 0.1.0 recorded: the reviewer's call on two of the 2010 letter's improvements.
REVIEWED = {"resolved"}


@pytest.fixture
def old_release(tmp_path) -> Path:
    """A copy of the old release's two files (the fixtures stay as 0.1.0 left them)."""
    for name in ("ofsted.db", "ofsted_reviews.db"):
        shutil.copy(RELEASE / name, tmp_path / name)
    return tmp_path


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _reviews(folder: Path) -> list[tuple]:
    return _rows(folder / "ofsted_reviews.db", "select id, item_key, side, status, note, actor_id, at from reviews")


async def _serve(folder: Path) -> Datasette:
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    metadata.setdefault("plugins", {})["datasette-ofsted"] = {"reviewers": {"id": ["alice"]}}
    datasette = Datasette(
        [str(folder / "ofsted_reviews.db")], immutables=[str(folder / "ofsted.db")], metadata=metadata
    )
    await datasette.invoke_startup()
    return datasette


def test_the_fixture_is_as_release_0_1_0_left_it():
    """What the other tests migrate: three steps recorded the old way, reviews without their chain."""
    assert [name for (name,) in _rows(RELEASE / "ofsted.db", "select name from _sqlite_migrations order by id")] == [
        "m001_initial_schema",
        "m002_stored_comparisons",
        "m003_every_authority",
    ]
    assert "parser_version" not in {r[1] for r in _rows(RELEASE / "ofsted.db", "pragma table_info(documents)")}
    assert "hash" not in {r[1] for r in _rows(RELEASE / "ofsted_reviews.db", "pragma table_info(reviews)")}
    assert _rows(
        RELEASE / "ofsted_reviews.db", "select count(*) from sqlite_master where name = '_sqlite_migrations'"
    ) == [(0,)]
    assert len(_reviews(RELEASE)) == 2


def test_an_ingest_migrates_both_databases_of_0_1_0_without_losing_a_review(old_release):
    before = _reviews(old_release)
    result = run_ingest(
        str(ROOT / "data" / "reports" / "000_aacd069290608c33.txt"), "--db", str(old_release / "ofsted.db")
    )
    assert result.returncode == 0, result.stderr
    ofsted, reviews = old_release / "ofsted.db", old_release / "ofsted_reviews.db"
    # The old records kept (with their times), the later steps recorded by sqlite-utils after them.
    recorded = _rows(ofsted, "select migration_set, name, applied_at from _sqlite_migrations order by id")
    assert [name for _, name, _ in recorded] == MIGRATIONS.names()
    assert {s for s, _, _ in recorded} == {"datasette-ofsted"}
    assert [at[:10] for _, _, at in recorded[:3]] == [
        at[:10] for (at,) in _rows(RELEASE / "ofsted.db", "select applied_at from _sqlite_migrations order by id")
    ]
    assert [name for (name,) in _rows(reviews, "select name from _sqlite_migrations order by id")] == (
        REVIEWS_MIGRATIONS.names()
    )
    # Every review kept as written, now chained; the guards hold.
    assert [r[:7] for r in _reviews(old_release)] == before
    conn = sqlite3.connect(reviews)
    assert verify_chain(conn) == {"intact": True, "reviews": 2, "broken_at": None, "reason": None}
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("update reviews set status = 'new'")
    conn.close()
    # The documents 0.1.0 read are read again (found where they were ingested from) and the
    # reviewed improvements are still there under the same keys.
    assert _rows(ofsted, "select count(*) from documents where parser_version is null") == [(0,)]
    keys = {
        improvement_key({"document_id": d, "text": t})
        for d, t in _rows(ofsted, "select document_id, text from findings")
    }
    assert {key for _, key, *_ in before} <= keys
    # A second run finds nothing to migrate.
    again = run_ingest(str(ROOT / "data" / "reports" / "000_aacd069290608c33.txt"), "--db", str(ofsted))
    assert again.returncode == 0, again.stderr
    assert len(_rows(ofsted, "select * from _sqlite_migrations")) == len(MIGRATIONS.names())


@pytest.mark.asyncio
async def test_the_pages_answer_over_the_migrated_databases_with_the_reviews_applied(old_release):
    result = run_ingest(
        str(ROOT / "data" / "reports" / "000_aacd069290608c33.txt"), "--db", str(old_release / "ofsted.db")
    )
    assert result.returncode == 0, result.stderr
    await _pages_answer_with_the_reviews(await _serve(old_release))


async def _pages_answer_with_the_reviews(datasette: Datasette) -> None:
    for path in ("/-/ofsted", "/-/ofsted/sutton", f"/-/ofsted/compare/{PAIR}"):
        assert (await datasette.client.get(path)).status_code == 200, path
    data = (await datasette.client.get(f"/-/ofsted/compare/{PAIR}.json")).json()
    reviewed = [row for row in data["rows"] if row.get("review")]
    assert len(reviewed) == 2
    assert {row["status"] for row in reviewed} == REVIEWED
    assert {row["auto_status"] for row in reviewed} != REVIEWED  # the reviewer's call, not the engine's


@pytest.mark.asyncio
async def test_served_as_0_1_0_left_them_the_reviews_are_migrated_at_startup_and_the_pages_answer(old_release):
    """Datasette alone (no ingest): the writable reviews database is migrated when the plugin starts;
    the ofsted database, served immutable, is not touched, and its pages answer with the reviews."""
    before = _reviews(old_release)
    datasette = await _serve(old_release)
    assert [r[:7] for r in _reviews(old_release)] == before
    assert verify_chain(sqlite3.connect(old_release / "ofsted_reviews.db"))["intact"]
    await _pages_answer_with_the_reviews(datasette)
    assert _rows(old_release / "ofsted.db", "select count(*) from _sqlite_migrations") == [(3,)]
