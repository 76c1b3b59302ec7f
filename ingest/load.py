"""Write parsed documents into SQLite with sqlite-utils, one transaction per document."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import sqlite_utils

from datasette_ofsted.classify import classify_findings, taxonomy_version, themes
from datasette_ofsted.migrations import MigrationSet, write_transaction
from datasette_ofsted.text import slugify

from .errors import is_disk_full
from .reference import Authority, authorities
from .versions import parser_version

# How long the end-of-ingest checkpoint waits for a reader (a server) to finish what it
# is reading before leaving the rest of the log for later.
CHECKPOINT_WAIT_MS = 5000


class DocumentConflict(Exception):
    """A file whose document id is held by another document (another authority, another
    inspection or another kind): it is not loaded, and the message names both files."""


def open_database(path: str) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    db.conn.execute("PRAGMA busy_timeout = 60000")  # a second ingest waits for the first
    # With WAL, NORMAL syncs at checkpoints rather than at every document's commit: a crash
    # of the ingester still loses nothing committed; a power cut may lose the last documents
    # (a rerun restores them) but never corrupts the file.
    db.conn.execute("PRAGMA synchronous = NORMAL")
    for _ in range(60):
        try:
            db.enable_wal()  # Datasette keeps reading while an ingest writes
            break
        except sqlite3.OperationalError:  # another process holds the lock: wait for it
            time.sleep(0.5)
    ensure_schema(db)
    return db


def _steps_held_before(db: sqlite_utils.Database) -> list[str]:
    """A database made before migrations were recorded (schema version 1 in `meta`) has had the first."""
    return [m001_initial_schema.__name__] if db.table("findings").exists() else []


MIGRATIONS = MigrationSet("datasette-ofsted", held_before=_steps_held_before)
# Register the next step of ofsted.db's schema: `@migration` over a function `mNNN_what_it_does(db)`.
migration = MIGRATIONS()


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Bring a database (new, or made by an earlier release) to this code's schema and taxonomy.

    Each pending migration runs in a transaction of its own that takes the write lock at once, so a
    second ingest waits and then finds nothing left to do. Raises SchemaTooNew for a database a
    newer release has migrated.
    """
    MIGRATIONS.bring_up_to_date(db)
    follow_taxonomy(db)


# Columns that several tables share, defined once. A migration that has run never runs again, so
# these name only what never changes: a change of a column is a new migration, not an edit here.
# A part of one report: judgements and findings.
DOCUMENT_PART_COLUMNS: dict[str, type] = {"id": str, "inspection_id": str, "document_id": str}
DOCUMENT_PART_KEYS = [("inspection_id", "inspections", "id"), ("document_id", "documents", "id")]
# A comparison's pair, earlier inspection first: issue_links, comparisons and comparison_rows.
PAIR_COLUMNS: dict[str, type] = {"authority_id": str, "from_inspection_id": str, "to_inspection_id": str}
PAIR_KEYS = [
    ("authority_id", "authorities", "id"),
    ("from_inspection_id", "inspections", "id"),
    ("to_inspection_id", "inspections", "id"),
]


def _create_indexes(db: sqlite_utils.Database, indexes: list[tuple[str, list[str]]]) -> None:
    for table, columns in indexes:
        db.table(table).create_index(columns, if_not_exists=True)


@migration
def m001_initial_schema(db: sqlite_utils.Database) -> None:
    """Reports, inspections, findings, their themes and sentences, and issue_links."""
    _authorities_and_inspections(db)
    _documents(db)
    _judgements_and_findings(db)
    _sentences_and_themes(db)
    _issue_links(db)
    db.table("ingest_errors").create({"id": int, "path": str, "reason": str, "at": str}, pk="id", if_not_exists=True)
    _create_indexes(
        db,
        [
            ("inspections", ["authority_id"]),
            ("inspections", ["start_date"]),
            ("documents", ["inspection_id"]),
            ("documents", ["sha256"]),
            ("judgements", ["inspection_id"]),
            ("judgements", ["document_id"]),
            ("findings", ["inspection_id"]),
            ("findings", ["document_id"]),
            ("findings", ["kind"]),
            ("finding_themes", ["theme_id"]),
            ("issue_links", ["authority_id"]),
            ("finding_sentences", ["finding_id"]),
            ("issue_links", ["from_inspection_id"]),
            ("issue_links", ["to_inspection_id"]),
            ("issue_links", ["from_finding_id"]),
            ("issue_links", ["to_finding_id"]),
        ],
    )
    db.table("findings").enable_fts(["text", "section"], create_triggers=True, tokenize="porter")
    db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)


def _authorities_and_inspections(db: sqlite_utils.Database) -> None:
    db.table("authorities").create(
        {
            "id": str,
            "name": str,
            "urn": str,
            "la_code": str,
            "ons_code": str,
            "region": str,
            "la_type": str,
            "statistical_neighbours": str,
            "population_0_25": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("inspections").create(
        {
            "id": str,
            "authority_id": str,
            "inspection_type": str,
            "framework": str,
            "start_date": str,
            "end_date": str,
            "published_date": str,
            "year": int,
            "lead_inspector": str,
            "overall_grade": str,
        },
        pk="id",
        foreign_keys=[("authority_id", "authorities", "id")],
        if_not_exists=True,
    )


def _documents(db: sqlite_utils.Database) -> None:
    db.table("documents").create(
        {
            "id": str,
            "inspection_id": str,
            "kind": str,
            "title": str,
            "source_path": str,
            "file_name": str,
            "sha256": str,
            "source_url": str,
            "pages": int,
            "published_date": str,
            "findings": int,
            "ingested_at": str,
        },
        pk="id",
        foreign_keys=[("inspection_id", "inspections", "id")],
        if_not_exists=True,
    )


def _judgements_and_findings(db: sqlite_utils.Database) -> None:
    db.table("judgements").create(
        {
            **DOCUMENT_PART_COLUMNS,
            "area": str,
            "grade": str,
            "about": str,
            "ordinal": int,
        },
        pk="id",
        foreign_keys=DOCUMENT_PART_KEYS,
        if_not_exists=True,
    )
    db.table("findings").create(
        {
            **DOCUMENT_PART_COLUMNS,
            "section": str,
            "kind": str,
            "polarity": str,
            "text": str,
            "ordinal": int,
            "paragraph": int,
            "page": int,
            "timescale": str,
            "about": str,
            "national_framework": str,
        },
        pk="id",
        foreign_keys=DOCUMENT_PART_KEYS,
        if_not_exists=True,
    )


def _sentences_and_themes(db: sqlite_utils.Database) -> None:
    db.table("finding_sentences").create(
        {"finding_id": str, "ordinal": int, "text": str, "polarity": int, "themes": str, "stems": str},
        pk=("finding_id", "ordinal"),
        foreign_keys=[("finding_id", "findings", "id")],
        if_not_exists=True,
    )
    db.table("themes").create(
        {"id": str, "name": str, "description": str, "theme_group": str, "cues": str}, pk="id", if_not_exists=True
    )
    db.table("finding_themes").create(
        {"finding_id": str, "theme_id": str},
        pk=("finding_id", "theme_id"),
        foreign_keys=[("finding_id", "findings", "id"), ("theme_id", "themes", "id")],
        if_not_exists=True,
    )


def _issue_links(db: sqlite_utils.Database) -> None:
    db.table("issue_links").create(
        {
            "id": int,
            **PAIR_COLUMNS,
            "from_finding_id": str,
            "to_finding_id": str,
            "side": str,
            "status": str,
            "score": float,
            "row_number": int,
            "themes": str,
        },
        pk="id",
        foreign_keys=[
            *PAIR_KEYS,
            ("from_finding_id", "findings", "id"),
            ("to_finding_id", "findings", "id"),
        ],
        if_not_exists=True,
    )


# Statements, run for an inspection whose documents change, that delete the comparisons it is part of.
_FORGET_COMPARISONS = [
    "delete from issue_links where from_inspection_id = {0} or to_inspection_id = {0};",
    "delete from comparison_rows where from_inspection_id = {0} or to_inspection_id = {0};",
    "delete from comparisons where from_inspection_id = {0} or to_inspection_id = {0};",
]


@migration
def m002_stored_comparisons(db: sqlite_utils.Database) -> None:
    """Each comparison of consecutive inspections stored whole (comparisons, comparison_rows), and
    issue_links naming the row each link belongs to; the old links are dropped and ingest repairs them.

    Triggers delete an inspection's comparisons in the transaction that writes or deletes one of
    its documents: a stored comparison is never older than the findings it compares.
    """
    _comparison_tables(db)
    db.table("issue_links").add_column("comparison_row_id", str)
    db.execute("delete from issue_links")
    _create_indexes(
        db,
        [
            ("comparisons", ["authority_id"]),
            ("comparisons", ["from_inspection_id"]),
            ("comparisons", ["to_inspection_id"]),
            ("comparison_rows", ["comparison_id"]),
            ("comparison_rows", ["authority_id"]),
            ("comparison_rows", ["from_inspection_id"]),
            ("comparison_rows", ["to_inspection_id"]),
            ("comparison_rows", ["improvement_id"]),
            ("issue_links", ["comparison_row_id"]),
        ],
    )
    _forget_comparisons_with_their_documents(db)
    db.create_view(
        "comparison_counts",
        """
        select c.id as comparison_id, c.authority_id, c.from_inspection_id, c.to_inspection_id, r.status,
               count(*) as n
        from comparisons c join comparison_rows r on r.comparison_id = c.id
        group by c.id, r.status
        """,
    )
    # A trigger indexed each finding as it was inserted, a third of the load step; write_document
    # indexes a document's findings in one statement instead. The triggers that keep the index
    # right when findings are deleted or updated stay.
    db.execute("drop trigger if exists [findings_ai]")


def _comparison_tables(db: sqlite_utils.Database) -> None:
    db.table("comparisons").create(
        {
            "id": str,
            **PAIR_COLUMNS,
            "engine_version": str,
            "taxonomy_version": str,
            "recurring": int,
            "resolved": int,
            "not_revisited": int,
            "new": int,
            "rows": int,
            "result": str,
            "computed_at": str,
        },
        pk="id",
        foreign_keys=PAIR_KEYS,
    )
    db.table("comparison_rows").create(
        {
            "id": str,
            "comparison_id": str,
            **PAIR_COLUMNS,
            "row_number": int,
            "row_key": str,
            "improvement_id": str,
            "status": str,
            "score": float,
            "themes": str,
            "from_improvements": int,
            "to_improvements": int,
            "from_evidence": int,
            "to_evidence": int,
        },
        pk="id",
        foreign_keys=[("comparison_id", "comparisons", "id"), *PAIR_KEYS, ("improvement_id", "findings", "id")],
    )


def _forget_comparisons_with_their_documents(db: sqlite_utils.Database) -> None:
    """Triggers that delete an inspection's comparisons when one of its documents is written or deleted."""
    for event, rows in (("insert", ["new"]), ("update", ["old", "new"]), ("delete", ["old"])):
        statements = "\n".join(f"  {s.format(f'{r}.inspection_id')}" for r in rows for s in _FORGET_COMPARISONS)
        db.execute(
            f"create trigger documents_forget_comparisons_{event} after {event} on documents begin\n{statements}\nend"
        )


@migration
def m003_every_authority(db: sqlite_utils.Database) -> None:
    """Every authority of la_lookup.csv, with its codes, region and statistical neighbours, inspected here or not:
    the timeline names all of an authority's neighbours, and says which have no inspection in this database."""
    for authority in authorities().values():
        upsert_row(db, "authorities", authority.__dict__)


@migration
def m004_documents_record_their_parser(db: sqlite_utils.Database) -> None:
    """Each document records the version of the code that read it (`parser_version`), so that a document
    read by an older parser is read again from its file (`stale_documents`). Documents held before are
    marked unknown (null): they are read again at the next ingest that can find their file."""
    if "parser_version" not in db.table("documents").columns_dict:  # a database that lost its record of migrations
        db.table("documents").add_column("parser_version", str)
    db.table("documents").create_index(["parser_version"], if_not_exists=True)


@migration
def m005_lscb_lists_are_the_boards_improvements(db: sqlite_utils.Database) -> None:
    """An LSCB's list of recommendations is the board's list of improvements (`kind` improvement,
    `about` LSCB), read apart from the authority's and left out of its comparisons; ingests before
    this stored the board's items as plain findings, and a file held already is not read again.
    Items under a list heading of the board's part become improvements, as the reader now reads
    them; the board's verdict and a line saying there is nothing to improve stay findings."""
    from .parse import IMPROVEMENT_HEADING, LSCB_HEADING, NOTHING_TO_IMPROVE

    ids = [
        (finding_id,)
        for finding_id, section, text in db.execute(
            "select id, section, text from findings where about = 'LSCB' and kind = 'finding'"
        ).fetchall()
        if IMPROVEMENT_HEADING.match(section or "")
        and not LSCB_HEADING.search(text[:_LSCB_VERDICT_SPAN])
        and not NOTHING_TO_IMPROVE.match(text)
        and not text.rstrip().endswith(":")
    ]
    db.conn.executemany("update findings set kind = 'improvement', polarity = 'negative' where id = ?", ids)
    db.conn.executemany("update finding_sentences set polarity = -1 where finding_id = ?", ids)
    _create_indexes(db, [("findings", ["about", "kind"])])


# The board's verdict names it in its first words: "The Local Safeguarding Children Board (LSCB) is good".
_LSCB_VERDICT_SPAN = 60


def _meta(db: sqlite_utils.Database, key: str) -> str | None:
    found = db.execute("select value from meta where key = ?", [key]).fetchone()
    return found[0] if found else None


def _set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute("insert or replace into meta (key, value) values (?, ?)", [key, value])


def follow_taxonomy(db: sqlite_utils.Database) -> bool:
    """Bring the `themes` table and every stored finding's classification to the running taxonomy,
    when the one the database was classified with differs (themes.json or the classifying code
    changed). Returns whether it did; the comparisons of reclassified inspections go with them.
    """
    version = taxonomy_version()
    if _meta(db, "taxonomy_version") == version:
        return False
    current = [
        {"id": t.id, "name": t.name, "description": t.description, "theme_group": t.group, "cues": ", ".join(t.cues)}
        for t in themes()
    ]
    with write_transaction(db):
        if _meta(db, "taxonomy_version") == version:
            return False  # another ingest did it while this one waited
        for theme in current:
            upsert_row(db, "themes", theme)
    reclassify(db)
    with write_transaction(db):
        kept = [t["id"] for t in current]
        placeholders = ", ".join("?" for _ in kept)
        db.execute(f"delete from finding_themes where theme_id not in ({placeholders})", kept)
        db.execute(f"delete from themes where id not in ({placeholders})", kept)
        _set_meta(db, "taxonomy_version", version)
    return True


def reclassify(db: sqlite_utils.Database) -> int:
    """Classify every stored finding again from its text (its sentences, themes and polarity) with
    the running code and taxonomy; no report is read again. A document per transaction, which
    also drops its inspection's stored comparisons (ingest/links.py `repair` recomputes them).
    Returns the number of findings.
    """
    total = 0
    documents = db.execute("select id, inspection_id from documents order by id").fetchall()
    for document_id, inspection_id in documents:
        held = db.execute(
            "select id, kind, text, national_framework, polarity from findings where document_id = ? order by ordinal",
            [document_id],
        ).fetchall()
        findings = [
            SimpleNamespace(
                id=row[0],
                kind=row[1],
                text=row[2],
                national_framework=[t.strip() for t in (row[3] or "").split(",") if t.strip()],
                held_polarity=row[4],
            )
            for row in held
        ]
        classify_findings(findings)
        with write_transaction(db):
            for table in ("finding_sentences", "finding_themes"):
                db.execute(
                    f"delete from {table} where finding_id in (select id from findings where document_id = ?)",
                    [document_id],
                )
            db.conn.executemany(
                "update findings set polarity = ? where id = ?",
                [(f.polarity, f.id) for f in findings if f.polarity != f.held_polarity],
            )
            insert_rows(db, "finding_themes", [{"finding_id": f.id, "theme_id": t} for f in findings for t in f.themes])
            insert_rows(db, "finding_sentences", [row for f in findings for row in sentence_rows(f.id, f.sentences)])
            for statement in _FORGET_COMPARISONS:
                db.execute(statement.format("?"), [inspection_id, inspection_id])
            _set_meta(db, "classified_at", f"{_now()} {document_id}")  # what a page's cache keys on
        total += len(findings)
    return total


def sentence_rows(finding_id: str, sentences: list[dict]) -> list[dict]:
    """A finding's classified sentences as rows of `finding_sentences`."""
    return [
        {
            "finding_id": finding_id,
            "ordinal": n,
            "text": x["text"],
            "polarity": x["polarity"],
            "themes": " ".join(x["themes"]),
            "stems": " ".join(x["stems"]),
        }
        for n, x in enumerate(sentences, 1)
    ]


def checkpoint(db: sqlite_utils.Database) -> bool:
    """Move everything in the write-ahead log into the database file and empty the log.

    While a server holds the database open, SQLite never does this itself, so the documents
    of an ingest would stay in ofsted.db-wal, and a copy or `datasette -i` of ofsted.db
    alone would miss them. True when the whole log went in.
    """
    db.conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
    try:
        busy, _, _ = db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as error:
        if is_disk_full(error):  # not a reader's doing: the caller says what a full disk means
            raise
        return False
    return busy == 0


def held_document(db: sqlite_utils.Database, document_id: str) -> dict | None:
    cursor = db.conn.execute(
        "select d.id, d.kind, d.source_path, d.sha256, i.authority_id, i.inspection_type "
        "from documents d left join inspections i on i.id = d.inspection_id where d.id = ?",
        [document_id],
    )
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None


def conflict_with_held(
    db: sqlite_utils.Database, report, authority: Authority, inspection_id: str, document_id: str
) -> str | None:
    """Why this report may not be written under its ids, or None.

    A document is replaced only by the same document again (a corrected or re-downloaded
    file): the same authority, the same inspection (of the same kind) and the same kind of
    document. Anything else whose ids collide, such as two inspections of different kinds
    that start the same day, would file one report under another's inspection.
    """
    held = held_document(db, document_id)
    if held is not None:
        differences = []
        if held["authority_id"] != authority.id:
            differences.append(f"of {held['authority_id']}, not {authority.id}")
        if held["kind"] != report.kind:
            differences.append(f"a {held['kind']}, not a {report.kind}")
        if (
            report.kind != "summary for children"
            and held["inspection_type"]
            and report.inspection_type
            and held["inspection_type"] != report.inspection_type
        ):
            differences.append(f"of a {held['inspection_type']}, not a {report.inspection_type}")
        if differences:
            return (
                f"conflicts with {held['source_path']}, held as document {document_id} ({'; '.join(differences)}): "
                "not loaded, as a document is replaced only by the same document again"
            )
    if report.kind != "summary for children" and report.inspection_type:
        other = db.conn.execute(
            "select d.source_path, i.inspection_type from documents d join inspections i on i.id = d.inspection_id "
            "where d.inspection_id = ? and d.id != ? and d.kind != 'summary for children' "
            "and i.inspection_type is not null and i.inspection_type != ? limit 1",
            [inspection_id, document_id, report.inspection_type],
        ).fetchone()
        if other:
            return (
                f"conflicts with {other[0]}, held as inspection {inspection_id} (of a {other[1]}, "
                f"not a {report.inspection_type}): not loaded, as one inspection's documents are of one kind"
            )
    return None


def holds_file(db: sqlite_utils.Database, sha256: str) -> bool:
    """Whether a file (by its checksum) is held as read by the running parser: one read by another is read again."""
    found = db.execute(
        "select 1 from documents where sha256 = ? and parser_version = ? limit 1", [sha256, parser_version()]
    ).fetchone()
    return bool(found)


def record_error(db: sqlite_utils.Database, path: str, reason: str) -> None:
    """Say why a file was not loaded: one row per file and reason, its time moved on by a rerun that
    finds the same (a file loaded since has its rows removed by write_document)."""
    with write_transaction(db):
        db.execute("delete from ingest_errors where path = ? and reason = ?", [path, reason])
        db.table("ingest_errors").insert({"path": path, "reason": reason, "at": _now()})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def insert_rows(db: sqlite_utils.Database, table: str, rows: list[dict]) -> None:
    """Insert rows of plain values into a table the schema made: one prepared statement for all.

    sqlite-utils' insert_all would also infer types and JSON-encode values, which these rows
    never need, at a third of the load step's time.
    """
    if not rows:
        return
    columns = list(rows[0])
    sql = "insert into [{}] ({}) values ({})".format(
        table, ", ".join(f"[{c}]" for c in columns), ", ".join("?" for _ in columns)
    )
    db.conn.executemany(sql, [[row[c] for c in columns] for row in rows])


def upsert_row(db: sqlite_utils.Database, table: str, row: dict) -> None:
    """Insert a row, or update the given columns of the row with its id: sqlite-utils' upsert in one
    statement, without its look at the table's columns on every call."""
    columns = list(row)
    sql = "insert into [{}] ({}) values ({}) on conflict (id) do update set {}".format(
        table,
        ", ".join(f"[{c}]" for c in columns),
        ", ".join("?" for _ in columns),
        ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != "id"),
    )
    db.conn.execute(sql, [row[c] for c in columns])


def write_document(
    db: sqlite_utils.Database,
    report,
    authority: Authority,
    source_path: str,
    file_name: str,
    sha256: str,
    source_url: str | None,
    listed_published: str | None,
) -> str:
    """Replace the document (same inspection and kind) with this file's content, atomically.

    Raises DocumentConflict, writing nothing, if the ids are held by another document."""
    inspection_id = f"{authority.id}-{report.start_date}"
    document_id = f"{inspection_id}-{slugify(report.kind)}"
    with write_transaction(db):
        conflict = conflict_with_held(db, report, authority, inspection_id, document_id)
        if conflict:
            raise DocumentConflict(conflict)
        upsert_row(db, "authorities", authority.__dict__)
        upsert_row(db, "inspections", _inspection_row(db, report, authority, inspection_id, listed_published))
        _forget_document_parts(db, document_id)
        upsert_row(
            db,
            "documents",
            {
                "id": document_id,
                "inspection_id": inspection_id,
                "kind": report.kind,
                "title": report.title,
                "source_path": source_path,
                "file_name": file_name,
                "sha256": sha256,
                "source_url": source_url,
                "pages": report.pages,
                "published_date": listed_published or report.published_date,
                "findings": len(report.findings),
                "ingested_at": _now(),
                "parser_version": parser_version(),
            },
        )
        insert_rows(db, "judgements", _judgement_rows(report.judgements, inspection_id, document_id))
        _insert_findings(db, report.findings, inspection_id, document_id)
        _set_overall_grade(db, inspection_id)
        db.execute("delete from ingest_errors where path = ?", [source_path])
        _forget_other_readings(db, sha256, document_id)
    return inspection_id


def _judgement_rows(judgements: list, inspection_id: str, document_id: str) -> list[dict]:
    return [
        {
            "id": f"{document_id}-{n:02d}",
            "inspection_id": inspection_id,
            "document_id": document_id,
            "area": j.area,
            "grade": j.grade,
            "about": j.about,
            "ordinal": n,
        }
        for n, j in enumerate(judgements, 1)
    ]


def _set_overall_grade(db: sqlite_utils.Database, inspection_id: str) -> None:
    """The inspection's overall grade: the authority's overall judgement, from whichever document gives it."""
    overall = db.execute(
        "select grade from judgements where inspection_id = ? and about = 'authority' and area like 'overall%' limit 1",
        [inspection_id],
    ).fetchone()
    db.execute(
        "update inspections set overall_grade = ? where id = ?", [overall[0] if overall else None, inspection_id]
    )


def _inspection_row(
    db: sqlite_utils.Database, report, authority: Authority, inspection_id: str, listed_published: str | None
) -> dict:
    """The inspection as this document says it, over what its other documents said: a summary for
    children fills in only what the main report has not."""
    cursor = db.execute("select * from inspections where id = ?", [inspection_id])
    held = cursor.fetchone()
    existing = dict(zip([c[0] for c in cursor.description], held)) if held else {}
    is_main = report.kind != "summary for children"
    return {
        "id": inspection_id,
        "authority_id": authority.id,
        "inspection_type": (report.inspection_type if is_main else None)
        or existing.get("inspection_type")
        or report.inspection_type,
        "framework": (report.framework if is_main else None) or existing.get("framework") or report.framework,
        "start_date": report.start_date,
        "end_date": (report.end_date if is_main else None) or existing.get("end_date") or report.end_date,
        # Ofsted's own listing (MANIFEST.csv) names the publication date; the date printed on
        # the report comes next, the summary's only when nothing else says.
        "published_date": (listed_published if is_main else None)
        or (report.published_date if is_main else None)
        or existing.get("published_date")
        or listed_published
        or report.published_date,
        "year": int(report.start_date[:4]),
        "lead_inspector": report.lead_inspector or existing.get("lead_inspector"),
        "overall_grade": existing.get("overall_grade"),
    }


def _forget_document_parts(db: sqlite_utils.Database, document_id: str) -> None:
    """Delete what an earlier reading of the document wrote: its findings (their themes, sentences and
    links) and its judgements."""
    held = db.execute("select 1 from findings where document_id = ? limit 1", [document_id]).fetchone()
    if held:
        for table in ("finding_themes", "finding_sentences"):
            db.execute(
                f"delete from {table} where finding_id in (select id from findings where document_id = ?)",
                [document_id],
            )
        db.execute(
            "delete from issue_links where from_finding_id in (select id from findings where document_id = ?) "
            "or to_finding_id in (select id from findings where document_id = ?)",
            [document_id, document_id],
        )
    db.execute("delete from findings where document_id = ?", [document_id])
    db.execute("delete from judgements where document_id = ?", [document_id])


def _insert_findings(db: sqlite_utils.Database, findings: list, inspection_id: str, document_id: str) -> None:
    """A document's findings, their themes and sentences, and their search index, each in one statement."""
    rows: list[dict] = []
    links: list[dict] = []
    sentences: list[dict] = []
    for f in findings:
        finding_id = f"{document_id}-{f.ordinal:03d}"
        rows.append(
            {
                "id": finding_id,
                "inspection_id": inspection_id,
                "document_id": document_id,
                "section": f.section,
                "kind": f.kind,
                "polarity": f.polarity,
                "text": f.text,
                "ordinal": f.ordinal,
                "paragraph": f.paragraph,
                "page": f.page,
                "timescale": f.timescale,
                "about": f.about,
                "national_framework": ", ".join(f.national_framework) or None,
            }
        )
        links.extend({"finding_id": finding_id, "theme_id": t} for t in f.themes)
        sentences.extend(sentence_rows(finding_id, f.sentences))
    last_rowid = db.execute("select coalesce(max(rowid), 0) from findings").fetchone()[0]
    insert_rows(db, "findings", rows)
    db.execute(
        "insert into findings_fts (rowid, text, section) select rowid, text, section from findings where rowid > ?",
        [last_rowid],
    )
    insert_rows(db, "finding_themes", links)
    insert_rows(db, "finding_sentences", sentences)


def _forget_other_readings(db: sqlite_utils.Database, sha256: str, document_id: str) -> None:
    """Drop what an older parser read from this same file under other ids (it now reads another date or kind),
    so that a database read again equals one built from scratch; an inspection left with no document goes too."""
    others = db.execute("select id, inspection_id from documents where sha256 = ? and id != ?", [sha256, document_id])
    for other_id, inspection_id in others.fetchall():
        finding_ids = "select id from findings where document_id = ?"
        for table in ("finding_themes", "finding_sentences"):
            db.execute(f"delete from {table} where finding_id in ({finding_ids})", [other_id])
        db.execute(
            f"delete from issue_links where from_finding_id in ({finding_ids}) or to_finding_id in ({finding_ids})",
            [other_id, other_id],
        )
        db.execute("delete from findings where document_id = ?", [other_id])
        db.execute("delete from judgements where document_id = ?", [other_id])
        db.execute("delete from documents where id = ?", [other_id])  # its trigger forgets its comparisons
        if not db.execute("select 1 from documents where inspection_id = ? limit 1", [inspection_id]).fetchone():
            for statement in _FORGET_COMPARISONS:
                db.execute(statement.format("?"), [inspection_id, inspection_id])
            db.execute("delete from inspections where id = ?", [inspection_id])
