"""Today's plugin serving a database whose stored comparisons are out of date, or one an older release built, under
many clients: no request may take more than 2 s, none may fail, and the server must stay under 200 MB.

Issue 26: a cold /-/ofsted/national.json on such a database compared the whole archive (29 s); five at once took
52 s each and 316 MB; under 40 clients requests timed out. This runs `datasette serve -i` (127.0.0.1, a free port)
on a copy of a database made stale or unmigrated, then 40 client threads request the pages and canned queries that
read comparisons, each in a loop until the deadline, and samples the server's resident memory.

    python benchmarks/stale_load.py --db /tmp/archive/ofsted.db            # 40 clients, 60 s a state
    python benchmarks/stale_load.py --state stale --clients 10 --seconds 10  # a quick look
    (with no --db, the bundled reports are ingested into a temporary folder first)

Exits 1 when a limit is broken. Prints one JSON object a state.
"""

from __future__ import annotations

import argparse
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
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"
# The limits of the "Done when".
LIMIT_SECONDS = 2.0
LIMIT_MB = 200
# A request is abandoned (and counted as an error) after this long: past the limit anyway, and it bounds a client.
CLIENT_TIMEOUT = 30
SAMPLE_EVERY = 0.1  # seconds between two readings of the server's memory
SERVER_START_SECONDS = 60
# Compare pages and timelines of this many pairs and authorities are among the URLs (the first in id order).
SAMPLE_PAIRS = 12
SAMPLE_AUTHORITIES = 12

MAKE_STALE = "update comparisons set engine_version = 'an-older-engine'"
# As a release before stored comparisons left a database (schema_version 1).
MAKE_UNMIGRATED = """
drop trigger if exists documents_forget_comparisons_insert; drop trigger if exists documents_forget_comparisons_update;
drop trigger if exists documents_forget_comparisons_delete;
drop view if exists comparison_counts; drop table if exists comparison_rows; drop table if exists comparisons;
drop table if exists _sqlite_migrations; drop index if exists idx_issue_links_comparison_row_id;
alter table issue_links drop column comparison_row_id;
update meta set value = '1' where key = 'schema_version';
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepared(source: Path, folder: Path, state: str) -> Path:
    """A copy of the database in the given state (WAL folded in, so `-i` reads everything)."""
    target = folder / state / "ofsted.db"
    target.parent.mkdir(parents=True)
    with closing(sqlite3.connect(source)) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
    shutil.copy(source, target)
    with closing(sqlite3.connect(target)) as conn, conn:
        conn.execute("pragma journal_mode = delete")
        if state == "stale":
            conn.execute(MAKE_STALE)
        elif state == "unmigrated":
            conn.executescript(MAKE_UNMIGRATED)  # "current": the baseline, as ofsted-ingest left it
    return target


def urls(db: Path) -> list[str]:
    """The pages and canned queries that read comparisons: national, timelines, compare pages, the three queries."""
    with closing(sqlite3.connect(db)) as conn:
        authorities = [
            r[0]
            for r in conn.execute(
                "select authority_id from inspections group by authority_id having count(*) > 2 order by 1 limit ?",
                [SAMPLE_AUTHORITIES],
            )
        ]
        ids = [r for r in conn.execute("select authority_id, id from inspections order by authority_id, start_date")]
    pairs = [(a[1], b[1]) for a, b in zip(ids, ids[1:]) if a[0] == b[0]][:SAMPLE_PAIRS]
    out = ["/-/ofsted/national.json", "/-/ofsted/national", "/-/ofsted.json"]
    for authority in authorities:
        out += [f"/-/ofsted/{authority}.json", f"/-/ofsted/{authority}"]
        out += [f"/ofsted/status_counts.json?authority={authority}", f"/ofsted/what_recurs.json?authority={authority}"]
    out.append("/ofsted/recurring_themes.json")
    out += [f"/-/ofsted/compare/{a}...{b}.json" for a, b in pairs]
    return out


def slowest_kinds(latencies: list[tuple[float, str]]) -> dict[str, float]:
    """The median seconds of each kind of URL (the path with authority and pair names taken out), slowest first."""
    kinds: dict[str, list[float]] = {}
    for took, url in latencies:
        path, _, query = url.partition("?")
        parts = path.split("/")
        kind = "/".join("<name>" if i >= 3 and parts[:3] == ["", "-", "ofsted"] else p for i, p in enumerate(parts))
        if parts[:3] == ["", "-", "ofsted"] and len(parts) > 3 and parts[3] in ("national", "national.json"):
            kind = path
        if parts[3:4] == ["compare"]:
            kind = "/-/ofsted/compare/<pair>" + (".json" if path.endswith(".json") else "")
        kinds.setdefault(kind + ("?" + query.split("=")[0] if query else ""), []).append(took)
    medians = {kind: round(statistics.median(times), 3) for kind, times in kinds.items()}
    return dict(sorted(medians.items(), key=lambda kv: -kv[1])[:6])


def resident_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_state(source: Path, folder: Path, state: str, clients: int, seconds: float) -> dict:
    db = prepared(source, folder, state)
    reviews = db.with_name("ofsted_reviews.db")
    sqlite3.connect(reviews).close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", "-i", str(db), str(reviews), "-m", str(METADATA)]
        + ["-p", str(port), "-h", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("datasette serve did not start") from None
                time.sleep(0.2)
        targets = urls(db)
        load_before = os.getloadavg()[0]  # the machine is shared: a run is read beside its load
        latencies: list[tuple[float, str]] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + seconds
        peak = [resident_mb(server.pid)]

        def client(number: int) -> None:
            n = number
            while time.monotonic() < stop:
                url = targets[n % len(targets)]
                n += clients
                started = time.monotonic()
                try:
                    with urllib.request.urlopen(base + url, timeout=CLIENT_TIMEOUT) as response:
                        body = response.read()
                    problem = None if response.status == 200 else f"{response.status} {url}"
                    if b"no such table" in body or b"no such column" in body:
                        problem = f"SQL error shown at {url}"
                except urllib.error.HTTPError as error:
                    problem = f"{error.code} {url}"
                except OSError as error:
                    problem = f"{type(error).__name__} {url}"
                took = time.monotonic() - started
                with lock:
                    latencies.append((took, url))
                    if problem:
                        errors.append(problem)

        def sample() -> None:
            while time.monotonic() < stop:
                peak[0] = max(peak[0], resident_mb(server.pid))
                time.sleep(SAMPLE_EVERY)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        sampler = threading.Thread(target=sample)
        for thread in [*threads, sampler]:
            thread.start()
        for thread in [*threads, sampler]:
            thread.join()
        times = sorted(t for t, _ in latencies)
        slowest = max(latencies) if latencies else (0.0, "")
        result = {
            "state": state,
            "clients": clients,
            "seconds": seconds,
            "requests": len(latencies),
            "errors": len(errors),
            "error_examples": sorted(set(errors))[:5],
            "median_s": round(statistics.median(times), 3) if times else None,
            "p95_s": round(times[int(len(times) * 0.95) - 1], 3) if times else None,
            "max_s": round(slowest[0], 3),
            "slowest_url": slowest[1],
            "over_limit": sum(t > LIMIT_SECONDS for t in times),
            "slowest_kinds": slowest_kinds(latencies),
            "server_peak_mb": round(peak[0], 1),
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],  # 1-minute, before and after
        }
        result["ok"] = result["errors"] == 0 and result["over_limit"] == 0 and peak[0] < LIMIT_MB
        return result
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a current ofsted.db (default: the bundled reports, ingested now)")
    parser.add_argument(
        "--state",
        choices=["current", "stale", "unmigrated", "all"],
        default="all",
        help="all: the current database first, as the baseline of the same run, then stale and unmigrated",
    )
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stale-load-") as tmp:
        folder = Path(tmp)
        source = args.db
        if source is None:
            source = folder / "built" / "ofsted.db"
            subprocess.run(
                [sys.executable, "-m", "ingest.cli", str(ROOT / "data" / "reports"), "--db", str(source)],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        states = ["current", "stale", "unmigrated"] if args.state == "all" else [args.state]
        results = [run_state(source, folder, state, args.clients, args.seconds) for state in states]
    for result in results:
        print(json.dumps(result))
    return 0 if all(r["ok"] for r in results if r["state"] != "current") else 1


if __name__ == "__main__":
    sys.exit(main())
