"""metadata.yml (titles, licence, descriptions, facets) and the plugin's canned queries with their charts."""

import csv
import io

import pytest
import yaml
from conftest import METADATA, TABLE_EXTRAS, json_count, json_facets, json_rows

from datasette_ofsted import canned_queries_definitions
from datasette_ofsted.views.query_charts import QUERY_CHARTS

META = yaml.safe_load(METADATA.read_text())
QUERIES = canned_queries_definitions()
EXAMPLES = {
    "improvements_of_authority": {"authority": "sutton"},
    "what_recurs": {"authority": "sutton"},
    "status_counts": {"authority": "birmingham"},
    "theme_history": {"authority": "sutton", "theme": "missing-children"},
    "findings_of_theme": {"inspection": "sutton-2013-05-13", "theme": "missing-children"},
    "grades_over_time": {"authority": "birmingham"},
    "recurring_themes": {},
    "search_findings": {"q": "return home interviews"},
}


def test_licence_source_and_descriptions():
    assert "Open Government Licence" in META["license"] and META["license_url"].startswith(
        "https://www.nationalarchives.gov.uk"
    )
    assert META["source"].startswith("Ofsted")
    tables = META["databases"]["ofsted"]["tables"]
    for table in [
        "authorities",
        "inspections",
        "documents",
        "judgements",
        "findings",
        "themes",
        "finding_themes",
        "issue_links",
    ]:
        assert tables[table]["description"]
    assert {"kind", "polarity", "section"} <= set(tables["findings"]["facets"])
    assert {"authority_id", "inspection_type", "year"} <= set(tables["inspections"]["facets"])
    assert {"area", "grade"} <= set(tables["judgements"]["facets"])


def test_the_plugin_serves_the_queries_not_metadata():
    """Datasette 1.0a drops a metadata `queries:` block; the plugin's queries.yml serves both lines."""
    assert "queries" not in META["databases"]["ofsted"]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/", "/ofsted", "/ofsted/findings", "/ofsted/inspections?authority_id=sutton"])
async def test_attribution_on_every_datasette_page(ds, path):
    """The Open Government Licence asks for attribution; Datasette 1.0 no longer passes the instance's
    licence down to database and table pages, so metadata.yml repeats it at each level."""
    html = (await ds.client.get(path)).text
    assert "Open Government Licence v3.0" in html and 'href="https://reports.ofsted.gov.uk/"' in html, path


def test_every_table_repeats_the_attribution():
    for name, table in [("ofsted", META["databases"]["ofsted"]), *META["databases"]["ofsted"]["tables"].items()]:
        for key in ("license", "license_url", "source", "source_url"):
            assert table[key] == META[key], (name, key)


def test_canned_queries_are_described():
    assert len(QUERIES) >= 5
    assert sum(1 for q in QUERIES.values() if ":" in q["sql"]) >= 2
    for name, query in QUERIES.items():
        assert query["title"] and query["description"], name
    assert set(EXAMPLES) == set(QUERIES)


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_canned_query_answers(ds, name):
    params = EXAMPLES[name]
    html = await ds.client.get(f"/ofsted/{name}", params=params)
    assert html.status_code == 200
    data = await ds.client.get(f"/ofsted/{name}.json", params={**params, "_shape": "array"})
    assert data.status_code == 200
    rows = json_rows(data.json())
    assert rows, f"{name} returned no rows on the bundled data"
    if name in QUERY_CHARTS:
        assert len(rows) >= 2, f"a chart needs at least two rows: {name}"
    text = (await ds.client.get(f"/ofsted/{name}.csv", params=params)).text
    assert len(list(csv.reader(io.StringIO(text)))) == len(rows) + 1


@pytest.mark.asyncio
async def test_datasette_vega_is_installed(ds):
    plugins = (await ds.client.get("/-/plugins.json")).json()
    assert any(p["name"] == "datasette-vega" for p in plugins)


@pytest.mark.asyncio
async def test_facets_and_search_on_findings(ds):
    data = (await ds.client.get(f"/ofsted/findings.json?_search=supervision&_facet=kind&{TABLE_EXTRAS}")).json()
    assert json_count(data) > 10
    assert {f["value"] for f in json_facets(data)["kind"]["results"]} >= {"improvement", "finding"}


@pytest.mark.asyncio
async def test_grade_names_sort_best_first(ds):
    """Ofsted's grade numbers before the names: a chart of ofsted_grade (datasette-vega's, asked for) or a sort by it
    puts outstanding first."""
    rows = json_rows((await ds.client.get("/ofsted/grades_over_time.json?authority=birmingham&_shape=array")).json())
    labels = sorted({row["ofsted_grade"] for row in rows})
    assert labels == ["2 good", "3 requires improvement", "4 inadequate"]


def test_no_canned_query_opens_datasette_vega_s_chart():
    """The plugin draws the charts of its queries on their pages (views/query_charts.py); a `fragment` would open
    datasette-vega's small canvas, in other colours, under it."""
    assert [name for name, query in QUERIES.items() if "fragment" in query] == []
    assert set(QUERY_CHARTS) <= set(QUERIES)


@pytest.mark.asyncio
async def test_recurring_themes_names_themes_as_the_themes_table_does(ds):
    """No rank before a theme's name ("01 Plans and planning"): the JSON and CSV carry the name; the rows come most
    authorities first, and the sorted chart is the national page's (datasette-vega's axis would sort by name)."""
    rows = json_rows((await ds.client.get("/ofsted/recurring_themes.json?_shape=array")).json())
    names = {
        r["id"]: r["name"]
        for r in json_rows((await ds.client.get("/ofsted/themes.json?_shape=array&_size=max")).json())
    }
    assert len(rows) >= 5 and all(row["theme"] == names[row["theme_id"]] for row in rows)
    order = [(row["authorities"], row["recurring_rows"]) for row in rows]
    assert order == sorted(order, reverse=True)


@pytest.mark.asyncio
async def test_the_database_page_lists_the_plugin_s_queries(ds):
    """0.65 lists every canned query in the database's JSON; 1.0a the first few with `queries_count`."""
    data = (await ds.client.get("/ofsted.json")).json()
    listed = {query["name"] for query in data["queries"]}
    assert listed and listed <= set(QUERIES)
    assert data.get("queries_count", len(data["queries"])) == len(QUERIES)
