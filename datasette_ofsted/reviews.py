"""A reviewer's confirmation or correction of the engine's calls: the domain, free of Datasette.

Reviews live in their own database (ofsted_reviews.db), never in ofsted.db, which ingest may
rebuild and Datasette may serve immutable. Each review is one new row of an append-only
`reviews` table; the newest row for an improvement is the current call.

An improvement is keyed by what stays the same when ofsted.db is rebuilt from the same reports
(`pairs.improvement_key`): its document's id and a hash of its normalised text.

The status of an improvement in a pair, reviewed if reviewed, has one definition, `row_review`:
`apply_reviews` lays it over a comparison for the pages, and `ofsted_reviewed_status` gives it
to SQL (canned queries, charts) from the stored comparison rows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from .migrations import MigrationSet, database_of, write_transaction
from .pairs import PAIR_MARK, improvement_key
from .status import SIDE_STATUSES, STATUSES

REVIEWS_FILE = "ofsted_reviews.db"
REVIEWS_DATABASE = "ofsted_reviews"  # the name Datasette serves ofsted_reviews.db under
# A review's note says why in a line or two; a longer text belongs in the case file, not here.
MAX_NOTE = 1000
# Evidence kept with a review, as the gold format's quotes: the other side's improvements and
# the engine's first evidence findings (the evaluation reads no more than four).
EVIDENCE_KEPT = 4

# The reviews table as 0.1.0 made it, its indexes, its append-only guards and the current_reviews view.
_REVIEWS_TABLE = """
create table reviews (
    id integer primary key,
    authority_id text not null,
    from_inspection_id text not null,
    to_inspection_id text not null,
    item_key text not null,
    side text not null,
    finding_id text,
    finding_text text,
    status text not null,
    auto_status text,
    themes text,
    evidence text,
    note text not null default '',
    actor_id text not null,
    at text not null
);
create index reviews_pair on reviews (from_inspection_id, to_inspection_id, item_key);
create index reviews_authority on reviews (authority_id);
create view current_reviews as
    select * from reviews r where r.id = (
        select max(id) from reviews x
        where x.from_inspection_id = r.from_inspection_id and x.to_inspection_id = r.to_inspection_id
          and x.item_key = r.item_key
    );
"""
# A review may be neither changed nor removed, nor replaced under its id: a correction is a new review.
_APPEND_ONLY = """
create trigger if not exists reviews_no_update before update on reviews
begin select raise(abort, 'reviews are append-only: record a new review instead'); end;
create trigger if not exists reviews_no_delete before delete on reviews
begin select raise(abort, 'reviews are append-only: record a new review instead'); end;
create trigger if not exists reviews_no_replace before insert on reviews
when new.id is not null and exists (select 1 from reviews where id = new.id)
begin select raise(abort, 'reviews are append-only: record a new review instead'); end;
"""
APPEND_ONLY_GUARDS = ("reviews_no_update", "reviews_no_delete", "reviews_no_replace")
COLUMNS = (
    "id",
    "authority_id",
    "from_inspection_id",
    "to_inspection_id",
    "item_key",
    "side",
    "finding_id",
    "finding_text",
    "status",
    "auto_status",
    "themes",
    "evidence",
    "note",
    "actor_id",
    "at",
    "prev_hash",
    "hash",
)
# What a review's hash covers: every column but the hash itself, its id and the previous row's hash
# included, so that a row changed, moved, removed or slipped in breaks the chain from there on.
HASHED = COLUMNS[:-1]
# The hash the first review is chained to.
CHAIN_START = "0" * 64


def reviews_path_beside(db_path: str | Path) -> Path:
    """Where the reviews of an ofsted.db are kept: ofsted_reviews.db in the same folder."""
    return Path(db_path).with_name(REVIEWS_FILE)


def _steps_held_before(db: sqlite_utils.Database) -> list[str]:
    """The steps a reviews database made before its migrations were recorded (0.1.0, 0.2.0) has had:
    its table, and the hash chain when the table has its columns."""
    if not db.table("reviews").exists():
        return []
    held = [r001_reviews_table.__name__]
    if "hash" in db.table("reviews").columns_dict:
        held.append(r002_hash_chain.__name__)
    return held


REVIEWS_MIGRATIONS = MigrationSet("datasette-ofsted-reviews", held_before=_steps_held_before)
review_migration = REVIEWS_MIGRATIONS()


@review_migration
def r001_reviews_table(db: sqlite_utils.Database) -> None:
    """The append-only reviews table (0.1.0), its indexes and the current_reviews view."""
    _script(db, _REVIEWS_TABLE)


@review_migration
def r002_hash_chain(db: sqlite_utils.Database) -> None:
    """Each review chained to the one before it (prev_hash, hash): the rows a table made before the
    chain holds are chained in id order, the one time rows are written to, with the update guard
    lifted inside this step's transaction and put back, and the guard against a replaced id added."""
    db.execute("alter table reviews add column prev_hash text")
    db.execute("alter table reviews add column hash text")
    db.execute("drop trigger if exists reviews_no_update")
    previous = CHAIN_START
    cursor = db.execute("select * from reviews order by id")
    names = [c[0] for c in cursor.description]
    for row in [dict(zip(names, r)) for r in cursor.fetchall()]:
        row["prev_hash"] = previous
        previous = review_hash(row)
        db.execute("update reviews set prev_hash = ?, hash = ? where id = ?", [row["prev_hash"], previous, row["id"]])
    _script(db, _APPEND_ONLY)


def _script(db: sqlite_utils.Database, script: str) -> None:
    """Run the statements of a script one by one (executescript would commit the step's transaction)."""
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


def ensure_reviews_schema(conn: sqlite3.Connection) -> None:
    """Bring a reviews database (new, or made by an earlier release) to this code's schema: the
    reviews migration set, each step in a transaction of its own (datasette_ofsted/migrations.py).
    The append-only guards are put back at every opening when one was dropped around this code."""
    db = database_of(conn)
    REVIEWS_MIGRATIONS.bring_up_to_date(db)
    guards = {r[0] for r in db.execute("select name from sqlite_master where type = 'trigger'").fetchall()}
    if not guards.issuperset(APPEND_ONLY_GUARDS):  # someone with the file dropped one: it comes back
        with write_transaction(db):
            _script(db, _APPEND_ONLY)


def create_reviews_database(db_path: str | Path) -> Path:
    """Create ofsted_reviews.db beside ofsted.db when it is missing; bring a held one to this schema."""
    path = reviews_path_beside(db_path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        ensure_reviews_schema(conn)
    finally:
        conn.close()
    return path


def review_hash(review: dict) -> str:
    """The hash that chains a review to the one before it (its `prev_hash` is part of what is hashed)."""
    payload = json.dumps([review.get(c) for c in HASHED], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def verify_chain(conn: sqlite3.Connection) -> dict:
    """Whether the reviews are as they were written: each row's hash is that of its content and the
    row before it. Says how many rows are chained and the first that is not (changed, slipped in or
    after a removed one), with why."""
    previous, count = CHAIN_START, 0
    try:
        cursor = conn.execute("select * from reviews order by id")
    except sqlite3.OperationalError:
        return {"intact": True, "reviews": 0, "broken_at": None, "reason": None}
    names = [c[0] for c in cursor.description]
    for values in cursor:
        row = dict(zip(names, values))
        reason = None
        if row.get("prev_hash") != previous:
            reason = "it does not follow the review before it (one was removed, changed or slipped in)"
        elif row.get("hash") != review_hash(row):
            reason = "its content was changed after it was written"
        if reason:
            return {"intact": False, "reviews": count, "broken_at": row["id"], "reason": reason}
        previous, count = row["hash"], count + 1
    return {"intact": True, "reviews": count, "broken_at": None, "reason": None}


def sql_review_key(document_id: str | None, text: str | None) -> str | None:
    """improvement_key for SQL: `ofsted_review_key(findings.document_id, findings.text)`."""
    if document_id is None or text is None:
        return None
    return improvement_key({"document_id": document_id, "text": text})


def register_sql_functions(conn: sqlite3.Connection) -> None:
    """Let SQL compute an improvement's review key, to join findings or issue_links to ofsted_reviews.reviews."""
    conn.create_function("ofsted_review_key", 2, sql_review_key, deterministic=True)


# SQL's reviewed status. Which findings each stored comparison row holds as its improvements, with
# what their review keys are made of: issue_links has one link per improvement and partner.
ROW_IMPROVEMENTS_SQL = """
select distinct l.comparison_row_id, f.document_id, f.text
from issue_links l
join findings f on f.id = case l.side when 'from' then l.from_finding_id else l.to_finding_id end
where l.from_inspection_id = ? and l.to_inspection_id = ?
"""
CURRENT_REVIEWS_SQL = (
    "select id, item_key, status, at from reviews where from_inspection_id = ? and to_inspection_id = ? order by id"
)
REVIEWED_PAIRS_SQL = "select distinct from_inspection_id, to_inspection_id from reviews"
# A stored row's id is "<earlier>...<later>:<row key>" (comparisons.records); inspection ids hold neither mark.
KEY_MARK = ":"
# How long a connection's lookup trusts what it read before it asks SQLite whether either database
# changed. Asking (`pragma data_version`, which takes a file lock) costs ~25 µs, twenty times the
# function itself: asked on every row it made a query over issue_links 15 times slower. Reviews
# written by this process are seen at once (`reviews_written`); another process's within this time.
REVALIDATE_SECONDS = 0.2


class _Writes:
    """How many reviews this process has written: every lookup starts afresh when it moves."""

    count = 0


def reviews_written() -> None:
    """Tell every connection's ofsted_reviewed_status that a review was just written here."""
    _Writes.count += 1


class ReviewedStatus:
    """`ofsted_reviewed_status(comparison_row_id, status)`: the status of a stored comparison row,
    reviewed if reviewed (`row_review`, as the pages apply it), else the engine's `status` given.

    Registered on each of Datasette's connections (prepare_connection), so that canned queries and
    charts over issue_links and comparison_rows count as the pages do. It reads ofsted_reviews.db
    through a read-only connection of its own and returns a status and nothing else: the status is
    public, as the pages show it to everyone, while notes and reviewers' names stay behind the
    ofsted_reviews database's own view permission (attaching that database instead would have
    opened them to anyone who may run SQL). A pair's reviewed rows are kept in memory until either
    database changes (`pragma data_version`, which moves when another connection commits, and the
    connection's own writes), so a query over thousands of links looks them up once a pair. A
    review written by this process is seen at once; one written by another process within
    REVALIDATE_SECONDS, the interval at which the lookup asks SQLite whether anything changed.
    """

    def __init__(self, conn: sqlite3.Connection, reviews_path: str | Path | None):
        self.conn = conn
        self.reviews_path = Path(reviews_path) if reviews_path else None
        self.reviews: sqlite3.Connection | None = None
        self.version: tuple | None = None
        self.checked = -REVALIDATE_SECONDS  # when the databases' versions were last read (monotonic)
        self.writes = -1  # _Writes.count then
        self.pairs: dict[tuple[str, str], dict[str, str]] = {}
        self.reviewed_pairs: str | None = None  # ofsted_reviewed_pairs()'s answer, until either database changes
        self.lock = threading.Lock()

    def _check(self, reviews: sqlite3.Connection) -> None:
        """Forget what was read if either database may have changed since."""
        now = time.monotonic()
        if self.writes == _Writes.count and now - self.checked < REVALIDATE_SECONDS:
            return
        version = (
            reviews.execute("pragma data_version").fetchone()[0],
            self.conn.execute("pragma data_version").fetchone()[0],
            self.conn.total_changes,
        )
        if version != self.version or self.writes != _Writes.count:
            self.pairs.clear()
            self.reviewed_pairs = None
        self.version, self.checked, self.writes = version, now, _Writes.count

    def _open(self) -> sqlite3.Connection | None:
        if self.reviews is None and self.reviews_path is not None and self.reviews_path.is_file():
            uri = f"{self.reviews_path.resolve().as_uri()}?mode=ro"
            self.reviews = sqlite3.connect(uri, uri=True, check_same_thread=False)
        return self.reviews

    def _reviewed_rows(self, reviews: sqlite3.Connection, pair: tuple[str, str]) -> dict[str, str]:
        """Row id -> reviewed status, for the rows of a pair that hold a reviewed improvement."""
        try:
            found = reviews.execute(CURRENT_REVIEWS_SQL, pair).fetchall()
        except sqlite3.OperationalError:  # a reviews file without its table yet
            return {}
        latest = latest_reviews([{"id": i, "item_key": k, "status": s, "at": a} for i, k, s, a in found])
        if not latest:
            return {}
        keys: dict[str, list[str]] = {}
        for row_id, document_id, text in self.conn.execute(ROW_IMPROVEMENTS_SQL, pair).fetchall():
            keys.setdefault(row_id, []).append(improvement_key({"document_id": document_id, "text": text}))
        out = {}
        for row_id, row_keys in keys.items():
            review = row_review(row_keys, latest)
            if review is not None:
                out[row_id] = review["status"]
        return out

    def __call__(self, row_id: str | None, status: str | None) -> str | None:
        if not isinstance(row_id, str) or KEY_MARK not in row_id:
            return status
        earlier, mark, later = row_id.split(KEY_MARK, 1)[0].partition(PAIR_MARK)
        if not mark:
            return status
        with self.lock:
            reviews = self._open()
            if reviews is None:
                return status
            self._check(reviews)
            pair = (earlier, later)
            if pair not in self.pairs:
                self.pairs[pair] = self._reviewed_rows(reviews, pair)
            return self.pairs[pair].get(row_id, status)

    def pairs_reviewed(self) -> str:
        """`ofsted_reviewed_pairs()`: the comparison ids ("<earlier>...<later>") of the pairs with any review, as a
        JSON array; the status of a row of any other pair is the engine's.

        A query over every comparison row calls it once (`json_each`) and `ofsted_reviewed_status` only on the rows
        of those pairs: a Python function called on each of the archive's 4,000 rows made the recurring_themes query
        wait for the interpreter 4,000 times, and under 40 clients it ran past Datasette's 1 s time limit.
        """
        with self.lock:
            reviews = self._open()
            if reviews is None:
                return "[]"
            self._check(reviews)
            if self.reviewed_pairs is None:
                try:
                    found = reviews.execute(REVIEWED_PAIRS_SQL).fetchall()
                except sqlite3.OperationalError:  # a reviews file without its table yet
                    found = []
                self.reviewed_pairs = json.dumps(sorted(f"{earlier}{PAIR_MARK}{later}" for earlier, later in found))
            return self.reviewed_pairs


def register_reviewed_status(conn: sqlite3.Connection, reviews_path: str | Path | None) -> ReviewedStatus:
    """Give a connection `ofsted_reviewed_status(comparison_row_id, status)` and `ofsted_reviewed_pairs()` (see
    ReviewedStatus).

    Without a reviews file they return the status given and no pair, so the queries that use them run anywhere.
    """
    function = ReviewedStatus(conn, reviews_path)
    conn.create_function("ofsted_reviewed_status", 2, function)
    conn.create_function("ofsted_reviewed_pairs", 0, function.pairs_reviewed)
    return function


def improvements(row: dict) -> list[tuple[str, dict]]:
    """A comparison row's improvements with their side, earlier report first."""
    return [(side, f) for side in ("from", "to") for f in row[side] if f.get("role") == "improvement"]


def find_improvement(result: dict, finding_id: str) -> tuple[dict, str, dict] | None:
    """The row, side and finding of an improvement in a comparison, or None if it is not one of its improvements."""
    for row in result["rows"]:
        for side, finding in improvements(row):
            if finding["id"] == finding_id:
                return row, side, finding
    return None


def find_improvement_by_key(result: dict, item_key: str) -> tuple[dict, str, dict] | None:
    """The row, side and finding of the improvement a review key names in a comparison, or None."""
    for row in result["rows"]:
        for side, finding in improvements(row):
            if improvement_key(finding) == item_key:
                return row, side, finding
    return None


def improvement_keys(result: dict) -> set[str]:
    """The review keys of every improvement of a comparison: a review whose key is not among them is orphaned."""
    return {improvement_key(finding) for row in result["rows"] for _side, finding in improvements(row)}


def evidence_of(row: dict, side: str) -> list[str]:
    """The texts of the other side of a row that show its call, as the gold format quotes them."""
    other = row["to" if side == "from" else "from"]
    found = [f["text"] for f in other if f.get("role") == "improvement"]
    found += [f["text"] for f in other if f.get("role") != "improvement"][:EVIDENCE_KEPT]
    return found


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# Characters a note may hold beyond printable text: line breaks and tabs, as a textarea sends them.
NOTE_WHITESPACE = "\n\r\t"
# The first characters with which a spreadsheet reads a cell as a formula (OWASP's CSV injection list):
# Datasette's own CSV of the reviews table gives notes as stored, so such a note is stored after a
# quote mark, which a spreadsheet shows as text and hides.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def validate(status: object, note: object) -> tuple[str, str]:
    """The status and note of a review, or ValueError saying what is wrong."""
    if not isinstance(status, str) or status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise ValueError("note must be text")
    note = clean_note(note)
    if len(note) > MAX_NOTE:
        raise ValueError(f"a note is at most {MAX_NOTE} characters")
    return status, note


def clean_note(note: str) -> str:
    """A note as it may be stored, or ValueError: text a person can read, the same to everyone who shows it.

    Refused: a lone surrogate (not text: half of a character), control characters (NUL, escape
    sequences that rewrite a terminal) and the bidirectional controls that make a note read
    otherwise than it is stored (U+202E). A note a spreadsheet would run as a formula is kept as text.
    """
    try:
        note.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"a note must be text: it holds half of a character (U+{ord(note[error.start]):04X}) at {error.start}"
        ) from None
    for position, char in enumerate(note):
        category = unicodedata.category(char)
        if (category == "Cc" and char not in NOTE_WHITESPACE) or category == "Cf" and _bidirectional(char):
            raise ValueError(
                f"a note may not hold the control character U+{ord(char):04X} ({unicodedata.name(char, 'control')}) "
                f"at {position}: write it as plain text"
            )
    note = note.strip()
    if note.startswith(FORMULA_STARTS):
        note = "'" + note
    return note


def _bidirectional(char: str) -> bool:
    """The explicit direction marks, embeddings, overrides and isolates (U+200E-F, U+202A-E, U+2066-9, U+061C)."""
    return unicodedata.bidirectional(char) in ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI") or (
        char in "\u200e\u200f\u061c"
    )


def status_fits_side(status: str, side: str) -> bool:
    """Whether a status can apply to an improvement of that side of a pair (SIDE_STATUSES)."""
    return status in SIDE_STATUSES[side]


def review_row(
    authority_id: str,
    from_id: str,
    to_id: str,
    row: dict,
    side: str,
    finding: dict,
    status: str,
    note: str,
    actor_id: str,
    at: str,
) -> dict:
    """The row a review adds to the reviews table: the call, and what the engine said then."""
    return {
        "authority_id": authority_id,
        "from_inspection_id": from_id,
        "to_inspection_id": to_id,
        "item_key": improvement_key(finding),
        "side": side,
        "finding_id": finding["id"],
        "finding_text": finding["text"],
        "status": status,
        "auto_status": row.get("auto_status", row["status"]),
        "themes": " ".join(row.get("themes") or ()),
        "evidence": json.dumps(evidence_of(row, side)),
        "note": note,
        "actor_id": actor_id,
        "at": at,
    }


def insert_review(conn: sqlite3.Connection, review: dict) -> dict:
    """Append a review (bound parameters only), chained to the one before it, and return it as stored.

    The id and the previous hash are read inside the write lock (BEGIN IMMEDIATE), so two writers
    queue and the chain stays a line.
    """
    conn.commit()  # nothing of the caller's is pending: the transaction below is this review's alone
    conn.execute("begin immediate")
    try:
        last = conn.execute("select id, hash from reviews order by id desc limit 1").fetchone()
        # After a row with no hash (written around this code), verify_chain reports that row.
        stored = {**review, "id": (last[0] + 1) if last else 1, "prev_hash": (last[1] if last else None) or CHAIN_START}
        stored["hash"] = review_hash(stored)
        conn.execute(
            f"insert into reviews ({', '.join(COLUMNS)}) values ({', '.join('?' for _ in COLUMNS)})",
            [stored[c] for c in COLUMNS],
        )
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    reviews_written()
    return stored


def latest_reviews(reviews: list[dict]) -> dict[str, dict]:
    """The current review of each improvement: the newest row for its key (rows in any order)."""
    latest: dict[str, dict] = {}
    for review in sorted(reviews, key=lambda r: r["id"]):
        latest[review["item_key"]] = review
    return latest


def row_review(keys: Iterable[str], latest: dict[str, dict]) -> dict | None:
    """The review that decides a comparison row's status: the newest current review of any of its
    improvements (a row holding one concern raised in both reports has two), or None.

    This, with `apply_reviews` in Python and `ofsted_reviewed_status` in SQL, is the one definition
    of "the status of an improvement in a pair, reviewed if reviewed" that every page, count,
    thread, canned query and chart reads.
    """
    found = [latest[key] for key in keys if key in latest]
    return max(found, key=lambda r: (r["at"], r["id"])) if found else None


def public_review(review: dict, details: bool = True) -> dict:
    """What a comparison row shows of its review. The status is public (everyone sees the reviewed
    calls); the note, the reviewer and the time only to those who may read ofsted_reviews."""
    if not details:
        return {"status": review["status"], "note": None, "actor": None, "at": None}
    return {"status": review["status"], "note": review["note"], "actor": review["actor_id"], "at": review["at"]}


def apply_reviews(result: dict, latest: dict[str, dict], details: bool = True) -> dict:
    """The comparison with reviewed statuses laid over the engine's, and counts recomputed.

    Every row gains `auto_status` (the engine's call) and `review` (None, or its `row_review`;
    with `details` False only that review's status). A row with a review takes the reviewed
    status. The result given is not changed: it may be cached.
    """
    rows = []
    for row in result["rows"]:
        row = {**row, "from": [dict(f) for f in row["from"]], "to": [dict(f) for f in row["to"]]}
        auto = row.get("auto_status", row["status"])
        for _side, finding in improvements(row):
            finding["item_key"] = finding.get("item_key") or improvement_key(finding)  # kept results hold it
        review = row_review((f["item_key"] for _side, f in improvements(row)), latest)
        row["auto_status"] = auto
        row["status"] = review["status"] if review else auto
        row["review"] = public_review(review, details) if review else None
        rows.append(row)
    counts = Counter(row["status"] for row in rows)
    return {**result, "counts": {s: counts.get(s, 0) for s in STATUSES}, "rows": rows}


def agreement(current: list[dict]) -> dict:
    """How often reviewers confirmed the engine's call and how often they changed it, by status and theme.

    `current` holds the current review of each improvement (current_reviews); a call is judged
    against what the engine said when it was reviewed.
    """

    def tally() -> dict:
        return {"reviewed": 0, "confirmed": 0, "changed": 0, "became": Counter()}

    by_theme: dict[str, dict] = {}
    total, by_status = tally(), {s: tally() for s in STATUSES}
    for review in current:
        auto = review["auto_status"] or review["status"]
        confirmed = review["status"] == auto
        buckets = [total, by_status.setdefault(auto, tally())]
        buckets += [by_theme.setdefault(t, tally()) for t in (review["themes"] or "").split()]
        for bucket in buckets:
            bucket["reviewed"] += 1
            bucket["confirmed" if confirmed else "changed"] += 1
            bucket["became"][review["status"]] += 1

    def out(bucket: dict) -> dict:
        reviewed = bucket["reviewed"]
        return {
            "reviewed": reviewed,
            "confirmed": bucket["confirmed"],
            "changed": bucket["changed"],
            "agreement": round(bucket["confirmed"] / reviewed, 3) if reviewed else None,
            "became": {s: bucket["became"][s] for s in STATUSES if bucket["became"][s]},
        }

    return {
        **out(total),
        "by_status": [{"auto_status": s, **out(b)} for s, b in by_status.items()],
        "by_theme": [{"theme": t, **out(b)} for t, b in sorted(by_theme.items(), key=lambda tb: -tb[1]["reviewed"])],
    }


def gold_pair(authority_id: str, earlier: dict, later: dict, current: list[dict]) -> dict:
    """The current reviews of one comparison in the gold format (gold/README.md), for `ingest.evaluate --gold`.

    `earlier` and `later` give each report's `source` (its file name), `start_date` and `type`.
    The quote is the improvement's whole text, which identifies it in its report; the evidence is
    what the comparison showed on the other side when it was reviewed.
    """
    out: dict = {"authority": authority_id, "from": earlier, "to": later, "from_issues": [], "to_issues": []}
    for review in sorted(current, key=lambda r: r["id"]):
        evidence_key = "to_quotes" if review["side"] == "from" else "from_quotes"
        issue = {
            "quote": review["finding_text"],
            "status": review["status"],
            evidence_key: json.loads(review["evidence"] or "[]"),
            "theme": ", ".join((review["themes"] or "").split()),
            "note": f"{review['note']} (reviewed by {review['actor_id']} at {review['at']}; engine: {review['auto_status']})".strip(),
        }
        out[f"{review['side']}_issues"].append(issue)
    return out
