"""Each repair of what text extraction leaves behind, pinned by name (pure functions, no files)."""

import pytest

from ingest.layout import build_blocks, pdf_lines, remove_running_lines, repair_broken_words, text_lines

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette


def _blocks(pages, fmt="pdf"):
    lines = pdf_lines(pages) if fmt == "pdf" else text_lines(pages)
    return build_blocks(lines, fmt)


def _page(header_date: str, number: int, body: str) -> str:
    return f"Inspection of Birmingham local authority children\u2019s services\r\n{header_date} {number}\r\n{body}"


def test_running_header_with_glued_page_number_is_removed():
    topics = ["early help", "the front door", "strategy meetings", "care leavers", "permanence"]
    pages = [
        _page("20 February to 3 March 2023", n, f"{n}. Practice on {topic} is good.")
        for n, topic in enumerate(topics, 1)
    ]
    texts = [b.text for b in _blocks(pages)]
    assert not any("Inspection of Birmingham" in t or "March 2023" in t for t in texts)
    assert texts == [f"Practice on {topic} is good." for topic in topics]


def test_header_detection_needs_repetition():
    pages = [["Unique first line", "body"], ["Other line", "body"], ["Third line", "body"]]
    assert remove_running_lines(pages)[0][0] == "Unique first line"


def test_bare_page_numbers_and_footnote_marks_are_dropped():
    pages = ["1\r\nWhat needs to improve?\r\n1\r\n\u25fc The quality of pathway plans for care leavers.\r\n2"]
    texts = [b.text for b in _blocks(pages)]
    assert texts == ["What needs to improve?", "The quality of pathway plans for care leavers."]


def test_footnote_text_at_the_foot_of_a_page_is_cut():
    page = (
        "4. Child protection strategy discussions take place promptly when risks escalate.\r\n"
        "Decisions are informed by relevant historical information.\r\n"
        "1 The areas for improvement have been cross-referenced with the outcomes in \r\n"
        "the Children\u2019s Social Care: National Framework.\r\n"
    )
    texts = [b.text for b in _blocks([page])]
    assert texts == [
        "Child protection strategy discussions take place promptly when risks escalate. "
        "Decisions are informed by relevant historical information."
    ]


def test_footnote_number_glued_to_a_word_is_removed():
    page = "Review of the effectiveness of the Local Safeguarding Children Board1\r\nMore text here follows now.\r\n1 Ofsted produces this report under its power.\r\n"
    texts = [b.text for b in _blocks([page])]
    assert "Board1" not in " ".join(texts)
    assert "Safeguarding Children Board" in " ".join(texts)


def test_bullet_glyphs_are_folded():
    for glyph in ["\u25fc", "\u25a0", "\uf06e", "\uf0b7", "\uf0a7", "-", "\u2022"]:
        blocks = _blocks(
            [f"What needs to improve?\r\n{glyph} The quality of plans.\r\n{glyph} Recording of visits.\r\n"]
        )
        assert [b.marker for b in blocks] == ["heading", "bullet", "bullet"], glyph
        assert blocks[1].text == "The quality of plans."


def test_u_fffe_in_hyphenated_words():
    texts = [
        "The pre\ufffeproceedings stage.",
        "A multi\ufffeagency panel.",
        "Some as\ufffesessments, most assessments.",
    ]
    assert repair_broken_words(texts) == [
        "The pre-proceedings stage.",
        "A multi-agency panel.",
        "Some assessments, most assessments.",  # spelt whole elsewhere in the report: the break was not a hyphen
    ]
    # whole words only, in any case, also at the very end of the report
    assert repair_broken_words(["co\ufffeordination.", "Coordinationally"]) == ["co-ordination.", "Coordinationally"]
    assert repair_broken_words(["co\ufffeordination.", "COORDINATION"]) == ["coordination.", "COORDINATION"]


def test_list_item_split_by_a_page_break_is_joined():
    pages = [
        "Findings\r\n\u25fc Out-of-hours services are effective. Children\u2019s risk is appropriately analysed, resulting in timely responses to children who go\r\n",
        "missing. Clear recommendations for action enable the day staff to respond quickly.\r\n\u25fc Social workers are knowledgeable.\r\n",
    ]
    texts = [b.text for b in _blocks(pages)]
    assert texts[1].endswith(
        "children who go missing. Clear recommendations for action enable the day staff to respond quickly."
    )
    assert texts[2] == "Social workers are knowledgeable."


def test_text_paragraph_split_by_page_gap_is_joined():
    text = "- Out-of-hours services are effective, in crisis or children who go\n\n\n\nmissing. Clear recommendations.\n\n- Next item here.\n"
    texts = [b.text for b in _blocks([text], "text")]
    assert texts == [
        "Out-of-hours services are effective, in crisis or children who go missing. Clear recommendations.",
        "Next item here.",
    ]


def test_bullet_whose_glyph_the_text_conversion_dropped():
    text = "Strengths\n\n Decisions about contacts are timely.\n\n- Thresholds are clear.\n"
    blocks = _blocks([text], "text")
    assert [b.marker for b in blocks] == ["heading", "bullet", "bullet"]


def test_bold_markers_of_text_conversions_are_removed():
    blocks = _blocks(["2. The overall effectiveness is judged to be **adequate**.\n"], "text")
    assert blocks[0].text == "The overall effectiveness is judged to be adequate."


def test_paragraph_numbers_are_kept_apart_from_text():
    blocks = _blocks(["12. The quality of practice has improved since the last inspection.\r\n"])
    assert (blocks[0].marker, blocks[0].number, blocks[0].text) == (
        "number",
        12,
        "The quality of practice has improved since the last inspection.",
    )


def test_sub_points_belong_to_their_item():
    page = "What needs to improve?\r\n\u25fc Practice with disabled children to demonstrate:\r\n- an understanding of the impact of disability\r\n- the ambition for disabled children.\r\n\u25fc Recording.\r\n"
    blocks = _blocks([page])
    assert [b.text for b in blocks[1:]] == [
        "Practice with disabled children to demonstrate: an understanding of the impact of disability the ambition for disabled children.",
        "Recording.",
    ]


def test_wrapped_heading_with_grade_is_one_heading():
    page = "\u25fc Consistency of written plans.\r\nThe experiences and progress of children who need help and \r\nprotection: good\r\n1. Since the inspection in 2018, much has improved.\r\n"
    blocks = _blocks([page])
    assert blocks[1].marker == "heading"
    assert blocks[1].text == "The experiences and progress of children who need help and protection: good"


# --- Lines where extraction glued two blocks together (split_glued_lines), one test a rule.
from ingest.layout import Line, split_glued_lines  # noqa: E402


def _split(*texts: str) -> list[str]:
    return [line.text for line in split_glued_lines([Line(t, 1) for t in texts])]


def test_list_heading_glued_to_the_line_before_is_cut():
    assert _split("practice is underpinned by Signs of Safety Recommendations", "1. Ensure that plans are clear.") == [
        "practice is underpinned by Signs of Safety",
        "Recommendations",
        "1. Ensure that plans are clear.",
    ]
    assert _split("works closely with families. What needs to improve?1", "\u2022 The quality of plans.")[1] == (
        "What needs to improve?"
    )
    # not cut when no list follows: a sentence may end with the word
    assert _split("the board accepted all the recommendations", "It met monthly.")[0] == (
        "the board accepted all the recommendations"
    )


def test_list_heading_glued_to_an_items_end_and_repeated_on_its_own_line_is_cut():
    """The heading glued to the end of an item's last line, then repeated as a heading line (not an
    item) below it: the glued copy is cut from the item."""
    assert _split("missing from home and care. Areas for improvement", "Areas for improvement", "Leadership") == [
        "missing from home and care.",
        "Areas for improvement",
        "Areas for improvement",
        "Leadership",
    ]
    # another heading below is no repeat: the words stay the sentence's
    assert len(_split("the board set out its areas for improvement", "Leadership and governance")) == 2


def test_glued_paragraph_number_is_split_only_when_it_is_the_next_one():
    assert _split("15. Thresholds are applied.16.When children are referred, decisions are prompt.") == [
        "15. Thresholds are applied.",
        "16.When children are referred, decisions are prompt.",
    ]
    assert len(_split("15. Thresholds are applied.3.When children are referred.")) == 1


def test_section_heading_glued_on_the_last_item_is_cut():
    assert _split("3. Improve life-story work The experiences and progress of children in care Good") == [
        "3. Improve life-story work",
        "The experiences and progress of children in care Good",
    ]
    # a sentence of the body that names the section is left whole
    assert len(_split("They are helped well. The experiences and progress of children in care are good.")) == 1


def test_grade_glued_on_the_last_item_is_cut():
    assert _split("3. Improve supervision so that it challenges practice. Grade 4 (Inadequate)")[1] == (
        "Grade 4 (Inadequate)"
    )


def test_item_number_without_a_space_is_an_item():
    blocks = _blocks(["Recommendations\r\n10.Ensure that plans are clear.\r\n11.Improve supervision.\r\n"])
    assert [(b.marker, b.number, b.text) for b in blocks[1:]] == [
        ("number", 10, "Ensure that plans are clear."),
        ("number", 11, "Improve supervision."),
    ]


def test_short_heading_between_a_full_stop_and_an_item_is_a_heading():
    body = (
        "6. Improve the use of performance information by senior leaders across the whole service.\r\n"
        "Children looked after and achieving permanence\r\n"
        "7. Increase the number of local foster carers.\r\n"
    )
    blocks = _blocks([body])
    assert [b.marker for b in blocks] == ["number", "heading", "number"]
    # the end of a sentence that lost its full stop is not a heading
    body = "\u2022 891 live with foster families, of whom 60% live out of the area.\r\nHowever, 89% are placed nearby\r\n\u2022 Next point here.\r\n"
    assert [b.marker for b in _blocks([body])] == ["bullet", "bullet"]


def test_lead_in_sentence_after_a_full_stop_starts_its_own_block():
    body = (
        "11. Ensure that chronologies are of sufficient quality to inform assessments and their plans.\r\n"
        "The local authority has the following strengths:\r\n"
        "12. Senior leaders know the service.\r\n"
    )
    assert [b.text for b in _blocks([body])][1] == "The local authority has the following strengths:"


def test_lower_case_points_under_a_numbered_item_stay_in_it():
    body = (
        "1. Ensure that the commissioning strategy addresses\r\n"
        "\u2013 sufficiency of accommodation for care leavers\r\n"
        "\u2013 the stability of placements.\r\n"
        "2. Improve supervision.\r\n"
    )
    blocks = _blocks([body])
    assert len(blocks) == 2 and "stability of placements" in blocks[0].text


def test_known_heading_at_the_top_of_a_page_starts_a_block():
    pages = [
        "Team inspectors: Mary Candlin, Lynn Radley, Fiona\r\nMillns, Janet Frazer\r\n",
        "Information about this local authority area\r\nChildren living in this area\r\n",
    ]
    texts = [b.text for b in _blocks(pages)]
    assert "Information about this local authority area" in texts


# --- The line rules of build_blocks, one by one.
from ingest.layout import (  # noqa: E402
    Block,
    BulletLine,
    Continuation,
    Layout,
    MetaLine,
    closes_block,
)


def _layout(*texts: str) -> Layout:
    return Layout([Line(t, 1) for t in texts], "pdf", full_width=80)


def test_line_rule_bullet_sub_point_joins_a_numbered_item():
    at = _layout("1. Ensure that the strategy addresses", "\u2013 sufficiency of accommodation")
    at.start(at.lines[0], "number", "Ensure that the strategy addresses", 1)
    assert BulletLine().test(at, at.lines[1], 1)
    BulletLine().run(at, at.lines[1], 1)
    assert len(at.blocks) == 1 and at.blocks[0].has_subpoints


def test_line_rule_continuation_and_meta():
    at = _layout("Ensure that plans are", "reviewed regularly.")
    at.start(at.lines[0], "para", "Ensure that plans are")
    assert Continuation().test(at, at.lines[1], 1)
    at = _layout("Lead inspector: Linda Steele")
    assert MetaLine().test(at, at.lines[0], 0)


def test_closes_block_short_sentence_end_grade_row_and_heading():
    para = Block("x", 1, "para", lines=["Practice is good."])
    assert closes_block(para, "Practice is good.", "Next line", "pdf", 80)
    # a full-width line that ends with a full stop may run on
    assert not closes_block(para, "x" * 79 + ".", "Next line", "pdf", 80)
    row = Block("x", 1, "para", lines=["Adoption performance Good"])
    assert closes_block(row, "Adoption performance Good", "Next line", "pdf", 80)
    heading = Block("x", 1, "heading", lines=["The experiences and progress of"])
    assert not closes_block(heading, "The experiences and progress of", "children in care", "pdf", 80)
    assert closes_block(heading, "Recommendations", "1. Ensure", "pdf", 80)


def test_subpoints_marked_with_a_combining_long_stroke_stay_in_their_item():
    """Cornwall 2019 marks sub-points with U+0336 (a combining long stroke overlay): they are
    sub-points of the item above, not one extra item glued together."""
    page = (
        "What needs to improve\n"
        "\u25fc The provision of suitable accommodation for homeless young people, including:\n"
        "\u0336 sufficiency of accommodation\n"
        "\u0336 management oversight of the use of any unregulated provision.\n"
        "\u25fc The quality and timeliness of life-story work for children.\n"
    )
    blocks = build_blocks(pdf_lines([page]), "pdf")
    items = [b.text for b in blocks if b.marker == "bullet"]
    assert items == [
        "The provision of suitable accommodation for homeless young people, including: sufficiency of "
        "accommodation management oversight of the use of any unregulated provision.",
        "The quality and timeliness of life-story work for children.",
    ]


def test_footnote_digit_on_a_list_heading_is_dropped():
    blocks = build_blocks(
        pdf_lines(["Leaders know their services well.\nWhat needs to improve?1\n\u25fc Plans.\n"]), "pdf"
    )
    assert [(b.marker, b.text) for b in blocks][1] == ("heading", "What needs to improve?")
