"""/-/ofsted/compare/<from>...<to>: the page, its JSON contract and its CSV."""

import csv
import io

import pytest

SUTTON = "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26"


@pytest.mark.asyncio
async def test_json_contract(ds):
    response = await ds.client.get(SUTTON + ".json")
    assert response.status_code == 200
    data = response.json()
    assert data["from"]["id"] == "sutton-2013-05-13" and data["to"]["id"] == "sutton-2018-06-26"
    assert set(data["counts"]) == {"recurring", "resolved", "not_revisited", "new"}
    assert sum(data["counts"].values()) == len(data["rows"])
    for row in data["rows"]:
        assert row["status"] in data["counts"]
        assert 0.0 <= row["score"] <= 1.0
        assert isinstance(row["themes"], list)
        for finding in row["from"] + row["to"]:
            assert {"id", "kind", "polarity", "text", "section"} <= set(finding)
        evidence = [f for f in row["from"] + row["to"] if f["role"] == "evidence"]
        assert len([f for f in row["from"] if f["role"] == "evidence"]) <= 4
        assert len([f for f in row["to"] if f["role"] == "evidence"]) <= 4
        if row["status"] == "not_revisited":
            assert row["to"] == []
        assert all(f["kind"] != "improvement" for f in evidence)


@pytest.mark.asyncio
async def test_every_improvement_in_exactly_one_row(ds):
    data = (await ds.client.get(SUTTON + ".json")).json()
    seen = [f["id"] for row in data["rows"] for f in row["from"] + row["to"] if f["role"] == "improvement"]
    assert len(seen) == len(set(seen))
    improvements = (
        await ds.client.get(
            "/ofsted/findings.json?_shape=array&kind=improvement&about=authority&_size=max"
            "&inspection_id__in=sutton-2013-05-13,sutton-2018-06-26&document_id__not=sutton-2013-05-13-summary-for-children"
        )
    ).json()
    assert sorted(seen) == sorted(f["id"] for f in improvements)


@pytest.mark.asyncio
async def test_page_shows_badges_and_highlights(ds):
    response = await ds.client.get(SUTTON)
    assert response.status_code == 200
    html = response.text
    assert 'class="badge badge-recurring"' in html and ">Recurring<" in html
    assert "<mark>" in html
    assert 'href="/-/ofsted/sutton"' in html
    assert f'href="{SUTTON}.json"' in html and f'href="{SUTTON}.csv"' in html
    assert 'href="/ofsted/findings/sutton-2013-05-13-report-' in html
    assert "p. " in html


@pytest.mark.asyncio
async def test_status_filter_is_in_the_url(ds):
    everything = (await ds.client.get(SUTTON + ".json")).json()
    data = (await ds.client.get(SUTTON + ".json?status=recurring")).json()
    assert data["rows"] and {r["status"] for r in data["rows"]} == {"recurring"}
    assert len(data["rows"]) == everything["counts"]["recurring"]
    html = (await ds.client.get(SUTTON + "?status=recurring")).text
    assert 'badge-new" title' not in html
    theme = data["rows"][0]["themes"][0]
    themed = (await ds.client.get(SUTTON + f".json?theme={theme}")).json()
    assert themed["rows"] and all(theme in r["themes"] for r in themed["rows"])


@pytest.mark.asyncio
async def test_csv_has_one_line_per_row_finding(ds):
    response = await ds.client.get(SUTTON + ".csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(response.text)))
    data = (await ds.client.get(SUTTON + ".json")).json()
    assert len(lines) == sum(len(r["from"]) + len(r["to"]) for r in data["rows"])
    assert {line["status"] for line in lines} <= {"recurring", "resolved", "not_revisited", "new"}


@pytest.mark.asyncio
async def test_later_first_redirects_to_ordered(ds):
    response = await ds.client.get("/-/ofsted/compare/sutton-2018-06-26...sutton-2013-05-13.json?status=new")
    assert response.status_code == 302
    assert response.headers["location"] == SUTTON + ".json?status=new"


@pytest.mark.asyncio
async def test_the_pick_form_redirects(ds):
    response = await ds.client.get("/-/ofsted/compare?from=sutton-2010-03-09&to=sutton-2018-06-26")
    assert response.status_code == 302
    assert response.headers["location"] == "/-/ofsted/compare/sutton-2010-03-09...sutton-2018-06-26"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "pair,status",
    [
        ("sutton-2013-05-13...sutton-2099-01-01", 404),
        ("nothing", 404),
        ("sutton...kent", 404),
        ("sutton-2013-05-13'--...sutton-2018-06-26", 404),
        ("sutton-2013-05-13%20OR%201=1...sutton-2018-06-26", 404),
        ("..%2F..%2Fetc%2Fpasswd...sutton-2018-06-26", 404),
        ("sutton-2013-05-13...kent-2017-03-06", 400),
        ("sutton-2013-05-13...sutton-2013-05-13", 400),
        ("x" * 10000 + "...sutton-2018-06-26", 404),
    ],
)
async def test_bad_ids_answer_with_a_message(ds, pair, status):
    response = await ds.client.get(f"/-/ofsted/compare/{pair}", follow_redirects=True)
    assert response.status_code == status
    assert "inspection" in response.text.lower() or "comparison" in response.text.lower()


@pytest.mark.asyncio
async def test_bad_status_filter_is_400(ds):
    assert (await ds.client.get(SUTTON + "?status=<script>")).status_code == 400
