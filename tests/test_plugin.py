"""The plugin is installed and answers on Datasette 0.65."""

import datasette
import pytest


@pytest.mark.asyncio
async def test_plugin_is_listed(ds):
    response = await ds.client.get("/-/plugins.json")
    assert response.status_code == 200
    assert any(p["name"] in ("datasette-ofsted", "datasette_ofsted") for p in response.json())


def test_runs_on_datasette_065():
    assert datasette.__version__.startswith("0.65")


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
    assert "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26" in response.text
    assert "Compare with the previous inspection" in response.text


@pytest.mark.asyncio
async def test_links_respect_base_url(bundled_db):
    from conftest import make_datasette

    ds = make_datasette(bundled_db)
    ds._settings["base_url"] = "/prefix/"
    html = (await ds.client.get("/-/ofsted/sutton")).text
    assert 'href="/prefix/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26"' in html
    assert 'href="/prefix/ofsted/findings_of_theme?' in html
    assert 'action="/prefix/-/ofsted/compare"' in html
    compare = (await ds.client.get("/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26")).text
    assert 'href="/prefix/ofsted/findings/sutton-2013-05-13-report-' in compare
    assert 'href="/prefix/-/ofsted/sutton"' in compare
    redirect = await ds.client.get("/-/ofsted/compare/sutton-2018-06-26...sutton-2013-05-13")
    assert redirect.headers["location"].startswith("/prefix/-/ofsted/compare/")
