"""Errors a person can act on: a full disk, a folder that cannot be written, and ingest_errors that say once why a
file was refused. Real ingests in subprocesses; the full disk is SQLite's own (max_page_count), never the real disk's."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPORTS, ROOT, run_ingest

from ingest.errors import DISK_FULL_EXIT

pytestmark = pytest.mark.without_datasette

# The ingest, with the database limited to its size when opened plus a few pages: SQLite then answers
# "database or disk is full" (SQLITE_FULL) exactly as it does on a full disk.
LIMITED_INGEST = """
import sys
import ingest.load as load

opened = load.open_database
spare = int(sys.argv[1])

def limited(path):
    db = opened(path)
    pages = db.execute("pragma page_count").fetchone()[0]
    db.execute(f"pragma max_page_count = {pages + spare}")
    return db

load.open_database = limited
from ingest.cli import main

main(sys.argv[2:], prog_name="ofsted-ingest")
"""
# Root may write anywhere; without these capabilities it is held to a folder's permissions as anyone is.
SETPRIV = shutil.which("setpriv")
AS_ANYONE = [SETPRIV, "--bounding-set=-dac_override,-dac_read_search,-fowner"] if SETPRIV else []


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in ("documents", "findings")}


def test_a_full_disk_says_so_what_was_kept_and_how_to_resume(tmp_path, bundled_db):
    db = tmp_path / "ofsted.db"
    first = run_ingest(str(REPORTS / "000_aacd069290608c33.txt"), "--db", str(db), "--workers", "1")
    assert first.returncode == 0, first.stderr
    full = subprocess.run(
        [sys.executable, "-c", LIMITED_INGEST, "40", str(REPORTS), "--db", str(db), "--workers", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert full.returncode == DISK_FULL_EXIT, (full.returncode, full.stderr[-2000:])
    assert "the disk is full" in full.stderr and "Kept:" in full.stderr
    assert "run the same command again" in full.stderr
    assert "Traceback" not in full.stderr and "a reader held" not in full.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    kept = counts(db)["documents"]
    assert 1 <= kept < counts(bundled_db)["documents"]
    assert f"{kept} documents" in full.stderr
    # Space freed: the same command resumes and ends as a build from scratch.
    resumed = run_ingest(str(REPORTS), "--db", str(db), "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert counts(db) == counts(bundled_db)


def run_as_anyone(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*AS_ANYONE, sys.executable, "-m", "ingest.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


needs_permissions = pytest.mark.skipif(
    os.geteuid() == 0 and not SETPRIV, reason="root without setpriv writes anywhere: no read-only folder to test"
)


@needs_permissions
def test_a_new_database_in_a_read_only_folder_is_refused_with_a_clear_message(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    report = str(REPORTS / "000_aacd069290608c33.txt")
    try:
        folder.chmod(0o555)
        for db in (folder / "ofsted.db", folder / "new" / "ofsted.db"):
            result = run_as_anyone(report, "--db", str(db), "--workers", "1")
            assert result.returncode == 2, result.stderr
            assert "cannot be created" in result.stderr and "read-only" in result.stderr, result.stderr
            assert "Choose --db in a folder you can write" in result.stderr
            assert "Traceback" not in result.stderr and not db.exists()
    finally:
        folder.chmod(0o755)


@needs_permissions
def test_an_existing_database_in_a_read_only_folder_is_left_as_it_is_with_a_clear_message(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    db = folder / "ofsted.db"
    assert run_ingest(str(REPORTS / "000_aacd069290608c33.txt"), "--db", str(db), "--workers", "1").returncode == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    try:
        folder.chmod(0o555)
        for extra in ([str(REPORTS / "003_6185718e885c3be8.txt")], ["--reclassify"]):
            result = run_as_anyone(*extra, "--db", str(db), "--workers", "1")
            assert result.returncode == 2, result.stderr
            assert "cannot be written" in result.stderr and "read-only" in result.stderr, result.stderr
            assert "not a usable SQLite database" not in result.stderr and "Traceback" not in result.stderr
    finally:
        folder.chmod(0o755)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_ingest_errors_keeps_one_row_per_file_and_reason_across_reruns(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "shopping.txt").write_text("Eggs, milk and bread.\n" * 20, encoding="utf-8")
    shutil.copy(REPORTS / "000_aacd069290608c33.txt", folder)
    db = tmp_path / "ofsted.db"
    seen = []
    for _ in range(3):
        result = run_ingest(str(folder), str(tmp_path / "missing"), "--db", str(db), "--workers", "1")
        assert result.returncode == 1
        with sqlite3.connect(db) as conn:
            seen.append(conn.execute("select path, reason, at from ingest_errors order by path").fetchall())
    assert [len(rows) for rows in seen] == [2, 2, 2]
    assert {Path(p).name for p, _r, _a in seen[-1]} == {"shopping.txt", "missing"}
    assert seen[-1][0][2] >= seen[0][0][2]  # the time of the latest run that found it
