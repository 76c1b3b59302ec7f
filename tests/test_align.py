"""The comparison engine on its own (findings in, rows out) and against the gold alignments."""

from __future__ import annotations

from pathlib import Path

from datasette_ofsted.align import compare
from ingest.evaluate import evaluate

ROOT = Path(__file__).resolve().parent.parent


def finding(id, text, kind="finding", themes=()):
    return {"id": id, "kind": kind, "polarity": "neutral", "text": text, "section": "s", "themes": list(themes)}


EARLIER = [
    finding(
        "e1", "Ensure there is a sufficiently stable workforce to embed the improvements in practice.", "improvement"
    ),
    finding("e2", "Ensure that private fostering arrangements are identified and assessed.", "improvement"),
    finding("e3", "Ensure that chronologies are up to date and used in decision making.", "improvement"),
    finding("e4", "Return home interviews are not offered to every child who goes missing.", "finding"),
]
LATER = [
    finding(
        "l1",
        "Children experience too many changes in social workers, and agency staff turnover remains high.",
        "finding",
    ),
    finding(
        "l2",
        "Privately fostered children are identified quickly and their arrangements are assessed well and promptly.",
        "finding",
    ),
    finding("l3", "Return home interviews are not consistently informing safety planning for children.", "improvement"),
    finding("l4", "The response to domestic abuse is not proportionate to demand.", "improvement"),
]


def rows_by_improvement(result):
    return {
        f["id"]: row
        for row in result["rows"]
        for side in ("from", "to")
        for f in row[side]
        if f["role"] == "improvement"
    }


def test_statuses_on_a_small_pair():
    result = compare(EARLIER, LATER)
    rows = rows_by_improvement(result)
    assert rows["e1"]["status"] == "recurring"  # different words, same concern: workforce stability
    assert rows["e2"]["status"] == "resolved"  # praised on the same matter
    assert rows["e3"]["status"] == "not_revisited"  # the later report is silent
    assert rows["e3"]["to"] == [f for f in rows["e3"]["to"] if f["role"] == "improvement"] == []
    assert rows["l3"]["status"] == "recurring"  # stated as a weakness before
    assert rows["l4"]["status"] == "new"
    assert result["counts"] == {"recurring": 2, "resolved": 1, "not_revisited": 1, "new": 1}


def test_evidence_is_explained():
    rows = rows_by_improvement(compare(EARLIER, LATER))
    evidence = [f for f in rows["e1"]["to"] if f["role"] == "evidence"]
    assert evidence[0]["id"] == "l1"
    assert evidence[0]["sentence"].startswith("Children experience too many changes")
    assert 0 < evidence[0]["score"] <= 1
    assert "e4" in [f["id"] for f in rows["l3"]["from"]]
    assert "interview" in rows["l3"]["from"][0]["matched_stems"]


def test_every_improvement_in_exactly_one_row():
    result = compare(EARLIER, LATER)
    improvements = [
        f["id"] for row in result["rows"] for side in ("from", "to") for f in row[side] if f["role"] == "improvement"
    ]
    assert sorted(improvements) == ["e1", "e2", "e3", "l3", "l4"]


def test_lscb_recommendations_are_left_out():
    lscb = dict(
        finding("x", "The Board should ensure that private fostering is understood.", "improvement"), about="LSCB"
    )
    result = compare(EARLIER + [lscb], LATER)
    assert "x" not in rows_by_improvement(result)


def test_empty_sides():
    assert compare([], [])["rows"] == []
    result = compare(EARLIER, [])
    assert {r["status"] for r in result["rows"]} == {"not_revisited"}


def test_gold_floor():
    """At least 0.74 of the gold issues right, as tests/gold/README.md scores them."""
    scores = evaluate(ROOT / "tests" / "gold", ROOT / "data" / "reports")
    right, total = sum(s.right for s in scores), sum(s.total for s in scores)
    assert total == 131
    for s in scores:
        print(f"{s.name}: {s.right}/{s.total}")
    assert right / total >= 0.74
