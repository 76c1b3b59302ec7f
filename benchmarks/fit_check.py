"""Fit "check this" (datasette_ofsted/check.py) on the gold pairs, and say how well it finds the wrong calls on
authorities left out.

    python benchmarks/fit_check.py               # print the fit and the held-out checks
    python benchmarks/fit_check.py --write       # also write datasette_ofsted/check.json (the shipped check)
    python benchmarks/fit_check.py --candidates  # also score a fitted "is this row wrong" model, held out

Run it after `benchmarks/fit_calibration.py --write` (the decision it checks): it fits on top of whatever the
decision and the engine are then. What is fitted: the review bar, the confidence under which the REVIEW_SHARE
least sure of the gold pairs' rows fall (decided by the decision fitted on the same pairs).

Held out, everything is refitted in each fold: for each authority, the decision and the review bar are fitted
without it and its rows decided and checked with them. Printed: the reliability table of the held-out
confidence, the share of the wrong calls needs_review marks and the share of rows it marks, and the AUC (the
chance a wrong row's confidence is below a right one's); then the same for the pairs labelled blind
(benchmarks/blind_gold, never fitted on) with the decision and the check fitted on every gold pair.

`--candidates` scores the check's features (why.check_from: does the call hold on each variant's reading, is the
evidence mixed, is the link a single word) as a fitted model of "is this row right": a logistic regression on
out-of-fold rows (each authority's rows decided by the decision fitted without it), itself fitted without the
authority it scores, its held-out AUC beside the confidence's own. It is what would replace the confidence as
the order of "check these first" if it ranked the wrong rows better.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fit_calibration import auc, rated_rows, report  # noqa: E402

from datasette_ofsted.align import decide  # noqa: E402
from datasette_ofsted.check import REVIEW_SHARE, review_threshold  # noqa: E402
from datasette_ofsted.decision import CHECK_FILE, CheckModel, Model, fit_softmax, softmax  # noqa: E402
from ingest.evaluate import GoldPair, fit_model, load_pairs, score_pair  # noqa: E402

TRAINING_GOLD = ROOT / "tests" / "gold"
Rated = list[tuple[float, bool, int]]  # per gold row (fit_calibration.rated_rows): confidence, marked, right


def fit_check(pairs: list[GoldPair], decision: Model) -> CheckModel:
    """The review bar on these pairs: the confidence under which the REVIEW_SHARE least sure of their rows fall,
    each row decided by `decision` (fitted on the same pairs)."""
    confidences = [row["confidence"] for p in pairs for row in decide(p.evidence, model=decision)["rows"]]
    return CheckModel(review_threshold(confidences, REVIEW_SHARE))


def fit(pairs: list[GoldPair]) -> Model:
    """The decision fitted on these pairs with the check fitted on top of it: what ships, or what a fold uses."""
    decision = fit_model(pairs)
    return replace(decision, check=fit_check(pairs, decision))


def by_authority(pairs: list[GoldPair]) -> dict[str, list[GoldPair]]:
    grouped: dict[str, list[GoldPair]] = {}
    for p in pairs:
        grouped.setdefault(p.authority, []).append(p)
    return grouped


def held_out(pairs: list[GoldPair]) -> Rated:
    """Each authority's rows decided and checked by the decision and review bar fitted without it."""
    out: Rated = []
    for authority, own in by_authority(pairs).items():
        out += rated_rows(own, fit([p for p in pairs if p.authority != authority]))
    return out


def candidates(pairs: list[GoldPair]) -> tuple[float, float, int]:
    """The held-out AUC of the confidence alone and of a fitted "is this row right" model over what the check
    reads (why.check_from), both on out-of-fold rows; and how many rows."""
    rows: list[tuple[str, dict[str, float], int]] = []
    for authority, own in by_authority(pairs).items():
        # A bar no row passes: every row's variants and shared words are read (the engine reads them only under it).
        model = replace(fit_model([p for p in pairs if p.authority != authority]), check=CheckModel(1.0))
        for p in own:
            for right, row in score_pair(p.gold, decide(p.evidence, model=model)).issues:
                if row is not None:
                    rows.append((authority, row["why"]["check_from"], int(right)))
    names = sorted(rows[0][1])
    scored: Rated = []
    for authority in by_authority(pairs):
        train = [(x, y) for a, x, y in rows if a != authority]
        w = fit_softmax([[1.0] + [x[n] for n in names] for x, _ in train], [1 - y for _, y in train], 2)[0]
        for a, x, y in rows:
            if a == authority:
                z = w[0] + sum(wi * x[n] for wi, n in zip(w[1:], names))
                scored.append((softmax([z, 0.0])[0], False, y))
    alone = auc([(x["confidence"], False, y) for _, x, y in rows])
    return alone, auc(scored), len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write datasette_ofsted/{CHECK_FILE}")
    parser.add_argument("--candidates", action="store_true", help="score a fitted model of the wrong rows, held out")
    args = parser.parse_args(argv)
    pairs = load_pairs(TRAINING_GOLD, ROOT / "data" / "reports")
    model = fit(pairs)
    assert model.check is not None
    text = json.dumps(model.check.to_json(), indent=1) + "\n"
    target = ROOT / "datasette_ofsted" / CHECK_FILE
    print(f"fitted on {len(pairs)} pairs; review_below = {model.check.review_below}")
    if args.write:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
    elif not target.exists() or target.read_text(encoding="utf-8") != text:
        print(f"the shipped {CHECK_FILE} differs from this fit: run with --write")
    report("in-sample (decision and review bar fitted on every pair)", rated_rows(pairs, model))
    report("leave-one-authority-out (decision and review bar refitted without the authority)", held_out(pairs))
    # Blind pairs not (yet) folded into the training gold: none once they all are.
    blind_dir = ROOT / "benchmarks" / "blind_gold"
    blind = [p for p in load_pairs(blind_dir, blind_dir / "reports") if not (TRAINING_GOLD / f"{p.name}.json").exists()]
    if blind:
        report(f"the {len(blind)} pairs labelled blind (never fitted on)", rated_rows(blind, model))
    if args.candidates:
        alone, fitted, n = candidates(pairs)
        print(f"\nout of fold, {n} rows: the confidence alone ranks wrong below right with AUC {alone:.2f}; a")
        print(f"logistic regression over why.check_from, fitted without the authority it scores: AUC {fitted:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
