"""The database follows the code: migrations, the taxonomy, the engine, --reclassify and --relink."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import REPORTS, ROOT, run_ingest
from fixtures import comparison_tables

from datasette_ofsted.classify import THEMES_FILE_ENV, taxonomy_version
from datasette_ofsted.comparisons import engine_version
from datasette_ofsted.reviews import COLUMNS as REVIEW_COLUMNS
from datasette_ofsted.reviews import create_reviews_database, improvement_key, insert_review
from ingest.load import MIGRATIONS
from ingest.versions import parser_version

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
        ("datasette-ofsted", name) for name in MIGRATIONS.names()
    ]
    meta = dict(_query(sutton_db, "select key, value from meta"))
    assert "schema_version" not in meta  # _sqlite_migrations is the record
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
        insert into meta values ('schema_version', '1'); delete from meta where key = 'taxonomy_version';
        """
    )
    conn.close()
    result = run_ingest(*SUTTON_REPORTS, "--db", str(sutton_db))  # every file held already
    assert result.returncode == 0, result.stderr
    assert "0 ingested, 4 skipped" in result.stdout
    assert [
        name for (name,) in _query(sutton_db, "select name from _sqlite_migrations order by id")
    ] == MIGRATIONS.names()
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


# The database follows the parser too: each document records the parser that read it


def _readings(path: Path) -> dict[str, list[tuple]]:
    """What the parser read, as comparable rows: documents (but when each was ingested), judgements, findings,
    their themes and sentences, and the stored comparisons."""
    conn = sqlite3.connect(path)
    try:
        documents = conn.execute("select * from documents order by id").fetchall()
        names = [c[0] for c in conn.execute("select * from documents limit 0").description]
        out = {
            "documents": [tuple(v for k, v in zip(names, row) if k != "ingested_at") for row in documents],
            "inspections": conn.execute("select * from inspections order by id").fetchall(),
            "judgements": conn.execute("select * from judgements order by id").fetchall(),
            "findings": conn.execute("select * from findings order by id").fetchall(),
            "finding_themes": conn.execute("select * from finding_themes order by 1, 2").fetchall(),
            "finding_sentences": conn.execute("select * from finding_sentences order by 1, 2").fetchall(),
        }
    finally:
        conn.close()
    return {**out, **comparison_tables(path)}


def _an_older_parser_read(path: Path) -> None:
    """The database as an older parser left it: another version recorded, one finding not read, one read
    differently, a judgement graded otherwise and a date read wrong (its document under another inspection)."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("update documents set parser_version = 'an older parser'")
        first, second = conn.execute(
            "select id from findings where kind = 'improvement' order by id limit 2"
        ).fetchall()
        conn.execute("delete from finding_themes where finding_id = ?", first)
        conn.execute("delete from finding_sentences where finding_id = ?", first)
        conn.execute("delete from issue_links where from_finding_id = ? or to_finding_id = ?", first * 2)
        conn.execute("delete from findings where id = ?", first)
        conn.execute("update findings set text = text || ' (read wrongly)' where id = ?", second)
        conn.execute("update judgements set grade = 'misread' where id = (select min(id) from judgements)")
    conn.close()


def test_documents_read_by_an_older_parser_are_read_again_from_their_files(sutton_db):
    expected = _readings(sutton_db)
    reviews = create_reviews_database(sutton_db)
    with sqlite3.connect(sutton_db) as conn:
        document_id, text = conn.execute(
            "select document_id, text from findings where kind = 'improvement' order by id desc limit 1"
        ).fetchone()
    review = {c: "" for c in REVIEW_COLUMNS} | {"item_key": improvement_key({"document_id": document_id, "text": text})}
    insert_review(sqlite3.connect(reviews), review)
    _an_older_parser_read(sutton_db)
    assert _readings(sutton_db) != expected
    # The next ingest of any file reads the others again too: their files are where they were ingested from.
    result = run_ingest(SUTTON_REPORTS[0], "--db", str(sutton_db))
    assert result.returncode == 0, result.stderr
    assert "4 ingested" in result.stdout
    assert _readings(sutton_db) == expected
    assert _query(sutton_db, "select distinct parser_version from documents") == [(parser_version(),)]
    # The review is attached to its improvement by its key, as before.
    with sqlite3.connect(reviews) as conn:
        assert conn.execute("select item_key from reviews").fetchall() == [(review["item_key"],)]
    keys = {
        improvement_key({"document_id": d, "text": t})
        for d, t in _query(sutton_db, "select document_id, text from findings")
    }
    assert review["item_key"] in keys
    # Read by the running parser: the next run reads nothing again.
    again = run_ingest(SUTTON_REPORTS[0], "--db", str(sutton_db))
    assert "0 ingested, 1 skipped" in again.stdout


def test_a_date_an_older_parser_read_wrong_leaves_no_trace_once_read_again(sutton_db):
    expected = _readings(sutton_db)
    conn = sqlite3.connect(sutton_db)
    with conn:  # the 2018 report filed under a date it does not hold, as an older parser might have read it
        conn.execute("pragma foreign_keys = off")
        old = conn.execute(
            "select id, inspection_id from documents where inspection_id like '%2018%' limit 1"
        ).fetchone()
        conn.execute("update documents set parser_version = 'an older parser' where id = ?", [old[0]])
        wrong_inspection = old[1].replace("2018", "2017")
        conn.execute(
            "insert into inspections select ? , authority_id, inspection_type, framework, replace(start_date, '2018', "
            "'2017'), end_date, published_date, 2017, lead_inspector, overall_grade from inspections where id = ?",
            [wrong_inspection, old[1]],
        )
        wrong_document = old[0].replace("2018", "2017")
        for table in ("finding_themes", "finding_sentences"):
            conn.execute(
                f"update {table} set finding_id = replace(finding_id, '2018', '2017') where finding_id like ?",
                [old[0] + "%"],
            )
        conn.execute(
            "update findings set id = replace(id, '2018', '2017'), document_id = ?, inspection_id = ? where document_id = ?",
            [wrong_document, wrong_inspection, old[0]],
        )
        conn.execute(
            "update judgements set id = replace(id, '2018', '2017'), document_id = ?, inspection_id = ? where document_id = ?",
            [wrong_document, wrong_inspection, old[0]],
        )
        conn.execute(
            "update documents set id = ?, inspection_id = ? where id = ?", [wrong_document, wrong_inspection, old[0]]
        )
        conn.execute("delete from inspections where id = ?", [old[1]])
    conn.close()
    result = run_ingest(SUTTON_REPORTS[0], "--db", str(sutton_db))
    assert result.returncode == 0, result.stderr
    assert _readings(sutton_db) == expected


def test_reparse_reads_every_document_again_from_its_file(sutton_db):
    expected = _readings(sutton_db)
    before = dict(_query(sutton_db, "select id, ingested_at from documents"))
    time.sleep(1.1)  # ingested_at is to the second
    result = run_ingest("--reparse", "--db", str(sutton_db))
    assert result.returncode == 0, result.stderr
    after = dict(_query(sutton_db, "select id, ingested_at from documents"))
    assert after.keys() == before.keys() and all(after[k] > before[k] for k in before)
    assert _readings(sutton_db) == expected


def test_a_database_from_before_parser_versions_is_read_again(sutton_db):
    expected = _readings(sutton_db)
    with sqlite3.connect(sutton_db) as conn:
        conn.execute("drop index idx_documents_parser_version")
        conn.execute("alter table documents drop column parser_version")
        conn.execute(  # m004 and every step after it, as a database made before m004 has them
            "delete from _sqlite_migrations where id >= (select id from _sqlite_migrations "
            "where name = 'm004_documents_record_their_parser')"
        )
    result = run_ingest(SUTTON_REPORTS[0], "--db", str(sutton_db))
    assert result.returncode == 0, result.stderr
    assert "4 ingested" in result.stdout
    assert _readings(sutton_db) == expected


def test_a_stale_document_whose_file_is_gone_is_kept_and_named(sutton_db, tmp_path):
    moved = tmp_path / "moved.txt"
    moved.write_text(Path(SUTTON_REPORTS[1]).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert run_ingest(str(moved), "--db", str(sutton_db)).returncode == 0  # a corrected copy of one report
    with sqlite3.connect(sutton_db) as conn:
        conn.execute("update documents set parser_version = 'an older parser' where source_path = ?", [str(moved)])
    moved.unlink()
    held = _query(sutton_db, "select count(*) from documents")
    result = run_ingest(SUTTON_REPORTS[0], "--db", str(sutton_db))
    assert result.returncode == 0, result.stderr
    assert "not where they were ingested from" in result.stderr and str(moved) in result.stderr
    assert _query(sutton_db, "select count(*) from documents") == held


def test_an_lscb_list_stored_as_plain_findings_becomes_the_boards_improvements(tmp_path):
    """Ingests before m005 stored an LSCB's recommendations as plain findings, and a file held
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
        conn.execute("delete from _sqlite_migrations where name = 'm005_lscb_lists_are_the_boards_improvements'")
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
