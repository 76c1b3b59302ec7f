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
import re
from collections import Counter
from dataclasses import dataclass, field

from ingest.classify import sentence_polarity, theme_ids
from ingest.text import content_stems, sentences

# Calibration. A unit must share content words with the improvement (cosine) and the
# themes add to that; evidence below SHOW is not listed.
THEME_WEIGHT = 0.35
MATCH = 0.36  # a sentence of the other report speaks of the same matter
SAME_IMPROVEMENT = MATCH  # an improvement of the other report on the same matter
SHOW = 0.22
MIN_SHARED = 0.03  # the least word overlap (cosine) before themes count
EVIDENCE_PER_SIDE = 4
_PROGRESS = re.compile(
    r"since the (?:last|previous) inspection|areas? for improvement (?:identified|from) (?:at )?the (?:last|previous)|"
    r"has improved|have improved|now\b|no longer",
    re.I,
)
_NF_TAG = re.compile(r"\([^()]*national framework[^()]*\)", re.I)
STATUSES = ("recurring", "resolved", "not_revisited", "new")


@dataclass
class Unit:
    """A sentence of a finding (or a whole improvement) with what is needed to compare it."""

    finding: int  # index into the side's findings
    text: str
    polarity: int
    themes: frozenset[str]
    features: Counter = field(default_factory=Counter)
    vector: dict[str, float] = field(default_factory=dict)
    stems: frozenset[str] = frozenset()


def _features(text: str) -> tuple[Counter, frozenset[str]]:
    stems = content_stems(text)
    features = Counter(stems)
    features.update(f"{a}_{b}" for a, b in zip(stems, stems[1:]))
    return features, frozenset(stems)


def _units(findings: list[dict]) -> list[Unit]:
    units = []
    for index, finding in enumerate(findings):
        if finding.get("about", "authority") != "authority":
            continue
        text = _NF_TAG.sub("", finding["text"])
        if finding["kind"] == "improvement":
            pieces = [(text, -1)]
        else:
            pieces = [(s, sentence_polarity(s)) for s in sentences(text)]
        for piece, sign in pieces:
            features, stems = _features(piece)
            if not stems:
                continue
            themes = frozenset(theme_ids(piece)) | (
                frozenset(finding.get("themes") or ()) if finding["kind"] == "improvement" else frozenset()
            )
            units.append(Unit(index, piece, sign, themes, features, stems=stems))
    return units


def _weigh(units: list[Unit]) -> None:
    """TF-IDF vectors, normalised, with document frequencies over both reports' units."""
    df: Counter = Counter()
    for unit in units:
        df.update(unit.features.keys())
    n = len(units) or 1
    for unit in units:
        vector = {f: (1 + math.log(c)) * (math.log((n + 1) / (df[f] + 1)) + 1) for f, c in unit.features.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        unit.vector = {f: v / norm for f, v in vector.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(f, 0.0) for f, v in a.items())


def similarity(a: Unit, b: Unit) -> float:
    cosine = _cosine(a.vector, b.vector)
    if cosine < MIN_SHARED:
        return cosine  # themes alone do not make two sentences speak of the same matter
    themes = a.themes & b.themes
    theme_share = len(themes) / max(1, min(len(a.themes), len(b.themes))) if themes else 0.0
    return min(1.0, cosine + THEME_WEIGHT * theme_share)


@dataclass
class Match:
    unit: Unit
    score: float


def _best_matches(improvement: Unit, others: list[Unit]) -> list[Match]:
    scored = [Match(u, similarity(improvement, u)) for u in others]
    return sorted((m for m in scored if m.score >= SHOW), key=lambda m: -m.score)


def _judge_earlier(matches: list[Match], other_findings: list[dict]) -> tuple[str, float]:
    """Status of an earlier improvement from what the later report says of the same matter."""
    improvements = [m for m in matches if other_findings[m.unit.finding]["kind"] == "improvement"]
    if improvements and improvements[0].score >= SAME_IMPROVEMENT:
        return "recurring", improvements[0].score
    negative = max((m.score for m in matches if m.unit.polarity < 0), default=0.0)
    positive = max(
        (m.score + (0.05 if _PROGRESS.search(m.unit.text) else 0.0) for m in matches if m.unit.polarity > 0),
        default=0.0,
    )
    if negative >= MATCH:
        return "recurring", negative
    if positive >= MATCH:
        return "resolved", min(1.0, positive)
    return "not_revisited", max(negative, positive)


def _judge_later(matches: list[Match], other_findings: list[dict]) -> tuple[str, float]:
    """A later improvement recurs when the earlier report raised it or stated it as a weakness."""
    improvements = [m for m in matches if other_findings[m.unit.finding]["kind"] == "improvement"]
    if improvements and improvements[0].score >= SAME_IMPROVEMENT:
        return "recurring", improvements[0].score
    negative = max((m.score for m in matches if m.unit.polarity < 0), default=0.0)
    if negative >= MATCH:
        return "recurring", negative
    return "new", negative


def _evidence(matches: list[Match], findings: list[dict], improvement: Unit, status: str, exclude: set[int]) -> list[dict]:
    """The best findings of the other report for this concern: criticism first for recurring, praise for resolved."""
    if status == "not_revisited" or status == "new":
        return []
    wanted = 1 if status == "resolved" else -1
    ranked = sorted(
        (m for m in matches if findings[m.unit.finding]["kind"] != "improvement"),
        key=lambda m: (m.unit.polarity != wanted, -m.score),
    )
    chosen: list[dict] = []
    seen: set[int] = set(exclude)
    for match in ranked:
        if match.unit.finding in seen:
            continue
        seen.add(match.unit.finding)
        chosen.append(
            _described(findings[match.unit.finding], "evidence", match.score, match.unit.text, improvement.stems & match.unit.stems)
        )
        if len(chosen) == EVIDENCE_PER_SIDE:
            break
    return chosen


def _described(finding: dict, role: str, score: float | None, sentence: str | None, shared: frozenset[str] | set[str]) -> dict:
    out = dict(finding)
    out["role"] = role
    out["score"] = round(score, 3) if score is not None else None
    out["sentence"] = sentence
    out["matched_stems"] = sorted(shared)
    return out


def compare(earlier: list[dict], later: list[dict]) -> dict:
    """Rows of the comparison: every improvement of either side in exactly one row.

    A finding is a dict with at least id, kind, polarity, text, section and themes (a list
    of theme ids); `about` other than "authority" (an LSCB's recommendations) is left out.
    """
    earlier_units, later_units = _units(earlier), _units(later)
    _weigh(earlier_units + later_units)
    earlier_improvements = [u for u in earlier_units if earlier[u.finding]["kind"] == "improvement"]
    later_improvements = [u for u in later_units if later[u.finding]["kind"] == "improvement"]

    rows: list[dict] = []
    row_of_earlier: dict[int, dict] = {}
    for unit in earlier_improvements:
        matches = _best_matches(unit, later_units)
        status, score = _judge_earlier(matches, later)
        row = {
            "status": status,
            "score": round(score, 3),
            "themes": sorted(unit.themes),
            "from": [_described(earlier[unit.finding], "improvement", None, None, set())],
            "to": [],
            "_unit": unit,
            "_matches": matches,
        }
        rows.append(row)
        row_of_earlier[unit.finding] = row

    later_rows: list[dict] = []
    for unit in later_improvements:
        matches = _best_matches(unit, earlier_units)
        status, score = _judge_later(matches, earlier)
        same = [m for m in matches if earlier[m.unit.finding]["kind"] == "improvement" and m.score >= SAME_IMPROVEMENT]
        described = _described(later[unit.finding], "improvement", score if status == "recurring" else None, None,
                               same[0].unit.stems & unit.stems if same else set())
        if status == "recurring" and same and row_of_earlier[same[0].unit.finding]["status"] == "recurring":
            row = row_of_earlier[same[0].unit.finding]
            row["to"].append(described)  # one concern raised in both reports
            row["themes"] = sorted(set(row["themes"]) | unit.themes)
            continue
        exclude = set()
        evidence = _evidence(matches, earlier, unit, status, exclude)
        later_rows.append(
            {"status": status, "score": round(score, 3), "themes": sorted(unit.themes), "from": evidence,
             "to": [described], "_unit": unit, "_matches": matches}
        )

    for row in rows:
        unit = row["_unit"]
        taken = {later_units_index for later_units_index in ()}  # nothing excluded but the row's own improvements
        own = {f["id"] for f in row["to"]}
        evidence = _evidence(row["_matches"], later, unit, row["status"], taken)
        if row["status"] == "recurring" and not row["to"]:
            # the same concern raised as an improvement of the later report that merged elsewhere:
            # show the best later improvement as evidence only when it is not in another row.
            pass
        row["to"].extend(e for e in evidence if e["id"] not in own)
    for row in rows + later_rows:
        row.pop("_unit", None)
        row.pop("_matches", None)

    all_rows = rows + later_rows
    counts = Counter(row["status"] for row in all_rows)
    return {"counts": {s: counts.get(s, 0) for s in STATUSES}, "rows": all_rows}
