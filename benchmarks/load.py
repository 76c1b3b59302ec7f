"""The plugin's pages under load, each as a ratio of Datasette's own /-/versions.json on the same server.

    python benchmarks/load.py [--db /tmp/ofsted.db] [--clients 20] [--seconds 10] [--only index_page]

One `datasette serve -i` (127.0.0.1, a free port, with ofsted_reviews.db beside the database when it
is there); for each page, `--clients` threads, each with its own keep-alive connection, request it in
a loop for `--seconds` (a bounded loop: every request has a 60 s timeout, and no request starts after
the deadline). The pages: the compare JSON of the largest stored consecutive pair (by the length of
its stored result), and every page an anonymous visitor may open in the route registry
(`routes.pages()`, HTML, JSON and CSV). Datasette's /-/versions.json is measured right before each
page (`--baseline-seconds`), the same clients on the same server: each page's ratio is against
its own baseline run, since the machine's load drifts within a run. `--actor alice` sends every
request (the baseline's too) as that signed-in actor (a `ds_actor` cookie signed with the server's
`--secret`), and `--reviewer alice` names a reviewer (the plugin setting `reviewers`, the reviews
database served writable, as the README serves it): together they measure a reviewer's compare page
(`--only compare_largest_page`), which holds the review form and so is made afresh at every request.
Prints requests
a second, the ratio, p50 and p95 in ms and errors (any status but 200, or a failed request); writes
benchmarks/results-load.json; exits 1 if a request failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from datasette_ofsted.routes import pages

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "/-/versions.json"
TIMEOUT_S = 60  # one request's limit: a bounded loop even if the server stalls


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def largest_pair(db_path: Path) -> str:
    """The stored consecutive pair with the longest stored result: the most work a compare page does."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        row = conn.execute("select comparison_id from comparison_rows group by comparison_id order by count(*) desc, comparison_id limit 1").fetchone()
    if row is None:
        raise SystemExit(f"{db_path} holds no stored comparisons: run ofsted-ingest first")
    return row[0]


def build_database(folder: Path) -> Path:
    """The bundled reports ingested into a fresh database (the default when --db is not given)."""
    db = folder / "ofsted.db"
    subprocess.run(
        [sys.executable, "-m", "ingest.cli", "data/reports", "--db", str(db)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return db


def hammer(port: int, path: str, clients: int, seconds: float, headers: dict[str, str] | None = None) -> dict:
    """`clients` threads requesting `path` until the deadline: throughput, latencies, errors."""
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        start.wait()
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers or {})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[n].append(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as error:
                errors[n].append(f"{type(error).__name__}: {error}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
            latencies[n].append(time.perf_counter() - began)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(t for per in latencies for t in per)
    failed = [e for per in errors for e in per]
    return {
        "path": path,
        "requests": len(every),
        "per_s": round(len(every) / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(every), 1) if every else None,
        "p95_ms": round(1000 * every[int(0.95 * (len(every) - 1))], 1) if every else None,
        "errors": len(failed),
        "first_error": failed[0] if failed else None,
    }


def serve(db: Path, port: int, log: Path, extra: tuple[str, ...] = (), reviews_writable: bool = False) -> subprocess.Popen:
    """`datasette serve -i` on 127.0.0.1:port (with `extra` arguments), its stderr (where a failed request's
    traceback goes) written to `log`; the reviews database beside `db` immutable, or writable (as the README
    serves it for reviewers)."""
    files = ["-i", str(db), *extra]
    reviews = db.with_name("ofsted_reviews.db")
    if reviews.exists():
        files += [str(reviews)] if reviews_writable else ["-i", str(reviews)]
    server = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", *files, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{BASELINE}", timeout=5):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"datasette exited: {log.read_text(errors='replace')}") from None
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("datasette did not start within 30 s")


# The server's secret when requests are signed in (--actor): a benchmark's own, never a real deployment's.
BENCHMARK_SECRET = "datasette-ofsted-load-benchmark"


def signed_in(folder: Path, actor: str | None, reviewers: list[str] | None) -> tuple[tuple[str, ...], dict[str, str]]:
    """The server's extra arguments (its secret; metadata naming the reviewers) and each request's headers (a
    ds_actor cookie signed as Datasette signs it) for `--actor` and `--reviewer`; nothing when neither is given."""
    extra: list[str] = []
    headers: dict[str, str] = {}
    if reviewers:
        import yaml

        metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8")) or {}
        metadata.setdefault("plugins", {}).setdefault("datasette-ofsted", {})["reviewers"] = {"id": reviewers}
        (folder / "metadata.yml").write_text(yaml.safe_dump(metadata), encoding="utf-8")
        extra += ["-m", str(folder / "metadata.yml")]
    if actor:
        from datasette.app import Datasette

        cookie = Datasette(secret=BENCHMARK_SECRET).sign({"a": {"id": actor}}, "actor")
        headers["Cookie"] = f"ds_actor={cookie}"
        extra += ["--secret", BENCHMARK_SECRET]
    return tuple(extra), headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an ofsted.db (default: the bundled reports, ingested now)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--baseline-seconds", type=float, default=5.0, help="the baseline's run before each page")
    parser.add_argument("--only", action="append", help="a page's name (repeatable); the baseline always runs")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-load.json")
    parser.add_argument("--actor", help="send every request as this signed-in actor id (a signed ds_actor cookie)")
    parser.add_argument("--reviewer", action="append", help="an actor id the plugin names a reviewer (repeatable)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ofsted-load-"))
    try:
        db = args.db or build_database(folder)
        # Served from a copy, so that the copy's reviews database is the one the server attaches.
        served = folder / "served" / "ofsted.db"
        served.parent.mkdir()
        shutil.copy(db, served)
        if db.with_name("ofsted_reviews.db").exists():
            shutil.copy(db.with_name("ofsted_reviews.db"), served.with_name("ofsted_reviews.db"))
        largest = largest_pair(served)
        targets = [
            ("compare_largest_json", f"/-/ofsted/compare/{largest}.json"),
            ("compare_largest_page", f"/-/ofsted/compare/{largest}"),
            *pages(),
        ]
        if args.only:
            targets = [t for t in targets if t[0] in args.only]
        port = free_port()
        log = folder / "server.log"
        baselines: dict[str, dict] = {}
        results: dict[str, dict] = {}
        extra, headers = signed_in(folder, args.actor, args.reviewer)
        if args.reviewer:
            from datasette_ofsted.reviews import create_reviews_database

            create_reviews_database(served)
        server = serve(served, port, log, extra, reviews_writable=bool(args.reviewer))
        try:
            for _, path in [("warm", BASELINE), *targets]:  # each page once, so that no run pays a first load
                warm = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
                with urllib.request.urlopen(warm, timeout=TIMEOUT_S) as r:
                    body = r.read()
                if args.reviewer and args.actor and path.endswith(largest) and b'class="review-form"' not in body:
                    raise SystemExit(f"{path} shows {args.actor} no review form: is the actor named a reviewer?")
            # Each page right after a baseline run of its own: the machine's load drifts within a run.
            for name, path in targets:
                baselines[name] = hammer(port, BASELINE, args.clients, args.baseline_seconds, headers)
                results[name] = hammer(port, path, args.clients, args.seconds, headers)
        finally:
            server.terminate()
            server.wait(timeout=10)
        failures = [line for line in log.read_text(errors="replace").splitlines() if "INFO:" not in line]
        if any(r["errors"] for r in [*results.values(), *baselines.values()]) and failures:
            print("the server's errors:\n" + "\n".join(failures[-40:]), file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    every = [b["per_s"] for b in baselines.values()]
    print(
        f"{args.clients} clients, {args.seconds:g} s a page, {args.baseline_seconds:g} s of {BASELINE} before each "
        f"({min(every)}-{max(every)} req/s, median {statistics.median(every)}); load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'page':28} {'req/s':>7} {'base':>7} {'ratio':>6} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}")
    for name, r in results.items():
        base = baselines[name]["per_s"]
        r["baseline_per_s"] = base
        r["ratio"] = round(r["per_s"] / base, 2) if base else None
        print(f"{name:28} {r['per_s']:7} {base:7} {r['ratio']:6} {r['p50_ms']:7} {r['p95_ms']:7} {r['errors']:6}")
    args.out.write_text(
        json.dumps(
            {
                "clients": args.clients,
                "seconds": args.seconds,
                "baselines": baselines,
                "load_average": os.getloadavg(),
                "pages": results,
            },
            indent=2,
        )
        + "\n"
    )
    failed = {name: r["first_error"] for name, r in results.items() if r["errors"]}
    if failed or any(b["errors"] for b in baselines.values()):
        print(f"errors: {failed}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
