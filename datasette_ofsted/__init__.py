"""Datasette plugin: Ofsted inspections, authority timelines and the comparison of two inspections.

Only the plugin hooks live here; the pages are in views/ (a module a page), the comparison in align.py.
"""

from __future__ import annotations

import functools
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml
from markupsafe import Markup
from pluggy import HookimplMarker

from .pairs import INSPECTION_ID

# Datasette's own marker (datasette.hookimpl is this same object), made here so that
# importing the comparison engine (align, findings) from this package, as the ingester
# does, does not load Datasette and the pages: a third of a small ingest's start-up.
hookimpl = HookimplMarker("datasette")

try:  # the version pyproject.toml gives, as installed: one place to change it
    __version__ = version("datasette-ofsted")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

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
    """The name of the database the canned queries belong to: the one the pages read (databases.py)."""
    from .databases import find_ofsted_database  # the pages load Datasette; the ingester need not

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
        missing = await _missing_schema(datasette, database)
        return {
            name: {**attribution, **query, "sql": _answerable(query["sql"], missing)}
            for name, query in canned_queries_definitions().items()
        }

    return queries


async def _missing_schema(datasette, database: str) -> list[str]:
    """Asked by every page and, on 0.65, every request's canned queries: kept against the database's version."""
    from .cache import kept
    from .comparisons import missing_schema

    db = datasette.databases[database]
    return list(await kept(db, ("missing_schema",), lambda: db.execute_fn(missing_schema)))


def _answerable(sql: str, missing: list[str]) -> str:
    """A canned query's SQL, or, when it reads what a database built by an older release lacks, a query that
    says so (and how to update it) instead of Datasette's "no such table"."""
    if not any(re.search(rf"\b{re.escape(name)}\b", sql) for name in missing):
        return sql
    from .comparisons import OLDER_RELEASE

    return "select '{}' as problem".format(OLDER_RELEASE.replace("'", "''"))


async def _our_query_page(datasette, template, database, request) -> bool:
    """Whether this is the page of one of the plugin's canned queries on the database the pages read."""
    # Datasette names the template it chose: query.html, or a query's own (the plugin's query-ofsted-<query>.html).
    if request is None or not (template == "query.html" or template.startswith("query-")):
        return False
    name = (request.url_vars or {}).get("table")
    return name in canned_queries_definitions() and database == await ofsted_database_name(datasette)


@hookimpl
def extra_template_vars(template, database, request, datasette):
    """What the plugin adds to templates. On its own pages, a notice when the database was built by an older
    release (`ofsted_older_release`): what it shows is what that release stored, and ofsted-ingest brings it up
    to date. On its canned queries' pages, `ofsted_query_chart`, the query's chart as the plugin draws it
    (views/query_charts.py; templates/query-ofsted-<query>.html show it); and on Datasette 1.0a31 on, where a
    stored query's page reads `metadata` from the query alone and its footer loses the reports' licence and source:
    the query's own metadata with the attribution beside it (0.65 and the earlier alphas have it from the
    canned_queries hook above)."""

    async def inner():
        if template.startswith("ofsted_"):
            from .comparisons import OLDER_RELEASE

            name = await ofsted_database_name(datasette)
            if name is None or not await _missing_schema(datasette, name):
                return {}
            return {"ofsted_older_release": OLDER_RELEASE}
        if not await _our_query_page(datasette, template, database, request):
            return {}
        from .views.query_charts import chart_of_query

        name = request.url_vars["table"]
        if not stores_queries(datasette):
            return {"ofsted_query_chart": await chart_of_query(datasette, database, name, request)}
        from datasette.stored_queries import stored_query_to_dict

        from .views.common import attribution

        query = await datasette.get_query(database, name)
        if query is None or query.source != QUERY_SOURCE:
            return {}
        metadata = stored_query_to_dict(query)
        metadata.pop("source", None)
        return {
            "ofsted_query_chart": await chart_of_query(datasette, database, name, request),
            "metadata": {**metadata, **await attribution(datasette, database)},
        }

    return inner


@hookimpl
def prepare_jinja2_environment(env, datasette):
    """The templates' display filters. The views hand the data; the templates say how it looks:
    `text|ofsted_highlight(stems)`, the text escaped with the words whose stems are given marked (views/common);
    for a comparison's rows (views/compare), `row|ofsted_sides` (the findings shown and folded), `row|ofsted_call`
    (how sure the engine is, in words), `finding|ofsted_stance(status)` (for or against the call) and
    `finding|ofsted_stems(row)` (the stems to mark); `rows|ofsted_rows(template)`, a page's rows rendered in one
    synchronous pass (views/common.synchronous_rows)."""
    from .views.common import highlight, synchronous_rows
    from .views.compare import call_words, marked_stems, sides_shown, stance

    env.filters.update(
        ofsted_highlight=highlight,
        ofsted_sides=sides_shown,
        ofsted_call=call_words,
        ofsted_stance=stance,
        ofsted_stems=marked_stems,
        ofsted_rows=synchronous_rows(env),
    )


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
        from .databases import reviews_database
        from .reviews import ensure_reviews_schema, verify_chain

        rdb = reviews_database(datasette)
        if rdb is not None and rdb.is_mutable:
            await rdb.execute_write_fn(ensure_reviews_schema, block=True)
        if rdb is not None and await rdb.table_exists("reviews"):
            chain = await rdb.execute_fn(verify_chain)
            if not chain["intact"]:
                print(
                    f"datasette-ofsted: the reviews in {rdb.name} are not as they were written: review "
                    f"#{chain['broken_at']}: {chain['reason']} (the history pages say so too)",
                    file=sys.stderr,
                )
        if stores_queries(datasette):
            await add_queries()

    async def add_queries():
        database = await ofsted_database_name(datasette)
        if database is None:
            return
        missing = await _missing_schema(datasette, database)  # read once: restart after updating an older database
        for name, query in canned_queries_definitions().items():
            existing = await datasette.get_query(database, name)
            if existing is not None and existing.source != QUERY_SOURCE:
                continue  # a query of that name from the user's own configuration wins
            await datasette.add_query(
                database,
                name,
                _answerable(query["sql"], missing),
                title=query.get("title"),
                description=query.get("description"),
                fragment=query.get("fragment"),
                is_trusted=True,
                source=QUERY_SOURCE,
            )

    return inner


@hookimpl
def asgi_wrapper(datasette):
    """Each request keeps only what it read at one data version (cache.one_version_a_request); a served Datasette
    reads the pages in the background when it starts and whenever the database changes (warm.py), unless the plugin
    setting `warm_pages` is false."""
    from .cache import one_version_a_request
    from .warm import lifespan_wrapper

    def wrap(app):
        app = one_version_a_request(app)  # what a request keeps is of one data version (cache.kept)
        if _settings(datasette).get("warm_pages") is False:
            return app
        return lifespan_wrapper(datasette, app)

    return wrap


@hookimpl
def register_routes():
    """Every route of the plugin, as the one registry (routes.py) lists them."""
    from .routes import served

    return served()


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


# What Datasette's own pages need to read a database's rows: for the reviews database, its tables
# (`reviews`), its view (`current_reviews`), its queries, its download and `?sql=` are all reads of
# who reviewed, when and why.
READ_ACTIONS = frozenset({"view-database", "view-database-download", "view-table", "view-query", "execute-sql"})
# The database Datasette attaches every database to with --crossdb: its `?sql=` reads the reviews too.
CROSSDB = "_memory"


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    """Datasette 0.65. `ofsted-review`: the actors the plugin setting `reviewers` (an allow block) names.
    Reading the reviews database (reviewers' names, notes and times): denied to all but the reviewers and
    the `review_readers`, unless `public_reviews` is set (then Datasette's own rules decide).

    Says nothing otherwise, so that another permission plugin can grant `ofsted-review` too, and
    Datasette's rules still apply to those who may read the reviews.
    """
    if action == "ofsted-review":
        return True if _named_reviewer(datasette, actor) else None
    if action in READ_ACTIONS:
        database = resource[0] if isinstance(resource, tuple) else resource
        if database in _private_databases(datasette) and not _reads_reviews(datasette, actor):
            return False
    return None


def _settings(datasette) -> dict:
    return datasette.plugin_config("datasette-ofsted") or {}


@functools.cache
def _allow_block(value: str):
    """An allow block given as text: `{"$env": ...}` or `{"$file": ...}` resolve to one (YAML or JSON), so
    that the names need not be in metadata.yml, which /-/metadata.json and /-/config.json publish."""
    return yaml.safe_load(value)


def _matches(datasette, actor, key: str) -> bool:
    """Whether the plugin setting `key` (an allow block) names the actor; nobody when unset."""
    from datasette.utils import actor_matches_allow

    allow = _settings(datasette).get(key)
    if isinstance(allow, str):
        allow = _allow_block(allow)
    return allow is not None and actor is not None and bool(actor_matches_allow(actor, allow))


def _named_reviewer(datasette, actor) -> bool:
    """Whether the plugin setting `reviewers` (an allow block) names the actor; nobody when unset."""
    return _matches(datasette, actor, "reviewers")


def reviews_are_public(datasette) -> bool:
    """The setting `public_reviews: true`: who reviewed, when and why, for everyone Datasette lets read them."""
    return _settings(datasette).get("public_reviews") is True


def _reads_reviews(datasette, actor) -> bool:
    """Whether the actor may read reviewers' names, notes and times: a reviewer, one of the
    `review_readers`, or anyone when the reviews are public."""
    return (
        reviews_are_public(datasette)
        or _named_reviewer(datasette, actor)
        or _matches(datasette, actor, "review_readers")
    )


def _private_databases(datasette) -> tuple[str, ...]:
    """The databases whose reads show reviewers' names, notes and times: the reviews database, and
    with --crossdb the one every database is attached to."""
    from .reviews import REVIEWS_DATABASE

    settings = _settings(datasette)  # read once: a permission check asks for it, and it is not cheap on 0.65
    if settings.get("public_reviews") is True:
        return ()
    name = settings.get("reviews_database") or REVIEWS_DATABASE
    return (name, CROSSDB) if getattr(datasette, "crossdb", False) else (name,)


@hookimpl
def register_actions(datasette):
    """Datasette 1.0a (from 1.0a20): the `ofsted-review` action, so that it can be granted and checked."""
    from datasette.permissions import Action

    return [Action(name="ofsted-review", abbr=None, description="Confirm or change the calls of an Ofsted comparison")]


# Datasette 1.0a's write API: none of it may touch the reviews table, the root actor included (a
# review is appended by the review page alone, chained to the one before it).
REVIEWS_WRITE_ACTIONS = ("insert-row", "update-row", "delete-row", "upsert-row", "alter-table", "drop-table")


@hookimpl
def permission_resources_sql(datasette, actor, action):
    """Datasette 1.0a (from 1.0a20): the `reviewers` setting answers `ofsted-review` (the root actor
    included: `--root` allows everything else, but a review needs a named reviewer); the write API is
    refused on the reviews table; a deny on the reviews database for every read by an actor who may not
    read reviews (a database's rule is more specific than the defaults' instance-wide allow, the root
    user's included); silent otherwise."""
    from datasette.permissions import PermissionSQL

    if action in REVIEWS_WRITE_ACTIONS:
        from .databases import reviews_database

        rdb = reviews_database(datasette)
        if rdb is None:
            return None
        return PermissionSQL(
            sql="select :ofsted_reviews_db as parent, 'reviews' as child, 0 as allow, :ofsted_reviews_why as reason",
            params={"ofsted_reviews_db": rdb.name, "ofsted_reviews_why": "reviews are append-only"},
        )
    if action == "ofsted-review":
        if _named_reviewer(datasette, actor):
            return PermissionSQL.allow(reason="named in the datasette-ofsted reviewers setting")
        if actor is not None and actor.get("id") == "root":
            return PermissionSQL.deny(reason="the root actor reviews only when the reviewers setting names it")
        return None
    private = _private_databases(datasette)
    if action not in READ_ACTIONS or not private or _reads_reviews(datasette, actor):
        return None
    params = {f"ofsted_private_{i}": name for i, name in enumerate(private)}
    return PermissionSQL(
        sql=" UNION ALL ".join(
            f"SELECT :{key} AS parent, NULL AS child, 0 AS allow, "
            "'reviews are private: datasette-ofsted reviewers and review_readers only' AS reason"
            for key in params
        ),
        params=params,
    )


@hookimpl
def prepare_connection(conn, database, datasette):
    """SQL functions on every connection: `ofsted_review_key(document_id, text)`, the key reviews are
    kept under, and `ofsted_reviewed_status(comparison_row_id, status)`, a stored comparison row's
    status reviewed if reviewed (read-only, the status alone: see reviews.ReviewedStatus)."""
    from .databases import reviews_database
    from .reviews import register_reviewed_status, register_sql_functions

    register_sql_functions(conn)
    rdb = reviews_database(datasette) if datasette is not None else None
    register_reviewed_status(conn, rdb.path if rdb is not None and not rdb.is_memory else None)
