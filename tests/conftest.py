"""Shared fixtures: the bundled reports ingested once per session into a real SQLite file."""

from __future__ import annotations

import shutil
import subprocess
import sys
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
