"""The ofsted-ingest command end to end: real files, real SQLite, exit codes, reruns, kills."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils
from conftest import BUNDLED_FILES, REPORTS, ROOT, gold_inspections, run_ingest
from fixtures import comparison_tables, minimal_pdf

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette

SEEDS = sorted(REPORTS.glob("*.txt"))
SAVED_WEB_PAGE = ROOT / "tests" / "data" / "bad" / "saved_web_page.pdf"


def counts(path: Path) -> dict[str, int]:
    db = sqlite_utils.Database(path)
    return {
        t: db[t].count
        for t in ["authorities", "inspections", "documents", "judgements", "findings", "finding_themes", "issue_links"]
    }


def test_bundled_reports_load(bundled_db):
    db = sqlite_utils.Database(bundled_db)
    c = counts(bundled_db)
    assert (
        c["documents"] == BUNDLED_FILES and c["inspections"] == BUNDLED_FILES - 1
    )  # a report and its summary for children
    assert c["findings"] > 1500 and c["issue_links"] > 100
    assert db["ingest_errors"].count == 0
    assert [
        r["id"] for r in db.query("select id from inspections where authority_id = 'sutton' order by start_date")
    ] == gold_inspections("sutton")
    summary = next(db.query("select inspection_id from documents where kind = 'summary for children'"))
    assert summary["inspection_id"] == "sutton-2013-05-13"
    assert next(db.query("select source_url from documents where file_name = '50214110.pdf'"))["source_url"] == (
        "https://files.ofsted.gov.uk/v1/file/50214110"
    )
    assert db["authorities"].get("sutton")["urn"] == "80515"
    assert db["authorities"].get("sutton")["la_code"] == "319"


def test_schema_has_fts_and_foreign_key_indexes(bundled_db):
    db = sqlite_utils.Database(bundled_db)
    assert db["findings"].detect_fts() == "findings_fts"
    assert list(
        db.query(
            "select id from findings where rowid in (select rowid from findings_fts where findings_fts match 'missing')"
        )
    )
    for table in db.tables:
        indexed = {tuple(i.columns) for i in table.indexes}
        for fk in table.foreign_keys:
            assert (
                (fk.column,) in indexed
                or any(cols[0] == fk.column for cols in indexed)
                or fk.column in (table.pks or [])
            ), (table.name, fk.column)
    assert db["themes"].count >= 30


def test_judgements_and_grades(bundled_db):
    db = sqlite_utils.Database(bundled_db)
    grades = {
        r["area"]: r["grade"]
        for r in db.query("select area, grade from judgements where inspection_id = 'manchester-2017-10-09'")
    }
    assert grades["Overall effectiveness"] == "requires improvement"
    assert grades["Adoption performance"] == "good"
    assert {r["grade"] for r in db.query("select grade from judgements")} <= {
        "outstanding",
        "good",
        "requires improvement",
        "adequate",
        "inadequate",
    }


def test_a_batch_with_bad_files_loads_the_good_ones_and_exits_1(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    good = [REPORTS / "000_aacd069290608c33.txt", REPORTS / "50214110.pdf"]
    for path in good:
        shutil.copy(path, folder / path.name)
    shutil.copy(REPORTS / "000_aacd069290608c33.txt", folder / "copy_of_000.txt")
    real_pdf = (REPORTS / "50187561.pdf").read_bytes()
    bad = {
        "empty.pdf": b"",
        "truncated.pdf": real_pdf[: len(real_pdf) // 3],
        "random.pdf": b"%PDF-1.7\n" + os.urandom(50_000),
        "saved_page.pdf": SAVED_WEB_PAGE.read_bytes(),
        "not_ofsted.pdf": minimal_pdf(
            ["Minutes of the parish council meeting", "Apologies were received from Mr Smith."]
        ),
        "shopping.txt": b"eggs\nmilk\nbread\n",
        "binary.txt": os.urandom(4096) + b"\x00" * 100,
        "prose.txt": (b"It was a bright cold day in April, and the clocks were striking thirteen. " * 90_000)[
            :6_000_000
        ],
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    (folder / "broken.pdf").symlink_to(tmp_path / "nowhere.pdf")
    (tmp_path / "empty_folder").mkdir()
    db_path = tmp_path / "ofsted.db"
    started = time.perf_counter()
    result = run_ingest(str(folder), str(tmp_path / "empty_folder"), str(tmp_path / "missing"), "--db", str(db_path))
    assert time.perf_counter() - started < 60
    assert result.returncode == 1, result.stderr
    errors = dict(line.split(": ", 1) for line in result.stderr.strip().splitlines())
    reasons = {Path(p).name: r for p, r in errors.items()}
    assert reasons["empty.pdf"] == "empty file"
    assert reasons["saved_page.pdf"] == "not a PDF: it is a saved web page"
    assert reasons["truncated.pdf"].startswith("damaged PDF")
    assert reasons["random.pdf"].startswith("damaged PDF")
    assert reasons["not_ofsted.pdf"] == "no inspection dates found: not an Ofsted report?"
    assert reasons["shopping.txt"] == "no inspection dates found: not an Ofsted report?"
    assert reasons["binary.txt"] == "binary data, not text"
    assert reasons["prose.txt"].startswith("too large for a report")
    assert reasons["broken.pdf"].startswith("cannot be read")
    assert reasons["empty_folder"] == "no .pdf or .txt reports in this folder"
    assert reasons["missing"] == "no such file or folder"
    db = sqlite_utils.Database(db_path)
    assert db["documents"].count == 2  # the two good reports; the identical copy is skipped
    assert "1 skipped" in result.stdout or "1 skipped" in result.stderr
    assert db["ingest_errors"].count == len(reasons)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_exit_codes(tmp_path):
    db_path = str(tmp_path / "ofsted.db")
    assert run_ingest(str(SEEDS[0]), "--db", db_path).returncode == 0
    again = run_ingest(str(SEEDS[0]), "--db", db_path)
    assert again.returncode == 0 and "0 ingested, 1 skipped" in again.stdout
    assert run_ingest("--workers", "0", "--db", db_path).returncode == 2
    assert run_ingest("--no-such-option").returncode == 2


def test_rerun_changes_no_count(bundled_copy):
    path = bundled_copy()
    before = counts(path)
    result = run_ingest(str(REPORTS), "--db", str(path))
    assert result.returncode == 0
    assert f"0 ingested, {BUNDLED_FILES} skipped" in result.stdout
    assert counts(path) == before


def test_a_new_file_for_a_held_document_replaces_it(tmp_path):
    db_path = tmp_path / "ofsted.db"
    original = REPORTS / "000_aacd069290608c33.txt"
    assert run_ingest(str(original), "--db", str(db_path)).returncode == 0
    before = counts(db_path)
    revised = tmp_path / "revised.txt"
    text = original.read_text()
    revised.write_text(
        text.replace(
            "Findings\n", "Findings\n\n- An added finding about the front door and thresholds, which are clear.\n", 1
        )
    )
    assert run_ingest(str(revised), "--db", str(db_path)).returncode == 0
    after = counts(db_path)
    assert after["documents"] == before["documents"] == 1
    assert after["findings"] == before["findings"] + 1
    db = sqlite_utils.Database(db_path)
    assert next(db.query("select source_path from documents"))["source_path"] == str(revised)
    # the full-text index follows: the old findings out, the new ones in, no duplicate
    db.execute("insert into findings_fts (findings_fts) values ('integrity-check')")
    assert db.execute("select count(*) from findings_fts where findings_fts match 'thresholds'").fetchone()[0] == 1
    assert db.execute("select count(*) from findings_fts").fetchone()[0] == after["findings"]


def test_the_full_text_index_holds_every_finding_once(bundled_db):
    db = sqlite_utils.Database(bundled_db)
    db.execute("insert into findings_fts (findings_fts) values ('integrity-check')")  # raises if it disagrees
    assert (
        db.execute("select count(*) from findings_fts where findings_fts match 'delay'").fetchone()[0]
        == db.execute("select count(*) from findings where text like '%delay%' or section like '%delay%'").fetchone()[0]
    )


def test_workers_give_the_same_database(tmp_path):
    dumps = []
    for workers in ("1", "2"):
        path = tmp_path / f"w{workers}.db"
        assert run_ingest(str(REPORTS), "--db", str(path), "--workers", workers).returncode == 0
        db = sqlite_utils.Database(path)
        dumps.append(
            {
                table: sorted(
                    tuple(
                        v
                        for k, v in row.items()
                        if k not in ("ingested_at", "id") or table != "documents" and k == "id"
                    )
                    for row in db[table].rows
                )
                for table in ["inspections", "documents", "judgements", "findings", "finding_themes", "issue_links"]
            }
        )
    assert dumps[0] == dumps[1]


def children_of(pid: int) -> set[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether a process is running (a zombie, dead but not yet reaped, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the ingest's workers in Linux's /proc")
def test_kill_9_leaves_no_half_document_and_rerun_completes(tmp_path, bundled_db):
    db_path = tmp_path / "ofsted.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", str(REPORTS), "--db", str(db_path), "--workers", "1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    loaded = 0
    workers: set[int] = set()
    while time.time() < deadline and process.poll() is None:
        workers |= children_of(process.pid)
        try:
            with sqlite3.connect(db_path, timeout=1) as conn:
                loaded = conn.execute("select count(*) from documents").fetchone()[0]
        except sqlite3.Error:
            loaded = 0
        if loaded >= 4:
            break
        time.sleep(0.02)
    workers |= children_of(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < loaded < BUNDLED_FILES
    # no process of the ingest is left: its worker ends with it
    assert workers, "the ingest had no worker process to check"
    deadline = time.time() + 10
    while time.time() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.05)
    assert not [pid for pid in workers if alive(pid)]
    conn = sqlite3.connect(db_path)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert (
        conn.execute(
            "select count(*) from documents d where d.findings != (select count(*) from findings f where f.document_id = d.id)"
        ).fetchone()[0]
        == 0
    )
    conn.close()
    assert run_ingest(str(REPORTS), "--db", str(db_path)).returncode == 0
    assert counts(db_path)["documents"] == BUNDLED_FILES
    # No pair is left without its comparison, even one whose document landed just before the kill.
    assert comparison_tables(db_path) == comparison_tables(bundled_db)


def test_an_ingest_while_a_reader_holds_the_database_leaves_everything_in_the_db_file(tmp_path):
    """Serving while ingesting, then publishing the .db: a reader (a server) holds the file
    open during the ingest, so SQLite never folds the log in by itself; the ingest does."""
    db_path = tmp_path / "ofsted.db"
    assert run_ingest(str(SEEDS[0]), "--db", str(db_path)).returncode == 0
    reader = sqlite3.connect(db_path)
    try:
        assert reader.execute("select count(*) from documents").fetchone()[0] == 1
        more = [*map(str, SEEDS[1:]), *(str(REPORTS / n) for n in ("50214110.pdf", "50050254.pdf", "2763794.pdf"))]
        result = run_ingest(*more, "--db", str(db_path), "--workers", "1")
        assert result.returncode == 0, result.stderr
        assert reader.execute("select count(*) from documents").fetchone()[0] == 1 + len(more)
        published = tmp_path / "published"
        published.mkdir()
        shutil.copy(db_path, published / "ofsted.db")  # the .db alone, without ofsted.db-wal
        assert not Path(f"{db_path}-wal").exists() or Path(f"{db_path}-wal").stat().st_size == 0
    finally:
        reader.close()
    copy = sqlite3.connect(published / "ofsted.db")
    assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert copy.execute("select count(*) from documents").fetchone()[0] == 1 + len(more)
    assert copy.execute("select count(*) from findings").fetchone()[0] == counts(db_path)["findings"]
    assert copy.execute("select count(*) from issue_links").fetchone()[0] == counts(db_path)["issue_links"]


def test_two_ingests_at_once_do_not_corrupt(tmp_path):
    db_path = tmp_path / "ofsted.db"
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingest.cli",
            str(REPORTS / "50214110.pdf"),
            str(REPORTS / "50050254.pdf"),
            "--db",
            str(db_path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    second = subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", *map(str, SEEDS), "--db", str(db_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert second.wait(timeout=300) == 0, second.stderr.read()
    c = counts(db_path)
    assert c["documents"] == 7
    assert sqlite3.connect(db_path).execute("pragma integrity_check").fetchone()[0] == "ok"


def test_links_kept_up_document_by_document_match_a_full_recompute(tmp_path):
    """Reports loaded one at a time, out of date order: an inspection that falls between two
    already linked ones replaces their pair with its own two."""
    from ingest.links import consecutive_pairs, refresh_links

    db_path = tmp_path / "ofsted.db"
    for name in ("50294428.pdf", "2763794.pdf", "50187561.pdf", "50004249.pdf"):  # Kent 2025, 2017, 2022, 2013
        assert run_ingest(str(REPORTS / name), "--db", str(db_path)).returncode == 0

    def links(db) -> list[tuple]:
        return sorted(
            db.execute(
                "select l.from_inspection_id, l.to_inspection_id, from_finding_id, to_finding_id, side, status, score, "
                "l.row_number, themes from issue_links l join comparison_rows r on r.id = l.comparison_row_id"
            ).fetchall(),
            key=repr,
        )

    db = sqlite_utils.Database(db_path)
    kept = links(db)
    pairs = consecutive_pairs(db, "kent")
    assert pairs == [
        ("kent-2013-07-15", "kent-2017-03-06"),
        ("kent-2017-03-06", "kent-2022-05-09"),
        ("kent-2022-05-09", "kent-2025-11-03"),
    ]
    assert {(row[0], row[1]) for row in kept} == set(pairs)
    refresh_links(db, {"kent"})
    assert links(db) == kept


def _reader_that_dies_on_crash_files(path: str, classify: bool = True):
    """Reads as the ingester does, but the process dies outright on a file named crash*,
    as it would if the PDF library crashed."""
    from ingest.cli import process

    if Path(path).name.startswith("crash"):
        os._exit(70)
    return process(path, classify)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_worker_process_that_dies_costs_only_its_file(tmp_path, workers):
    from ingest.cli import WORKER_DIED, Readers

    crash = tmp_path / "crash.txt"
    crash.write_text("any text")
    files = [str(SEEDS[0]), str(crash), str(SEEDS[4]), str(SEEDS[2])]
    readers = Readers(files, workers, classify=True, reader=_reader_that_dies_on_crash_files)
    try:
        outcomes = list(readers)
    finally:
        readers.close()
    assert [o.path for o in outcomes] == files
    assert outcomes[1].error == WORKER_DIED
    assert all(o.report is not None and o.classified for n, o in enumerate(outcomes) if n != 1)


def test_one_worker_classifies_only_while_the_writer_is_behind(tmp_path):
    """With one worker the writer classifies what the worker did not (SHARED): a document read while the writer
    had none waiting goes unclassified, one read while the writer was behind is classified in the worker; the
    findings come out the same either way."""
    import time

    from datasette_ofsted.classify import classify_findings
    from ingest.cli import SHARED, Readers, classified, process

    files = [str(SEEDS[0]), str(SEEDS[4]), str(SEEDS[2])]
    readers = Readers(files, 1, classify=SHARED)
    try:
        deadline = time.monotonic() + 120
        while readers.waiting.value < len(files) and time.monotonic() < deadline:
            time.sleep(0.05)  # the writer takes nothing: it is behind from the second document on
        outcomes = list(readers)
    finally:
        readers.close()
    assert [o.classified for o in outcomes] == [False, True, True]
    assert readers.waiting.value == 0
    for outcome in map(classified, outcomes):
        assert outcome.report is not None
        alone = process(outcome.path, classify=False).report
        assert alone is not None
        classify_findings(alone.findings)
        assert [(f.polarity, f.themes, f.sentences) for f in outcome.report.findings] == [
            (f.polarity, f.themes, f.sentences) for f in alone.findings
        ]


def test_the_published_date_comes_from_the_manifest_first(bundled_db):
    """Ofsted's listing gives the publication date; the printed date is the fallback, for documents and inspections."""
    db = sqlite_utils.Database(bundled_db)
    for file_name, inspection_id, published in (
        ("50294428.pdf", "kent-2025-11-03", "2026-02-02"),
        ("50192198.pdf", "nottingham-2022-07-11", "2022-09-05"),
    ):
        document = next(db.query("select published_date from documents where file_name = ?", [file_name]))
        assert document["published_date"] == published
        assert db["inspections"].get(inspection_id)["published_date"] == published
