"""Polarity and practice themes of a finding.

Polarity is read sentence by sentence from the words inspectors use to praise or
criticise ("effective", "timely" against "delay", "not consistently"): a paragraph with
both is mixed. Themes come from the curated taxonomy in themes.json by cue phrases.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import chain

from .text import normalise, sentences, stems_of_normalised


def _by_first_letter(pattern: re.Pattern[str]) -> re.Pattern[str]:
    r"""The same word list, its words grouped by their first letter: `\b(?:lack|limited|gaps?)\b` as
    `\b(?:l(?:ack|imited)|gaps?)\b`, so that at each place in a text the engine tries one letter's words, not
    every word of the list in turn (the scans of these lists were most of a sentence's polarity's time).

    What it matches is the same, match for match: of the words that could match at one place only those
    with one first letter are tried, still in their order, and a word that begins with a group or a class
    keeps its place between the letters' groups of the words before and after it.
    """
    source = pattern.pattern
    head, tail = r"\b(?:", r")\b"
    assert source.startswith(head) and source.endswith(tail) and not pattern.flags & re.IGNORECASE, source[:20]
    words, depth, start, at = [], 0, len(head), len(head)
    while at < len(source) - len(tail):  # split the list at its own bars, not at those of nested groups
        char = source[at]
        if char == "\\":
            at += 2
            continue
        if char == "[":  # a class: its brackets and bars are letters
            at = source.index("]", at + 2) + 1
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            words.append(source[start:at])
            start = at + 1
        at += 1
    words.append(source[start:at])
    grouped: list[str] = []
    run: dict[str, list[str]] = {}

    def close_run() -> None:
        for letter, alike in run.items():
            grouped.append(alike[0] if len(alike) == 1 else letter + "(?:" + "|".join(w[1:] for w in alike) + ")")
        run.clear()

    for word in words:
        if word[:1].isalpha() and word[1:2] not in ("?", "*", "+", "{"):
            run.setdefault(word[0], []).append(word)
        else:
            close_run()
            grouped.append(word)
    close_run()
    return re.compile(head + "|".join(grouped) + tail, pattern.flags)


# Problems: words that name a weakness ("delay", "inconsistent"). Negators are separate: "not" alone is a
# criticism ("plans are not updated"), but before a problem it denies it ("children do not experience drift").
PROBLEM = re.compile(
    r"\b(?:lack(?:s|ing)?|insufficient(?:ly)?|inconsistent(?:ly)?|inconsistency|variable|weak(?:ness|nesses|er)?|"
    r"poor(?:er|ly)?|delay(?:s|ed)?|drift|too (?:long|many|much|slow|few|late|adult|narrow|broad|focused|variable|reliant|high|low|short|great|large|heavy|infrequent)\w*|"
    r"fail(?:s|ed|ure|ures)?|limited|gaps?|inadequate|requires? improvement|needs? to (?:improve|be|ensure)|"
    r"ineffective|shortfalls?|deficit|deteriorat\w*|unclear|vague|missed|remains? (?:a )?(?:challenge|an area)|"
    r"less (?:effective|robust|consistent)|unable|variab(?:le|ility)|absence of|overly|fragmented|slow(?:er)?|worse|"
    r"backlog|high turnover|(?:ongoing )?area for development|still to|yet to(?: be)?|var(?:y|ies)|generic|"
    # A shortage named as a noun ("an insufficiency of homes"), and work begun but not done ("work is under way
    # to strengthen the recording of decisions"): the matter is not yet right.
    r"insufficiency|shortage|under ?way to|"
    r"only (?:just|recently|partially)|partial(?:ly)?|over-reliance|reliance on|requires further|"
    r"further (?:work|development|improvement) (?:is|are)? ?(?:needed|required)|"
    # "concern" is most often the topic ("responds to concerns about a child"); it criticises only as a judgement.
    r"of concern|inspectors (?:\w+ ){0,2}concern\w*|(?:is|are|remains?|was|were) (?:a |an )?(?:\w+ )?concern)\b"
)
POSITIVE = re.compile(
    r"\b(?:effective(?:ly)?|good|strong(?:ly)?|well|timely|robust|thorough(?:ly)?|improv(?:ed|ing|ement has)|"
    r"clear(?:ly)?|appropriate(?:ly)?|benefit(?:s|ing)?|outstanding|high[- ]quality|successful(?:ly)?|"
    r"positive(?:ly)?|comprehensive|proactive|prompt(?:ly)?|swift(?:ly)?|embedded|established|sensitive(?:ly)?|"
    r"skilled|stable|manageable|consistent(?:ly)?|responsive|impressive|excellent|valued|progress(?:ed)? (?:has|have)? ?been made|"
    r"now|strengthened|better|help(?:ed|s)?|encouraged|supported|supportive|aspirational|informs?|"
    r"purposeful|child[- ]centred|meaningful|strengths?|"
    # Progress against a problem: "leaders have reduced the very high caseloads".
    r"(?:has|have|had) (?:been )?(?:successfully )?(?:reduced|addressed|tackled|resolved|rectified|remedied))\b"
)
# A negator criticises on its own ("visits are not recorded"), turns praise into criticism ("not always timely")
# and denies a problem ("no longer wait too long"). Not "in": "in a timely way" is praise.
NEGATOR = re.compile(
    # "Few" denies what follows ("few children wait too long"); "a few" does not ("a few children wait too long").
    r"\b(?:not|never|cannot|can't|isn't|aren't|doesn't|don't|didn't|rarely|seldom|insufficiently|no longer|no|without|less|"
    r"(?<!a )(?<!quite a )few)\b"
)
_LONE_NEGATOR = frozenset(
    {
        "not",
        "never",
        "cannot",
        "can't",
        "isn't",
        "aren't",
        "doesn't",
        "don't",
        "didn't",
        "rarely",
        "seldom",
        "insufficiently",
    }
)
# Words that act against a problem: "to help prevent drift", "reduced delay", "tackling neglect".
PREVENTER = re.compile(r"\b(?:prevent\w*|avoid\w*|reduc\w*|minimi[sz]\w*|tackl\w*|mitigat\w*|address\w*|free from)\b")
# The word lists as written above (tests/test_classify.py holds their scans equal to those of the lists used).
WORD_LISTS_AS_WRITTEN = {"PROBLEM": PROBLEM, "POSITIVE": POSITIVE, "NEGATOR": NEGATOR, "PREVENTER": PREVENTER}
PROBLEM, POSITIVE, NEGATOR, PREVENTER = map(_by_first_letter, WORD_LISTS_AS_WRITTEN.values())
_SCOPE = 4  # words after a negator or preventer that it governs

# Words that open a clause set against the rest of the sentence. Coordinators (but, however) make the clause after
# them the main one; subordinators (although, while, despite) open a concession, and the other clause is the main one.
_COORDINATOR = r"but|however"
_SUBORDINATOR = r"although|though|even though|while|whilst|despite|in spite of|except that"
_CLAUSE_MARK = re.compile(rf"(?:^|[,;:]\s*|\s)(?:(?P<co>{_COORDINATOR})|(?P<sub>{_SUBORDINATOR}))\b,?\s*")
# What a sentence says of the past is not a finding now: "improved since the last inspection, when they were
# inadequate", "has improved from requires improvement to good".
_PAST = re.compile(
    r",?\s*\bwhen (?:\w+ ){1,3}(?:was|were|had been)\b[^,;]*"
    r"|\bfrom (?:an? )?(?:inadequate|requires improvement(?: to be good)?|poor|low|weak)(?: to \w+)?\b"
)
_ABOUT_THE_PAST = re.compile(
    r"\b(?:at|during|in) the (?:last|previous|prior)(?: \w+)? (?:inspection|visit)\b|\bpreviously\b|\bin the past\b"
)
# Words without which _PAST, _ABOUT_THE_PAST and _CLAUSE_MARK cannot match: looked for as plain strings
# first, since those patterns try every position of every sentence and most sentences have none of them
# (the classify step's time is mostly these scans; the results are the same).
_PAST_WORDS = ("when", "from")
_ABOUT_THE_PAST_WORDS = ("the last", "the previous", "the prior", "previously", "in the past")
_CLAUSE_WORDS = ("but", "however", "though", "while", "whilst", "despite", "in spite of", "except that")
_PAST_TENSE = re.compile(r"\b(?:was|were|had)\b")
# Progress statements: a matter that has changed since the last inspection, or has not.
_PROGRESS_BETTER = re.compile(
    r"\b(?:since the (?:last|previous)(?: \w+)? (?:inspection|visit)|has (?:been )?(?:improved|strengthened)|"
    r"have (?:been )?(?:improved|strengthened)|now|no longer|significant(?:ly)? (?:improved|progress))\b"
)
# A problem being dealt with is progress: "gaps in placement sufficiency are being addressed by effective changes".
_BEING_ADDRESSED = re.compile(
    r"\b(?:is|are|was|were|has been|have been|being|been) (?:\w+ )?(?:addressed|tackled|reduced|resolved|remedied|rectified)\b"
)
# The words without which _BEING_ADDRESSED cannot match, looked for as plain strings first (as _PAST_WORDS).
_BEING_ADDRESSED_WORDS = ("addressed", "tackled", "reduced", "resolved", "remedied", "rectified")
_PROGRESS_SAME = re.compile(r"\b(?:remains?|remained|continues? to|continued to|not yet|still|persist\w*)\b")


@dataclass(frozen=True)
class Clause:
    """A part of a sentence set against the others by a contrast word, with its own polarity."""

    text: str
    polarity: int  # +1 praise, -1 criticism, 0 neither
    main: bool  # the clause that decides the sentence


@lru_cache(maxsize=65536)
def clause_themes(text: str) -> frozenset[str]:
    """The practice themes a clause speaks of (its cue phrases)."""
    return frozenset(_cue_themes(normalise(text)))


def _scopes(text: str) -> list[tuple[int, int, int, str, bool]]:
    """Each negator and preventer of a clause: (start, end, reach, word, a negator rather than a preventer), where
    `reach` is the end of the _SCOPE words after it that it governs."""
    scopes = []
    for match in chain(NEGATOR.finditer(text), PREVENTER.finditer(text)):
        following = text[match.end() :].split(maxsplit=_SCOPE)[:_SCOPE]
        reach = match.end() + sum(len(w) + 1 for w in following) + 1
        scopes.append((match.start(), match.end(), reach, match.group(), NEGATOR.fullmatch(match.group()) is not None))
    return scopes


def _present(text: str) -> str | None:
    """A lower-case clause without what it says of the past (_PAST), or None when it only reports the past."""
    if any(word in text for word in _PAST_WORDS):
        text = _PAST.sub(" ", text)
    if (
        any(words in text for words in _ABOUT_THE_PAST_WORDS)
        and _ABOUT_THE_PAST.search(text)
        and _PAST_TENSE.search(text)
        and not _PROGRESS_BETTER.search(text)
    ):
        return None
    return text


def clause_polarity(text: str) -> int:
    """+1, -1 or 0 for one clause: criticism wins over praise inside a clause ("largely good but not consistently").

    A negator before praise makes it criticism ("not always timely"); a negator or preventer before a problem
    denies it ("no longer wait too long", "to help prevent drift"); a negator alone criticises ("not recorded").
    """
    present = _present(text.lower())
    if present is None:
        return 0  # "At the last inspection, planning was weak": a report of the past
    text = present
    scopes = _scopes(text)
    governed: set[int] = set()

    def negated(at: int, by_preventer: bool = True) -> bool:
        """Whether a negator (or, for a problem, a preventer) governs the word at `at`."""
        for n, (_start, end, reach, _, negator) in enumerate(scopes):
            if end <= at <= reach and (negator or by_preventer):
                governed.add(n)
                return True
        return False

    def unscoped(matches: Iterator[re.Match[str]]) -> Iterator[int]:
        """Where the words found stand, leaving out those that are themselves a negator or preventer."""
        for match in matches:
            if not any(start <= match.start() < end for start, end, *_ in scopes):
                yield match.start()

    dealt_with = _BEING_ADDRESSED.search(text) if any(word in text for word in _BEING_ADDRESSED_WORDS) else None
    signs = [
        1 if negated(at) or (dealt_with is not None and at < dealt_with.start()) else -1
        for at in unscoped(PROBLEM.finditer(text))
    ]
    signs += [-1 if negated(at, by_preventer=False) else 1 for at in unscoped(POSITIVE.finditer(text))]
    if any(n not in governed and word in _LONE_NEGATOR for n, (_, _, _, word, _) in enumerate(scopes)):
        signs.append(-1)
    if -1 in signs:
        return -1
    return 1 if 1 in signs else 0


def has_contrast(sentence: str) -> bool:
    """Whether a sentence has a contrast word, so more than one clause (`clauses`): a sentence without one is a
    single clause whose polarity is the sentence's."""
    lowered = sentence.lower()
    return any(word in lowered for word in _CLAUSE_WORDS) and _CLAUSE_MARK.search(lowered) is not None


@lru_cache(maxsize=65536)
def clauses(sentence: str) -> tuple[Clause, ...]:
    """The sentence cut at its contrast words, each clause with its polarity and the main one marked.

    "Although X, Y" and "X, although Y": the clause other than the concession is the main one. "X, but Y":
    Y is. A sentence without a contrast is one main clause.
    """
    lowered = sentence.lower()
    cuts = list(_CLAUSE_MARK.finditer(lowered)) if any(word in lowered for word in _CLAUSE_WORDS) else []
    if not cuts:
        return (Clause(sentence, clause_polarity(sentence), True),)
    pieces: list[tuple[str, str]] = []  # (kind, text): kind "main", "co" or "sub"
    position, kind = 0, "main"
    for cut in cuts:
        if cut.start() > position or position == 0:
            pieces.append((kind, sentence[position : cut.start()]))
        kind = "co" if cut.group("co") else "sub"
        position = cut.end()
    pieces.append((kind, sentence[position:]))
    out: list[tuple[str, str]] = []
    for kind, text in pieces:
        if kind == "sub" and not out or kind == "sub" and not out[-1][1].strip():
            # "Although X, Y": the concession ends at its first comma, the rest is the main clause.
            head, _, rest = text.partition(",")
            out.append(("sub", head))
            if rest.strip():
                out.append(("main", rest))
        else:
            out.append((kind, text))
    out = [(kind, text.strip(" ,;:")) for kind, text in out if text.strip(" ,;:")]
    coordinated = [n for n, (kind, _) in enumerate(out) if kind == "co"]
    main = coordinated[-1] if coordinated else next((n for n, (kind, _) in enumerate(out) if kind == "main"), 0)
    return tuple(Clause(text, clause_polarity(text), n == main) for n, (kind, text) in enumerate(out))


@lru_cache(maxsize=65536)
def sentence_polarity(sentence: str) -> int:
    """+1 praise, -1 criticism, 0 neither: the main clause decides.

    "Although planning has improved, plans are not specific" criticises; "Visits are purposeful, although
    recording is not always timely" praises visits (the comparison still reads each clause on its own, so a
    concern about recording meets the criticism). A main clause that says neither takes the others' sign.
    """
    parts = clauses(sentence)
    main = next(c.polarity for c in parts if c.main)
    if main:
        return main
    signs = {c.polarity for c in parts}
    return -1 if -1 in signs else (1 if 1 in signs else 0)


@lru_cache(maxsize=65536)
def progress(sentence: str) -> int:
    """+1 when the sentence reports a change for the better since the last inspection or now, -1 when a matter
    remains, continues or is not yet done, 0 otherwise; the sentence's polarity says of what."""
    lowered = sentence.lower()
    if _PROGRESS_SAME.search(lowered):
        return -1 if sentence_polarity(sentence) < 0 else 0
    if _PROGRESS_BETTER.search(lowered):
        return 1 if sentence_polarity(sentence) > 0 else 0
    return 0


def polarity_of(kind: str, signs: set[int]) -> str:
    """A finding's polarity from its sentences' signs."""
    if kind == "improvement":
        return "negative"
    if kind == "strength":
        return "positive"
    if 1 in signs and -1 in signs:
        return "mixed"
    if -1 in signs:
        return "negative"
    if 1 in signs:
        return "positive"
    return "neutral"


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    description: str
    group: str
    cues: tuple[str, ...]
    cross_cutting: bool = False  # a quality of any practice (timeliness), not a matter of its own
    # Phrases in which the theme's cues do not count: "private fostering" is not about foster carers.
    not_within: tuple[str, ...] = ()


# A taxonomy file other than the packaged themes.json (to try new cues on a copy of a database,
# and for the test that shows a changed taxonomy reaching an existing database).
THEMES_FILE_ENV = "DATASETTE_OFSTED_THEMES"


def _themes_text() -> str:
    path = os.environ.get(THEMES_FILE_ENV)
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    return resources.files("datasette_ofsted").joinpath("themes.json").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def taxonomy_version() -> str:
    """A digest of the taxonomy and of the code that classifies with it (this module and text.py).

    Stored with a database's findings: when it differs from the running code's, the stored
    sentences, themes and polarities are out of date and ofsted-ingest classifies them again.
    """
    digest = hashlib.sha256(_themes_text().encode("utf-8"))
    for module in ("classify.py", "text.py"):
        digest.update(resources.files("datasette_ofsted").joinpath(module).read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def themes() -> tuple[Theme, ...]:
    data = json.loads(_themes_text())
    return tuple(
        Theme(
            t["id"],
            t["name"],
            t.get("description", ""),
            t.get("group", ""),
            tuple(t.get("cues", [])),
            bool(t.get("cross_cutting")),
            tuple(normalise(p) for p in t.get("not_within", [])),
        )
        for t in data["themes"]
    )


_RUNS = re.compile(r"(\W+)")  # a text as words and what stands between them, alternately


@dataclass(frozen=True)
class _Cue:
    """A cue phrase as the word runs and separators it must match exactly, one after another.

    A cue matches where a word starts; its last word also takes a plural (+s, +es), or any
    ending when the cue ends in '*'.
    """

    theme: str
    parts: tuple[str, ...]  # word, separator, word, ... (always odd in length)
    prefix: bool
    middle: list[str] = field(init=False, compare=False)  # all but the first and last word

    def __post_init__(self) -> None:
        object.__setattr__(self, "middle", list(self.parts[1:-1]))

    def matches(self, parts: list[str], at: int) -> bool:
        last = len(self.parts) - 1
        if at + last >= len(parts) or parts[at + 1 : at + last] != self.middle:
            return False
        word, cue_word = parts[at + last], self.parts[last]
        if self.prefix:
            return word.startswith(cue_word)
        return word == cue_word or word == cue_word + "s" or word == cue_word + "es"


@dataclass(frozen=True)
class _Index:
    """The cues by the words they start with, so that a text is matched mostly by set operations."""

    by_word: dict[str, tuple[_Cue, ...]]  # one-word cues, by each form of the word
    by_prefix: dict[str, tuple[_Cue, ...]]  # one-word cues ending in '*', by their first letters
    prefix_length: int
    by_pair: dict[tuple[str, str], tuple[_Cue, ...]]  # longer cues, by their first two words
    by_first: dict[str, tuple[_Cue, ...]]  # two-word cues ending in '*', by their first word
    pairs: frozenset[tuple[str, str]]  # the keys of by_pair


def _forms(word: str) -> set[str]:
    return {word, word + "s", word + "es"}


@lru_cache(maxsize=1)
def _index() -> _Index:
    by_word: dict[str, list[_Cue]] = {}
    by_prefix: dict[str, list[_Cue]] = {}
    by_pair: dict[tuple[str, str], list[_Cue]] = {}
    by_first: dict[str, list[_Cue]] = {}
    one_word_prefixes: list[_Cue] = []
    for theme in themes():
        for cue in theme.cues:
            folded = normalise(cue)
            prefix = folded.endswith("*")
            parts = tuple(_RUNS.split(folded[:-1] if prefix else folded))
            entry, words = _Cue(theme.id, parts, prefix), parts[0::2]
            if len(words) == 1 and prefix:
                one_word_prefixes.append(entry)
            elif len(words) == 1:
                for form in _forms(words[0]):
                    by_word.setdefault(form, []).append(entry)
            elif len(words) == 2 and prefix:
                by_first.setdefault(words[0], []).append(entry)
            else:
                for form in _forms(words[1]) if len(words) == 2 else {words[1]}:
                    by_pair.setdefault((words[0], form), []).append(entry)
    length = min((len(entry.parts[0]) for entry in one_word_prefixes), default=1)
    for entry in one_word_prefixes:
        by_prefix.setdefault(entry.parts[0][:length], []).append(entry)

    def frozen(index: dict) -> dict:
        return {key: tuple(cues) for key, cues in index.items()}

    return _Index(frozen(by_word), frozen(by_prefix), length, frozen(by_pair), frozen(by_first), frozenset(by_pair))


class _OneWordThemes(dict):
    """The themes of the one-word cues a word matches, worked out once per word of the vocabulary."""

    def __missing__(self, word: str) -> frozenset[str]:
        index = _index()
        found = {cue.theme for cue in index.by_word.get(word, ())}
        found.update(
            cue.theme for cue in index.by_prefix.get(word[: index.prefix_length], ()) if word.startswith(cue.parts[0])
        )
        if len(self) > 200_000:
            self.clear()
        self[word] = frozenset(found)
        return self[word]


_ONE_WORD_THEMES = _OneWordThemes()


def _places(parts: list[str], first: str, second: str | None):
    """Where a word (followed by a second, if given) stands in a text split into words and separators."""
    at = -2
    while True:
        try:
            at = parts.index(first, at + 2)
        except ValueError:
            return
        if second is None or at + 2 < len(parts) and parts[at + 2] == second:
            yield at


@lru_cache(maxsize=1)
def _exclusions() -> dict[str, tuple[str, ...]]:
    return {theme.id: theme.not_within for theme in themes() if theme.not_within}


def _cue_themes(folded: str) -> set[str]:
    """Themes whose cues occur in a normalised text, except cues only inside a theme's excluded phrases."""
    found = _cue_themes_raw(folded)
    for theme, phrases in _exclusions().items():
        if theme in found and any(p in folded for p in phrases):
            blanked = folded
            for p in phrases:
                blanked = blanked.replace(p, " ")
            if theme not in _cue_themes_raw(blanked):
                found.discard(theme)
    return found


def _cue_themes_raw(folded: str) -> set[str]:
    """Themes whose cues occur in a normalised text.

    One-word cues through a per-word cache; a longer cue is confirmed, separators and all,
    only where the text has its first two words (or, for two words ending in '*', its first).
    """
    index = _index()
    parts = _RUNS.split(folded)  # word, separator, word, ...: words at the even places
    words = parts[0::2]
    distinct = set(words)
    found: set[str] = set().union(*map(_ONE_WORD_THEMES.__getitem__, distinct))
    candidates: list[tuple[tuple[str, str | None], tuple[_Cue, ...]]]
    candidates = [(pair, index.by_pair[pair]) for pair in index.pairs.intersection(zip(words, words[1:]))]
    candidates += [((first, None), index.by_first[first]) for first in index.by_first.keys() & distinct]
    for (first, second), cues in candidates:
        for at in _places(parts, first, second):
            for cue in cues:
                if cue.theme not in found and cue.matches(parts, at):
                    found.add(cue.theme)
    return found


# The themes of the National Framework's tags ("(Outcome 1)") start so: they cut across every practice theme, so the
# pages that rank themes leave them out (is_national_framework).
NATIONAL_FRAMEWORK_PREFIX = "nf-"


def is_national_framework(theme_id: str) -> bool:
    return theme_id.startswith(NATIONAL_FRAMEWORK_PREFIX)


_NF_THEME = {
    "Outcome 1": "nf-outcome-1",
    "Outcome 2": "nf-outcome-2",
    "Outcome 3": "nf-outcome-3",
    "Outcome 4": "nf-outcome-4",
    "Enabler 1": "nf-enabler-1",
    "Enabler 2": "nf-enabler-2",
    "Enabler 3": "nf-enabler-3",
}


@lru_cache(maxsize=1)
def _theme_order() -> dict[str, int]:
    return {theme.id: n for n, theme in enumerate(themes())}


# A National Framework tag after an item, "(Outcome 1, national framework)" or in square brackets: the one pattern the
# reader takes its tags with (ingest/parse.py) and the classifier cuts them from the item's sentences with.
NATIONAL_FRAMEWORK_TAG = re.compile(r"[(\[]([^()\[\]]*national framework[^()\[\]]*)[)\]]", re.I)


def sentence_features(text: str, kind: str, national_framework: list[str] | tuple[str, ...] = ()) -> list[dict]:
    """Each sentence of a finding with what the comparison needs: polarity, themes, stems.

    Computed once at ingest (in the worker processes) and stored in `finding_sentences`, so
    that a comparison reads them instead of classifying again. Every sentence of a formal
    improvement is a weakness; its National Framework tags are themes of each sentence.
    """
    tags = [_NF_THEME[t] for t in national_framework if t in _NF_THEME] if kind == "improvement" else []
    order = _theme_order()
    out = []
    for sentence in sentences(NATIONAL_FRAMEWORK_TAG.sub("", text)):
        folded = normalise(sentence)
        stems = stems_of_normalised(folded)
        if not stems:
            continue
        out.append(
            {
                "text": sentence,
                "polarity": -1 if kind == "improvement" else sentence_polarity(sentence),
                "themes": sorted(_cue_themes(folded), key=order.__getitem__) + tags,
                "stems": stems,
            }
        )
    return out


def finding_themes(sentence_features: list[dict], national_framework: list[str] | tuple[str, ...] = ()) -> list[str]:
    """A finding's themes: those of its sentences, in taxonomy order, and its National Framework tags."""
    found = {t for sentence in sentence_features for t in sentence["themes"]}
    found.update(_NF_THEME[tag] for tag in national_framework if tag in _NF_THEME)
    return [theme.id for theme in themes() if theme.id in found]


def classify_findings(findings) -> None:
    """Set each parsed finding's polarity, sentences and themes (in place): the classify step."""
    for finding in findings:
        finding.sentences = sentence_features(finding.text, finding.kind, finding.national_framework)
        finding.polarity = polarity_of(finding.kind, {s["polarity"] for s in finding.sentences})
        finding.themes = finding_themes(finding.sentences, finding.national_framework)


@lru_cache(maxsize=1)
def cross_cutting_themes() -> frozenset[str]:
    return frozenset(t.id for t in themes() if t.cross_cutting)
