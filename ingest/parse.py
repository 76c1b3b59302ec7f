"""Turn a report's pages into its metadata, judgements and findings.

Everything here is read from the document's content, never from its file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from datasette_ofsted.text import normalise

from .layout import KNOWN_HEADINGS, Block, build_blocks, pdf_lines, repair_broken_words, text_lines

MONTHS = {
    m: i
    for i, m in enumerate(
        "january february march april may june july august september october november december".split(), 1
    )
}
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december)"
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
_NF_TAG = re.compile(r"\(([^()]*national framework[^()]*)\)", re.I)
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
    kind: str  # report, letter, summary for children
    title: str
    judgements: list[Judgement]
    findings: list[Finding]
    pages: int | None


def _iso(day: str, month: str, year: str) -> str | None:
    try:
        return date(int(year), MONTHS[month.lower()], int(day)).isoformat()
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
    month = year = None
    for part in reversed(parts):
        if part[1] is None:
            part[1] = month
        month = part[1]
        if part[2] is None:
            part[2] = year
        year = part[2]
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
        if _DATE_ONLY.match(line) and len(re.findall(rf"(?m)^{re.escape(line)}\b", full or head)) < 2:
            return _iso(*_SINGLE.match(line).groups())
    return None


def find_lead_inspector(text: str) -> str | None:
    """The lead inspector: labelled in reports, the first inspector named in letters, else the signatory."""
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
_ILACS_TABLE = re.compile(r"impact of leaders on social work practice", re.I)


def find_type(head: str, full: str, start: str | None, end: str | None = None) -> tuple[str | None, str | None]:
    """The kind of inspection and its framework, from the report's title and structure.

    A focused, monitoring or assurance visit and a JTAI say so in their title; the table of
    four judgements makes a full ILACS inspection whatever its title calls the authority.
    """
    h = normalise(title_zone(head))
    has_ilacs_table = bool(_ILACS_TABLE.search(head))
    if not has_ilacs_table:
        if "focused visit" in h:
            return "focused visit", "ILACS"
        if "assurance visit" in h:  # 2020-21, during COVID-19
            return "assurance visit", "ILACS"
        if "monitoring visit" in h:
            return "monitoring visit", "ILACS" if start and start >= "2018" else None
        if "joint targeted area inspection" in h:
            return "JTAI", "JTAI"
        if "unannounced inspection of contact, referral and assessment" in h:
            return "annual unannounced inspection of contact, referral and assessment", "2009 unannounced"
        if "arrangements for the protection of children" in h or "inspection of child protection" in h:
            return "child protection inspection", "2012 child protection"
        if "looked after children services" in h:
            return "looked after children inspection", "2012 looked after children"
        if "children in need of help and protection, children looked after and care leavers" in h:
            return "SIF", "SIF"
    if has_ilacs_table or "children's services" in h or "children's social care services" in h:
        # A short inspection spends one week on site, a standard one two (the reports do not say which).
        kind = (
            "ILACS short"
            if "short inspection" in normalise(full) or (start and end and _days(start, end) <= 7)
            else "ILACS standard"
        )
        framework = "ILACS 2026" if start and start >= "2026-04-01" else "ILACS"
        return kind, framework
    return None, None


def document_kind(head: str) -> str:
    h = normalise(head[:2000])
    if "summary report for children and young people" in h or h.startswith("summary for children"):
        return "summary for children"
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
    for tag in _NF_TAG.findall(text):
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


def classify_blocks(blocks: list[Block], kind: str) -> tuple[list[Finding], list[Judgement], str]:
    """Walk the blocks in order, tracking section, list and part; emit findings and judgements."""
    findings: list[Finding] = []
    judgements: list[Judgement] = []
    title_parts: list[str] = []
    section = "Overview"
    list_kind: str | None = None  # improvement or strength while inside a formal list
    list_marker: str | None = None  # for lists opened by a lead-in sentence: the marker of its items
    from_lead_in = False
    timescale: str | None = None
    about = "authority"
    in_contents = False
    started = kind != "letter"  # a letter's findings begin after its salutation
    list_marker_seen: str | None = None
    in_record = False  # inside the "Record of main findings" table of 2012-13 reports
    previous: Block | None = None
    section_before = section
    for block in blocks:
        text = block.text
        if _BACK_MATTER.match(text) or _SIGN_OFF.match(text):
            break
        if not started:
            started = bool(re.match(r"^dear\s", text, re.I))  # before it: addresses, not findings
            continue
        if kind == "letter" and not title_parts and len(text.split()) < 30 and not _TERMINAL_PUNCT.search(text):
            title_parts.append(text)  # a letter's subject line: "Focused visit to ...", not a finding
            continue
        if _RECORD_OF_FINDINGS.match(text):
            in_record = True
        judgement = _judgement(text) if block.marker != "bullet" else None
        if _GRADE_ONLY.match(text) and previous is not None and len(previous.text) < 150:
            # a table whose grade stands on its own line under the area's name
            judgement = Judgement(previous.text.strip(" :"), grade_of(text))
            judgement.about = "LSCB" if LSCB_HEADING.search(judgement.area) else "authority"
            section = section_before
        previous = block
        if judgement and (block.page <= 2 or in_record):
            if not any(j.area == judgement.area for j in judgements):
                judgements.append(judgement)
            continue
        if block.marker == "heading":
            if re.match(r"^contents$", text, re.I):
                in_contents = True
                continue
            if in_contents:
                if re.search(r"\d+$", text):
                    continue
                in_contents = False
            if TIMESCALE.match(text) or (list_kind == "improvement" and PRIORITY.match(text)):
                timescale = (TIMESCALE.match(text) or PRIORITY.match(text)).group(1).capitalize()
                continue
            if list_kind == "improvement" and not from_lead_in and not KNOWN_HEADINGS.match(text):
                continue  # a topic heading inside a list of recommendations ("Workforce") keeps the list open
            if _is_boilerplate(text) or re.match(
                r"^(?:inspection dates?|(?:deputy )?lead inspector|reporting inspector|report published|published|team inspectors|"
                r"senior data analyst|shadow inspectors?|quality assurance manager)\b",
                text,
                re.I,
            ):
                continue
            if (
                len(title_parts) < 2
                and not findings
                and block.page == 1
                and not any(text in part for part in title_parts)
                and not KNOWN_HEADINGS.match(text)
            ):
                title_parts.append(text)
            if block.page > 2 and LSCB_HEADING.search(text) and not IMPROVEMENT_HEADING.match(text):
                about = "LSCB"
            section_before = section
            section = text.rstrip(" :?") if len(text) < 120 else section
            list_kind = (
                "improvement"
                if IMPROVEMENT_HEADING.match(text)
                else "strength"
                if STRENGTH_HEADING.match(text)
                else None
            )
            from_lead_in, list_marker, timescale, list_marker_seen = False, None, None, None
            continue
        if in_contents:
            continue
        if block.page == 1 and not findings and _TITLE.match(text) and not _TERMINAL_PUNCT.search(text):
            title_parts.append(text)  # the report's title, wrapped over lines: not a finding
            continue
        if _is_boilerplate(text) or (len(text.split()) < 4 and block.marker == "para"):
            continue
        if judgement:
            continue  # a grade row outside the tables (e.g. a summary's scale)
        # A sentence ending with ':' that announces a list: "... the things we told the Director:"
        if block.marker == "para" and text.endswith(":"):
            improvement, strength = IMPROVEMENT_LEAD_IN.search(text), STRENGTH_LEAD_IN.search(text)
            if improvement and not strength:
                list_kind, from_lead_in, list_marker = "improvement", True, None
            elif strength and not improvement:
                list_kind, from_lead_in, list_marker = "strength", True, None
            findings.append(_finding(findings, block, "finding", section, None, about))
            continue
        if from_lead_in and list_kind:
            if list_marker is None:
                list_marker = block.marker
            elif block.marker != list_marker:
                list_kind, from_lead_in = None, False
        if list_kind and list_marker_seen == "bullet" and block.marker == "number":
            list_kind = None  # numbered paragraphs after a bulleted list: the report's body has begun
        if list_kind and not from_lead_in:
            list_marker_seen = block.marker
        item_kind = list_kind or "finding"
        if item_kind == "improvement" and re.search(r"following action|should take the following", text, re.I):
            item_kind = "finding"
        if about == "LSCB" and item_kind == "improvement":
            item_kind = "finding"
        findings.append(
            _finding(findings, block, item_kind, section, timescale if item_kind == "improvement" else None, about)
        )
    return findings, judgements, " ".join(title_parts)


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


def parse_pages(pages: list[str], file_format: str, find_authority) -> ParsedReport:
    """Parse one document. `find_authority(text)` names the authority the text is about."""
    lines = pdf_lines(pages) if file_format == "pdf" else text_lines(pages)
    blocks = build_blocks(lines, file_format)
    for block, text in zip(blocks, repair_broken_words([b.text for b in blocks])):
        block.text = text
    joined = "\n".join(line.text for line in lines)
    head = joined[:4000]
    kind = document_kind(joined)
    findings, judgements, title = classify_blocks(blocks, kind)
    start, end = find_dates(head)
    inspection_type, framework = find_type(head[:2500], joined, start, end)
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
        judgements=judgements if kind != "summary for children" else [],
        findings=findings,
        pages=len(pages) if file_format == "pdf" else None,  # a text file has no pages to count
    )
