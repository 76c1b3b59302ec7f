"""Kill -9 at random points during an ingest, a reclassify and a reparse, then run the same command again: the database
must equal a build from scratch, hold no orphan, and keep every review where it was (issue 26).

    python benchmarks/kill_recovery.py                 # 10 rounds of each, on the bundled reports
    python benchmarks/kill_recovery.py --rounds 3 --seed 7

Each round copies the starting database (none for an ingest), starts the command, kills it with SIGKILL after a
random fraction of the time it takes whole (measured first), checks the file (integrity, no orphan, no half
document), runs the same command again to the end and compares every table with the build from scratch (all but
when a row was written). The reviews database beside it holds reviews of improvements of every stored pair: after
each round their rows and hash chain must be as written and every key must still name an improvement. Prints one
JSON object a command; exits 1 when a round differs.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datasette_ofsted.reviews import (  # noqa: E402
    create_reviews_database,
    improvement_key,
    insert_review,
    reviews_path_beside,
    verify_chain,
)

REPORTS = ROOT / "data" / "reports"
# Where in the command's run the kill lands: never at the very start (nothing to test) nor after its end.
KILL_BETWEEN = (0.05, 0.95)
COMMAND_TIMEOUT = 900
# Tries at a round's kill when the command ends first (the machine was faster than when it was timed).
RETRIES = 3
REVIEWS_PER_PAIR = 2

# Rows that must not exist in a consistent database.
ORPHANS = {
    "findings without their document": "select count(*) from findings where document_id not in (select id from documents)",
    "judgements without their document": "select count(*) from judgements "
    "where document_id not in (select id from documents)",
    "themes of a finding that is gone": "select count(*) from finding_themes where finding_id not in (select id from findings)",
    "sentences of a finding that is gone": "select count(*) from finding_sentences "
    "where finding_id not in (select id from findings)",
    "documents without their inspection": "select count(*) from documents "
    "where inspection_id not in (select id from inspections)",
    "inspections without a document": "select count(*) from inspections where id not in (select inspection_id from documents)",
    "rows without their comparison": "select count(*) from comparison_rows "
    "where comparison_id not in (select id from comparisons)",
    "links without their row": "select count(*) from issue_links "
    "where comparison_row_id is null or comparison_row_id not in (select id from comparison_rows)",
    "half-written documents": "select count(*) from documents d "
    "where d.findings != (select count(*) from findings f where f.document_id = d.id)",
}
# Columns that say when a row was written, not what it holds.
WHEN = {"ingested_at", "computed_at", "applied_at", "at"}


def ingest(*args: str) -> list[str]:
    return [sys.executable, "-m", "ingest.cli", *args]


def snapshot(db: Path) -> dict[str, list]:
    """Every table of what was read, classified and compared, as sorted rows without the times of writing."""
    out: dict[str, list] = {}
    with closing(sqlite3.connect(db)) as conn:
        tables = [
            "authorities",
            "inspections",
            "documents",
            "judgements",
            "findings",
            "finding_themes",
            "finding_sentences",
            "themes",
            "comparisons",
            "comparison_rows",
            "issue_links",
        ]
        for table in tables:
            cursor = conn.execute(f"select * from [{table}]")
            names = [c[0] for c in cursor.description]
            keep = [i for i, n in enumerate(names) if n not in WHEN and not (table == "issue_links" and n == "id")]
            out[table] = sorted((tuple(row[i] for i in keep) for row in cursor), key=repr)
    return out


def problems(db: Path) -> list[str]:
    """What is wrong with the file: its integrity, orphans, half-written documents (nothing, before its tables exist)."""
    if not db.exists():
        return []
    with closing(sqlite3.connect(db)) as conn:
        if not conn.execute("select 1 from sqlite_master where name = 'findings'").fetchone():
            return [] if conn.execute("pragma integrity_check").fetchone()[0] == "ok" else ["integrity_check failed"]
        found = [] if conn.execute("pragma integrity_check").fetchone()[0] == "ok" else ["integrity_check failed"]
        found += [f"{n} {what}" for what, sql in ORPHANS.items() if (n := conn.execute(sql).fetchone()[0])]
    return found


def add_reviews(db: Path) -> list[tuple]:
    """Reviews of the first improvements of every stored pair, in the reviews database beside the database."""
    path = create_reviews_database(db)
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "select l.authority_id, l.from_inspection_id, l.to_inspection_id, f.document_id, f.text, f.id, l.side "
            "from issue_links l join findings f on f.id = case l.side when 'from' then l.from_finding_id "
            "else l.to_finding_id end order by l.from_inspection_id, l.row_number"
        ).fetchall()
    taken: dict[tuple, int] = {}
    with closing(sqlite3.connect(path)) as conn:
        for authority, earlier, later, document_id, text, finding_id, side in rows:
            if taken.get((earlier, later), 0) >= REVIEWS_PER_PAIR:
                continue
            taken[(earlier, later)] = taken.get((earlier, later), 0) + 1
            review = {
                "authority_id": authority,
                "from_inspection_id": earlier,
                "to_inspection_id": later,
                "item_key": improvement_key({"document_id": document_id, "text": text}),
                "side": side,
                "finding_id": finding_id,
                "finding_text": text,
                "status": "recurring",
                "auto_status": "recurring",
                "themes": "",
                "evidence": "[]",
                "note": "kept through every kill",
                "actor_id": "benchmark",
                "at": "2026-12-07T00:00:00+00:00",
            }
            insert_review(conn, review)
    return held_reviews(db)


def held_reviews(db: Path) -> list[tuple]:
    with closing(sqlite3.connect(reviews_path_beside(db))) as conn:
        return conn.execute("select * from reviews order by id").fetchall()


def reviews_problems(db: Path, expected: list[tuple]) -> list[str]:
    found = []
    if held_reviews(db) != expected:
        found.append("the reviews changed")
    with closing(sqlite3.connect(reviews_path_beside(db))) as conn:
        if not verify_chain(conn)["intact"]:
            found.append("the reviews' hash chain is broken")
        keys = [r[0] for r in conn.execute("select item_key from reviews")]
    with closing(sqlite3.connect(db)) as conn:
        held = {
            improvement_key({"document_id": d, "text": t})
            for d, t in conn.execute("select document_id, text from findings")
        }
    lost = [k for k in keys if k not in held]
    if lost:
        found.append(f"{len(lost)} reviews no longer name an improvement")
    return found


def run_killed(command: list[str], after: float) -> tuple[bool, float]:
    """Start the command, SIGKILL it after `after` seconds; whether it was still running then, and how long it ran."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=after)
        return False, time.monotonic() - started
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(0.5)  # its workers end with it (they watch their parent)
        return True, after


def timed(command: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=COMMAND_TIMEOUT)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--only", choices=["ingest", "reclassify", "reparse"], action="append")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="kill-recovery-") as tmp:
        folder = Path(tmp)
        reference = folder / "reference" / "ofsted.db"
        reference.parent.mkdir()
        full = {"ingest": timed(ingest(str(REPORTS), "--db", str(reference), "--workers", "1"))}
        expected_reviews = add_reviews(reference)
        expected = snapshot(reference)
        modes = {
            "ingest": (None, ["--workers", "1"], [str(REPORTS)]),
            "reclassify": (reference, ["--reclassify"], []),
            "reparse": (reference, ["--reparse", "--workers", "1"], []),
        }
        for mode, (start, options, paths) in modes.items():
            if args.only and mode not in args.only:
                continue
            if mode not in full:
                trial = folder / f"{mode}-trial" / "ofsted.db"
                trial.parent.mkdir()
                shutil.copy(start, trial)
                shutil.copy(reviews_path_beside(start), reviews_path_beside(trial))
                full[mode] = timed(ingest(*paths, "--db", str(trial), *options))
            rounds = []
            for number in range(args.rounds):
                db = folder / f"{mode}-{number}" / "ofsted.db"
                command = ingest(*paths, "--db", str(db), *options)
                whole = full[mode]
                for _attempt in range(RETRIES):  # a run faster than the one timed ends before its kill: again, sooner
                    shutil.rmtree(db.parent, ignore_errors=True)
                    db.parent.mkdir()
                    if start is not None:
                        shutil.copy(start, db)
                    shutil.copy(reviews_path_beside(reference), reviews_path_beside(db))
                    after = round(rng.uniform(*KILL_BETWEEN) * whole, 2)
                    killed, ran = run_killed(command, after)
                    if killed:
                        break
                    whole = ran
                found = [f"after the kill: {p}" for p in problems(db) if "half-written" in p or "integrity" in p]
                subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=COMMAND_TIMEOUT)
                found += problems(db) + reviews_problems(db, expected_reviews)
                if snapshot(db) != expected:
                    differ = [t for t, rows in snapshot(db).items() if rows != expected[t]]
                    found.append(f"differs from the build from scratch in {', '.join(differ)}")
                failures += bool(found)
                rounds.append({"killed_after_s": after, "killed": killed, "problems": found})
                shutil.rmtree(db.parent)
            print(
                json.dumps(
                    {
                        "command": mode,
                        "full_run_s": round(full[mode], 1),
                        "rounds": len(rounds),
                        "killed_mid_run": sum(r["killed"] for r in rounds),
                        "rounds_with_problems": sum(bool(r["problems"]) for r in rounds),
                        "reviews": len(expected_reviews),
                        "details": [r for r in rounds if r["problems"]][:3],
                        "kill_times_s": [r["killed_after_s"] for r in rounds],
                    }
                ),
                flush=True,
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
