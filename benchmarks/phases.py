"""Where ingest time goes: each step of the pipeline timed on the sample PDFs, in one process.

    python benchmarks/phases.py [--repeat 3] [--folder data/reports]

Prints the median seconds of each step and its multiple of extraction, the baseline the ingest
target is stated against: imports; extract (pypdfium2's text); layout (lines and blocks: the
part of parse_pages that reads the page, timed on its own); parse (the rest of parse_pages:
the document's kind, dates, findings, judgements); classify (polarity, sentences, themes);
write (write_document: one transaction per document); compare (the stored comparisons of
consecutive inspections, refresh_links).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE_RUN = r"""
import json, sys, tempfile, time
from pathlib import Path
t0 = time.perf_counter()
from datasette_ofsted.classify import classify_findings
from ingest.extract import extract
from ingest.links import refresh_links
from ingest.load import DocumentConflict, open_database, write_document
from ingest.layout import build_blocks, pdf_lines, text_lines
from ingest.parse import parse_pages
from ingest.reference import authorities, find_authority
times = {"imports": time.perf_counter() - t0}
files = sorted(Path(sys.argv[1]).rglob("*.pdf"))
t = time.perf_counter(); extracted = [extract(f) for f in files]; times["extract"] = time.perf_counter() - t
t = time.perf_counter()
for e in extracted:
    build_blocks(pdf_lines(e.pages) if e.file_format == "pdf" else text_lines(e.pages), e.file_format)
times["layout"] = time.perf_counter() - t
t = time.perf_counter(); parsed = [parse_pages(e.pages, e.file_format, find_authority) for e in extracted]
times["parse"] = time.perf_counter() - t - times["layout"]
keep = [n for n, r in enumerate(parsed) if r.authority_name and r.start_date and r.findings]  # what ingest would refuse
files, extracted, reports = [files[n] for n in keep], [extracted[n] for n in keep], [parsed[n] for n in keep]
t = time.perf_counter()
for r in reports:
    classify_findings(r.findings)
times["classify"] = time.perf_counter() - t
with tempfile.TemporaryDirectory() as folder:
    db = open_database(str(Path(folder) / "ofsted.db"))
    t = time.perf_counter()
    for f, e, r in zip(files, extracted, reports):
        try:
            write_document(db, r, authorities()[r.authority_name], str(f), f.name, e.sha256, None, None)
        except DocumentConflict:  # as ofsted-ingest: reported, not written
            pass
    times["write"] = time.perf_counter() - t
    t = time.perf_counter(); refresh_links(db, {authorities()[r.authority_name].id for r in reports})
    times["compare"] = time.perf_counter() - t
print(json.dumps(times))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", default="data/reports", help="the PDFs below it (the archive: /work/archive/pdf)")
    args = parser.parse_args()
    import json

    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", ONE_RUN, args.folder], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(args.repeat)
    ]
    medians = {step: statistics.median(run[step] for run in runs) for step in runs[0]}
    for step, seconds in medians.items():
        print(f"{step:10} {seconds:6.2f} s  {seconds / medians['extract']:5.2f} x extraction")
    total = sum(medians.values())
    print(f"{'total':10} {total:6.2f} s  {total / medians['extract']:5.2f} x extraction")


if __name__ == "__main__":
    main()
