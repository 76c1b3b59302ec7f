"""/-/ofsted: every authority with its inspections."""

import pytest


@pytest.mark.asyncio
async def test_index_lists_authorities(ds):
    response = await ds.client.get("/-/ofsted")
    assert response.status_code == 200
    html = response.text
    for name, href in [
        ("Sutton", "/-/ofsted/sutton"),
        ("Birmingham", "/-/ofsted/birmingham"),
        ("Kent", "/-/ofsted/kent"),
        ("Manchester", "/-/ofsted/manchester"),
        ("Southwark", "/-/ofsted/southwark"),
        ("Liverpool", "/-/ofsted/liverpool"),
    ]:
        assert f'<a href="{href}">{name}</a>' in html
    assert 'action="/-/ofsted/search"' in html
    assert "Open Government Licence" in html


@pytest.mark.asyncio
async def test_index_shows_latest_inspection(ds):
    html = (await ds.client.get("/-/ofsted")).text
    row = html[html.index('<a href="/-/ofsted/birmingham">') :]
    row = row[: row.index("</tr>")]
    assert "2023-02-20" in row and "ILACS standard" in row and "good" in row


@pytest.mark.asyncio
async def test_index_json_lists_every_authority_with_its_id(ds):
    response = await ds.client.get("/-/ofsted.json")
    assert response.status_code == 200
    data = response.json()
    ids = [a["id"] for a in data["authorities"]]
    assert {"sutton", "birmingham", "manchester", "kent"} <= set(ids)
    assert ids == sorted(ids, key=lambda i: next(a["name"].lower() for a in data["authorities"] if a["id"] == i))
    birmingham = next(a for a in data["authorities"] if a["id"] == "birmingham")
    assert birmingham["latest"]["start_date"] == "2023-02-20" and birmingham["inspections"] == 4
    assert birmingham["url"] == "/-/ofsted/birmingham"
    assert data["totals"]["inspections"] > 30


@pytest.mark.asyncio
async def test_index_filters_by_region_grade_and_year(ds):
    london = (await ds.client.get("/-/ofsted.json?region=London")).json()["authorities"]
    assert london and all(a["region"] == "London" for a in london)
    assert {"sutton", "southwark"} <= {a["id"] for a in london} and "manchester" not in {a["id"] for a in london}
    good = (await ds.client.get("/-/ofsted.json?grade=good")).json()["authorities"]
    assert good and all(a["latest"]["overall_grade"] == "good" for a in good)
    ungraded = (await ds.client.get("/-/ofsted.json?grade=none")).json()["authorities"]
    assert ungraded and all(a["latest"]["overall_grade"] is None for a in ungraded)
    in_2017 = (await ds.client.get("/-/ofsted.json?year=2017")).json()["authorities"]
    assert {"manchester", "kent", "derby"} <= {a["id"] for a in in_2017}
    assert all("2017" in a["years"] for a in in_2017)
    html = (await ds.client.get("/-/ofsted?region=London")).text
    assert '<a href="/-/ofsted/sutton">Sutton</a>' in html and '<a href="/-/ofsted/manchester">' not in html
    assert "<option selected>London</option>" in html


@pytest.mark.asyncio
async def test_index_sorts_by_any_column(ds):
    by_grade = (await ds.client.get("/-/ofsted.json?sort=-grade")).json()["authorities"]
    ranks = {"outstanding": 4, "good": 3, "requires improvement": 2, "adequate": 2, "inadequate": 1}
    values = [ranks.get(a["latest"]["overall_grade"] or "", 0) for a in by_grade]
    assert values == sorted(values, reverse=True) and values[0] == 4
    by_count = (await ds.client.get("/-/ofsted.json?sort=-inspections")).json()["authorities"]
    assert [a["inspections"] for a in by_count] == sorted((a["inspections"] for a in by_count), reverse=True)
    by_latest = (await ds.client.get("/-/ofsted.json?sort=latest")).json()["authorities"]
    assert [a["latest"]["start_date"] for a in by_latest] == sorted(a["latest"]["start_date"] for a in by_latest)
    html = (await ds.client.get("/-/ofsted?sort=-grade")).text
    assert 'aria-sort="descending"' in html and 'href="?sort=grade"' in html
    assert (await ds.client.get("/-/ofsted?sort=evil")).status_code == 400


@pytest.mark.asyncio
async def test_index_uses_the_plugin_stylesheet_and_datasette_forms(ds):
    html = (await ds.client.get("/-/ofsted")).text
    assert '<link rel="stylesheet" href="/-/static-plugins/datasette-ofsted/ofsted.css">' in html
    assert "<style>" not in html
    assert '<form action="/-/ofsted/search" method="get" role="search" class="core' in html
    css = await ds.client.get("/-/static-plugins/datasette-ofsted/ofsted.css")
    assert css.status_code == 200
    assert ".ofsted td, .ofsted th { white-space: normal; }" in css.text  # Datasette's pre-wrap kept out
    assert ".ofsted .table-wrap { overflow-x: auto;" in css.text


@pytest.mark.asyncio
async def test_the_index_lists_only_authorities_with_inspections(ds, bundled_db):
    """`authorities` holds every English authority (their neighbours are named); the index those inspected here."""
    import sqlite3

    with sqlite3.connect(bundled_db) as conn:
        every = conn.execute("select count(*) from authorities").fetchone()[0]
        inspected = {r[0] for r in conn.execute("select distinct authority_id from inspections")}
    listed = {a["id"] for a in (await ds.client.get("/-/ofsted.json")).json()["authorities"]}
    assert every > 140 and listed == inspected
    search = (await ds.client.get("/-/ofsted/search")).text
    assert 'value="hartlepool"' not in search and 'value="sutton"' in search
