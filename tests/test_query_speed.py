"""The canned queries stay cheap on an archive-sized database (issue 26).

Under 40 clients the recurring_themes query ran past Datasette's 1 s time limit (a 400) although it took 45 ms
alone: every call of a Python function from SQL (the reviewed status of each of the archive's 4,000 comparison rows,
and Datasette's own time-limit check every 1,000 SQLite instructions) waits for the interpreter, which a busy server
holds. So each query must be fast alone and must call into Python rarely.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from contextlib import closing

import pytest

from datasette_ofsted import canned_queries_definitions
from datasette_ofsted.reviews import (
    ReviewedStatus,
    ensure_reviews_schema,
    improvement_key,
    insert_review,
    register_reviewed_status,
    register_sql_functions,
)

pytestmark = pytest.mark.without_datasette

QUERIES = canned_queries_definitions()
# Alone, on the archive-sized fixture: the bound, ten times what the slowest query takes on a quiet machine.
MAX_SECONDS = 0.1
RUNS = 5  # the fastest of these is the query's time; the others absorb a busy machine's noise
# Datasette checks its time limit every 1,000 SQLite instructions, in Python: at most this many checks a query.
MAX_TIME_LIMIT_CHECKS = 500
INSTRUCTIONS_PER_CHECK = 1000  # datasette.utils.sqlite_timelimit's n


def _examples(conn: sqlite3.Connection) -> dict[str, str]:
    """Parameters that make each query do its most work: the authority with the most inspections, and so on."""
    authority = conn.execute(
        "select authority_id from inspections group by authority_id order by count(*) desc, authority_id limit 1"
    ).fetchone()[0]
    inspection, theme = conn.execute(
        "select f.inspection_id, t.theme_id from findings f join finding_themes t on t.finding_id = f.id "
        "group by 1, 2 order by count(*) desc limit 1"
    ).fetchone()
    return {"authority": authority, "inspection": inspection, "theme": theme, "q": "return home interviews"}


def _connect(db, reviews) -> tuple[sqlite3.Connection, ReviewedStatus]:
    conn = sqlite3.connect(db)
    register_sql_functions(conn)
    return conn, register_reviewed_status(conn, reviews)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_canned_query_is_cheap_on_the_archive(archive_db, name):
    sql = QUERIES[name]["sql"]
    with closing(_connect(archive_db, archive_db.parent / "ofsted_reviews.db")[0]) as conn:
        examples = _examples(conn)
        params = {p: examples.get(p, "") for p in set(re.findall(r"(?<!:):(\w+)", sql))}
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            rows = conn.execute(sql, params).fetchall()
            times.append(time.perf_counter() - started)
        checks = [0]

        def check() -> int:
            checks[0] += 1
            return 0

        conn.set_progress_handler(check, INSTRUCTIONS_PER_CHECK)
        conn.execute(sql, params).fetchall()
    assert rows or name == "findings_of_theme", f"{name} found nothing with {params}: the timing says nothing"
    assert min(times) < MAX_SECONDS, f"{name}: {min(times) * 1000:.0f} ms"
    assert checks[0] < MAX_TIME_LIMIT_CHECKS, f"{name}: {checks[0]} time-limit checks"


def test_recurring_themes_asks_the_reviewed_status_only_of_reviewed_pairs(archive_db, tmp_path):
    """With a review on one pair, the query calls ofsted_reviewed_status on that pair's rows alone, and counts as
    the plain definition (the reviewed status of every row) does."""
    sql = QUERIES["recurring_themes"]["sql"]
    db = tmp_path / "ofsted.db"
    shutil.copy(archive_db, db)
    reviews = tmp_path / "ofsted_reviews.db"
    with closing(sqlite3.connect(db)) as conn:
        pair_id, row_id, themes = conn.execute(
            "select r.comparison_id, r.id, r.themes from comparison_rows r "
            "where r.status = 'recurring' and r.from_improvements > 0 and r.themes != '' order by r.id limit 1"
        ).fetchone()
        finding = conn.execute(
            "select f.document_id, f.text from issue_links l join findings f on f.id = l.from_finding_id "
            "where l.comparison_row_id = ? and l.side = 'from' limit 1",
            [row_id],
        ).fetchone()
        pair_rows = conn.execute("select count(*) from comparison_rows where comparison_id = ?", [pair_id]).fetchone()[0]
        all_rows = conn.execute("select count(*) from comparison_rows").fetchone()[0]
    earlier, later = pair_id.split("...")
    with closing(sqlite3.connect(reviews)) as rconn:
        ensure_reviews_schema(rconn)
        insert_review(
            rconn,
            {
                "authority_id": earlier.rsplit("-", 3)[0],
                "from_inspection_id": earlier,
                "to_inspection_id": later,
                "item_key": improvement_key({"document_id": finding[0], "text": finding[1]}),
                "side": "from",
                "finding_id": None,
                "finding_text": finding[1],
                "status": "resolved",
                "auto_status": "recurring",
                "themes": themes,
                "evidence": "[]",
                "note": "",
                "actor_id": "test",
                "at": "2026-01-01T00:00:00Z",
            },
        )
    conn, function = _connect(db, reviews)
    with closing(conn):
        calls = [0]
        original = function.__call__

        def counted(row: str | None, status: str | None) -> str | None:
            calls[0] += 1
            return original(row, status)

        conn.create_function("ofsted_reviewed_status", 2, counted)
        params = {"region": "", "framework": ""}
        fast = sorted(conn.execute(sql, params).fetchall())
        assert calls[0] == pair_rows < all_rows
        plain = sql.replace(
            "case when r.comparison_id in (select comparison_id from reviewed)\n"
            "      then ofsted_reviewed_status(r.id, r.status) else r.status end",
            "ofsted_reviewed_status(r.id, r.status)",
        )
        assert plain != sql
        engine = sql.replace("ofsted_reviewed_status(r.id, r.status)", "r.status")
        assert fast == sorted(conn.execute(plain, params).fetchall())
        # The review changed the counts (the row reviewed is recurring no more), so the test has teeth.
        assert fast != sorted(conn.execute(engine, params).fetchall())
