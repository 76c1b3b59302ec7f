"""Errors of the database itself that a person can act on: a full disk and a folder that cannot be written.

SQLite says "database or disk is full" or "unable to open database file"; the person running the
ingest needs to know what happened, what was kept and what to do next. Every document is written in
its own transaction, so a disk that fills mid-ingest loses only the document being written: the
message says how many are in, and that running the same command again resumes (files already in
are skipped by their checksum).
"""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

# The exit code of an ingest stopped by a full disk: not 1 (some files refused), not 2 (usage),
# not 130 (interrupted): nothing was wrong with the files, and the same command resumes.
DISK_FULL_EXIT = 3
# SQLite's result code for "database or disk is full" (SQLITE_FULL), as Python's sqlite3 gives it.
SQLITE_FULL = 13
# What SQLite says when it cannot create or open the database or its journal (SQLITE_CANTOPEN,
# SQLITE_READONLY): in a folder the ingester may not write, both mean the same thing.
SQLITE_CANTOPEN, SQLITE_READONLY = 14, 8
# The errors of a file system that cannot take more: no space, over a quota, over the size limit.
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
READ_ONLY_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}


class DiskFull(Exception):
    """The database could not grow: the disk (or the database's size limit) is full."""


def is_disk_full(error: BaseException) -> bool:
    """Whether an error from SQLite or the file system means that nothing more can be written."""
    if isinstance(error, DiskFull):
        return True
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return (code is not None and code & 0xFF == SQLITE_FULL) or "database or disk is full" in str(error)
    return isinstance(error, OSError) and error.errno in FULL_ERRNOS


def is_read_only(error: BaseException) -> bool:
    """Whether an error means the database or its folder may not be written."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        text = str(error)
        return (code is not None and code & 0xFF in (SQLITE_CANTOPEN, SQLITE_READONLY)) or (
            "unable to open database file" in text or "readonly database" in text
        )
    return isinstance(error, OSError) and error.errno in READ_ONLY_ERRNOS


def kept_in(db_path: str) -> str:
    """What the database holds now, said plainly (read with a fresh read-only connection)."""
    path = Path(db_path)
    if not path.is_file():
        return "nothing was written"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            documents = conn.execute("select count(*) from documents").fetchone()[0]
            inspections = conn.execute("select count(*) from inspections").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return f"{db_path} is as it was before this ingest (nothing of it was lost)"
    return (
        f"{db_path} keeps every document written before the disk filled: {documents} documents of "
        f"{inspections} inspections, each whole (the one being written when it filled was not kept)"
    )


def disk_full_message(db_path: str) -> str:
    folder = Path(db_path).resolve().parent
    return (
        f"{db_path}: the disk is full: the database could not grow.\n"
        f"Kept: {kept_in(db_path)}.\n"
        f"To resume: free some space on the disk that holds {folder} (or choose --db on another disk), then run "
        "the same command again: files already in the database are skipped, and the comparisons are completed."
    )


def read_only_message(db_path: str, error: BaseException | None = None) -> str:
    """Why the database cannot be written, for an existing database and for a new one."""
    path = Path(db_path)
    folder = path.resolve().parent
    if path.exists():
        return (
            f"--db {db_path}: cannot be written: the ingester writes the database and its journal "
            f"({path.name}-wal, {path.name}-shm) in {folder}, and that folder (or the file) is read-only for you. "
            "Nothing was changed. Make the folder writable, or copy the database to a folder you can write and "
            "give that path to --db."
        )
    nearest = next((p for p in [folder, *folder.parents] if p.exists()), folder)
    return (
        f"--db {db_path}: cannot be created: {nearest} is read-only for you"
        + (f" ({error.strerror})" if isinstance(error, OSError) and error.strerror else "")
        + ". Nothing was written. Choose --db in a folder you can write."
    )


def folder_writable(path: Path) -> bool:
    """Whether a file can be made in this folder: tried, since os.access says yes to root on a read-only mount."""
    probe = path / f".ofsted-ingest-probe-{os.getpid()}"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink(missing_ok=True)
    return True


def prepare_database_folder(db_path: str) -> None:
    """Make the database's folder, or refuse (a usage error) when it cannot be made or written."""
    folder = Path(db_path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        if error.errno in READ_ONLY_ERRNOS:
            raise click.UsageError(read_only_message(db_path, error)) from None
        raise
    if not folder_writable(folder):
        raise click.UsageError(read_only_message(db_path))


def explain_open_error(db_path: str, error: sqlite3.DatabaseError) -> click.UsageError:
    """The usage error for a database that cannot be opened or migrated."""
    if is_read_only(error):
        return click.UsageError(read_only_message(db_path, error))
    if is_disk_full(error):
        return click.UsageError(disk_full_message(db_path))
    return click.UsageError(f"--db {db_path}: not a usable SQLite database ({error})")


def explained(db_path_of: Callable[[dict[str, Any]], str]) -> Callable:
    """Wrap a command so that a full disk ends it with what was kept and how to resume (DISK_FULL_EXIT), and
    a database that turns out read-only with a usage error that says so, never a traceback; others pass."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except (sqlite3.Error, OSError, DiskFull) as error:
                if is_disk_full(error):
                    click.echo(disk_full_message(db_path_of(kwargs)), err=True)
                    sys.exit(DISK_FULL_EXIT)
                if isinstance(error, sqlite3.Error) and is_read_only(error):
                    raise click.UsageError(read_only_message(db_path_of(kwargs), error)) from None
                raise

        return wrapper

    return decorate
