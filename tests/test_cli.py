"""What `ofsted-ingest` tells its user and its scripts: a line (or a JSON object) per file, the files it
refused listed again at the end with their reasons, and an exit code for each outcome."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BUNDLED_FILES, REPORTS, ROOT, run_ingest

from datasette_ofsted import __version__
from ingest.cli import Reporter

pytestmark = pytest.mark.without_datasette

SUTTON = ["002_ac07fc03e2f7f600.txt", "003_6185718e885c3be8.txt", "000_aacd069290608c33.txt"]


@pytest.fixture
def folder(tmp_path) -> Path:
    """Sutton's three reports and two files that are not reports."""
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in SUTTON:
        (reports / name).write_bytes((REPORTS / name).read_bytes())
    (reports / "saved.pdf").write_bytes(b"<html>a saved web page</html>")
    (reports / "notes.txt").write_text("Shopping list: milk, bread.", encoding="utf-8")
    return reports


def test_every_file_in_exits_0_and_some_refused_exits_1_with_the_refusals_listed_at_the_end(folder, tmp_path):
    good = run_ingest(*(str(folder / n) for n in SUTTON), "--db", str(tmp_path / "a" / "ofsted.db"))
    assert good.returncode == 0, good.stderr
    assert "not ingested" not in good.stdout and good.stdout.count("sutton-") == 3

    mixed = run_ingest(str(folder), "--db", str(tmp_path / "b" / "ofsted.db"))
    assert mixed.returncode == 1
    # As they happen, on stderr; and again, together, after the counts (the last lines of stdout).
    assert sorted(Path(line.split(": ", 1)[0]).name for line in mixed.stderr.splitlines()) == ["notes.txt", "saved.pdf"]
    *lines, counts, heading, first, second = mixed.stdout.splitlines()
    assert len(lines) == 3 and counts.startswith("3 ingested, 0 skipped (already ingested), 2 failed")
    assert heading == "not ingested (2):"
    assert first == f"  {folder / 'notes.txt'}: no inspection dates found: not an Ofsted report?"
    assert second.startswith(f"  {folder / 'saved.pdf'}: not a PDF")


def test_usage_errors_exit_2(tmp_path):
    for arguments in (["--no-such-option"], ["--quiet", "--json", str(REPORTS)], ["--workers", "0", str(REPORTS)]):
        result = run_ingest(*arguments, "--db", str(tmp_path / "ofsted.db"))
        assert result.returncode == 2, (arguments, result.stderr)
        assert "Traceback" not in result.stderr


def test_json_gives_one_object_a_file_and_nothing_else_on_stdout(folder, tmp_path):
    db = str(tmp_path / "ofsted.db")
    result = run_ingest(str(folder), "--db", db, "--json")
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {Path(r["path"]).name: r for r in records}
    assert len(records) == len(by_name) == 5
    assert {n: r["status"] for n, r in by_name.items()} == {
        **dict.fromkeys(SUTTON, "ingested"),
        "saved.pdf": "failed",
        "notes.txt": "failed",
    }
    assert by_name["notes.txt"]["reason"] == "no inspection dates found: not an Ofsted report?"
    letter = by_name["000_aacd069290608c33.txt"]
    assert letter["inspection_id"] == "sutton-2018-06-26" and letter["findings"] > 0
    assert letter["inspection_type"] == "focused visit"
    # The counts and the list of refusals go to stderr, out of the script's way.
    assert "3 ingested" in result.stderr and "not ingested (2):" in result.stderr

    again = run_ingest(str(folder / SUTTON[0]), "--db", db, "--json")
    assert again.returncode == 0
    assert [json.loads(line) for line in again.stdout.splitlines()] == [
        {"path": str(folder / SUTTON[0]), "status": "skipped", "message": "already ingested"}
    ]


def test_quiet_says_only_what_was_refused(folder, tmp_path):
    result = run_ingest(str(folder), "--db", str(tmp_path / "ofsted.db"), "--quiet")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines()[0] == "not ingested (2):" and len(result.stderr.splitlines()) == 3


def test_version_is_the_installed_package_s():
    result = run_ingest("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"ofsted-ingest, version {__version__}"


# `ofsted-ingest` as installed, except that once the first file is in, the writer waits for Ctrl-C before the next
# (up to PAUSE_S seconds, then it carries on and the test fails): the signal always comes while the run is under
# way with every other file still to do, however slow or busy the machine. Sent right after the first line, it
# raced the rest of the run, and under a full suite's load the run could end first (issue 26r).
PAUSE_S = 120
PAUSED_AFTER_FIRST_FILE = f"""
import sys, time
from ingest import cli

said = cli.Reporter.step

def step_then_wait_for_ctrl_c(self, *args, **kwargs):
    said(self, *args, **kwargs)
    if self.done == 1:
        deadline = time.monotonic() + {PAUSE_S}
        while time.monotonic() < deadline:
            time.sleep(0.05)

cli.Reporter.step = step_then_wait_for_ctrl_c
sys.argv[0] = "ofsted-ingest"
cli.main()
"""


def test_ctrl_c_exits_130_saying_how_far_it_got_and_a_rerun_finishes(tmp_path):
    """Ctrl-C reaches the whole process group, workers too, as a terminal sends it: while the run is under way
    (the first file is in) and the worker is reading the others."""
    db = tmp_path / "ofsted.db"
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED_AFTER_FIRST_FILE, str(REPORTS), "--db", str(db), "--workers", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # one file is in: the run is under way, and waits at that file
    assert ": " in first, process.stderr.read() if process.stderr else ""
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=PAUSE_S + 60)
    assert process.returncode == 130, err
    assert out == "", out  # no file was written after the signal
    [said] = [line for line in err.splitlines() if line.startswith("interrupted: ")]
    assert said == f"interrupted: 1 of {BUNDLED_FILES} done; run again to finish"
    assert "Traceback" not in err and "Aborted!" not in err

    rerun = run_ingest(str(REPORTS), "--db", str(db), "--workers", "1")
    assert rerun.returncode == 0, rerun.stderr
    ingested, skipped = (int(rerun.stdout.splitlines()[-1].split(", ")[i].split()[0]) for i in (0, 1))
    assert (ingested, skipped) == (BUNDLED_FILES - 1, 1)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_fits_80_columns_with_each_refusal_above_it(monkeypatch):
    """A terminal of 80 columns, 490 reports with long names (the whole archive): every frame of the bar
    is whole, and a refusal is a line of its own, not mixed into the bar."""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("COLUMNS", "80")
    reporter = Reporter("bar")
    reporter.start(490)
    for i in range(489):
        reporter.step(f"/home/qa/Downloads/ofsted/{i:03d}_children_s_services_inspection_report.pdf", "ingested", "x")
        if i == 200:
            reporter.step("/home/qa/Downloads/ofsted/saved.pdf", "failed", "not a PDF: it is a saved web page")
    reporter.close()
    frames = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", f) for f in re.split(r"[\r\n]", terminal.getvalue())]
    bars = [f for f in frames if f.startswith("ingesting")]
    assert bars and max(len(f.rstrip()) for f in frames) <= 80, max(frames, key=len)
    assert any("490/490" in f for f in bars) and any("200/490" in f for f in bars)
    assert "/home/qa/Downloads/ofsted/saved.pdf: not a PDF: it is a saved web page" in frames
    assert reporter.counts == {"ingested": 489, "skipped": 0, "failed": 1}
