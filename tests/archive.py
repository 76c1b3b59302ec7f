"""An archive-sized database for the page tests: the bundled reports' inspections copied under other authorities.

The whole public archive is ~490 reports of ~150 authorities; the pages must be usable at that size (a national
page 3,000 px tall, an index a phone can search). Ingesting that many PDFs would take minutes, so the bundled
database (real reports, ingested and compared) is copied: every authority with two or more inspections lends its
inspections, findings, judgements, themes and stored comparisons to authorities with none, each copy under the
other authority's id and with its years moved back by 0-2 years, so that the years spread as the archive's do.
The copies are text the engine compared, so the stored comparisons stay exact: nothing is compared again.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

# The archive's size, as the issue sets it for the page tests: at least this many authorities and inspections.
MIN_AUTHORITIES = 150
MIN_INSPECTIONS = 400
# How far back a copy's years move: the copies of one authority spread over three years.
YEAR_SHIFTS = (0, 1, 2)
# What an inspection's date columns hold: an ISO date (start, end, published).
DATE_COLUMNS = ("start_date", "end_date", "published_date")

# Each table with rows of an authority's inspections, and how to select those of one authority (?).
OF_AUTHORITY = {
    "inspections": "authority_id = ?",
    "documents": "inspection_id in (select id from inspections where authority_id = ?)",
    "judgements": "inspection_id in (select id from inspections where authority_id = ?)",
    "findings": "inspection_id in (select id from inspections where authority_id = ?)",
    "finding_sentences": "finding_id in (select f.id from findings f join inspections i on i.id = f.inspection_id "
    "where i.authority_id = ?)",
    "finding_themes": "finding_id in (select f.id from findings f join inspections i on i.id = f.inspection_id "
    "where i.authority_id = ?)",
    "comparisons": "authority_id = ?",
    "comparison_rows": "authority_id = ?",
    "issue_links": "authority_id = ?",
}


def _renamer(source: str, target: str, shift: int):
    """A function that rewrites a value of the source authority's rows for the copy: every inspection id
    (`source-YYYY-MM-DD`, alone or inside a finding's, a row's or a comparison's id or JSON) and the dates."""
    ids = re.compile(rf"(?<![a-z0-9-]){re.escape(source)}-(\d{{4}})(-\d{{2}}-\d{{2}})")

    def rename_id(match: re.Match) -> str:
        return f"{target}-{int(match.group(1)) - shift}{match.group(2)}"

    def rename(column: str, value):
        if column == "authority_id" and value == source:
            return target
        if column == "year" and isinstance(value, int):
            return value - shift
        if isinstance(value, str):
            if column in DATE_COLUMNS and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return f"{int(value[:4]) - shift}{value[4:]}"
            return ids.sub(rename_id, value)
        return value

    return rename


def build_archive(bundled: Path, target: Path) -> dict[str, int]:
    """Copy `bundled` to `target` and fill it to the archive's size; returns its authorities and inspections."""
    shutil.copy(bundled, target)
    with closing(sqlite3.connect(target)) as conn, conn:
        lenders = [
            r[0]
            for r in conn.execute(
                "select authority_id from inspections group by authority_id having count(*) >= 2 "
                "order by count(*) desc, authority_id"
            )
        ]
        # Those with more inspections lend twice as often: the archive's authorities have three or four each.
        weighted = [a for a in lenders for _ in range(2 if lenders.index(a) < 4 else 1)]
        borrowers = [
            r[0]
            for r in conn.execute(
                "select id from authorities where id not in (select authority_id from inspections) order by id"
            )
        ]
        columns = {table: [r[1] for r in conn.execute(f"pragma table_info([{table}])")] for table in OF_AUTHORITY}
        rows = {
            lender: {
                table: conn.execute(f"select * from [{table}] where {where}", [lender]).fetchall()
                for table, where in OF_AUTHORITY.items()
            }
            for lender in lenders
        }
        for n, borrower in enumerate(borrowers):
            lender = weighted[n % len(weighted)]
            rename = _renamer(lender, borrower, YEAR_SHIFTS[n % len(YEAR_SHIFTS)])
            for table, names in columns.items():
                copies = [
                    [
                        None if (table == "issue_links" and name == "id") else rename(name, value)
                        for name, value in zip(names, row)
                    ]
                    for row in rows[lender][table]
                ]
                if copies:
                    conn.executemany(
                        f"insert into [{table}] ({', '.join(f'[{c}]' for c in names)}) "
                        f"values ({', '.join('?' for _ in names)})",
                        copies,
                    )
        authorities, inspections = conn.execute(
            "select count(distinct authority_id), count(*) from inspections"
        ).fetchone()
    return {"authorities": authorities, "inspections": inspections}
