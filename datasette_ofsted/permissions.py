"""The one permission check every page of the plugin makes before it reads anything.

Datasette's own views check view-instance, view-database and view-table in a cascade (a
table made public inside a private database is visible); the plugin's pages read the same
tables, so they must answer to the same rules: a private database stays private here too.
"""

from __future__ import annotations

from collections.abc import Iterable

# The tables the plugin's pages read; each page names the ones it shows.
TABLES = (
    "authorities",
    "inspections",
    "documents",
    "judgements",
    "findings",
    "themes",
    "finding_themes",
    "issue_links",
    "comparisons",
    "comparison_rows",
)


async def ensure_can_view(datasette, request, database: str, tables: Iterable[str] = ()) -> None:
    """Raise Forbidden unless the request's actor may see the instance, the database and each table.

    Checked as Datasette checks its own table pages: the most specific answer given wins.
    """
    actor = request.actor if request is not None else None
    for table in tables:
        await datasette.ensure_permissions(
            actor, [("view-table", (database, table)), ("view-database", database), "view-instance"]
        )
    await datasette.ensure_permissions(actor, [("view-database", database), "view-instance"])


async def ensure_can_view_instance(datasette, request) -> None:
    """For a page that reads no database yet (a form's redirect)."""
    actor = request.actor if request is not None else None
    await datasette.ensure_permissions(actor, ["view-instance"])
