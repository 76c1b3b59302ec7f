"""The route registry (datasette_ofsted/routes.py) is what Datasette serves, and each route answers as it says."""

from __future__ import annotations

import re

import pytest
import pytest_asyncio
import yaml
from conftest import METADATA
from datasette.app import Datasette

from datasette_ofsted import register_routes
from datasette_ofsted.routes import INSTANCE, PERMISSIONS, READ_REVIEWS, REVIEW, ROUTES, VIEW


def test_datasette_is_given_the_registry_whole_and_in_order():
    assert [pattern for pattern, _view in register_routes()] == [route.pattern for route in ROUTES]
    assert len({route.name for route in ROUTES}) == len(ROUTES)
    for route in ROUTES:
        assert route.permission in PERMISSIONS and route.handler() is not None
        for path in route.examples():  # each example is served by its own route, not an earlier one
            first = next(r for r in ROUTES if re.match(r.pattern, path.split("?")[0]))
            assert first is route, (path, first.name)


@pytest_asyncio.fixture
async def served(bundled_db):
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    datasette = Datasette(
        [str(bundled_db.parent / "ofsted_reviews.db")], immutables=[str(bundled_db)], metadata=metadata
    )
    await datasette.invoke_startup()
    return datasette


@pytest.mark.asyncio
async def test_every_route_answers_an_anonymous_visitor_as_the_registry_says(served):
    for route in ROUTES:
        for path in route.examples():
            response = await served.client.request(route.method, path)
            expected = {INSTANCE: route.status, VIEW: route.status, READ_REVIEWS: 403, REVIEW: 403}[route.permission]
            assert response.status_code == expected, (path, response.status_code)
            if route.content == "pdf":
                assert response.headers["content-type"] == "application/pdf" and response.content[:5] == b"%PDF-"


@pytest.mark.asyncio
async def test_about_url_opens_the_readme(served):
    about_url = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["about_url"]
    response = await served.client.get(about_url)
    assert response.status_code == 200 and "What did Ofsted raise last time that it raises again" in response.text
    assert f'href="{about_url}"' in (await served.client.get("/")).text  # Datasette's footer links it


@pytest.mark.asyncio
async def test_evidence_links_use_the_ofsted_url_when_the_manifest_gives_one(served):
    """data/reports/MANIFEST.csv lists Birmingham's PDFs; Sutton's text reports have no PDF to open."""
    page = (await served.client.get("/-/ofsted/compare/birmingham-2018-12-03...birmingham-2023-02-20")).text
    links = re.findall(r'<a href="([^"]+)">p\. (\d+)</a>', page)
    assert links and all(
        re.fullmatch(r"https://files\.ofsted\.gov\.uk/v1/file/\d+#page=" + number, href) for href, number in links
    )
    sutton = (await served.client.get("/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26")).text
    assert "/-/ofsted/document/" not in sutton and re.search(r">p\. \d+<", sutton) is None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "pair",
    ["sutton-2013-05-13", "sutton-2013-05-13...Sutton-2018", "sutton-2013-05-13...sutton-2018-06-26...x"],
)
async def test_every_route_of_a_pair_reads_it_one_way(served, pair):
    """Each route that names a pair reads it through pairs.Pair (views/common.pair_in_url): a malformed one is not
    found, and the page says what a pair looks like."""
    from datasette_ofsted.routes import EXAMPLE_PAIR

    checked = 0
    for route in ROUTES:
        if "(?P<pair>" not in route.pattern or route.method != "GET":
            continue
        for path in route.examples():
            response = await served.client.get(path.replace(EXAMPLE_PAIR, pair))
            assert response.status_code == 404, (path, response.status_code)
            assert "inspection" in response.text, path
            checked += 1
    assert checked >= 4  # the comparison in each format, its review history, the gold export
