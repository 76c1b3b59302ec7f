"""Which of the served databases the plugin reads: the one ofsted-ingest built and the reviewers' one.

The one place both are looked up, for the hooks in __init__.py and for every page. `ofsted_database` is the
page's first call: the permission check comes before any read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from datasette.database import Database
from datasette.utils.asgi import NotFound

from .permissions import TABLES, ensure_can_view, ensure_can_view_instance
from .reviews import REVIEWS_DATABASE

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request


PLUGIN = "datasette-ofsted"


def _config(datasette: Datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


async def find_ofsted_database(datasette: Datasette) -> Database | None:
    """The database ofsted-ingest built, as the pages and the canned queries find it: the plugin setting
    `database` (None when that one is not attached), else one named ofsted, else the first with
    inspections and findings. No permission check: ofsted_database adds it for a page."""
    config = _config(datasette)
    if config.get("database"):
        return datasette.databases.get(config["database"])
    if "ofsted" in datasette.databases:
        return datasette.databases["ofsted"]
    for name, candidate in datasette.databases.items():
        if name.startswith("_"):
            continue
        if await candidate.table_exists("inspections") and await candidate.table_exists("findings"):
            return candidate
    return None


async def ofsted_database(datasette: Datasette, request: Request, tables: Iterable[str] = TABLES) -> Database:
    """The database ofsted-ingest built, once the actor is allowed to see it and the tables the page reads."""
    await ensure_can_view_instance(datasette, request)
    db = await find_ofsted_database(datasette)
    if db is None:
        raise NotFound("No Ofsted database is attached: run ofsted-ingest, then serve data/ofsted.db with Datasette.")
    await ensure_can_view(datasette, request, db.name, tables)
    return db


def reviews_database(datasette: Datasette) -> Database | None:
    """The database the reviews are kept in: the plugin setting `reviews_database`, else ofsted_reviews."""
    return datasette.databases.get(_config(datasette).get("reviews_database") or REVIEWS_DATABASE)


async def reviews_held(datasette: Datasette) -> Database | None:
    """The reviews database, if one with its table is served (asked once per data version: cache.py)."""
    from .cache import kept

    rdb = reviews_database(datasette)
    if rdb is None or not await kept(rdb, ("table_exists", "reviews"), lambda: rdb.table_exists("reviews")):
        return None
    return rdb
