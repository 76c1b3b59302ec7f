"""Which documents were read by another version of the parser: read again from their files at the next ingest.

Light on purpose (the standard library alone): the command asks it before its workers start reading, as it
asks for the checksums a database holds, without loading the writer's modules.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

# The code that reads a report into findings, judgements and dates: a change to any of it (even a comment:
# it costs one rereading, never a stale document) makes every document it read out of date.
PARSER_MODULES = ("extract.py", "layout.py", "parse.py")


@functools.lru_cache(maxsize=1)
def parser_version() -> str:
    """The version of the running parser: a digest of its code, as the comparison engine's is of its own."""
    digest = hashlib.sha256()
    for module in PARSER_MODULES:
        digest.update((Path(__file__).parent / module).read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class StaleDocuments:
    """The documents a database holds that were read by another parser (or all of them, for --reparse):
    the files still at their recorded path, to read again, and the documents whose file is gone."""

    files: list[str] = field(default_factory=list)
    checksums: set[str] = field(default_factory=set)
    gone: list[str] = field(default_factory=list)


def stale_documents(db_path: str, everything: bool = False) -> StaleDocuments:
    """The documents to read again before this ingest's files (read with the sqlite3 module alone, before the
    database is migrated: a database made before parser versions were recorded has all its documents stale).

    A recorded source path is the one the file was ingested from, relative to the folder the ingest ran in:
    a document whose file is not there (moved, or an ingest run from another folder) is listed as gone, and is
    read again when its file is given again.
    """
    out = StaleDocuments()
    if not Path(db_path).is_file():
        return out
    try:
        conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    except sqlite3.Error:
        return out
    try:
        columns = {r[1] for r in conn.execute("pragma table_info(documents)").fetchall()}
        if not columns:
            return out
        if everything or "parser_version" not in columns:
            rows = conn.execute("select source_path, sha256 from documents order by id").fetchall()
        else:
            rows = conn.execute(
                "select source_path, sha256 from documents where parser_version is not ? order by id",
                [parser_version()],
            ).fetchall()
    except sqlite3.Error:
        return out
    finally:
        conn.close()
    for source_path, sha256 in rows:
        if source_path and Path(source_path).is_file():
            out.files.append(source_path)
            out.checksums.add(sha256)
        else:
            out.gone.append(source_path or "(no path recorded)")
    return out


# How many of the documents whose file is gone a message names; the rest are counted.
GONE_NAMED = 5


def stale_documents_gone(gone: list[str]) -> str:
    """What to say of documents read by an older parser whose files are not where they were ingested from."""
    named = ", ".join(gone[:GONE_NAMED]) + (f" and {len(gone) - GONE_NAMED} more" if len(gone) > GONE_NAMED else "")
    return (
        f"{len(gone)} documents were read by an older version of the parser and their files are not where they "
        f"were ingested from ({named}): they are kept as they were read; give their files again to read them anew"
    )
