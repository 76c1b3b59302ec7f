"""Store the comparison of each pair of consecutive inspections, for the pages and for SQL.

The stored form (`comparisons`, `comparison_rows`, `issue_links`) is defined with the reading
of it in datasette_ofsted/comparisons.py; this module computes and writes it, keeps it up
with a batch, and repairs what is missing or out of date (an interrupted run, a new engine).
"""

from __future__ import annotations

from collections import OrderedDict

import sqlite_utils

from datasette_ofsted.align import compare
from datasette_ofsted.classify import taxonomy_version
from datasette_ofsted.comparisons import comparison_id, consecutive_pairs, engine_version, records
from datasette_ofsted.findings import comparable_findings
from datasette_ofsted.pairs import PAIR_MARK, Pair

from .load import _now, insert_rows, write_transaction

__all__ = ["LinkKeeper", "consecutive_pairs", "refresh_links", "repair", "relink"]


class LinkKeeper:
    """Keeps an authority's comparisons up to date while a batch writes documents.

    After each document only its inspection's pairs, with the inspections either side, are
    compared again, and pairs it came between are dropped: the pages keep up with the batch
    at the cost of two comparisons a document. The findings of the last few inspections read
    are kept, since the next document of the same authority usually needs one of them again.
    A run killed between a document and its comparisons leaves them missing (the document's
    own transaction deleted the old ones): the next run's `repair` computes them.
    """

    KEEP = 32  # inspections' findings held (a few MB)

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.sides: OrderedDict[str, list[dict]] = OrderedDict()

    def document_written(self, authority_id: str, inspection_id: str) -> None:
        self.sides.pop(inspection_id, None)  # its findings changed
        pairs = consecutive_pairs(self.db, authority_id)
        _store(self.db, authority_id, pairs, [pair for pair in pairs if inspection_id in pair], self.sides)
        while len(self.sides) > self.KEEP:
            self.sides.popitem(last=False)


def refresh_links(db: sqlite_utils.Database, authority_ids: set[str]) -> None:
    """Recompute all the comparisons of each authority's consecutive inspections."""
    for authority_id in sorted(authority_ids):
        pairs = consecutive_pairs(db, authority_id)
        _store(db, authority_id, pairs, pairs, OrderedDict())


def relink(db: sqlite_utils.Database) -> int:
    """Recompute every stored comparison with the running engine (`ofsted-ingest --relink`)."""
    authority_ids = {r[0] for r in db.execute("select distinct authority_id from inspections").fetchall()}
    refresh_links(db, authority_ids)
    return db.execute("select count(*) from comparisons").fetchone()[0]


def repair(db: sqlite_utils.Database) -> int:
    """Compute the comparisons of consecutive pairs that are missing or were made by another engine
    or taxonomy, and drop anything else stored (pairs no longer consecutive, rows or links without
    their comparison). Cheap when nothing is wrong; run at the start and end of every ingest.
    Returns the number of pairs computed.
    """
    current = {
        r[0]
        for r in db.execute(
            "select id from comparisons where engine_version = ? and taxonomy_version = ?",
            [engine_version(), taxonomy_version()],
        ).fetchall()
    }
    computed, wanted = 0, set[str]()
    for (authority_id,) in db.execute("select distinct authority_id from inspections order by 1").fetchall():
        pairs = consecutive_pairs(db, authority_id)
        wanted.update(comparison_id(*pair) for pair in pairs)
        stale = [pair for pair in pairs if comparison_id(*pair) not in current]
        if stale:
            _store(db, authority_id, pairs, stale, OrderedDict())
            computed += len(stale)
    extra = {r[0] for r in db.execute("select id from comparisons").fetchall()} - wanted
    orphans = db.execute(
        "select exists (select 1 from comparison_rows where comparison_id not in (select id from comparisons)) "
        "or exists (select 1 from issue_links where comparison_row_id is null "
        "or comparison_row_id not in (select id from comparison_rows))"
    ).fetchone()[0]
    if extra or orphans:
        with write_transaction(db):
            db.conn.executemany("delete from comparisons where id = ?", [(cid,) for cid in extra])
            db.execute("delete from comparison_rows where comparison_id not in (select id from comparisons)")
            db.execute(
                "delete from issue_links where comparison_row_id is null "
                "or comparison_row_id not in (select id from comparison_rows)"
            )
    return computed


def _store(
    db: sqlite_utils.Database,
    authority_id: str,
    pairs: list[tuple[str, str]],
    compared: list[tuple[str, str]],
    sides: OrderedDict[str, list[dict]],
) -> None:
    """Replace the comparisons of the `compared` pairs, and drop those of pairs no longer consecutive, in one transaction."""
    stored: list[tuple[dict, list[dict], list[dict]]] = []
    computed_at = _now()
    for earlier, later in compared:
        for inspection in (earlier, later):
            if inspection not in sides:  # each inspection read once
                sides[inspection] = comparable_findings(db, inspection)
            sides.move_to_end(inspection)
        result = compare(sides[earlier], sides[later])
        stored.append(records(authority_id, earlier, later, result, sides[earlier] + sides[later], computed_at))
    keep = {comparison_id(*pair) for pair in pairs} - {comparison_id(*pair) for pair in compared}
    with write_transaction(db):
        held = [
            r[0]
            for r in db.execute(
                "select id from comparisons where authority_id = ? union "
                "select distinct comparison_id from comparison_rows where authority_id = ? union "
                "select distinct from_inspection_id || ? || to_inspection_id from issue_links where authority_id = ?",
                [authority_id, authority_id, PAIR_MARK, authority_id],
            ).fetchall()
        ]
        for cid in held:
            if cid not in keep:
                earlier, later = Pair.parse(cid)
                for table in ("issue_links", "comparison_rows", "comparisons"):
                    db.execute(
                        f"delete from {table} where from_inspection_id = ? and to_inspection_id = ?", [earlier, later]
                    )
        for comparison, rows, links in stored:
            insert_rows(db, "comparisons", [comparison])
            insert_rows(db, "comparison_rows", rows)
            insert_rows(db, "issue_links", links)
