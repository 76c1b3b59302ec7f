"""The one permission check every page of the plugin makes before it reads anything.

Datasette's own views check view-instance, view-database and view-table (a table made public
inside a private database is visible); the plugin's pages read the same tables, so they must
answer to the same rules: a private database stays private here too.

One check, two Datasette lines: 1.0a's resource-based `datasette.allowed(actor=, action=,
resource=)` where it exists, 0.65's cascading `datasette.ensure_permissions` otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from datasette.database import QueryInterrupted
from datasette.utils.asgi import Forbidden

T = TypeVar("T")

# The tables the plugin's pages read: every page checks them all (ofsted_database), but the index, which names its
# own few. The compare page reads finding_sentences when it compares a pair that is not stored.
TABLES = (
    "authorities",
    "inspections",
    "documents",
    "judgements",
    "findings",
    "finding_sentences",
    "themes",
    "finding_themes",
    "issue_links",
    "comparisons",
    "comparison_rows",
)

try:  # Datasette 1.0a: permissions are actions on resources
    from datasette.resources import DatabaseResource, TableResource
except ImportError:  # Datasette 0.65
    DatabaseResource = TableResource = None


def resource_permissions(datasette) -> bool:
    """True on a Datasette that answers `allowed(action=, resource=, actor=)` (1.0a)."""
    return DatabaseResource is not None and callable(getattr(datasette, "allowed", None))


# Datasette's permission checks run SQL under its time limit for visitors' queries (`sql_time_limit_ms`, 1 s by
# default): 0.65 asks SQLite how each table is spelled (`select name from sqlite_master ... collate nocase`), 1.0a
# resolves its rules in its internal database. Under load such a query's thread can wait past the limit for its turn
# (the interpreter's lock, two cores shared by everything): one request in a few thousand under 20 clients answered
# HTTP 500 with QueryInterrupted from the spelling query (benchmarks/load.py, issue 26r). An interrupted check is
# asked again, up to this many times in all, and never skipped: if every attempt is interrupted the request fails.
PERMISSION_ATTEMPTS = 3


async def ask_permission(ask: Callable[[], Awaitable[T]]) -> T:
    """`await ask()` (a permission check), asked again when Datasette's time limit interrupted its query (PERMISSION_ATTEMPTS in all)."""
    for _ in range(PERMISSION_ATTEMPTS - 1):
        try:
            return await ask()
        except QueryInterrupted:
            await asyncio.sleep(0)  # let the requests ahead of it go first
    return await ask()


async def _ensure_allowed(datasette, actor, action: str, resource=None) -> None:
    if not await ask_permission(lambda: datasette.allowed(action=action, resource=resource, actor=actor)):
        raise Forbidden(f"You do not have permission to {action.replace('-', ' ')}")


# Where a request keeps the answers of 0.65's permission checks it has asked (request.scope): a page
# asks for the same database and instance answers once per table, and some pages check twice.
REQUEST_ANSWERS = "ofsted_permission_answers"


async def _answer(datasette, request, action: str, resource=None):
    """0.65: the hook's answer (True, False or None: no opinion), asked once per request."""
    asked = {} if request is None else request.scope.setdefault(REQUEST_ANSWERS, {})
    key = (action, resource)
    if key not in asked:
        actor = request.actor if request is not None else None
        asked[key] = await ask_permission(lambda: datasette.permission_allowed(actor, action, resource=resource, default=None))
    return asked[key]


async def ensure_can_view(datasette, request, database: str, tables: Iterable[str] = ()) -> None:
    """Raise Forbidden unless the request's actor may see the instance, the database and each table.

    Checked as Datasette checks its own pages: the most specific answer given wins. The checks are
    batched: the tables' asked at once, the database's and the instance's asked once per request
    (on 0.65 each table's check fell back to both; 1.0a keeps its own answers per request).
    """
    actor = request.actor if request is not None else None
    tables = tuple(dict.fromkeys(tables))
    if resource_permissions(datasette):
        await _ensure_allowed(datasette, actor, "view-instance")
        await _ensure_allowed(datasette, actor, "view-database", DatabaseResource(database=database))

        def table_allowed(table: str) -> Callable[[], Awaitable[bool]]:
            return lambda: datasette.allowed(
                action="view-table", resource=TableResource(database=database, table=table), actor=actor
            )

        answers = await asyncio.gather(*(ask_permission(table_allowed(t)) for t in tables))
        if not all(answers):
            raise Forbidden("You do not have permission to view table")
        return

    def answer(action: str, resource=None):
        return _answer(datasette, request, action, resource)

    # 0.65's ensure_permissions: the first answer that is not None decides, each table's answer
    # before its database's before the instance's; none at all allows.
    table_answers = await asyncio.gather(*(answer("view-table", (database, t)) for t in tables))
    database_answer = await answer("view-database", database)
    instance_answer = await answer("view-instance") if database_answer is None else None
    for table_answer in (*table_answers, None):
        for action, decided in (
            ("view-table", table_answer),
            ("view-database", database_answer),
            ("view-instance", instance_answer),
        ):
            if decided is not None:
                if not decided:
                    raise Forbidden(action)
                break


async def ensure_can_view_instance(datasette, request) -> None:
    """For a page that reads no database yet (a form's redirect)."""
    actor = request.actor if request is not None else None
    if resource_permissions(datasette):
        await _ensure_allowed(datasette, actor, "view-instance")
        return
    if await _answer(datasette, request, "view-instance") is False:
        raise Forbidden("view-instance")
