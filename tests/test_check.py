"""Check this (check.py): the rows a reviewer should check, why in words, and the shipped review bar."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import pytest

from datasette_ofsted.align import compare
from datasette_ofsted.check import CheckInput, doubt, judge, mixed, read
from datasette_ofsted.decision import CheckModel, shipped_check, shipped_model
from ingest.evaluate import load_pairs

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette

ROOT = Path(__file__).resolve().parent.parent


def _fit_check():
    """benchmarks/fit_check.py, loaded from its file (benchmarks/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("fit_check", ROOT / "benchmarks" / "fit_check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row(**changes) -> CheckInput:
    """A row as the engine hands it to the check: an earlier item called resolved on praise alone."""
    x = {"bias": 1.0, "critical": 0.0, "praise": 0.7, "critical_sum": 0.0, "praise_sum": 1.4, "link": 0.0}
    values = {
        "earlier_side": True,
        "status": "resolved",
        "confidence": 0.7,
        "probabilities": {"recurring": 0.2, "resolved": 0.7, "not_revisited": 0.1},
        "features": x,
        "variants": {"whole_item": x, "words_only": x, "best_sentence": x},
        "shared_words": ("fostering", "private"),
        "part": None,
        "linked": False,
    }
    return CheckInput(**(values | changes))


def test_the_shipped_review_bar_is_a_fresh_fit():
    """datasette_ofsted/check.json is what `benchmarks/fit_check.py --write` fits on the gold pairs now, on top of
    the shipped decision: a change to the engine, the decision or the gold that leaves it stale fails here."""
    fit_check = _fit_check()
    pairs = load_pairs(ROOT / "tests" / "gold", ROOT / "data" / "reports")
    fresh = fit_check.fit(pairs)
    shipped = json.loads((ROOT / "datasette_ofsted" / "check.json").read_text(encoding="utf-8"))
    assert fresh.check is not None and shipped == json.loads(json.dumps(fresh.check.to_json()))
    assert shipped_check() == fresh.check == shipped_model().check
    # The bar marks about REVIEW_SHARE of the rows it was fitted on.
    confidences = [r["confidence"] for p in pairs for r in compare(p.evidence.earlier, p.evidence.later)["rows"]]
    marked = sum(c < fresh.check.review_below for c in confidences) / len(confidences)
    assert 0.15 < marked <= 0.30


def test_a_row_under_the_bar_is_marked_and_says_why():
    model = shipped_model()
    sure = judge(model, CheckModel(0.5), row())
    assert not sure.needs_review and sure.reason is None and sure.confidence == 0.7
    unsure = judge(model, CheckModel(0.8), row())
    assert unsure.needs_review and unsure.kind == "weak"
    assert unsure.reason and "it could also be raised again (20% likely)" in unsure.reason
    # What the check read is there for a reviewer to see (why.check_from).
    assert {"confidence", "mixed", "single_word", "holds_whole_item", "holds_words_only"} <= unsure.read.keys()


def test_mixed_evidence_is_said_in_a_reviewers_words():
    features = {"critical": 0.6, "praise": 0.7}
    assert mixed(features) == pytest.approx(0.6 / 0.7, abs=1e-4) and mixed({"praise": 0.7}) == 0.0
    mixed_row = row(features=dict(row().features, critical=0.6))
    kind, reason = doubt(mixed_row, read(shipped_model(), mixed_row))
    assert kind == "mixed" and reason.startswith("the later report's evidence on this is mixed")
    later = row(earlier_side=False, status="recurring", probabilities={"recurring": 0.6, "new": 0.4})
    later = CheckInput(**(later.__dict__ | {"features": dict(later.features, critical=0.6)}))
    assert doubt(later, read(shipped_model(), later))[1].startswith("the earlier report's evidence")


def test_a_single_shared_word_is_named():
    thin = row(shared_words=("care",), linked=True)
    kind, reason = doubt(thin, read(shipped_model(), thin))
    assert kind == "weak" and "linked to the other report's item through a single shared word (“care”)" in reason
    assert "single shared word" not in doubt(row(), read(shipped_model(), row()))[1]


def test_a_call_that_rests_on_one_source_says_which():
    """A variant that reads the evidence without one source (here: without the summed sentences) and makes another
    call: the row rests on that source, and the reason says so in words."""
    thin = dict(row().features, praise_sum=0.0, praise=0.1)
    resting = row(variants={"whole_item": row().features, "words_only": row().features, "best_sentence": thin})
    x = read(shipped_model(), resting)
    assert x["holds_best_sentence"] == 0.0 and x["holds_whole_item"] == 1.0
    assert "several weak sentences add up to the call" in doubt(resting, x)[1]


def test_compare_rows_carry_what_the_check_read():
    earlier = [
        {
            "id": "e1",
            "kind": "improvement",
            "polarity": "neutral",
            "section": "s",
            "themes": [],
            "text": "Ensure that private fostering arrangements are identified and assessed.",
        }
    ]
    later = [
        {
            "id": "l1",
            "kind": "finding",
            "polarity": "neutral",
            "section": "s",
            "themes": [],
            "text": "Private fostering arrangements are identified and assessed well.",
        }
    ]
    (only,) = compare(earlier, later)["rows"]
    assert only["why"]["check_from"]["confidence"] == pytest.approx(only["confidence"], abs=1e-3)
    assert only["needs_review"] == (only["confidence"] < shipped_check().review_below)
    # Under the bar the variants are read and the row says why; over it they are not read at all.
    checked = replace(shipped_model(), check=CheckModel(1.0))
    (doubtful,) = compare(earlier, later, model=checked)["rows"]
    assert doubtful["needs_review"] and doubtful["why"]["check_reason"]
    assert {"holds_whole_item", "holds_words_only", "holds_best_sentence"} <= doubtful["why"]["check_from"].keys()
    assert doubtful["why"]["check_from"]["single_word"] == 0.0  # "private fostering arrangements" are shared
    (sure,) = compare(earlier, later, model=replace(checked, check=CheckModel(0.0)))["rows"]
    assert not sure["needs_review"] and sure["why"]["check_reason"] is None
    assert "holds_whole_item" not in sure["why"]["check_from"]
    assert sure["confidence"] == doubtful["confidence"] == only["confidence"]
