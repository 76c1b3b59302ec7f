"""How cost grows with the archive: ingest time, database size and each page's time at 50, 150 and ~500 reports.

    python benchmarks/growth.py [--archive /work/archive/pdf] [--sizes 50 150 0] [--workers 2] [--repeat 5]

The reports are the archive's PDFs (one folder an authority), the first N in path order, so that
each authority's inspections come together and its consecutive pairs are compared; 0 means all.
Without an archive, the bundled PDFs are used (fewer than 50: the sizes are capped). Each size is
ingested afresh (`ofsted-ingest --workers`, wall seconds), then served (`datasette serve -i`,
127.0.0.1, a free port, the background reading off) and each page requested once ("first": what the
first visitor of a page waits for, every read and the rendering) and then `--repeat` times ("again":
the median, served from what the first kept). The ms are printed with what the page shows (rows), so
that a page whose time grows faster than its rows stands out. Writes benchmarks/results-growth.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from load import free_port, serve  # benchmarks/load.py: the same server, started the same way

ROOT = Path(__file__).resolve().parent.parent


def get(url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
    return time.perf_counter() - started, body


def pages_of(db: Path) -> list[tuple[str, str]]:
    """The pages measured at this size: the authority with most inspections, its largest stored pair."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        authority = conn.execute(
            "select authority_id from inspections group by authority_id order by count(*) desc, authority_id limit 1"
        ).fetchone()[0]
        pair = conn.execute("select comparison_id from comparison_rows group by comparison_id order by count(*) desc, comparison_id limit 1").fetchone()[0]
    return [
        ("index", "/-/ofsted"),
        ("index_json", "/-/ofsted.json"),
        ("authority", f"/-/ofsted/{authority}"),
        ("compare", f"/-/ofsted/compare/{pair}"),
        ("compare_json", f"/-/ofsted/compare/{pair}.json"),
        ("search", "/-/ofsted/search?q=return+home+interviews"),
        ("search_json", "/-/ofsted/search.json?q=return+home+interviews"),
        ("national", "/-/ofsted/national"),
        ("national_json", "/-/ofsted/national.json"),
    ]


def shown_rows(name: str, body: bytes) -> int | None:
    """How many rows a .json page shows (its longest list), so that its time can be set against them."""
    if not name.endswith("json"):
        return None
    data = json.loads(body)
    lists = [len(v) for v in data.values() if isinstance(v, list)] if isinstance(data, dict) else []
    return max(lists) if lists else None


def measure(files: list[Path], workers: int, repeat: int, folder: Path) -> dict:
    db = folder / "ofsted.db"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ingest.cli", *map(str, files), "--db", str(db), "--workers", str(workers)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ingest_s = time.perf_counter() - started
    with sqlite3.connect(db) as conn:
        counts = dict(
            zip(
                ("inspections", "findings", "comparisons"),
                conn.execute(
                    "select (select count(*) from inspections), (select count(*) from findings), "
                    "(select count(*) from comparisons)"
                ).fetchone(),
            )
        )
    out: dict = {"reports": len(files), "ingest_s": round(ingest_s, 1), "db_mb": round(db.stat().st_size / 2**20, 1)}
    out.update(counts)
    port = free_port()
    # No background reading: the first request of each page is the first reading of it.
    settings = folder / "growth.json"
    settings.write_text(json.dumps({"plugins": {"datasette-ofsted": {"warm_pages": False}}}))
    server = serve(db, port, folder / "server.log", ("-m", str(settings)))
    try:
        pages = {}
        for name, path in pages_of(db):
            url = f"http://127.0.0.1:{port}{path}"
            first, body = get(url)
            times = [get(url)[0] for _ in range(repeat)]
            pages[name] = {
                "first_ms": round(1000 * first, 1),
                "ms": round(1000 * statistics.median(times), 1),
                "rows": shown_rows(name, body),
            }
        out["pages"] = pages
    finally:
        server.terminate()
        server.wait(timeout=10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, default=Path("/work/archive/pdf"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 150, 0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-growth.json")
    args = parser.parse_args()
    every = sorted(args.archive.rglob("*.pdf")) if args.archive.is_dir() else []
    every = every or sorted((ROOT / "data" / "reports").glob("*.pdf"))
    results = []
    for size in args.sizes:
        files = every[:size] if size else every
        folder = Path(tempfile.mkdtemp(prefix="ofsted-growth-"))
        try:
            result = measure(files, args.workers, args.repeat, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        results.append(result)
        pages = ", ".join(  # first request / again
            f"{k} {v['first_ms']}/{v['ms']} ms" + (f" ({v['rows']} rows)" if v["rows"] else "")
            for k, v in result["pages"].items()
        )
        print(
            f"{result['reports']} reports: ingest {result['ingest_s']} s, {result['db_mb']} MB, "
            f"{result['inspections']} inspections, {result['findings']} findings, {result['comparisons']} pairs; {pages}",
            flush=True,
        )
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
