"""Sentence polarity, rule by rule, each with a sentence of the kind inspectors write (issue 11, 3)."""

from __future__ import annotations

import pytest

from datasette_ofsted.classify import _cue_themes, clauses, progress, sentence_features, sentence_polarity
from datasette_ofsted.text import normalise, stems_of_normalised

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette

PRAISE, CRITICISM, NEITHER = 1, -1, 0


@pytest.mark.parametrize(
    ("rule", "sentence", "polarity"),
    [
        ("'in' is not a negator", "Permanence for children is being achieved in a timely way.", PRAISE),
        (
            "'concern' as a topic noun is not criticism",
            "The response to concerns is robust and thresholds are consistently applied.",
            PRAISE,
        ),
        ("'concern' as a judgement is criticism", "The quality of plans is a significant concern.", CRITICISM),
        ("a preventer denies the problem after it", "Social workers visit regularly to help prevent drift.", PRAISE),
        (
            "'varied' as a range is praise; 'varies' is inconsistency",
            "Care leavers benefit from a wide and varied range of opportunities.",
            PRAISE,
        ),
        ("'varies' is inconsistency", "The quality of plans varies across teams.", CRITICISM),
        ("'too high' is a shortfall, as 'too long' is", "Caseloads in the assessment teams are too high.", CRITICISM),
        ("'few' denies the problem after it", "Few children wait too long for a permanent home.", PRAISE),
        ("'a few' does not deny it", "A few children wait too long for a permanent home.", CRITICISM),
        ("'few' before praise is criticism", "Few plans are effective in reducing risk.", CRITICISM),
        (
            "an aim to improve further is not a shortfall",
            "Leaders have taken decisive action to further strengthen the quality of supervision.",
            NEITHER,
        ),
        (
            "what was true at the last inspection is not a finding now",
            "Planning has improved since the last inspection, when plans were inadequate.",
            PRAISE,
        ),
        ("a report of the past says neither", "At the last inspection, planning was weak.", NEITHER),
        ("'although X, Y': Y is the main clause", "Although planning has improved, plans are not specific.", CRITICISM),
        (
            "'X, although Y': X is the main clause",
            "Visits are purposeful, although recording is not always timely.",
            PRAISE,
        ),
        ("'X, but Y': Y is the main clause", "Most plans are good, but some lack detail.", CRITICISM),
        ("'despite X, Y': Y is the main clause", "Despite high caseloads, social workers know children well.", PRAISE),
        ("'no longer' before a problem is progress", "Children no longer wait too long for assessments.", PRAISE),
        ("'remains' keeps the problem", "Capacity remains a challenge.", CRITICISM),
        ("'continues to' keeps the praise", "Practice continues to be strong.", PRAISE),
        ("'not yet' is criticism", "Plans are not yet consistently effective.", CRITICISM),
        ("a negator alone is criticism", "Supervision is not recorded.", CRITICISM),
        ("a negator before praise is criticism", "Plans are not always timely.", CRITICISM),
        ("'without' before a problem is praise", "Children are seen without delay.", PRAISE),
        ("a problem reduced is progress", "Leaders have reduced the very high caseloads.", PRAISE),
        (
            "a problem being addressed is progress, and a preventer does not negate praise",
            "Gaps in placement sufficiency are being addressed by effective changes to residential services.",
            PRAISE,
        ),
        ("a problem not being addressed stays criticism", "Delays are not being addressed.", CRITICISM),
        ("criticism wins inside a clause", "Assessments are thorough and timely and plans lack detail.", CRITICISM),
        ("'yet to' is work not done", "Leaders have yet to make sure that reviews are held on time.", CRITICISM),
        (
            "work under way is work not done",
            "Work is under way to improve how decisions about contact are recorded.",
            CRITICISM,
        ),
        ("a shortage named as a noun is criticism", "There is an insufficiency of foster homes locally.", CRITICISM),
    ],
)
def test_polarity_rule(rule, sentence, polarity):
    assert sentence_polarity(sentence) == polarity, rule


def test_clauses_keep_each_polarity():
    """The comparison reads the clause that speaks of its matter: both polarities are kept."""
    parts = clauses("Visits are purposeful, although recording is not always timely.")
    assert [(c.polarity, c.main) for c in parts] == [(PRAISE, True), (CRITICISM, False)]
    assert parts[1].text.startswith("recording")


def test_progress_statements():
    assert progress("Since the last inspection, the timeliness of assessments has improved.") == 1
    assert progress("Delays in pre-proceedings work remain.") == -1
    assert progress("Plans are not yet consistently effective.") == -1
    assert progress("Plans are clear.") == 0


def test_improvement_sentences_are_criticism_whatever_their_words():
    (sentence,) = sentence_features("Ensure that plans are clear and effective.", "improvement")
    assert sentence["polarity"] == CRITICISM


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("The quality of assessments.", "assessments"),
        ("Plans for children.", "planning"),
        ("The use of data by managers.", "performance-data"),
        ("Children living outside of the local authority area.", "placement-sufficiency-stability"),
    ],
)
def test_bare_matters_have_a_theme(text, theme):
    """Bare 'assessments', 'plans', 'data', 'outside of the local authority area' name a theme (issue 11, 5)."""
    assert theme in _cue_themes(normalise(text))


def test_private_fostering_is_not_foster_care():
    themes = _cue_themes(normalise("Management oversight of the use of private fostering."))
    assert "private-fostering" in themes and "foster-carers-residential" not in themes
    both = _cue_themes(normalise("Foster carers are trained to recognise private fostering."))
    assert {"private-fostering", "foster-carers-residential"} <= both


def test_sufficiency_alone_is_not_placements():
    assert "placement-sufficiency-stability" not in _cue_themes(normalise("The sufficiency of social workers."))


def test_words_that_carry_meaning_are_kept():
    stems = stems_of_normalised(normalise("Consistent, quality support for the family."))
    assert {"consist", "qualiti", "famili"} <= set(stems)


def test_children_missing_education_is_not_missing_from_home():
    """'Children missing education' is a duty to every child of the area, not the response to children who run
    away: a theme of its own, so a list item on it does not meet return home interviews by theme."""
    themes = _cue_themes(normalise("Tracking of children missing from education and of those educated at home."))
    assert "children-missing-education" in themes and "missing-children" not in themes
    assert "missing-children" in _cue_themes(normalise("Children who go missing from home are offered interviews."))


def test_a_shortage_of_homes_is_placement_sufficiency():
    for text in ("There is an insufficiency of homes for children.", "Improve the range of placement options."):
        assert "placement-sufficiency-stability" in _cue_themes(normalise(text)), text


def test_synonyms_are_compared_as_one_word():
    """'Accommodation' and 'placement', 'insufficiency' and 'sufficiency' are compared as one word (text.SYNONYMS)."""
    assert set(stems_of_normalised(normalise("suitable accommodation"))) == {"suitabl", "placement"}
    assert stems_of_normalised(normalise("insufficiency")) == stems_of_normalised(normalise("sufficiency"))


def test_word_lists_grouped_by_first_letter_match_as_written():
    """The polarity word lists are scanned grouped by their words' first letters (for speed): every match, its
    place and its words, is that of the list as written, on every sentence of the bundled text reports."""
    import re
    from pathlib import Path

    from datasette_ofsted import classify
    from datasette_ofsted.text import sentences

    reports = sorted((Path(__file__).parent.parent / "data" / "reports").glob("*.txt"))
    texts = [s.lower() for report in reports for s in sentences(report.read_text(encoding="utf-8"))]
    assert len(texts) > 300
    for name, as_written in classify.WORD_LISTS_AS_WRITTEN.items():
        used = getattr(classify, name)
        assert used.pattern != as_written.pattern  # grouped, or the test would prove nothing
        found = 0
        for text in texts:
            expected = [(m.span(), m.group()) for m in as_written.finditer(text)]
            assert [(m.span(), m.group()) for m in used.finditer(text)] == expected, (name, text)
            found += len(expected)
        assert found > 20, name
    # The order of a letter's words is kept ("no longer" before "no"), and a word that starts with a group or a
    # class stays between the words before and after it.
    tricky = re.compile(r"\b(?:no longer|na|(?:very )?nice|no|[nm]ow|nope|\w+ly)\b")
    grouped = classify._by_first_letter(tricky)
    assert grouped.pattern == r"\b(?:n(?:o longer|a)|(?:very )?nice|no|[nm]ow|nope|\w+ly)\b"
    text = "no longer very nice now nope quickly no mow na"
    assert [m.group() for m in grouped.finditer(text)] == [m.group() for m in tricky.finditer(text)]
