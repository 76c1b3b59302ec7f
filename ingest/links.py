"""Precompute the comparison of consecutive inspections into `issue_links`, for SQL to ask what recurs."""

from __future__ import annotations

import json

import sqlite_utils

from datasette_ofsted.align import compare


def findings_of(db, inspection_id: str) -> list[dict]:
    """An inspection's findings with their themes, as the comparison engine takes them.

    `db` is anything with execute(sql, params) returning rows as tuples (sqlite3 or sqlite-utils).
    """
    rows = db.execute(
        """
        select f.id, f.kind, f.polarity, f.text, f.section, f.about, f.page, f.paragraph, f.document_id,
               f.timescale, f.national_framework,
               (select json_group_array(theme_id) from finding_themes t where t.finding_id = f.id) as themes
        from findings f join documents d on d.id = f.document_id
        where f.inspection_id = ?
        order by case d.kind when 'summary for children' then 1 else 0 end, f.document_id, f.ordinal
        """,
        [inspection_id],
    ).fetchall()
    keys = ["id", "kind", "polarity", "text", "section", "about", "page", "paragraph", "document_id", "timescale",
            "national_framework", "themes"]
    out = []
    for row in rows:
        finding = dict(zip(keys, row))
        finding["themes"] = json.loads(finding["themes"] or "[]")
        out.append(finding)
    return out


def comparable(findings: list[dict]) -> list[dict]:
    """The summary for children restates the report in plain words: compare the report's own findings."""
    main = [f for f in findings if not f["document_id"].endswith("-summary-for-children")]
    return main or findings


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
        links: list[dict] = []
        for earlier, later in zip(inspections, inspections[1:]):
            result = compare(comparable(findings_of(db, earlier)), comparable(findings_of(db, later)))
            links.extend(link_rows(authority_id, earlier, later, result))
        with db.atomic():
            db.execute("delete from issue_links where authority_id = ?", [authority_id])
            if links:
                db["issue_links"].insert_all(links, pk="id")
