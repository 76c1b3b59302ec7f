"""Guards on the engine's secondary rules (issue 15's mutation check): each fails if its rule is taken out."""

from __future__ import annotations

import pytest

from datasette_ofsted.align import compare
from datasette_ofsted.classify import classify_findings, sentence_polarity
from datasette_ofsted.text import sentences
from ingest.parse import Finding

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette


def finding(id, text, kind="finding"):
    return {"id": id, "kind": kind, "polarity": "neutral", "text": text, "section": "s", "themes": []}


def test_an_improvement_raised_in_both_reports_is_one_recurring_row():
    """The same concern asked for by both reports is one row holding both items, not a row each."""
    earlier = [
        finding(
            "e1",
            "Ensure that return home interviews are offered to every child who goes missing and inform safety planning.",
            "improvement",
        )
    ]
    later = [
        finding(
            "l1",
            "Return home interviews are not consistently informing safety planning for children who go missing.",
            "improvement",
        )
    ]
    rows = compare(earlier, later)["rows"]
    assert len(rows) == 1
    assert rows[0]["status"] == "recurring"
    assert [f["id"] for f in rows[0]["from"] if f["role"] == "improvement"] == ["e1"]
    assert [f["id"] for f in rows[0]["to"] if f["role"] == "improvement"] == ["l1"]


def test_a_finding_that_praises_and_criticises_is_mixed():
    parsed = [
        Finding(
            text="Visits to children are purposeful. Plans for children are weak.",
            kind="finding",
            section="s",
            ordinal=1,
            page=1,
        ),
        Finding(text="Plans for children are weak.", kind="finding", section="s", ordinal=2, page=1),
    ]
    classify_findings(parsed)
    assert [f.polarity for f in parsed] == ["mixed", "negative"]


def test_a_sentence_is_not_split_at_eg():
    """ "e.g." followed by a capital (a named service, a role) does not end the sentence."""
    assert sentences(
        "Partners do not always attend, e.g. Health visitors miss strategy meetings. Others are good."
    ) == [
        "Partners do not always attend, e.g. Health visitors miss strategy meetings.",
        "Others are good.",
    ]


def test_negated_praise_is_criticism():
    """ "no meaningful support" criticises, although "meaningful" is a word of praise."""
    assert sentence_polarity("Some children receive meaningful support.") == 1
    assert sentence_polarity("Some children receive no meaningful support.") == -1
    assert sentence_polarity("Children are seen without timely visits.") == -1
