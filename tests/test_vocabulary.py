"""Each fact of a comparison is defined once (issue 24): the statuses (status.py), a pair of inspections and an
improvement's key (pairs.py). These tests hold the definitions to what stored data, URLs and reviews rely on."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from datasette_ofsted.decision import shipped_model
from datasette_ofsted.pairs import INSPECTION_ID, MAX_ID, InvalidPair, Pair, improvement_key, pair_id
from datasette_ofsted.status import (
    EARLIER_STATUSES,
    HELP,
    LABELS,
    LATER_STATUSES,
    SIDE_STATUSES,
    STATUSES,
    Status,
    zero_counts,
)

pytestmark = pytest.mark.without_datasette
ROOT = Path(__file__).resolve().parent.parent


def test_statuses_are_the_stored_strings_in_reading_order():
    assert STATUSES == ("recurring", "resolved", "new", "not_revisited")  # what needs action first
    assert [s.value for s in Status] == list(STATUSES)
    assert Status("not_revisited") is Status.NOT_REVISITED and Status.NEW == "new"
    assert json.dumps({"status": Status.RESOLVED}) == '{"status": "resolved"}'
    assert f"{Status.RECURRING}" == "recurring" and {"new": 1}[Status.NEW] == 1
    assert list(zero_counts()) == list(STATUSES) and set(zero_counts().values()) == {0}


def test_each_status_has_a_label_help_and_colour():
    assert LABELS == {"recurring": "Recurring", "resolved": "Resolved", "new": "New", "not_revisited": "Not revisited"}
    assert all(HELP[s] and Status(s).words for s in STATUSES)
    css = (ROOT / "datasette_ofsted" / "static" / "ofsted.css").read_text()
    for status in Status:
        assert f".badge-{status.colour} " in css and f".bar-{status.colour} " in css


def test_sides_follow_the_gold_format_and_the_fitted_model():
    """An earlier report's improvement is recurring, resolved or not revisited; a later one's recurring or new; the
    fitted model (decision.json) lists its classes in that order."""
    assert EARLIER_STATUSES == ("recurring", "resolved", "not_revisited")
    assert LATER_STATUSES == ("recurring", "new")
    assert SIDE_STATUSES == {"from": EARLIER_STATUSES, "to": LATER_STATUSES}
    model = json.loads((ROOT / "datasette_ofsted" / "decision.json").read_text())
    assert list(EARLIER_STATUSES) == model["earlier_statuses"] and list(LATER_STATUSES) == model["later_statuses"]
    assert shipped_model() is not None
    assert {s for s in Status if s.silent} == {Status.NEW, Status.NOT_REVISITED}


def test_a_pair_parses_and_prints_one_way():
    pair = Pair.parse("sutton-2013-05-13...sutton-2018-06-26")
    assert (pair.earlier, pair.later) == ("sutton-2013-05-13", "sutton-2018-06-26")
    assert str(pair) == pair.id == pair_id(*pair) == "sutton-2013-05-13...sutton-2018-06-26"
    assert pair.path(".json") == "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26.json"
    assert pair.reversed() == Pair("sutton-2018-06-26", "sutton-2013-05-13")
    assert Pair.parse(pair.id) == pair and list(pair) == [pair.earlier, pair.later]


@pytest.mark.parametrize(
    "text, says",
    [
        ("sutton-2013-05-13", "names two inspections"),
        ("sutton-2013-05-13...Sutton 2018", "is not an inspection id"),
        ("sutton-2013-05-13...", "is not an inspection id"),
        ("...sutton-2013-05-13", "is not an inspection id"),
        ("a" * (2 * MAX_ID) + "...b-2013-05-13", "too long"),
        ("sutton-2013-05-13...sutton-2018-06-26...x", "is not an inspection id"),
    ],
)
def test_a_pair_that_is_not_one_says_why(text, says):
    with pytest.raises(InvalidPair, match=says):
        Pair.parse(text)


def test_an_inspection_id_is_an_authority_and_a_day():
    assert INSPECTION_ID.fullmatch("east-sussex-2019-03-04")
    assert not INSPECTION_ID.fullmatch("east-sussex") and not INSPECTION_ID.fullmatch("x-2019-3-4")


def test_an_improvements_key_is_its_document_and_its_normalised_words():
    finding = {"id": "sutton-2013-05-13-report-004", "document_id": "sutton-2013-05-13-report", "text": "Ensure  Plans"}
    digest = hashlib.sha256(b"ensure plans").hexdigest()[:16]
    assert improvement_key(finding) == f"sutton-2013-05-13-report:{digest}"
    assert improvement_key({**finding, "id": "another-order-007"}) == improvement_key(finding)  # survives a rebuild


FACTS = {
    # The statuses listed: only status.py lists them (the first migration's columns are history; the CSS colours).
    "not_revisited": ["datasette_ofsted/status.py", "ingest/load.py"],
    # The inspection id's pattern.
    r"\d{4}-\d{2}-\d{2}$": ["datasette_ofsted/pairs.py"],
    # The National Framework tag after an item: read by the parser, cut from sentences by the classifier.
    "national framework[": ["datasette_ofsted/classify.py"],
}


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_each_fact_is_spelled_in_one_place(fact):
    """`git grep` over the Python and templates of both packages: a fact copied into another module fails here."""
    found = subprocess.run(
        [
            "git",
            "grep",
            "-l",
            "-F",
            fact,
            "--",
            "datasette_ofsted/*.py",
            "datasette_ofsted/views/*.py",
            "datasette_ofsted/templates",
            "ingest/*.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if found.returncode not in (0, 1):
        pytest.skip("not a git checkout")
    assert sorted(found.stdout.split()) == sorted(FACTS[fact])
