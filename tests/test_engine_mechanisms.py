"""The comparison's general mechanisms (issue 11), each on sentences written for the test, not gold quotes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from datasette_ofsted.align import (
    DEFAULT_CALIBRATION,
    Side,
    _evidence,
    _units,
    _weigh,
    compare,
    gather,
    item_features,
    parts,
    section_grade,
    theme_share,
)
from datasette_ofsted.classify import clauses, has_contrast, sentence_features, sentence_polarity
from datasette_ofsted.decision import FEATURES

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette


def finding(id, text, kind="finding"):
    return {"id": id, "kind": kind, "polarity": "neutral", "text": text, "section": "s", "themes": []}


def row_of(result, id):
    (row,) = [
        r for r in result["rows"] if any(f["id"] == id and f["role"] == "improvement" for f in r["from"] + r["to"])
    ]
    return row


def test_a_plan_of_another_kind_is_another_matter():
    """Generic heads: criticism of child in need plans does not raise pathway plans again; praise of pathway
    plans resolves them."""
    earlier = [
        finding(
            "e1",
            "Improve the quality of pathway plans so that they set out what each care leaver needs.",
            "improvement",
        )
    ]
    later = [
        finding("l1", "Child in need plans do not set out what each family needs."),
        finding("l2", "Pathway plans are clear and written with care leavers, and they are updated regularly."),
    ]
    assert row_of(compare(earlier, later), "e1")["status"] == "resolved"
    # Without the praise, the other kind of plan is no evidence at all.
    assert row_of(compare(earlier, later[:1]), "e1")["status"] == "not_revisited"
    # A plan of the same kind decides.
    same = [finding("l3", "Pathway plans do not set out what each care leaver needs.")]
    assert row_of(compare(earlier, same), "e1")["status"] == "recurring"


def test_another_agencys_assessment_is_not_the_social_workers():
    """A general item on assessments is not raised by health assessments, which health services carry out."""
    earlier = [finding("e1", "The depth and analysis of assessments of children's needs.", "improvement")]
    later = [finding("l1", "Initial health assessments of children entering care are completed late.", "improvement")]
    result = compare(earlier, later)
    assert row_of(result, "e1")["status"] == "not_revisited"
    assert row_of(result, "l1")["status"] == "new"
    # An assessment of a social-work kind does raise it.
    later = [finding("l2", "Child and family assessments lack analysis of children's needs.")]
    assert row_of(compare(earlier, later), "e1")["status"] == "recurring"


def test_list_items_sharing_only_the_kind_of_work_are_not_linked():
    """Two list items on the management oversight of different matters are two rows, not one recurring row."""
    earlier = [finding("e1", "Management oversight of arrangements for privately fostered children.", "improvement")]
    later = [finding("l1", "Management oversight of work with children at risk of exploitation.", "improvement")]
    result = compare(earlier, later)
    assert result["counts"]["recurring"] == 0
    assert row_of(result, "l1")["status"] == "new" and row_of(result, "l1")["linked_item"] is None
    # Items on oversight in general link on the words they share.
    later = [finding("l2", "The quality and frequency of management oversight and supervision.", "improvement")]
    earlier = [finding("e2", "Management oversight and supervision are not recorded consistently.", "improvement")]
    assert row_of(compare(earlier, later), "e2")["status"] == "recurring"


def test_synonyms_join_two_wordings_of_one_matter():
    """'Accommodation' in one report, 'placements' in the other: the same matter."""
    earlier = [finding("e1", "Sufficiency of local placements for older children.", "improvement")]
    later = [finding("l1", "The sufficiency of local accommodation for older children.", "improvement")]
    result = compare(earlier, later)
    assert len(result["rows"]) == 1 and result["rows"][0]["status"] == "recurring"
    assert "accommodation" in result["rows"][0]["to"][0]["matched_words"] or result["rows"][0]["why"]["linked_item"]


def test_confidence_is_read_from_features_shown_in_the_row():
    """The status and its confidence come from the fitted decision over the features the row shows
    (why.confidence_from), with the probability of every status: a clearer match gives more confidence."""
    earlier = [finding("e1", "Return home interviews are not offered to every child who goes missing.", "improvement")]
    strong = [finding("l1", "Return home interviews are not offered to every child who goes missing from home.")]
    weak = [finding("l2", "Some interviews after children go missing are late.")]
    clear, faint = row_of(compare(earlier, strong), "e1"), row_of(compare(earlier, weak), "e1")
    assert set(clear["why"]["confidence_from"]) == set(FEATURES)
    assert clear["status"] == "recurring"
    assert clear["why"]["confidence_from"]["critical"] > faint["why"]["confidence_from"]["critical"]
    probabilities = clear["why"]["probabilities"]
    assert set(probabilities) == {"recurring", "resolved", "not_revisited"}
    assert max(probabilities, key=probabilities.get) == "recurring"
    assert probabilities["recurring"] > faint["why"]["probabilities"]["recurring"]
    assert clear["confidence"] > faint["confidence"] or faint["status"] != "recurring"


def test_a_linked_list_item_criticises_by_its_kind():
    """A row decided by the other report's list item says the item criticises, even when its words praise."""
    earlier = [finding("e1", "Ensure that pre-birth assessments are completed in good time.", "improvement")]
    later = [
        finding(
            "l1",
            "Build on the good work in pre-birth assessments so that they are completed in good time.",
            "improvement",
        ),
        finding("l2", "Leaders know their services well.", "finding"),
    ]
    row = row_of(compare(earlier, later), "e1")
    assert row["status"] == "recurring" and row["linked_item"]
    assert row["why"]["polarity"] == "criticises"


def test_agreeing_sentences_add_up():
    """A matter a report covers in several sentences, each sharing only part of the item's words, weighs more
    than one such sentence: the criticisms add up (critical_sum), and the row is more surely recurring."""
    earlier = [finding("e1", "The timeliness of initial child protection conferences.", "improvement")]
    one = [finding("l1", "Some initial child protection conferences are held too late.")]
    several = one + [
        finding("l2", "Conferences are not always timely for children at risk."),
        finding("l3", "Delays in convening child protection conferences leave risks unaddressed."),
        finding("l4", "Leaders know their services well."),
    ]
    alone, together = row_of(compare(earlier, one), "e1"), row_of(compare(earlier, several), "e1")
    assert together["why"]["confidence_from"]["critical_sum"] > alone["why"]["confidence_from"]["critical_sum"]
    assert together["status"] == "recurring"
    assert together["why"]["probabilities"]["recurring"] > alone["why"]["probabilities"]["recurring"]
    # Switched off (the ablation's switch), only the best sentence counts.
    single = row_of(
        compare(earlier, several, calibration=replace(DEFAULT_CALIBRATION, disabled=frozenset({"sums"}))), "e1"
    )
    assert single["why"]["confidence_from"]["critical_sum"] == 0
    assert single["why"]["probabilities"]["recurring"] < together["why"]["probabilities"]["recurring"]


def test_evidence_of_the_status_is_shown_first():
    """A reader checks a call by its evidence: for resolved, praise first, then the rest by score; for recurring,
    criticism first."""
    earlier = [finding("e1", "Improve the sufficiency of local foster homes for children in care.", "improvement")]
    later = [
        finding(
            "l1", "The sufficiency of local foster homes for children in care has improved well and is now strong."
        ),
        finding(
            "l2",
            "Foster homes are not always local for children in care, some of whom travel far to school, and the "
            "sufficiency of homes is not yet known.",
        ),
        finding("l3", "Leaders track the sufficiency of local homes each month."),
        finding("l4", "Children in care are visited often."),
    ]

    def shown(status, cal=DEFAULT_CALIBRATION):
        evidence = gather(earlier, later, cal)
        return [(f["id"], f["stance"]) for f in _evidence(evidence.earlier_matches[0], later, status, cal)]

    assert shown("resolved")[0] == ("l1", "praises")
    assert shown("recurring")[0] == ("l2", "criticises")
    assert {f for f, _ in shown("resolved")} == {f for f, _ in shown("recurring")} == {"l1", "l2", "l3"}


def test_a_plain_statement_in_a_section_graded_good_reads_as_praise():
    """A section's grade is a prior on its plain statements: "interviews are offered within 72 hours" under a
    heading graded good is the report saying the matter is in hand (resolved); the same words in a section graded
    inadequate, or in one with no grade, say nothing either way (not revisited)."""
    earlier = [finding("e1", "The timeliness of return home interviews for children who go missing.", "improvement")]

    def row(grade, cal=DEFAULT_CALIBRATION):
        later = [
            dict(
                finding("l1", "Return home interviews are offered to children who go missing, within 72 hours."),
                grade=grade,
            ),
            dict(finding("l2", "Leaders know their services well."), grade=grade),
        ]
        return row_of(compare(earlier, later, calibration=cal), "e1")

    good = row("good")
    assert good["status"] == "resolved"
    assert [(f["id"], f["stance"]) for f in good["to"]] == [("l1", "praises")]
    assert row("inadequate")["status"] == row(None)["status"] == "not_revisited"
    off = replace(DEFAULT_CALIBRATION, disabled=frozenset({"section_grade"}))
    assert row("good", off)["status"] == "not_revisited"


def test_a_section_takes_the_grade_of_the_judgement_it_reports_on():
    judged = [
        ("The experiences and progress of children in care", "good"),
        ("The experiences and progress of children in care and care leavers", "inadequate"),
        ("Overall effectiveness", "requires improvement"),
    ]
    assert section_grade("The experiences and progress of children in care: good", judged) == "good"
    # The longest judged area the heading starts with: the one it reports on.
    assert section_grade("The experiences and progress of children in care and care leavers", judged) == "inadequate"
    assert section_grade("What needs to improve", judged) is None
    assert section_grade(None, judged) is None


# Sentences written for the speed tests below: with and without a contrast word, praise, criticism and neither.
_SPEED_SENTENCES = [
    "Visits to children are purposeful and recorded promptly.",
    "Plans are not updated when children's circumstances change.",
    "Managers meet with staff each month.",
    "Visits are purposeful, although recording is not always timely.",
    "Although planning has improved, plans are not specific enough.",
    "Supervision is regular but it does not always challenge drift.",
    "At the last inspection, planning was weak.",
    "Return home interviews were not offered when children had been missing.",
]


def test_a_sentence_without_a_contrast_is_one_clause_with_the_sentences_polarity():
    """The engine reads a sentence's stance on a matter clause by clause only where it has a contrast word
    (`has_contrast`); elsewhere it takes the polarity classified at ingest, which must then be its one clause's."""
    contrasted = 0
    for sentence in _SPEED_SENTENCES:
        pieces = clauses(sentence)
        assert has_contrast(sentence) == (len(pieces) > 1)
        if not has_contrast(sentence):
            assert pieces[0].polarity == sentence_polarity(sentence)
        contrasted += has_contrast(sentence)
    assert contrasted == 3


def test_theme_shares_through_the_index_equal_theme_share_sentence_by_sentence():
    """The theme index counts a concern's practice themes in each sentence as `theme_share` does one by one."""
    earlier = [
        finding("e1", "Improve return home interviews and the planning for children who go missing.", "improvement")
    ]
    later = [finding(f"l{n}", text) for n, text in enumerate(_SPEED_SENTENCES)]
    later.append(finding("lm", "Children who go missing from home are offered return home interviews."))
    for f in earlier + later:
        f["sentences"] = sentence_features(f["text"], f["kind"])
    concerns, others = _units(earlier), _units(later)
    _weigh(concerns + others)
    side = Side(others, {}, set())
    checked = 0
    for concern in concerns:
        shares = side.theme_shares(concern)
        for n, unit in enumerate(side.units):
            assert shares.get(n, 0.0) == theme_share(concern, unit)
            checked += bool(shares.get(n))
    assert checked  # some sentence shares a theme, or the test shows nothing


def test_a_part_keeps_its_meaning():
    """An element of an item's list keeps the words it shares with its neighbours ("the timeliness and quality of
    reviews": the timeliness *of reviews*; "for children in need, children in care": reviews *for* children in
    care), and an element that names only who the item is for is not a part: it would decide against any
    sentence about that group."""
    item = "The timeliness and quality of reviews for children in need, children in care and care leavers."
    assert parts(item)[1:] == [
        "The timeliness of reviews for children in need",
        "quality of reviews for children in need",
        "quality of reviews for children in care",
    ]
    # Switched off (the ablation's switch), the bare elements are parts of their own.
    assert "care leavers." in parts(item, keep_meaning=False)
    earlier = [finding("e1", "The quality of advice for foster carers and care leavers.", "improvement")]
    later = [finding("l1", "Care leavers are not supported well enough to find work.")]
    assert row_of(compare(earlier, later), "e1")["status"] == "not_revisited"
    off = replace(DEFAULT_CALIBRATION, disabled=frozenset({"part_meaning"}))
    assert row_of(compare(earlier, later, calibration=off), "e1")["status"] == "recurring"


def test_a_single_shared_head_noun_is_weak_evidence():
    """A sentence that shares only a head noun with the item ("plans") counts in the criticism it reads, but not
    in the solid criticism (two words of the matter, one specific), which the fitted decision weighs apart."""
    earlier = [finding("e1", "Improve the timeliness of pathway plans for care leavers.", "improvement")]
    head_only = row_of(compare(earlier, [finding("l1", "Plans are not reviewed often enough.")]), "e1")
    on_matter = row_of(compare(earlier, [finding("l1", "Pathway plans are not completed in good time.")]), "e1")
    assert head_only["why"]["confidence_from"]["critical"] > 0
    assert head_only["why"]["confidence_from"]["solid_critical"] == 0
    assert on_matter["why"]["confidence_from"]["solid_critical"] == on_matter["why"]["confidence_from"]["critical"] > 0
    assert on_matter["why"]["probabilities"]["recurring"] > head_only["why"]["probabilities"]["recurring"]
    off = replace(DEFAULT_CALIBRATION, disabled=frozenset({"solid"}))
    assert row_of(compare(earlier, [finding("l1", "Pathway plans are late.")], calibration=off), "e1")["why"][
        "confidence_from"
    ]["solid_critical"] == 0


def test_list_items_sharing_one_word_of_long_matters_are_not_linked():
    """Two list items that share one word of matters that name more ("neglect" in the response to neglect when
    families do not engage, and in its identification by schools) are neighbouring matters, not one: no link
    between them. An item that names one thing ("the quality and impact of supervision") is linked through it,
    and two wordings of one matter are linked."""

    def candidate_links(earlier_text: str, later_text: str, cal=DEFAULT_CALIBRATION) -> list:
        earlier, later = [finding("e1", earlier_text, "improvement")], [finding("l1", later_text, "improvement")]
        return list(item_features(gather(earlier, later, cal), cal)[2])

    neighbours = (
        "The response to neglect when families do not engage with early help.",
        "The identification of neglect by schools and health visitors.",
    )
    assert candidate_links(*neighbours) == []
    off = replace(DEFAULT_CALIBRATION, disabled=frozenset({"solid_link"}))
    assert candidate_links(*neighbours, cal=off) == [(0, 0)]
    one_thing = ("Ensure that supervision of social workers is regular and recorded.", "The quality and impact of supervision.")
    assert candidate_links(*one_thing) == [(0, 0)]
    reworded = (
        "The response to neglect when families do not engage with early help.",
        "The response to neglect where families do not engage with help.",
    )
    assert candidate_links(*reworded) == [(0, 0)]
