"""/-/ofsted/<authority>: the timeline, the grade chart, comparisons and threads."""

import pytest


@pytest.mark.asyncio
async def test_sutton_timeline(ds):
    response = await ds.client.get("/-/ofsted/sutton")
    assert response.status_code == 200
    html = response.text
    for inspection in ["sutton-2010-03-09", "sutton-2013-05-13", "sutton-2018-06-26"]:
        assert f'id="{inspection}"' in html
    assert "Wendy Ghaffar" in html and "Caroline Walsh" in html
    assert '/-/ofsted/compare/sutton-2010-03-09...sutton-2013-05-13"' in html
    assert '/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26"' in html
    assert '<svg class="grade-chart"' in html
    assert 'action="/-/ofsted/compare"' in html


@pytest.mark.asyncio
async def test_threads_run_through_three_inspections(ds):
    html = (await ds.client.get("/-/ofsted/birmingham")).text
    assert "Threads: concerns raised in more than one inspection" in html
    assert "/ofsted/findings_of_theme?inspection=birmingham-2014-03-18&amp;theme=" in html
    html = (await ds.client.get("/-/ofsted/sutton")).text
    threads = html[html.index("Threads:") : html.index("<h2>Inspections</h2>")]
    assert "Missing children and return home interviews" in threads


@pytest.mark.asyncio
async def test_documents_link_their_sources(ds):
    html = (await ds.client.get("/-/ofsted/kent")).text
    assert 'href="https://files.ofsted.gov.uk/v1/file/50294428"' in html


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path", ["/-/ofsted/nowhere", "/-/ofsted/..%2F..%2Fetc", "/-/ofsted/sutton'%20or%201=1", "/-/ofsted/" + "a" * 5000]
)
async def test_unknown_authority_is_404(ds, path):
    response = await ds.client.get(path, follow_redirects=True)  # Datasette first tilde-encodes %2F
    assert response.status_code == 404


@pytest.mark.asyncio
async def test_timeline_json(ds):
    response = await ds.client.get("/-/ofsted/sutton.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["authority"]["id"] == "sutton"
    assert [i["id"] for i in data["inspections"]] == ["sutton-2010-03-09", "sutton-2013-05-13", "sutton-2018-06-26"]
    assert [(p["from"], p["to"]) for p in data["pairs"]] == [
        ("sutton-2010-03-09", "sutton-2013-05-13"),
        ("sutton-2013-05-13", "sutton-2018-06-26"),
    ]
    for pair in data["pairs"]:
        assert set(pair["counts"]) == {"recurring", "resolved", "not_revisited", "new"}
    missing = next(t for t in data["threads"] if t["id"] == "missing-children")
    assert [c["inspection_id"] for c in missing["cells"]] == [i["id"] for i in data["inspections"]]
    assert (await ds.client.get("/-/ofsted/nowhere.json")).status_code == 404
    assert (await ds.client.get("/-/ofsted/sutton.csv")).status_code == 404


@pytest.mark.asyncio
async def test_threads_follow_the_comparisons_statuses(ds):
    """A thread's cell is resolved where the comparison judged an earlier improvement on the theme resolved."""
    data = (await ds.client.get("/-/ofsted/kent.json")).json()
    states = {}
    for pair in data["pairs"]:
        compared = (await ds.client.get(f"/-/ofsted/compare/{pair['from']}...{pair['to']}.json")).json()
        for row in compared["rows"]:
            for finding in row["from"]:
                if finding["role"] == "improvement":
                    for theme in finding["themes"]:
                        states.setdefault((theme, pair["to"]), set()).add(row["status"])
    checked = 0
    for thread in data["threads"]:
        raised = False
        for cell in thread["cells"]:
            statuses = states.get((thread["id"], cell["inspection_id"]), set())
            if cell["state"] == "resolved":
                assert "resolved" in statuses and "recurring" not in statuses
                checked += 1
            elif cell["state"] == "recurring" and not raised:
                assert "recurring" in statuses
            raised = raised or cell["state"] in ("raised", "recurring")
    assert checked > 0
