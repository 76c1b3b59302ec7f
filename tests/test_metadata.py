"""metadata.yml: titles, licence, descriptions, facets, canned queries and their charts."""

import csv
import io

import pytest
import yaml
from conftest import METADATA

META = yaml.safe_load(METADATA.read_text())
QUERIES = META["databases"]["ofsted"]["queries"]
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
    rows = data.json()
    assert rows, f"{name} returned no rows on the bundled data"
    if "fragment" in QUERIES[name]:
        assert len(rows) >= 2, f"a chart needs at least two rows: {name}"
    text = (await ds.client.get(f"/ofsted/{name}.csv", params=params)).text
    assert len(list(csv.reader(io.StringIO(text)))) == len(rows) + 1


@pytest.mark.asyncio
async def test_datasette_vega_is_installed(ds):
    plugins = (await ds.client.get("/-/plugins.json")).json()
    assert any(p["name"] == "datasette-vega" for p in plugins)


@pytest.mark.asyncio
async def test_facets_and_search_on_findings(ds):
    data = (await ds.client.get("/ofsted/findings.json?_search=supervision&_facet=kind")).json()
    assert data["filtered_table_rows_count"] > 10
    assert {f["value"] for f in data["facet_results"]["kind"]["results"]} >= {"improvement", "finding"}
