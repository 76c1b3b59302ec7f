"""What `ofsted_reviewed_status` costs a canned query: recurring_themes over every issue_links row
of an ofsted.db, the engine's status (`r.status`) against the reviewed one, with no review, and
with one review in each stored comparison (each pair's reviewed rows then read once, cached).

    python benchmarks/reviewed_status.py data/ofsted.db   # prints links, seconds (median of 7), ratios
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from datasette_ofsted import canned_queries_definitions
from datasette_ofsted.reviews import (
    create_reviews_database,
    improvement_key,
    register_reviewed_status,
    register_sql_functions,
)

RUNS = 7


def timed(conn: sqlite3.Connection, sql: str) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        conn.execute(sql).fetchall()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(db_path: str) -> None:
    folder = Path(tempfile.mkdtemp())
    ofsted = folder / "ofsted.db"
    shutil.copy(db_path, ofsted)
    reviews_path = create_reviews_database(ofsted)
    conn = sqlite3.connect(f"{ofsted.resolve().as_uri()}?immutable=1", uri=True)
    register_sql_functions(conn)
    register_reviewed_status(conn, reviews_path)
    reviewed_sql = canned_queries_definitions()["recurring_themes"]["sql"]
    engine_sql = reviewed_sql.replace("ofsted_reviewed_status(r.id, r.status)", "r.status")
    assert engine_sql != reviewed_sql
    links = conn.execute("select count(*) from issue_links").fetchone()[0]
    engine = timed(conn, engine_sql)
    none = timed(conn, reviewed_sql)
    first = conn.execute(
        "select l.authority_id, l.from_inspection_id, l.to_inspection_id, f.document_id, f.text from issue_links l "
        "join findings f on f.id = l.from_finding_id where l.side = 'from' order by l.from_finding_id"
    ).fetchall()
    pairs = {}
    for authority, earlier, later, document_id, text in first:
        pairs.setdefault((earlier, later), (authority, document_id, text))
    writer = sqlite3.connect(reviews_path)
    with writer:
        for (earlier, later), (authority, document_id, text) in pairs.items():
            writer.execute(
                "insert into reviews (authority_id, from_inspection_id, to_inspection_id, item_key, side, status, "
                "note, actor_id, at) values (?, ?, ?, ?, 'from', 'recurring', '', 'bench', '2026-01-01')",
                [authority, earlier, later, improvement_key({"document_id": document_id, "text": text})],
            )
    writer.close()
    reviewed = timed(conn, reviewed_sql)
    print(f"issue_links rows: {links}; pairs reviewed: {len(pairs)}")
    print(f"recurring_themes, engine status:        {engine * 1000:.1f} ms")
    print(f"recurring_themes, reviewed, no review:  {none * 1000:.1f} ms ({none / engine:.2f}x)")
    print(f"recurring_themes, reviewed, a review a pair: {reviewed * 1000:.1f} ms ({reviewed / engine:.2f}x)")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/ofsted.db")
