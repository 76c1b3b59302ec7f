"""How well the comparison generalises: leave-one-pair-out calibration against the gold pairs.

    python benchmarks/alignment_quality.py

The shipped thresholds (THEME_WEIGHT, MATCH) were chosen on all five gold pairs, so the
score at those thresholds flatters the method. Here, for each pair, the thresholds are
chosen on the other four and the held-out pair is scored with them: an estimate of what
the method scores on pairs it has not seen. Baselines for reference: calling every earlier
improvement not revisited and every later one new, and rapidfuzz's token_set_ratio alone.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from rapidfuzz import fuzz

from datasette_ofsted import align
from ingest.evaluate import report_findings, score_pair

ROOT = Path(__file__).resolve().parent.parent
GOLD = sorted((ROOT / "tests" / "gold").glob("*.json"))
REPORTS = ROOT / "data" / "reports"
GRID = list(itertools.product([0.25, 0.3, 0.35, 0.4, 0.45], [0.26, 0.28, 0.30, 0.32, 0.34, 0.36, 0.38, 0.40]))


def pairs():
    for path in GOLD:
        gold = json.loads(path.read_text())
        yield (
            path.stem,
            gold,
            list(report_findings(REPORTS / gold["from"]["source"])),
            list(report_findings(REPORTS / gold["to"]["source"])),
        )


def with_params(theme_weight: float, match: float, earlier, later) -> dict:
    saved = align.THEME_WEIGHT, align.MATCH, align.SAME_IMPROVEMENT
    align.THEME_WEIGHT, align.MATCH, align.SAME_IMPROVEMENT = theme_weight, match, match
    try:
        return align.compare(earlier, later)
    finally:
        align.THEME_WEIGHT, align.MATCH, align.SAME_IMPROVEMENT = saved


def baseline_silent(earlier, later) -> dict:
    rows = [
        {"status": "not_revisited", "from": [dict(f, role="improvement")], "to": []}
        for f in earlier
        if f["kind"] == "improvement"
    ]
    rows += [
        {"status": "new", "from": [], "to": [dict(f, role="improvement")]} for f in later if f["kind"] == "improvement"
    ]
    return {"rows": rows}


def baseline_fuzz(earlier, later, threshold: float = 60) -> dict:
    """Each improvement against every finding of the other side by token_set_ratio alone."""
    rows = []
    for side, mine, other, silent in (("from", earlier, later, "not_revisited"), ("to", later, earlier, "new")):
        for f in (x for x in mine if x["kind"] == "improvement"):
            best = sorted(other, key=lambda o: -fuzz.token_set_ratio(f["text"], o["text"]))[:4]
            hit = best and fuzz.token_set_ratio(f["text"], best[0]["text"]) >= threshold
            evidence = [dict(o, role="evidence") for o in best] if hit else []
            row = {
                "status": "recurring" if hit else silent,
                side: [dict(f, role="improvement")],
                ("to" if side == "from" else "from"): evidence,
            }
            rows.append(row)
    return {"rows": rows}


def main() -> None:
    data = list(pairs())
    scores = {}
    for theme_weight, match in GRID:
        scores[(theme_weight, match)] = [score_pair(g, with_params(theme_weight, match, a, b)) for _, g, a, b in data]
    shipped = (align.THEME_WEIGHT, align.MATCH)
    print(f"{'pair':40} {'shipped':>8} {'held-out':>9} {'chosen on the other four':>26} {'silent':>7} {'rapidfuzz':>9}")
    total = {"shipped": 0, "held": 0, "silent": 0, "fuzz": 0, "n": 0}
    for i, (name, gold, earlier, later) in enumerate(data):
        best = max(GRID, key=lambda p: (sum(s.right for j, s in enumerate(scores[p]) if j != i), p == shipped))
        held = scores[best][i]
        ship = scores[shipped][i] if shipped in scores else score_pair(gold, align.compare(earlier, later))
        silent = score_pair(gold, baseline_silent(earlier, later))
        fuzzy = score_pair(gold, baseline_fuzz(earlier, later))
        print(
            f"{name:40} {ship.right:3}/{ship.total:<4} {held.right:4}/{held.total:<4} {str(best):>26} "
            f"{silent.right:3}/{silent.total:<3} {fuzzy.right:4}/{fuzzy.total:<3}"
        )
        total["shipped"] += ship.right
        total["held"] += held.right
        total["silent"] += silent.right
        total["fuzz"] += fuzzy.right
        total["n"] += held.total
    n = total["n"]
    print(
        f"{'all pairs':40} {total['shipped'] / n:8.3f} {total['held'] / n:9.3f} {'':>26} {total['silent'] / n:7.3f} {total['fuzz'] / n:9.3f}"
    )


if __name__ == "__main__":
    main()
