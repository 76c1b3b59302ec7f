"""Switch off each rule and feature of the comparison in turn and score it leave-one-authority-out.

    python benchmarks/ablation.py [--only RULE ...] [--markdown]

For every rule in `align.RULES` and feature in `align.FEATURE_SWITCHES`, the engine runs on the gold pairs with
that one switched off (`Calibration.disabled`; nothing is patched), the fitted decision is refitted inside each
leave-one-authority-out fold exactly as for the shipped engine, and the issues right are counted per authority
and for each group of pairs (the 11 tuned on, the 16 added, the 12 labelled blind and folded in). A rule pays its way when the engine with it gets more issues
right than without it on several authorities (PAYS_ON) and fewer on none: the verdict column says so. The AUC
column is the held-out confidence's (the chance a wrong row's confidence is below a right one's): a rule that
changes few statuses may still change which rows "check this" finds.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fit_calibration import auc  # noqa: E402

from datasette_ofsted.align import DEFAULT_CALIBRATION, FEATURE_SWITCHES, RULES  # noqa: E402
from ingest.evaluate import GROUPS, constant_guess, leave_one_authority_out, load_pairs  # noqa: E402

# A rule stays when it gains on at least this many authorities and loses on none.
PAYS_ON = 2
# Rules that act while the evidence is gathered (the rest only change what the fitted decision reads).
GATHERED = set(RULES)


def held_out_auc(held: list) -> float:
    """The held-out confidence's AUC over every gold issue's row (wrong rows below right ones)."""
    rated = [(float(row["confidence"]), False, int(right)) for s, _ in held for right, row in s.issues if row]
    return auc(rated)


def scores(disabled: frozenset[str]) -> tuple[dict[str, int], list[int], float]:
    """Issues right leave-one-authority-out: per authority, then per group of pairs (GROUPS, all last); and the
    held-out confidence's AUC."""
    cal = replace(DEFAULT_CALIBRATION, disabled=disabled)
    pairs = load_pairs(ROOT / "tests" / "gold", ROOT / "data" / "reports", cal)
    held = leave_one_authority_out(pairs)
    by_authority: dict[str, int] = {}
    for p, (s, _) in zip(pairs, held):
        by_authority[p.authority] = by_authority.get(p.authority, 0) + s.right
    groups = [sum(s.right for p, (s, _) in zip(pairs, held) if member(p.name)) for _, member in GROUPS]
    return by_authority, groups, held_out_auc(held)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="switch off only these rules or features")
    args = parser.parse_args(argv)
    switches = {**RULES, **FEATURE_SWITCHES}
    names = args.only or list(switches)
    pairs = load_pairs(ROOT / "tests" / "gold", ROOT / "data" / "reports")
    totals = [
        sum(len(p.gold["from_issues"]) + len(p.gold["to_issues"]) for p in pairs if member(p.name))
        for _, member in GROUPS
    ]
    guesses = [sum(constant_guess(p.gold) for p in pairs if member(p.name)) for _, member in GROUPS]
    full, full_groups, full_auc = scores(frozenset())
    heads = " | ".join(f"{label} (/{total})" for (label, _), total in zip(GROUPS, totals))
    print("leave-one-authority-out, issues right per group of pairs")
    print(f"| switched off | {heads} | AUC | gains on | loses on | verdict |")
    print("|---|" + "---|" * (len(GROUPS) + 4))
    print(f"| constant guess | {' | '.join(map(str, guesses))} | | | | |")
    print(f"| nothing (the shipped engine) | {' | '.join(map(str, full_groups))} | {full_auc:.2f} | | | |")
    for name in names:
        without, groups, without_auc = scores(frozenset({name}))
        gains = sorted(a for a in full if full[a] > without.get(a, 0))
        loses = sorted(a for a in full if full[a] < without.get(a, 0))
        verdict = "pays" if len(gains) >= PAYS_ON and not loses else "does not pay"
        cells = " | ".join(f"{g} ({g - f:+d})" for g, f in zip(groups, full_groups))
        print(
            f"| {name}: {switches[name]} | {cells} | {without_auc:.2f} | {len(gains)}: {', '.join(gains)} | "
            f"{len(loses)}: {', '.join(loses)} | {verdict} |"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
