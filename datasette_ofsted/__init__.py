"""Datasette plugin: Ofsted inspections, authority timelines and the comparison of two inspections.

Only the plugin hooks live here; the pages are in views/ (a module a page), the comparison in align.py.
"""

from __future__ import annotations

import re

from markupsafe import Markup
from pluggy import HookimplMarker

# Datasette's own marker (datasette.hookimpl is this same object), made here so that
# importing the comparison engine (align, findings) from this package, as the ingester
# does, does not load Datasette and the pages: a third of a small ingest's start-up.
hookimpl = HookimplMarker("datasette")

INSPECTION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-\d{4}-\d{2}-\d{2}$")


@hookimpl
def register_routes():
    from .views import authority, compare, index, review, search

    return [
        *review.routes(),
        (r"^/-/ofsted$", index.index),
        (r"^/-/ofsted/search$", search.search),
        (r"^/-/ofsted/compare$", compare.compare_form),
        (r"^/-/ofsted/compare/(?P<pair>[^/]*?)(?P<format>\.json|\.csv)?$", compare.compare),
        (r"^/-/ofsted/(?P<authority>[^/]+)$", authority.authority),
    ]


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/ofsted"), "label": "Ofsted inspections"}]


@hookimpl
def table_actions(datasette, database, table, request):
    """On the inspections table: compare an inspection with the one before it."""
    if table != "inspections":
        return None

    async def actions():
        from .views.compare import previous_inspection_actions

        return await previous_inspection_actions(datasette, database, request)

    return actions


@hookimpl
def render_cell(value, column, table, database, datasette):
    """Inspection ids link to their authority's timeline, wherever they are shown."""
    if not (column == "id" and table == "inspections" or column.endswith("inspection_id")):
        return None
    if isinstance(value, dict):  # an expanded foreign key: {"value": ..., "label": ...}
        value = value.get("value")
    if not isinstance(value, str) or not INSPECTION_ID.fullmatch(value):
        return None
    authority = value[: -len("-YYYY-MM-DD")]
    timeline = datasette.urls.path(f"/-/ofsted/{authority}")
    record = datasette.urls.row(database, "inspections", value)
    return Markup('<a href="{}">{}</a> (<a href="{}#{}">timeline</a>)').format(record, value, timeline, value)


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    """`ofsted-review`: the actors the plugin setting `reviewers` (an allow block) names; nobody when unset.

    Says nothing otherwise, so that another permission plugin can grant it too.
    """
    if action != "ofsted-review":
        return None
    return True if _named_reviewer(datasette, actor) else None


def _named_reviewer(datasette, actor) -> bool:
    """Whether the plugin setting `reviewers` (an allow block) names the actor; nobody when unset."""
    from datasette.utils import actor_matches_allow

    reviewers = (datasette.plugin_config("datasette-ofsted") or {}).get("reviewers")
    return reviewers is not None and actor is not None and bool(actor_matches_allow(actor, reviewers))


@hookimpl
def register_actions(datasette):
    """Datasette 1.0a (from 1.0a20): the `ofsted-review` action, so that it can be granted and checked."""
    from datasette.permissions import Action

    return [Action(name="ofsted-review", abbr=None, description="Confirm or change the calls of an Ofsted comparison")]


@hookimpl
def permission_resources_sql(datasette, actor, action):
    """Datasette 1.0a (from 1.0a20): the `reviewers` setting answers `ofsted-review`; silent otherwise."""
    if action != "ofsted-review" or not _named_reviewer(datasette, actor):
        return None
    from datasette.permissions import PermissionSQL

    return PermissionSQL.allow(reason="named in the datasette-ofsted reviewers setting")


@hookimpl
def startup(datasette):
    """Give a served, writable ofsted_reviews database its reviews table (ofsted-ingest makes it; a new file may not have it)."""

    async def inner():
        from .reviews import ensure_reviews_schema
        from .views.review import reviews_database

        rdb = reviews_database(datasette)
        if rdb is not None and rdb.is_mutable and not await rdb.table_exists("reviews"):
            await rdb.execute_write_fn(ensure_reviews_schema, block=True)

    return inner


@hookimpl
def prepare_connection(conn):
    """`ofsted_review_key(document_id, text)` in SQL: the key reviews are kept under (see reviews.py)."""
    from .reviews import register_sql_functions

    register_sql_functions(conn)
