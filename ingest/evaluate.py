"""Score the comparison against hand-made gold alignments, exactly as tests/gold/README.md defines.

    python -m ingest.evaluate [--gold tests/gold] [--reports data/reports] [--verbose]

Each gold file names its two reports by file name; they are parsed from the reports
folder (no database needed), compared with the same engine the pages use, and each gold
issue is right when the rows holding its quote agree on the gold status (or one in
`also_ok`) and, for recurring and resolved, the row's other side holds one of the gold
evidence quotes among its improvements and its first four other findings.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from datasette_ofsted.align import compare
from datasette_ofsted.classify import classify_findings
from datasette_ofsted.text import normalise

from .extract import extract
from .parse import parse_pages
from .reference import find_authority

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=64)
def report_findings(path: Path) -> tuple[dict, ...]:
    """A report's findings as the engine takes them, straight from its file, classified as ingest does."""
    extracted = extract(path)
    report = parse_pages(extracted.pages, extracted.file_format, find_authority)
    classify_findings(report.findings)
    return tuple(
        {
            "id": f"{path.name}#{f.ordinal}",
            "kind": f.kind,
            "polarity": f.polarity,
            "text": f.text,
            "section": f.section,
            "themes": f.themes,
            "sentences": f.sentences,
            "about": f.about,
            "page": f.page,
            "paragraph": f.paragraph,
        }
        for f in report.findings
    )


@dataclass
class PairScore:
    name: str
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.right / self.total if self.total else 0.0


def score_pair(gold: dict, result: dict, name: str = "") -> PairScore:
    pair = PairScore(name)
    for side, other, evidence_key in (("from", "to", "to_quotes"), ("to", "from", "from_quotes")):
        for issue in gold[f"{side}_issues"]:
            quote = normalise(issue["quote"])
            rows = [r for r in result["rows"] if any(quote in normalise(f["text"]) for f in r[side])]
            statuses = {r["status"] for r in rows}
            status = next(iter(statuses)) if len(statuses) == 1 else None
            accepted = {issue["status"], *issue.get("also_ok", [])}
            right = status in accepted
            why = f"status {sorted(statuses) or 'no row'}, gold {issue['status']}"
            if right and status == issue["status"] and status in ("recurring", "resolved"):
                row = rows[0]
                improvements = [f for f in row[other] if f.get("role") == "improvement"]
                evidence = [f for f in row[other] if f.get("role") != "improvement"][:4]
                quotes = [normalise(q) for q in issue.get(evidence_key, [])]
                right = any(q in normalise(f["text"]) for q in quotes for f in improvements + evidence)
                why = f"{status} right but none of the gold evidence among the row's {other} side"
            pair.total += 1
            pair.right += right
            if not right:
                pair.misses.append(f"{side.upper()} {issue['quote'][:70]!r}: {why}")
    return pair


def evaluate(gold_dir: Path, reports_dir: Path) -> list[PairScore]:
    scores = []
    for path in sorted(gold_dir.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        earlier = list(report_findings(reports_dir / gold["from"]["source"]))
        later = list(report_findings(reports_dir / gold["to"]["source"]))
        scores.append(score_pair(gold, compare(earlier, later), path.stem))
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "tests" / "gold")
    parser.add_argument("--reports", type=Path, default=ROOT / "data" / "reports")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    scores = evaluate(args.gold, args.reports)
    right, total = sum(s.right for s in scores), sum(s.total for s in scores)
    for s in scores:
        print(f"{s.name:45} {s.right:3}/{s.total:<3} {s.score:.2f}")
        if args.verbose:
            for miss in s.misses:
                print(f"    miss: {miss}")
    print(f"{'all pairs':45} {right:3}/{total:<3} {right / total:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
