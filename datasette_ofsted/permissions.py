"""The one permission check every page of the plugin makes before it reads anything.

Datasette's own views check view-instance, view-database and view-table (a table made public
inside a private database is visible); the plugin's pages read the same tables, so they must
answer to the same rules: a private database stays private here too.

One check, two Datasette lines: 1.0a's resource-based `datasette.allowed(actor=, action=,
resource=)` where it exists, 0.65's cascading `datasette.ensure_permissions` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from datasette.utils.asgi import Forbidden

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

try:  # Datasette 1.0a: permissions are actions on resources
    from datasette.resources import DatabaseResource, TableResource
except ImportError:  # Datasette 0.65
    DatabaseResource = TableResource = None


def resource_permissions(datasette) -> bool:
    """True on a Datasette that answers `allowed(action=, resource=, actor=)` (1.0a)."""
    return DatabaseResource is not None and callable(getattr(datasette, "allowed", None))


async def _ensure_allowed(datasette, actor, action: str, resource=None) -> None:
    if not await datasette.allowed(action=action, resource=resource, actor=actor):
        raise Forbidden(f"You do not have permission to {action.replace('-', ' ')}")


async def ensure_can_view(datasette, request, database: str, tables: Iterable[str] = ()) -> None:
    """Raise Forbidden unless the request's actor may see the instance, the database and each table.

    Checked as Datasette checks its own pages: the most specific answer given wins.
    """
    actor = request.actor if request is not None else None
    if resource_permissions(datasette):
        await _ensure_allowed(datasette, actor, "view-instance")
        await _ensure_allowed(datasette, actor, "view-database", DatabaseResource(database=database))
        for table in tables:
            await _ensure_allowed(datasette, actor, "view-table", TableResource(database=database, table=table))
        return
    for table in tables:
        await datasette.ensure_permissions(
            actor, [("view-table", (database, table)), ("view-database", database), "view-instance"]
        )
    await datasette.ensure_permissions(actor, [("view-database", database), "view-instance"])


async def ensure_can_view_instance(datasette, request) -> None:
    """For a page that reads no database yet (a form's redirect)."""
    actor = request.actor if request is not None else None
    if resource_permissions(datasette):
        await _ensure_allowed(datasette, actor, "view-instance")
        return
    await datasette.ensure_permissions(actor, ["view-instance"])
