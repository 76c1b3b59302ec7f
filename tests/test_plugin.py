"""The plugin is installed and answers, on each Datasette line it supports."""

import importlib.metadata
import re

import datasette
import pytest
from conftest import gold_inspections
from packaging.requirements import Requirement

from datasette_ofsted import stores_queries
from datasette_ofsted.permissions import resource_permissions

# The Datasette lines the plugin supports, and the releases CI runs the whole suite on (.ci/run).
SUPPORTED_LINES = ("0.65", "1.0a")
TESTED = ("0.65.5", "1.0a41")
# Datasette 1.0a31 replaced the canned_queries hook with stored queries (datasette.add_query).
FIRST_ALPHA_WITH_STORED_QUERIES = 31


@pytest.mark.asyncio
async def test_plugin_is_listed(ds):
    response = await ds.client.get("/-/plugins.json")
    assert response.status_code == 200
    assert any(p["name"] in ("datasette-ofsted", "datasette_ofsted") for p in response.json())


def alpha_number(version: str) -> int | None:
    """31 for 1.0a31; None for a release that is not a 1.0 alpha."""
    match = re.fullmatch(r"1\.0a(\d+)", version)
    return int(match.group(1)) if match else None


def test_runs_on_a_supported_datasette():
    """0.65.x, or a 1.0 alpha; CI runs the suite on 0.65.5 and on 1.0a41."""
    version = datasette.__version__
    assert version == "0.65" or version.startswith(SUPPORTED_LINES), f"datasette {version} is not supported"


def test_the_requirement_admits_every_tested_release():
    requirement = next(
        Requirement(r) for r in importlib.metadata.requires("datasette-ofsted") if r.startswith("datasette")
    )
    for version in TESTED:
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)


@pytest.mark.asyncio
async def test_the_plugin_uses_this_datasette_s_own_api(ds):
    """Canned queries by hook or stored, permissions by cascade or by resource, chosen by what Datasette has."""
    alpha = alpha_number(datasette.__version__)
    if alpha is None:
        assert not stores_queries(ds) and not resource_permissions(ds)
    else:
        assert stores_queries(ds) == (alpha >= FIRST_ALPHA_WITH_STORED_QUERIES)
        if alpha >= FIRST_ALPHA_WITH_STORED_QUERIES:
            assert resource_permissions(ds)


@pytest.mark.asyncio
async def test_menu_link(ds):
    response = await ds.client.get("/")
    assert 'href="/-/ofsted">Ofsted inspections</a>' in response.text


@pytest.mark.asyncio
async def test_inspection_ids_link_to_timelines(ds):
    response = await ds.client.get("/ofsted/findings?inspection_id=sutton-2018-06-26")
    assert (
        '<a href="/ofsted/inspections/sutton-2018-06-26">sutton-2018-06-26</a> (<a href="/-/ofsted/sutton#sutton-2018-06-26">timeline</a>)'
        in response.text
    )


@pytest.mark.asyncio
async def test_compare_action_on_the_inspections_table(ds):
    response = await ds.client.get("/ofsted/inspections?authority_id=sutton")
    previous, latest = gold_inspections("sutton")[-2:]  # the last two of Sutton's six
    assert f"/-/ofsted/compare/{previous}...{latest}" in response.text
    assert "Compare with the previous inspection" in response.text


@pytest.mark.asyncio
async def test_links_respect_base_url(bundled_db):
    from conftest import make_datasette

    ds = make_datasette(bundled_db)
    ds._settings["base_url"] = "/prefix/"
    html = (await ds.client.get("/-/ofsted/sutton")).text
    assert 'href="/prefix/-/ofsted/compare/sutton-2013-05-13...sutton-2016-11-14"' in html
    assert 'href="/prefix/ofsted/findings_of_theme?' in html
    assert 'action="/prefix/-/ofsted/compare"' in html
    compare = (await ds.client.get("/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26")).text
    assert 'href="/prefix/ofsted/findings/sutton-2013-05-13-report-' in compare
    assert 'href="/prefix/-/ofsted/sutton"' in compare
    redirect = await ds.client.get("/-/ofsted/compare/sutton-2018-06-26...sutton-2013-05-13")
    assert redirect.headers["location"].startswith("/prefix/-/ofsted/compare/")


def test_rich_is_not_a_dependency_of_the_server():
    """With rich importable, Datasette pretty-prints every exception with its locals: some 404s become
    500s and each error response writes 14-28 KB of traceback. ofsted-ingest's bar is click's (tests/test_cli.py)."""
    for requirement in map(Requirement, importlib.metadata.requires("datasette-ofsted")):
        if requirement.name == "rich":
            assert requirement.marker is not None and "extra" in str(requirement.marker), requirement


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path, status",
    [
        ("/-/ofsted/no-such-authority", 404),
        ("/-/ofsted/compare/sutton-2013-05-13...nowhere-2020-01-01", 404),
        ("/ofsted/no_such_table", 404),
    ],
)
async def test_error_responses_stay_quiet(ds, capfd, path, status):
    """An error answers with its own status and writes nothing to the server's terminal."""
    capfd.readouterr()
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.status_code)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and len(out + err) < 500, (path, len(out), len(err))
