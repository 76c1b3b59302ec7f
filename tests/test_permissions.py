"""Every page of the plugin, in every format, answers to Datasette's permissions first."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import METADATA
from datasette.app import Datasette

from datasette_ofsted.routes import READ_REVIEWS, REVIEW, VIEW, examples

# Every route and format of the plugin that reads the Ofsted database, from the one registry, with a request
# that answers 200 (or its redirect) when allowed.
ROUTES = examples(VIEW)
# The review pages read the Ofsted database too (the pair's inspections) before the reviews: the same rules hold
# before anything of the reviews is looked at. (Recording a review, a POST, is refused to anyone not a reviewer
# whatever the database's rules: test_reviews.)
REVIEW_ROUTES = examples(READ_REVIEWS)


# The plugin's canned queries, in each format: Datasette guards them by the database (a canned query
# may read a private table of a visible database, as Datasette's own do), on both lines.
QUERY_ROUTES = [
    "/ofsted/what_recurs?authority=sutton",
    "/ofsted/what_recurs.json?authority=sutton&_shape=array",
    "/ofsted/what_recurs.csv?authority=sutton",
    "/ofsted/improvements_of_authority?authority=sutton",
]


async def serve(bundled_db, change) -> Datasette:
    metadata = copy.deepcopy(yaml.safe_load(METADATA.read_text(encoding="utf-8")))
    change(metadata)
    datasette = Datasette(immutables=[str(bundled_db)], metadata=metadata)
    await datasette.invoke_startup()
    return datasette


def private_database(metadata: dict) -> None:
    metadata["databases"]["ofsted"]["allow"] = False


def private_instance(metadata: dict) -> None:
    metadata["allow"] = False


def private_findings(metadata: dict) -> None:
    metadata["databases"]["ofsted"]["tables"].setdefault("findings", {})["allow"] = False


def public(metadata: dict) -> None:
    pass


@pytest.mark.asyncio
@pytest.mark.parametrize("route", ROUTES)
async def test_public_routes_answer(bundled_db, route):
    datasette = await serve(bundled_db, public)
    response = await datasette.client.get(route)
    assert response.status_code in (200, 302), (route, response.status_code)


@pytest.mark.asyncio
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("change", [private_database, private_instance, private_findings])
async def test_private_stays_private(bundled_db, route, change):
    datasette = await serve(bundled_db, change)
    response = await datasette.client.get(route)
    assert response.status_code == 403, (route, change.__name__, response.status_code)
    assert "Sutton" not in response.text and "sutton-2013" not in response.text


@pytest.mark.asyncio
@pytest.mark.parametrize("route", QUERY_ROUTES)
async def test_public_canned_queries_answer(bundled_db, route):
    datasette = await serve(bundled_db, public)
    assert (await datasette.client.get(route)).status_code == 200, route


@pytest.mark.asyncio
@pytest.mark.parametrize("route", QUERY_ROUTES)
@pytest.mark.parametrize("change", [private_database, private_instance])
async def test_private_canned_queries_stay_private(bundled_db, route, change):
    datasette = await serve(bundled_db, change)
    response = await datasette.client.get(route)
    assert response.status_code == 403, (route, change.__name__, response.status_code)
    assert "sutton-2013" not in response.text


@pytest.mark.asyncio
async def test_a_signed_in_actor_allowed_by_the_database_sees_the_pages(bundled_db):
    def only_alice(metadata: dict) -> None:
        metadata["databases"]["ofsted"]["allow"] = {"id": "alice"}

    datasette = await serve(bundled_db, only_alice)
    cookies = {"ds_actor": datasette.sign({"a": {"id": "alice"}}, "actor")}
    for route in ROUTES + QUERY_ROUTES:
        assert (await datasette.client.get(route)).status_code == 403, route
        assert (await datasette.client.get(route, cookies=cookies)).status_code in (200, 302), route


@pytest.mark.asyncio
@pytest.mark.parametrize("route", REVIEW_ROUTES)
@pytest.mark.parametrize("change", [public, private_database, private_instance, private_findings])
async def test_review_pages_answer_to_the_ofsted_databases_permissions(bundled_db, route, change):
    """Served without a reviews database, a review page is not found when the Ofsted database may be seen, and
    forbidden, saying nothing of the pair, when it may not."""
    datasette = await serve(bundled_db, change)
    response = await datasette.client.get(route)
    assert response.status_code == (404 if change is public else 403), (route, change.__name__, response.status_code)
    assert "sutton-2013" not in response.text


def test_every_route_is_checked_here():
    """The registry's routes that read the Ofsted database, each in the lists above: a new route cannot be missed."""
    from datasette_ofsted.routes import INSTANCE
    from datasette_ofsted.routes import ROUTES as REGISTERED

    checked = set(ROUTES) | set(REVIEW_ROUTES)
    for route in REGISTERED:
        if route.permission not in (INSTANCE, REVIEW):
            assert set(route.examples()) <= checked, route.name


@pytest.mark.asyncio
async def test_a_permission_check_interrupted_by_the_time_limit_is_asked_again_never_skipped(bundled_db, monkeypatch):
    """Datasette's permission checks run SQL under its time limit (0.65 asks how each table is spelled): under 20
    clients one request in a few thousand answered HTTP 500 with QueryInterrupted from that query (issue 26r). The
    check is asked again; if every attempt is interrupted the request fails, it is never let through."""
    import sqlite3

    from conftest import make_datasette
    from datasette.database import QueryInterrupted

    from datasette_ofsted import cache
    from datasette_ofsted.permissions import PERMISSION_ATTEMPTS, resource_permissions

    cache.clear()
    ds = make_datasette(bundled_db)
    await ds.invoke_startup()
    name = "allowed" if resource_permissions(ds) else "permission_allowed"
    check = getattr(ds, name)
    interrupted: list[str] = []
    always = [False]

    async def interrupted_at_first(*args, **kwargs):
        asked = repr((args, sorted(kwargs.items())))
        # A table's check (the one that runs SQL on 0.65), interrupted at its first asking, as a busy server's now
        # and then.
        if "view-table" in (*args, *kwargs.values()) and (always[0] or asked not in interrupted):
            interrupted.append(asked)
            raise QueryInterrupted(sqlite3.OperationalError("interrupted"), "select name from sqlite_master", [])
        return await check(*args, **kwargs)

    monkeypatch.setattr(ds, name, interrupted_at_first)
    for path in ("/-/ofsted/sutton.json", "/-/ofsted/sutton", "/-/ofsted.json"):
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
    assert len(interrupted) > 3

    always[0] = True  # every check interrupted: the page is refused (an error), never shown
    interrupted.clear()
    response = await ds.client.get("/-/ofsted/sutton.json")
    assert response.status_code == 500 and len(interrupted) % PERMISSION_ATTEMPTS == 0
