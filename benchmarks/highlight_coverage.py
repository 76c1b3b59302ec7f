"""Would near-matches (rapidfuzz) mark more of the compare page's words? Measured: no (issue 15).

The compare page marks a word when its stem is one the row shares (views/common.py:highlight): on an
evidence finding, the stems the engine found it shares with the concern; on an improvement, those of
the whole row. Issue 15 proposed marking near-matches too (a typo, a hyphenation, organisation and
organization) with rapidfuzz. This counts, over every stored comparison of a database, the evidence
sentences and improvement cells with no word marked, by exact stems and with near-matches at
several thresholds, and lists the extra words near-matching would mark.

    .venv/bin/pip install -e '.[benchmarks]'
    .venv/bin/python -m ingest.cli data/reports --db /tmp/ofsted.db
    .venv/bin/python benchmarks/highlight_coverage.py /tmp/ofsted.db
"""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from datasette_ofsted.comparisons import comparison
from datasette_ofsted.text import STOPWORDS, stem
from datasette_ofsted.views.common import WORD_TOKEN, highlight

# Near-matching candidates: normalised Levenshtein similarity of a word's stem to a shared stem.
THRESHOLDS = (0.9, 0.85, 0.8)
# Shorter stems one letter apart are other words ("care"/"case", "plan"/"play"): never near-matched.
NEAR_MIN_LENGTH = 6


def shown(db: sqlite3.Connection) -> list[tuple[str, str, frozenset[str]]]:
    """(role, text the page shows, stems it marks) for every finding of every stored comparison, as the
    compare page gives them to highlight."""
    out = []
    for earlier, later in db.execute("select from_inspection_id, to_inspection_id from comparisons order by id"):
        for row in comparison(db, earlier, later)["rows"]:
            members = row["from"] + row["to"]
            row_stems = frozenset(s for f in members for s in f.get("matched_stems") or ())
            for f in members:
                if f.get("role") == "evidence":
                    out.append(("evidence", f.get("sentence") or f["text"], frozenset(f.get("matched_stems") or ())))
                elif f.get("role") == "improvement":
                    out.append(("improvement", f["text"], row_stems))
    return out


def near_marks(text: str, stems: frozenset[str], threshold: float) -> list[tuple[str, str]]:
    """(word, shared stem) for the words a near-match would mark that the exact stems do not."""
    out = []
    for match in WORD_TOKEN.finditer(text):
        word = match.group(0).lower().replace("\u2019", "'").split("'")[0]
        if len(word) <= 2 or word in STOPWORDS or stem(word) in stems or len(stem(word)) < NEAR_MIN_LENGTH:
            continue
        best = process.extractOne(stem(word), stems, scorer=Levenshtein.normalized_similarity, score_cutoff=threshold)
        if best:
            out.append((word, best[0]))
    return out


def main(path: str) -> None:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    findings = shown(db)
    pairs = db.execute("select count(*) from comparisons").fetchone()[0]
    for role in ("evidence", "improvement"):
        of_role = [(text, stems) for r, text, stems in findings if r == role]
        exact = sum(1 for text, stems in of_role if "<mark>" not in highlight(text, stems))
        no_stems = sum(1 for _, stems in of_role if not stems)
        print(f"{len(of_role)} {role} texts in {pairs} stored comparisons")
        print(
            f"  no word marked, exact stems: {exact} ({exact / max(1, len(of_role)):.1%}); given no stems at all: {no_stems}"
        )
        for threshold in THRESHOLDS:
            extra = Counter(m for text, stems in of_role for m in near_marks(text, stems, threshold))
            still = sum(
                1
                for text, stems in of_role
                if "<mark>" not in highlight(text, stems) and not near_marks(text, stems, threshold)
            )
            print(
                f"  with near-matches >= {threshold}: no word marked {still}; extra marks {sum(extra.values())} {dict(extra)}"
            )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/ofsted.db")
