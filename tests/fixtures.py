"""Fixture files and databases built for tests: a minimal real PDF, hostile report text."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from ingest.load import ensure_schema


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with the given lines of text (Helvetica), built by hand."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(f"({esc(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content.encode('latin-1'))} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


HOSTILE = '<script>alert(\'x\')</script> & <img src=x onerror=alert(1)> "quoted" =HYPERLINK("http://evil")'


def hostile_report_text() -> str:
    """A focused-visit letter whose findings carry markup, quotes and spreadsheet formulas."""
    return f"""Focused visit to London Borough of Sutton children's services

Dear Mr Ireland,

This letter summarises the findings of a focused visit to the London Borough of Sutton children's services on 26 and 27 June 2031 carried out by Caroline Walsh, Her Majesty's Inspector.

What needs to improve in this area of social work practice

- Return home interviews are not consistently informing safety planning {HOSTILE}.
- =SUM(1+1) the assessment of risk is fragmented for children at risk of exploitation.

Findings

- Management oversight is not consistent {HOSTILE}. Supervision is regular.
- Return home interviews are not offered to all children who go missing.

Yours sincerely

Caroline Walsh Her Majesty's Inspector
"""


def fixture_database(path: Path) -> sqlite_utils.Database:
    """An empty database with the ingest schema."""
    db = sqlite_utils.Database(path)
    ensure_schema(db)
    return db


def comparison_tables(path: Path) -> dict[str, list[tuple]]:
    """The stored comparisons of a database, as comparable rows: all but when each was computed
    and the links' row numbers in their table."""
    db = sqlite_utils.Database(path)
    return {
        "comparisons": sorted(tuple(v for k, v in row.items() if k != "computed_at") for row in db["comparisons"].rows),
        "comparison_rows": sorted(tuple(row.values()) for row in db["comparison_rows"].rows),
        "issue_links": sorted(
            (tuple(v for k, v in row.items() if k != "id") for row in db["issue_links"].rows), key=repr
        ),
    }
