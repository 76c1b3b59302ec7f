"""/-/ofsted/national: the themes raised again most across England, by region and year, with where they recurred."""

from contextlib import closing
from urllib.parse import parse_qs, urlsplit

import pytest
from test_reviews import (  # noqa: F401 (sutton_db and reviews_db are fixtures)
    comparison,
    improvement,
    post_review,
    reviews_db,
    serve,
    signed_in,
    sutton_db,
)


@pytest.mark.asyncio
async def test_national_json_lists_recurring_themes(ds):
    response = await ds.client.get("/-/ofsted/national.json")
    assert response.status_code == 200
    themes = response.json()["themes"]
    assert len(themes) >= 5
    sizes = [(len(t["authorities"]), t["recurring_rows"]) for t in themes]
    assert sizes == sorted(sizes, reverse=True)
    assert not any(t["id"].startswith("nf-") for t in themes)
    for theme in themes:
        assert sum(theme["by_region"].values()) == theme["recurring_rows"] == sum(theme["by_year"].values())


@pytest.mark.asyncio
async def test_each_place_a_theme_recurred_links_to_its_findings(ds):
    themes = (await ds.client.get("/-/ofsted/national.json")).json()["themes"]
    theme = themes[0]
    authority = theme["authorities"][0]
    pair = authority["pairs"][0]
    query = parse_qs(urlsplit(pair["url"]).query)
    assert query == {"status": ["recurring"], "theme": [theme["id"]]}
    compared = (await ds.client.get(pair["url"].replace("?", ".json?"))).json()
    assert compared["rows"] and all(theme["id"] in r["themes"] and r["status"] == "recurring" for r in compared["rows"])
    assert compared["from"]["authority_id"] == authority["id"]


@pytest.mark.asyncio
async def test_authorities_where_a_theme_recurred_in_consecutive_inspections(ds):
    themes = (await ds.client.get("/-/ofsted/national.json")).json()["themes"]
    repeated = [(t["id"], a) for t in themes for a in t["authorities"] if a["consecutive_pairs"] > 1]
    assert repeated  # Birmingham and Manchester have four inspections each
    for _theme_id, authority in repeated:
        pairs = sorted(authority["pairs"], key=lambda p: p["from"])
        assert any(a["to"] == b["from"] for a, b in zip(pairs, pairs[1:]))  # a chain, not two separate pairs
    authority = repeated[0][1]
    html = (await ds.client.get("/-/ofsted/national")).text
    assert f'title="raised in {authority["consecutive_pairs"] + 1} inspections running"' in html


def test_pairs_with_a_gap_do_not_count_as_running():
    from datasette_ofsted.views.national import longest_run

    kent = [{"from": "kent-2013-07-15", "to": "kent-2017-03-06"}, {"from": "kent-2022-05-09", "to": "kent-2025-11-03"}]
    assert longest_run(kent) == 1
    chained = [
        {"from": "b-2014", "to": "b-2016"},
        {"from": "b-2016", "to": "b-2018"},
        {"from": "b-2018", "to": "b-2023"},
    ]
    assert longest_run(chained) == 3 and longest_run(chained[:1] + chained[2:]) == 1


@pytest.mark.asyncio
async def test_national_filters_by_region_and_year(ds):
    everything = (await ds.client.get("/-/ofsted/national.json")).json()["themes"]
    north_west = (await ds.client.get("/-/ofsted/national.json?region=North+West")).json()["themes"]
    assert north_west and all(set(t["by_region"]) == {"North West"} for t in north_west)
    assert sum(t["recurring_rows"] for t in north_west) < sum(t["recurring_rows"] for t in everything)
    year = next(iter(everything[0]["by_year"]))
    of_year = (await ds.client.get(f"/-/ofsted/national.json?year={year}")).json()["themes"]
    assert of_year and all(set(t["by_year"]) == {year} for t in of_year)
    html = (await ds.client.get("/-/ofsted/national")).text
    assert "What Ofsted raises again across England" in html and 'href="?region=North%20West' in html
    assert (await ds.client.get("/-/ofsted/national?year=abcd")).status_code == 400


@pytest.mark.asyncio
async def test_index_links_to_the_national_view(ds):
    assert 'href="/-/ofsted/national"' in (await ds.client.get("/-/ofsted")).text


async def _compare_counts(ds, themes: list[dict]) -> dict[str, int]:
    """Recurring rows on each theme as the compare pages count them, over every pair the national view names."""
    pairs = {(p["from"], p["to"]) for t in themes for a in t["authorities"] for p in a["pairs"]}
    counts: dict[str, int] = {}
    for earlier, later in sorted(pairs):
        rows = (await ds.client.get(f"/-/ofsted/compare/{earlier}...{later}.json?status=recurring")).json()["rows"]
        for row in rows:
            for theme in row["themes"]:
                counts[theme] = counts.get(theme, 0) + 1
    return counts


@pytest.mark.asyncio
async def test_national_counts_equal_the_compare_pages(ds):
    """One definition of a comparison: each theme's recurring rows are those the compare pages show."""
    themes = (await ds.client.get("/-/ofsted/national.json")).json()["themes"]
    counts = await _compare_counts(ds, themes)
    assert {t["id"]: t["recurring_rows"] for t in themes} == {
        k: v for k, v in counts.items() if not k.startswith("nf-")
    }


@pytest.mark.asyncio
async def test_out_of_date_stored_comparisons_are_served_as_stored_and_none_compared(bundled_copy, monkeypatch):
    """Stored comparisons made by another engine are served as stored, marked as being updated: comparing the whole
    archive in one request took 30 s and 300 MB (issue 26); ofsted-ingest brings them up to date."""
    import sqlite3

    from conftest import make_datasette

    from datasette_ofsted import comparisons

    path = bundled_copy()
    before = (await make_datasette(path).client.get("/-/ofsted/national.json")).json()["themes"]
    with closing(sqlite3.connect(path)) as conn, conn:
        stale = conn.execute("update comparisons set engine_version = 'an-older-engine'").rowcount
        dropped = conn.execute("delete from comparison_rows where status = 'recurring' and row_number % 2 = 0").rowcount
    assert stale > 0 and dropped > 0

    def never(*_args):
        raise AssertionError("a page of many pairs compared one")

    monkeypatch.setattr(comparisons, "compare_inspections", never)
    ds = make_datasette(path)
    data = (await ds.client.get("/-/ofsted/national.json")).json()
    assert data["being_updated"]["pairs"] == stale and "ofsted-ingest" in data["being_updated"]["message"]
    # What is stored (what the older engine said), not a recomputation: the dropped rows are not counted.
    assert sum(t["recurring_rows"] for t in data["themes"]) < sum(t["recurring_rows"] for t in before)
    assert "Being updated" in (await ds.client.get("/-/ofsted/national")).text


@pytest.mark.asyncio
@pytest.mark.parametrize("stored", ["current", "out of date"])
async def test_a_reviewer_s_call_counts_nationally_as_on_the_compare_page(sutton_db, reviews_db, tmp_path, stored):  # noqa: F811
    """A recurring row a reviewer calls resolved leaves the national counts, as it leaves the compare page's: read
    from the stored comparisons, or (when another engine made them) from pairs compared live."""
    import shutil
    import sqlite3

    path = tmp_path / "ofsted.db"
    shutil.copy(sutton_db, path)
    if stored == "out of date":
        with closing(sqlite3.connect(path)) as conn, conn:
            assert conn.execute("update comparisons set engine_version = 'an-older-engine'").rowcount > 0
    ds = await serve(path, reviews_db)
    before = {t["id"]: t["recurring_rows"] for t in (await ds.client.get("/-/ofsted/national.json")).json()["themes"]}
    finding = improvement(await comparison(ds), "recurring")
    cookies, headers = await signed_in(ds, "alice")
    response = await post_review(ds, cookies, headers, finding["id"], "resolved", "The 2018 letter praises it")
    assert response.status_code == 200, response.text
    themes = (await ds.client.get("/-/ofsted/national.json")).json()["themes"]
    after = {t["id"]: t["recurring_rows"] for t in themes}
    assert sum(after.values()) < sum(before.values())
    assert after == {k: v for k, v in (await _compare_counts(ds, themes)).items() if not k.startswith("nf-")}
