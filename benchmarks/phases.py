"""Where ingest time goes: each step of the pipeline timed on the sample PDFs, in one process.

    python benchmarks/phases.py [--repeat 3]

Prints the median seconds of each step (imports, extract, parse, classify, load, links)
and each step's multiple of extraction, the baseline the ingest target is stated against.
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
from ingest.load import open_database, write_document
from ingest.parse import parse_pages
from ingest.reference import authorities, find_authority
times = {"imports": time.perf_counter() - t0}
files = sorted(Path("data/reports").glob("*.pdf"))
t = time.perf_counter(); extracted = [extract(f) for f in files]; times["extract"] = time.perf_counter() - t
t = time.perf_counter(); reports = [parse_pages(e.pages, e.file_format, find_authority) for e in extracted]; times["parse"] = time.perf_counter() - t
t = time.perf_counter()
for r in reports:
    classify_findings(r.findings)
times["classify"] = time.perf_counter() - t
with tempfile.TemporaryDirectory() as folder:
    db = open_database(str(Path(folder) / "ofsted.db"))
    t = time.perf_counter()
    for f, e, r in zip(files, extracted, reports):
        write_document(db, r, authorities()[r.authority_name], str(f), f.name, e.sha256, None, None)
    times["load"] = time.perf_counter() - t
    t = time.perf_counter(); refresh_links(db, {r.authority_name for r in reports}); times["links"] = time.perf_counter() - t
print(json.dumps(times))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import json

    runs = [
        json.loads(
            subprocess.run([sys.executable, "-c", ONE_RUN], cwd=ROOT, check=True, capture_output=True, text=True).stdout
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
