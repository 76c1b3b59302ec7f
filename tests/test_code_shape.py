"""The shape of the code a maintainer reads (issue 24): short functions. Complexity is ruff's (C901,
max-complexity 10 in pyproject.toml); the length of a function is checked here."""

from __future__ import annotations

import ast

import pytest
from conftest import ROOT

# Reads source files only: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette

# A function longer than this no longer fits on a screen with its callers in view.
LONGEST_FUNCTION = 60
# The packages held to it (the plugin joins with issue 24's other half).
PACKAGES = ("ingest",)


def _long_functions(root, package: str) -> list[str]:
    found = []
    for path in sorted((root / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > LONGEST_FUNCTION:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_is_longer_than_a_screen(package):
    assert _long_functions(ROOT, package) == []


def test_the_check_sees_a_long_function(tmp_path):
    module = tmp_path / "shape_probe"
    module.mkdir()
    body = "\n".join(f"    x{n} = {n}" for n in range(LONGEST_FUNCTION))
    (module / "long.py").write_text(f"def too_long():\n{body}\n", encoding="utf-8")
    assert [line.split(" ")[1] for line in _long_functions(tmp_path, "shape_probe")] == ["too_long"]
