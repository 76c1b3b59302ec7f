"""The pages and the data layer they read are typed (issue 24): mypy, with the project's settings
(pyproject.toml: disallow_untyped_defs for them), passes on them. CI runs mypy over both packages too; this
test is what the mutation check (benchmarks/mutation_check.py) runs to see that an annotation taken out fails."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.without_datasette
ROOT = Path(__file__).resolve().parent.parent
TYPED = [
    "datasette_ofsted/views",
    "datasette_ofsted/status.py",
    "datasette_ofsted/pairs.py",
    "datasette_ofsted/databases.py",
    "datasette_ofsted/comparisons.py",
]


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_the_pages_and_their_data_layer_are_typed():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", *TYPED], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:]
