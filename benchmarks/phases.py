"""Where ingest time goes: each step of the pipeline timed on the sample PDFs, in one process.

    python benchmarks/phases.py [--repeat 3] [--folder data/reports] [--no-command]

Prints the median seconds of each step, wall and CPU, and its multiple of bare extraction: the
baseline the ingest targets are stated against, pypdfium2's `get_text_range()` of every page of
every PDF under the folder in a process of its own, run in each round beside the steps. The steps:
imports; extract (`ingest.extract`: the file read within its limits, pypdfium2's text with the page
and character caps, the checksum); layout (lines and blocks: the part of parse_pages that reads the
page, timed on its own); parse (the rest of parse_pages: the document's kind, dates, findings,
judgements); classify (polarity, sentences, themes); write (write_document: one transaction per
document); compare (the stored comparisons of consecutive inspections, refresh_links).

Then the real command in the same rounds: `ofsted-ingest --workers 1` on the same folder into a new
database, wall and CPU (the writer and its worker together). The steps above run one after another
in one process; the command runs them in two (the worker extracts, lays out and parses, the writer
writes and compares, and classifying is shared), with its protections (the worker's memory cap, the
checks of each file, the migrations of a new database).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE_EXTRACTION = r"""
import sys, pypdfium2 as pdfium
from pathlib import Path
for p in sorted(Path(sys.argv[1]).rglob("*.pdf")):
    try:
        d = pdfium.PdfDocument(p)
    except pdfium.PdfiumError:  # no PDF (the archive holds saved web pages named .pdf): ingest refuses it too
        continue
    [d[i].get_textpage().get_text_range() for i in range(len(d))]
"""

ONE_RUN = r"""
import json, sys, tempfile, time
from pathlib import Path
times = {}
def start():
    global wall, cpu
    wall, cpu = time.perf_counter(), time.process_time()
def stop(step, less=None):
    took = [time.perf_counter() - wall, time.process_time() - cpu]
    times[step] = [took[0] - times[less][0], took[1] - times[less][1]] if less else took
start()
from datasette_ofsted.classify import classify_findings
from ingest.extract import Refused, extract
from ingest.links import refresh_links
from ingest.load import DocumentConflict, open_database, write_document
from ingest.layout import build_blocks, pdf_lines, text_lines
from ingest.parse import parse_pages
from ingest.reference import authorities, find_authority
stop("imports")
files = sorted(Path(sys.argv[1]).rglob("*.pdf"))
def read(f):
    try:
        return extract(f)
    except Refused:  # as ofsted-ingest: reported, not read further
        return None
start(); extracted = [read(f) for f in files]; stop("extract")
files, extracted = [f for f, e in zip(files, extracted) if e], [e for e in extracted if e]
start()
for e in extracted:
    build_blocks(pdf_lines(e.pages) if e.file_format == "pdf" else text_lines(e.pages), e.file_format)
stop("layout")
start(); parsed = [parse_pages(e.pages, e.file_format, find_authority) for e in extracted]; stop("parse", less="layout")
keep = [n for n, r in enumerate(parsed) if r.authority_name and r.start_date and r.findings]  # what ingest would refuse
files, extracted, reports = [files[n] for n in keep], [extracted[n] for n in keep], [parsed[n] for n in keep]
start()
for r in reports:
    classify_findings(r.findings)
stop("classify")
with tempfile.TemporaryDirectory() as folder:
    db = open_database(str(Path(folder) / "ofsted.db"))
    start()
    for f, e, r in zip(files, extracted, reports):
        try:
            write_document(db, r, authorities()[r.authority_name], str(f), f.name, e.sha256, None, None)
        except DocumentConflict:  # as ofsted-ingest: reported, not written
            pass
    stop("write")
    start(); refresh_links(db, {authorities()[r.authority_name].id for r in reports}); stop("compare")
print(json.dumps(times))
"""

BASELINE = "bare extraction"
COMMAND = "ofsted-ingest --workers 1"


def timed(command: list[str]) -> list[float]:
    """Wall and CPU seconds (user and system, of the process and every process it started) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", default="data/reports", help="the PDFs below it (the archive: /work/archive/pdf)")
    parser.add_argument("--no-command", action="store_true", help="the steps only, not the real ofsted-ingest")
    args = parser.parse_args()
    folder = str(Path(args.folder).resolve())
    rounds: list[dict[str, list[float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.repeat):  # a round: the baseline, the steps, the command, one after another
            times = {BASELINE: timed([sys.executable, "-c", BARE_EXTRACTION, folder])}
            steps = subprocess.run(
                [sys.executable, "-c", ONE_RUN, folder], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout
            times.update(json.loads(steps))
            if not args.no_command:
                db = str(Path(tmp) / f"round-{n}.db")
                times[COMMAND] = timed([sys.executable, "-m", "ingest.cli", folder, "--db", db, "--workers", "1", "-q"])
            rounds.append(times)
    # Each step as a multiple of its own round's baseline (the machine's load moves between rounds), then the
    # median over the rounds.
    print(f"{'':26} {'wall':>8} {'x bare':>7} {'CPU':>8} {'x bare':>7}   (medians of {args.repeat} rounds)")
    steps_in_all = [0.0, 0.0, 0.0, 0.0]
    for step in rounds[0]:
        row = [
            statistics.median(r[step][0] for r in rounds),
            statistics.median(r[step][0] / r[BASELINE][0] for r in rounds),
            statistics.median(r[step][1] for r in rounds),
            statistics.median(r[step][1] / r[BASELINE][1] for r in rounds),
        ]
        print(f"{step:26} {row[0]:7.2f}s {row[1]:6.2f}x {row[2]:7.2f}s {row[3]:6.2f}x")
        if step not in (BASELINE, COMMAND):
            steps_in_all = [a + b for a, b in zip(steps_in_all, row)]
    a = steps_in_all
    print(f"{'the steps in all':26} {a[0]:7.2f}s {a[1]:6.2f}x {a[2]:7.2f}s {a[3]:6.2f}x")


if __name__ == "__main__":
    main()
