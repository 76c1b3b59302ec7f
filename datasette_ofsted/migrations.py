"""The schema of both databases as sqlite-utils migration sets (`sqlite_utils.migrations`).

Each step runs once, in the order it is registered, in a transaction of its own together with
its record in `_sqlite_migrations`. What this adds to sqlite-utils' `apply`, and why:

- the step's transaction takes the write lock at once (BEGIN IMMEDIATE) and looks again at what
  is pending inside it, so two processes opening one database (two ingests, an ingest and a
  server) queue, and the second finds the step done instead of failing half-way;
- a database made before its set was recorded (ofsted.db before 0.1.0, ofsted_reviews.db before
  0.3.0) has the steps its tables show recorded first (`held_before`), so nothing is made twice;
- a database that has steps this code does not know was made by a newer release: refused.

A new step is one function under the set's decorator (`@migration` in ingest/load.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import contextmanager

import sqlite_utils
from sqlite_utils.migrations import Migrations


class SchemaTooNew(Exception):
    """The database has schema steps this code does not know: a newer release made it."""


@contextmanager
def write_transaction(db: sqlite_utils.Database):
    """One transaction that takes the write lock at once (BEGIN IMMEDIATE), so that two writers
    queue behind each other instead of failing when both read then write.

    Inside a transaction the caller has begun (Datasette 1.0a's execute_write_fn begins one,
    immediate, around the function it runs), the work is a savepoint of it: the caller commits.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        # SQLite has rolled back already after some errors (a full disk, SQLITE_FULL): a second
        # ROLLBACK would fail and hide the error that says what happened.
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


class MigrationSet(Migrations):
    """sqlite-utils' migration set, each pending step applied under the write lock (see the module)."""

    def __init__(self, name: str, held_before: Callable[[sqlite_utils.Database], list[str]]):
        super().__init__(name)
        self.held_before = held_before

    def names(self) -> list[str]:
        """The steps of the set, in the order they run."""
        return [step.name for step in self._migrations]

    def unknown(self, db: sqlite_utils.Database) -> list[str]:
        """Steps a database has had that this code does not know (a newer release's)."""
        known = set(self.names())
        return [step.name for step in self.applied(db) if step.name not in known]

    def bring_up_to_date(self, db: sqlite_utils.Database) -> list[str]:
        """Apply every pending step, one transaction each; return the names of those applied here.

        Raises SchemaTooNew, changing nothing, for a database a newer release has migrated."""
        if not self.pending(db) and not self.unknown(db):
            return []  # read only: the usual case, a database that is up to date
        done: list[str] = []
        while True:
            with write_transaction(db):
                self._record_held_before(db)
                unknown = self.unknown(db)
                if unknown:
                    raise SchemaTooNew(
                        f"this database has schema changes this release does not know ({', '.join(unknown)}): "
                        "use a newer version"
                    )
                pending = self.pending(db)
                if not pending:
                    return done
                self.apply(db, stop_before=[step.name for step in pending[1:]])  # the first step only
                done.append(pending[0].name)

    def _record_held_before(self, db: sqlite_utils.Database) -> None:
        """Record the steps a database made before this set was recorded has had (read from its tables)."""
        if self.applied(db):
            return
        held = self.held_before(db)
        if held:
            self.ensure_migrations_table(db)
            for name in held:
                self._record_applied(db, name)


def database_of(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """sqlite-utils' view of a connection someone else opened (Datasette's write connection), which
    it leaves as it was: no recursive triggers, no sqlite-utils plugins."""
    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
