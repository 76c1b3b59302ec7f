"""Shared fixtures: the bundled reports ingested once per session into a real SQLite file."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from datasette.app import Datasette

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "data" / "reports"
METADATA = ROOT / "metadata.yml"
# Every report bundled in data/reports (PDFs and text reports), each one document.
BUNDLED_FILES = sum(1 for p in REPORTS.iterdir() if p.suffix in (".pdf", ".txt"))


def gold_inspections(authority: str) -> list[str]:
    """An authority's inspections, oldest first, as the hand-made gold pairs in tests/gold date them (read from
    the reports by people, not by the parser): what the bundled reports hold for an authority every one of whose
    reports is in a gold pair (Sutton's six)."""
    import json

    dates = set()
    for path in (ROOT / "tests" / "gold").glob(f"{authority}_*.json"):
        gold = json.loads(path.read_text(encoding="utf-8"))
        dates |= {gold["from"]["start_date"], gold["to"]["start_date"]}
    return [f"{authority}-{date}" for date in sorted(dates)]


def run_ingest(*args: str, cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess:
    """Run the real command in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "ingest.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600, **kwargs
    )


@pytest.fixture(scope="session")
def bundled_db(tmp_path_factory) -> Path:
    """data/reports ingested into a fresh ofsted.db (named so metadata.yml applies)."""
    path = tmp_path_factory.mktemp("bundled") / "ofsted.db"
    result = run_ingest(str(REPORTS), "--db", str(path))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="session")
def bundled_copy(bundled_db, tmp_path_factory):
    """A factory of private copies of the bundled database, for tests that write."""

    def copy() -> Path:
        target = tmp_path_factory.mktemp("copy") / "ofsted.db"
        shutil.copy(bundled_db, target)
        return target

    return copy


def make_datasette(path: Path, immutable: bool = True) -> Datasette:
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    if immutable:
        return Datasette(immutables=[str(path)], metadata=metadata)
    return Datasette([str(path)], metadata=metadata)


@pytest_asyncio.fixture
async def ds(bundled_db):
    """Datasette serving the bundled database immutably, with metadata.yml, as `datasette -i` would."""
    datasette = make_datasette(bundled_db)
    await datasette.invoke_startup()
    return datasette


def json_rows(data) -> list[dict]:
    """Rows from Datasette's own JSON in either shape: `_shape=array` (a list) or an object with `rows`
    (1.0a's default, and 0.65's with `_shape=objects`)."""
    if isinstance(data, list):
        return data
    rows = data["rows"]
    if rows and not isinstance(rows[0], dict):  # 0.65's default: rows as lists, names in `columns`
        return [dict(zip(data["columns"], row)) for row in rows]
    return rows


# Ask for the extras 1.0a leaves out of a table's JSON by default; 0.65 ignores the parameter.
TABLE_EXTRAS = "_extra=count&_extra=facet_results"


def json_count(data: dict) -> int:
    """The filtered row count of a table's JSON: 0.65's `filtered_table_rows_count`, 1.0a's `count`."""
    return data["filtered_table_rows_count"] if "filtered_table_rows_count" in data else data["count"]


def json_facets(data: dict) -> dict:
    """Facet name -> facet of a table's JSON: 0.65 gives them directly, 1.0a under `results`."""
    facets = data["facet_results"]
    return facets["results"] if "results" in facets and "timed_out" in facets else facets


# The browser tests: one `datasette serve` of the bundled database and one Chromium for the whole session.
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
NO_CHROMIUM = "no Chromium here: install Debian's chromium (apt-get install chromium)"
# How long a fresh `datasette serve` may take to answer before the fixture gives up on it.
SERVER_START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def datasette_server(*arguments: str, python: str = sys.executable, cwd=None, env=None):
    """`datasette serve ARGUMENTS` on a free local port, as a user runs it (by `python`: another venv's, for
    the packaging test); yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [python, "-m", "datasette", "serve", *arguments, "-p", str(port), "-h", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"datasette serve {' '.join(arguments)} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(bundled_db):
    """`datasette serve -i ofsted.db ofsted_reviews.db -m metadata.yml`, as the README serves it, shared by every
    browser test."""
    reviews = bundled_db.parent / "ofsted_reviews.db"  # ofsted-ingest made it beside ofsted.db
    with datasette_server("-i", str(bundled_db), str(reviews), "-m", str(METADATA)) as base:
        yield base


@pytest.fixture(scope="session")
def archive_db(bundled_db, tmp_path_factory) -> Path:
    """An archive-sized ofsted.db (>= 150 authorities, >= 400 inspections): the bundled inspections copied under
    the authorities with none (tests/archive.py), built once a session in about five seconds."""
    from archive import MIN_AUTHORITIES, MIN_INSPECTIONS, build_archive

    folder = tmp_path_factory.mktemp("archive")
    path = folder / "ofsted.db"
    size = build_archive(bundled_db, path)
    assert size["authorities"] >= MIN_AUTHORITIES and size["inspections"] >= MIN_INSPECTIONS, size
    shutil.copy(bundled_db.parent / "ofsted_reviews.db", folder / "ofsted_reviews.db")
    return path


@pytest_asyncio.fixture
async def archive_ds(archive_db):
    """Datasette serving the archive-sized database and its reviews immutably, with metadata.yml."""
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    datasette = Datasette(immutables=[str(archive_db), str(archive_db.parent / "ofsted_reviews.db")], metadata=metadata)
    await datasette.invoke_startup()
    return datasette


@pytest.fixture(scope="session")
def archive_server(archive_db):
    """`datasette serve -i` of the archive-sized database and its reviews, for the browser tests at its size."""
    reviews = archive_db.parent / "ofsted_reviews.db"
    with datasette_server("-i", str(archive_db), str(reviews), "-m", str(METADATA)) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, launched once for each browser test module (about a second).

    Not once a session: while Playwright's sync API is open its event loop counts as running, and every
    asyncio test after it would fail ("Runner.run() cannot be called from a running event loop")."""
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()
