"""Check this: which rows of the comparison a reviewer should check first, and why, in words they understand.

needs_review marks the rows the decision is least sure of: its calibrated confidence (decision.py) under
`review_below`, the bar under which the REVIEW_SHARE least sure rows of the gold pairs fall, fitted by
`python benchmarks/fit_check.py --write` and shipped as data (`check.json`).

Why a row is doubtful is read from the evidence, not from the confidence alone:
- whether cheaper readings of the same evidence make the same call. Each *variant* re-scores the row's matches
  with one source of evidence taken away (the item read whole, not part by part; words alone, no credit for a
  shared practice theme; the best sentence alone, no summed evidence) and the decision reads them again: a call
  that holds only with that source rests on it. It costs nothing at compare time: the matches are gathered
  already.
- whether the deciding sentence shares a single specific word with the item (a thin link);
- whether the other report both praises and criticises the matter.

These were also tried as a fitted model of "is this row wrong" on out-of-fold rows (`fit_check.py
--candidates`); held out, it ranked wrong rows below right ones no better than the confidence alone, so the
confidence still orders the rows and these features only say why (benchmarks/README.md).

The engine (align.py) hands each row over as a `CheckInput`: a small typed record, so that the decision may
change its features without this module changing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .decision import CheckModel, Model  # the review bar (CheckModel) is shipped and loaded beside the weights
from .status import Status


@dataclass(frozen=True)
class Variant:
    """A cheaper reading of a row's evidence: its matches re-scored without one source of it."""

    name: str
    whole_item: bool  # only the sentences matched against the whole item, not against one of its parts
    disabled: frozenset[str]  # the engine's rules and features switched off (align.RULES, align.FEATURE_SWITCHES)


VARIANTS = (
    Variant("whole_item", True, frozenset()),
    Variant("words_only", False, frozenset({"themes"})),
    Variant("best_sentence", False, frozenset({"sums"})),
)

# needs_review marks the rows least likely to be right: this share of the training rows (the budget is
# 30% of rows; a quarter leaves room for a held-out authority whose rows are less sure).
REVIEW_SHARE = 0.25


@dataclass(frozen=True)
class CheckInput:
    """What the check reads of one row: the engine's call and the evidence it rests on."""

    earlier_side: bool  # an earlier report's improvement (else a later one's)
    status: str
    confidence: float  # the decision's confidence in the status (decision.Model.confidence_of)
    probabilities: Mapping[str, float]  # the decision's probability of each status
    features: Mapping[str, float]  # the decision's features of the row (decision.FEATURES)
    variants: Mapping[str, Mapping[str, float]]  # the row's features as each variant reads the evidence
    shared_words: tuple[str, ...] = ()  # the specific words the deciding sentence shares with the item
    part: str | None = None  # the part of the item the deciding sentence matched, when not the whole
    linked: bool = False  # the row links the item to an item of the other report's list


def read_variants(
    matches: Sequence[Any], cal: Any, link: float, features_of: Callable[..., dict[str, float]]
) -> dict[str, dict[str, float]]:
    """A row's features as each variant reads its evidence: `features_of` (align.row_features) over the matches
    (only those against the whole item for `whole_item`), with the variant's rules switched off in `cal` (an
    align.Calibration), the row's link as it is. Used by the engine and by the fit alike."""
    whole = [m for m in matches if not m.concern.part]
    return {
        v.name: features_of(whole if v.whole_item else matches, replace(cal, disabled=cal.disabled | v.disabled), link)
        for v in VARIANTS
    }


def review_threshold(confidences: Sequence[float], share: float = REVIEW_SHARE) -> float:
    """The chance of being right under which `share` of these rows fall: the rows a reviewer is asked to check."""
    if not confidences:
        return 0.0
    ordered = sorted(confidences)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 6)


def mixed(features: Mapping[str, float]) -> float:
    """The weaker of the strongest criticism and praise as a share of the stronger: 0 when the other report
    speaks of the matter one way only, 1 when it speaks as strongly both ways."""
    critical, praise = features.get("critical", 0.0), features.get("praise", 0.0)
    top = max(critical, praise)
    return round(min(critical, praise) / top, 4) if top > 0 else 0.0


@dataclass(frozen=True)
class Verdict:
    """The check's answer for a row: the chance it is right (the row's confidence), whether to check it, the
    kind of doubt (`why.check`), the reason in words (`why.check_reason`) and what it read (`why.check_from`)."""

    confidence: float
    needs_review: bool
    kind: str | None
    reason: str | None
    read: dict[str, float]


def read(decision: Model, row: CheckInput) -> dict[str, float]:
    """What the check reads of a row, each a number a reviewer can see: how mixed the evidence is and, where the
    engine read them (rows under the review bar), whether the decision makes the same call on each variant's
    reading of the evidence (1) or another (0) and whether the deciding sentence shares a single specific word
    with the item."""
    x = {"confidence": round(row.confidence, 4)}
    for variant in VARIANTS:
        seen = row.variants.get(variant.name)
        if seen is None:
            continue
        p = decision.probabilities(row.earlier_side, dict(seen))
        x[f"holds_{variant.name}"] = 1.0 if max(p, key=lambda s: (p[s], s)) == row.status else 0.0
    x["mixed"] = mixed(row.features)
    if row.variants:
        x["single_word"] = 1.0 if len(row.shared_words) == 1 else 0.0
    return x


def judge(decision: Model, check: CheckModel, row: CheckInput) -> Verdict:
    """Whether a reviewer should check the row (its confidence under the review bar) and why."""
    x = read(decision, row)
    if row.confidence >= check.review_below:
        return Verdict(row.confidence, False, None, None, x)
    kind, reason = doubt(row, x)
    return Verdict(row.confidence, True, kind, reason, x)


STATUS_WORDS = {s.value: s.words for s in Status}
# The criticism and praise are "both strong" when the weaker is at least this share of the stronger.
_MIXED = 0.5


def doubt(row: CheckInput, x: Mapping[str, float]) -> tuple[str, str]:
    """What makes the call doubtful, in a reviewer's words, and the status it could also be: "mixed" when the
    other report both praises and criticises the matter, else "weak" with the first doubt that holds
    (`_reasons`), or a close call."""
    others = sorted(((p, s) for s, p in row.probabilities.items() if s != row.status), reverse=True)
    runner_up = f"; it could also be {STATUS_WORDS[others[0][1]]} ({others[0][0]:.0%} likely)" if others else ""
    if x["mixed"] >= _MIXED:
        side = "earlier" if not row.earlier_side else "later"
        return "mixed", f"the {side} report's evidence on this is mixed: it both praises and criticises it{runner_up}"
    reasons = _reasons(row, x)
    if not reasons:
        return "weak", f"a close call between statuses{runner_up}"
    return "weak", f"{reasons[0]}{runner_up}"


def _reasons(row: CheckInput, x: Mapping[str, float]) -> list[str]:
    """Each doubt that holds for the row, in a fixed order: the thinnest link first, then a call that rests on one
    source of evidence."""
    found = []
    if row.shared_words and x.get("single_word"):
        what = "linked to the other report's item" if row.linked else "the evidence found is linked to the item"
        found.append(f"{what} through a single shared word (“{row.shared_words[0]}”)")
    if not x.get("holds_whole_item", 1.0) and row.part:
        found.append(f"decided on one part of the item only (“{_short(row.part)}”); the rest may not be covered")
    if not x.get("holds_words_only", 1.0):
        found.append("the evidence is on the same practice theme but shares few of the item's words")
    if not x.get("holds_best_sentence", 1.0):
        found.append("several weak sentences add up to the call; no one sentence says it clearly")
    return found


_SHORT = 60  # characters of a part quoted in a reason


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHORT else text[: _SHORT - 1].rsplit(" ", 1)[0] + "…"
