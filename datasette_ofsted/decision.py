"""The fitted decision: a row's status and confidence from the evidence the row shows.

Hand-set bars ("a sentence scoring 0.44 decides") were tuned with every gold pair in view and did not
carry to reports nobody tuned them on. Here a small multinomial logistic regression reads the features
`align` gathers for each improvement (the strongest criticism and praise of its matter in the other
report, and each summed over the best candidates) and gives the probability of each status. The status is the most likely one; its probability is the row's
confidence, and the rows least likely to be right are the ones a reviewer is asked to check.

The weights are data (`decision.json`, shipped in the package), fitted by
`python benchmarks/fit_calibration.py --write` on the gold pairs; the same script refits them inside each
leave-one-authority-out fold. Plain Python: a dozen features and a few hundred rows need no numpy.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

from .status import EARLIER_STATUSES, LATER_STATUSES

MODEL_FILE = "decision.json"
CHECK_FILE = "check.json"

# What an earlier improvement's row can be, and a later one's: status.py's EARLIER_STATUSES and LATER_STATUSES.

# The features of a row, as `align.row_features` computes them and `why.confidence_from` shows them.
FEATURES = (
    "bias",
    "critical",  # the strongest criticism of the matter in the other report (similarity, 0..1)
    "praise",  # the strongest praise of it
    "critical_sum",  # criticism summed over the best candidates: agreeing sentences add up
    "praise_sum",
    "link",  # the best link to an item of the other report's list on the same matter
    # The same four over the sentences that share two words of the matter, one of them specific (align._solid): a
    # single shared head noun is a weak sign, and the fit learns how much less it says.
    "solid_critical",
    "solid_praise",
    "solid_critical_sum",
    "solid_praise_sum",
)
# Features tried and dropped because they did not pay their way leave-one-authority-out (benchmarks/README.md,
# the ablation): plain statements with no stance, the progress wording, the coverage of the item's words, the
# report's global statement on the last inspection's areas, and the length of the other report.

# A row's confidence is its status's probability, recalibrated (Platt scaling: a logistic regression of whether the
# gold pairs' rows were right on the log-odds of that probability), so that rows at 0.8 are right about 8 times in
# 10. Monotone: it ranks rows as the probability does.
CONFIDENCE_FEATURES = ("bias", "log_odds")
CONFIDENCE_RIDGE = 0.01  # two weights and hundreds of rows: next to no penalty


def confidence_features(probability: float) -> dict[str, float]:
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return {"bias": 1.0, "log_odds": round(math.log(p / (1 - p)), 6)}


# L2 penalty on every weight but the bias: a few hundred gold issues, a dozen features; keeps the fit smooth and
# the optimum unique, so that a fresh fit reproduces the shipped weights.
RIDGE = 1.0
NEWTON_STEPS = 30


@dataclass(frozen=True)
class CheckModel:
    """The chance of being right under which a row is marked for review (fitted by benchmarks/fit_check.py)."""

    review_below: float = 0.0

    def to_json(self) -> dict:
        return {"review_below": self.review_below}

    @classmethod
    def from_json(cls, data: dict) -> CheckModel:
        return cls(float(data["review_below"]))


@dataclass(frozen=True)
class Model:
    """Weights per status (one row of len(FEATURES) weights each; the last status's row is all zeros, the
    reference) for earlier and later improvements, and the check that reads its rows for review."""

    earlier: tuple[tuple[float, ...], ...]
    later: tuple[tuple[float, ...], ...]
    features: tuple[str, ...] = FEATURES
    # Weights of the chance a row is right over CONFIDENCE_FEATURES; empty: the status's probability as it is.
    confidence: tuple[float, ...] = ()
    # "Check this" (check.py): the chance each row is right and which to check, fitted on this decision's
    # out-of-fold rows and shipped apart (check.json); None while a decision is being fitted (no row is marked).
    check: CheckModel | None = field(default=None, compare=False)

    def confidence_of(self, probability: float) -> float:
        """The chance a row whose status has this probability is right, fitted on whether the gold pairs' were."""
        if not self.confidence:
            return probability
        x = confidence_features(probability)
        return softmax([sum(w * x[name] for w, name in zip(self.confidence, CONFIDENCE_FEATURES)), 0.0])[0]

    def probabilities(self, earlier_side: bool, x: dict[str, float]) -> dict[str, float]:
        statuses = EARLIER_STATUSES if earlier_side else LATER_STATUSES
        weights = self.earlier if earlier_side else self.later
        values = [x.get(name, 0.0) for name in self.features]
        return dict(zip(statuses, softmax([sum(w * v for w, v in zip(row, values)) for row in weights])))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "earlier_statuses": list(EARLIER_STATUSES),
            "later_statuses": list(LATER_STATUSES),
            "earlier": [list(r) for r in self.earlier],
            "later": [list(r) for r in self.later],
            "confidence_features": list(CONFIDENCE_FEATURES),
            "confidence": list(self.confidence),
        }

    @classmethod
    def from_json(cls, data: dict) -> Model:
        return cls(
            tuple(tuple(r) for r in data["earlier"]),
            tuple(tuple(r) for r in data["later"]),
            tuple(data["features"]),
            tuple(data.get("confidence", ())),
        )


@lru_cache(maxsize=1)
def shipped_model() -> Model:
    """The weights fitted on every gold pair, as shipped in the package, with the shipped check of its rows."""
    model = Model.from_json(json.loads(resources.files("datasette_ofsted").joinpath(MODEL_FILE).read_text("utf-8")))
    return replace(model, check=shipped_check())


def softmax(z: list[float]) -> list[float]:
    top = max(z)
    e = [math.exp(max(-60.0, v - top)) for v in z]
    total = sum(e)
    return [v / total for v in e]


def fit_softmax(
    rows: list[list[float]], labels: list[int], classes: int, ridge: float | None = None
) -> list[list[float]]:
    """A multinomial logistic regression by Newton's method with an L2 penalty (not on the bias, column 0).

    The last class is the reference (its weights stay zero). Deterministic: the same rows give the same
    weights, which are rounded so that a fresh fit equals the shipped file exactly.
    """
    ridge = RIDGE if ridge is None else ridge
    k = len(rows[0])
    free = classes - 1
    w = [0.0] * (free * k)
    for _ in range(NEWTON_STEPS):
        grad, hess = _penalty(ridge, free, k, w)
        for x, y in zip(rows, labels):
            _add_row(grad, hess, w, x, y, free)
        step = _solve(hess, grad)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(s) for s in step) < 1e-10:
            break
    out = [[round(w[c * k + j], 6) for j in range(k)] for c in range(free)]
    return out + [[0.0] * k]


def _penalty(ridge: float, free: int, k: int, w: list[float]) -> tuple[list[float], list[list[float]]]:
    """The L2 penalty's gradient and Hessian (every weight but each class's bias), where a Newton step starts."""
    size = free * k
    grad = [ridge * w[i] if i % k else 0.0 for i in range(size)]
    hess = [[0.0] * size for _ in range(size)]
    for i in range(size):
        if i % k:
            hess[i][i] = ridge
    return grad, hess


def _add_row(grad: list[float], hess: list[list[float]], w: list[float], x: list[float], y: int, free: int) -> None:
    """Add one training row's share of the negative log-likelihood's gradient and Hessian (in place)."""
    k = len(x)
    p = softmax([sum(w[c * k + j] * x[j] for j in range(k)) for c in range(free)] + [0.0])
    for a in range(free):
        err = p[a] - (1.0 if y == a else 0.0)
        for j in range(k):
            grad[a * k + j] += err * x[j]
        for b in range(free):
            h = p[a] * ((1.0 if a == b else 0.0) - p[b])
            if h != 0.0:
                _add_outer(hess, a * k, b * k, h, x)


def _add_outer(hess: list[list[float]], row0: int, col0: int, h: float, x: list[float]) -> None:
    """hess[row0 + j][col0 + jj] += h * x[j] * x[jj]: one block of the Hessian."""
    for j, xj in enumerate(x):
        hj = h * xj
        if hj == 0.0:
            continue
        row = hess[row0 + j]
        for jj, xjj in enumerate(x):
            row[col0 + jj] += hj * xjj


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a small, regularised system)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[pivot] = m[pivot], m[c]
        if abs(m[c][c]) < 1e-12:
            m[c][c] = 1e-12
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            if f:
                for j in range(c, n + 1):
                    m[r][j] -= f * m[c][j]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][j] * x[j] for j in range(r + 1, n))) / m[r][r]
    return x


@lru_cache(maxsize=1)
def shipped_check() -> CheckModel:
    """The check fitted on the gold pairs' out-of-fold rows, as shipped in the package."""
    return CheckModel.from_json(json.loads(resources.files("datasette_ofsted").joinpath(CHECK_FILE).read_text("utf-8")))
