"""How completely and cleanly the parser reads improvement lists, per framework.

    python benchmarks/list_quality.py           # a table: precision and recall per framework
    python benchmarks/list_quality.py -v        # and every missed or extra item, report by report
    python benchmarks/list_quality.py --archive /work/archive/pdf   # where the archive is (this is the default)

The reference is tests/data/sif_reference.json, built by hand item by item from every report
in data/reports/: each item's first six and last four words. An item the parser reads counts
as right when it begins with a reference item's first words and ends with its last words, so
an item cut short, one with a heading glued on its end and a list's lead-in read as an item all
count as wrong. Precision: the share of items read that are right; recall: the share of the
reference's items read right; reports right: the share of reports whose list is read exactly
(every item right, none extra). Only the authority's own improvements count, not an LSCB's.

benchmarks/archive_list_reference.json adds 100 reports of the public archive (every year
2013-2026, SIF, ILACS and the 2013 looked-after-children inspections), each read by hand from
the PDF's text; they are scored when the archive is present and left out, with a note, when not.
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
ARCHIVE_REFERENCE = ROOT / "benchmarks" / "archive_list_reference.json"
ARCHIVE = Path("/work/archive/pdf")


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


def reference_reports(archive: Path = ARCHIVE) -> tuple[list[tuple[Path, dict]], int]:
    """Every reference report with its file: the bundled ones, and the archive's when it is here.
    Returns them and how many archive reports were left out."""
    reports = [(REPORTS / e["file"], e) for e in json.loads(REFERENCE.read_text(encoding="utf-8"))["reports"]]
    archived = json.loads(ARCHIVE_REFERENCE.read_text(encoding="utf-8"))["reports"]
    present = [(archive / e["archive_file"], e) for e in archived if (archive / e["archive_file"]).is_file()]
    return reports + present, len(archived) - len(present)


def main(verbose: bool = False, archive: Path = ARCHIVE) -> dict[str, dict[str, float]]:
    reference, left_out = reference_reports(archive)
    if left_out:
        print(f"{left_out} archive reports left out: not found under {archive}")
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # matched, read, reference, reports, exact
    for path, entry in reference:
        read = read_improvements(path)
        matched, extra, missed = score(read, entry["improvements"])
        total = totals[entry["framework"]]
        total[0] += matched
        total[1] += len(read)
        total[2] += len(entry["improvements"])
        total[3] += 1
        total[4] += int(not extra and not missed)
        if verbose and (extra or missed):
            name = entry.get("file") or entry["archive_file"]
            print(f"{name} ({entry['framework']}): {matched} right, {len(extra)} extra, {len(missed)} missed")
            for text in extra:
                print(f"   extra:  {text[:120]}")
            for item in missed:
                print(f"   missed: {item['first']} ... {item['last']}")
    results = {}
    print(
        f"{'framework':<10}{'reports':>8}{'exact':>7}{'right':>8}{'items':>7}{'read':>6}{'precision':>11}{'recall':>8}"
    )
    for framework in sorted(totals):
        matched, read, expected, reports, exact = totals[framework]
        precision = matched / read if read else 1.0
        recall = matched / expected if expected else 1.0
        results[framework] = {"precision": precision, "recall": recall, "reports": reports, "exact": exact}
        print(
            f"{framework:<10}{reports:>8}{exact:>7}{exact / reports:>8.1%}{expected:>7}{read:>6}"
            f"{precision:>11.3f}{recall:>8.3f}"
        )
    return results


if __name__ == "__main__":
    arguments = sys.argv[1:]
    where = Path(arguments[arguments.index("--archive") + 1]) if "--archive" in arguments else ARCHIVE
    main(verbose="-v" in arguments, archive=where)
