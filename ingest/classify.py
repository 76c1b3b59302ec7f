"""Polarity and practice themes of a finding.

Polarity is read sentence by sentence from the words inspectors use to praise or
criticise ("effective", "timely" against "delay", "not consistently"): a paragraph with
both is mixed. Themes come from the curated taxonomy in themes.json by cue phrases.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .text import normalise, sentences

NEGATIVE = re.compile(
    r"\b(?:not|no longer|lack(?:s|ing)?|insufficient(?:ly)?|inconsistent(?:ly)?|variable|weak(?:ness|nesses)?|poor(?:er|ly)?|"
    r"delay(?:s|ed)?|drift|too (?:long|many|much|slow|few|late)|fail(?:s|ed|ure|ures)?|limited|gaps?|"
    r"inadequate|requires? improvement|needs? to (?:improve|be|ensure)|ineffective|shortfalls?|"
    r"concerns?|deficit|deteriorat\w*|unclear|vague|missed|remains? (?:a )?(?:challenge|an area)|"
    r"less (?:effective|robust|consistent)|does not|do not|did not|cannot|isn't|aren't|unable|"
    r"variab(?:le|ility)|absence of|rarely|overly|fragmented|not yet|slow(?:er)?|worse|backlog|high turnover|"
    r"ongoing area for development|area for development|still to|yet to be|var(?:y|ies|ied)|generic|rather than|"
    r"weaker|too (?:adult|narrow|broad|focused|variable|reliant)\w*|only (?:just|recently|partially)|partial(?:ly)?|"
    r"over-reliance|reliance on|not routinely|requires further|further (?:work|development|improvement) (?:is|are)? ?(?:needed|required))\b",
    re.I,
)
POSITIVE = re.compile(
    r"\b(?:effective(?:ly)?|good|strong(?:ly)?|well|timely|robust|thorough(?:ly)?|improv(?:ed|ing|ement has)|"
    r"clear(?:ly)?|appropriate(?:ly)?|benefit(?:s|ing)?|outstanding|high[- ]quality|successful(?:ly)?|"
    r"positive(?:ly)?|comprehensive|proactive|prompt(?:ly)?|swift(?:ly)?|embedded|established|sensitive(?:ly)?|"
    r"skilled|stable|manageable|consistent(?:ly)?|responsive|impressive|excellent|valued|progress(?:ed)? (?:has|have)? ?been made|"
    r"now|strengthened|better|help(?:ed|s)|encouraged|supported|supportive|aspirational|informs?|"
    r"purposeful|child[- ]centred|meaningful|strength)\b",
    re.I,
)
# Words that flip a positive word: "not effective", "not always timely".
_NEGATED_POSITIVE = re.compile(
    r"\b(?:not|never|no|less|insufficiently|in)(?:\s+(?:always|consistently|yet|sufficiently|fully|routinely|all|as|so|been|being|been))*\s+\w*\s*$",
    re.I,
)


@lru_cache(maxsize=65536)
def sentence_polarity(sentence: str) -> int:
    """+1 praise, -1 criticism, 0 neither or both in balance."""
    negative = len(NEGATIVE.findall(sentence))
    positive = 0
    for match in POSITIVE.finditer(sentence):
        before = sentence[max(0, match.start() - 40) : match.start()]
        if _NEGATED_POSITIVE.search(before):
            negative += 1
        else:
            positive += 1
    if re.match(r"^\s*(?:however|although|but|despite)\b", sentence, re.I):
        negative += 1
    # Any criticism makes the sentence a weakness, even beside praise ("largely effective,
    # but not consistently"): Ofsted raises a concern again "even partly".
    if negative:
        return -1
    return 1 if positive else 0


def polarity(text: str, kind: str) -> str:
    """positive, negative, mixed or neutral. A formal improvement is a weakness by definition."""
    if kind == "improvement":
        return "negative"
    if kind == "strength":
        return "positive"
    signs = {sentence_polarity(s) for s in sentences(text)}
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


@lru_cache(maxsize=1)
def themes() -> tuple[Theme, ...]:
    data = json.loads(resources.files("ingest").joinpath("themes.json").read_text(encoding="utf-8"))
    return tuple(
        Theme(t["id"], t["name"], t.get("description", ""), t.get("group", ""), tuple(t.get("cues", [])))
        for t in data["themes"]
    )


def _cue_regex(cue: str) -> str:
    cue = normalise(cue)
    if cue.endswith("*"):
        return r"\b" + re.escape(cue[:-1]) + r"\w*"
    return r"\b" + re.escape(cue) + r"(?:s|es)?\b"


@dataclass(frozen=True)
class _Index:
    """Each theme's cue regex, and which themes a word can start a cue of: most texts need few regexes."""

    patterns: dict[str, re.Pattern]
    by_word: dict[str, frozenset[str]]
    by_prefix: dict[str, frozenset[str]]
    prefix_lengths: tuple[int, ...]


@lru_cache(maxsize=1)
def _index() -> _Index:
    patterns, by_word, by_prefix = {}, {}, {}
    for theme in themes():
        if not theme.cues:
            continue
        patterns[theme.id] = re.compile("|".join(_cue_regex(c) for c in theme.cues))
        for cue in theme.cues:
            first = re.split(r"[\s\-/]", normalise(cue))[0].strip(",.;:'")
            if first.endswith("*"):
                by_prefix.setdefault(first[:-1], set()).add(theme.id)
            else:
                for form in (first, first + "s", first + "es"):
                    by_word.setdefault(form, set()).add(theme.id)
    return _Index(
        patterns,
        {w: frozenset(t) for w, t in by_word.items()},
        {p: frozenset(t) for p, t in by_prefix.items()},
        tuple(sorted({len(p) for p in by_prefix})),
    )


_TOKEN = re.compile(r"[a-z0-9.']+")  # keeps "s.47" whole
_WORD_TOKEN = re.compile(r"[a-z0-9]+")  # splits "60.participation" and "post-care"


@lru_cache(maxsize=65536)
def _cue_themes(text: str) -> frozenset[str]:
    """Themes whose cues occur in the text."""
    index = _index()
    folded = normalise(text)
    tokens = set(_TOKEN.findall(folded)) | set(_WORD_TOKEN.findall(folded))
    tokens |= {t.strip(".'") for t in tokens}
    candidates: set[str] = set()
    for token in tokens:
        candidates |= index.by_word.get(token, frozenset())
        for length in index.prefix_lengths:
            if len(token) >= length:
                candidates |= index.by_prefix.get(token[:length], frozenset())
    return frozenset(t for t in candidates if index.patterns[t].search(folded))


_NF_THEME = {
    "Outcome 1": "nf-outcome-1",
    "Outcome 2": "nf-outcome-2",
    "Outcome 3": "nf-outcome-3",
    "Outcome 4": "nf-outcome-4",
    "Enabler 1": "nf-enabler-1",
    "Enabler 2": "nf-enabler-2",
    "Enabler 3": "nf-enabler-3",
}


def theme_ids(text: str, national_framework: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The practice themes a text speaks of, in taxonomy order, plus its National Framework tags."""
    cued = _cue_themes(text)
    found = [theme.id for theme in themes() if theme.id in cued]
    found += [_NF_THEME[tag] for tag in national_framework if tag in _NF_THEME and _NF_THEME[tag] not in found]
    return found
