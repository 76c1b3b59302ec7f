"""Fit the comparison's calibration on the gold pairs, and say how well it holds on authorities left out.

    python benchmarks/fit_calibration.py

Every constant that decides a status lives in `datasette_ofsted.align.Calibration`. This
script scores every point of `ingest.evaluate.GRID_VALUES` on all gold pairs and prints the
best (the values to ship as DEFAULT_CALIBRATION), then, for each authority, the point chosen
on the other authorities alone and the held-out authority's score with it. Nothing here is
fitted on a quote: the grid holds thresholds and weights of explainable features only.

Then the row confidence: a logistic function of `align.CONFIDENCE_FEATURES` (how far the deciding
score is past its threshold, the opposite evidence, decided or silent, linked list items), fitted
to whether each gold issue's row is right. Leave-one-authority-out again: each authority's rows get
the weights (and thresholds) fitted on the others, and the reliability table of those held-out
confidences shows whether a row at 0.8 is right about 8 times in 10. The weights fitted on all
pairs are printed for DEFAULT_CALIBRATION.confidence_weights.
"""

from __future__ import annotations

import math
from dataclasses import asdict, fields
from pathlib import Path

from datasette_ofsted.align import CONFIDENCE_FEATURES, DEFAULT_CALIBRATION, Calibration, decide
from ingest.evaluate import GRID_VALUES, GoldPair, fit, grid, leave_one_authority_out, load_pairs, score_pair

ROOT = Path(__file__).resolve().parent.parent
RIDGE = 0.1  # L2 penalty on the weights (not the bias): ~130 issues, five features; keeps the fit smooth
BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)  # the reliability table's confidence bands


def fit_logistic(rows: list[list[float]], labels: list[int], ridge: float = RIDGE, steps: int = 50) -> list[float]:
    """Weights of a logistic regression by Newton's method with an L2 penalty (pure Python, five features)."""
    k = len(rows[0])
    w = [0.0] * k
    for _ in range(steps):
        grad = [ridge * w[j] if j else 0.0 for j in range(k)]
        hess = [[(ridge if i == j and i else 0.0) for j in range(k)] for i in range(k)]
        for x, y in zip(rows, labels):
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, sum(a * b for a, b in zip(w, x))))))
            for i in range(k):
                grad[i] += (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(b) for b in step) < 1e-8:
            break
    return w


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
            for j in range(c, n + 1):
                m[r][j] -= f * m[c][j]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][j] * x[j] for j in range(r + 1, n))) / m[r][r]
    return x


def labelled_rows(pairs: list[GoldPair], calibration: Calibration) -> list[tuple[list[float], int]]:
    """Each gold issue's row features (as the row's why.confidence_from) and whether the issue is right."""
    out = []
    for p in pairs:
        for right, row in score_pair(p.gold, decide(p.evidence, calibration)).issues:
            if row is not None:
                features = row["why"]["confidence_from"]
                out.append(([features[name] for name in CONFIDENCE_FEATURES], int(right)))
    return out


def confidence_of(weights: list[float], x: list[float]) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, sum(a * b for a, b in zip(weights, x))))))


def reliability(predicted: list[tuple[float, int]]) -> list[tuple[str, int, float, float]]:
    """(band, rows, mean confidence, share right) for each confidence band."""
    table = []
    for low, high in zip(BINS, BINS[1:]):
        inside = [(c, y) for c, y in predicted if low <= c < high]
        if inside:
            mean = sum(c for c, _ in inside) / len(inside)
            table.append(
                (f"{low:.1f}-{min(high, 1.0):.1f}", len(inside), mean, sum(y for _, y in inside) / len(inside))
            )
    return table


def main() -> None:
    pairs = load_pairs(ROOT / "tests" / "gold", ROOT / "data" / "reports")
    candidates = grid()
    total = sum(len(p.gold["from_issues"]) + len(p.gold["to_issues"]) for p in pairs)
    best, table = fit(pairs, candidates)
    shipped = candidates.index(DEFAULT_CALIBRATION) if DEFAULT_CALIBRATION in candidates else None
    print(f"{len(candidates)} calibrations on {len(pairs)} pairs, {total} issues")
    print(f"best on all pairs: {sum(table[candidates.index(best)])}/{total}")
    for f in fields(best):
        if f.name in GRID_VALUES:
            print(f"    {f.name} = {getattr(best, f.name)}")
    if shipped is not None:
        print(f"shipped DEFAULT_CALIBRATION: {sum(table[shipped])}/{total}")
    else:
        print(f"shipped DEFAULT_CALIBRATION is not on the grid: {asdict(DEFAULT_CALIBRATION)}")
    print(f"\n{'held-out pair':45} {'score':>7}  calibration chosen on the other authorities")
    held = leave_one_authority_out(pairs, candidates)
    for score, calibration in held:
        chosen = ", ".join(f"{k}={getattr(calibration, k)}" for k in GRID_VALUES)
        print(f"{score.name:45} {score.right:3}/{score.total:<3}  {chosen}")
    right = sum(s.right for s, _ in held)
    print(f"{'leave-one-authority-out':45} {right:3}/{total} = {right / total:.3f}")

    # The confidence: weights fitted on the other authorities' rows, decided with the thresholds chosen on
    # them, applied to the held-out authority's rows.
    chosen_for = {p.authority: c for p, (_, c) in zip(pairs, held)}
    predicted: list[tuple[float, int]] = []
    for authority, calibration in chosen_for.items():
        training = labelled_rows([p for p in pairs if p.authority != authority], calibration)
        weights = fit_logistic([x for x, _ in training], [y for _, y in training])
        for x, y in labelled_rows([p for p in pairs if p.authority == authority], calibration):
            predicted.append((confidence_of(weights, x), y))
    print("\nconfidence reliability, leave-one-authority-out (band, rows, mean confidence, share right):")
    for band, n, mean, share in reliability(predicted):
        print(f"    {band}  {n:4}  {mean:.2f}  {share:.2f}")
    brier = sum((c - y) ** 2 for c, y in predicted) / len(predicted)
    # The yardstick: one confidence for every row, the share right on the other authorities. A confidence that
    # tells right rows from wrong ones scores under it; with ~10 wrong rows in the gold, none does by much yet.
    constant: list[tuple[float, int]] = []
    for authority in chosen_for:
        others = [y for p in pairs if p.authority != authority for _, y in labelled_rows([p], chosen_for[authority])]
        share = sum(others) / len(others)
        constant += [
            (share, y) for _, y in labelled_rows([p for p in pairs if p.authority == authority], chosen_for[authority])
        ]
    baseline = sum((c - y) ** 2 for c, y in constant) / len(constant)
    print(f"    Brier score {brier:.3f} over {len(predicted)} rows (one constant confidence: {baseline:.3f})")
    everything = labelled_rows(pairs, DEFAULT_CALIBRATION)
    weights = fit_logistic([x for x, _ in everything], [y for _, y in everything])
    print(f"confidence_weights fitted on all pairs {CONFIDENCE_FEATURES}:")
    print(f"    confidence_weights = ({', '.join(f'{w:.2f}' for w in weights)})")
    shipped_rows = [(confidence_of(list(DEFAULT_CALIBRATION.confidence_weights), x), y) for x, y in everything]
    print("shipped confidence, in-sample (band, rows, mean confidence, share right):")
    for band, n, mean, share in reliability(shipped_rows):
        print(f"    {band}  {n:4}  {mean:.2f}  {share:.2f}")
    flagged = [y for (c, y), (x, _) in zip(shipped_rows, everything) if c < DEFAULT_CALIBRATION.review_below]
    print(
        f"rows under review_below={DEFAULT_CALIBRATION.review_below}: {len(flagged)}, "
        f"right {sum(flagged)}; rows above: right {sum(y for c, y in shipped_rows if c >= DEFAULT_CALIBRATION.review_below)}"
        f"/{sum(1 for c, _ in shipped_rows if c >= DEFAULT_CALIBRATION.review_below)}"
    )


if __name__ == "__main__":
    main()
