"""The parser on the real seeds and sample PDFs: metadata from content, never from file names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.extract import extract
from ingest.parse import (
    IMPROVEMENT_HEADING,
    _judgement,
    find_dates,
    find_lead_inspector,
    find_published,
    find_type,
    national_framework_tags,
    parse_pages,
)
from ingest.reference import find_authority

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "data" / "reports"
EXPECTED = json.loads((Path(__file__).parent / "data" / "expected_samples.json").read_text())


def parse(name: str):
    extracted = extract(REPORTS / name)
    return parse_pages(extracted.pages, extracted.file_format, find_authority)


def kinds(report, kind: str, section: str | None = None):
    return [f for f in report.findings if f.kind == kind and (section is None or f.section == section)]


def test_seed_000_sutton_focused_visit_2018():
    report = parse("000_aacd069290608c33.txt")
    assert (report.authority_name, report.inspection_type, report.start_date, report.end_date) == (
        "sutton",
        "focused visit",
        "2018-06-26",
        "2018-06-27",
    )
    assert report.lead_inspector == "Caroline Walsh"
    assert report.kind == "letter"
    assert len(kinds(report, "improvement")) == 3
    assert len(kinds(report, "finding", "Findings")) == 15


def test_seed_002_sutton_unannounced_2010():
    report = parse("002_ac07fc03e2f7f600.txt")
    assert (report.start_date, report.end_date, report.lead_inspector) == (
        "2010-03-09",
        "2010-03-10",
        "Colette Elliott-Cooper",
    )
    assert report.inspection_type == "annual unannounced inspection of contact, referral and assessment"
    assert len(kinds(report, "strength")) == 11
    assert len(kinds(report, "improvement")) == 4


def test_seed_003_sutton_child_protection_2013():
    report = parse("003_6185718e885c3be8.txt")
    assert (report.start_date, report.end_date, report.lead_inspector) == ("2013-05-13", "2013-05-22", "Wendy Ghaffar")
    improvements = kinds(report, "improvement")
    assert len(improvements) == 10
    assert [f.timescale for f in improvements] == ["Immediately"] + ["Within three months"] * 7 + [
        "Within six months"
    ] * 2
    assert len(report.judgements) == 4
    assert {j.grade for j in report.judgements} == {"adequate"}


def test_seed_004_southwark_focused_visit_2019():
    report = parse("004_85e7267de99e4671.txt")
    assert (report.authority_name, report.start_date, report.end_date, report.lead_inspector) == (
        "southwark",
        "2019-01-15",
        "2019-01-16",
        "Andy Whippey",
    )
    assert len(kinds(report, "improvement")) == 3
    assert len(kinds(report, "finding", "Findings")) == 16


def test_seed_001_summary_for_children_belongs_to_003():
    summary, report = parse("001_548a9489fd409ec6.txt"), parse("003_6185718e885c3be8.txt")
    assert summary.kind == "summary for children"
    assert (summary.authority_name, summary.start_date) == (report.authority_name, report.start_date)
    assert len(kinds(summary, "improvement")) == 5
    assert summary.judgements == []


def test_boilerplate_is_not_a_finding():
    texts = " ".join(
        f.text for name in ["000_aacd069290608c33.txt", "003_6185718e885c3be8.txt"] for f in parse(name).findings
    )
    for boilerplate in [
        "Ofsted will take the findings",
        "Yours sincerely",
        "Crown copyright",
        "This document may be reproduced",
        "Piccadilly Gate",
        "Dear Mr Ireland",
        "Record of main findings",
    ]:
        assert boilerplate not in texts


@pytest.mark.parametrize("expected", [e for e in EXPECTED if not e.get("refuse")], ids=lambda e: e["file"])
def test_sample_pdf(expected):
    report = parse(expected["file"])
    assert report.authority_name == expected["authority"]
    assert (report.start_date, report.end_date) == (expected["start_date"], expected["end_date"])
    assert report.lead_inspector == expected["lead_inspector"]
    assert report.pages == expected["pages"]
    expected_type = expected["inspection_type"].replace(" re-inspection", "").replace(" + LSCB review", "")
    if "(uncertain)" not in expected.get("type_confidence", ""):
        assert report.inspection_type == expected_type
    assert (
        len([f for f in report.findings if f.kind == "improvement" and f.about == "authority"])
        == expected["improvements_count"]
    )
    grades = {(j.area.lower(), j.grade) for j in report.judgements if j.about == "authority"}
    for judgement in expected["judgements"]:
        assert (judgement["area"].lower(), judgement["grade"]) in grades
    if expected.get("lscb_recommendations_count"):
        lscb = [f for f in report.findings if f.about == "LSCB" and IMPROVEMENT_HEADING.match(f.section)]
        assert len(lscb) >= expected["lscb_recommendations_count"]


def test_metadata_comes_from_content_not_file_name(tmp_path):
    renamed = tmp_path / "kent-2010-01-01-misleading-name.pdf"
    shutil.copy(REPORTS / "50214110.pdf", renamed)
    extracted = extract(renamed)
    report = parse_pages(extracted.pages, extracted.file_format, find_authority)
    assert (report.authority_name, report.start_date) == ("birmingham", "2023-02-20")


def test_lscb_recommendations_are_the_boards_improvements():
    """Kent 2017's LSCB part lists six recommendations (paragraphs 88-93, read off the PDF):
    they are improvements, the board's, not the authority's; the board's findings are not."""
    report = parse("2763794.pdf")
    board = [f for f in report.findings if f.about == "LSCB" and f.kind == "improvement"]
    assert [f.paragraph for f in board] == [88, 89, 90, 91, 92, 93]
    assert board[0].text.startswith("Ensure that a comprehensive multi-agency dataset")
    assert not any(f.paragraph == 94 and f.kind == "improvement" for f in report.findings)


def test_national_framework_tags_are_parsed():
    assert national_framework_tags("Care leavers. (outcome 4, national framework)") == ["Outcome 4"]
    assert national_framework_tags("x (Outcome Two / Enabler 1, National Framework)") == ["Outcome 2", "Enabler 1"]
    kent = parse("50294428.pdf")
    assert [f.national_framework for f in kinds(kent, "improvement")] == [["Outcome 4"], ["Outcome 4"], ["Enabler 2"]]


def test_the_2026_framework_has_no_overall_grade():
    report = parse("50306784.pdf")
    assert report.framework == "ILACS 2026"
    assert not any(j.area.lower().startswith("overall") for j in report.judgements)
    assert len(report.judgements) == 4


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Inspection dates: 20 February to 3 March 2023", ("2023-02-20", "2023-03-03")),
        ("Inspection dates:13-22 May 2013", ("2013-05-13", "2013-05-22")),
        ("Inspection dates: 15 \u2013 19 July 2013", ("2013-07-15", "2013-07-19")),
        ("Inspection date: 18 March 2014 \u2013 09 April 2014", ("2014-03-18", "2014-04-09")),
        ("a focused visit to Sutton on 26 and 27 June 2018 carried out by", ("2018-06-26", "2018-06-27")),
        ("13 May \u2013 22 May 2013", ("2013-05-13", "2013-05-22")),
        ("Inspection dates: 28 December to 3 January 2020", ("2019-12-28", "2020-01-03")),
        ("A shopping list: eggs, milk", (None, None)),
    ],
)
def test_dates(text, expected):
    assert find_dates(text) == expected


def test_lead_inspector_without_title():
    assert find_lead_inspector("Lead inspector:Wendy Ghaffar HMI\nAge group: All") == "Wendy Ghaffar"
    assert find_lead_inspector("Lead inspector: Pauline Higham\nHer Majesty's Inspector") == "Pauline Higham"


@pytest.mark.parametrize(
    "title,expected",
    [
        ("Assurance visit to Sutton children's services", "assurance visit"),
        ("Monitoring visit to Birmingham children's services", "monitoring visit"),
        ("Joint targeted area inspection of the multi-agency response to abuse and neglect in Kent", "JTAI"),
        ("Focused visit to Southwark local authority children's services", "focused visit"),
        ("Inspection of Kent local authority children's services", "ILACS standard"),
    ],
)
def test_inspection_type_from_title(title, expected):
    from ingest.parse import find_type

    assert find_type(title, title, "2021-01-01", "2021-01-14")[0] == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        # numeric dates
        ("Inspection dates: 12/09/2016 to 06/10/2016\nReport published:", ("2016-09-12", "2016-10-06")),
        ("Inspection dates: 1/06/2015 \u2013 25/06/2015", ("2015-06-01", "2015-06-25")),
        # a box-drawing line for a dash
        ("Inspection dates: 20 June 2017 \u2500 13 July 2017", ("2017-06-20", "2017-07-13")),
        # a range across years, and one wrapped onto the next line
        ("Inspection dates: 18 February 2014 \u2013 12 March 2014", ("2014-02-18", "2014-03-12")),
        (
            "Inspection dates: 18 February 2014 \u2013\n12 March 2014\nReport published: 2 May 2014",
            ("2014-02-18", "2014-03-12"),
        ),
        ("Inspection dates: 2 December 2013 \u2013 8 January 2014", ("2013-12-02", "2014-01-08")),
        # a visit split in two: the first day is the start, the last the end
        ("Inspection dates: 3 to 5 March and 17 to 19 March 2015", ("2015-03-03", "2015-03-19")),
        ("Inspection dates: 9\u201311 October 2018 and 22\u201326 October 2018", ("2018-10-09", "2018-10-26")),
    ],
)
def test_dates_numeric_box_dash_across_years_and_split_visits(text, expected):
    assert find_dates(text) == expected


def test_published_date_is_never_the_running_header():
    report = parse("50192198.pdf")  # its page 1 carries the footer's '11 July 2022' (the first day)
    assert report.published_date is None or report.published_date != report.start_date
    assert (
        find_published(
            "Inspection of X\n11 July 2022\nInspection date: 11 \u2013 22 July 2022", "11 July 2022\n11 July 2022 2\n"
        )
        is None
    )
    assert find_published("Report published: 8 August 2014") == "2014-08-08"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Lead inspector: M\u00e1ire Atherton HMI", "M\u00e1ire Atherton"),
        ("Lead inspector: Fiona J Millns, Her Majesty\u2019s Inspector", "Fiona J Millns"),
        ("Lead inspector: Fiona J. Millns HMI", "Fiona J. Millns"),
        ("Lead inspectors: Linda Steele and Tracey Scott", "Linda Steele and Tracey Scott"),
        (
            "Lead inspectors: Rebecca Quested, His Majesty\u2019s Inspector, and Matthew Reed, \nHis Majesty\u2019s Inspector",
            "Rebecca Quested and Matthew Reed",
        ),
        ("Lead inspector: Wendy Ghaffar HMI\nAge group: All", "Wendy Ghaffar"),
        ("Deputy lead inspector: Jo Bloggs\nLead inspector: Peter McEntee", "Peter McEntee"),
    ],
)
def test_lead_inspector_accents_initials_and_plural_label(text, expected):
    assert find_lead_inspector(text) == expected


@pytest.mark.parametrize(
    "head,expected",
    [
        # the four-judgement table makes a full inspection, whatever the opening pages recall
        (
            "Plymouth City Council\nInspection of children\u2019s social care services\nInspection dates: 29 October 2018 to 9 November 2018\n"
            "Judgement Grade\nThe impact of leaders on social work practice with children and families Good\n"
            "Since the single inspection framework (SIF) inspection in 2014 and the focused visit in 2018, senior leaders ...",
            ("ILACS standard", "ILACS"),
        ),
        (
            "Inspection of Bradford Children and Families Trust\nInspection dates: 11 to 22 May 2026\n"
            "The impact of leaders on social work practice with children and families Good",
            ("ILACS standard", "ILACS 2026"),
        ),
        (
            "Inspection of Kent local authority children\u2019s services\nInspection dates: 9 to 20 May 2022\n"
            "Since the joint targeted area inspection of 2021, leaders have ...",
            ("ILACS standard", "ILACS"),
        ),
        (
            "Dear Ms Smith\nFocused visit to Kent children\u2019s services\nThis letter summarises the findings of a focused visit",
            ("focused visit", "ILACS"),
        ),
        (
            "Dear Ms Smith\nFocused visit to Kent children\u2019s services\nInspectors looked at the impact of leaders on "
            "social work practice\nwith children in care, which is good",
            ("focused visit", "ILACS"),
        ),
    ],
)
def test_type_from_title_and_structure_never_from_earlier_visits(head, expected):
    start, end = find_dates(head)
    assert find_type(head, head, start, end) == expected


@pytest.mark.parametrize(
    "text,grade",
    [
        ("Children\u2019s services in Manchester require improvement to be good", "requires improvement"),
        ("The overall judgement is that children\u2019s services require improvement", "requires improvement"),
        ("The overall judgement is that children\u2019s service requires improvement.", "requires improvement"),
        ("The overall judgement is that children\u2019s services are inadequate.", "inadequate"),
        ("Overall effectiveness Grade 4 (Inadequate)", "inadequate"),
        ("Overall effectiveness: Grade 3 (Requires improvement)", "requires improvement"),
    ],
)
def test_sif_overall_grade_wordings(text, grade):
    judgement = _judgement(text)
    assert judgement is not None and (judgement.area, judgement.grade) == ("Overall effectiveness", grade)


def test_sif_overall_grade_wrapped_over_two_lines_is_read():
    report = parse("2760436.pdf")  # "...children's services require ⏎ improvement"
    assert ("Overall effectiveness", "requires improvement") in {(j.area, j.grade) for j in report.judgements}
    report = parse("50004279.pdf")  # "...children's service requires ⏎ improvement."
    assert ("Overall effectiveness", "requires improvement") in {(j.area, j.grade) for j in report.judgements}


def test_running_header_on_page_one_is_not_the_authority_or_published_date():
    report = parse("50192198.pdf")
    assert (report.authority_name, report.published_date) == ("nottingham", None)


QUIRKS = Path(__file__).parent / "data" / "quirks"


def parse_quirk(name: str):
    """A small text in a PDF's shape (pages split by form feeds) that has one defect's shape."""
    pages = (QUIRKS / name).read_text(encoding="utf-8").split("\f")
    return parse_pages(pages, "pdf", find_authority)


def improvements(report) -> list[str]:
    return [f.text for f in report.findings if f.kind == "improvement" and f.about == "authority"]


def test_sif_topic_subheadings_inside_the_list_keep_it_open():
    report = parse_quirk("sif_topic_subheadings_inside_the_list.txt")
    texts = improvements(report)
    assert [t.split()[0] for t in texts] == [
        "Ensure",
        "Reduce",
        "Improve",
        "Ensure",
        "Strengthen",
        "Improve",
        "Increase",
    ]
    assert texts[5] == "Improve the use of performance information by senior leaders."  # no topic heading glued on
    strengths = [f.text for f in report.findings if f.kind == "strength"]
    assert len(strengths) == 2
    # the body's own "Leadership, management and governance" section, graded, is not a topic
    assert not any(f.kind == "improvement" and f.paragraph == 10 for f in report.findings)


def test_sif_list_heading_glued_to_the_previous_line():
    report = parse_quirk("sif_list_heading_glued_to_previous_line.txt")
    texts = improvements(report)
    assert len(texts) == 5
    assert texts[0].startswith("Ensure that all children in need plans")
    assert texts[3].startswith("Improve the recording of management decisions")
    assert not any("Recommendations" in f.text or "What needs to improve" in f.text for f in report.findings)


def test_sif_no_areas_for_priority_action_is_not_an_improvement():
    report = parse_quirk("sif_no_priority_actions_is_not_an_improvement.txt")
    texts = improvements(report)
    assert texts == [
        "Evaluate with partners the extent to which early help reduces the need for statutory services.",
        "Ensure that chronologies are of sufficient quality to inform assessments.",
    ]
    assert [f.kind for f in report.findings if f.paragraph == 12] == ["strength"]


def test_sif_heading_stuck_on_the_last_item_is_cut():
    report = parse_quirk("sif_heading_stuck_on_the_last_item.txt")
    assert improvements(report)[-1] == "Improve the quality and timeliness of life-story work"
    assert len(improvements(report)) == 3
    grades = {(j.area, j.grade) for j in report.judgements}
    assert ("The experiences and progress of children who need help and protection", "good") in grades


def test_sif_grade_stuck_on_the_last_item_is_cut():
    report = parse_quirk("sif_grade_stuck_on_the_last_item.txt")
    texts = improvements(report)
    assert texts[-1] == "Improve the quality of supervision so that it challenges practice."
    assert len(texts) == 3


def test_sif_subpoints_stay_in_their_item():
    texts = improvements(parse_quirk("sif_subpoints_stay_in_their_item.txt"))
    assert len(texts) == 2
    assert "sufficiency of accommodation" in texts[0] and "stability of placements for adolescents" in texts[0]


def test_sif_item_numbers_glued_to_their_text_are_removed_and_split():
    report = parse_quirk("sif_item_numbers_glued_to_their_text.txt")
    texts = improvements(report)
    assert texts[0] == "Ensure that the front door responds promptly to contacts and referrals."
    assert [f.paragraph for f in report.findings if f.kind == "improvement"] == [9, 10, 11]
    body = {f.paragraph: f.text for f in report.findings if f.paragraph in (15, 16)}
    assert body == {
        15: "Thresholds are understood and applied.",
        16: "When children are referred, decisions are made promptly. Managers check this.",
    }


def test_sif_lscb_contents_entry_and_back_matter():
    report = parse_quirk("sif_lscb_section_and_back_matter.txt")
    # the contents page's LSCB entry does not make the authority's list the board's
    assert len(improvements(report)) == 2
    lscb = [f for f in report.findings if f.about == "LSCB"]
    assert [f.text for f in lscb if f.section == "Recommendations"] == [
        "Review partners\u2019 contribution to the board to ensure that it is resourced.",
        "Improve the coordination of work with other strategic bodies.",
    ]
    # the board's list is read as its improvements, kept apart from the authority's
    assert [f.kind for f in lscb if f.section == "Recommendations"] == ["improvement", "improvement"]
    assert [f.kind for f in lscb if f.section != "Recommendations"] == ["finding"] * (len(lscb) - 2)
    # the method of the inspection, the complaints note and the grade descriptors are no findings
    texts = " ".join(f.text for f in report.findings)
    for back_matter in ("Inspectors have looked closely", "Any complaints", "Widespread or serious failures"):
        assert back_matter not in texts


# --- The reading rules one by one, on blocks built by hand.
from ingest.layout import Block  # noqa: E402
from ingest.parse import (  # noqa: E402
    NOTHING_TO_IMPROVE,
    ContentsEntry,
    LSCBVerdict,
    Reading,
    Skipped,
    TopicSubheading,
    classify_blocks,
)

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette


def _block(text: str, marker: str = "para", number: int | None = None, page: int = 4) -> Block:
    return Block(text, page, marker, number, [text])


def test_rule_topic_subheading_needs_the_lists_next_item_after_it():
    blocks = [
        _block("Areas for improvement", "heading"),
        _block("Ensure that plans are clear.", "number", 3),
        _block("Outcomes for care leavers", "heading"),
        _block("Improve pathway plans.", "number", 4),
        _block("Leadership, management and governance", "heading"),
        _block("Summary", "heading"),
        _block("Leaders know the service well.", "number", 5),
    ]
    findings, _, _ = classify_blocks(blocks, "report")
    assert [(f.paragraph, f.kind) for f in findings] == [(3, "improvement"), (4, "improvement"), (5, "finding")]
    reading = Reading(kind="report", blocks=blocks, list_kind="improvement", last_item_number=4)
    assert not TopicSubheading(reading).test(blocks[4], 4)  # followed by a heading: the body begins
    reading.last_item_number = 3
    assert TopicSubheading(reading).test(blocks[2], 2)


def test_rule_topic_subheading_never_keeps_a_list_past_a_graded_heading():
    blocks = [
        _block("Recommendations", "heading"),
        _block("Ensure that plans are clear.", "number", 1),
        _block("Leadership, management and governance Requires improvement", "heading"),
        _block("Leaders should improve oversight.", "number", 2),
    ]
    findings, _, _ = classify_blocks(blocks, "report")
    assert [f.kind for f in findings] == ["improvement", "finding"]


@pytest.mark.parametrize(
    "text",
    [
        "The inspection did not find any areas for priority and immediate action",
        "There are no areas for priority and immediate action.",
        "There are no priority or immediate actions.",
        "No areas for priority action were identified.",
    ],
)
def test_rule_nothing_to_improve_is_recognised(text):
    assert NOTHING_TO_IMPROVE.match(text)
    assert not NOTHING_TO_IMPROVE.match("Ensure that there are no delays in areas for improvement.")


def test_rule_contents_entry_wrapped_without_a_page_number():
    blocks = [
        _block("Contents", "heading", page=3),
        _block("The Local Safeguarding Children Board (LSCB)", "heading", page=3),
        _block("The effectiveness of the Local Safeguarding Children Board 30", "heading", page=3),
        _block("Recommendations", "heading", page=4),
    ]
    reading = Reading(kind="report", blocks=blocks, in_contents=True)
    entry = ContentsEntry(reading)
    assert entry.run(blocks[1], 1) is True and entry.run(blocks[2], 2) is True and reading.in_contents
    # The first heading that is no entry ends the contents, and the rule declines it for the next rules.
    assert entry.test(blocks[3], 3) and reading.in_contents  # a test changes nothing
    assert entry.run(blocks[3], 3) is False and not reading.in_contents


def test_rule_lscb_verdict_starts_the_boards_part_only_past_the_first_pages():
    verdict = _block("The Local Safeguarding Children Board (LSCB) is good.", page=29)
    assert LSCBVerdict(Reading(kind="report", blocks=[verdict])).test(verdict, 0)
    for start in (
        "The Stockport Safeguarding Children Board is good",
        "Review of the Local Safeguarding Children Board",
    ):
        assert LSCBVerdict(Reading(kind="report", blocks=[])).test(_block(start, page=29), 0)
    for sentence in ("The Local Safeguarding Children Board (LSCB) is independently chaired.", "Work with the LSCB"):
        assert not LSCBVerdict(Reading(kind="report", blocks=[])).test(_block(sentence, page=29), 0)
    on_first_page = _block("The Local Safeguarding Children Board (LSCB) is good.", page=1)
    assert not LSCBVerdict(Reading(kind="report", blocks=[on_first_page])).test(on_first_page, 0)


def test_rule_the_method_of_the_inspection_is_skipped():
    blocks = [
        _block("Information about this inspection", "heading"),
        _block("Inspectors have looked closely at the experiences of children and young people."),
        _block("Information about this local authority area", "heading"),
        _block("Approximately 274,135 children and young people live in Birmingham."),
    ]
    findings, _, _ = classify_blocks(blocks, "report")
    assert [f.text for f in findings] == ["Approximately 274,135 children and young people live in Birmingham."]
    assert Skipped(Reading(kind="report", blocks=blocks, in_method=True)).test(blocks[1], 1)


def test_a_sif_judgement_heading_over_its_grade_starts_its_section():
    """Quirk: in the body of a SIF report each judged area's name stands over its grade ("The experiences and
    progress of children who need help and protection" / "Requires improvement to be good"). The lone grade
    line read like a row of the judgements table, which put the section back to the one before (67 findings of
    Manchester 2017 were "Summary for children and young people"), and a lone "Good" heading became a section."""
    report = parse("50004408.pdf")  # Manchester's 2017 SIF inspection
    sections = {f.section for f in report.findings}
    assert "Good" not in sections and "Requires improvement to be good" not in sections
    on_page = {f.page: f.section for f in report.findings}
    assert on_page[10] == "The experiences and progress of children who need help and protection"
    assert on_page[24] == "Leadership, management and governance"
    summary = [f for f in report.findings if f.section == "Summary for children and young people"]
    assert summary and all(f.page == 9 for f in summary)
    # The judgements table on the first pages is still read as a table: six areas, each once.
    assert len(report.judgements) == 6


# --- Shapes found by reading the whole public archive (issue 22), each on text written for the test.


def test_list_items_that_start_with_no_known_verb_stay_in_the_list():
    """'Integrate ...', 'The adoption panel chair to report ...', 'Enhance', 'Publish': a list is a
    heading and the numbers that follow it, whatever verb an item starts with; topic headings
    ('Child protection', 'Adoption') inside it do not close it, the summary heading does."""
    report = parse_quirk("sif_items_that_start_with_no_known_verb.txt")
    assert [t.split()[0] for t in improvements(report)] == ["Integrate", "The", "Enhance", "Publish"]
    assert not any("Most of you" in t for t in improvements(report))


def test_numbered_theme_titles_with_bullets_under_each():
    """'1. Quality and effectiveness of practice' then bullets, '2. ...' then more: each bullet is an
    item, the titles are not, and the next number does not end the list."""
    report = parse_quirk("sif_numbered_theme_titles_with_bullets.txt")
    assert [t.split()[0] for t in improvements(report)] == ["Develop", "Ensure", "Prioritise", "Revise"]


def test_an_item_that_ends_in_a_grade_word_is_not_a_grade_row():
    report = parse_quirk("sif_item_ending_in_a_grade_word.txt")
    assert improvements(report) == [
        "Ensure that supervision is regular so that practice is consistently good.",
        "Improve access to CAMHS for children in need of help and protection.",
    ]


def test_lscb_section_heading_wrapped_over_two_lines_starts_the_boards_part():
    """'Section 2: The effectiveness of the Local Safeguarding' / 'Children Board' / 'The
    effectiveness of the LSCB requires improvement': the board's list is the board's."""
    report = parse_quirk("sif_lscb_heading_wrapped_over_two_lines.txt")
    assert [t.split()[0] for t in improvements(report)] == ["Ensure", "Improve"]
    board = [f for f in report.findings if f.about == "LSCB" and f.kind == "improvement"]
    assert [f.paragraph for f in board] == [111, 112]
    assert all(f.about == "LSCB" for f in report.findings if f.paragraph == 113)


def test_footnote_digit_on_the_list_heading_and_the_2025_26_format():
    """'What needs to improve?1' opens the list; items end '(outcome 2, national framework)' or
    '[outcome four, national framework]'; care leavers have their own judgement; no overall row."""
    report = parse_quirk("ilacs_2026_footnote_on_the_list_heading.txt")
    items = [f for f in report.findings if f.kind == "improvement"]
    assert len(items) == 3
    assert [f.national_framework for f in items][1:] == [["Outcome 2"], ["Outcome 4"]]
    assert report.framework == "ILACS 2026"
    areas = {j.area.lower(): j.grade for j in report.judgements}
    assert areas["the experiences and progress of care leavers"] == "outstanding"
    assert not any(area.startswith("overall") for area in areas)


def test_trust_report_with_its_title_as_running_header_and_a_wrapped_row_is_an_ilacs_inspection():
    """The title repeats on every page (so it is stripped as a running header) and the first row
    of the judgements table wraps after 'social work': still a full ILACS inspection, of the
    authority the trust serves."""
    report = parse_quirk("ilacs_trust_title_as_running_header_and_wrapped_row.txt")
    assert (report.inspection_type, report.framework) == ("ILACS standard", "ILACS")
    assert report.authority_name == "bradford"
    assert improvements(report) == ["The timeliness and effectiveness of permanence planning."]


def test_sif_overall_grade_worded_as_a_wrapped_headline():
    report = parse_quirk("sif_overall_grade_in_a_wrapped_headline.txt")
    overall = [j.grade for j in report.judgements if j.area == "Overall effectiveness"]
    assert overall == ["good"]


@pytest.mark.parametrize(
    "head,grade",
    [
        (
            "The overall judgement is that children\u2019s services require \nimprovement.2\nThe authority",
            "requires improvement",
        ),
        ("Children\u2019s services require improvement to be good \n1. Children who need", "requires improvement"),
    ],
)
def test_sif_overall_grade_headline_shapes(head, grade):
    title = "Luton Borough Council\nInspection of services for children in need of help and protection, children looked after and care leavers\n"
    pages = [
        title + "Inspection date: 11 January 2016\u20134 February 2016\n" + head,
        "Areas for improvement\n1. Ensure plans are clear.",
    ]
    report = parse_pages(pages, "pdf", find_authority)
    assert [j.grade for j in report.judgements if j.area == "Overall effectiveness"] == [grade]


def test_date_range_across_months_with_a_short_month_name():
    """'18 Feb 2014 \u2013 12 March 2014' was read as a 2013 start (the bare 18 took March)."""
    assert find_dates("Inspection dates: 18 Feb 2014 \u2013 12 March 2014\nReport published") == (
        "2014-02-18",
        "2014-03-12",
    )
    assert find_dates("Inspection dates: 30 Sept. 2019 to 4 Oct 2019") == ("2019-09-30", "2019-10-04")


def test_lscb_review_published_on_its_own_is_named_as_such():
    """Surrey 2015: 'Review of the effectiveness of the Local Safeguarding Children Board' alone,
    no inspection of the authority; the ingester refuses it by that name."""
    head = (
        "Surrey Safeguarding Children Board\nReview of the effectiveness of the Local Safeguarding Children\n"
        "Board\nInspection date: 15 June 2015 \u2013 17 June 2015\nReport published: 3 August 2015\n"
    )
    assert find_type(head, head, "2015-06-15", "2015-06-17") == ("LSCB review", None)
    joint = (
        "Blackpool Borough Council\nInspection of services for children in need of help and\nprotection, children looked after and care leavers\nand\n"
        + head
    )
    assert find_type(joint, joint, "2015-06-15", "2015-06-17") == ("SIF", "SIF")


def test_lscb_review_appended_after_the_authoritys_report_is_read_as_the_boards():
    """Hull 2015: after the authority's report and Ofsted's back matter, the LSCB's own report."""
    pages = [
        "Kingston upon Hull\nInspection of services for children in need of help and\nprotection, children looked after and care leavers\n"
        "Inspection date: 18 November \u2013 10 December 2014\nReport published: 3 February 2015\n",
        "Areas for improvement\n1. Ensure that assessments are completed on time.\n"
        "Summary for children and young people\n2. Most of you get the help you need.\n"
        "The Office for Standards in Education, Children's Services and Skills (Ofsted)\n"
        "regulates and inspects.\n",
        "Kingston upon Hull Safeguarding Children Board\nThe Local Safeguarding Children Board requires improvement\n"
        "What does the LSCB need to improve?\n1. Ensure that the LSCB annual report assesses the effectiveness of safeguarding.\n",
    ]
    report = parse_pages(pages, "pdf", find_authority)
    assert improvements(report) == ["Ensure that assessments are completed on time."]
    board = [f.text for f in report.findings if f.about == "LSCB" and f.kind == "improvement"]
    assert board == ["Ensure that the LSCB annual report assesses the effectiveness of safeguarding."]


def test_the_running_header_of_an_appended_lscb_review_is_removed():
    """Quirk (Hull 2015): the LSCB's review appended after the authority's report has a running header
    of its own on each of its pages ("Inspection of the effectiveness of the local safeguarding children
    board: Hull 3", the page number after it on odd pages, before it on even ones). On 14 of 50 pages it
    was under the share that makes a line a running header, so it was glued to the headings below it:
    the list heading was not seen and "Summary for children and young people" did not close the list,
    whose 7 items became 15 (the children's summary read as the board's improvements)."""
    authority = [
        f"{n}\nInspectors found that the local authority knows its services well and acts on what it finds.\n"
        "Managers check the quality of the work that social workers do with children each month.\n"
        for n in range(2, 8)
    ]
    review_title = "Inspection of the effectiveness of the local safeguarding children board: Hull"

    def review_page(n: int, body: str) -> str:
        header = f"{review_title} {n}" if n % 2 else f"{n} {review_title}"
        return f"{header}\n{body}"

    pages = [
        "Kingston upon Hull\nInspection of services for children in need of help and\nprotection, children looked after and care leavers\n"
        "Inspection date: 18 November \u2013 10 December 2014\nReport published: 3 February 2015\n",
        *authority,
        "Areas for improvement\n1. Ensure that assessments are completed on time.\n"
        "The Office for Standards in Education, Children's Services and Skills (Ofsted)\nregulates and inspects.\n",
        review_page(
            1,
            "Kingston upon Hull Safeguarding Children Board\nThe Local Safeguarding Children Board requires improvement\n",
        ),
        review_page(
            2, "Summary of findings\nThe board has not routinely used the views of children to inform its work.\n"
        ),
        review_page(
            3,
            "What does the LSCB need to improve?\nAreas for improvement\n"
            "\u2022 Ensure that the LSCB annual report assesses the effectiveness of safeguarding.\n"
            "\u2022 Ensure that learning from serious case reviews is disseminated to front-line staff.\n",
        ),
        review_page(
            4,
            "Summary for children and young people\n"
            "\u2022 Inspectors found that the LSCB in Hull needs to improve, although some of its work is good.\n"
            "\u2022 The LSCB provides a lot of training for staff and this has helped to improve services.\n",
        ),
        review_page(5, "Inspection judgement about the LSCB\nThe chair holds partners to account for their work.\n"),
    ]
    report = parse_pages(pages, "pdf", find_authority)
    board = [f for f in report.findings if f.about == "LSCB" and f.kind == "improvement"]
    assert [f.text for f in board] == [
        "Ensure that the LSCB annual report assesses the effectiveness of safeguarding.",
        "Ensure that learning from serious case reviews is disseminated to front-line staff.",
    ]
    assert {f.section for f in board} == {"What does the LSCB need to improve"}
    assert not any(review_title.lower() in f.text.lower() for f in report.findings)


def test_capitalised_bullets_under_a_numbered_item_ending_with_a_colon_are_its_points():
    """West Berkshire 2015: '1. Implement the following areas for improvement from the previous
    inspection:' then three capitalised bullets, then '2. ...': one item of three points, and
    the list goes on (the bullets do not make the next number the report's body)."""
    blocks = [
        _block("What does the local authority need to improve?", "heading"),
        _block("Implement the following areas for improvement from the previous inspection:", "number", 1),
        _block("Legal advice is sought when necessary.", "bullet"),
        _block("Management oversight is reflective and challenging.", "bullet"),
        _block("Quality of practice", "heading"),
        _block("Prevent unnecessary drift and delay in all stages of social work intervention.", "number", 2),
        _block("Summary for children and young people", "heading"),
        _block("Most of you get the help you need when you need it.", "number", 3),
    ]
    findings, _, _ = classify_blocks(blocks, "report")
    assert [(f.paragraph, f.kind) for f in findings] == [(1, "improvement"), (2, "improvement"), (3, "finding")]
    assert findings[0].text.endswith(
        "previous inspection: Legal advice is sought when necessary. Management "
        "oversight is reflective and challenging."
    )


def test_a_long_numbered_theme_title_is_still_a_title():
    """Slough 2016: '3. Children who go missing or who are at risk of child sexual exploitation'."""
    blocks = [
        _block("Recommendations", "heading"),
        _block("Quality and effectiveness of practice", "number", 1),
        _block("Ensure that plans are clear.", "bullet"),
        _block("Children who go missing or who are at risk of child sexual exploitation", "number", 2),
        _block("Offer every child a return home interview.", "bullet"),
    ]
    findings, _, _ = classify_blocks(blocks, "report")
    assert [(f.text, f.kind) for f in findings] == [
        ("Ensure that plans are clear.", "improvement"),
        ("Offer every child a return home interview.", "improvement"),
    ]


def test_an_introductory_sentence_under_recommendations_is_not_an_item():
    """Sunderland 2015: 'The following recommendations are those that inspectors considered to be
    the priorities ...' stands between the heading and item 1."""
    blocks = [
        _block("Recommendations", "heading"),
        _block(
            "The following recommendations are those that inspectors considered to be the priorities for "
            "Sunderland. They do not address all of the detailed failings identified in this inspection."
        ),
        _block("Take urgent action to review the cases of all children without a social worker.", "number", 1),
        _block("Increase the capacity of the MASH to meet the demand for service.", "number", 2),
    ]
    findings, _, _ = classify_blocks(blocks, "report")
    assert [f.kind for f in findings] == ["finding", "improvement", "improvement"]
