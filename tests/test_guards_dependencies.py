"""Every package the server and the ingester install is one they use (rapidfuzz was listed and used nowhere)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
# Installed dependencies that no module imports by name, each for its reason.
USED_WITHOUT_IMPORT = {
    "datasette-vega": "a Datasette plugin: Datasette loads it, metadata.yml's chart links open it",
    "pystemmer": "snowballstemmer's C implementation, which snowballstemmer picks up itself",
}
IMPORT_NAME = {"sqlite-utils": "sqlite_utils", "pyyaml": "yaml"}


def imported_modules() -> set[str]:
    found = set()
    for package in ("datasette_ofsted", "ingest"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found


def test_every_runtime_dependency_is_used():
    runtime = [r for r in map(Requirement, importlib.metadata.requires("datasette-ofsted") or []) if r.marker is None]
    assert runtime
    imported = imported_modules()
    unused = [
        r.name
        for r in runtime
        if r.name.lower() not in USED_WITHOUT_IMPORT
        and IMPORT_NAME.get(r.name.lower(), r.name.lower().replace("-", "_")) not in imported
    ]
    assert unused == []


# What marks a test as serving pages: Datasette itself, the conftest fixtures that start one, or a browser.
SERVES_PAGES = re.compile(r"\bDatasette\(|make_datasette|\.client\b|def test_\w+\([^)]*\b(ds|server|browser|page)\b")


def test_tests_marked_without_datasette_never_serve_a_page():
    """.ci/run runs tests marked `without_datasette` on one Datasette line only: a test there that served a
    page would go untested on the other line."""
    marked = [
        p
        for p in Path(__file__).parent.glob("test_*.py")
        if "\npytestmark = pytest.mark.without_datasette" in p.read_text()
    ]
    assert len(marked) >= 10
    serving = {p.name: m.group(0) for p in marked if (m := SERVES_PAGES.search(p.read_text()))}
    assert serving == {}
    assert SERVES_PAGES.search('async def test_x(ds):\n    await ds.client.get("/")')
