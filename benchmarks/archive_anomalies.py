"""What looks wrong when the reader reads a folder of Ofsted PDFs: the next odd shape shows itself here.

    python benchmarks/archive_anomalies.py                     # the archive at /work/archive/pdf
    python benchmarks/archive_anomalies.py FOLDER [--history CSV] [--workers 2] [-v] [--json OUT]

Every PDF under FOLDER is read as `ofsted-ingest` reads it (extract, parse, the same checks that
refuse a file), without loading it. Counted, report by report:

- refused: files the ingester would refuse, with the reason;
- empty list: no improvement of the authority's, in a report whose text has a list heading
  ("What needs to improve", "Recommendations", "Areas for improvement");
- long list: more than LONG_LIST improvements (the longest real SIF list has about 20);
- heading item: an improvement that reads like a heading (short, capitalised, no full stop or closing
  bracket, no verb at all; an ILACS item may be a lower-case noun phrase);
- long item: an improvement of more than LONG_ITEM words (a list that swallowed a paragraph);
- LSCB as authority: an improvement of the authority's on or after the page where the report's
  LSCB section begins (the board's recommendations are not the authority's);
- no overall grade: a SIF or full ILACS inspection before April 2026 without one;
- dates: a start date after the publication date or more than a year before it, and, with the
  peer scraper's history.csv, a start date or overall grade that disagrees with it.

The repository does not need the archive: with no folder found, this says so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.cli import process  # noqa: E402
from ingest.extract import extract  # noqa: E402

ARCHIVE = Path("/work/archive/pdf")
# More improvements than this in one list: no real report has them; a list ran on into the body.
LONG_LIST = 25
# An improvement longer than this has swallowed a paragraph or the next section.
LONG_ITEM = 120
# A heading is short and unpunctuated.
HEADING_WORDS = 12
# The 2026 framework starts on 1 April 2026: its reports may have no overall grade.
NEW_FRAMEWORK = "2026-04-01"
# A report is published within months of the visit; over a year apart, a date was misread.
MOST_DAYS_TO_PUBLICATION = 366

_LIST_HEADING = re.compile(
    r"(?im)^\s*(?:what needs to improve|areas? for (?:improvement|priority action)|recommendations)\b"
)
_LSCB_SECTION = re.compile(
    r"(?im)^\s*(?:section \d\s*:?\s*)?(?:review of )?the effectiveness of the (?:local safeguarding children|lscb)"
)
_VERBISH = re.compile(r"\b(?:is|are|be|should|must|need|needs|ensure|improve|to)\b", re.I)
ANOMALIES = (
    "refused",
    "empty list",
    "long list",
    "heading item",
    "long item",
    "LSCB as authority",
    "no overall grade",
    "start after publication",
    "start disagrees with history",
    "grade disagrees with history",
)


@dataclass
class Read:
    path: str
    anomalies: list[tuple[str, str]] = field(default_factory=list)
    framework: str | None = None
    start: str | None = None
    improvements: int = 0


def _history(path: Path | None) -> dict[tuple[str, str], dict]:
    """The peer scraper's rows by (URN, file name)."""
    if path is None or not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {(row["urn"], row["pdf_filename"].lower()): row for row in csv.DictReader(handle)}


def _history_date(value: str) -> str | None:
    try:
        day, month, year = value.split("/")
        return date(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _lscb_part(pages: list[str]) -> tuple[int, str]:
    """The LSCB's part of a joint report, letters only: from its section heading (past the
    contents, which list it with a page number) to the end, and the page it begins on."""
    for number, page in enumerate(pages, 1):
        if number <= 2:
            continue
        for match in _LSCB_SECTION.finditer(page):
            line = page[match.start() : page.find("\n", match.end()) % (len(page) + 1)]
            if not re.search(r"\d\s*$", line):
                return number, _squashed(page[match.start() :] + "".join(pages[number:]))
    return 0, ""


def read_one(path: str, history_row: dict | None) -> Read:
    read = Read(path)
    outcome = process(path, classify=False)
    if outcome.report is None:
        read.anomalies.append(("refused", outcome.error or ""))
        return read
    report = outcome.report
    read.framework, read.start = report.framework, report.start_date
    pages = extract(Path(path)).pages
    text = "\n".join(pages)
    mine = [f for f in report.findings if f.kind == "improvement" and f.about == "authority"]
    read.improvements = len(mine)
    full_inspection = report.inspection_type in ("SIF", "ILACS standard", "ILACS short")
    if not mine and report.kind == "report" and full_inspection and _LIST_HEADING.search(text):
        read.anomalies.append(("empty list", "a list heading, no improvement read"))
    if len(mine) > LONG_LIST:
        read.anomalies.append(("long list", f"{len(mine)} improvements"))
    for finding in mine:
        words = finding.text.split()
        text = finding.text.rstrip()
        if (
            len(words) <= HEADING_WORDS
            and text[:1].isupper()
            and not text.endswith((".", ";", ":", ")", "]"))
            and not _VERBISH.search(text)
        ):
            read.anomalies.append(("heading item", finding.text[:100]))
        if len(words) > LONG_ITEM:
            read.anomalies.append(("long item", f"{len(words)} words: {finding.text[:80]}"))
    lscb_page, lscb = _lscb_part(pages)
    if lscb:
        # on or after the page the board's part begins (the same words may stand in both lists)
        after = [f for f in mine if f.page >= lscb_page and _squashed(f.text)[:40] in lscb]
        if after:
            read.anomalies.append(("LSCB as authority", f"{len(after)} items in the LSCB's part"))
    overall = [j for j in report.judgements if j.about == "authority" and j.area.lower().startswith("overall")]
    before_new = (report.start_date or "") < NEW_FRAMEWORK
    if full_inspection and before_new and not overall:
        read.anomalies.append(("no overall grade", report.inspection_type or ""))
    if report.start_date and report.published_date:
        gap = (date.fromisoformat(report.published_date) - date.fromisoformat(report.start_date)).days
        if not 0 <= gap <= MOST_DAYS_TO_PUBLICATION:
            read.anomalies.append(
                ("start after publication", f"start {report.start_date}, published {report.published_date}")
            )
    if history_row:
        theirs = _history_date(history_row.get("inspection_start_date", ""))
        if theirs and report.start_date and theirs != report.start_date:
            read.anomalies.append(("start disagrees with history", f"read {report.start_date}, history {theirs}"))
        their_grade = history_row.get("overall_effectiveness_grade", "").strip().lower()
        if their_grade in ("outstanding", "good", "requires improvement", "inadequate") and overall:
            if overall[0].grade != their_grade:
                read.anomalies.append(
                    ("grade disagrees with history", f"read {overall[0].grade}, history {their_grade}")
                )
    return read


def _read_star(arguments: tuple[str, dict | None]) -> Read:
    return read_one(*arguments)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ARCHIVE)
    parser.add_argument("--history", type=Path, default=None, help="the peer scraper's CSV (default: beside FOLDER)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="write every anomaly to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every anomaly")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"No archive at {args.folder}: nothing to check (give a folder of Ofsted PDFs).")
        return {}
    history = _history(args.history or args.folder.parent / "history.csv")
    paths = sorted(args.folder.rglob("*.pdf"))
    jobs = [(str(p), history.get((p.parent.name.split("_")[0], p.name.lower()))) for p in paths]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        reads = list(pool.map(_read_star, jobs, chunksize=4))
    counts: Counter[str] = Counter()
    reports: Counter[str] = Counter()
    for read in reads:
        for name, _ in read.anomalies:
            counts[name] += 1
        for name in {name for name, _ in read.anomalies}:
            reports[name] += 1
    print(f"{len(reads)} PDFs under {args.folder}; {len(history)} rows of history")
    print(f"{'anomaly':<32}{'reports':>8}{'found':>7}")
    for name in ANOMALIES:
        print(f"{name:<32}{reports[name]:>8}{counts[name]:>7}")
    if args.verbose:
        for read in reads:
            for name, detail in read.anomalies:
                print(f"{name:<28} {Path(read.path).parent.name}/{Path(read.path).name}: {detail}")
    summary = {"files": len(reads), "reports": dict(reports), "items": dict(counts)}
    if args.json:
        args.json.write_text(
            json.dumps({**summary, "anomalies": [[r.path, n, d] for r in reads for n, d in r.anomalies]}, indent=1),
            encoding="utf-8",
        )
    return summary


if __name__ == "__main__":
    main()
