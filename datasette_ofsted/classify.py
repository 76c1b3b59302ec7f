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
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .text import normalise, sentences, stems_of_normalised

NEGATIVE = re.compile(
    r"\b(?:not|no longer|lack(?:s|ing)?|insufficient(?:ly)?|inconsistent(?:ly)?|variable|weak(?:ness|nesses)?|poor(?:er|ly)?|"
    r"delay(?:s|ed)?|drift|too (?:long|many|much|slow|few|late)|fail(?:s|ed|ure|ures)?|limited|gaps?|"
    r"inadequate|requires? improvement|needs? to (?:improve|be|ensure)|ineffective|shortfalls?|"
    r"concerns?|deficit|deteriorat\w*|unclear|vague|missed|remains? (?:a )?(?:challenge|an area)|"
    r"less (?:effective|robust|consistent)|does not|do not|did not|cannot|isn't|aren't|unable|"
    r"variab(?:le|ility)|absence of|rarely|overly|fragmented|not yet|slow(?:er)?|worse|backlog|high turnover|"
    r"ongoing area for development|area for development|still to|yet to be|var(?:y|ies|ied)|generic|rather than|"
    r"weaker|too (?:adult|narrow|broad|focused|variable|reliant)\w*|only (?:just|recently|partially)|partial(?:ly)?|"
    r"over-reliance|reliance on|not routinely|requires further|further (?:work|development|improvement) (?:is|are)? ?(?:needed|required))\b"
)
POSITIVE = re.compile(
    r"\b(?:effective(?:ly)?|good|strong(?:ly)?|well|timely|robust|thorough(?:ly)?|improv(?:ed|ing|ement has)|"
    r"clear(?:ly)?|appropriate(?:ly)?|benefit(?:s|ing)?|outstanding|high[- ]quality|successful(?:ly)?|"
    r"positive(?:ly)?|comprehensive|proactive|prompt(?:ly)?|swift(?:ly)?|embedded|established|sensitive(?:ly)?|"
    r"skilled|stable|manageable|consistent(?:ly)?|responsive|impressive|excellent|valued|progress(?:ed)? (?:has|have)? ?been made|"
    r"now|strengthened|better|help(?:ed|s)|encouraged|supported|supportive|aspirational|informs?|"
    r"purposeful|child[- ]centred|meaningful|strength)\b"
)
# Words that flip a positive word: "not effective", "not always timely".
_NEGATED_POSITIVE = re.compile(
    r"\b(?:not|never|no|less|insufficiently|in)(?:\s+(?:always|consistently|yet|sufficiently|fully|routinely|all|as|so|been|being|been))*\s+\w*\s*$"
)
_CONTRAST = re.compile(r"\s*(?:however|although|but|despite)\b")
# The lexicons are matched in lower case, without re.I: five times faster on these texts.


@lru_cache(maxsize=65536)
def sentence_polarity(sentence: str) -> int:
    """+1 praise, -1 criticism, 0 neither.

    Any criticism makes the sentence a weakness, even beside praise ("largely effective,
    but not consistently"): Ofsted raises a concern again "even partly". So the first
    critical word decides, and praise is looked for only in a sentence without one.
    """
    lowered = sentence.lower()
    if NEGATIVE.search(lowered) or _CONTRAST.match(lowered):
        return -1
    positive = False
    for match in POSITIVE.finditer(lowered):
        if _NEGATED_POSITIVE.search(lowered[max(0, match.start() - 40) : match.start()]):
            return -1  # "not effective", "not always timely"
        positive = True
    return 1 if positive else 0


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
    one_word_prefixes = []
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
    length = min((len(cue.parts[0]) for cue in one_word_prefixes), default=1)
    for cue in one_word_prefixes:
        by_prefix.setdefault(cue.parts[0][:length], []).append(cue)

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


def _cue_themes(folded: str) -> set[str]:
    """Themes whose cues occur in a normalised text.

    One-word cues through a per-word cache; a longer cue is confirmed, separators and all,
    only where the text has its first two words (or, for two words ending in '*', its first).
    """
    index = _index()
    parts = _RUNS.split(folded)  # word, separator, word, ...: words at the even places
    words = parts[0::2]
    distinct = set(words)
    found: set[str] = set().union(*map(_ONE_WORD_THEMES.__getitem__, distinct))
    candidates = [(pair, index.by_pair[pair]) for pair in index.pairs.intersection(zip(words, words[1:]))]
    candidates += [((first, None), index.by_first[first]) for first in index.by_first.keys() & distinct]
    for (first, second), cues in candidates:
        for at in _places(parts, first, second):
            for cue in cues:
                if cue.theme not in found and cue.matches(parts, at):
                    found.add(cue.theme)
    return found


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


_NF_TAG = re.compile(r"\([^()]*national framework[^()]*\)", re.I)


def sentence_features(text: str, kind: str, national_framework: list[str] | tuple[str, ...] = ()) -> list[dict]:
    """Each sentence of a finding with what the comparison needs: polarity, themes, stems.

    Computed once at ingest (in the worker processes) and stored in `finding_sentences`, so
    that a comparison reads them instead of classifying again. Every sentence of a formal
    improvement is a weakness; its National Framework tags are themes of each sentence.
    """
    tags = [_NF_THEME[t] for t in national_framework if t in _NF_THEME] if kind == "improvement" else []
    order = _theme_order()
    out = []
    for sentence in sentences(_NF_TAG.sub("", text)):
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
