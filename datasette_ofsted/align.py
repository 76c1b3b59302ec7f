"""Align the findings of two inspections and mark each improvement.

A pure module: findings in, rows out. The view, the ingester (issue_links) and the
evaluation against the gold alignments all call `compare`.

The method, and why:
- An improvement is read part by part: "the quality of practice, including assessments,
  plans and pre-proceedings" names several matters, and by the gold rule it recurs when
  any of them is raised again. Each part is compared on its own (with the words that
  introduce the list), so one part is not diluted by the others.
- Similarity is TF-IDF over stemmed content words and word pairs, computed over the two
  reports' sentences, so words every sentence uses weigh little. A sentence decides only
  when it shares enough of a part's specific words (coverage): a shared population
  ("care leavers") or one common word ("visits") is not the same matter.
- Practice themes (themes.json) help: they add to the score of a sentence that already
  shares specific words, and a sentence that shares only a theme is shown as further
  evidence, but a theme never decides a status on its own (a focused visit's silence on a
  matter is not its resolution).
- The polarity of the clause of each matching sentence that speaks of the part gives its
  stance: "visits are purposeful, although recording is not timely" praises visits and
  criticises recording. A list item of what must improve criticises by its kind.
- The status is decided from all the evidence on the matter, not a single sentence over a
  bar: a fitted model (decision.py) reads the strongest criticism and praise and each summed
  over the best candidates (agreeing sentences add up), and the best link to the other
  report's list. Two list items on one matter make one `recurring` row when the decision,
  read on both, makes them recurring together.

The weights are fitted by benchmarks/fit_calibration.py and scored leave-one-authority-out
by `python -m ingest.evaluate`; every rule is a switch in `Calibration.disabled`, and
benchmarks/ablation.py shows what each one gains per authority.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any, TypedDict

from .check import CheckInput, Verdict, judge, read_variants
from .classify import (
    clause_themes,
    clauses,
    cross_cutting_themes,
    has_contrast,
    is_national_framework,
    sentence_features,
)
from .decision import Model, shipped_model
from .status import STATUSES, Status
from .text import normalise, stem, stem_of_word, stems_of_normalised, words

STANCES = {-1: "criticises", 1: "praises", 0: "neutral"}


class Finding(TypedDict, total=False):
    """The engine's input: one finding of a report (findings.py reads it from SQLite)."""

    id: Any
    kind: str  # "improvement", "strength", "finding", ...
    polarity: str
    text: str
    section: str
    themes: list[str]
    about: str  # "authority" (default) or e.g. "LSCB": only the authority's findings are compared
    sentences: list[dict]  # classified at ingest: text, polarity, themes, stems
    grade: str  # the judgement of the finding's section ("good"), when the report grades it (section_grade)


# The engine's output: one row of the comparison (plain JSON). "from" and "to" hold the improvements of each
# report and the other report's evidence, each a finding's own fields plus role, score, sentence, matched_stems,
# matched_words and stance ("criticises", "praises", "neutral").
Row = TypedDict(
    "Row",
    {
        "status": str,
        "score": float,
        "themes": list[str],
        "confidence": float,  # 0..1: how clearly the evidence decides the status
        "needs_review": bool,  # the evidence is mixed or weak: a reader should check this row
        "why": dict,  # the deciding sentence, its polarity and matched words, the part, the linked list item
        "linked_item": "str | None",  # the other report's list item that makes the row recurring
        "from": list[dict],
        "to": list[dict],
    },
)


# The engine's rules, each of which `Calibration.disabled` can switch off (benchmarks/ablation.py scores the
# engine without each in turn, leave-one-authority-out, per authority: a rule stays only where it pays).
RULES = {
    "parts": "an improvement is also read part by part (its list's elements)",
    "part_meaning": "a part keeps its meaning: a short element takes back the head or qualifier it shares, and an "
    "element naming only who the item is for or who does the work is not a part",
    "population": "who an item is for (children in care, care leavers) is not its matter",
    "different_kind": "a plan or assessment of another kind (child in need plan, health assessment) is another matter",
    "min_coverage": "a deciding sentence shares some of the part's specific words, not only a theme",
    "themes": "practice themes add to the score of a sentence that shares words",
    "clauses": "the clause that speaks of the matter gives the stance, not the sentence's main clause",
    "same_matter": "two list items are one matter only when they share a specific word of each (not only a generic "
    "head, aspect or actor: plans, quality, managers)",
    "solid_link": "two list items are linked only through a solid sentence: two words of the matter, one specific",
    "section_grade": "a plain statement (no stance) in a section the report grades good or better reads as praise",
}
# The features of the fitted decision (decision.FEATURES) that can be switched off the same way: the fit then
# goes without them (they read 0).
FEATURE_SWITCHES = {
    "sums": "agreeing sentences add up (criticism and praise summed over the best candidates)",
    "link": "the best link to an item of the other report's list on the same matter",
    "solid": "the strongest and summed criticism and praise again over the sentences that share two words of the "
    "matter, one specific (not a single shared head noun)",
}

# A section's grade is a prior on its plain statements: "X is understood" under a heading graded good is the
# report saying X is in hand. (Plain statements in graded sections summed as features of their own, one per
# leaning of the grade, did not pay leave-one-authority-out: benchmarks/README.md.)
_PRAISING_GRADES = frozenset({"good", "outstanding"})


def section_grade(section: str | None, judgements: list[tuple[str, str]]) -> str | None:
    """The grade of the judgement a section reports on: the judged area whose name the section's heading starts
    with ("The experiences and progress of care leavers: good" is the area "The experiences and progress of care
    leavers"), the longest such name; None when no judgement is of this section."""
    heading = normalise(section or "")
    best: tuple[int, str] | None = None
    for area, grade in judgements:
        name = normalise(area)
        if name and heading.startswith(name) and (best is None or len(name) > best[0]):
            best = (len(name), grade)
    return best[1] if best else None


@dataclass(frozen=True)
class Calibration:
    """The constants of the evidence. What decides a status is the fitted model (decision.py)."""

    theme_weight: float = 0.45  # added for the share of a part's themes a sentence speaks of
    coverage_weight: float = 0.0  # added for the share of a part's specific words the sentence uses
    min_coverage: float = 0.05  # the share of a part's specific words (by idf) a deciding sentence must share
    show: float = 0.22  # the least score for evidence to be listed
    min_shared: float = 0.05  # the least word overlap (cosine) before themes count
    # Rules (RULES) and features (FEATURE_SWITCHES) switched off: for the ablation, never in the product.
    disabled: frozenset[str] = frozenset()

    def on(self, rule: str) -> bool:
        return rule not in self.disabled


DEFAULT_CALIBRATION = Calibration()
EVIDENCE_PER_SIDE = 4
CANDIDATES = 24  # per improvement, the other report's sentences kept as candidates (the right evidence is among the first four for 88% of issues)

# Where an improvement names several matters: "including", "particularly", "such as", "as well as", ";".
_PART_MARK = re.compile(r"\b(?:including|particularly|in particular|such as|as well as|especially|notably)\b|;", re.I)
_SHORT_PART = 3  # content words: fewer, and a part after "including" keeps the words it qualifies
# A list's commas and "and"/"or"; not a comma before a clause that qualifies the item ("..., which is recorded").
_LIST_MARK = re.compile(
    r",(?!\s*(?:which|who|whose|so|resulting|that|where|when|to|in|with|for|because|as|by)\b)\s*(?:and |or )?"
    r"|\s+(?:and|or)\s+",
    re.I,
)


# Words that name an aspect of practice, not a matter: "the quality and impact of supervision" lists aspects of
# one matter, so an element made only of them is not a part of its own.
_ASPECTS = frozenset(
    stem(w)
    for w in """quality impact effectiveness timeliness consistency pace availability range use rigour robustness
    extent level progress application understanding""".split()
)


# Generic heads: words that name a kind of work every service does ("plans", "assessments", "visits", "oversight"),
# mapped to the theme the bare word stands for (None when the bare word has none). A shared generic head says
# little: a "pathway plan" and a "child in need plan" are different matters. Who does the work ("managers",
# "leaders") is not the matter either, as who it is for is not (_POPULATION).
_GENERIC_HEADS: dict[str, str | None] = {
    stem(word): theme
    for word, theme in (
        ("plans", "planning"),
        ("assessments", "assessments"),
        ("visits", "visits"),
        ("reviews", None),
        ("meetings", None),
        ("interviews", None),
        ("conferences", None),
        ("records", "recording"),
        ("oversight", "management-oversight"),
        ("audits", "quality-assurance"),
        ("checks", None),
    )
}
_GENERIC_THEMES = frozenset(t for t in _GENERIC_HEADS.values() if t)
_ACTORS = frozenset(stem(w) for w in "management managers leaders senior staff practitioners professionals".split())
# Words that alone do not make two sentences speak of one matter: generic heads, aspects and actors.
_GENERIC = frozenset(_GENERIC_HEADS) | _ASPECTS | _ACTORS


def _names_a_matter(element: str) -> bool:
    return bool(set(stems_of_normalised(normalise(element))) - _ASPECTS)


# The word that starts what qualifies a list's element: "confidence *between* the courts", "plans *for* children".
_QUALIFIER = re.compile(r"\b(?:of|for|to|between|with|in|by|from|on|about|within|across|when|where)\b", re.I)


def _names_own_matter(element: str) -> bool:
    """Whether an element names a matter beyond who it is for, who does the work and aspects: "care leavers" and
    "managers" do not, "the consistency of practitioners" does (an aspect of the people is a matter)."""
    stems = frozenset(stems_of_normalised(_POPULATION.sub(" ", normalise(element))))
    rest = stems - _ASPECTS
    return bool(rest - _ACTORS) or bool(rest and stems & _ASPECTS)


def _shared_head(previous: str) -> str:
    """A qualified element up to its last qualifier word before who it is for: "the quality of written plans for"
    in "the quality of written plans for children in need"."""
    population = _POPULATION.search(normalise(previous))
    cut = previous
    if population is not None:
        # normalise keeps the text's length for plain words; fall back to the whole element when it does not.
        cut = previous[: population.start()] if len(normalise(previous)) == len(previous) else previous
    found = _QUALIFIER_END.match(cut) or _QUALIFIER_END.match(previous)
    return found.group(1) if found else previous


def _with_qualifiers(elements: list[str]) -> list[str]:
    """A list's elements with the words they share put back: in "the sufficiency and stability of the workforce"
    the head "the sufficiency" takes the qualifier of the element after it ("... of the workforce"); in "plans for
    children in need, children in care and care leavers" the objects "children in care" take the head of the
    element before them ("plans for ..."). Only an element that cannot name a matter alone (too short, or only
    who the item is for) is completed."""

    def alone(element: str) -> bool:
        return _names_own_matter(element) and bool(_QUALIFIER.search(element) or len(stems_of_normalised(normalise(element))) >= _SHORT_PART)

    out = []
    for n, element in enumerate(elements):
        if alone(element):
            out.append(element)
            continue
        previous = elements[n - 1] if n else ""
        before = _shared_head(previous) if previous and alone(previous) and _QUALIFIER.search(previous) else None
        after = next((_QUALIFIER.search(e) for e in elements[n + 1 :] if alone(e) and _QUALIFIER.search(e)), None)
        if before is not None:
            out.append(f"{before} {element}")  # an object after a qualified element: "... for" + it
        elif after is not None:
            out.append(f"{element} {after.string[after.start():]}")  # a head before one: it + "of ..."
        else:
            out.append(element)
    return out


# A qualified element up to and including its last qualifier word: the head an object after it shares.
_QUALIFIER_END = re.compile(r"(.*\b(?:of|for|to|between|with|in|by|from|on|about|within|across))\b", re.I | re.S)


def parts(sentence: str, keep_meaning: bool = True) -> list[str]:
    """The matters an improvement's sentence names: itself, then each element of its lists.

    "The quality of practice, including assessments, plans and pre-proceedings" gives the whole, "The quality
    of practice", and "quality of practice assessments", "... plans", "... pre-proceedings": an element after
    "including" (or "such as", ...) too short to name a matter alone keeps the words it qualifies. With
    `keep_meaning` (the rule "part_meaning"), a short element of the main list takes back the head or the
    qualifier it shares with its neighbours (`_with_qualifiers`), and an element that names only who the item is
    for or who does the work ("care leavers", "managers") is not a part: it would decide against any sentence
    about that group.
    """
    pieces = _PART_MARK.split(sentence)
    head = [e.strip() for e in _LIST_MARK.split(pieces[0]) if e.strip()]
    found = [sentence]
    if len(head) > 1:
        elements = _with_qualifiers(head) if keep_meaning else head
        found.extend(e for e in elements if _names_a_matter(e))
    context = head[-1] if head else ""
    for piece in pieces[1:]:
        for element in (e.strip() for e in _LIST_MARK.split(piece)):
            if _names_a_matter(element):
                short = len(stems_of_normalised(normalise(element))) < _SHORT_PART
                found.append(f"{context} {element}" if short else element)
    if keep_meaning:
        found = found[:1] + [part for part in found[1:] if _names_own_matter(part)]
    return found


@dataclass
class Unit:
    """A sentence of a finding (or a part of an improvement's sentence) with what is needed to compare it."""

    finding: int  # index into the side's findings
    text: str  # the sentence
    polarity: int
    themes: frozenset[str]
    features: Counter = field(default_factory=Counter)
    stems: frozenset[str] = frozenset()
    is_concern: bool = False  # a part of an improvement: it queries the other report
    norm: float = 1.0  # of its TF-IDF vector
    vector: dict[str, float] = field(default_factory=dict)  # normalised; kept for concerns only
    part: str = ""  # for a concern, the part of the sentence it stands for
    matter: frozenset[str] = frozenset()  # for a concern, its stems without the population it is for
    matter_weight: float = 0.0  # for a concern, the idf of its matter
    practice_themes: frozenset[str] = frozenset()  # for a concern, its themes without National Framework tags
    specific: frozenset[str] = frozenset()  # for a concern, its matter without generic words (_GENERIC)
    graded_good: bool = False  # in a section the report grades good or outstanding


# A report's sentences, a few times over: a consecutive pair shares one report with the next (ingest compares an
# authority's inspections in order), and a Counter of a sentence's features is about a kilobyte.
@lru_cache(maxsize=8192)
def _features_of(stems: tuple[str, ...]) -> Counter:
    # A word pair is the tuple of its stems: no string to build, and never equal to a single stem.
    features: tuple[str | tuple[str, str], ...] = stems + tuple(zip(stems, stems[1:]))
    return Counter(features)


def _features(stems: list[str]) -> Counter:
    """A sentence's stems and word pairs, counted. Worked out once per wording (a report's sentences meet each
    other report of the authority): the Counter is shared, and read only."""
    return _features_of(tuple(stems))


def _weight(count: int, idf: float) -> float:
    """TF-IDF of a feature that occurs `count` times in a sentence (a feature once weighs its idf)."""
    return (1 + math.log(count)) * idf if count > 1 else idf


def _units(findings: list[dict], cal: Calibration = DEFAULT_CALIBRATION) -> list[Unit]:
    """Every sentence of every finding of the authority (an LSCB's are not the authority's); an improvement's
    sentences also as their parts.

    Findings read from the database carry their sentences, classified at ingest; others are
    classified here the same way.
    """
    units = []
    for index, finding in enumerate(findings):
        if finding.get("about", "authority") != "authority":
            continue
        pieces = finding.get("sentences")
        if pieces is None:
            pieces = sentence_features(finding["text"], finding["kind"])
        concern = finding["kind"] == "improvement"
        graded_good = (finding.get("grade") or "").lower() in _PRAISING_GRADES
        for piece in pieces:
            themes = frozenset(piece["themes"])
            stems = list(piece["stems"])
            unit = Unit(index, piece["text"], piece["polarity"], themes, _features(stems), frozenset(stems), concern)
            unit.graded_good = graded_good
            if concern:
                unit.matter = (_matter(piece["text"], cal) & unit.stems) or unit.stems
            units.append(unit)
            if concern and cal.on("parts"):
                for part, part_stems, matter in _parts_read(piece["text"], cal):
                    units.append(
                        Unit(
                            index,
                            piece["text"],
                            piece["polarity"],
                            themes,
                            _features_of(part_stems),
                            frozenset(part_stems),
                            True,
                            part=part,
                            matter=matter,
                        )
                    )
    return units


@lru_cache(maxsize=16384)
def _parts_read(sentence: str, cal: Calibration) -> tuple[tuple[str, tuple[str, ...], frozenset[str]], ...]:
    """The parts of an improvement's sentence after the whole (`parts`), each with its stems and its matter:
    worked out once per wording, since a report meets each other report of its authority."""
    found = []
    for part in parts(sentence, cal.on("part_meaning"))[1:]:
        part_stems = tuple(stems_of_normalised(normalise(part)))
        if part_stems:
            found.append((part, part_stems, (_matter(part, cal) & frozenset(part_stems)) or frozenset(part_stems)))
    return tuple(found)


def _weigh(units: list[Unit], cal: Calibration = DEFAULT_CALIBRATION) -> dict[str, float]:
    """TF-IDF over both reports' sentences: each unit's norm, and the normalised vectors of concerns.

    Parts of an improvement do not count as documents (they repeat their sentence). Returns the
    inverse document frequencies.
    """
    documents = [unit for unit in units if not unit.part]
    df = Counter(chain.from_iterable(unit.features for unit in documents))
    n = len(documents) or 1
    every = set(df).union(*(unit.features for unit in units if unit.part))
    idf: dict[str, float] = {f: math.log((n + 1) / (df.get(f, 0) + 1)) + 1 for f in every}
    for unit in units:
        if len(unit.features) == unit.features.total():  # each feature once (most sentences): its weight is its idf
            weights = list(map(idf.__getitem__, unit.features))
        else:
            weights = [_weight(c, idf[f]) for f, c in unit.features.items()]
        unit.norm = math.sqrt(sum(map(operator.mul, weights, weights))) or 1.0
        if unit.is_concern:
            unit.vector = {f: w / unit.norm for f, w in zip(unit.features, weights)}
            specific = unit.matter - _GENERIC
            # A part made of nothing but generic words ("management oversight") is specific in all of them.
            unit.specific = specific or unit.matter
            unit.matter_weight = sum(idf[s] for s in unit.matter)
            unit.practice_themes = frozenset(t for t in unit.themes if not is_national_framework(t))
    return idf


class Side:
    """One report's sentences, indexed by feature and theme so that a concern meets only the
    sentences that share something with it."""

    def __init__(self, units: list[Unit], idf: dict[str, float], asked: set[str]):
        """`asked`: the features of the other report's concerns, the only ones looked up here."""
        self.units = [unit for unit in units if not unit.part]
        self.idf = idf
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.by_theme: dict[str, list[int]] = {}
        for n, unit in enumerate(self.units):
            for feature in unit.features.keys() & asked:
                weight = _weight(unit.features[feature], idf[feature])
                self.postings.setdefault(feature, []).append((n, weight / unit.norm))
            for theme in unit.themes:
                self.by_theme.setdefault(theme, []).append(n)

    def cosines(self, unit: Unit) -> dict[int, float]:
        scores: dict[int, float] = {}
        for feature, weight in unit.vector.items():
            for n, other_weight in self.postings.get(feature, ()):
                scores[n] = scores.get(n, 0.0) + weight * other_weight
        return scores

    def sharing_a_theme(self, unit: Unit) -> set[int]:
        return {n for theme in unit.themes for n in self.by_theme.get(theme, ())}

    def theme_shares(self, concern: Unit) -> dict[int, float]:
        """`theme_share` of the concern with each sentence that speaks of any of its practice themes (the others'
        is 0), counted through the theme index instead of sentence by sentence."""
        mine = concern.practice_themes
        counts = Counter(chain.from_iterable(self.by_theme.get(theme, ()) for theme in mine))
        return {n: count / len(mine) for n, count in counts.items()}


def theme_share(concern: Unit, other: Unit) -> float:
    """The share of the concern's practice themes the other sentence speaks of (National Framework tags,
    which name a whole outcome, are not a matter and do not dilute it)."""
    mine = concern.practice_themes
    return len(mine & other.themes) / len(mine) if mine else 0.0


# Who an improvement is for is not what it is about: "the environment in which care leavers meet their personal
# advisers" is about the environment, and a sentence that shares only "care leavers" is not on that matter.
_POPULATION = re.compile(
    r"\b(?:care[- ]leavers?|care[- ]experienced (?:children|young people|adults)|children (?:in|looked after)(?: care)?|"
    r"looked[- ]after children|children and young people|young people|vulnerable|children)\b"
)


@lru_cache(maxsize=65536)
def _matter(part: str, cal: Calibration = DEFAULT_CALIBRATION) -> frozenset[str]:
    """The stems of a part without the words that name the children it is for (all of them if nothing else)."""
    folded = normalise(part)
    kept = _POPULATION.sub(" ", folded) if cal.on("population") else folded
    return frozenset(stems_of_normalised(kept)) or frozenset(stems_of_normalised(folded))


def coverage(concern: Unit, other: Unit, idf: dict[str, float]) -> float:
    """The share of the concern's matter (its specific words, weighted by idf) that the other sentence uses."""
    total = concern.matter_weight
    return sum(idf[s] for s in concern.matter & other.stems) / total if total else 0.0


@lru_cache(maxsize=16384)
def _kinds(text: str, head: str) -> frozenset[str]:
    """The themes the words before each occurrence of a generic head add to it ("child in need" to "plans",
    "health" to "assessments"): what kind of plan or assessment the sentence speaks of. Empty when any
    occurrence is bare ("the plans")."""
    tokens = words(text)
    found: set[str] = set()
    for n, token in enumerate(tokens):
        if stem(token) != head:
            continue
        start = n
        while start > max(0, n - _KIND_WINDOW) and tokens[start - 1] not in _NOT_A_MODIFIER:
            start -= 1
        own = clause_themes(token) | {_GENERIC_HEADS[head]}
        added = clause_themes(" ".join(tokens[start : n + 1])) - own
        if not added:
            return frozenset()
        found |= added
    return frozenset(found)


_KIND_WINDOW = 3  # words before a head that may say its kind ("child in need plans", "initial health assessments")
# Words that end the run of a head's modifiers: "supervision and management oversight" is management oversight.
_NOT_A_MODIFIER = frozenset("and or of the a an to for with their its his her this these that on by from".split())


# Themes of work another agency leads: a "health assessment" or a "personal education plan" is not the social
# worker's assessment or plan, though it shares the word.
_OTHER_AGENCY = frozenset({"health-children-in-care", "education-children-in-care", "mental-health"})


def different_kind(concern: Unit, other: Unit, shared: frozenset[str]) -> bool:
    """The other sentence speaks of another kind of the generic thing the two share: "child in need plans do
    not reflect needs" is not on "pathway plans", "initial health assessments" not on "assessments". A kind
    counts against a concern that names its own kind, or when another agency's work is meant; a concern on
    plans in general meets plans of every social-work kind."""
    for head in shared & _GENERIC_HEADS.keys():
        kinds = _kinds(other.text, head)
        if not kinds or kinds & concern.themes:
            continue
        if kinds & _OTHER_AGENCY or _kinds(concern.part or concern.text, head):
            return True
    return False


@dataclass
class Match:
    """A sentence of the other report against the part of an improvement it matches best: the raw evidence."""

    unit: Unit  # the other report's sentence
    cosine: float
    coverage: float
    themes: float  # theme share
    shared: frozenset[str]  # the stems it shares with that part
    concern: Unit  # the part it matched
    polarity: int = 0  # of the clause that speaks of the part
    other_kind: bool = False  # speaks of another kind of the generic thing it shares (different_kind)

    def score(self, cal: Calibration) -> float:
        """Word overlap plus theme credit; themes count only where words are shared."""
        if self.cosine < cal.min_shared:
            return self.cosine
        themes = cal.theme_weight * self.themes if cal.on("themes") else 0.0
        return min(1.0, self.cosine + cal.coverage_weight * self.coverage + themes)

    def decides(self, cal: Calibration) -> bool:
        """Shares specific content with the part: words, not only a theme."""
        covered = self.coverage >= cal.min_coverage or not cal.on("min_coverage")
        return self.cosine >= cal.min_shared and covered and not self.other_kind


class _Candidate:
    """A sentence of the other report against one part, before it is a `Match`: the coverage (only a tie-break
    between parts) and the shared stems are worked out only for the sentences that are kept."""

    __slots__ = ("part", "unit", "cosine", "themes", "_coverage")

    def __init__(self, part: Unit, unit: Unit, cosine: float, themes: float):
        self.part, self.unit, self.cosine, self.themes = part, unit, cosine, themes
        self._coverage: float | None = None

    def coverage(self, idf: dict[str, float]) -> float:
        if self._coverage is None:
            self._coverage = coverage(self.part, self.unit, idf) if self.cosine else 0.0
        return self._coverage

    def beats(self, held: _Candidate, idf: dict[str, float]) -> bool:
        """Whether this part matches the sentence better than the part held: by score, then by coverage."""
        mine, theirs = min(self.cosine, 1.0) + 0.2 * self.themes, held.cosine + 0.2 * held.themes
        return mine > theirs or mine == theirs and self.coverage(idf) > held.coverage(idf)

    def match(self, idf: dict[str, float]) -> Match:
        return Match(self.unit, self.cosine, self.coverage(idf), self.themes, self.part.stems & self.unit.stems, self.part)


@lru_cache(maxsize=65536)
def _clause_stems(text: str) -> frozenset[str]:
    return frozenset(stems_of_normalised(normalise(text)))


def _clause_polarity(
    sentence: str, concern: Unit, shared: frozenset[str], fallback: int, cal: Calibration = DEFAULT_CALIBRATION
) -> int:
    """The polarity of `sentence` on the concern's matter, clause by clause.

    The clause that holds most of the shared words speaks of the matter; but a matter is raised again "even
    partly", so a criticising clause on one of the concern's themes makes it criticism ("good progress in
    stabilising the workforce, but children experience too many changes of social worker").
    """
    if not cal.on("clauses") or not has_contrast(sentence):
        # One clause: its polarity is the sentence's, classified at ingest (the fallback): not read again.
        return fallback
    pieces = clauses(sentence)
    if len(pieces) == 1:
        return pieces[0].polarity if pieces[0].polarity or not fallback else fallback
    overlap = [(len(shared & _clause_stems(c.text)), c) for c in pieces]
    best = max(n for n, _ in overlap)
    chosen = [c for n, c in overlap if n == best]
    mine = {t for t in concern.themes if not is_national_framework(t)}
    if any(c.polarity < 0 and (mine & clause_themes(c.text) or n) for n, c in overlap):
        return -1
    if len(chosen) == 1 and chosen[0].polarity:
        return chosen[0].polarity
    return fallback


def _matches(concern: list[Unit], other: Side, cal: Calibration = DEFAULT_CALIBRATION) -> list[Match]:
    """The other report's sentences on the same matter as any part of the improvement, best first (raw)."""
    best: dict[int, _Candidate] = {}
    for part in concern:
        cosines, shares = other.cosines(part), other.theme_shares(part)
        # A part has its sentence's themes: sentences that share only a theme are met once, by the sentence.
        for n in cosines.keys() | other.sharing_a_theme(part) if not part.part else cosines:
            candidate = _Candidate(part, other.units[n], cosines.get(n, 0.0), shares.get(n, 0.0))
            held = best.get(n)
            if held is None or candidate.beats(held, other.idf):
                best[n] = candidate
    kept = sorted(best.values(), key=lambda c: (-(c.cosine + 0.2 * c.themes), c.unit.finding, c.unit.text))
    ranked = [c.match(other.idf) for c in kept[:CANDIDATES]]
    for m in ranked:
        # A list item of what must improve criticises by its kind, whatever its wording ("Build on the good work in
        # pre-birth assessments" reads as praise).
        m.polarity = (
            -1 if m.unit.is_concern else _clause_polarity(m.unit.text, m.concern, m.shared, m.unit.polarity, cal)
        )
        # A plain statement in a section graded good or better is the report saying the matter is in hand.
        if m.polarity == 0 and m.unit.graded_good and cal.on("section_grade"):
            m.polarity = 1
        m.other_kind = cal.on("different_kind") and different_kind(m.concern, m.unit, m.shared)
    return ranked


def _asked(units: list[Unit]) -> set[str]:
    return set(chain.from_iterable(unit.vector for unit in units if unit.is_concern))


def _concerns(units: list[Unit]) -> dict[int, list[Unit]]:
    """Each improvement's sentences and parts, by the improvement's index."""
    grouped: dict[int, list[Unit]] = {}
    for unit in units:
        if unit.is_concern:
            grouped.setdefault(unit.finding, []).append(unit)
    return grouped


@dataclass
class Evidence:
    """Everything `decide` needs for one comparison, independent of the fitted decision (so a fit reuses it)."""

    earlier: list[dict]
    later: list[dict]
    earlier_matches: dict[int, list[Match]]  # by earlier improvement: the later report's sentences
    later_matches: dict[int, list[Match]]
    earlier_themes: dict[int, set[str]]
    later_themes: dict[int, set[str]]
    calibration: Calibration = DEFAULT_CALIBRATION


def gather(earlier: list[dict], later: list[dict], cal: Calibration = DEFAULT_CALIBRATION) -> Evidence:
    """Score every improvement of each report against the other report's sentences."""
    earlier_units, later_units = _units(earlier, cal), _units(later, cal)
    idf = _weigh(earlier_units + later_units, cal)
    earlier_side = Side(earlier_units, idf, _asked(later_units))
    later_side = Side(later_units, idf, _asked(earlier_units))
    earlier_concerns, later_concerns = _concerns(earlier_units), _concerns(later_units)
    return Evidence(
        earlier,
        later,
        {i: _matches(c, later_side, cal) for i, c in earlier_concerns.items()},
        {i: _matches(c, earlier_side, cal) for i, c in later_concerns.items()},
        {i: set().union(*(u.themes for u in c)) for i, c in earlier_concerns.items()},
        {i: set().union(*(u.themes for u in c)) for i, c in later_concerns.items()},
        cal,
    )


def _is_improvement(findings: list[dict], match: Match) -> bool:
    return findings[match.unit.finding]["kind"] == "improvement"


def _specific_themes(themes: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in themes if not is_national_framework(t)) - _GENERIC_THEMES - cross_cutting_themes()


def _same_matter(m: Match, cal: Calibration = DEFAULT_CALIBRATION) -> bool:
    """Two list items raise one matter when they share a specific word of each: "management oversight of
    private fostering" and "management oversight of the LADO" share only the kind of work. Items that are both
    about work in general ("the quality of assessments", no practice theme beyond the generic) may share only it."""
    if not cal.on("same_matter"):
        return True
    if m.shared & m.concern.specific and m.shared & m.unit.specific:
        return True
    return not _specific_themes(m.concern.themes) or not _specific_themes(m.unit.themes)


# The best candidates whose scores add up, per stance: enough for a matter a report covers in several
# sentences, few enough that sentences on a neighbouring matter do not pile up.
EVIDENCE_POOL = 8


def _deciding(matches: list[Match], cal: Calibration) -> list[Match]:
    """The candidates that may decide: they share the part's specific words (the other report's list items only
    on the terms of a link, `_same_matter`), best first."""
    found = [m for m in matches if m.decides(cal) and (not m.unit.is_concern or _same_matter(m, cal))]
    return sorted(found, key=lambda m: -m.score(cal))


def _solid(m: Match) -> bool:
    """A sentence that shares at least two words of the part's matter, one of them specific: one shared head noun
    ("plans", "assessments") or one specific word out of a long item is a weak sign that the sentence is on the
    matter, and calls it recurring or resolved too readily on reports the engine was not fitted on."""
    shared = m.shared & m.concern.matter
    return len(shared) >= SOLID_SHARED and bool(shared & m.concern.specific)


SOLID_SHARED = 2  # words of the matter a solid sentence shares: more than one head noun


def _linked_solidly(m: Match) -> bool:
    """Two list items are one matter when one shares two words of the other's matter besides its aspects, one of
    them specific, or all of it when it names one thing ("the quality and impact of supervision" and "ensure that
    supervision is regular"): items that share one word of long matters ("plans", "staff") are on neighbouring
    matters, and their link makes a confident wrong recurring row."""
    matter = m.concern.matter - _ASPECTS
    shared = m.shared & matter
    return len(shared) >= min(SOLID_SHARED, len(matter)) and bool(shared & m.concern.specific)


def row_features(matches: list[Match], cal: Calibration, link: float = 0.0) -> dict[str, float]:
    """The features of an improvement's row (decision.FEATURES), each a quantity a reader can check in the row's
    evidence: the strongest criticism and praise of the matter in the other report, each summed over the best
    candidates (several sentences that agree weigh more than one), the same four over the solid sentences alone
    (`_solid`), and the best link to the other report's list (`link`, judged both ways: `item_features`)."""
    deciding = _deciding(matches, cal)
    solid = [m for m in deciding if _solid(m)] if cal.on("solid") else []

    def best(found: list[Match], stance: int) -> float:
        return round(next((m.score(cal) for m in found if m.polarity == stance), 0.0), 4)

    def summed(found: list[Match], stance: int) -> float:
        pool = found[:EVIDENCE_POOL]
        return round(sum(m.score(cal) for m in pool if m.polarity == stance), 4) if cal.on("sums") else 0.0

    return {
        "bias": 1.0,
        "critical": best(deciding, -1),
        "praise": best(deciding, 1),
        "critical_sum": summed(deciding, -1),
        "praise_sum": summed(deciding, 1),
        "link": round(link, 4) if cal.on("link") else 0.0,
        "solid_critical": best(solid, -1),
        "solid_praise": best(solid, 1),
        "solid_critical_sum": summed(solid, -1),
        "solid_praise_sum": summed(solid, 1),
    }


def _links(ev: Evidence, cal: Calibration) -> dict[tuple[int, int], tuple[float, Match]]:
    """Candidate links between the two lists: each pair of items on one matter, judged both ways, with the better
    of the two scores (item A may score high against B while B scores low against A, a short item against a
    long one)."""
    link: dict[tuple[int, int], tuple[float, Match]] = {}
    for forward, (own, other_findings) in enumerate(((ev.earlier_matches, ev.later), (ev.later_matches, ev.earlier))):
        for item, matches in own.items():
            for m in matches:
                if not _is_improvement(other_findings, m):
                    continue
                key = (item, m.unit.finding) if forward == 0 else (m.unit.finding, item)
                if not (m.decides(cal) and _same_matter(m, cal)) or (cal.on("solid_link") and not _linked_solidly(m)):
                    continue
                if key not in link or m.score(cal) > link[key][0]:
                    link[key] = (m.score(cal), m)
    return link


def _described(
    finding: dict,
    role: str,
    score: float | None,
    sentence: str | None,
    shared: frozenset[str] | set[str],
    polarity: int = 0,
) -> dict:
    out = {k: v for k, v in finding.items() if k != "sentences"}
    out["role"] = role
    out["score"] = round(score, 3) if score is not None else None
    out["sentence"] = sentence
    out["matched_stems"] = sorted(shared)
    out["matched_words"] = sorted({w for w in words(sentence or "") if stem_of_word(w) in shared})
    out["stance"] = STANCES[polarity] if role == "evidence" else "criticises"
    return out


def _evidence_key(m: Match, wanted: int, cal: Calibration) -> tuple[bool, bool, float]:
    """The order a reader checks a call in: sentences that decide before those that share only a theme, those of
    the status's own stance before the rest, the strongest first. (Putting plain statements with the status's
    stance and weighing by the share of the matter covered did not pay its way: benchmarks/README.md.)"""
    return (not m.decides(cal), m.polarity != wanted, -m.score(cal))


def _evidence(matches: list[Match], findings: list[dict], status: str, cal: Calibration) -> list[dict]:
    """The best findings of the other report for this concern, in the order `_evidence_key` gives: for recurring
    criticism first, for resolved praise first, never what speaks against the status before what supports it.

    Sentences that share only a theme come after those that share words: they show, they do not decide.
    """
    if Status(status).silent:
        return []
    wanted = 1 if status == "resolved" else -1
    shown = [m for m in matches if not _is_improvement(findings, m)]
    shown = [m for m in shown if (m.decides(cal) and m.score(cal) >= cal.show) or m.themes >= 0.5]
    ranked = sorted(shown, key=lambda m: _evidence_key(m, wanted, cal))
    chosen: list[dict] = []
    seen: set[int] = set()
    for match in ranked:
        if match.unit.finding in seen:
            continue
        seen.add(match.unit.finding)
        score = match.score(cal) if match.decides(cal) else cal.theme_weight * match.themes
        chosen.append(
            _described(findings[match.unit.finding], "evidence", score, match.unit.text, match.shared, match.polarity)
        )
        if len(chosen) == EVIDENCE_PER_SIDE:
            break
    return chosen


def _later_sentence(ev: Evidence, j: int, match: Match) -> str:
    """The sentence of later item `j` that a link matched (the link may have been found from either list)."""
    return match.concern.text if any(match is m for m in ev.later_matches.get(j, ())) else match.unit.text


def _merged(matches_by_item: dict[int, list[Match]], items: list[int]) -> list[Match]:
    """The matches of several items, best first."""
    return sorted(chain.from_iterable(matches_by_item[i] for i in items), key=lambda m: -(m.cosine + 0.2 * m.themes))


def _why(
    match: Match | None,
    linked: str | None,
    features: dict,
    probabilities: dict[str, float],
    check: str | None,
    reason: str | None,
) -> dict:
    """What decided a row, in words a reader can check: the deciding sentence, the features the fitted decision
    read (`confidence_from`), the probability of each status, and why to check it (`check`: "mixed" when the
    other report praises and criticises the matter, "weak" otherwise; `check_reason` in words)."""
    out: dict[str, Any] = {
        "confidence_from": features,
        "probabilities": {s: round(p, 3) for s, p in probabilities.items()},
        "check": check,
        "check_reason": reason,
        "sentence": None,
        "polarity": None,
        "matched_words": [],
        "part": None,
        "linked_item": linked,
    }
    if match is not None:
        out["sentence"] = match.unit.text
        # A list item of what must improve criticises by its kind, whatever its wording ("Ensure that managers
        # continue their good oversight" reads as praise): a row decided by a link says so.
        out["polarity"] = STANCES[-1] if linked else STANCES[match.polarity]
        out["matched_words"] = sorted({w for w in words(match.unit.text) if stem_of_word(w) in match.shared})
        out["part"] = match.concern.part or None
    return out


def _deciding_match(matches: list[Match], cal: Calibration, status: str) -> Match | None:
    """The sentence a row's status rests on: the strongest criticism for recurring, praise (or a plain statement)
    for resolved, the nearest sentence of any stance for a silent row."""
    deciding = _deciding(matches, cal)
    wanted = {"recurring": (-1,), "resolved": (1, 0)}.get(status, (-1, 1, 0))
    for stance in wanted:
        found = next((m for m in deciding if m.polarity == stance), None)
        if found is not None:
            return found
    return deciding[0] if deciding else None


def _call(model: Model, earlier_side: bool, x: dict[str, float]) -> tuple[str, float, dict[str, float]]:
    probabilities = model.probabilities(earlier_side, x)
    status = max(probabilities, key=lambda s: (probabilities[s], s))
    return status, probabilities[status], probabilities


def _checked(
    model: Model,
    earlier_side: bool,
    status: str,
    confidence: float,
    probabilities: dict[str, float],
    x: dict[str, float],
    matches: list[Match],
    cal: Calibration,
    deciding: Match | None = None,
    linked: bool = False,
) -> Verdict:
    """Whether a reviewer should check the row, why in words, and what the check read (check.py), through a
    `CheckInput`: the call, the decision's features and, for a row under the review bar, the same features as
    each cheaper variant reads the evidence and the specific words the deciding sentence shares with the item.
    Without a check (a fold's decision while it is fitted) no row is marked."""
    if model.check is None:
        return Verdict(confidence, False, None, None, {})
    # The variants and the shared words only say why a row under the review bar is doubtful: the others are not
    # read again (compare time stays as it was).
    doubtful = confidence < model.check.review_below
    shared: dict[str, str] = {}
    if doubtful and deciding is not None:
        specific = deciding.shared & deciding.concern.specific
        for w in words(deciding.unit.text):
            if stem_of_word(w) in specific:
                shared.setdefault(stem_of_word(w), w)
    row = CheckInput(
        earlier_side,
        status,
        confidence,
        probabilities,
        x,
        read_variants(matches, cal, x.get("link", 0.0), row_features) if doubtful else {},
        tuple(shared[s] for s in sorted(shared)),
        (deciding.concern.part or None) if deciding is not None else None,
        linked,
    )
    return judge(model, model.check, row)


def item_features(
    ev: Evidence, cal: Calibration
) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, float]], dict[tuple[int, int], tuple[float, Match]]]:
    """Each earlier and later improvement's features, and the candidate links between the two lists (an item's
    best link counts from either side: a short item scores low against a long one that scores high against it)."""
    links = _links(ev, cal)
    best_earlier: dict[int, float] = {}
    best_later: dict[int, float] = {}
    for (i, j), (score, _) in links.items():
        best_earlier[i] = max(best_earlier.get(i, 0.0), score)
        best_later[j] = max(best_later.get(j, 0.0), score)
    earlier_x = {i: row_features(m, cal, best_earlier.get(i, 0.0)) for i, m in ev.earlier_matches.items()}
    later_x = {j: row_features(m, cal, best_later.get(j, 0.0)) for j, m in ev.later_matches.items()}
    return earlier_x, later_x, links


@dataclass
class _Calls:
    """What `decide` reads for one comparison: each item's features and fitted call, and the links chosen."""

    ev: Evidence
    cal: Calibration
    model: Model
    earlier_x: dict[int, dict[str, float]]
    later_x: dict[int, dict[str, float]]
    earlier_call: dict[int, tuple[str, float, dict[str, float]]]
    later_call: dict[int, tuple[str, float, dict[str, float]]]
    links: dict[int, tuple[int, float, Match]] = field(default_factory=dict)  # later item -> its earlier item


def _chosen_links(
    calls: _Calls, candidate_links: dict[tuple[int, int], tuple[float, Match]]
) -> dict[int, list[tuple[int, float, Match]]]:
    """Each later item goes to the earlier item it matches best, when the two are recurring together; returns the
    later items linked to each earlier item."""
    for (i, j), (score, link) in sorted(candidate_links.items(), key=lambda kv: -kv[1][0]):
        if j in calls.links:
            continue
        together = calls.earlier_call[i][2]["recurring"] + calls.later_call[j][2]["recurring"]
        if together > 1.0:
            calls.links[j] = (i, score, link)
    linked_earlier: dict[int, list[tuple[int, float, Match]]] = {}
    for j, (i, score, link) in calls.links.items():
        linked_earlier.setdefault(i, []).append((j, score, link))
    return linked_earlier


def _linked_row(calls: _Calls, i: int, pairs: list[tuple[int, float, Match]]) -> dict:
    """The recurring row of an earlier item and the later items linked to it."""
    ev, cal, model = calls.ev, calls.cal, calls.model
    x = calls.earlier_x[i]
    pairs = sorted(pairs, key=lambda p: -p[1])
    j, score, m = pairs[0]
    linked = ev.later[j]["text"]
    probabilities = calls.earlier_call[i][2]
    # The row stands on both items' calls: as sure as the less sure of the two.
    together = min(probabilities["recurring"], *(calls.later_call[jj][2]["recurring"] for jj, _, _ in pairs))
    confidence = model.confidence_of(together)
    verdict = _checked(model, True, "recurring", confidence, probabilities, x, ev.earlier_matches[i], cal, m, True)
    confidence, check, reason = verdict.confidence, verdict.kind, verdict.reason
    to = [
        _described(ev.later[jj], "improvement", s, _later_sentence(ev, jj, mm), mm.shared, -1)
        for jj, s, mm in sorted(pairs, key=lambda p: p[0])
    ]
    themes = ev.earlier_themes[i].union(*(ev.later_themes[jj] for jj, _, _ in pairs))
    described = _described(ev.earlier[i], "improvement", None, None, set())
    return {
        "status": "recurring",
        "score": round(score, 3),
        "themes": sorted(themes),
        "confidence": round(confidence, 3),
        "needs_review": check is not None,
        "why": _why(m, linked, x, probabilities, check, reason) | {"check_from": verdict.read},
        "linked_item": linked,
        # Both sides carry evidence: the later report's on the earlier item, the earlier report's on the later
        # items (criticism first), each after the list items themselves.
        "from": [described]
        + _evidence(_merged(ev.later_matches, [jj for jj, _, _ in pairs]), ev.earlier, "recurring", cal),
        "to": to + _evidence(ev.earlier_matches[i], ev.later, "recurring", cal),
    }


def _single_row(calls: _Calls, earlier_side: bool, n: int) -> dict:
    """The row of an item no link joins to the other list: recurring only with criticism of it in the other
    report (otherwise resolved or not revisited for an earlier item, new for a later one)."""
    ev, cal, model = calls.ev, calls.cal, calls.model
    x = (calls.earlier_x if earlier_side else calls.later_x)[n]
    matches = (ev.earlier_matches if earlier_side else ev.later_matches)[n]
    status, confidence, probabilities = (calls.earlier_call if earlier_side else calls.later_call)[n]
    if status == "recurring" and x["critical"] == 0.0:
        status = (
            max((Status.RESOLVED.value, Status.NOT_REVISITED.value), key=lambda s: probabilities[s])
            if earlier_side
            else Status.NEW.value
        )
    confidence = model.confidence_of(probabilities[status])
    m = _deciding_match(matches, cal, status)
    verdict = _checked(model, earlier_side, status, confidence, probabilities, x, matches, cal, m)
    confidence, check, reason = verdict.confidence, verdict.kind, verdict.reason
    score = m.score(cal) if m else 0.0
    row = {
        "status": status,
        "score": round(score, 3),
        "themes": sorted((ev.earlier_themes if earlier_side else ev.later_themes)[n]),
        "confidence": round(confidence, 3),
        "needs_review": check is not None,
        "why": _why(m, None, x, probabilities, check, reason) | {"check_from": verdict.read},
        "linked_item": None,
    }
    if earlier_side:
        row["from"] = [_described(ev.earlier[n], "improvement", None, None, set())]
        row["to"] = _evidence(matches, ev.later, status, cal)
    else:
        recurring = status == "recurring"
        shared: frozenset[str] | set[str] = m.shared if m and recurring else set()
        row["from"] = _evidence(matches, ev.earlier, status, cal)
        row["to"] = [_described(ev.later[n], "improvement", score if recurring else None, None, shared)]
    return row


def decide(ev: Evidence, cal: Calibration | None = None, model: Model | None = None) -> dict:
    """Rows of the comparison from gathered evidence: every improvement of either side in exactly one row.

    Each improvement's status is the fitted decision's most likely one (decision.py); two list items on one
    matter are linked into one recurring row when the decision, read on both, makes them recurring together.
    """
    cal = cal or ev.calibration
    model = model or shipped_model()
    earlier_x, later_x, candidate_links = item_features(ev, cal)
    calls = _Calls(
        ev,
        cal,
        model,
        earlier_x,
        later_x,
        {i: _call(model, True, x) for i, x in earlier_x.items()},
        {j: _call(model, False, x) for j, x in later_x.items()},
    )
    linked_earlier = _chosen_links(calls, candidate_links)
    rows = [
        _linked_row(calls, i, linked_earlier[i]) if i in linked_earlier else _single_row(calls, True, i)
        for i in ev.earlier_matches
    ]
    rows += [_single_row(calls, False, j) for j in ev.later_matches if j not in calls.links]
    counts = Counter(row["status"] for row in rows)
    return {"counts": {s: counts.get(s, 0) for s in STATUSES}, "rows": rows}


def compare(
    earlier: list[dict],
    later: list[dict],
    calibration: Calibration = DEFAULT_CALIBRATION,
    model: Model | None = None,
) -> dict:
    """Rows of the comparison: every improvement of either side in exactly one row.

    A finding is a dict with at least id, kind, polarity, text, section and themes (a list
    of theme ids); `about` other than "authority" (an LSCB's recommendations) is left out.
    The result is plain JSON: {"counts": {status: n}, "rows": [Row, ...]}.
    """
    return decide(gather(earlier, later, calibration), calibration, model)
