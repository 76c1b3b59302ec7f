"""The reader's rules, as Python-Markdown's block processors: registered by name and priority, a
`test` that changes nothing, a `run` that may decline, state on the reader, a rule set per framework."""

from __future__ import annotations

import ast
import copy
import inspect
from pathlib import Path

import pytest
from conftest import ROOT

import ingest.parse as parse_module
from ingest.extract import extract
from ingest.layout import Block
from ingest.parse import (
    COMMON_RULES,
    DEFAULT_RULES,
    FRAMEWORK_RULES,
    LETTER_RULES,
    LSCB_REVIEW,
    ContentsEntry,
    Item,
    Reading,
    Rule,
    RuleSet,
    classify_blocks,
    document_blocks,
    document_kind,
    find_dates,
    find_type,
    rules_for,
)

# Reads reports, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette

REPORTS = ROOT / "data" / "reports"
# One document of each rule set: a SIF report with an LSCB section (Birmingham 2016), an ILACS
# report (Birmingham 2023), a focused-visit letter (Sutton 2018) and a 2013 child protection report.
DOCUMENTS = {
    "SIF": "50004352.pdf",
    "ILACS": "50214110.pdf",
    "letters": "000_aacd069290608c33.txt",
    "2012 child protection": "003_6185718e885c3be8.txt",
}


def _blocks(name: str) -> tuple[list[Block], str, RuleSet]:
    extracted = extract(REPORTS / name)
    blocks, joined = document_blocks(extracted.pages, extracted.file_format)
    kind = document_kind(joined)
    start, end = find_dates(joined[:4000])
    return blocks, kind, rules_for(kind, *find_type(joined[:2500], joined, start, end))


def _state(reader: Reading) -> dict:
    return copy.deepcopy({k: v for k, v in vars(reader).items() if k != "blocks"})


@pytest.mark.parametrize("framework", DOCUMENTS)
def test_each_document_is_read_by_its_frameworks_rule_set(framework):
    _, _, rule_set = _blocks(DOCUMENTS[framework])
    expected = {
        "SIF": FRAMEWORK_RULES["SIF"],
        "ILACS": FRAMEWORK_RULES["ILACS"],
        "letters": LETTER_RULES,
        "2012 child protection": DEFAULT_RULES,
    }[framework]
    assert rule_set is expected


@pytest.mark.parametrize("framework", DOCUMENTS)
def test_a_rules_test_changes_nothing(framework):
    """Every rule of the set, tested on every block of a real report at the state the reader is in
    there, leaves the reader as it was; then the block is read as the reader reads it."""
    blocks, kind, rule_set = _blocks(DOCUMENTS[framework])
    reader = Reading(kind=kind, blocks=blocks, started=kind != "letter")
    rules = rule_set.rules_for(reader)
    tested = 0
    for index, block in enumerate(blocks):
        if index < reader.resume_at:
            continue
        if block.marker != "bullet":
            reader.in_subpoints = False
        reader.observe(block)
        before = _state(reader)
        for rule in rules:
            rule.test(block, index)
            tested += 1
        assert _state(reader) == before, (rule.name, block.text)
        for rule in rules:
            if rule.test(block, index) and rule.run(block, index) is not False:
                break
        if reader.done:
            break
    assert tested > 10 * len(rules)
    # The reading above is the reader's own.
    findings, _, _ = classify_blocks(blocks, kind, rule_set)
    assert [(f.text, f.kind, f.about) for f in findings] == [(f.text, f.kind, f.about) for f in reader.findings]


def test_rules_are_tried_by_priority_and_a_name_registered_again_replaces_its_rule():
    names = COMMON_RULES.names()
    assert names[0] == "end of report" and names[-1] == "item"
    sif = FRAMEWORK_RULES["SIF"].names()
    # SIF's own: its appended LSCB review is tried before the end of the report, its contents after the
    # judgement rows, and its section heading (which also starts the board's part) replaces the common one.
    assert sif[:2] == ["end of report before an LSCB review", "end of report"]
    assert (
        sif.index("judgement row") < sif.index("contents start") < sif.index("contents entry") < sif.index("timescale")
    )
    assert sif.count("section heading") == 1 and "LSCB verdict" in sif and "LSCB verdict" not in names
    letters = LETTER_RULES.names()
    assert letters[:3] == ["end of report", "before salutation", "letter subject"]
    assert "contents start" not in FRAMEWORK_RULES["ILACS"].names()


def test_a_new_framework_is_a_new_rule_set_and_leaves_the_others_alone():
    """A rule set derived from ILACS's with a rule of its own reads with it; ILACS's does not."""

    class Praise(Item):
        """Every block an item of a list of strengths (a framework whose reports only praise)."""

        def run(self, block, index):
            self.r.list_kind = "strength"
            return super().run(block, index)

    praising = FRAMEWORK_RULES["ILACS"].derived("praise only")
    praising.register(Praise, "item", 10)
    blocks = [Block("Leaders know their services well and act on what they find.", 4, "para", None, [])]
    assert [f.kind for f in classify_blocks(blocks, "report", praising)[0]] == ["strength"]
    assert [f.kind for f in classify_blocks(blocks, "report", FRAMEWORK_RULES["ILACS"])[0]] == ["finding"]
    assert rules_for("report", "LSCB review", None) is FRAMEWORK_RULES[LSCB_REVIEW]
    assert rules_for("report", "ILACS standard", "ILACS 2026") is FRAMEWORK_RULES["ILACS 2026"]
    assert rules_for("letter", "focused visit", "ILACS") is LETTER_RULES


def test_a_run_may_decline_and_the_next_rule_reads_the_block():
    """The contents end at the first heading that is no entry: the contents rule declines it and the
    section heading after it in the SIF set reads it."""
    blocks = [
        Block("Contents", 3, "heading", None, []),
        Block("Summary 5", 3, "heading", None, []),
        Block("Recommendations", 4, "heading", None, []),
        Block("Ensure that plans for children are clear and are reviewed regularly.", 4, "number", 1, []),
    ]
    reader = Reading(kind="report", blocks=blocks)
    reader.read(FRAMEWORK_RULES["SIF"])
    assert [(name, block.text) for name, block in reader.passed_over] == [("contents entry", "Summary 5")]
    assert [(f.section, f.kind) for f in reader.findings] == [("Recommendations", "improvement")]
    assert ContentsEntry(Reading(kind="report", blocks=blocks, in_contents=True)).run(blocks[2], 2) is False


def test_no_run_only_passes_and_every_rule_is_registered():
    source = Path(inspect.getsourcefile(parse_module) or "").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == "run":
            assert not all(isinstance(statement, ast.Pass) for statement in node.body), node.lineno
    rules = {
        obj
        for obj in vars(parse_module).values()
        if inspect.isclass(obj) and issubclass(obj, Rule) and obj.test is not Rule.test
    }
    registered = {
        rule for rule_set in (*FRAMEWORK_RULES.values(), LETTER_RULES) for rule, _ in rule_set._rules.values()
    }
    assert rules == registered
