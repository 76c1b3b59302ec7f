"""Every page of the plugin, in every format, answers to Datasette's permissions first."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import METADATA
from datasette.app import Datasette

# Every route and format the plugin serves, with a request that would answer 200 when allowed.
ROUTES = [
    "/-/ofsted",
    "/-/ofsted.json",
    "/-/ofsted.csv",
    "/-/ofsted/sutton",
    "/-/ofsted/sutton.json",
    "/-/ofsted/sutton.csv",
    "/-/ofsted/national",
    "/-/ofsted/national.json",
    "/-/ofsted/national.csv",
    "/-/ofsted/search.json?q=return+home+interviews",
    "/-/ofsted/search.csv?q=return+home+interviews",
    "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26",
    "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26.json",
    "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26.csv",
    "/-/ofsted/compare?from=sutton-2013-05-13&to=sutton-2018-06-26",
    "/-/ofsted/search?q=return+home+interviews",
]


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
