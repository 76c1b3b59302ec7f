"""A small mutation check: each of issue 15's secondary behaviours, broken on purpose, must fail a test.

Every change below is one exact text replacement in a copy of the repository (the working tree is
never touched). The check fails loudly when a change's anchor text is not found exactly once, so a
moved line cannot make it pass silently: re-anchor the entry instead. For each change it runs the
tests named beside it (or the whole suite with --all-tests) against the mutated copy and reports
which tests failed. A change no test catches is a behaviour the suite does not guard.

    .venv/bin/python benchmarks/mutation_check.py            # the named tests, a few minutes
    .venv/bin/python benchmarks/mutation_check.py --all-tests  # the whole suite for each change
    .venv/bin/python benchmarks/mutation_check.py --only "grade chart"

Exits 1 when a change is not caught or an anchor is missing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str  # the behaviour a user would lose
    file: str  # relative to the repository
    old: str  # exact text, found exactly once
    new: str
    tests: tuple[str, ...]  # pytest node ids or files that must catch it


# The changes of issue 15. Anchor each on a line that says what it does; when the code moves, move the anchor.
MUTATIONS: list[Mutation] = [
    Mutation(
        "thread cells never shown as resolved",
        "datasette_ofsted/views/authority.py",
        'elif "resolved" in statuses:\n                state = "resolved"',
        'elif "resolved" in statuses:\n                state = "not assessed"',
        (
            "tests/test_guards_pages.py::test_thread_cell_resolved_when_the_comparison_resolves_the_theme",
            "tests/test_authority.py::test_threads_follow_the_comparisons_statuses",
        ),
    ),
    Mutation(
        "no line drawn on the grade chart",
        "datasette_ofsted/views/authority.py",
        "    if len(points) > 1:\n",
        "    if len(points) > 1 and False:\n",
        (
            "tests/test_guards_pages.py::test_grade_chart_joins_graded_inspections_with_a_line",
            "tests/test_authority.py::test_ungraded_inspections_are_not_drawn_on_the_grade_scale",
        ),
    ),
    Mutation(
        "the published date never parsed",
        "ingest/parse.py",
        'published_date=find_published(head, "\\n".join(pages)),',
        "published_date=None,",
        ("tests/test_guards_ingest.py::test_printed_publication_date_is_read",),
    ),
    Mutation(
        "the published date from MANIFEST.csv ignored",
        "ingest/cli.py",
        '_listed_date(row.get("published")),',
        "None,",
        (
            "tests/test_guards_ingest.py::test_manifest_publication_date_wins_over_the_printed_one",
            "tests/test_ingest.py::test_the_published_date_comes_from_the_manifest_first",
        ),
    ),
    Mutation(
        "agreeing sentences no longer add up",
        "datasette_ofsted/align.py",
        'for m in pool if m.polarity == stance), 4) if cal.on("sums")',
        'for m in pool[:1] if m.polarity == stance), 4) if cal.on("sums")',
        ("tests/test_engine_mechanisms.py::test_agreeing_sentences_add_up",),
    ),
    Mutation(
        "a concern raised in both reports no longer merged into one row",
        "datasette_ofsted/align.py",
        "    links = _links(ev, cal)\n",
        "    links = {}\n",
        ("tests/test_guards_engine.py::test_an_improvement_raised_in_both_reports_is_one_recurring_row",),
    ),
    Mutation(
        "the index's improvement total set to 0",
        "datasette_ofsted/views/index.py",
        '"improvements": counts[2]}',
        '"improvements": 0}',
        ("tests/test_guards_pages.py::test_index_totals_count_the_database",),
    ),
    Mutation(
        "badges counting link rows instead of comparison rows",
        "datasette_ofsted/views/authority.py",
        '            "counts": result["counts"],\n',
        '            "counts": {s: sum(len(r["from"]) + len(r["to"]) for r in result["rows"] if r["status"] == s)'
        ' for s in result["counts"]},\n',
        ("tests/test_guards_pages.py::test_timeline_badges_count_the_compare_pages_rows",),
    ),
    Mutation(
        "LSCB judgements recorded as the authority's",
        "ingest/parse.py",
        'about = "LSCB" if LSCB_HEADING.search(area) else "authority"',
        'about = "authority"',
        (
            "tests/test_guards_ingest.py::test_lscb_judgement_is_about_the_board",
            "tests/test_ingest.py::test_judgements_and_grades",
        ),
    ),
    Mutation(
        "the CSV download name dropped",
        "datasette_ofsted/views/common.py",  # every page's CSV is answered there since issue 25
        'headers={"content-disposition": f\'attachment; filename="{filename}"\'},',
        "headers={},",
        ("tests/test_guards_pages.py::test_compare_csv_downloads_under_the_pairs_name",),
    ),
    Mutation(
        'finding polarity never "mixed"',
        "datasette_ofsted/classify.py",
        '    if 1 in signs and -1 in signs:\n        return "mixed"',
        '    if 1 in signs and -1 in signs:\n        return "negative"',
        ("tests/test_guards_engine.py::test_a_finding_that_praises_and_criticises_is_mixed",),
    ),
    Mutation(
        'the "whole paragraph" detail dropped from the compare page',
        "datasette_ofsted/views/compare.py",  # the finding's cell is built there since issue 27
        '"<details><summary>whole paragraph</summary>", highlight(text or "", stems), "</details>"]',
        "]",
        ("tests/test_guards_pages.py::test_compare_page_folds_the_whole_paragraph_under_the_sentence",),
    ),
    Mutation(
        "JSON/CSV links losing the current filter",
        "datasette_ofsted/views/compare.py",
        "    query = urlencode(",
        '    query = "" and urlencode(',
        (
            "tests/test_guards_pages.py::test_compare_download_links_keep_the_filter",
            "tests/test_compare.py::test_status_filter_is_in_the_url",
        ),
    ),
    Mutation(
        'sentences split at "e.g."',
        "datasette_ofsted/text.py",
        r'_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|',
        r'_ABBREVIATIONS = re.compile(r"\b(?:i\.e|',
        ("tests/test_guards_engine.py::test_a_sentence_is_not_split_at_eg",),
    ),
    Mutation(
        "negated praise no longer flipping to criticism",
        "datasette_ofsted/classify.py",
        "signs += [-1 if negated(at, by_preventer=False) else 1 for at in unscoped(POSITIVE.finditer(text))]",
        "signs += [1 for at in unscoped(POSITIVE.finditer(text))]",
        ("tests/test_guards_engine.py::test_negated_praise_is_criticism",),
    ),
    # Issue 24: one change for each of its points the plugin owns (1, 2, 3, 6, 7, 8).
    Mutation(
        "(24.1) a route reading its pair without the Pair type's checks",
        "datasette_ofsted/views/common.py",
        'return Pair.parse(request.url_vars["pair"])',
        'return Pair(*request.url_vars["pair"].split("...", 1))',
        ("tests/test_routes.py::test_every_route_of_a_pair_reads_it_one_way",),
    ),
    Mutation(
        "(24.2) the statuses in another order",
        "datasette_ofsted/status.py",
        '    NEW = "new"\n    NOT_REVISITED = "not_revisited"\n',
        '    NOT_REVISITED = "not_revisited"\n    NEW = "new"\n',
        (
            "tests/test_vocabulary.py::test_statuses_are_the_stored_strings_in_reading_order",
            "tests/test_vocabulary.py::test_sides_follow_the_gold_format_and_the_fitted_model",
        ),
    ),
    Mutation(
        "(24.3) counts not read from the stored rows",
        "datasette_ofsted/comparisons.py",
        'counts[row["status"]] += 1',
        'counts[row["status"]] += row["status"] != "new"',
        (
            "tests/test_store.py::test_a_comparison_is_stored_one_way",
            "tests/test_store.py::test_every_consecutive_pair_is_stored_and_equals_a_fresh_computation",
        ),
    ),
    Mutation(
        "(24.6) the evidence's stance not the engine's",
        "datasette_ofsted/views/compare.py",
        'its_stance = finding.get("stance") or NEUTRAL',
        "its_stance = NEUTRAL",
        ("tests/test_compare.py::test_confidence_words_follow_the_engine_when_it_gives_them",),
    ),
    Mutation(
        "(24.7) a review page left out of the registry's examples",
        "datasette_ofsted/routes.py",
        "if (permission is None or route.permission == permission) and (method is None or route.method == method)",
        "if (permission is None or route.permission == permission) and (method is None or route.method == method)"
        ' and route.name != "review_history"',
        ("tests/test_permissions.py::test_every_route_is_checked_here",),
    ),
    Mutation(
        "(24.8) a view left without its type",
        "datasette_ofsted/views/compare.py",
        "async def compare(datasette: Datasette, request: Request) -> Response:",
        "async def compare(datasette, request):",
        ("tests/test_typing.py::test_the_pages_and_their_data_layer_are_typed",),
    ),
    # Issue 24 (the ingest half): one change per point.
    Mutation(
        "an old release's reviews migrated without their chain",
        "datasette_ofsted/reviews.py",
        "        previous = review_hash(row)\n",
        "        previous = CHAIN_START\n",
        ("tests/test_old_release.py::test_an_ingest_migrates_both_databases_of_0_1_0_without_losing_a_review",),
    ),
    Mutation(
        "letters read by the SIF rule set",
        "ingest/parse.py",
        '    if kind == "letter":\n        return LETTER_RULES\n',
        '    if False:\n        return LETTER_RULES\n',
        ("tests/test_parse_rules.py::test_each_document_is_read_by_its_frameworks_rule_set",),
    ),
    Mutation(
        "an appended part's running header kept",
        "ingest/layout.py",
        "if n >= threshold or _without_page_number(k) in in_part}",
        "if n >= threshold}",
        ("tests/test_parse.py::test_the_running_header_of_an_appended_lscb_review_is_removed",),
    ),
]

FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)


def tracked_files() -> list[str]:
    """The files of the working tree git knows or would add (new files not yet committed count)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if line and (ROOT / line).is_file()]


def copy_tree(target: Path, files: list[str]) -> None:
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)


def mutated(mutation: Mutation, tree: Path) -> str:
    """The changed file's text; refuses if the anchor is not there exactly once."""
    text = (tree / mutation.file).read_text(encoding="utf-8")
    found = text.count(mutation.old)
    if found != 1:
        raise SystemExit(
            f"anchor of {mutation.name!r} found {found} times in {mutation.file} (must be once): re-anchor it\n"
            f"{mutation.old!r}"
        )
    return text.replace(mutation.old, mutation.new)


def run_tests(tree: Path, tests: list[str]) -> tuple[int, list[str], str]:
    """pytest in the copy, importing the copy's packages: (exit code, failed test ids, output tail)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", *tests],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    return result.returncode, sorted(set(FAILED.findall(result.stdout))), result.stdout[-2000:]


def check_imports_copy(tree: Path) -> None:
    """The copy's packages, not the installed ones, must be what the tests import."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", "import datasette_ofsted, ingest; print(datasette_ofsted.__file__, ingest.__file__)"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not all(Path(p).resolve().is_relative_to(tree.resolve()) for p in out):
        raise SystemExit(f"the tests would import {out}, not the copy in {tree}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all-tests", action="store_true", help="run the whole suite for each change")
    parser.add_argument("--only", action="append", default=[], help="run the changes whose name contains this")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or any(o.lower() in m.name.lower() for o in args.only)]
    if not chosen:
        raise SystemExit("no change matches --only")
    files = tracked_files()
    results = []
    with tempfile.TemporaryDirectory(prefix="mutation-check-") as tmp:
        base = Path(tmp) / "unchanged"
        copy_tree(base, files)
        check_imports_copy(base)
        for mutation in chosen:  # every anchor first: a stale one stops the check before it runs anything
            mutated(mutation, base)
        selection = [] if args.all_tests else sorted({t for m in chosen for t in m.tests})
        code, failed, tail = run_tests(base, selection)
        if code != 0:  # the tests must pass on the unchanged code, or a failure says nothing
            print(tail)
            raise SystemExit(f"the tests fail without any change (exit {code}): {failed}")
        for mutation in chosen:
            tree = Path(tmp) / "mutated"
            shutil.copytree(base, tree)
            (tree / mutation.file).write_text(mutated(mutation, base), encoding="utf-8")
            started = time.monotonic()
            code, failed, tail = run_tests(tree, [] if args.all_tests else list(mutation.tests))
            seconds = time.monotonic() - started
            caught = code in (1, 2) and bool(failed) or code == 2
            results.append((mutation, caught, failed, seconds))
            print(f"{'caught' if caught else 'MISSED'}: {mutation.name} ({seconds:.0f}s)", file=sys.stderr, flush=True)
            shutil.rmtree(tree)
    print("| change | caught by | caught |")
    print("| --- | --- | --- |")
    for mutation, caught, failed, _ in results:
        names = ", ".join(f.split("::")[-1] for f in failed) or "-"
        print(f"| {mutation.name} | {names} | {'yes' if caught else 'NO'} |")
    missed = sum(1 for _, caught, _, _ in results if not caught)
    print(f"\n{len(results) - missed} of {len(results)} changes caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
