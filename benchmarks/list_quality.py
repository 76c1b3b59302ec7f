"""How completely and cleanly the parser reads improvement lists, per framework.

    python benchmarks/list_quality.py           # a table: precision and recall per framework
    python benchmarks/list_quality.py -v        # and every missed or extra item, report by report

The reference is tests/data/sif_reference.json, built by hand item by item from every report
in data/reports/: each item's first six and last four words. An item the parser reads counts
as right when it begins with a reference item's first words and ends with its last words, so
an item cut short, one with a heading glued on its end and a list's lead-in read as an item all
count as wrong. Precision: the share of items read that are right; recall: the share of the
reference's items read right. Only the authority's own improvements count, not an LSCB's.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.extract import extract  # noqa: E402
from ingest.parse import parse_pages  # noqa: E402
from ingest.reference import find_authority  # noqa: E402

REPORTS = ROOT / "data" / "reports"
REFERENCE = ROOT / "tests" / "data" / "sif_reference.json"


def letters(text: str) -> str:
    """Letters and digits only: quotes, dashes and a hyphen mended or kept do not count."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def read_improvements(path: Path) -> list[str]:
    extracted = extract(path)
    report = parse_pages(extracted.pages, extracted.file_format, find_authority)
    return [f.text for f in report.findings if f.kind == "improvement" and f.about == "authority"]


def score(read: list[str], reference: list[dict]) -> tuple[int, list[str], list[dict]]:
    """Items matched one to one, in order of the reference; the extra and the missed."""
    left = [(letters(text), text) for text in read]
    missed: list[dict] = []
    matched = 0
    for item in reference:
        first, last = letters(item["first"]), letters(item["last"])
        for i, (plain, _) in enumerate(left):
            if plain.startswith(first) and plain.endswith(last):
                del left[i]
                matched += 1
                break
        else:
            missed.append(item)
    return matched, [text for _, text in left], missed


def main(verbose: bool = False) -> dict[str, dict[str, float]]:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))["reports"]
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # matched, read, reference, reports, exact
    for entry in reference:
        read = read_improvements(REPORTS / entry["file"])
        matched, extra, missed = score(read, entry["improvements"])
        total = totals[entry["framework"]]
        total[0] += matched
        total[1] += len(read)
        total[2] += len(entry["improvements"])
        total[3] += 1
        total[4] += int(not extra and not missed)
        if verbose and (extra or missed):
            print(f"{entry['file']} ({entry['framework']}): {matched} right, {len(extra)} extra, {len(missed)} missed")
            for text in extra:
                print(f"   extra:  {text[:120]}")
            for item in missed:
                print(f"   missed: {item['first']} ... {item['last']}")
    results = {}
    print(f"{'framework':<10}{'reports':>8}{'exact':>7}{'items':>7}{'read':>6}{'precision':>11}{'recall':>8}")
    for framework in sorted(totals):
        matched, read, expected, reports, exact = totals[framework]
        precision = matched / read if read else 1.0
        recall = matched / expected if expected else 1.0
        results[framework] = {"precision": precision, "recall": recall, "reports": reports, "exact": exact}
        print(f"{framework:<10}{reports:>8}{exact:>7}{expected:>7}{read:>6}{precision:>11.3f}{recall:>8.3f}")
    return results


if __name__ == "__main__":
    main(verbose="-v" in sys.argv[1:])
