"""Benchmarks, each as a ratio against a baseline measured beside it in the same run.

    python benchmarks/run.py [--repeat 5] [--quick]

These machines are noisy: every figure is the median of several runs, and each target
run is paired with its baseline run right before it. What is measured:

1. ingest of the sample PDFs (one worker, and the default workers) against bare text
   extraction of the same PDFs with pypdfium2 alone, both as fresh processes;
2. the comparison JSON against Datasette's own 100-row table JSON, on one server;
3. growth: ingest of 1x, 4x and 16x the samples (text copies of the PDFs with their years
   shifted, so that each copy is a new inspection), and one comparison of two reports of
   10, 40 and 160 findings each;
4. peak memory (max RSS) of an ingest of all the samples with one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from datasette_ofsted.routes import pages

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "data" / "reports"
PDFS = sorted(REPORTS.glob("*.pdf"))
PY = sys.executable


def timed(command: list[str], **kwargs) -> float:
    return timed_with_cpu(command, **kwargs)[0]


def timed_with_cpu(command: list[str], **kwargs) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system) of the process and all its workers."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, **kwargs)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def extract_only_command(paths: list[Path]) -> list[str]:
    code = (
        "import sys, pypdfium2 as pdfium\n"
        "for p in sys.argv[1:]:\n"
        "    d = pdfium.PdfDocument(p)\n"
        "    [d[i].get_textpage().get_text_range() for i in range(len(d))]\n"
    )
    return [PY, "-c", code, *map(str, paths)]


def ingest_command(paths: list[Path], db: Path, workers: int) -> list[str]:
    return [PY, "-m", "ingest.cli", *map(str, paths), "--db", str(db), "--workers", str(workers)]


def paired(baseline, target, repeat: int) -> dict:
    """Median ratio of target to baseline over runs that alternate them."""
    base, test = [], []
    for _ in range(repeat):
        base.append(baseline())
        test.append(target())
    return {
        "baseline_s": round(statistics.median(base), 3),
        "target_s": round(statistics.median(test), 3),
        "ratio": round(statistics.median(t / b for t, b in zip(test, base)), 2),
        "ratios": sorted(round(t / b, 2) for t, b in zip(test, base)),  # every pair: the spread of the noise
    }


def bench_ingest(repeat: int, tmp: Path) -> dict:
    results = {}
    for workers in (1, os.cpu_count() or 1):
        cpu: dict[str, list[float]] = {"baseline": [], "target": []}

        def measure(command: list[str], side: str, cpu: dict = cpu) -> float:
            wall, seconds = timed_with_cpu(command)
            cpu[side].append(seconds)
            return wall

        def target(workers=workers):
            db = tmp / f"ingest-{workers}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            return measure(ingest_command(PDFS, db, workers), "target")

        result = paired(lambda: measure(extract_only_command(PDFS), "baseline"), target, repeat)
        # Wall time is the target; CPU time says what the work costs, since even one worker
        # runs beside the writer process and so can use two cores.
        result["baseline_cpu_s"] = round(statistics.median(cpu["baseline"]), 3)
        result["target_cpu_s"] = round(statistics.median(cpu["target"]), 3)
        result["cpu_ratio"] = round(statistics.median(t / b for t, b in zip(cpu["target"], cpu["baseline"])), 2)
        results[f"workers_{workers}"] = result
    return results


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
    return time.perf_counter() - started


# Every page of the plugin, HTML and .json (the route registry's examples), and the largest comparisons, each
# timed against Datasette's own 100-row table JSON on the same server. The review pages are for reviewers only.
PAGES = [
    *pages(formats=("", ".json")),
    ("birmingham_2018_2023", "/-/ofsted/compare/birmingham-2018-12-03...birmingham-2023-02-20.json"),
    ("manchester_2014_2017_sif", "/-/ofsted/compare/manchester-2014-06-25...manchester-2017-10-09.json"),
    ("manchester_2017_2022_page", "/-/ofsted/compare/manchester-2017-10-09...manchester-2022-03-21"),
    ("authority_page_manchester", "/-/ofsted/manchester"),
    ("authority_json_birmingham", "/-/ofsted/birmingham.json"),
]


def bench_pages(repeat: int, tmp: Path) -> dict:
    db = tmp / "ofsted.db"
    subprocess.run(
        [PY, "-m", "ingest.cli", str(REPORTS), "--db", str(db)],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "datasette",
            "serve",
            "-i",
            str(db),
            str(tmp / "ofsted_reviews.db"),
            "-m",
            str(ROOT / "metadata.yml"),
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                get(base + "/-/versions.json")
                break
            except OSError:
                time.sleep(0.1)
        table = base + "/ofsted/findings.json?_size=100"
        results = {}
        for name, path in PAGES:
            get(table), get(base + path)  # warm both
            results[name] = paired(lambda: get(table), lambda path=path: get(base + path), max(repeat, 10))
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


def shifted_copies(times: int, folder: Path) -> list[Path]:
    """Text copies of the sample PDFs, years shifted by 100 per copy: each copy a new inspection."""
    from ingest.extract import extract

    texts = {pdf.name: "\f".join(extract(pdf).pages) for pdf in PDFS}
    out = []
    for copy in range(times):
        for name, text in texts.items():
            shifted = re.sub(r"\b(19|20)(\d\d)\b", lambda m, k=copy: str(int(m.group(0)) + 100 * k), text)
            path = folder / f"copy{copy:02d}_{name}.txt"
            path.write_text(shifted, encoding="utf-8")
            out.append(path)
    return out


def bench_growth(repeat: int, tmp: Path, quick: bool) -> dict:
    from datasette_ofsted.align import compare
    from ingest.evaluate import report_findings

    results: dict = {"ingest": {}, "compare": {}}
    scales = (1, 4) if quick else (1, 4, 16)
    for times in scales:
        folder = tmp / f"copies{times}"
        folder.mkdir()
        files = shifted_copies(times, folder)
        runs = []
        for _ in range(max(1, repeat // 2)):
            db = tmp / f"growth{times}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            runs.append(timed([PY, "-m", "ingest.cli", str(folder), "--db", str(db), "--workers", "1"]))
        results["ingest"][f"{times}x"] = {"files": len(files), "seconds": round(statistics.median(runs), 2)}
    first = results["ingest"]["1x"]["seconds"]
    for value in results["ingest"].values():
        value["per_1x"] = round(value["seconds"] / first, 2)

    pool = [f for pdf in PDFS for f in report_findings(pdf)]
    improvements = [f for f in pool if f["kind"] == "improvement"]
    others = [f for f in pool if f["kind"] != "improvement"]
    rng = random.Random(7)
    for size in (10, 40, 160):

        def side(size=size):
            n_improvements = max(2, size // 10)
            return rng.sample(improvements, n_improvements) + rng.sample(others, size - n_improvements)

        earlier, later = side(), side()
        runs = []
        for _ in range(max(3, repeat)):
            started = time.perf_counter()
            compare(earlier, later)
            runs.append(time.perf_counter() - started)
        results["compare"][f"{size}x{size}"] = {"seconds": round(statistics.median(runs), 4)}
    first = results["compare"]["10x10"]["seconds"]
    for value in results["compare"].values():
        value["per_10x10"] = round(value["seconds"] / first, 1)
    return results


def _tree(pid: int) -> list[int]:
    """A process and all its descendants, from /proc."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def bench_memory(tmp: Path) -> dict:
    """Peak memory of an ingest of all the samples with one worker: the writer and the worker together.

    The resident sizes of the whole process tree are summed every 5 ms (pages a forked
    worker shares with the writer count twice, so this overstates a little); the largest
    single process's peak comes from the kernel's own accounting.
    """
    db = tmp / "memory.db"
    process = subprocess.Popen(
        ingest_command(PDFS, db, 1), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_rss_kb(pid) for pid in _tree(process.pid)))
        time.sleep(0.005)
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "peak_rss_mb": round(peak / 1024, 1),
        "largest_process_mb": round(largest / 1024, 1),  # of all this run's children: run first
        "note": "summed resident memory of the ingest's processes (writer and one worker), sampled every 5 ms",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="fewer runs and no 16x growth (for a smoke test)")
    parser.add_argument("--only", choices=["memory", "ingest", "pages", "growth"], help="one measurement, not all four")
    args = parser.parse_args()
    repeat = 2 if args.quick else args.repeat
    # pip compiles an installed package's bytecode; a sandbox that forbids writing it would
    # charge every ingest for compiling this project's modules afresh, which users never pay.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        measurements = {
            "memory": ("memory", lambda: bench_memory(tmp)),
            "ingest": ("ingest_vs_extraction", lambda: bench_ingest(repeat, tmp)),
            "pages": ("pages_vs_table_json", lambda: bench_pages(repeat, tmp)),
            "growth": ("growth", lambda: bench_growth(repeat, tmp, args.quick)),
        }
        report: dict = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]}}
        for name, (key, measure) in measurements.items():
            if args.only in (None, name):
                report[key] = measure()
    print(json.dumps(report, indent=2))
    out = ROOT / "benchmarks" / ("results.json" if args.only is None else f"results-{args.only}.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
