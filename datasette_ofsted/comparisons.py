"""One definition of a comparison: what the compare page, the timeline, the threads and SQL all read.

The comparison of two inspections is the engine's result (`align.compare`): rows, each an
improvement (or a concern raised in both reports) with its status, score, themes and the
findings that are its evidence. ofsted-ingest stores the result of every pair of consecutive
inspections (ingest/links.py writes the records made here); `comparison` serves a stored one
while it is current, computes any other pair live through the same engine, and keeps recent
results in memory. Stored, a comparison is three tables:

- `comparisons`: one row per stored pair, with the engine and taxonomy versions it was made
  with and when;
- `comparison_rows`: one row per row of the comparison, with its status, score and themes, a key
  that stays the same when ofsted.db is rebuilt from the same reports, and the rest of the row
  (`detail`, JSON: confidence, why, and its findings, each named by its id: its text and columns
  are read back from `findings`);
- `issue_links`: which findings each row holds, one link per improvement and partner, naming the
  row (its status, score and themes are the row's).

That is the one stored form: the counts by status are a query over the rows (`comparison_counts`,
`counts_of`), the JSON of a comparison is built from the rows.

A stored comparison is current when its engine and taxonomy versions are the running code's;
the database deletes it itself (triggers on `documents`) in the transaction that changes
either inspection's documents.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from .align import Row
from .classify import taxonomy_version
from .findings import FINDING_FIELDS, Comparison, compare_inspections, findings_by_id
from .pairs import improvement_key, pair_id
from .status import zero_counts

# A connection to ofsted.db: sqlite3's, sqlite-utils' Database, anything with execute(sql, params).
SQL = Any



# The code whose decisions a stored comparison records: the engine, its fitted weights, and the choice of
# findings it is given. A change to either (even a comment: it costs one recompute, never a stale page)
# makes every stored comparison out of date.
ENGINE_MODULES = ("align.py", "decision.py", "decision.json", "findings.py")
# Results kept in memory, as JSON text: the largest real comparison is about 150,000 characters,
# so this holds a couple of hundred, a few tens of MB; a result larger than it is not kept.
CACHE_CHARS = 32_000_000
ROLE_IMPROVEMENT = "improvement"


@lru_cache(maxsize=1)
def engine_version() -> str:
    digest = hashlib.sha256()
    for module in ENGINE_MODULES:
        digest.update(resources.files("datasette_ofsted").joinpath(module).read_bytes())
    return digest.hexdigest()[:16]


def comparison_id(earlier_id: str, later_id: str) -> str:
    """The stored comparison's id: the pair's id (pairs.Pair)."""
    return pair_id(earlier_id, later_id)


def consecutive_pairs(db: SQL, authority_id: str) -> list[tuple[str, str]]:
    """Each inspection of an authority with the next one, by start date: the pairs ingest stores."""
    ids = [
        r[0]
        for r in db.execute(
            "select id from inspections where authority_id = ? order by start_date, id", [authority_id]
        ).fetchall()
    ]
    return list(zip(ids, ids[1:]))


def _improvements(members: list[dict]) -> list[dict]:
    return [f for f in members if f.get("role") == ROLE_IMPROVEMENT]


def row_key(row: Row) -> str:
    """The key of a row: that of its first improvement (`pairs.improvement_key`, the reviews' key), the earlier
    report's before the later's. Every improvement stands in exactly one row, so keys are unique within a
    comparison but for two identical items of one document (records numbers the second); should an engine ever
    give a row without an improvement, its first finding names it."""
    members = _improvements(row["from"]) + _improvements(row["to"]) or row["from"] + row["to"]
    return improvement_key(members[0]) if members else "empty"


def _stripped(member: dict, inputs: dict[str, dict]) -> dict:
    """A finding of a row without the columns it shares with its row of `findings`."""
    source = inputs.get(member["id"], {})
    return {
        k: v for k, v in member.items() if k == "id" or k not in FINDING_FIELDS or k not in source or source[k] != v
    }


def records(
    authority_id: str,
    earlier_id: str,
    later_id: str,
    result: Mapping[str, Any],
    inputs: Iterable[dict],
    computed_at: str,
) -> tuple[dict, list[dict], list[dict]]:
    """The stored form of a comparison: its `comparisons` row (the pair and the versions that made it), its
    `comparison_rows` (each row whole: status, score, themes and the rest as `detail`) and its `issue_links`.

    Nothing derivable is stored: the counts by status are a query over the rows (the `comparison_counts` view,
    `counts_of`), and a link names its row for the row's status, score and themes.
    `inputs` are the findings the engine was given (to store each finding by id only).
    """
    by_id = {f["id"]: f for f in inputs}
    cid = comparison_id(earlier_id, later_id)
    pair = {"authority_id": authority_id, "from_inspection_id": earlier_id, "to_inspection_id": later_id}
    comparison = {
        "id": cid,
        **pair,
        "engine_version": engine_version(),
        "taxonomy_version": taxonomy_version(),
        "computed_at": computed_at,
    }
    rows, links = [], []
    seen: set[str] = set()
    for number, row in enumerate(result["rows"], 1):
        key = row_key(row)
        if key in seen:  # an engine that broke its promise must not stop the ingest
            key = f"{key}#{number}"
        seen.add(key)
        stored = _stored_row(row, f"{cid}:{key}", pair, by_id)
        rows.append({**stored, "comparison_id": cid, "row_number": number, "row_key": key})
        links += _links(row, stored["id"], number, pair)
    return comparison, rows, links


# The columns of a row that are its own columns in comparison_rows; the rest of it is stored in `detail`.
ROW_COLUMNS = ("status", "score", "themes")


def _stored_row(row: Row, row_id: str, pair: dict, by_id: dict[str, dict]) -> dict:
    improvements = _improvements(row["from"]) + _improvements(row["to"])
    detail = {k: v for k, v in row.items() if k not in ROW_COLUMNS}
    for side in ("from", "to"):
        detail[side] = [_stripped(f, by_id) for f in row[side]]
    return {
        "id": row_id,
        **pair,
        "improvement_id": (improvements or [{"id": None}])[0]["id"],
        "status": row["status"],
        "score": row["score"],
        "themes": ", ".join(row["themes"]),
        "from_improvements": len(_improvements(row["from"])),
        "to_improvements": len(_improvements(row["to"])),
        "from_evidence": len(row["from"]) - len(_improvements(row["from"])),
        "to_evidence": len(row["to"]) - len(_improvements(row["to"])),
        "detail": json.dumps(detail, separators=(",", ":")),
    }


def _links(row: Row, row_id: str, number: int, pair: dict) -> list[dict]:
    """One link per improvement and partner (the other side's improvements and evidence), naming its row."""
    improvements = {side: [f["id"] for f in _improvements(row[side])] for side in ("from", "to")}
    evidence = {side: [f["id"] for f in row[side] if f.get("role") != ROLE_IMPROVEMENT] for side in ("from", "to")}
    links = []
    for side, other in (("from", "to"), ("to", "from")):
        for finding_id in improvements[side]:
            for partner in improvements[other] + evidence[other] or [None]:
                links.append(
                    {
                        **pair,
                        "from_finding_id": finding_id if side == "from" else partner,
                        "to_finding_id": partner if side == "from" else finding_id,
                        "side": side,
                        "row_number": number,
                        "comparison_row_id": row_id,
                    }
                )
    return links


def counts_of(rows: Iterable[Row]) -> dict[str, int]:
    """A comparison's rows counted by status (every status, in reading order): what every page shows."""
    counts = zero_counts()
    for row in rows:
        counts[row["status"]] += 1
    return counts


def _read_rows(db: SQL, cid: str) -> list[Row]:
    """A stored comparison's rows, each as the engine gave it (its findings by id only)."""
    return [
        cast(
            Row,
            {"status": status, "score": score, "themes": [t for t in (themes or "").split(", ") if t], **json.loads(detail)},
        )
        for status, score, themes, detail in db.execute(
            "select status, score, themes, detail from comparison_rows where comparison_id = ? order by row_number",
            [cid],
        ).fetchall()
    ]


# What a database built by today's ofsted-ingest holds that one built by an older release may not: the stored
# comparisons (schema step 2), each row whole (step 6). A canned query that reads any of them says what to do instead of an SQL error.
CURRENT_SCHEMA: dict[str, tuple[str, ...]] = {
    "comparisons": ("engine_version", "taxonomy_version"),
    "comparison_rows": ("comparison_id", "status", "detail"),
    "issue_links": ("comparison_row_id",),
}
OLDER_RELEASE = "This database was built by an older release of datasette-ofsted: run ofsted-ingest to update it."


def missing_schema(db: SQL) -> list[str]:
    """The tables and columns of CURRENT_SCHEMA a database lacks (none when ofsted-ingest has brought it up to date)."""
    missing: list[str] = []
    for table, columns in CURRENT_SCHEMA.items():
        held = {r[1] for r in db.execute(f"pragma table_info([{table}])").fetchall()}
        if not held:
            missing.append(table)
        else:
            missing += [column for column in columns if column not in held]
    return missing


def _tables(db: SQL) -> set[str]:
    return {r[0] for r in db.execute("select name from sqlite_master where type in ('table', 'view')").fetchall()}


def _held(db: SQL) -> bool:
    """Whether the database holds comparisons in today's stored form (an older release's has none, or whole JSON)."""
    return "detail" in {r[1] for r in db.execute("pragma table_info(comparison_rows)").fetchall()}


def stored_comparison(db: SQL, earlier_id: str, later_id: str) -> Comparison | None:
    """The stored comparison of two inspections if it is current (made by this engine and taxonomy), else None."""
    if not _held(db):  # a database made before comparisons were stored, or stored whole
        return None
    cid = comparison_id(earlier_id, later_id)
    found = db.execute("select engine_version, taxonomy_version from comparisons where id = ?", [cid]).fetchone()
    if found is None or tuple(found) != (engine_version(), taxonomy_version()):
        return None
    return _with_findings(db, earlier_id, later_id, _read_rows(db, cid))


def _with_findings(db: SQL, earlier_id: str, later_id: str, stored: list[Row]) -> Comparison | None:
    """Stored rows with each finding's columns read back from `findings`, and their counts; None if a finding they
    name is no longer held."""
    findings = findings_by_id(db, (earlier_id, later_id))
    try:
        rows: list[Row] = [
            {
                **row,
                "from": [{**findings[f["id"]], **f} for f in row["from"]],
                "to": [{**findings[f["id"]], **f} for f in row["to"]],
            }
            for row in stored
        ]
    except KeyError:  # a finding it names is no longer held: out of date
        return None
    return {"counts": counts_of(rows), "rows": rows}


class _Cache:
    """The most recently used results, as JSON text (each use gets its own copy to change), bounded in size."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.held: OrderedDict[tuple, str] = OrderedDict()
        self.chars = 0
        self.lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self.lock:
            value = self.held.get(key)
            if value is not None:
                self.held.move_to_end(key)
            return value

    def put(self, key: tuple, value: str) -> None:
        if len(value) > self.max_chars:
            return
        with self.lock:
            if key in self.held:
                self.chars -= len(self.held.pop(key))
            self.held[key] = value
            self.chars += len(value)
            while self.chars > self.max_chars:
                _, dropped = self.held.popitem(last=False)
                self.chars -= len(dropped)

    def clear(self) -> None:
        with self.lock:
            self.held.clear()
            self.chars = 0


_CACHE = _Cache(CACHE_CHARS)


def _state(db: SQL, earlier_id: str, later_id: str) -> tuple:
    """What a comparison of the pair depends on in the database: the file, the two inspections'
    documents (each rewrite gives a new ingested_at), a reclassification, the stored comparison."""
    tables = _tables(db)
    files = tuple(r[2] for r in db.execute("pragma database_list").fetchall())
    documents = tuple(
        db.execute(
            "select id, sha256, ingested_at from documents where inspection_id in (?, ?) order by id",
            [earlier_id, later_id],
        ).fetchall()
    )
    classified = (
        db.execute("select value from meta where key = 'classified_at'").fetchone() if "meta" in tables else None
    )
    stored = (
        db.execute(
            "select engine_version, taxonomy_version, computed_at from comparisons where id = ?",
            [comparison_id(earlier_id, later_id)],
        ).fetchone()
        if "comparisons" in tables
        else None
    )
    return (files, documents, classified and tuple(classified), stored and tuple(stored))


# While stored comparisons are missing or out of date (a reclassify under way, a new taxonomy, a plugin upgraded
# against a database served immutable), no page that shows many pairs compares any of them: comparing the whole
# archive took 30 s and 300 MB a request, and one long pair alone takes seconds. Those pages serve what is stored,
# marked as being updated (ofsted-ingest brings it up to date); only the compare page computes, its own one pair,
# and only when nothing is stored for it at all.
LIVE_PAIRS_PER_REQUEST = 0
BEING_UPDATED = "being_updated"  # the key of Comparison that says so


class _Live:
    """How many pairs this process has compared live (kept in memory, not stored): the only change to what a page
    of many pairs shows while the database stays the same."""

    count = 0


def live_comparisons() -> int:
    """A number that moves whenever a pair is compared live: a page's reads made while pairs are being updated
    are kept against it (and the database's version), so that a page shows a pair the compare page has just
    compared, and is otherwise read once, not at every request."""
    return _Live.count


def _compare_live(db: SQL, earlier_id: str, later_id: str) -> Comparison:
    result = compare_inspections(db, earlier_id, later_id)
    _Live.count += 1
    return result


def _cache_key(db: SQL, earlier_id: str, later_id: str) -> tuple:
    return (earlier_id, later_id, _state(db, earlier_id, later_id), engine_version(), taxonomy_version())


def comparisons_within(
    db: SQL, pairs: list[tuple[str, str]], live: int = LIVE_PAIRS_PER_REQUEST, fallback: bool = True
) -> list[Comparison | None]:
    """The comparison of each pair as `comparison` gives it, computing at most `live` of them now.

    A pair that is neither stored by the running engine nor in memory is computed while the budget lasts;
    past it, it is served from its stored comparison made by another engine or taxonomy if its findings are
    all still held, else as an empty comparison, either one marked `being_updated` (with `fallback` False,
    None instead: the caller reads what is stored its own way, as the national page does in one query).
    """
    out: list[Comparison | None] = []
    for earlier_id, later_id in pairs:
        key = _cache_key(db, earlier_id, later_id)
        cached = _CACHE.get(key)
        if cached is not None:
            out.append(json.loads(cached))
            continue
        result = stored_comparison(db, earlier_id, later_id)
        if result is None and live > 0:
            result = _compare_live(db, earlier_id, later_id)
            live -= 1
        if result is not None:
            _CACHE.put(key, json.dumps(result))
            out.append(result)
        elif fallback:
            out.append(being_updated(out_of_date_comparison(db, earlier_id, later_id) or empty_comparison()))
        else:
            out.append(None)
    return out


def being_updated(result: Comparison) -> Comparison:
    """A comparison served as stored by another engine or taxonomy (or none at all), marked so."""
    return {**result, "being_updated": True}


def empty_comparison() -> Comparison:
    return {"counts": zero_counts(), "rows": []}


def out_of_date_comparison(db: SQL, earlier_id: str, later_id: str) -> Comparison | None:
    """The stored comparison of a pair whatever engine and taxonomy made it, if every finding it names is held."""
    if not _held(db):
        return None
    cid = comparison_id(earlier_id, later_id)
    if db.execute("select 1 from comparisons where id = ?", [cid]).fetchone() is None:
        return None
    return _with_findings(db, earlier_id, later_id, _read_rows(db, cid))


def comparison(db: SQL, earlier_id: str, later_id: str) -> Comparison:
    """The comparison of two inspections: `{counts, rows}` as the engine gives it.

    The stored one for a consecutive pair when current; one stored by another engine or taxonomy while
    ofsted-ingest has not updated it, marked `being_updated`; otherwise (never stored, or its findings
    changed) computed now from the findings. Either way kept in memory for the next request while the
    data stays the same. `db` is a sqlite3 connection or anything with its execute.
    """
    key = _cache_key(db, earlier_id, later_id)
    cached = _CACHE.get(key)
    if cached is not None:
        return json.loads(cached)
    result = stored_comparison(db, earlier_id, later_id)
    if result is None:
        stale = out_of_date_comparison(db, earlier_id, later_id)
        result = being_updated(stale) if stale is not None else _compare_live(db, earlier_id, later_id)
    _CACHE.put(key, json.dumps(result))
    return result


def threads_judged(results: Iterable[tuple[str, dict]]) -> dict[tuple[str, str], set[str]]:
    """The statuses each theme of an earlier improvement was given at each later inspection:
    (theme, later inspection id) -> statuses, from (later inspection id, comparison) pairs."""
    judged: dict[tuple[str, str], set[str]] = {}
    for later_id, result in results:
        for row in result["rows"]:
            for finding in _improvements(row["from"]):
                for theme in finding.get("themes") or ():
                    judged.setdefault((theme, later_id), set()).add(row["status"])
    return judged
