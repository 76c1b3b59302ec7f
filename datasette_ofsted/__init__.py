"""Datasette plugin: Ofsted inspections, authority timelines and the comparison of two inspections.

Only the plugin hooks live here; the pages are in views/ (a module a page), the comparison in align.py.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml
from markupsafe import Markup
from pluggy import HookimplMarker

# Datasette's own marker (datasette.hookimpl is this same object), made here so that
# importing the comparison engine (align, findings) from this package, as the ingester
# does, does not load Datasette and the pages: a third of a small ingest's start-up.
hookimpl = HookimplMarker("datasette")

INSPECTION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-\d{4}-\d{2}-\d{2}$")
QUERIES_FILE = Path(__file__).with_name("queries.yml")
# The licence and source a canned query page shows, taken from the database's metadata.
ATTRIBUTION = ("license", "license_url", "source", "source_url")
# Where Datasette 1.0a31 on records who added a stored query; one from datasette.yaml is "config".
QUERY_SOURCE = "plugin"


@functools.cache
def canned_queries_definitions() -> dict[str, dict]:
    """The plugin's canned queries (queries.yml): name -> title, description, sql, fragment."""
    return yaml.safe_load(QUERIES_FILE.read_text(encoding="utf-8"))


def stores_queries(datasette) -> bool:
    """Datasette 1.0a31 on keeps canned queries in its internal database (add_query); the hook is gone."""
    return callable(getattr(datasette, "add_query", None))


async def ofsted_database_name(datasette) -> str | None:
    """The name of the database the canned queries belong to: the one the pages read (views.common)."""
    from .views.common import find_ofsted_database  # the pages load Datasette; the ingester need not

    db = await find_ofsted_database(datasette)
    return db.name if db is not None else None


async def database_metadata(datasette, database: str) -> dict:
    """A database's metadata with the instance's beneath it: 0.65's `metadata()`, later 1.0a's async getters."""
    if callable(getattr(datasette, "get_database_metadata", None)):  # the later 1.0 alphas
        instance = await datasette.get_instance_metadata()
        return {**instance, **(await datasette.get_database_metadata(database))}
    return datasette.metadata(database=database) or {}


@hookimpl
def canned_queries(datasette, database, actor):
    """Datasette 0.65 and 1.0a0-a30 ask each database for its canned queries on every request."""
    if stores_queries(datasette):
        return None

    async def queries():
        if database != await ofsted_database_name(datasette):
            return None
        metadata = await database_metadata(datasette, database)
        attribution = {key: metadata[key] for key in ATTRIBUTION if metadata.get(key)}
        return {name: {**attribution, **query} for name, query in canned_queries_definitions().items()}

    return queries


async def _our_query_page(datasette, template, database, request) -> bool:
    """Whether this is the page of one of the plugin's canned queries on the database the pages read."""
    if template != "query.html" or request is None:
        return False
    name = (request.url_vars or {}).get("table")
    return name in canned_queries_definitions() and database == await ofsted_database_name(datasette)


@hookimpl
def extra_template_vars(template, database, request, datasette):
    """On Datasette 1.0a31 on, a stored query's page reads `metadata` from the query alone, so its footer loses the
    reports' licence and source: give it the query's own metadata with the attribution beside it (0.65 and the
    earlier alphas have it from the canned_queries hook above)."""
    if not stores_queries(datasette):
        return None

    async def inner():
        if not await _our_query_page(datasette, template, database, request):
            return None
        from datasette.stored_queries import stored_query_to_dict

        from .views.common import attribution

        query = await datasette.get_query(database, request.url_vars["table"])
        if query is None or query.source != QUERY_SOURCE:
            return None
        metadata = stored_query_to_dict(query)
        metadata.pop("source", None)
        return {"metadata": {**metadata, **await attribution(datasette, database)}}

    return inner


@hookimpl
def extra_css_urls(template, database, request, datasette):
    """The plugin's stylesheet on its canned queries' pages too: it keeps Datasette's SQL block from pushing the
    page sideways on a phone (its rules for those pages are scoped to body.query)."""

    async def inner():
        if not await _our_query_page(datasette, template, database, request):
            return []
        return [datasette.urls.static_plugins("datasette-ofsted", "ofsted.css")]

    return inner


@hookimpl
def startup(datasette):
    """Give a served, writable ofsted_reviews database its reviews table (ofsted-ingest makes it; a
    new file may not have it); on Datasette 1.0a31 on, store the canned queries once, trusted (they
    run for anyone who may see the database, as a canned query from configuration does)."""

    async def inner():
        from .reviews import ensure_reviews_schema
        from .views.review import reviews_database

        rdb = reviews_database(datasette)
        if rdb is not None and rdb.is_mutable and not await rdb.table_exists("reviews"):
            await rdb.execute_write_fn(ensure_reviews_schema, block=True)
        if stores_queries(datasette):
            await add_queries()

    async def add_queries():
        database = await ofsted_database_name(datasette)
        if database is None:
            return
        for name, query in canned_queries_definitions().items():
            existing = await datasette.get_query(database, name)
            if existing is not None and existing.source != QUERY_SOURCE:
                continue  # a query of that name from the user's own configuration wins
            await datasette.add_query(
                database,
                name,
                query["sql"],
                title=query.get("title"),
                description=query.get("description"),
                fragment=query.get("fragment"),
                is_trusted=True,
                source=QUERY_SOURCE,
            )

    return inner


@hookimpl
def register_routes():
    from .views import authority, compare, index, national, review, search

    return [
        *review.routes(),
        (r"^/-/ofsted(?P<format>\.json|\.csv)?$", index.index),
        (r"^/-/ofsted/search(?P<format>\.json|\.csv)?$", search.search),
        (r"^/-/ofsted/national(?P<format>\.json|\.csv)?$", national.national),
        (r"^/-/ofsted/compare$", compare.compare_form),
        (r"^/-/ofsted/compare/(?P<pair>[^/]*?)(?P<format>\.json|\.csv)?$", compare.compare),
        (r"^/-/ofsted/(?P<authority>[^/]+?)(?P<format>\.json|\.csv)?$", authority.authority),
    ]


def _wants_json(request) -> bool:
    """A JSON client: it asked for JSON (Accept) or sent JSON (Content-Type), and not for a web page."""
    accept = request.headers.get("accept", "")
    sent = request.headers.get("content-type", "")
    return ("application/json" in accept and "text/html" not in accept) or sent.startswith("application/json")


@hookimpl
def handle_exception(datasette, request, exception):
    """An error on one of the plugin's pages, for a JSON client, as JSON: Datasette answers JSON only when the path
    ends in .json, so a client posting a review or asking with `Accept: application/json` got an HTML page."""
    if request is None or not request.path.startswith("/-/ofsted") or not _wants_json(request):
        return None
    from datasette.utils.asgi import Base400, Response

    if not isinstance(exception, Base400):
        return None  # a server error: Datasette's own handler logs it
    return Response.json(
        {"ok": False, "error": str(exception.args[0]), "status": exception.status}, status=exception.status
    )


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
def prepare_connection(conn, database, datasette):
    """SQL functions on every connection: `ofsted_review_key(document_id, text)`, the key reviews are
    kept under, and `ofsted_reviewed_status(comparison_row_id, status)`, a stored comparison row's
    status reviewed if reviewed (read-only, the status alone: see reviews.ReviewedStatus)."""
    from .reviews import register_reviewed_status, register_sql_functions
    from .views.review import reviews_database

    register_sql_functions(conn)
    rdb = reviews_database(datasette) if datasette is not None else None
    register_reviewed_status(conn, rdb.path if rdb is not None and not rdb.is_memory else None)
