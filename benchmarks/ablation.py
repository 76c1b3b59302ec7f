"""Switch off each rule and feature of the comparison in turn and score it leave-one-authority-out.

    python benchmarks/ablation.py [--only RULE ...] [--markdown]

For every rule in `align.RULES` and feature in `align.FEATURE_SWITCHES`, the engine runs on the gold pairs with
that one switched off (`Calibration.disabled`; nothing is patched), the fitted decision is refitted inside each
leave-one-authority-out fold exactly as for the shipped engine, and the issues right are counted per authority
and for the 11 pairs tuned on and the 16 added. A rule pays its way when the engine with it gets more issues
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
from ingest.evaluate import TUNED_ON, constant_guess, leave_one_authority_out, load_pairs  # noqa: E402

# A rule stays when it gains on at least this many authorities and loses on none.
PAYS_ON = 2
# Rules that act while the evidence is gathered (the rest only change what the fitted decision reads).
GATHERED = set(RULES)


def held_out_auc(held: list) -> float:
    """The held-out confidence's AUC over every gold issue's row (wrong rows below right ones)."""
    rated = [(float(row["confidence"]), False, int(right)) for s, _ in held for right, row in s.issues if row]
    return auc(rated)


def scores(disabled: frozenset[str]) -> tuple[dict[str, int], int, int, int, float]:
    """Issues right leave-one-authority-out: per authority, then the pairs tuned on, the pairs added, all; and
    the held-out confidence's AUC."""
    cal = replace(DEFAULT_CALIBRATION, disabled=disabled)
    pairs = load_pairs(ROOT / "tests" / "gold", ROOT / "data" / "reports", cal)
    held = leave_one_authority_out(pairs)
    by_authority: dict[str, int] = {}
    for p, (s, _) in zip(pairs, held):
        by_authority[p.authority] = by_authority.get(p.authority, 0) + s.right
    old = sum(s.right for p, (s, _) in zip(pairs, held) if p.name in TUNED_ON)
    new = sum(s.right for p, (s, _) in zip(pairs, held) if p.name not in TUNED_ON)
    return by_authority, old, new, old + new, held_out_auc(held)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="switch off only these rules or features")
    args = parser.parse_args(argv)
    switches = {**RULES, **FEATURE_SWITCHES}
    names = args.only or list(switches)
    pairs = load_pairs(ROOT / "tests" / "gold", ROOT / "data" / "reports")
    total_old = sum(len(p.gold["from_issues"]) + len(p.gold["to_issues"]) for p in pairs if p.name in TUNED_ON)
    total_new = sum(len(p.gold["from_issues"]) + len(p.gold["to_issues"]) for p in pairs if p.name not in TUNED_ON)
    guess_old = sum(constant_guess(p.gold) for p in pairs if p.name in TUNED_ON)
    guess_new = sum(constant_guess(p.gold) for p in pairs if p.name not in TUNED_ON)
    full, full_old, full_new, full_all, full_auc = scores(frozenset())
    print(f"leave-one-authority-out, issues right: 11 pairs tuned on /{total_old}, 16 added /{total_new}, all")
    print(
        f"| switched off | tuned on (/{total_old}) | added (/{total_new}) | all | AUC | gains on | loses on | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(f"| constant guess | {guess_old} | {guess_new} | {guess_old + guess_new} | | | | |")
    print(f"| nothing (the shipped engine) | {full_old} | {full_new} | {full_all} | {full_auc:.2f} | | | |")
    for name in names:
        without, old, new, everything, without_auc = scores(frozenset({name}))
        gains = sorted(a for a in full if full[a] > without.get(a, 0))
        loses = sorted(a for a in full if full[a] < without.get(a, 0))
        verdict = "pays" if len(gains) >= PAYS_ON and not loses else "does not pay"
        print(
            f"| {name}: {switches[name]} | {old} ({old - full_old:+d}) | {new} ({new - full_new:+d}) | "
            f"{everything} ({everything - full_all:+d}) | {without_auc:.2f} | {len(gains)}: {', '.join(gains)} | "
            f"{len(loses)}: {', '.join(loses)} | {verdict} |"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
