"""Precompute the comparison of consecutive inspections into `issue_links`, for SQL to ask what recurs."""

from __future__ import annotations

import sqlite_utils

from datasette_ofsted.align import compare
from datasette_ofsted.findings import comparable_findings

from .load import insert_rows, write_transaction


def link_rows(authority_id: str, from_id: str, to_id: str, result: dict) -> list[dict]:
    rows = []
    for number, row in enumerate(result["rows"], 1):
        improvements = {
            "from": [f["id"] for f in row["from"] if f["role"] == "improvement"],
            "to": [f["id"] for f in row["to"] if f["role"] == "improvement"],
        }
        evidence = {
            "from": [f["id"] for f in row["from"] if f["role"] != "improvement"],
            "to": [f["id"] for f in row["to"] if f["role"] != "improvement"],
        }
        for side, other in (("from", "to"), ("to", "from")):
            for finding_id in improvements[side]:
                partners = improvements[other] + evidence[other] or [None]
                for partner in partners:
                    rows.append(
                        {
                            "authority_id": authority_id,
                            "from_inspection_id": from_id,
                            "to_inspection_id": to_id,
                            "from_finding_id": finding_id if side == "from" else partner,
                            "to_finding_id": partner if side == "from" else finding_id,
                            "side": side,
                            "status": row["status"],
                            "score": row["score"],
                            "row_number": number,
                            "themes": ", ".join(row["themes"]),
                        }
                    )
    return rows


def consecutive_pairs(db: sqlite_utils.Database, authority_id: str) -> list[tuple[str, str]]:
    inspections = [
        r[0] for r in db.execute(
            "select id from inspections where authority_id = ? order by start_date", [authority_id]
        ).fetchall()
    ]
    return list(zip(inspections, inspections[1:]))


def link_inspection(db: sqlite_utils.Database, authority_id: str, inspection_id: str) -> None:
    """Bring an authority's links up to date after a document of one inspection was written.

    Only that inspection's pairs, with the inspections either side of it, are compared again,
    and pairs it came between are dropped: the ingester calls this after each document, so
    the links keep up with the batch (and survive its interruption) at the cost of two
    comparisons a document.
    """
    pairs = consecutive_pairs(db, authority_id)
    _store(db, authority_id, pairs, [pair for pair in pairs if inspection_id in pair])


def refresh_links(db: sqlite_utils.Database, authority_ids: set[str]) -> None:
    """Recompute all the links of each authority's consecutive inspections."""
    for authority_id in sorted(authority_ids):
        pairs = consecutive_pairs(db, authority_id)
        _store(db, authority_id, pairs, pairs)


def _store(db: sqlite_utils.Database, authority_id: str, pairs: list[tuple[str, str]],
           compared: list[tuple[str, str]]) -> None:
    """Replace the links of the `compared` pairs, and drop those of pairs no longer consecutive, in one transaction."""
    sides: dict[str, list[dict]] = {}
    links: list[dict] = []
    for earlier, later in compared:
        for inspection in (earlier, later):
            if inspection not in sides:  # each inspection read once
                sides[inspection] = comparable_findings(db, inspection)
        links.extend(link_rows(authority_id, earlier, later, compare(sides[earlier], sides[later])))
    with write_transaction(db):
        held = db.execute(
            "select distinct from_inspection_id, to_inspection_id from issue_links where authority_id = ?",
            [authority_id],
        ).fetchall()
        for pair in held:
            if tuple(pair) not in pairs or tuple(pair) in compared:
                db.execute(
                    "delete from issue_links where authority_id = ? and from_inspection_id = ? and to_inspection_id = ?",
                    [authority_id, *pair],
                )
        insert_rows(db, "issue_links", links)
