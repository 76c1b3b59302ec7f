"""Fit the comparison's calibration on the gold pairs, and say how well it holds on authorities left out.

    python benchmarks/fit_calibration.py

Every constant that decides a status lives in `datasette_ofsted.align.Calibration`. This
script scores every point of `ingest.evaluate.GRID_VALUES` on all gold pairs and prints the
best (the values to ship as DEFAULT_CALIBRATION), then, for each authority, the point chosen
on the other authorities alone and the held-out authority's score with it. Nothing here is
fitted on a quote: the grid holds thresholds and weights of explainable features only.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path

from datasette_ofsted.align import DEFAULT_CALIBRATION
from ingest.evaluate import GRID_VALUES, fit, grid, leave_one_authority_out, load_pairs

ROOT = Path(__file__).resolve().parent.parent


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


if __name__ == "__main__":
    main()
