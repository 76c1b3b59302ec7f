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

from .text import STOPWORDS, content_stems, normalise, sentences

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
    return polarity_of(kind, {sentence_polarity(s) for s in sentences(text)})


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


@lru_cache(maxsize=1)
def themes() -> tuple[Theme, ...]:
    data = json.loads(resources.files("ingest").joinpath("themes.json").read_text(encoding="utf-8"))
    return tuple(
        Theme(t["id"], t["name"], t.get("description", ""), t.get("group", ""), tuple(t.get("cues", [])),
              bool(t.get("cross_cutting")))
        for t in data["themes"]
    )


_WHOLE, _PREFIX = "\x00", "\x01"  # how a cue ends: a whole word (with plural) or any ending


def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern:
    """One regex for a theme's cues, factored as a trie so that a position fails on its first letter.

    A cue matches at a word boundary, its last word also with a plural (+s, +es); a cue
    ending in '*' matches any ending of its last word.
    """
    trie: dict = {}
    for cue in cues:
        cue = normalise(cue)
        node = trie
        for char in cue[:-1] + _PREFIX if cue.endswith("*") else cue + _WHOLE:
            node = node.setdefault(char, {})

    def build(node: dict) -> str:
        branches = []
        for char, child in sorted(node.items()):
            if char == _WHOLE:
                branches.append(r"(?:s|es)?\b")
            elif char == _PREFIX:
                branches.append(r"\w*")
            else:
                branches.append(re.escape(char) + build(child))
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return re.compile(r"\b" + build(trie))


@dataclass(frozen=True)
class _Index:
    """Each theme's cue regex, and which themes a word can start a cue of: most texts need few regexes."""

    patterns: dict[str, re.Pattern]
    by_word: dict[str, frozenset[str]]
    by_prefix: dict[str, frozenset[str]]
    prefix_lengths: tuple[int, ...]


# Words in most paragraphs of these reports: a poor anchor for finding a cue (speed only:
# every candidate is still confirmed by its theme's regex).
_PROSE = frozenset(
    "care plan plans planning assessment assessments review reviews management manager managers services support "
    "supported safeguarding protection information arrangements meeting meetings agency agencies independent "
    "education health needs risk risks".split()
)


def _is_common(word: str) -> bool:
    base = word[:-2] if word.endswith("'s") else word
    return len(base) < 3 or base in STOPWORDS or base in _PROSE


@lru_cache(maxsize=1)
def _index() -> _Index:
    patterns, by_word, by_prefix = {}, {}, {}
    for theme in themes():
        if not theme.cues:
            continue
        patterns[theme.id] = _cue_pattern(theme.cues)
        for cue in theme.cues:
            # Index each cue by its rarest-looking word (the longest that is not a common
            # word), so that "the front door" is looked for only in texts that say "front".
            words = [w.strip(",.;:'()") for w in re.split(r"[\s\-/]", normalise(cue))]
            words = [w for w in words if w]
            common = {w for w in words if _is_common(w.rstrip("*"))}
            anchor = max((w for w in words if w not in common), key=lambda w: (not w.endswith("*"), len(w)),
                         default=max(words, key=len))
            if anchor.endswith("*"):
                by_prefix.setdefault(anchor[:-1], set()).add(theme.id)
            elif anchor == words[-1]:
                for form in (anchor, anchor + "s", anchor + "es"):
                    by_word.setdefault(form, set()).add(theme.id)
            else:
                by_word.setdefault(anchor, set()).add(theme.id)
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


@lru_cache(maxsize=1)
def _theme_order() -> dict[str, int]:
    return {theme.id: n for n, theme in enumerate(themes())}


def theme_ids(text: str, national_framework: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The practice themes a text speaks of, in taxonomy order, plus its National Framework tags."""
    found = sorted(_cue_themes(text), key=_theme_order().__getitem__)
    found += [_NF_THEME[tag] for tag in national_framework if tag in _NF_THEME and _NF_THEME[tag] not in found]
    return found


_NF_TAG = re.compile(r"\([^()]*national framework[^()]*\)", re.I)


def sentence_features(text: str, kind: str, national_framework: list[str] | tuple[str, ...] = ()) -> list[dict]:
    """Each sentence of a finding with what the comparison needs: polarity, themes, stems.

    Computed once at ingest (in the worker processes) and stored in `finding_sentences`, so
    that a comparison reads them instead of classifying again. Every sentence of a formal
    improvement is a weakness; its National Framework tags are themes of each sentence.
    """
    text = _NF_TAG.sub("", text)
    patterns = _index().patterns
    in_paragraph = [t for t in theme_ids(text) if t in patterns]  # a sentence can only have these
    tags = [_NF_THEME[t] for t in national_framework if t in _NF_THEME] if kind == "improvement" else []
    out = []
    for sentence in sentences(text):
        stems = content_stems(sentence)
        if not stems:
            continue
        folded = normalise(sentence)
        out.append(
            {
                "text": sentence,
                "polarity": -1 if kind == "improvement" else sentence_polarity(sentence),
                "themes": [t for t in in_paragraph if patterns[t].search(folded)] + tags,
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
