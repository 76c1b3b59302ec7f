"""Turn a report's pages into its metadata, judgements and findings.

Everything here is read from the document's content, never from its file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from datasette_ofsted.classify import NATIONAL_FRAMEWORK_TAG
from datasette_ofsted.findings import CHILDRENS_SUMMARY
from datasette_ofsted.text import normalise

from .layout import KNOWN_HEADINGS, Block, build_blocks, ends_with_grade, pdf_lines, repair_broken_words, text_lines

MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november december".split(), 1
    )
}
# A month's name, whole or cut short as some reports print it ("18 Feb 2014 \u2013 12 March 2014").
_MONTH = (
    r"(january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?"
)
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_RANGE = re.compile(
    rf"{_DAY}\s*(?:{_MONTH}\s*(\d{{4}})?)?\s*(?:-|\u2013|\u2014|to|and|until)\s*{_DAY}\s+{_MONTH},?\s+(\d{{4}})", re.I
)
_SINGLE = re.compile(rf"{_DAY}\s+{_MONTH},?\s+(\d{{4}})", re.I)

_GRADE = r"(outstanding|good|requires improvement(?: to be good)?|adequate|inadequate)"
_JUDGEMENT_ROW = re.compile(
    rf"^(?:\d(?:\.\d)?\.?\s+)?(?P<area>[A-Z][^.]{{2,140}}?)\s+(?:grade \d\s*\(\s*)?(?P<grade>{_GRADE})\s*\)?\.?$", re.I
)
# The overall grade of a SIF or ILACS report, as a sentence or a row: "Children's services in
# Manchester require improvement to be good", "The overall judgement is that children's
# service requires improvement", "Overall effectiveness Grade 4 (Inadequate)".
_OVERALL_SENTENCE = re.compile(
    rf"^(?:children['\u2019]?s services in .+? (?:are|is|requires?)|"
    rf"the overall judgement is(?: that)?(?: (?:the )?children['\u2019]?s (?:social care )?services? (?:are|is|requires?))?|"
    rf"overall (?:judgement|effectiveness)(?: is)?:?)\s+(?:grade \d\s*\(\s*)?(?P<grade>{_GRADE}|improvement(?: to be good)?)\s*\)?\.?$",
    re.I,
)
# The same sentence in a SIF report's opening, wrapped over lines and with a footnote digit
# on its end ("... require\nimprovement.2"): read from the first page when no row gave the grade.
_OVERALL_HEADLINE = re.compile(
    r"(?:children['\u2019]?s services in [^.:]{1,80}?|the overall judgement is that children['\u2019]?s services|"
    r"children['\u2019]?s services)\s+(?:are|is|requires?)\s+"
    r"(?P<grade>(?:requires?\s+)?improvement(?:\s+to\s+be\s+good)?|good|outstanding|inadequate)\b",
    re.I,
)
# The headline stands on the first page, within its opening lines.
_HEADLINE_SPAN = 1500
_GRADE_ONLY = re.compile(rf"^{_GRADE}\.?$", re.I)
_GRADE_SCALE = re.compile(rf"^{_GRADE}\s*(?:\(grade \d\)\s*)?(?:a service|\(grade)", re.I)

IMPROVEMENT_HEADING = re.compile(
    r"^(?:what needs to improve|areas? for (?:improvement|development|priority action)|recommendations?|"
    r"what does the (?:local authority|lscb|board) need to improve|priority actions?)\b",
    re.I,
)
STRENGTH_HEADING = re.compile(
    r"^(?:(?:key |main |areas of )?strengths?|the (?:local authority|lscb)['\u2019]s strengths)\s*$", re.I
)
IMPROVEMENT_LEAD_IN = re.compile(
    r"needed improving|need(?:s|ed)? (?:to )?improv|areas? for (?:development|improvement|priority action)|"
    r"recommendations?|should take the following action",
    re.I,
)
STRENGTH_LEAD_IN = re.compile(r"strengths|in particular|adequate or good|satisfactorily|done well|working well", re.I)
PRIORITY = re.compile(r"^(priority and immediate action|areas for improvement|immediate action)\s*:?$", re.I)
TIMESCALE = re.compile(
    r"^(immediately|within (?:one|two|three|four|six|nine|twelve|\d+) (?:weeks?|months?))\s*:?$", re.I
)
LSCB_HEADING = re.compile(r"local safeguarding children board|\blscb\b|safeguarding children board", re.I)
_BOILERPLATE = re.compile(
    r"^(?:ofsted will take the findings|yours sincerely|©|crown copyright|this document may be reproduced|"
    r"further copies of this report|website\s*:|age group|the full inspection report was published|"
    r"if you would like to look at the full inspection report|if you would like a copy of this document|"
    r"you may reuse this information|this report is available at|interested in our work|copy\s*:|"
    r"(?:t|tel|textphone)\s*:?\s*0\d|e\s*:\s*enquiries|w\s*:\s*www|dear\s|her majesty|his majesty|judgement grade|"
    r"the office for standards in education)",
    re.I,
)
_TERMINAL_PUNCT = re.compile(r"[.!?;,]$")
_TITLE = re.compile(
    r"^(?:re-?inspection of|inspection of|review of|focused visit|monitoring visit|assurance visit|joint targeted)",
    re.I,
)
_BACK_MATTER = re.compile(r"^the office for standards in education, children.s services and skills \(ofsted\)", re.I)
_DATE_ONLY = re.compile(rf"^{_DAY}\s+{_MONTH}\s+\d{{4}}$", re.I)
# A person's name: capitalised words, accented letters ("M\u00e1ire") and middle initials
# ("Fiona J Millns") included; an initial must stand alone, so "HMI" is not one.
_NAME_WORD = r"[A-Z\u00c0-\u00de][A-Za-z\u00c0-\u024f'\u2019\-]+"
_NAME = rf"({_NAME_WORD}(?:[ \t]+(?:[A-Z]\.?(?=[ \t])|{_NAME_WORD})){{1,3}})"
_NF_PART = re.compile(r"(outcome|enabler|principle)s?\s*(\d|one|two|three|four|five|six|seven)", re.I)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


@dataclass
class Finding:
    text: str
    kind: str  # improvement, strength, finding
    section: str
    ordinal: int
    page: int
    paragraph: int | None = None
    timescale: str | None = None
    about: str = "authority"  # or "LSCB": its recommendations are not the authority's
    national_framework: list[str] = field(default_factory=list)
    polarity: str = "neutral"
    themes: list[str] = field(default_factory=list)
    sentences: list[dict] = field(default_factory=list)


@dataclass
class Judgement:
    area: str
    grade: str
    about: str = "authority"


@dataclass
class ParsedReport:
    authority_name: str | None
    inspection_type: str | None
    framework: str | None
    start_date: str | None
    end_date: str | None
    published_date: str | None
    lead_inspector: str | None
    kind: str  # report, letter, or CHILDRENS_SUMMARY
    title: str
    judgements: list[Judgement]
    findings: list[Finding]
    pages: int | None


def _month_name(month: str) -> str:
    """The month's whole name, from its name or its short form ('Feb', 'Sept.')."""
    short = month.lower().rstrip(".")[:3]
    return next(name for name in MONTHS if name.startswith(short))


def _iso(day: str, month: str, year: str) -> str | None:
    try:
        return date(int(year), MONTHS[_month_name(month)], int(day)).isoformat()
    except (ValueError, KeyError):
        return None


# Dashes between the days of a range: hyphen, en and em dash, minus, and the box-drawing
# line some reports print ("20 June 2017 \u2500 13 July 2017").
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2500\u2501]")
# A day, perhaps with its month and year ("9", "9 November", "9 November 2017"), or a
# numeric date ("12/09/2016"). A bare day takes the month and year of the next full date.
_DATE_PART = re.compile(
    rf"(?<![\d/])(\d{{1,2}})/(\d{{1,2}})/(\d{{4}}|\d{{2}})(?![\d/])|\b{_DAY}\b(?:\s+{_MONTH})?(?:,?\s+(\d{{4}}))?", re.I
)
_NUMBER_MONTHS = {i: m for m, i in MONTHS.items()}
# The label of a report's dates, and what ends the dates it labels.
_DATES_LABEL = re.compile(r"inspection dates?\s*:?|dates? of (?:the )?inspection\s*:?", re.I)
_AFTER_DATES = re.compile(
    r"report published|published|lead inspector|inspectors?\b|judgement|the overall|children", re.I
)
# How far after its label a report's dates can run: a split visit names four days and
# two months ("3 to 5 March and 17 to 19 March 2015") in well under this.
_DATES_SPAN = 160


def dates_in(span: str) -> list[str]:
    """Every day named in a span of text, in order, as ISO dates.

    A bare day takes its month and year from the next date that has them ("9\u201324
    November 2017"); a day that would then fall after the next one belongs to the year
    before ("28 December to 3 January 2020").
    """
    span = _DASHES.sub("-", span)
    parts: list[list] = []  # [day, month, year, year_given]
    for match in _DATE_PART.finditer(span):
        if match.group(1):
            day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
            year += 2000 if year < 100 else 0
            parts.append([day, _NUMBER_MONTHS.get(month), year, True])
        else:
            parts.append(
                [
                    int(match.group(4)),
                    match.group(5),
                    int(match.group(6)) if match.group(6) else None,
                    bool(match.group(6)),
                ]
            )
    # "12 to 14 March 2016": a day without its month or year takes those of the date after it.
    later_month, later_year = None, None
    for part in reversed(parts):
        if part[1] is None:
            part[1] = later_month
        later_month = part[1]
        if part[2] is None:
            part[2] = later_year
        later_year = part[2]
    found: list[tuple[str, bool]] = []  # (ISO date, was its year printed with it)
    for day, month_name, year_number, given in parts:
        iso = _iso(str(day), month_name, str(year_number)) if month_name and year_number else None
        if iso:
            found.append((iso, given))
    days = [iso for iso, _ in found]
    for i in range(len(days) - 1):  # a year carried back over a new year: "28 December to 3 January 2020"
        if days[i] > days[i + 1] and not found[i][1]:
            days[i] = str(int(days[i][:4]) - 1) + days[i][4:]
    return days


def _labelled_dates(head: str) -> str | None:
    """The text that follows a report's dates label, across line breaks, up to what comes next."""
    label = _DATES_LABEL.search(head)
    if not label:
        return None
    span = " ".join(head[label.end() : label.end() + _DATES_SPAN].split())
    after = _AFTER_DATES.search(span)
    return span[: after.start()] if after else span


def find_dates(head: str) -> tuple[str | None, str | None]:
    """The inspection's first and last day, from the dates line or the letter's first sentences.

    Of a visit split in parts, the first day is the start and the last day the end.
    """
    labelled = _labelled_dates(head)
    if labelled:
        days = dates_in(labelled)
        if days:
            return min(days), max(days)
    candidates = []
    visit = re.search(r"\b(?:on|dates? of|between)\s+(\d{1,2}(?:st|nd|rd|th)?\s.{0,60})", head, re.I)
    if visit:
        candidates.append(_DASHES.sub("-", visit.group(1)))
    candidates.append(_DASHES.sub("-", head))
    for text in candidates:
        match = _RANGE.search(text)
        if match:
            days = dates_in(match.group(0))
            if len(days) >= 2:
                return min(days), max(days)
    for text in candidates[:-1]:
        match = _SINGLE.search(text)
        if match:
            day = _iso(*match.groups())
            return day, day
    return None, None


def find_published(head: str, full: str = "") -> str | None:
    """The date the report was published as it prints it: 'Report published: ...', else a
    letter's own date. A date that starts lines on several pages is a running header (the
    inspection's first day, on ILACS reports), never the publication date."""
    match = re.search(rf"published\s*(?:on)?\s*:?\s*{_DAY}\s+{_MONTH}\s+(\d{{4}})", head, re.I)
    if match:
        return _iso(*match.groups())
    for line in head.split("\n")[:30]:  # a letter's own date
        line = line.strip()
        single = _SINGLE.match(line)
        if single and _DATE_ONLY.match(line) and len(re.findall(rf"(?m)^{re.escape(line)}\b", full or head)) < 2:
            return _iso(*single.groups())
    return None


# An inspector's title after the name: "Rebecca Quested, His Majesty's Inspector", "Jo Bloggs HMI".
_INSPECTOR_TITLE = re.compile(r"(?:,\s*)?\b(?:(?:his|her) majesty[\u2019']?s inspector|s?hmi)\b,?", re.I)
# Two lead inspectors: "Lead inspectors: Linda Steele and Tracey Scott", each perhaps with a title.
_LEAD_PAIR = re.compile(rf"(?<![Dd]eputy )(?i:lead inspectors)\s*:?\s*{_NAME}(?:,)?\s+(?i:and)\s+{_NAME}")


def find_lead_inspector(text: str) -> str | None:
    """The lead inspector: labelled in reports, the first inspector named in letters, else the
    signatory. Two lead inspectors ("Lead inspectors: A and B") are both kept."""
    pair = _LEAD_PAIR.search(_INSPECTOR_TITLE.sub("", text[:_LEAD_PAIR_SPAN]))
    if pair:
        return f"{pair.group(1)} and {pair.group(2)}"
    patterns = [
        rf"(?<![Dd]eputy )(?i:lead inspectors?)\s*:?\s*{_NAME}",
        rf"(?i:reporting inspector)\s*:?\s*{_NAME}",
        rf"carried out by\s+{_NAME}",
        rf"(?i:the inspectors were)\s+{_NAME}",
        rf"(?i:yours sincerely)\s+{_NAME}",
    ]
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            name = re.sub(r"\s+(?:HMI|SHMI|Her|His|Ofsted|Social|Senior|Regional)\b.*$", "", match.group(1)).strip()
            if len(name.split()) >= 2:
                return name
    return None


# The label of two lead inspectors stands in a report's opening lines.
_LEAD_PAIR_SPAN = 3000


def _days(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def title_zone(head: str) -> str:
    """The report's title: what stands before its dates label, or a letter's subject line and
    first sentence. Phrases further on ("since the focused visit in 2018") name earlier visits."""
    dear = re.search(r"(?im)^dear\s.*$", head)
    if dear:
        return head[dear.end() : dear.end() + _LETTER_TITLE_SPAN]
    label = _DATES_LABEL.search(head)
    if label and label.start() < _TITLE_SPAN:
        return head[: label.start()]
    return head[:_TITLE_SPAN]


# A title and its authority's name fill a few lines; a letter's subject line and first
# sentence ("This letter summarises the findings of a focused visit ...") a few hundred characters.
_TITLE_SPAN = 700
_LETTER_TITLE_SPAN = 400
# The four judgements of a full ILACS inspection: a table only a full inspection has.
# A row of the table starts a line and its grade follows within two lines; a letter that only
# names the judgement in a sentence has no such row.
# The first row may wrap after "social work" ("The impact of leaders on social work" / "practice
# with children and families").
_ILACS_TABLE = re.compile(
    r"(?im)^the impact of leaders on social work\s+practice[^\n]*(?:\n[^\n]*){0,2}?"
    r"\b(?:outstanding|good|requires improvement|inadequate)\b"
)


# A review of the LSCB published on its own (Surrey 2015): the ingester refuses it by name.
LSCB_REVIEW = "LSCB review"


@dataclass(frozen=True)
class TitledType:
    """A kind of inspection its title names ('Focused visit to ...'), with its framework: the
    framework of a monitoring visit is ILACS only from `framework_from` on (earlier, SIF's had none)."""

    phrase: str
    inspection_type: str
    framework: str | None
    framework_from: str | None = None

    def framework_of(self, start: str | None) -> str | None:
        if self.framework_from is None:
            return self.framework
        return self.framework if start and start >= self.framework_from else None


# The kinds a title names, tried in this order (the first phrase found in the title decides).
TITLED_TYPES = (
    TitledType("focused visit", "focused visit", "ILACS"),
    TitledType("assurance visit", "assurance visit", "ILACS"),  # 2020-21, during COVID-19
    TitledType("monitoring visit", "monitoring visit", "ILACS", framework_from="2018"),
    TitledType("joint targeted area inspection", "JTAI", "JTAI"),
    TitledType(
        "unannounced inspection of contact, referral and assessment",
        "annual unannounced inspection of contact, referral and assessment",
        "2009 unannounced",
    ),
    TitledType("arrangements for the protection of children", "child protection inspection", "2012 child protection"),
    TitledType("inspection of child protection", "child protection inspection", "2012 child protection"),
    TitledType("looked after children services", "looked after children inspection", "2012 looked after children"),
    TitledType("children in need of help and protection, children looked after and care leavers", "SIF", "SIF"),
    # the board's review alone: no inspection of the authority
    TitledType("effectiveness of the local safeguarding children board", LSCB_REVIEW, None),
)
# The type is read from the report's opening (its title, its dates, its judgements table).
_TYPE_SPAN = 2500
# What an ILACS report's title calls the authority's services.
_ILACS_TITLES = ("children's services", "children's social care services")
# ILACS 2026: the framework of inspections from April 2026.
_ILACS_2026_FROM = "2026-04-01"
# A short inspection spends one week on site, a standard one two (the reports do not say which).
_SHORT_INSPECTION_DAYS = 7


def find_type(head: str, full: str, start: str | None, end: str | None = None) -> tuple[str | None, str | None]:
    """The kind of inspection and its framework, from the report's title and structure.

    A focused, monitoring or assurance visit and a JTAI say so in their title; the table of
    four judgements makes a full ILACS inspection whatever its title calls the authority.
    """
    title = normalise(title_zone(head))
    has_ilacs_table = bool(_ILACS_TABLE.search(head))
    titled = None if has_ilacs_table else next((t for t in TITLED_TYPES if t.phrase in title), None)
    if titled is not None:
        return titled.inspection_type, titled.framework_of(start)
    if has_ilacs_table or any(phrase in title for phrase in _ILACS_TITLES):
        return _ilacs_type(full, start, end)
    return None, None


def _ilacs_type(full: str, start: str | None, end: str | None) -> tuple[str, str]:
    """A full ILACS inspection: short or standard, of the 2018 or the 2026 framework."""
    short = "short inspection" in normalise(full) or bool(start and end and _days(start, end) <= _SHORT_INSPECTION_DAYS)
    framework = "ILACS 2026" if start and start >= _ILACS_2026_FROM else "ILACS"
    return ("ILACS short" if short else "ILACS standard"), framework


def document_kind(head: str) -> str:
    h = normalise(head[:2000])
    if "summary report for children and young people" in h or h.startswith("summary for children"):
        return CHILDRENS_SUMMARY
    if re.search(r"(?m)^dear\s", head[:6000], re.I):
        return "letter"
    return "report"


def grade_of(words: str) -> str:
    words = words.lower().strip(" .")
    if words.startswith(("requires improvement", "improvement", "require improvement")):
        return "requires improvement"
    return words


def national_framework_tags(text: str) -> list[str]:
    tags = []
    for tag in NATIONAL_FRAMEWORK_TAG.findall(text):
        for kind, number in _NF_PART.findall(tag):
            n = _NUMBER_WORDS.get(number.lower(), number)
            tags.append(f"{kind.capitalize()} {n}")
    return tags


def _is_boilerplate(text: str) -> bool:
    return bool(_BOILERPLATE.match(text) or _DATE_ONLY.match(text) or _GRADE_SCALE.match(text))


def _judgement(text: str) -> Judgement | None:
    if len(text.split()) > 25 or re.search(rf":\s*{_GRADE}$", text, re.I):
        return None  # a section heading that states its grade: "... protection: good"
    overall = _OVERALL_SENTENCE.match(text)
    if overall:
        return Judgement("Overall effectiveness", grade_of(overall.group("grade")))
    row = _JUDGEMENT_ROW.match(text)
    if not row:
        return None
    area = row.group("area").strip(" :")
    about = "LSCB" if LSCB_HEADING.search(area) else "authority"
    if re.search(r"\b(?:be|are|were|was|as|of|and|is judged to be)$", area, re.I) or (
        area.endswith(" is") and about != "LSCB"
    ):
        return None  # a sentence that ends with a grade word, not a table row
    area = re.sub(r"\s+is$", "", area)
    return Judgement(area, grade_of(row.group("grade")), about)


# --- Reading the blocks: small rules, each with a test and a run, in the manner of
# Python-Markdown's block processors. The first rule whose test passes reads the block.

# Headings that end a list of improvements or strengths whatever follows them: the report's
# next part has begun. Other headings inside a list are its topics ("Workforce", "Outcomes
# for care leavers") when the list's next item follows them.
_LIST_ENDER = re.compile(
    r"^(?:summary\b|summary for children|the (?:local authority|lscb)[\u2019']?s strengths|information about|"
    r"inspection findings|executive summary|the experiences and progress of|the impact of leaders|"
    r"overall effectiveness|(?:review of )?the effectiveness of|the inspection judgements|next steps|"
    r"key strengths and weaknesses|inspection judgements? about|findings\s*$|about this inspection)",
    re.I,
)
# "The inspection did not find any areas for priority and immediate action": a statement
# under an improvement heading, not an improvement.
NOTHING_TO_IMPROVE = re.compile(
    r"^(?:the inspection )?(?:did not (?:find|identify)|found no|there (?:are|were) no|no)\b.{0,40}\b(?:areas? (?:for|of) "
    r"(?:priority|immediate|improvement)|(?:priority|immediate)(?: or immediate)? actions?)",
    re.I,
)
# Where an LSCB's part of a joint report begins: its own headings, or its grade stated as a
# sentence. Its recommendations are the board's, not the authority's.
_LSCB_START = re.compile(
    r"^(?i:section \d\s*:?\s*)?(?i:review of\s+)?(?i:the\s+)?(?i:effectiveness of (?:the\s+)?)?"
    r"(?:[A-Z][\w'\u2019\-]*\s+){0,3}?(?i:(?:local )?safeguarding children board|lscb)(?:\s*\([A-Z]+\))?"
    rf"(?:\s+(?i:is|are|requires?)\s+(?i:{_GRADE}|improvement|judged to be \w+)\b.*)?$|"
    r"^(?i:what does the (?:lscb|board) need to improve|the lscb['\u2019]?s strengths)"
)
# The title of a review of the LSCB appended after the authority's report, as a report of its own.
# Its title may be lost as a running header; its verdict ("The Local Safeguarding Children Board
# requires improvement") stands under it.
_APPENDED_LSCB_REVIEW = re.compile(
    r"^(?:(?:inspection|review) of the effectiveness of the local safeguarding children board\s*$|"
    r"the local safeguarding children board (?:is|requires))",
    re.I,
)
# "Section 2: The effectiveness (of the) local safeguarding children board": the board's part begins.
_LSCB_SECTION = re.compile(r"^section \d\s*:.*(?:safeguarding children|\blscb\b)", re.I)
# Ofsted's account of how it inspects: not a finding about the authority.
_METHOD_SECTION = re.compile(
    r"^(?:information about this inspection|the inspection judgements and what they mean|the inspection team)\s*$", re.I
)
# The last words of a report before Ofsted's own back matter.
_COMPLAINTS = re.compile(r"^any complaints about the inspection", re.I)
_META_HEADING = re.compile(
    r"^(?:inspection dates?|(?:deputy )?lead inspectors?|reporting inspector|report published|published|team inspectors|"
    r"senior data analyst|shadow inspectors?|quality assurance manager)\b",
    re.I,
)
# The judgements of a report stand in its opening table, on its first two pages.
_JUDGEMENT_PAGES = 2
_CONTENTS_ENTRY = re.compile(r"\d+$")


@dataclass
class Reading:
    """The reader of one document's blocks, and what it knows at a block: the section, the list it
    is in, whose part it is. It holds the state; its rules (`rules`, in priority order) read the blocks."""

    kind: str
    blocks: list[Block]
    findings: list[Finding] = field(default_factory=list)
    judgements: list[Judgement] = field(default_factory=list)
    title_parts: list[str] = field(default_factory=list)
    section: str = "Overview"
    section_before: str = "Overview"
    list_kind: str | None = None  # improvement or strength while inside a formal list
    list_marker: str | None = None  # for lists opened by a lead-in sentence: the marker of its items
    from_lead_in: bool = False
    list_marker_seen: str | None = None
    last_item_number: int | None = None
    timescale: str | None = None
    about: str = "authority"
    in_contents: bool = False
    started: bool = True
    in_record: bool = False  # inside the "Record of main findings" table of 2012-13 reports
    in_method: bool = False  # inside "Information about this inspection"
    previous: Block | None = None
    judgement: Judgement | None = None  # the block read as a judgement row, if it is one
    grade_under_name: bool = False  # that row is a lone grade under the area's name (the line before)
    done: bool = False
    in_subpoints: bool = False  # reading the bullets of a numbered item that ends with ':'
    resume_at: int = 0  # after the authority's report, where an appended LSCB review begins
    # Blocks read as no finding, with the name of the rule that passed each over: where to look first
    # for an item the reader missed.
    passed_over: list[tuple[str, Block]] = field(default_factory=list)

    def in_improvement_list(self) -> bool:
        """Inside a list of improvements opened by its heading (not by a lead-in sentence)."""
        return self.list_kind == "improvement" and not self.from_lead_in

    def following(self, index: int) -> Block | None:
        return self.blocks[index + 1] if index + 1 < len(self.blocks) else None

    def open_list(self, list_kind: str | None, from_lead_in: bool = False) -> None:
        self.list_kind, self.from_lead_in = list_kind, from_lead_in
        self.list_marker = self.list_marker_seen = self.timescale = None
        self.last_item_number = None

    def add(self, block: Block, kind: str) -> None:
        timescale = self.timescale if kind == "improvement" else None
        self.findings.append(_finding(self.findings, block, kind, self.section, timescale, self.about))

    def observe(self, block: Block) -> None:
        """What the reader notes of every block before a rule reads it: whether it is a row of a
        judgements table, and whether the 2012-13 record of main findings has begun."""
        text = block.text
        if _RECORD_OF_FINDINGS.match(text):
            self.in_record = True
        in_list = self.in_improvement_list() and block.marker == "number"
        # a bullet, or a numbered item of a list of improvements ("... so that practice is
        # consistently good."), is never a row of the judgements table
        self.judgement = _judgement(text) if block.marker != "bullet" and not in_list else None
        self.grade_under_name = bool(
            _GRADE_ONLY.match(text) and self.previous is not None and len(self.previous.text) < _AREA_NAME_MAX
        )
        if self.grade_under_name:
            assert self.previous is not None
            # a table whose grade stands on its own line under the area's name
            area = self.previous.text.strip(" :")
            self.judgement = Judgement(area, grade_of(text), "LSCB" if LSCB_HEADING.search(area) else "authority")
        self.previous = block

    def read(self, rule_set: RuleSet) -> None:
        """Read the blocks in order, each by the first rule whose test passes and whose run does not decline."""
        rules = rule_set.rules_for(self)
        for index, block in enumerate(self.blocks):
            if index < self.resume_at:
                continue  # back matter between the authority's report and an appended LSCB review
            if block.marker != "bullet":
                self.in_subpoints = False
            self.observe(block)
            for rule in rules:
                if rule.test(block, index) and rule.run(block, index) is not False:
                    break
            if self.done:
                break


# The name of a judged area is short; a longer block above a lone grade is a paragraph.
_AREA_NAME_MAX = 150
# A letter's subject line ("Focused visit to ...") is short and unpunctuated.
_SUBJECT_LINE_WORDS = 30
# A paragraph of fewer words is a caption or a stray line, not a finding.
_SHORTEST_FINDING_WORDS = 4
# A numbered theme title is a few words: "1. Quality and effectiveness of practice", "3. Children who
# go missing or who are at risk of child sexual exploitation".
_THEME_TITLE_WORDS = 15
# A heading longer than this is a paragraph that lost its punctuation: it does not name a section.
_LONGEST_SECTION_NAME = 120


class Rule:
    """One way of reading a block, as Python-Markdown's block processors: `test` says whether the
    rule applies and changes nothing; `run` reads the block into the reader's state, or declines it
    by returning False (the next rule is then tried). A rule keeps no state of its own."""

    name = ""  # the name it is registered under (RuleSet.register)

    def __init__(self, reader: Reading):
        self.r = reader

    def test(self, block: Block, index: int) -> bool:
        raise NotImplementedError

    def run(self, block: Block, index: int) -> bool | None:
        raise NotImplementedError


class PassOver(Rule):
    """A rule whose blocks are no finding: it notes each, with its name, in `passed_over`."""

    def run(self, block: Block, index: int) -> bool | None:
        self.r.passed_over.append((self.name, block))
        return True


class EndOfReport(Rule):
    """Ofsted's back matter, a letter's sign-off and the complaints note end the report."""

    def test(self, block, index):
        return bool(_BACK_MATTER.match(block.text) or _SIGN_OFF.match(block.text) or _COMPLAINTS.match(block.text))

    def run(self, block, index):
        self.r.done = True


class EndOfReportBeforeLSCBReview(EndOfReport):
    """The end of the authority's report when a review of the LSCB is appended after it as a report
    of its own (Hull 2015): the reader goes on at its title, and all it reads there is the board's."""

    def test(self, block, index):
        return super().test(block, index) and self.r.about != "LSCB" and self._appended(index) is not None

    def run(self, block, index):
        r, appended = self.r, self._appended(index)
        assert appended is not None  # test() found it
        r.resume_at, r.about, r.in_method, r.in_contents = appended, "LSCB", False, False
        r.open_list(None)

    def _appended(self, index: int) -> int | None:
        blocks = self.r.blocks
        return next((i for i in range(index + 1, len(blocks)) if _APPENDED_LSCB_REVIEW.match(blocks[i].text)), None)


class BeforeSalutation(Rule):
    """A letter's findings begin after 'Dear ...'; before it stand addresses."""

    def test(self, block, index):
        return not self.r.started

    def run(self, block, index):
        self.r.started = bool(re.match(r"^dear\s", block.text, re.I))
        if not self.r.started:
            self.r.passed_over.append((self.name, block))


class LetterSubject(Rule):
    """A letter's subject line: 'Focused visit to ...', its title, not a finding."""

    def test(self, block, index):
        text = block.text
        return (
            self.r.kind == "letter"
            and not self.r.title_parts
            and len(text.split()) < _SUBJECT_LINE_WORDS
            and not _TERMINAL_PUNCT.search(text)
        )

    def run(self, block, index):
        self.r.title_parts.append(block.text)


class JudgementRow(Rule):
    """A row of the judgements table (its first pages, or the 2012-13 record of main findings)."""

    def test(self, block, index):
        return self.r.judgement is not None and (block.page <= _JUDGEMENT_PAGES or self.r.in_record)

    def run(self, block, index):
        r = self.r
        assert r.judgement is not None  # test() saw one
        if r.grade_under_name:
            # the area's name above was a cell of the judgements table, not a section; in the body of a SIF
            # report the area's name over its grade is the heading of the section that explains the grade
            r.section = r.section_before
        if not any(j.area == r.judgement.area for j in r.judgements):
            r.judgements.append(r.judgement)


class ContentsStart(Rule):
    def test(self, block, index):
        return block.marker == "heading" and bool(re.match(r"^contents$", block.text, re.I))

    def run(self, block, index):
        self.r.in_contents = True


class ContentsEntry(PassOver):
    """A line of the contents page: it ends with a page number, or the next one does (a wrapped
    entry). Its headings ('The Local Safeguarding Children Board') start no section; the contents
    end at the first heading that is no entry, which the rules after this one read."""

    def test(self, block, index):
        return self.r.in_contents

    def run(self, block, index):
        following = self.r.following(index)
        entry = _CONTENTS_ENTRY.search(block.text) or (
            block.marker == "heading" and following is not None and _CONTENTS_ENTRY.search(following.text)
        )
        if not entry and block.marker == "heading":
            self.r.in_contents = False
            return False
        return super().run(block, index)


class Timescale(Rule):
    """'Within three months', 'Priority and immediate action': the timescale of the items below."""

    def test(self, block, index):
        return block.marker == "heading" and bool(
            TIMESCALE.match(block.text) or (self.r.list_kind == "improvement" and PRIORITY.match(block.text))
        )

    def run(self, block, index):
        named = TIMESCALE.match(block.text) or PRIORITY.match(block.text)
        assert named is not None  # test() matched one
        self.r.timescale = named.group(1).capitalize()


def _continues_list(r: Reading, following: Block | None) -> bool:
    """Is the block the next item of the open list, numbered next or marked alike? A list is a
    structure, not a run of items that start with known verbs: "Integrate ...", "Enhance ...",
    "The adoption panel chair to report ..." are items as much as "Ensure ..." is."""
    if following is None or following.marker not in ("number", "bullet"):
        return False
    if following.marker == "number":
        return r.last_item_number is None or following.number == r.last_item_number + 1
    return r.list_marker_seen in (None, "bullet", "theme")


class TopicSubheading(PassOver):
    """A topic heading inside a list of recommendations ('Workforce', 'Outcomes for care
    leavers', even 'Leadership, management and governance') keeps the list open when the
    list's next item follows it; a heading that starts the report's next part never does."""

    def test(self, block, index):
        text = block.text
        return (
            block.marker == "heading"
            and self.r.in_improvement_list()
            and not (IMPROVEMENT_HEADING.match(text) or STRENGTH_HEADING.match(text) or _LSCB_START.match(text))
            and not _LIST_ENDER.match(text)
            and not ends_with_grade(text)
            and _continues_list(self.r, self.r.following(index))
        )


class ThemeTitle(Rule):
    """'1. Quality and effectiveness of practice' with bullets under it: a numbered title of a
    theme of a list of recommendations, not an item; the bullets are the items, and '2. ...'
    after them starts the next theme rather than ending the list."""

    def test(self, block, index):
        r, following = self.r, self.r.following(index)
        return (
            block.marker == "number"
            and r.in_improvement_list()
            and len(block.text.split()) <= _THEME_TITLE_WORDS
            and not _TERMINAL_PUNCT.search(block.text)
            and not block.text.endswith(":")
            and following is not None
            and following.marker == "bullet"
            and (r.last_item_number is None or block.number == r.last_item_number + 1)
        )

    def run(self, block, index):
        self.r.last_item_number = block.number
        self.r.list_marker_seen = "theme"


class SubpointOfItem(Rule):
    """Bullets under a numbered item that ends with ':' ('1. Implement the following areas for
    improvement from the previous inspection:' then three bullets) are its points, capitalised or
    not: part of that one item, and the next number goes on with the list."""

    def test(self, block, index):
        r = self.r
        last = r.findings[-1] if r.findings else None
        return (
            block.marker == "bullet"
            and r.in_improvement_list()
            and last is not None
            and last.kind == "improvement"
            and last.paragraph is not None
            and (last.text.endswith(":") or r.in_subpoints)
        )

    def run(self, block, index):
        self.r.findings[-1].text += " " + block.text
        self.r.in_subpoints = True


class MetaHeading(PassOver):
    """Boilerplate and labels ('Lead inspector: ...'): neither a section nor a finding."""

    def test(self, block, index):
        return block.marker == "heading" and bool(_is_boilerplate(block.text) or _META_HEADING.match(block.text))


class SectionHeading(Rule):
    """A heading starts a section: a list of improvements or strengths, the account of the
    inspection's method, or the title on the first page."""

    def test(self, block, index):
        return block.marker == "heading"

    def run(self, block, index):
        r, text = self.r, block.text
        if (
            len(r.title_parts) < 2
            and not r.findings
            and block.page == 1
            and not any(text in part for part in r.title_parts)
            and not KNOWN_HEADINGS.match(text)
        ):
            r.title_parts.append(text)
        r.in_method = bool(_METHOD_SECTION.match(text))
        r.section_before = r.section
        names_a_section = len(text) < _LONGEST_SECTION_NAME and not _GRADE_ONLY.match(text)  # not a lone "Good"
        r.section = text.rstrip(" :?") if names_a_section else r.section
        r.open_list(
            "improvement" if IMPROVEMENT_HEADING.match(text) else "strength" if STRENGTH_HEADING.match(text) else None
        )


class SectionHeadingOrLSCBPart(SectionHeading):
    """A heading past the first pages that names the LSCB ('Section 2: The effectiveness of the local
    safeguarding children board') starts the board's part of a joint report: all after it is the board's."""

    def run(self, block, index):
        if block.page > _JUDGEMENT_PAGES and (_LSCB_START.match(block.text) or _LSCB_SECTION.match(block.text)):
            self.r.about = "LSCB"
        super().run(block, index)


class Skipped(PassOver):
    """Contents, the method of the inspection, boilerplate, stray short lines and grade rows
    outside the tables (a summary's scale) are not findings."""

    def test(self, block, index):
        r, text = self.r, block.text
        return (
            r.in_contents
            or r.in_method
            or _is_boilerplate(text)
            or (len(text.split()) < _SHORTEST_FINDING_WORDS and block.marker == "para")
            or r.judgement is not None
        )


class ReportTitle(Rule):
    """The report's title, wrapped over lines on its first page: not a finding."""

    def test(self, block, index):
        return (
            block.page == 1
            and not self.r.findings
            and bool(_TITLE.match(block.text))
            and not _TERMINAL_PUNCT.search(block.text)
        )

    def run(self, block, index):
        self.r.title_parts.append(block.text)


class LSCBVerdict(Rule):
    """'The Local Safeguarding Children Board (LSCB) is good.' past the first pages: the
    board's part of a joint report begins."""

    def test(self, block, index):
        return block.page > _JUDGEMENT_PAGES and bool(_LSCB_START.match(block.text))

    def run(self, block, index):
        self.r.about = "LSCB"
        self.r.open_list(None)
        self.r.add(block, "finding")


class LeadIn(Rule):
    """A sentence ending with ':' that announces a list: '... the things we told the Director:'."""

    def test(self, block, index):
        return block.marker == "para" and block.text.endswith(":")

    def run(self, block, index):
        improvement, strength = IMPROVEMENT_LEAD_IN.search(block.text), STRENGTH_LEAD_IN.search(block.text)
        if improvement and not strength:
            self.r.open_list("improvement", from_lead_in=True)
        elif strength and not improvement:
            self.r.open_list("strength", from_lead_in=True)
        self.r.add(block, "finding")


class ListIntroduction(Rule):
    """'The following recommendations are those that inspectors considered to be the priorities
    ...': a sentence under a list heading, before the list's first number or bullet, introduces
    the list; it is not one of its items."""

    def test(self, block, index):
        following = self.r.following(index)
        return (
            block.marker == "para"
            and self.r.in_improvement_list()
            and self.r.list_marker_seen is None
            and following is not None
            and following.marker in ("number", "bullet")
        )

    def run(self, block, index):
        self.r.add(block, "finding")


class Item(Rule):
    """Any other block: an item of the open list, else a finding."""

    def test(self, block, index):
        return True

    def run(self, block, index):
        r = self.r
        if r.from_lead_in and r.list_kind:
            if r.list_marker is None:
                r.list_marker = block.marker
            elif block.marker != r.list_marker:
                r.open_list(None)
        if r.list_kind and r.list_marker_seen in ("bullet", "theme") and block.marker == "number":
            r.open_list(None)  # numbered paragraphs after a bulleted list: the report's body has begun
        if r.list_kind and not r.from_lead_in and not (r.list_marker_seen == "theme" and block.marker == "bullet"):
            r.list_marker_seen = block.marker
        if block.marker == "number":
            r.last_item_number = block.number
        r.add(block, self._kind(block))

    def _kind(self, block: Block) -> str:
        kind = self.r.list_kind or "finding"
        if kind == "improvement" and (
            re.search(r"following action|should take the following", block.text, re.I)
            or NOTHING_TO_IMPROVE.match(block.text)
        ):
            return "finding"  # the list's lead-in, or a line that says there is nothing to improve
        return kind


class RuleSet:
    """Rules registered by name and priority, as Python-Markdown's Registry: the reader tries them
    highest priority first. Registering a name again replaces its rule; a framework's set is another
    set with rules added, replaced or removed (`FRAMEWORK_RULES`)."""

    def __init__(self, name: str, rules: dict[str, tuple[type[Rule], float]] | None = None):
        self.name = name
        self._rules: dict[str, tuple[type[Rule], float]] = dict(rules or {})

    def register(self, rule: type[Rule], name: str, priority: float) -> None:
        self._rules[name] = (rule, priority)

    def deregister(self, name: str) -> None:
        del self._rules[name]

    def derived(self, name: str) -> RuleSet:
        """A copy under another name, for a framework to change."""
        return RuleSet(name, self._rules)

    def names(self) -> list[str]:
        """The rules' names, in the order they are tried."""
        return [name for name, _ in sorted(self._rules.items(), key=lambda item: -item[1][1])]

    def rules_for(self, reader: Reading) -> list[Rule]:
        """The rules, made for one reader, in the order they are tried."""
        made = []
        for name in self.names():
            rule = self._rules[name][0](reader)
            rule.name = name
            made.append(rule)
        return made


# The rules every document is read by, with their priorities (the highest is tried first). The gaps
# leave room for a framework's own: the priorities of those stand with the framework's set below.
COMMON_RULES = RuleSet("common")
for _name, _rule, _priority in (
    ("end of report", EndOfReport, 200),
    ("judgement row", JudgementRow, 170),
    ("timescale", Timescale, 140),
    ("topic subheading", TopicSubheading, 130),
    ("theme title", ThemeTitle, 120),
    ("subpoint of item", SubpointOfItem, 110),
    ("meta heading", MetaHeading, 100),
    ("section heading", SectionHeading, 90),
    ("report title", ReportTitle, 80),
    ("skipped", Skipped, 70),
    ("lead-in", LeadIn, 50),
    ("list introduction", ListIntroduction, 40),
    ("item", Item, 10),
):
    COMMON_RULES.register(_rule, _name, _priority)


def _letters() -> RuleSet:
    """A letter (focused, monitoring and assurance visits; the 2009 unannounced inspections): its
    findings begin after 'Dear ...', under a subject line that is its title."""
    rules = COMMON_RULES.derived("letters")
    rules.register(BeforeSalutation, "before salutation", 190)
    rules.register(LetterSubject, "letter subject", 180)
    return rules


def _sif() -> RuleSet:
    """SIF reports (2013-18) and the inspections before them: a contents page, and the LSCB's review
    in the same report (its own section, or appended after the authority's report)."""
    rules = COMMON_RULES.derived("SIF")
    rules.register(EndOfReportBeforeLSCBReview, "end of report before an LSCB review", 210)
    rules.register(ContentsStart, "contents start", 160)
    rules.register(ContentsEntry, "contents entry", 150)
    rules.register(SectionHeadingOrLSCBPart, "section heading", 90)  # replaces the common one
    rules.register(LSCBVerdict, "LSCB verdict", 60)
    return rules


def _ilacs() -> RuleSet:
    """ILACS reports (2018 on): no contents page, no LSCB (safeguarding partners replaced the boards)."""
    return COMMON_RULES.derived("ILACS")


_SIF_RULES, _ILACS_RULES = _sif(), _ilacs()
# The rule set of each framework, chosen by the type `find_type` reads. A new framework is a new set
# here (derived from the common rules or another framework's), not edits across the rules.
FRAMEWORK_RULES: dict[str | None, RuleSet] = {
    "SIF": _SIF_RULES,
    "ILACS": _ILACS_RULES,
    # The 2026 format's quirks are its layout's (a footnote digit on the list heading) and its
    # items' national framework tags (national_framework_tags): it reads as ILACS does.
    "ILACS 2026": _ILACS_RULES.derived("ILACS 2026"),
    # A review of an LSCB published on its own (refused by the ingester, by name) reads as SIF's.
    LSCB_REVIEW: _SIF_RULES.derived(LSCB_REVIEW),
}
LETTER_RULES = _letters()
# Reports of other kinds (the 2009-13 frameworks, a JTAI, an unknown type) read as SIF reports do.
DEFAULT_RULES = _SIF_RULES


def rules_for(kind: str, inspection_type: str | None, framework: str | None) -> RuleSet:
    """The rules a document is read by: a letter's, else its framework's (an LSCB review's by its type)."""
    if kind == "letter":
        return LETTER_RULES
    return FRAMEWORK_RULES.get(inspection_type if inspection_type == LSCB_REVIEW else framework, DEFAULT_RULES)


def classify_blocks(
    blocks: list[Block], kind: str, rule_set: RuleSet | None = None
) -> tuple[list[Finding], list[Judgement], str]:
    """Read the blocks in order, each by the first rule that applies; emit findings and judgements."""
    reader = Reading(kind=kind, blocks=blocks, started=kind != "letter")
    reader.read(rule_set or (LETTER_RULES if kind == "letter" else DEFAULT_RULES))
    return reader.findings, reader.judgements, " ".join(reader.title_parts)


def _finding(
    findings: list[Finding], block: Block, kind: str, section: str, timescale: str | None, about: str
) -> Finding:
    return Finding(
        text=block.text,
        kind=kind,
        section=section,
        ordinal=len(findings) + 1,
        page=block.page,
        paragraph=block.number if block.marker == "number" else None,
        timescale=timescale,
        about=about,
        national_framework=national_framework_tags(block.text),
    )


_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_OFSTED_ADDRESS = re.compile(r"ofsted\.gov|piccadilly gate", re.I)
_SIGN_OFF = re.compile(r"yours sincerely", re.I)
_RECORD_OF_FINDINGS = re.compile(r"record of main findings", re.I)


def _address_free(head: str) -> str:
    """The opening text without address and contact lines, whose towns are not the authority."""
    keep = []
    for line in head.split("\n"):
        if _POSTCODE.search(line) or _OFSTED_ADDRESS.search(line):
            continue
        keep.append(line)
    return "\n".join(keep)


def document_blocks(pages: list[str], file_format: str) -> tuple[list[Block], str]:
    """A document's blocks, broken words repaired, and its whole text, line by line."""
    lines = pdf_lines(pages) if file_format == "pdf" else text_lines(pages)
    blocks = build_blocks(lines, file_format)
    for block, text in zip(blocks, repair_broken_words([b.text for b in blocks])):
        block.text = text
    return blocks, "\n".join(line.text for line in lines)


def parse_pages(pages: list[str], file_format: str, find_authority) -> ParsedReport:
    """Parse one document. `find_authority(text)` names the authority the text is about."""
    blocks, joined = document_blocks(pages, file_format)
    head = joined[:4000]
    kind = document_kind(joined)
    start, end = find_dates(head)
    inspection_type, framework = find_type(head[:_TYPE_SPAN], joined, start, end)
    findings, judgements, title = classify_blocks(blocks, kind, rules_for(kind, inspection_type, framework))
    if inspection_type == "SIF" and not any(j.area.lower().startswith("overall") for j in judgements):
        headline = _OVERALL_HEADLINE.search(joined[:_HEADLINE_SPAN])
        if headline:
            judgements.insert(
                0, Judgement("Overall effectiveness", grade_of(" ".join(headline.group("grade").split())))
            )
    return ParsedReport(
        authority_name=find_authority(_address_free(title_zone(head))) or find_authority(_address_free(head)[:3000]),
        inspection_type=inspection_type,
        framework=framework,
        start_date=start,
        end_date=end,
        published_date=find_published(head, "\n".join(pages)),
        lead_inspector=find_lead_inspector(joined),
        kind=kind,
        title=title or (blocks[0].text if blocks else ""),
        judgements=judgements if kind != CHILDRENS_SUMMARY else [],
        findings=findings,
        pages=len(pages) if file_format == "pdf" else None,  # a text file has no pages to count
    )
