"""Hostile and unlucky files are refused by name, with the ingest's time and memory bounded.

Each file is built here, in a temporary folder: named pipes, links to /dev/zero, a
decompression bomb, a PDF of 100 MB of text, a password, forged dates, file names with
newlines, a MANIFEST.csv as Excel saves it, a --db that is no database, and colliding ids.
"""

from __future__ import annotations

import codecs
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils
from conftest import REPORTS, ROOT, run_ingest
from fixtures import (
    deflated_repeat,
    encrypted_pdf,
    fixture_database,
    pdf_of_stream,
    text_pdf,
    visit_letter,
)

from ingest.cli import WORKER_MEMORY_BYTES
from ingest.extract import MAX_PAGES, MAX_TEXT_CHARS

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette

GOOD = REPORTS / "000_aacd069290608c33.txt"
HANG_LIMIT = 60  # seconds: each of these ingests takes a few; a hang would take for ever


def errors_by_name(stderr: str) -> dict[str, str]:
    """`path: reason` lines by file name; fails if a line is not one."""
    reasons = {}
    for line in stderr.strip().splitlines():
        path, reason = line.split(": ", 1)
        reasons[Path(path).name] = reason
    return reasons


def recorded_errors(db_path: Path) -> dict[str, str]:
    return {Path(r["path"]).name: r["reason"] for r in sqlite_utils.Database(db_path)["ingest_errors"].rows}


def ingest_measured(*args: str) -> tuple[subprocess.CompletedProcess, float, int]:
    """The real command, its wall time, and the peak memory (bytes) of it and its workers."""
    measure = (
        "import resource, subprocess, sys\n"
        "result = subprocess.run([sys.executable, '-m', 'ingest.cli', *sys.argv[1:]])\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(result.returncode)\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", measure, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    elapsed = time.perf_counter() - started
    *lines, peak_kb = result.stderr.strip().splitlines()
    result.stderr = "\n".join(lines) + "\n"
    return result, elapsed, int(peak_kb) * 1024


def test_pipes_devices_and_links_to_them_are_refused_by_name_without_hanging(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(GOOD, folder / GOOD.name)
    os.mkfifo(folder / "pipe_in_folder.pdf")
    os.mkfifo(tmp_path / "pipe_given.txt")
    os.mkfifo(tmp_path / "pipe_target")
    (tmp_path / "link_to_pipe.pdf").symlink_to(tmp_path / "pipe_target")
    (tmp_path / "link_to_zero.pdf").symlink_to("/dev/zero")
    (tmp_path / "link_to_zero.txt").symlink_to("/dev/zero")
    with open(tmp_path / "huge_sparse.pdf", "wb") as handle:  # 101 MB of nothing, at no cost
        handle.truncate(101 * 1024 * 1024)
    db_path = tmp_path / "ofsted.db"
    given = ["pipe_given.txt", "link_to_pipe.pdf", "link_to_zero.pdf", "link_to_zero.txt", "huge_sparse.pdf"]
    result, elapsed, peak = ingest_measured(str(folder), *(str(tmp_path / n) for n in given), "--db", str(db_path))
    assert elapsed < HANG_LIMIT
    assert peak < 400 * 1024 * 1024  # /dev/zero is never read into memory
    assert result.returncode == 1, result.stderr
    reasons = errors_by_name(result.stderr)
    assert reasons == {
        "pipe_in_folder.pdf": "not a regular file (a named pipe)",
        "pipe_given.txt": "not a regular file (a named pipe)",
        "link_to_pipe.pdf": "not a regular file (a named pipe)",
        "link_to_zero.pdf": "not a regular file (a device)",
        "link_to_zero.txt": "not a regular file (a device)",
        "huge_sparse.pdf": "too large for a report (101.0 MB; the limit is 100 MB)",
    }
    assert recorded_errors(db_path) == reasons
    assert "1 ingested" in result.stdout  # the good report beside them


def test_a_manifest_as_excel_saves_it_is_read(tmp_path):
    """cp1252 (Excel's "CSV") and UTF-16 ("Unicode text") listings give their source URLs."""
    for encoding in ("cp1252", "utf-16"):
        folder = tmp_path / encoding
        folder.mkdir()
        shutil.copy(GOOD, folder / GOOD.name)
        (folder / "MANIFEST.csv").write_bytes(
            f"file,source_url,title\r\n{GOOD.name},https://files.ofsted.gov.uk/v1/file/1,Sutton – £ café\r\n".encode(
                encoding
            )
        )
        db_path = folder / "ofsted.db"
        result = run_ingest(str(folder), "--db", str(db_path))
        assert result.returncode == 0, result.stderr
        assert next(sqlite_utils.Database(db_path).query("select source_url from documents"))["source_url"] == (
            "https://files.ofsted.gov.uk/v1/file/1"
        )


def test_a_manifest_that_cannot_be_read_is_reported_by_name_and_the_batch_goes_on(tmp_path):
    pipe_folder, folder_folder = tmp_path / "pipe", tmp_path / "folder"
    for folder in (pipe_folder, folder_folder):
        folder.mkdir()
    shutil.copy(GOOD, pipe_folder / GOOD.name)
    os.mkfifo(pipe_folder / "MANIFEST.csv")
    (folder_folder / "report.txt").write_text(visit_letter())
    (folder_folder / "MANIFEST.csv").mkdir()
    db_path = tmp_path / "ofsted.db"
    started = time.perf_counter()
    result = run_ingest(str(pipe_folder), str(folder_folder), "--db", str(db_path))
    assert time.perf_counter() - started < HANG_LIMIT
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = sorted(result.stderr.strip().splitlines())
    assert lines == [
        f"{folder_folder / 'MANIFEST.csv'}: the listing of source URLs was not read: a folder, not a file",
        f"{pipe_folder / 'MANIFEST.csv'}: the listing of source URLs was not read: not a regular file (a named pipe)",
    ]
    assert sqlite_utils.Database(db_path)["documents"].count == 2  # both reports, without source URLs
    assert sqlite_utils.Database(db_path)["ingest_errors"].count == 2


def test_a_decompression_bomb_is_refused_within_bounded_memory_and_time(tmp_path):
    """1 MB of PDF whose content stream inflates to 1 GB (it took 2.1 GB of memory)."""
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(pdf_of_stream(deflated_repeat(b" " * 2**20, 1024)))
    assert bomb.stat().st_size < 2 * 2**20
    shutil.copy(GOOD, tmp_path / GOOD.name)
    db_path = tmp_path / "ofsted.db"
    result, elapsed, peak = ingest_measured(str(bomb), str(tmp_path / GOOD.name), "--db", str(db_path))
    assert elapsed < HANG_LIMIT
    assert peak < WORKER_MEMORY_BYTES + 64 * 2**20, f"{peak / 2**20:.0f} MB"
    assert result.returncode == 1
    reasons = errors_by_name(result.stderr)
    assert list(reasons) == ["bomb.pdf"]
    assert reasons["bomb.pdf"].startswith("the process reading it died") and "decompression bomb" in reasons["bomb.pdf"]
    assert recorded_errors(db_path) == reasons
    assert sqlite_utils.Database(db_path)["documents"].count == 1


def test_text_amplification_is_refused_by_name(tmp_path):
    """Small PDFs that hold far more text than any report: 100 MB of text on 100 pages of
    1 MB; 999 pages of 30,000 characters (30 MB), each page within reason; 1,001 pages."""
    files = {
        "hundred_mb.pdf": text_pdf(1_000_000, 100),
        "thirty_mb.pdf": text_pdf(30_000, 999),
        "many_pages.pdf": text_pdf(100, MAX_PAGES + 1),
    }
    for name, data in files.items():
        assert len(data) < 200_000
        (tmp_path / name).write_bytes(data)
    db_path = tmp_path / "ofsted.db"
    result, elapsed, peak = ingest_measured(*(str(tmp_path / n) for n in files), "--db", str(db_path))
    assert elapsed < HANG_LIMIT
    assert peak < 400 * 2**20, f"{peak / 2**20:.0f} MB"
    assert result.returncode == 1
    reasons = errors_by_name(result.stderr)
    assert (
        reasons["hundred_mb.pdf"].startswith("too much text for a report (")
        and "on page 1)" in reasons["hundred_mb.pdf"]
    )
    total = f"too much text for a report (over {MAX_TEXT_CHARS:,} characters by page "
    assert reasons["thirty_mb.pdf"].startswith(total)  # each page within reason, the whole not
    assert 60 < int(reasons["thirty_mb.pdf"][len(total) : -1]) < 70
    assert reasons["many_pages.pdf"] == f"too many pages for a report ({MAX_PAGES + 1}; the limit is {MAX_PAGES})"
    assert recorded_errors(db_path) == reasons


def test_a_report_with_more_findings_than_any_real_one_is_refused(tmp_path):
    """Text amplification within the size limit: 6,000 findings (a real report has ~270)."""
    letter = visit_letter()
    many = "".join(f"- Finding number {n} about the front door is not consistent.\n" for n in range(6000))
    (tmp_path / "many.txt").write_text(letter.replace("Findings\n\n", "Findings\n\n" + many, 1))
    result = run_ingest(str(tmp_path / "many.txt"), "--db", str(tmp_path / "ofsted.db"))
    assert result.returncode == 1
    assert errors_by_name(result.stderr)["many.txt"].startswith("too many findings for a report (6,0")


def test_a_password_protected_pdf_says_so(tmp_path):
    import pypdfium2 as pdfium

    data = encrypted_pdf(["Inspection of Sutton children's services"], "secret")
    # a real encrypted PDF: it opens with its password
    assert "Sutton" in pdfium.PdfDocument(data, password="secret")[0].get_textpage().get_text_range()
    (tmp_path / "locked.pdf").write_bytes(data)
    result = run_ingest(str(tmp_path / "locked.pdf"), "--db", str(tmp_path / "ofsted.db"))
    assert result.returncode == 1
    assert errors_by_name(result.stderr) == {
        "locked.pdf": "the PDF is password-protected: save it without a password to ingest it"
    }


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_text_report_is_read(tmp_path, encoding):
    """Notepad's "Unicode" is UTF-16 with a byte-order mark: read like the UTF-8 original."""
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    text = GOOD.read_text(encoding="utf-8")
    (tmp_path / "utf16.txt").write_bytes(bom + text.replace("\n", "\r\n").encode(encoding))
    original, converted = tmp_path / "original.db", tmp_path / "utf16.db"
    assert run_ingest(str(GOOD), "--db", str(original)).returncode == 0
    result = run_ingest(str(tmp_path / "utf16.txt"), "--db", str(converted))
    assert result.returncode == 0, result.stderr

    def findings(path: Path) -> list[str]:
        return [r[0] for r in sqlite3.connect(path).execute("select text from findings order by id")]

    assert findings(converted) == findings(original) and len(findings(original)) > 10


@pytest.mark.parametrize("year", ["2099", "2004"])
def test_dates_outside_2005_to_next_year_are_refused(tmp_path, year):
    report = tmp_path / f"dated_{year}.txt"
    report.write_text(visit_letter(dates=f"26 and 27 June {year}"))
    db_path = tmp_path / "ofsted.db"
    result = run_ingest(str(report), "--db", str(db_path))
    assert result.returncode == 1
    next_year = time.gmtime().tm_year + 1
    assert errors_by_name(result.stderr) == {
        report.name: f"the date {year}-06-26 is outside 2005–{next_year}: a misread or forged date"
    }
    assert sqlite_utils.Database(db_path)["inspections"].count == 0
    # the same letter within the years loads
    report.write_text(visit_letter(dates="26 and 27 June 2025"))
    assert run_ingest(str(report), "--db", str(db_path)).returncode == 0


def test_a_file_name_with_a_newline_cannot_forge_a_line(tmp_path):
    forged = tmp_path / "x.pdf\nforged.pdf: no inspection dates found: not an Ofsted report?\ny.pdf"
    forged.write_bytes(b"not a pdf")
    undecodable = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.txt"))
    undecodable.write_text(visit_letter())
    db_path = tmp_path / "ofsted.db"
    result = run_ingest(str(forged), str(undecodable), "--db", str(db_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{tmp_path}/x.pdf\\nforged.pdf: no inspection dates found: not an Ofsted report?\\ny.pdf: "
        "not a PDF: the file does not start with %PDF"
    ]
    assert f"{tmp_path}/caf\\xe9.txt: sutton-2026-06-26" in result.stdout  # shown and stored escaped
    db = sqlite_utils.Database(db_path)
    assert [r["path"] for r in db["ingest_errors"].rows] == [lines[0].split(": not a PDF")[0]]
    assert next(db.query("select file_name from documents"))["file_name"] == "caf\\xe9.txt"


def test_an_ingest_says_when_a_reader_kept_it_from_folding_the_log_in(tmp_path):
    """A reader in the middle of a long read: the ingest waits a little, then says that the
    .db alone does not yet hold everything, rather than claim it does."""
    db_path = tmp_path / "ofsted.db"
    assert run_ingest(str(GOOD), "--db", str(db_path)).returncode == 0
    reader = sqlite3.connect(db_path, isolation_level=None)
    try:
        reader.execute("begin")
        reader.execute("select count(*) from documents").fetchone()  # holds its snapshot
        letter = tmp_path / "letter.txt"
        letter.write_text(visit_letter())
        result = run_ingest(str(letter), "--db", str(db_path))
    finally:
        reader.close()
    assert result.returncode == 0, result.stderr
    assert f"{db_path}: a reader held the database, so part of this ingest is still in {db_path}-wal" in result.stderr


def test_a_db_that_is_not_a_database_is_a_usage_error(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("my notes, not a database\n")
    pipe = tmp_path / "pipe.db"
    os.mkfifo(pipe)
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + os.urandom(5000))
    for db in (text, pipe, damaged, Path("/dev/zero")):
        started = time.perf_counter()
        result = run_ingest(str(GOOD), "--db", str(db))
        assert time.perf_counter() - started < HANG_LIMIT
        assert result.returncode == 2, (db, result.stderr)
        assert "Traceback" not in result.stderr and f"--db {db}: " in result.stderr
    assert text.read_text() == "my notes, not a database\n"


def test_a_document_of_another_inspection_never_replaces_a_held_one(tmp_path):
    """A monitoring visit letter and a focused visit letter to Sutton on the same days share
    a document id; neither replaces the other, and the error names both files. The same
    letter again, corrected, replaces it."""
    db_path = tmp_path / "ofsted.db"
    focused = tmp_path / "focused.txt"
    focused.write_text(visit_letter("focused visit"))
    assert run_ingest(str(focused), "--db", str(db_path)).returncode == 0
    monitoring = tmp_path / "monitoring.txt"
    monitoring.write_text(visit_letter("monitoring visit"))
    report = tmp_path / "monitoring_report.txt"  # the same visit as a report: another id, same inspection
    report.write_text(visit_letter("monitoring visit", letter=False))
    result = run_ingest(str(monitoring), str(report), "--db", str(db_path))
    assert result.returncode == 1
    assert errors_by_name(result.stderr) == {
        "monitoring.txt": f"conflicts with {focused}, held as document sutton-2026-06-26-letter (of a focused visit, "
        "not a monitoring visit): not loaded, as a document is replaced only by the same document again",
        "monitoring_report.txt": f"conflicts with {focused}, held as inspection sutton-2026-06-26 (of a focused "
        "visit, not a monitoring visit): not loaded, as one inspection's documents are of one kind",
    }
    db = sqlite_utils.Database(db_path)
    assert [(r["id"], r["source_path"]) for r in db["documents"].rows] == [("sutton-2026-06-26-letter", str(focused))]
    assert db["inspections"].get("sutton-2026-06-26")["inspection_type"] == "focused visit"
    corrected = tmp_path / "focused_corrected.txt"
    corrected.write_text(visit_letter("focused visit").replace("Supervision is regular.", "Supervision is rare."))
    assert run_ingest(str(corrected), "--db", str(db_path)).returncode == 0
    assert [(r["id"], r["source_path"]) for r in db["documents"].rows] == [("sutton-2026-06-26-letter", str(corrected))]


def test_a_document_held_under_another_authority_is_not_replaced(tmp_path):
    """Ids carry the authority, so only ids that collide by accident could file one
    authority's report under another's: the check is on the held rows, not the ids."""
    from ingest.cli import process
    from ingest.load import DocumentConflict, write_document
    from ingest.reference import authorities

    letter = tmp_path / "letter.txt"
    letter.write_text(visit_letter())
    report = process(str(letter)).report
    db = fixture_database(tmp_path / "ofsted.db")
    # merton is in `authorities` already: ensure_schema loads every authority of la_lookup.csv
    db["inspections"].insert({"id": "sutton-2026-06-26", "authority_id": "merton", "inspection_type": "focused visit"})
    db["documents"].insert(
        {
            "id": "sutton-2026-06-26-letter",
            "inspection_id": "sutton-2026-06-26",
            "kind": "letter",
            "source_path": "merton.pdf",
            "sha256": "0",
        }
    )
    with pytest.raises(DocumentConflict, match=r"conflicts with merton\.pdf, .*\(of merton, not sutton\)"):
        write_document(db, report, authorities()[report.authority_name], str(letter), "letter.txt", "1", None, None)
    assert db["documents"].get("sutton-2026-06-26-letter")["source_path"] == "merton.pdf"
