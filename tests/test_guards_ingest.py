"""Guards on what ingest reads from a report (issue 15's mutation check): each fails if its step is taken out."""

from __future__ import annotations

import shutil

import pytest
import sqlite_utils
from conftest import REPORTS, run_ingest

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette


def test_printed_publication_date_is_read(bundled_db):
    """A report with no line in MANIFEST.csv keeps the date it prints: "The full inspection report was
    published on 24 June 2013" in Sutton's summary for children, a letter's own date in a focused visit."""
    db = sqlite_utils.Database(bundled_db)
    for file_name, published in (
        ("001_548a9489fd409ec6.txt", "2013-06-24"),
        ("000_aacd069290608c33.txt", "2018-07-19"),
    ):
        (document,) = db.query("select published_date from documents where file_name = ?", [file_name])
        assert document["published_date"] == published


def test_manifest_publication_date_wins_over_the_printed_one(tmp_path):
    """Ofsted's listing names the date a report was published; it wins over a date the report prints."""
    folder = tmp_path / "reports"
    folder.mkdir()
    name = "001_548a9489fd409ec6.txt"  # prints "published on 24 June 2013"
    shutil.copy(REPORTS / name, folder / name)
    (folder / "MANIFEST.csv").write_text(
        f"file,source_url,local_authority,published\n{name},https://files.ofsted.gov.uk/v1/file/1,sutton,01/07/13\n",
        encoding="utf-8",
    )
    result = run_ingest(str(folder), "--db", str(tmp_path / "ofsted.db"))
    assert result.returncode == 0, result.stderr
    (document,) = sqlite_utils.Database(tmp_path / "ofsted.db").query("select published_date from documents")
    assert document["published_date"] == "2013-07-01"


def test_lscb_judgement_is_about_the_board(bundled_db):
    """Birmingham 2014 and Newham 2014 grade their Local Safeguarding Children Board: that grade is the
    board's, kept apart from the authority's judgements."""
    db = sqlite_utils.Database(bundled_db)
    for inspection_id, grade in (("birmingham-2014-03-18", "inadequate"), ("newham-2014-06-03", "good")):
        rows = list(db.query("select area, grade, about from judgements where inspection_id = ?", [inspection_id]))
        board = [r for r in rows if "Safeguarding Children Board" in r["area"]]
        assert [(r["grade"], r["about"]) for r in board] == [(grade, "LSCB")]
        assert all(r["about"] == "authority" for r in rows if r not in board)
