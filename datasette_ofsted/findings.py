"""Reading an inspection's findings back from SQLite in the form the comparison engine takes."""

from __future__ import annotations

import json
from typing import TypedDict, cast

from .align import Row, compare, section_grade


class Comparison(TypedDict, total=False):
    """A comparison as every page reads it: the engine's rows (align.Row), counted by status; `being_updated` when
    it is served as stored by another engine or taxonomy while ofsted-ingest has not compared it again."""

    counts: dict[str, int]
    rows: list[Row]
    being_updated: bool

# The kind of document (documents.kind) that restates a report in plain words for children and young people: it is
# left out of comparisons and of what an inspection asked to improve, the report's own findings stand for it. A
# document's id ends with its kind (ingest/load.py), so its findings' document ids end so too.
CHILDRENS_SUMMARY = "summary for children"
CHILDRENS_SUMMARY_ID_END = "-" + CHILDRENS_SUMMARY.replace(" ", "-")

# The columns of a finding as the engine takes them and copies them into its rows, in order.
FINDING_FIELDS = (
    "id",
    "kind",
    "polarity",
    "text",
    "section",
    "about",
    "page",
    "paragraph",
    "document_id",
    "timescale",
    "national_framework",
    "themes",
)
_SELECT = """
    select f.id, f.kind, f.polarity, f.text, f.section, f.about, f.page, f.paragraph, f.document_id,
           f.timescale, f.national_framework,
           (select json_group_array(theme_id) from finding_themes t where t.finding_id = f.id) as themes
    from findings f join documents d on d.id = f.document_id
"""


def _finding(row) -> dict:
    finding = dict(zip(FINDING_FIELDS, row))
    finding["themes"] = json.loads(finding["themes"] or "[]")
    return finding


def findings_of(db, inspection_id: str) -> list[dict]:
    """An inspection's findings with their themes, as the comparison engine takes them.

    `db` is anything with execute(sql, params) returning rows as tuples (sqlite3 or sqlite-utils).
    """
    rows = db.execute(
        _SELECT
        + """
        where f.inspection_id = ?
        order by case d.kind when ? then 1 else 0 end, f.document_id, f.ordinal
        """,
        [inspection_id, CHILDRENS_SUMMARY],
    ).fetchall()
    sentences: dict[str, list[dict]] = {}
    for finding_id, text, polarity, themes, stems in db.execute(
        """
        select s.finding_id, s.text, s.polarity, s.themes, s.stems from finding_sentences s
        join findings f on f.id = s.finding_id where f.inspection_id = ? order by s.finding_id, s.ordinal
        """,
        [inspection_id],
    ).fetchall():
        sentences.setdefault(finding_id, []).append(
            {"text": text, "polarity": polarity, "themes": themes.split(), "stems": stems.split()}
        )
    # Each section's grade, from the judgement of the same name: the engine reads a section's plain statements
    # in its light (align.section_grade).
    judged = [
        (area, grade)
        for area, grade in db.execute(
            "select area, grade from judgements where inspection_id = ? and about = 'authority' order by id",
            [inspection_id],
        ).fetchall()
    ]
    out = []
    for row in rows:
        finding = _finding(row)
        finding["sentences"] = sentences.get(finding["id"], [])
        finding["grade"] = section_grade(finding["section"], judged)
        out.append(finding)
    return out


def findings_by_id(db, inspection_ids: tuple[str, ...]) -> dict[str, dict]:
    """The findings of some inspections by id, without their sentences: what a stored comparison's
    rows name by id only, to be shown whole."""
    placeholders = ", ".join("?" for _ in inspection_ids)
    rows = db.execute(_SELECT + f" where f.inspection_id in ({placeholders})", list(inspection_ids)).fetchall()
    return {row[0]: _finding(row) for row in rows}


def comparable(findings: list[dict]) -> list[dict]:
    """The children's summary restates the report in plain words: compare the report's own findings."""
    main = [f for f in findings if not f["document_id"].endswith(CHILDRENS_SUMMARY_ID_END)]
    return main or findings


def comparable_findings(db, inspection_id: str) -> list[dict]:
    """One side of a comparison, as read from the database."""
    return comparable(findings_of(db, inspection_id))


def compare_inspections(db, earlier_id: str, later_id: str) -> Comparison:
    """The comparison of two inspections computed now from their findings (see comparisons.comparison,
    which serves a stored one when it is current)."""
    return cast(Comparison, compare(comparable_findings(db, earlier_id), comparable_findings(db, later_id)))
