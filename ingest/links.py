"""Precompute the comparison of consecutive inspections into `issue_links`, for SQL to ask what recurs."""

from __future__ import annotations

from collections import OrderedDict

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
        r[0]
        for r in db.execute(
            "select id from inspections where authority_id = ? order by start_date", [authority_id]
        ).fetchall()
    ]
    return list(zip(inspections, inspections[1:]))


class LinkKeeper:
    """Keeps an authority's links up to date while a batch writes documents.

    After each document only its inspection's pairs, with the inspections either side, are
    compared again, and pairs it came between are dropped: the links keep up with the batch
    (and survive its interruption) at the cost of two comparisons a document. The findings
    of the last few inspections read are kept, since the next document of the same
    authority usually needs one of them again.
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
    """Recompute all the links of each authority's consecutive inspections."""
    for authority_id in sorted(authority_ids):
        pairs = consecutive_pairs(db, authority_id)
        _store(db, authority_id, pairs, pairs, OrderedDict())


def _store(
    db: sqlite_utils.Database,
    authority_id: str,
    pairs: list[tuple[str, str]],
    compared: list[tuple[str, str]],
    sides: OrderedDict[str, list[dict]],
) -> None:
    """Replace the links of the `compared` pairs, and drop those of pairs no longer consecutive, in one transaction."""
    links: list[dict] = []
    for earlier, later in compared:
        for inspection in (earlier, later):
            if inspection not in sides:  # each inspection read once
                sides[inspection] = comparable_findings(db, inspection)
            sides.move_to_end(inspection)
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
