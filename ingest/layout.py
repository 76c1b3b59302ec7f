"""Repair what text extraction leaves behind and cut the text into blocks.

A block is one heading, list item or paragraph, its lines joined whole. The repairs,
each pinned by a test in tests/test_layout.py:
- running page headers and footers (also with the page number glued on: "... 2023 2");
- bare page numbers and footnote marks on lines of their own;
- footnote text at the foot of a page, and footnote numbers glued to a word;
- bullet glyphs (-, ■, ◼, U+F0B7, U+F06E ...) folded to one bullet;
- U+FFFE where a hyphenated word was broken across lines;
- list items and paragraphs split by a page break;
- "**bold**" markers of text conversions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from string import ascii_letters

# U+0336, a combining long stroke overlay, marks sub-points in some reports ("̶ sufficiency of ...").
BULLET_GLYPHS = "•■◼▪●◦○▫□➢►▶✓" + "\u2022\u25aa\u25cf\u25fc\u25a0\u2043\u2212\u2013\u0336"
_PRIVATE_USE = re.compile(r"[\uf000-\uf0ff]")
BULLET = re.compile(r"^(?:[" + re.escape(BULLET_GLYPHS) + r"]\s*|[-*]\s+|\u2022)")
# A numbered item or paragraph: "10. Ensure", and "10.Ensure" where the space was lost.
NUMBERED = re.compile(r"^(\d{1,3})\.\s*(?=[A-Z\u2018'\"(])")
_CLOSERS = "\"'\u2019\u201d)]"  # may follow the mark that ends a sentence


def _ends_with(text: str, marks: str) -> bool:
    """Does the text end with one of the marks, perhaps followed by closing quotes or brackets?

    A look at the end, not a regex search, which would try every position of every line.
    """
    text = text.rstrip(_CLOSERS)
    return bool(text) and text[-1] in marks


def _terminal(text: str) -> bool:
    return _ends_with(text, ".!?:;")


GRADES = (
    "requires improvement to be good",
    "requires improvement",
    "require improvement",
    "to be good",
    "outstanding",
    "inadequate",
    "adequate",
    "good",
)
_GRADE_LAST_LETTERS = frozenset(grade[-1] for grade in GRADES)


def ends_with_grade(text: str) -> bool:
    """Does the text end with a grade, as a row of a table of grades does?

    A test of the text's end rather than a regex search, which would try every position
    of every line of a report.
    """
    folded = text.rstrip().lower()
    if folded[-1:] not in _GRADE_LAST_LETTERS:
        return False
    for grade in GRADES:
        if folded.endswith(grade):
            before = folded[: len(folded) - len(grade)]
            if not before or before[-1].isspace():
                return True
    return False


_META = re.compile(
    r"^(?:inspection dates?\s*:|lead inspector\b|reporting inspector\b|report published\b|published\s*:|"
    r"age group\s*:|judgement\s+grade$|website\s*:|(?:immediately|within (?:one|two|three|four|six|nine|twelve|\d+) (?:weeks?|months?))\s*:?\s*$)",
    re.I,
)
_FOOTNOTE_MARK = re.compile(r"\d{1,2}")
FOOTNOTE_TEXT = re.compile(r"^(\d{1,2})\s+(?=[A-Z][a-z])")


@dataclass
class Line:
    text: str
    page: int
    gap: bool = False  # a blank line stood before it (text files) or a page starts
    starts_block: bool = False  # cut from the line before, where two blocks were glued together


@dataclass
class Block:
    text: str
    page: int
    marker: str  # "bullet", "number", "para" or "heading"
    number: int | None = None
    lines: list[str] = field(default_factory=list)
    has_subpoints: bool = False
    is_meta: bool = False  # its first line is a label such as 'Inspection dates:'


_INVISIBLE = re.compile(r"[\u200b\u200e\u200f\u202a-\u202e\ufeff]")
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"\d{1,3}")


def fold_characters(line: str) -> str:
    """One spelling for the glyphs that vary between PDFs: spaces, bullets, bold markers."""
    line = line.replace("**", "")
    if not line.isascii():  # the glyphs folded here are all outside ASCII
        line = _PRIVATE_USE.sub("•", line)
        line = unicodedata.normalize("NFKC", line)
        line = _INVISIBLE.sub("", line)
    return line.replace("\t", "  ").rstrip()


def _header_key(line: str) -> str:
    return _DIGITS.sub("#", line.strip().lower())


def remove_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop page headers and footers: lines that recur at the top or foot of many pages, or of every
    page of a run of them (the header of a report appended after another, Hull 2015's LSCB review)."""
    if len(pages) < 3:
        return pages
    edge = 4
    seen: Counter[str] = Counter()
    on_pages: list[set[str]] = []
    for lines in pages:
        content = [ln for ln in lines if ln.strip()]
        keys = {_header_key(ln) for ln in content[:edge] + content[-edge:]}
        on_pages.append({k for k in keys if k and k != "#"})
        seen.update(on_pages[-1])
    threshold = max(2, int(0.4 * len(pages)))
    in_part = _running_through_a_part([{_without_page_number(k) for k in keys} for keys in on_pages])
    running = {k for k, n in seen.items() if n >= threshold or _without_page_number(k) in in_part}
    cleaned = []
    for lines in pages:
        content_idx = [i for i, ln in enumerate(lines) if ln.strip()]
        edges = set(content_idx[:edge] + content_idx[-edge:])
        cleaned.append([ln for i, ln in enumerate(lines) if not (i in edges and _header_key(ln) in running)])
    return cleaned


# A header that stands on this many consecutive pages is a part's running header, though the part is
# short beside the whole (Hull 2015: the LSCB review's 14 pages after the authority's 36).
_PART_PAGES = 4
# ... when it is a title of a few words, not a lone bullet or number that may start pages by chance.
_PART_HEADER_WORDS = 4


def _without_page_number(key: str) -> str:
    """A header's key without the page number it carries at its start on even pages, its end on odd ones."""
    return key.strip("# ")


def _running_through_a_part(on_pages: list[set[str]]) -> set[str]:
    """Lines at the top or foot of each of _PART_PAGES consecutive pages or more: a part's running header."""
    running: set[str] = set()
    for start in range(len(on_pages) - _PART_PAGES + 1):
        common = set.intersection(*on_pages[start : start + _PART_PAGES])
        running |= {k for k in common if len(k.split()) >= _PART_HEADER_WORDS}
    return running


def remove_footnotes(lines: list[str]) -> tuple[list[str], set[str]]:
    """Cut the footnote text at the foot of a page; return the footnote numbers found."""
    content_idx = [i for i, ln in enumerate(lines) if ln.strip()]
    tail = content_idx[-8:]
    for position, i in enumerate(tail):
        if position == 0 or content_idx.index(i) < len(content_idx) / 2:
            continue  # a footnote sits below the page's text
        text = lines[i].strip()
        match = FOOTNOTE_TEXT.match(text)
        if match:
            return lines[:i], {match.group(1)}
        if _FOOTNOTE_MARK.fullmatch(text) and position + 1 < len(tail):
            after = lines[tail[position + 1]].strip()
            if after[:1].isupper() and len(after) > 30 and not BULLET.match(after):
                return lines[:i], {text}
    return lines, set()


# A list heading with a footnote digit on it (the 2025-26 format): "What needs to improve?1".
_HEADING_FOOTNOTE = re.compile(
    r"^(?P<heading>what needs to improve\?|what does the (?:local authority|lscb) need to improve\?|"
    r"recommendations|areas for improvement)\d{1,2}$",
    re.I,
)


def pdf_lines(pages: list[str]) -> list[Line]:
    split = [
        [fold_characters(ln) for ln in page.replace("\r\n", "\n").replace("\r", "\n").split("\n")] for page in pages
    ]
    split = remove_running_lines(split)
    out: list[Line] = []
    for number, lines in enumerate(split, start=1):
        lines, marks = remove_footnotes(lines)
        first = True
        for ln in lines:
            text = ln.strip()
            if not text or _PAGE_NUMBER.fullmatch(text):
                continue  # page numbers and footnote marks on a line of their own
            for mark in marks:  # a footnote number glued to the word it annotates
                if mark in text:
                    text = re.sub(rf"(?<=[a-z\)]){mark}(?=[\s.,;:]|$)", "", text)
            text = _HEADING_FOOTNOTE.sub(r"\g<heading>", text)
            out.append(Line(text, number, gap=first))
            first = False
    return out


def text_lines(pages: list[str]) -> list[Line]:
    """Lines of a text report; three or more blank lines mark where a page broke."""
    out: list[Line] = []
    page = 1
    for page_text in pages:
        blanks = 0
        for raw in page_text.split("\n"):
            text = fold_characters(raw).strip()
            if re.match(r"^ [A-Za-z]", raw):
                text = "• " + text  # a bullet whose glyph the conversion dropped leaves one space
            if not text:
                blanks += 1
                continue
            if blanks >= 3:
                page += 1
            out.append(Line(text, page, gap=blanks > 0 or not out))
            blanks = 0
        page += 1
    return out


KNOWN_HEADINGS = re.compile(
    r"^(?:what needs to improve(?: in this area of social work practice)?|areas? for (?:improvement|development|priority action)|"
    r"recommendations|strengths|findings|overview|executive summary|contents|about this inspection|service information|"
    r"overall effectiveness(?: of services .*)?|capacity to improve|record of main findings|summary for children and young people|"
    r"information about (?:the local authority area|this local authority area|this inspection)|leadership,? (?:management and governance|and governance|and management)|"
    r"the quality of (?:practice|provision)|quality of provision|the experiences and progress of .+|the impact of leaders .+|"
    r"the effectiveness of .+|outcomes for .+|inspection findings.*|(?:the )?local safeguarding children board.*|"
    r"what does the (?:local authority|lscb) need to improve|next steps|previous ofsted inspections|local leadership|"
    r"children living in this area|child protection in this area|children looked after in this area|the inspection judgements and what they mean|"
    r"the (?:local authority|lscb)['\u2019]s strengths|progress since the last inspection|summary of findings|inspection judgements? about .+|"
    r"what the inspection judgements mean|information about the inspection.*|the local authority)"
    r"\s*[?:]?(?:\s*(?:good|outstanding|inadequate|adequate|requires improvement(?: to be good)?))?\s*$",
    re.I,
)


def _is_heading_text(text: str) -> bool:
    if KNOWN_HEADINGS.match(text):
        return True
    words = text.split()
    return (
        0 < len(words) <= 12
        and len(text) <= 90
        and not _terminal(text)
        and not text.endswith(",")
        and text[0].isupper()
    )


def _opens_known_heading(before: str, text: str, following: str) -> bool:
    ended = _terminal(before) or before.rstrip().endswith(")") or ends_with_grade(before)
    return ended and bool(
        KNOWN_HEADINGS.match(text) or (not _terminal(text) and KNOWN_HEADINGS.match(f"{text} {following}"))
    )


# A topic heading above a list item is short: "Children looked after and achieving permanence".
_TOPIC_HEADING_WORDS = 10
# A sentence that announces a list is short too: "The local authority has the following strengths:".
_LEAD_IN_WORDS = 15


# Words that open a sentence, never a topic heading.
_SENTENCE_START = re.compile(r"^(?:however|but|and|this|these|it|there|as|although|while|when|which|so)\b", re.I)


def _heading_before_item(before: str, text: str, following: str) -> bool:
    """A short unpunctuated line between the end of a sentence and a list item is a heading,
    even when the sentence's last line ran the full width of the page."""
    return (
        _terminal(before)
        and text[:1].isupper()
        and not _terminal(text)
        and not text.endswith(",")
        and len(text.split()) <= _TOPIC_HEADING_WORDS
        and not _SENTENCE_START.match(text)
        and not any(ch.isdigit() for ch in text)  # "However, 89% are placed ...": a sentence's end
        and bool(NUMBERED.match(following) or BULLET.match(following))
    )


def _opens_lead_in(before: str, text: str) -> bool:
    """A short sentence ending with ':' after a full stop starts its own block."""
    return (
        _terminal(before)
        and text[:1].isupper()
        and text.endswith(":")
        and 3 <= len(text.split()) <= _LEAD_IN_WORDS
        and not _META.match(text)
    )


def _starts_continuation(text: str) -> bool:
    first = text[0]
    return first.islower() or first in ",;)" or text.lower().startswith(("(outcome", "(enabler", "(principle"))


def _starts_heading(lines: list[Line], index: int, file_format: str, full_width: int) -> bool:
    """Does the line that starts a new block begin a heading rather than a paragraph?"""
    text = lines[index].text
    following = lines[index + 1].text if index + 1 < len(lines) else ""
    if KNOWN_HEADINGS.match(f"{text} {following}") and not _terminal(text):
        return True  # a known heading wrapped onto the next line
    if not _is_heading_text(text):
        return False
    if KNOWN_HEADINGS.match(text):
        return True
    if file_format == "text":  # a heading stands alone, or above a list
        return (
            index + 1 >= len(lines)
            or lines[index + 1].gap
            or bool(BULLET.match(following) or NUMBERED.match(following))
        )
    # In a PDF, a short line whose next line does not continue its sentence.
    return len(text) < _SHORT_LINE * full_width + _HEADING_MARGIN and (
        not following or not _starts_continuation(following)
    )


# Headings of a list of improvements that extraction glues onto the end of the line before
# ("... Signs of Safety Recommendations", "... families. What needs to improve?1").
_GLUED_LIST_HEADING = re.compile(
    r"^(?P<before>.*\S)\s+(?P<heading>recommendations|what needs to improve\??|"
    r"what does the local authority need to improve\??|areas for improvement|priority and immediate action)\d{0,2}$",
    re.I,
)
# A paragraph number glued to the sentence before: "... applied.16.When children ...".
_GLUED_NUMBER = re.compile(r"(?<=[a-z)\u2019'\"][.!?])\s*(\d{1,3})\.\s*(?=[A-Z])")
# A report's section heading or grade glued onto the end of the last item of a list:
# "... life-story work The experiences and progress of children ... Good",
# "... challenges practice. Grade 4 (Inadequate)".
_GLUED_SECTION = re.compile(
    r"^(?P<before>.*?[a-z0-9)\u2019'\"])\s+(?P<heading>(?:The experiences and progress of |Leadership, management and governance|"
    r"Summary for children and young people$|The local authority[\u2019']s strengths$|Information about this (?:local authority area|inspection)$)[^.]*)$"
)
_GLUED_GRADE = re.compile(
    r"^(?P<before>.*\S)\s+(?P<heading>Grade \d\s*\((?:Outstanding|Good|Requires improvement(?: to be good)?|Adequate|Inadequate)\))$",
    re.I,
)


def _glued_split(line: Line, following: str, last_number: int | None) -> tuple[str, str] | None:
    """Where one line holds the end of a block and the start of the next, the two parts."""
    text = line.text
    item_follows = bool(NUMBERED.match(following) or BULLET.match(following))
    heading = _GLUED_LIST_HEADING.match(text)
    if heading and item_follows and len(heading.group("before").split()) >= 3:
        return heading.group("before"), heading.group("heading")
    grade = _GLUED_GRADE.match(text)
    if grade:
        return grade.group("before"), grade.group("heading")
    section = _GLUED_SECTION.match(text)
    if section and not _terminal(section.group("before")) and len(section.group("before").split()) >= 3:
        return section.group("before"), section.group("heading")
    if last_number is not None:
        for number in _GLUED_NUMBER.finditer(text):
            if int(number.group(1)) == last_number + 1:
                return text[: number.start()], text[number.start() :].lstrip()
    return None


def split_glued_lines(lines: list[Line]) -> list[Line]:
    """Cut a line where extraction glued two blocks together: a list heading on the end of
    the line before, a section heading or grade on the end of a list's last item, the next
    paragraph's number after a full stop (only the number that comes next: "16." after 15)."""
    out: list[Line] = []
    last_number: int | None = None
    pending = list(lines)
    index = 0
    while index < len(pending):
        line = pending[index]
        following = pending[index + 1].text if index + 1 < len(pending) else ""
        numbered = NUMBERED.match(line.text)
        if numbered:
            last_number = int(numbered.group(1))
        parts = _glued_split(line, following, last_number)
        if parts:
            first, second = parts
            out.append(Line(first, line.page, line.gap))
            pending.insert(index + 1, Line(second, line.page, starts_block=True))
        else:
            out.append(line)
        index += 1
    return out


# --- Joining lines into blocks: small rules, each with a test and a run, in the manner of
# Python-Markdown's block processors. The first rule whose test passes places the line.

# A line this much shorter than the page's full width ends its paragraph if it ends a sentence;
# a full-width line that ends with a full stop may still run on ("... in 2017." ⏎ "This ...").
_SHORT_LINE = 0.8
# The full width of a page: the 90th percentile of its line lengths (a few long table rows
# and run-together lines do not set it).
_FULL_WIDTH_PERCENTILE = 0.9
# A heading is shorter than the full width by a margin.
_HEADING_MARGIN = 10
# A row of a table of grades is short: an area's name and its grade.
_GRADE_ROW_WORDS = 20


@dataclass
class Layout:
    """What the joiner knows at a line: the blocks so far, the open block, whether it has ended."""

    lines: list[Line]
    file_format: str
    full_width: int
    blocks: list[Block] = field(default_factory=list)
    current: Block | None = None
    closed: bool = True  # the current block has ended; the next line starts a new one
    decided: bool = False  # the rule that placed the line also decided whether it closes its block

    def previous(self, index: int) -> str:
        return self.lines[index - 1].text if index else ""

    def following(self, index: int) -> str:
        return self.lines[index + 1].text if index + 1 < len(self.lines) else ""

    def start(self, line: Line, marker: str, text: str, number: int | None = None) -> Block:
        self.current = Block(text, line.page, marker, number, [text], is_meta=bool(_META.match(text)))
        self.blocks.append(self.current)
        return self.current


class LineRule:
    """One way of placing a line: `test` says whether it applies, `run` places it."""

    def test(self, at: Layout, line: Line, index: int) -> bool:
        raise NotImplementedError

    def run(self, at: Layout, line: Line, index: int) -> None:
        raise NotImplementedError


def _bullet_text(text: str) -> str | None:
    bullet = BULLET.match(text)
    return text[bullet.end() :].strip() if bullet else None


class BulletLine(LineRule):
    """A bulleted line: a numbered paragraph behind a bullet ("- 4. This inspection ..." in
    text conversions), a sub-point of the item above, a new item, or a lone bullet glyph."""

    def test(self, at, line, index):
        return BULLET.match(line.text) is not None

    def run(self, at, line, index):
        rest = _bullet_text(line.text) or ""
        numbered = NUMBERED.match(rest)
        current = at.current
        if numbered:
            at.start(line, "number", rest[numbered.end() :], int(numbered.group(1)))
        elif rest and rest[0].islower() and current is not None and _takes_subpoint(current):
            # a sub-point ("- an understanding of ...") belongs to its item, as does any
            # lower-case point under a numbered item ("- sufficiency of accommodation ...")
            current.lines.append(rest)
            current.has_subpoints = True
        elif rest:
            at.start(line, "bullet", rest)
        else:
            at.current, at.closed, at.decided = None, True, True
            return
        at.closed = False


def _takes_subpoint(block: Block) -> bool:
    return block.marker != "heading" and (
        block.lines[-1].endswith((":", ";")) or block.has_subpoints or block.marker == "number"
    )


class NumberedLine(LineRule):
    """'10. Ensure ...' (or '10.Ensure'): a numbered item or paragraph."""

    def test(self, at, line, index):
        return NUMBERED.match(line.text) is not None

    def run(self, at, line, index):
        numbered = NUMBERED.match(line.text)
        assert numbered is not None  # test() matched it
        at.start(line, "number", line.text[numbered.end() :], int(numbered.group(1)))
        at.closed = False


class KnownHeadingAfterSentence(LineRule):
    """A known heading after a finished sentence, even after a full-width last line."""

    def test(self, at, line, index):
        return (
            at.file_format == "pdf"
            and index > 0
            and _opens_known_heading(at.previous(index), line.text, at.following(index))
        )

    def run(self, at, line, index):
        at.start(line, "heading", line.text)


class KnownHeadingAtPageTop(LineRule):
    """A known heading at the top of a page, whatever the page before ended with."""

    def test(self, at, line, index):
        return at.file_format == "pdf" and line.gap and bool(KNOWN_HEADINGS.match(line.text))

    def run(self, at, line, index):
        at.start(line, "heading", line.text)


class HeadingBeforeItem(LineRule):
    """A short unpunctuated line between a finished sentence and a list item: a topic heading."""

    def test(self, at, line, index):
        return (
            at.file_format == "pdf"
            and index > 0
            and _heading_before_item(at.previous(index), line.text, at.following(index))
        )

    def run(self, at, line, index):
        at.start(line, "heading", line.text)


class LeadInSentence(LineRule):
    """A short sentence ending with ':' after a finished one: it announces a list."""

    def test(self, at, line, index):
        return at.file_format == "pdf" and index > 0 and _opens_lead_in(at.previous(index), line.text)

    def run(self, at, line, index):
        at.start(line, "para", line.text)


# A heading's first line that ends on one of these words runs on to the next line:
# "Section 2: The effectiveness of the Local Safeguarding" / "Children Board".
_HEADING_RUNS_ON = re.compile(r"\b(?:the|of|and|for|to|in|local|safeguarding)$", re.I)
# "Section 2: The effectiveness of the Local Safeguarding Children Board": a part of a joint report.
_NUMBERED_SECTION = re.compile(r"^section \d\s*:\s*\S.*\D$", re.I)


def _heading_runs_on(block: Block) -> bool:
    return block.marker == "heading" and len(block.lines) == 1 and bool(_HEADING_RUNS_ON.search(block.lines[-1]))


class NumberedSection(LineRule):
    """'Section 2: The effectiveness of the local safeguarding children board' (not its entry in
    the contents, which ends with a page number): a heading of its own, never joined with the
    line after it ('The effectiveness of the LSCB is good'), which states the board's grade."""

    def test(self, at, line, index):
        return at.file_format == "pdf" and _NUMBERED_SECTION.match(line.text) is not None

    def run(self, at, line, index):
        at.start(line, "heading", line.text)


class Continuation(LineRule):
    """A line that continues its sentence (lower case, or ',;)' first) joins the block above;
    so does a lower-case second line of a heading, or any second line of a heading whose first
    line ends on 'the', 'of', 'Local Safeguarding' ..."""

    def test(self, at, line, index):
        current, text = at.current, line.text
        if current is None:
            return False
        if current.marker != "heading":
            return _starts_continuation(text)
        return (text[0].islower() or (_heading_runs_on(current) and not at.closed)) and not current.is_meta

    def run(self, at, line, index):
        at.current.lines.append(line.text)


class TextTableRow(LineRule):
    """Table rows of text conversions, one per line: columns set apart by two spaces."""

    def test(self, at, line, index):
        return at.file_format == "text" and "  " in line.text

    def run(self, at, line, index):
        at.start(line, "para", line.text)
        at.closed, at.decided = True, True


class MetaLine(LineRule):
    """'Inspection dates: ...', 'Lead inspector: ...': a label line stands alone."""

    def test(self, at, line, index):
        return _META.match(line.text) is not None

    def run(self, at, line, index):
        at.start(line, "heading", line.text)


class OtherLine(LineRule):
    """Any other line: the next line of the open block, or the start of a heading or paragraph."""

    def test(self, at, line, index):
        return True

    def run(self, at, line, index):
        if at.closed or at.current is None or (at.file_format == "text" and line.gap):
            heading = _starts_heading(at.lines, index, at.file_format, at.full_width)
            at.start(line, "heading" if heading else "para", line.text)
        else:
            at.current.lines.append(line.text)


LINE_RULES: list[LineRule] = [
    BulletLine(),
    NumberedLine(),
    KnownHeadingAfterSentence(),
    KnownHeadingAtPageTop(),
    NumberedSection(),
    HeadingBeforeItem(),
    LeadInSentence(),
    Continuation(),
    TextTableRow(),
    MetaLine(),
    OtherLine(),
]


def closes_block(block: Block, text: str, following: str, file_format: str, full_width: int) -> bool:
    """Does this line end its block? A heading ends unless its next line is lower case; in a
    PDF a short line that ends a sentence ends a paragraph, as does a row of grades; in a text
    conversion a table row does."""
    stripped = text.rstrip()
    if block.marker == "heading":
        runs_on = len(block.lines) == 1 and _HEADING_RUNS_ON.search(stripped) is not None
        return not (following and (following[:1].islower() or runs_on))
    if file_format != "pdf":
        return "  " in stripped or block.is_meta
    if block.is_meta:
        return True
    short = len(stripped) < _SHORT_LINE * full_width
    if (_ends_with(stripped, ".!?") or stripped.endswith(":")) and short:
        return True
    if len(block.lines) <= _GRADE_ROW_WORDS and not (following and following[0].islower()):
        joined = " ".join(block.lines)
        return len(joined.split()) <= _GRADE_ROW_WORDS and ends_with_grade(joined)  # a row of a table of grades
    return False


def build_blocks(lines: list[Line], file_format: str) -> list[Block]:
    """Join lines into headings, list items and paragraphs, each line by the first rule that applies."""
    if file_format == "pdf":
        lines = split_glued_lines(lines)
    widths = sorted(len(ln.text) for ln in lines) or [80]
    at = Layout(lines, file_format, full_width=widths[int(_FULL_WIDTH_PERCENTILE * (len(widths) - 1))])
    for index, line in enumerate(lines):
        if line.starts_block:
            at.closed = True
        at.decided = False
        for rule in LINE_RULES:
            if rule.test(at, line, index):
                rule.run(at, line, index)
                break
        if at.current is not None and not at.decided:
            at.closed = closes_block(at.current, line.text, at.following(index), file_format, at.full_width)
    for block in at.blocks:
        block.text = join_lines(block.lines)
    return at.blocks


def join_lines(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if not text:
            text = line
        elif text.endswith("-") and not text.endswith(" -") and line[:1].islower():
            text += line  # a word hyphenated at the end of a line: "multi-" + "agency"
        else:
            text += " " + line
    return " ".join(text.split())


def repair_broken_words(texts: list[str]) -> list[str]:
    """U+FFFE marks a word broken across lines: keep the hyphen unless the report spells it whole elsewhere."""
    if not any("\ufffe" in t for t in texts):
        return texts
    lowered = "\n".join(texts).lower()

    def mend(match: re.Match) -> str:
        left, right = match.group(1), match.group(2)
        return f"{left}{right}" if _spelled_whole(lowered, (left + right).lower()) else f"{left}-{right}"

    broken = re.compile(r"([A-Za-z]+)\ufffe\s*([A-Za-z]+)")
    return [broken.sub(mend, t).replace("\ufffe", "-") if "\ufffe" in t else t for t in texts]


def _spelled_whole(lowered: str, word: str) -> bool:
    """Does the (lower-cased) text have the word as a whole run of letters?"""
    start = lowered.find(word)
    while start != -1:
        end = start + len(word)
        if (start == 0 or lowered[start - 1] not in ascii_letters) and (
            end == len(lowered) or lowered[end] not in ascii_letters
        ):
            return True
        start = lowered.find(word, start + 1)
    return False
