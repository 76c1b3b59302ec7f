"""Precompute the comparison of consecutive inspections into `issue_links`, for SQL to ask what recurs."""

from __future__ import annotations

import sqlite_utils

from datasette_ofsted.align import compare
from datasette_ofsted.findings import comparable_findings

from .load import write_transaction


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


def refresh_links(db: sqlite_utils.Database, authority_ids: set[str]) -> None:
    """Recompute the links of each authority's consecutive inspections, one transaction per authority."""
    for authority_id in sorted(authority_ids):
        inspections = [
            r[0]
            for r in db.execute(
                "select id from inspections where authority_id = ? order by start_date", [authority_id]
            ).fetchall()
        ]
        sides = {inspection: comparable_findings(db, inspection) for inspection in inspections}  # each read once
        links: list[dict] = []
        for earlier, later in zip(inspections, inspections[1:]):
            links.extend(link_rows(authority_id, earlier, later, compare(sides[earlier], sides[later])))
        with write_transaction(db):
            db.execute("delete from issue_links where authority_id = ?", [authority_id])
            if links:
                db["issue_links"].insert_all(links, pk="id")
