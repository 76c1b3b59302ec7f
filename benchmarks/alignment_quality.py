"""How well the comparison does against baselines: shipped, leave-one-authority-out, silent, rapidfuzz.

    python benchmarks/alignment_quality.py

The shipped decision (datasette_ofsted/decision.json) was fitted on all gold pairs, so its
score flatters the method; the held-out column refits it on the other authorities only
(ingest.evaluate.leave_one_authority_out). Baselines for reference: calling
every earlier improvement not revisited and every later one new, and rapidfuzz's
token_set_ratio alone.
"""

from __future__ import annotations

from pathlib import Path

from rapidfuzz import fuzz

from datasette_ofsted.align import decide
from ingest.evaluate import leave_one_authority_out, load_pairs, score_pair

ROOT = Path(__file__).resolve().parent.parent


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
    pairs = load_pairs(ROOT / "tests" / "gold", ROOT / "data" / "reports")
    held = {s.name: s for s, _ in leave_one_authority_out(pairs)}
    print(f"{'pair':40} {'shipped':>8} {'held-out':>9} {'silent':>7} {'rapidfuzz':>9}")
    total = {"shipped": 0, "held": 0, "silent": 0, "fuzz": 0, "n": 0}
    for p in pairs:
        earlier, later = p.evidence.earlier, p.evidence.later
        ship = score_pair(p.gold, decide(p.evidence))
        silent = score_pair(p.gold, baseline_silent(earlier, later))
        fuzzy = score_pair(p.gold, baseline_fuzz(earlier, later))
        out = held[p.name]
        print(
            f"{p.name:40} {ship.right:3}/{ship.total:<4} {out.right:4}/{out.total:<4} "
            f"{silent.right:3}/{silent.total:<3} {fuzzy.right:4}/{fuzzy.total:<3}"
        )
        total["shipped"] += ship.right
        total["held"] += out.right
        total["silent"] += silent.right
        total["fuzz"] += fuzzy.right
        total["n"] += ship.total
    n = total["n"]
    print(
        f"{'all pairs':40} {total['shipped'] / n:8.3f} {total['held'] / n:9.3f} "
        f"{total['silent'] / n:7.3f} {total['fuzz'] / n:9.3f}"
    )


if __name__ == "__main__":
    main()
