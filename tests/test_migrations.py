"""The database follows the code: migrations, the taxonomy, the engine, --reclassify and --relink."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import REPORTS, ROOT, run_ingest
from fixtures import comparison_tables

from datasette_ofsted.classify import THEMES_FILE_ENV, taxonomy_version
from datasette_ofsted.comparisons import engine_version
from ingest.load import MIGRATIONS, SCHEMA_VERSION

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette

SUTTON_REPORTS = [str(p) for p in sorted(REPORTS.glob("00[0-3]_*.txt"))]  # three inspections, two pairs
THEMES = ROOT / "datasette_ofsted" / "themes.json"
NEW_THEME = {
    "id": "return-interviews-test",
    "name": "Return home interviews (a theme added later)",
    "description": "Added by a test to show a changed taxonomy reaching a database.",
    "group": "Test",
    "cues": ["return home interview*", "missing from home"],
}


@pytest.fixture
def sutton_db(tmp_path) -> Path:
    path = tmp_path / "ofsted.db"
    result = run_ingest(*SUTTON_REPORTS, "--db", str(path))
    assert result.returncode == 0, result.stderr
    return path


def _changed_taxonomy(tmp_path: Path) -> tuple[Path, str]:
    """themes.json with a theme added and the first one dropped; returns the file and the dropped id."""
    data = json.loads(THEMES.read_text(encoding="utf-8"))
    dropped = data["themes"].pop(0)["id"]
    data["themes"].append(NEW_THEME)
    path = tmp_path / "themes.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, dropped


def _query(path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_a_new_database_records_its_migrations_and_versions(sutton_db):
    assert _query(sutton_db, "select migration_set, name from _sqlite_migrations order by id") == [
        ("datasette-ofsted", m.__name__) for m in MIGRATIONS
    ]
    meta = dict(_query(sutton_db, "select key, value from meta"))
    assert meta["schema_version"] == str(SCHEMA_VERSION) == str(len(MIGRATIONS))
    assert meta["taxonomy_version"] == taxonomy_version()
    assert set(_query(sutton_db, "select engine_version, taxonomy_version from comparisons")) == {
        (engine_version(), taxonomy_version())
    }


def test_a_database_of_the_first_schema_is_migrated_and_its_comparisons_rebuilt(sutton_db, tmp_path):
    """A database made before migrations were recorded (schema_version 1 in meta, issue_links only)."""
    expected = comparison_tables(sutton_db)
    conn = sqlite3.connect(sutton_db)
    for trigger in ("insert", "update", "delete"):
        conn.execute(f"drop trigger documents_forget_comparisons_{trigger}")
    conn.executescript(
        """
        drop view comparison_counts; drop table comparison_rows; drop table comparisons;
        drop table _sqlite_migrations; drop index idx_issue_links_comparison_row_id;
        alter table issue_links drop column comparison_row_id;
        update meta set value = '1' where key = 'schema_version'; delete from meta where key = 'taxonomy_version';
        """
    )
    conn.close()
    result = run_ingest(*SUTTON_REPORTS, "--db", str(sutton_db))  # every file held already
    assert result.returncode == 0, result.stderr
    assert "0 ingested, 4 skipped" in result.stdout
    assert [name for (name,) in _query(sutton_db, "select name from _sqlite_migrations order by id")] == [
        m.__name__ for m in MIGRATIONS
    ]
    assert comparison_tables(sutton_db) == expected


def test_a_database_from_a_newer_version_is_refused(sutton_db):
    conn = sqlite3.connect(sutton_db)
    with conn:
        conn.execute(
            "insert into _sqlite_migrations (migration_set, name, applied_at) "
            "values ('datasette-ofsted', 'm999_from_the_future', 'later')"
        )
    conn.close()
    result = run_ingest(*SUTTON_REPORTS, "--db", str(sutton_db))
    assert result.returncode == 2
    assert "m999_from_the_future" in result.stderr and "newer version" in result.stderr


def test_a_changed_taxonomy_reaches_an_existing_database(sutton_db, tmp_path):
    themes_file, dropped = _changed_taxonomy(tmp_path)
    env = {**os.environ, THEMES_FILE_ENV: str(themes_file)}
    assert _query(sutton_db, "select count(*) from finding_themes where theme_id = ?", [dropped])[0][0] > 0
    result = run_ingest(*SUTTON_REPORTS, "--db", str(sutton_db), env=env)  # nothing new to read
    assert result.returncode == 0, result.stderr
    assert "2 comparisons of consecutive inspections computed" in result.stdout

    assert _query(sutton_db, "select name from themes where id = ?", [NEW_THEME["id"]]) == [(NEW_THEME["name"],)]
    assert _query(sutton_db, "select count(*) from themes where id = ?", [dropped]) == [(0,)]
    assert _query(sutton_db, "select count(*) from finding_themes where theme_id = ?", [dropped]) == [(0,)]
    assert _query(sutton_db, "select count(*) from finding_themes where theme_id = ?", [NEW_THEME["id"]])[0][0] > 0
    assert (
        _query(
            sutton_db,
            "select count(*) from finding_sentences where ' ' || themes || ' ' like ?",
            [f"% {NEW_THEME['id']} %"],
        )[0][0]
        > 0
    )
    versions = {v for (v,) in _query(sutton_db, "select distinct taxonomy_version from comparisons")}
    assert len(versions) == 1 and versions != {taxonomy_version()}
    assert _query(sutton_db, "select value from meta where key = 'taxonomy_version'") == [(versions.pop(),)]
    assert any(NEW_THEME["id"] in themes for (themes,) in _query(sutton_db, "select themes from comparison_rows"))

    # The database now holds what a fresh ingest with the new taxonomy makes.
    fresh = tmp_path / "fresh.db"
    assert run_ingest(*SUTTON_REPORTS, "--db", str(fresh), env=env).returncode == 0
    for table in ("finding_themes", "finding_sentences", "themes"):
        sql = f"select * from {table} order by 1, 2"
        assert _query(sutton_db, sql) == _query(fresh, sql), table
    assert _query(sutton_db, "select id, polarity from findings order by id") == _query(
        fresh, "select id, polarity from findings order by id"
    )
    assert comparison_tables(sutton_db) == comparison_tables(fresh)


def test_a_comparison_made_by_another_engine_is_recomputed_at_the_next_run(sutton_db):
    expected = comparison_tables(sutton_db)
    conn = sqlite3.connect(sutton_db)
    with conn:
        conn.execute("update comparisons set engine_version = 'an older engine', recurring = 999")
    conn.close()
    result = run_ingest(*SUTTON_REPORTS, "--db", str(sutton_db))
    assert result.returncode == 0, result.stderr
    assert "2 comparisons of consecutive inspections computed" in result.stdout
    assert comparison_tables(sutton_db) == expected


def test_relink_recomputes_every_comparison_and_reads_no_report(sutton_db):
    expected = comparison_tables(sutton_db)
    conn = sqlite3.connect(sutton_db)
    with conn:
        conn.execute("update comparisons set computed_at = 'long ago'")
        conn.execute("delete from issue_links where rowid % 2 = 0")
    conn.close()
    result = run_ingest("--relink", "--db", str(sutton_db))  # no PATHS: the bundled reports are not read
    assert result.returncode == 0, result.stderr
    assert "2 comparisons of consecutive inspections computed again" in result.stdout
    assert _query(sutton_db, "select count(*) from documents") == [(4,)]
    assert _query(sutton_db, "select count(*) from comparisons where computed_at = 'long ago'") == [(0,)]
    assert comparison_tables(sutton_db) == expected


def test_reclassify_restores_the_classification_from_the_text(sutton_db):
    sql = {
        "themes": "select * from finding_themes order by 1, 2",
        "sentences": "select * from finding_sentences order by 1, 2",
        "polarity": "select id, polarity from findings order by id",
    }
    expected = {name: _query(sutton_db, q) for name, q in sql.items()}
    comparisons = comparison_tables(sutton_db)
    conn = sqlite3.connect(sutton_db)
    with conn:
        conn.execute("delete from finding_themes where rowid % 3 = 0")
        conn.execute("update finding_sentences set themes = '', stems = 'x'")
        conn.execute("update findings set polarity = 'neutral' where kind = 'finding'")
    conn.close()
    result = run_ingest("--reclassify", "--db", str(sutton_db))
    assert result.returncode == 0, result.stderr
    findings = _query(sutton_db, "select count(*) from findings")[0][0]
    assert f"{findings} findings classified again" in result.stdout
    assert {name: _query(sutton_db, q) for name, q in sql.items()} == expected
    assert comparison_tables(sutton_db) == comparisons


def test_an_lscb_list_stored_as_plain_findings_becomes_the_boards_improvements(tmp_path):
    """Ingests before m004 stored an LSCB's recommendations as plain findings, and a file held
    already is not read again: the migration marks them as the board's improvements (Kent 2017's
    six, paragraphs 88-93), its verdict and the authority's own list untouched."""
    path = tmp_path / "ofsted.db"
    kent = str(REPORTS / "2763794.pdf")
    assert run_ingest(kent, "--db", str(path)).returncode == 0
    board = "select paragraph from findings where about = 'LSCB' and kind = 'improvement' order by ordinal"
    authority = "select id, kind, polarity from findings where about = 'authority' order by id"
    expected, expected_authority = _query(path, board), _query(path, authority)
    assert [p for (p,) in expected] == [88, 89, 90, 91, 92, 93]
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "update findings set kind = 'finding', polarity = 'neutral' where about = 'LSCB' and kind = 'improvement'"
        )
        conn.execute("delete from _sqlite_migrations where name = 'm004_lscb_lists_are_the_boards_improvements'")
        conn.execute("drop index if exists idx_findings_about_kind")
    conn.close()
    assert _query(path, board) == []
    result = run_ingest(kent, "--db", str(path))  # the file is held: only the migration changes anything
    assert result.returncode == 0, result.stderr
    assert _query(path, board) == expected
    assert _query(path, authority) == expected_authority
    assert {
        p for (p,) in _query(path, "select polarity from findings where about = 'LSCB' and kind = 'improvement'")
    } == {"negative"}
