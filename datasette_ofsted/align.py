"""Align the findings of two inspections and mark each improvement.

A pure module: findings in, rows out. The view, the ingester (issue_links) and the
evaluation against the gold alignments all call `compare`.

The method, and why:
- Concerns are matched sentence by sentence, not paragraph by paragraph: a long
  paragraph often praises one thing and criticises the next.
- Similarity is TF-IDF over stemmed content words and word pairs, computed over the two
  reports' sentences, so words every sentence uses weigh little; it is combined with the
  practice themes of the taxonomy, which carry a concern across changes of wording
  ("stable workforce" / "changes in social workers").
- The polarity of the matching sentence decides between recurring (criticised again)
  and resolved (praised); silence is not_revisited, since a focused visit looks at a
  narrow area.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain

from .classify import cross_cutting_themes, sentence_features
from .text import stem, words

# Calibration, chosen on the five gold pairs: 0.881 of their issues right at these values,
# 0.881 too when each pair is held out of the choice (benchmarks/alignment_quality.py).
# A sentence must share content words with the improvement (cosine), to which the themes
# add; evidence below SHOW is not listed.
THEME_WEIGHT = 0.35
MATCH = 0.32  # a sentence of the other report speaks of the same matter
SAME_IMPROVEMENT = MATCH  # an improvement of the other report on the same matter
SHOW = 0.22
MIN_SHARED = 0.03  # the least word overlap (cosine) before themes count
EVIDENCE_PER_SIDE = 4
_PROGRESS = re.compile(
    r"since the (?:last|previous) inspection|areas? for improvement (?:identified|from) (?:at )?the (?:last|previous)|"
    r"has improved|have improved|now\b|no longer",
    re.I,
)
STATUSES = ("recurring", "resolved", "not_revisited", "new")


@dataclass
class Unit:
    """A sentence of a finding with what is needed to compare it."""

    finding: int  # index into the side's findings
    text: str
    polarity: int
    themes: frozenset[str]
    features: Counter = field(default_factory=Counter)
    stems: frozenset[str] = frozenset()
    is_concern: bool = False  # a sentence of an improvement: it queries the other report
    norm: float = 1.0  # of its TF-IDF vector
    vector: dict[str, float] = field(default_factory=dict)  # normalised; kept for concerns only


def _features(stems: list[str]) -> Counter:
    return Counter(stems + [f"{a}_{b}" for a, b in zip(stems, stems[1:])])


def _weight(count: int, idf: float) -> float:
    """TF-IDF of a feature that occurs `count` times in a sentence (a feature once weighs its idf)."""
    return (1 + math.log(count)) * idf if count > 1 else idf


def _units(findings: list[dict]) -> list[Unit]:
    """Every sentence of every finding of the authority (an LSCB's are not the authority's).

    Findings read from the database carry their sentences, classified at ingest; others are
    classified here the same way.
    """
    units = []
    for index, finding in enumerate(findings):
        if finding.get("about", "authority") != "authority":
            continue
        nf = [t for t in finding.get("themes") or () if t.startswith("nf-")]
        pieces = finding.get("sentences")
        if pieces is None:
            pieces = sentence_features(finding["text"], finding["kind"])
        for piece in pieces:
            themes = frozenset(piece["themes"]) | (frozenset(nf) if finding["kind"] == "improvement" else frozenset())
            stems = list(piece["stems"])
            units.append(
                Unit(
                    index,
                    piece["text"],
                    piece["polarity"],
                    themes,
                    _features(stems),
                    frozenset(stems),
                    finding["kind"] == "improvement",
                )
            )
    return units


def _weigh(units: list[Unit]) -> dict[str, float]:
    """TF-IDF over both reports' units: each unit's norm, and the normalised vectors of concerns.

    Returns the inverse document frequencies. Only an improvement's sentences need a whole
    vector; every other sentence is reached through the features the concerns ask about.
    """
    df = Counter(chain.from_iterable(unit.features for unit in units))
    n = len(units) or 1
    by_count = {count: math.log((n + 1) / (count + 1)) + 1 for count in set(df.values())}
    idf = {f: by_count[count] for f, count in df.items()}
    for unit in units:
        if len(unit.features) == unit.features.total():  # each feature once: its weight is its idf
            weights = list(map(idf.__getitem__, unit.features))
        else:
            weights = [_weight(c, idf[f]) for f, c in unit.features.items()]
        unit.norm = math.sqrt(sum(map(operator.mul, weights, weights))) or 1.0
        if unit.is_concern:
            unit.vector = {f: w / unit.norm for f, w in zip(unit.features, weights)}
    return idf


def similarity(improvement: Unit, other: Unit, cosine: float) -> float:
    """Word overlap (TF-IDF cosine) plus the share of the improvement's themes the other sentence speaks of.

    The improvement's themes define its concern: a sentence on one of its three themes
    is weaker evidence than one on all of them.
    """
    shared = improvement.themes & other.themes
    if cosine < MIN_SHARED:
        # Without shared words, only a sentence wholly on the improvement's themes speaks of the
        # same matter ("a stable workforce" / "too many changes of social worker").
        same_matter = improvement.themes and other.themes == improvement.themes
        return THEME_WEIGHT if same_matter and not improvement.themes <= cross_cutting_themes() else cosine
    if not shared:
        return cosine
    return min(1.0, cosine + THEME_WEIGHT * len(shared) / len(improvement.themes))


def _asked(units: list[Unit]) -> set[str]:
    return set(chain.from_iterable(unit.vector for unit in units if unit.is_concern))


class Side:
    """One report's sentences, indexed by feature and theme so that a concern meets only the
    sentences that share something with it."""

    def __init__(self, units: list[Unit], idf: dict[str, float], asked: set[str]):
        """`asked`: the features of the other report's concerns, the only ones looked up here."""
        self.units = units
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.by_theme: dict[str, list[int]] = {}
        for n, unit in enumerate(units):
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


def theme_share(improvement: Unit, other: Unit) -> float:
    return len(improvement.themes & other.themes) / len(improvement.themes) if improvement.themes else 0.0


@dataclass
class Match:
    unit: Unit  # the other report's sentence
    score: float
    shared: frozenset[str]  # the stems it shares with the improvement's sentence it matched best
    lexical: bool = True  # False: the sentence shares only a theme, which shows but does not decide


def _best_matches(concern: list[Unit], other: Side) -> list[Match]:
    """The other report's sentences on the same matter as any sentence of the improvement, best first.

    Sentences that share words decide the status; sentences that share only the
    improvement's themes are kept, ranked after them, as further evidence to show.
    """
    best: dict[int, tuple[float, Unit]] = {}
    theme_only: dict[int, float] = {}
    for sentence in concern:
        cosines = other.cosines(sentence)
        for n in set(cosines) | other.sharing_a_theme(sentence):
            score = similarity(sentence, other.units[n], cosines.get(n, 0.0))
            if n not in best or score > best[n][0]:
                best[n] = (score, sentence)
            theme_only[n] = max(theme_only.get(n, 0.0), theme_share(sentence, other.units[n]))
    matches, thematic = [], []
    for n, (score, sentence) in best.items():
        unit = other.units[n]
        if score >= SHOW:
            matches.append(Match(unit, score, sentence.stems & unit.stems))
        elif theme_only[n] >= 0.5:
            thematic.append(Match(unit, THEME_WEIGHT * theme_only[n], frozenset(), lexical=False))
    order = lambda m: (-m.score, m.unit.finding, m.unit.text)  # noqa: E731  (ties in document order)
    return sorted(matches, key=order) + sorted(thematic, key=order)


def _is_improvement(findings: list[dict], match: Match) -> bool:
    return findings[match.unit.finding]["kind"] == "improvement"


def _judge_earlier(matches: list[Match], other: list[dict]) -> tuple[str, float]:
    """Status of an earlier improvement from what the later report says of the same matter.

    The later report's own improvements count as criticism like any other negative sentence.
    """
    matches = [m for m in matches if m.lexical]
    negative = max((m.score for m in matches if m.unit.polarity < 0), default=0.0)
    positive = max(
        (m.score + (0.05 if _PROGRESS.search(m.unit.text) else 0.0) for m in matches if m.unit.polarity > 0),
        default=0.0,
    )
    # Raised again "even partly" is recurring; resolved needs praise on the matter and no criticism.
    if negative >= MATCH:
        return "recurring", negative
    if positive >= MATCH:
        return "resolved", min(1.0, positive)
    return "not_revisited", max(negative, positive)


def _judge_later(matches: list[Match], other: list[dict]) -> tuple[str, float]:
    """A later improvement recurs when the earlier report raised it or stated it as a weakness."""
    matches = [m for m in matches if m.lexical]
    improvements = [m for m in matches if _is_improvement(other, m)]
    if improvements and improvements[0].score >= SAME_IMPROVEMENT:
        return "recurring", improvements[0].score
    negative = max((m.score for m in matches if m.unit.polarity < 0), default=0.0)
    if negative >= MATCH:
        return "recurring", negative
    return "new", negative


def _evidence(matches: list[Match], findings: list[dict], status: str) -> list[dict]:
    """The best findings of the other report for this concern: criticism first for recurring, praise for resolved."""
    if status in ("not_revisited", "new"):
        return []
    wanted = 1 if status == "resolved" else -1
    ranked = sorted(
        (m for m in matches if not _is_improvement(findings, m)),
        key=lambda m: (not m.lexical, m.unit.polarity != wanted, -m.score),
    )
    chosen: list[dict] = []
    seen: set[int] = set()
    for match in ranked:
        if match.unit.finding in seen:
            continue
        seen.add(match.unit.finding)
        chosen.append(_described(findings[match.unit.finding], "evidence", match.score, match.unit.text, match.shared))
        if len(chosen) == EVIDENCE_PER_SIDE:
            break
    return chosen


def _described(
    finding: dict, role: str, score: float | None, sentence: str | None, shared: frozenset[str] | set[str]
) -> dict:
    out = {k: v for k, v in finding.items() if k != "sentences"}
    out["role"] = role
    out["score"] = round(score, 3) if score is not None else None
    out["sentence"] = sentence
    out["matched_stems"] = sorted(shared)
    out["matched_words"] = sorted({w for w in words(sentence or "") if stem(w) in shared})
    return out


def _concerns(units: list[Unit], findings: list[dict]) -> dict[int, list[Unit]]:
    """Each improvement's sentences, by the improvement's index."""
    grouped: dict[int, list[Unit]] = {}
    for unit in units:
        if findings[unit.finding]["kind"] == "improvement":
            grouped.setdefault(unit.finding, []).append(unit)
    return grouped


def _themes(concern: list[Unit]) -> set[str]:
    return set().union(*(u.themes for u in concern))


def compare(earlier: list[dict], later: list[dict]) -> dict:
    """Rows of the comparison: every improvement of either side in exactly one row.

    A finding is a dict with at least id, kind, polarity, text, section and themes (a list
    of theme ids); `about` other than "authority" (an LSCB's recommendations) is left out.
    """
    earlier_units, later_units = _units(earlier), _units(later)
    idf = _weigh(earlier_units + later_units)
    earlier_side = Side(earlier_units, idf, _asked(later_units))
    later_side = Side(later_units, idf, _asked(earlier_units))

    rows: list[dict] = []
    row_of: dict[int, dict] = {}
    for index, concern in _concerns(earlier_units, earlier).items():
        matches = _best_matches(concern, later_side)
        status, score = _judge_earlier(matches, later)
        row = {
            "status": status,
            "score": round(score, 3),
            "themes": sorted(_themes(concern)),
            "from": [_described(earlier[index], "improvement", None, None, set())],
            "to": [],
            "_matches": matches,
        }
        rows.append(row)
        row_of[index] = row

    later_rows: list[dict] = []
    for index, concern in _concerns(later_units, later).items():
        matches = _best_matches(concern, earlier_side)
        status, score = _judge_later(matches, earlier)
        same = [m for m in matches if m.lexical and _is_improvement(earlier, m) and m.score >= SAME_IMPROVEMENT]
        described = _described(
            later[index],
            "improvement",
            score if status == "recurring" else None,
            None,
            same[0].shared if same else set(),
        )
        if status == "recurring" and same and row_of[same[0].unit.finding]["status"] == "recurring":
            row = row_of[same[0].unit.finding]  # one concern raised in both reports: one row
            row["to"].append(described)
            row["themes"] = sorted(set(row["themes"]) | _themes(concern))
            continue
        later_rows.append(
            {
                "status": status,
                "score": round(score, 3),
                "themes": sorted(_themes(concern)),
                "from": _evidence(matches, earlier, status),
                "to": [described],
            }
        )

    for row in rows:
        row["to"].extend(_evidence(row.pop("_matches"), later, row["status"]))
    all_rows = rows + later_rows
    counts = Counter(row["status"] for row in all_rows)
    return {"counts": {s: counts.get(s, 0) for s in STATUSES}, "rows": all_rows}
