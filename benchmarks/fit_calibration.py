"""Fit the comparison's decision on the gold pairs, and say how well it holds on authorities left out.

    python benchmarks/fit_calibration.py            # print the fit and the held-out checks
    python benchmarks/fit_calibration.py --write    # also write datasette_ofsted/decision.json (the shipped weights)

What decides a row's status is a small multinomial logistic regression over the features each row shows in
`why.confidence_from` (datasette_ofsted/decision.py), fitted here on every gold issue, with the confidence under
which the confidence is calibrated (which rows to check is fitted on top of it by benchmarks/fit_check.py).
Then leave-one-authority-out, with everything refitted in each fold (both regressions and the calibration): for each authority the model is
fitted on the other authorities' pairs alone and the held-out authority's rows are decided with it. Printed:

- the issues right, in-sample and held out;
- the reliability table of the held-out confidences (rows at 0.8 should be right about 8 times in 10);
- the AUC of the confidence (the chance that a wrong row has a lower confidence than a right one); how well
  `needs_review` finds the wrong calls is benchmarks/fit_check.py's to say.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datasette_ofsted.align import decide  # noqa: E402
from datasette_ofsted.decision import MODEL_FILE, Model  # noqa: E402
from ingest.evaluate import GROUPS, GoldPair, constant_guess, fit_model, load_pairs, score_pair  # noqa: E402

BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)  # the reliability table's confidence bands


def rated_rows(pairs: list[GoldPair], model: Model, tally: dict[str, int] | None = None) -> list[tuple[float, bool, int]]:
    """Each gold issue's row as decided by `model`: its confidence, whether it is marked for review, and whether
    the issue is right (1) or wrong (0). `tally`, when given, counts the issues right per pair."""
    out = []
    for p in pairs:
        scored = score_pair(p.gold, decide(p.evidence, model=model))
        if tally is not None:
            tally[p.name] = scored.right
        for right, row in scored.issues:
            if row is not None:
                out.append((float(row["confidence"]), bool(row["needs_review"]), int(right)))
    return out


def by_group(pairs: list[GoldPair], tally: dict[str, int]) -> None:
    """The issues right per group of pairs (evaluate.GROUPS), beside the constant guess."""
    for label, member in GROUPS:
        chosen = [p for p in pairs if member(p.name)]
        total = sum(len(p.gold["from_issues"]) + len(p.gold["to_issues"]) for p in chosen)
        if total:
            right, guess = sum(tally[p.name] for p in chosen), sum(constant_guess(p.gold) for p in chosen)
            print(f"    {label}: {right}/{total} = {right / total:.3f} (constant guess {guess / total:.3f})")


def reliability(rated: list[tuple[float, bool, int]]) -> list[tuple[str, int, float, float]]:
    """(band, rows, mean confidence, share right) for each confidence band."""
    table = []
    for low, high in zip(BINS, BINS[1:]):
        inside = [(c, y) for c, _, y in rated if low <= c < high]
        if inside:
            mean = sum(c for c, _ in inside) / len(inside)
            table.append(
                (f"{low:.1f}-{min(high, 1.0):.1f}", len(inside), mean, sum(y for _, y in inside) / len(inside))
            )
    return table


def auc(rated: list[tuple[float, bool, int]]) -> float:
    """The chance that a wrong row's confidence is below a right row's (ties count half)."""
    right = [c for c, _, y in rated if y]
    wrong = [c for c, _, y in rated if not y]
    if not right or not wrong:
        return 1.0
    pairs = sum((w < r) + 0.5 * (w == r) for w in wrong for r in right)
    return pairs / (len(right) * len(wrong))


def review_quality(rated: list[tuple[float, bool, int]]) -> tuple[float, float]:
    """The share of wrong rows that needs_review marks, and the share of all rows it marks."""
    wrong = [marked for _, marked, y in rated if not y]
    caught = sum(wrong) / len(wrong) if wrong else 1.0
    return caught, sum(marked for _, marked, _ in rated) / len(rated)


def held_out(pairs: list[GoldPair], tally: dict[str, int] | None = None) -> list[tuple[float, bool, int]]:
    """The rows of each authority decided by the model fitted without it."""
    out = []
    for authority in dict.fromkeys(p.authority for p in pairs):
        model = fit_model([p for p in pairs if p.authority != authority])
        out += rated_rows([p for p in pairs if p.authority == authority], model, tally)
    return out


def report(label: str, rated: list[tuple[float, bool, int]]) -> None:
    right = sum(y for _, _, y in rated)
    caught, marked = review_quality(rated)
    print(f"\n{label}: {right}/{len(rated)} rows right")
    print("| confidence | rows | mean confidence | share right |")
    print("|---|---|---|---|")
    for band, n, mean, share in reliability(rated):
        print(f"| {band} | {n} | {mean:.2f} | {share:.2f} |")
    marks = f"needs_review marks {marked:.0%} of rows and {caught:.0%} of the wrong ones; " if marked else ""
    print(f"{marks}confidence AUC (wrong below right) {auc(rated):.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write datasette_ofsted/{MODEL_FILE}")
    args = parser.parse_args(argv)
    pairs = load_pairs(ROOT / "tests" / "gold", ROOT / "data" / "reports")
    model = fit_model(pairs)
    text = json.dumps(model.to_json(), indent=1) + "\n"
    target = ROOT / "datasette_ofsted" / MODEL_FILE
    print(f"fitted on {len(pairs)} pairs (needs_review is fitted on top of it: benchmarks/fit_check.py)")
    for side, weights in (("earlier", model.earlier), ("later", model.later)):
        for row in weights[:-1]:
            print(f"    {side}: " + ", ".join(f"{name} {w:+.2f}" for name, w in zip(model.features, row)))
    if args.write:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
    elif target.read_text(encoding="utf-8") != text:
        print(f"the shipped {MODEL_FILE} differs from this fit: run with --write")
    tally: dict[str, int] = {}
    report("in-sample (fitted on every pair)", rated_rows(pairs, model, tally))
    by_group(pairs, tally)
    report("leave-one-authority-out (everything refitted without the authority)", held_out(pairs, tally))
    by_group(pairs, tally)
    return 0


if __name__ == "__main__":
    sys.exit(main())
