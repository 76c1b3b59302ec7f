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


@pytest.mark.asyncio
async def test_authority_json_has_inspections_pairs_and_neighbours(ds):
    response = await ds.client.get("/-/ofsted/manchester.json")
    assert response.status_code == 200
    data = response.json()
    assert [i["id"] for i in data["inspections"]][:2] == ["manchester-2014-06-25", "manchester-2017-10-09"]
    assert len(data["pairs"]) == len(data["inspections"]) - 1
    pair = data["pairs"][1]
    assert pair["url"] == "/-/ofsted/compare/manchester-2017-10-09...manchester-2022-03-21"
    assert pair["counts"]["recurring"] > 0
    assert data["neighbours"]["listed"] == 10
    assert {n["id"] for n in data["neighbours"]["held"]} >= {"birmingham", "nottingham"}
    assert (await ds.client.get("/-/ofsted/nowhere.json")).status_code == 404


@pytest.mark.asyncio
async def test_neighbours_share_an_issue_with_links_to_their_comparisons(ds):
    data = (await ds.client.get("/-/ofsted/birmingham.json")).json()
    themes = data["neighbours"]["themes"]
    assert themes and data["neighbours"]["latest_inspection_id"] == "birmingham-2023-02-20"
    held = {n["id"] for n in data["neighbours"]["held"]}
    for theme in themes:
        assert {n["id"] for n in theme["sharing"]} | {n["id"] for n in theme["not_sharing"]} == held
    sharing = [n for t in themes for n in t["sharing"]]
    assert {"manchester", "nottingham"} <= {n["id"] for n in sharing}
    # Every link opens a comparison holding the neighbour's inspection that asked for the same, filtered to the
    # theme: with the inspection before it, or, for its first inspection here, with the one after.
    for theme in themes:
        for neighbour in theme["sharing"]:
            assert "/compare/" in neighbour["url"], neighbour
            response = await ds.client.get(neighbour["url"].replace("?", ".json?"))
            assert response.status_code == 200
            compared = response.json()
            side = "to" if compared["to"]["id"] == neighbour["inspection_id"] else "from"
            assert compared[side]["id"] == neighbour["inspection_id"]
            assert any(
                f["role"] == "improvement" and theme["id"] in f["themes"] for row in compared["rows"] for f in row[side]
            ), (theme["id"], neighbour)
    html = (await ds.client.get("/-/ofsted/birmingham")).text
    assert "Do my neighbours share this issue?" in html
    assert f'<a href="{neighbour["url"].replace("&", "&amp;")}">{neighbour["name"]}</a>' in html


@pytest.mark.asyncio
async def test_ungraded_inspections_are_not_drawn_on_the_grade_scale(ds):
    html = (await ds.client.get("/-/ofsted/sutton")).text
    start = html.index('<svg class="grade-chart"')
    chart = html[start : html.index("</svg>", start)]
    # 2010 and 2018 have no overall grade: a dashed line and "no grade", no point below Inadequate.
    assert chart.count('class="ungraded"') == 2 and chart.count("no grade</text>") == 2
    assert chart.count("<circle") == 1  # 2013's adequate only
    inadequate_y = float(chart.split(">Inadequate<")[0].rsplit('y="', 1)[1].split('"')[0]) - 4
    for circle in chart.split("<circle")[1:]:
        assert float(circle.split('cy="')[1].split('"')[0]) <= inadequate_y


@pytest.mark.asyncio
async def test_documents_are_links_to_their_source(ds):
    html = (await ds.client.get("/-/ofsted/kent")).text
    assert '<a class="source" href="https://files.ofsted.gov.uk/v1/file/50294428">' in html


@pytest.mark.asyncio
async def test_every_neighbour_is_named_and_those_not_inspected_here_said_plainly(ds, bundled_db):
    """la_lookup.csv lists ten neighbours for Sutton; most have no inspection in the bundled reports."""
    import sqlite3

    from ingest.reference import authorities

    data = (await ds.client.get("/-/ofsted/sutton.json")).json()["neighbours"]
    codes = [c.strip() for c in authorities()["sutton"].statistical_neighbours.split(",")]
    by_code = {a.la_code: a.id for a in authorities().values()}
    assert [n["id"] for n in data["neighbours"]] == [by_code[c] for c in codes]  # all ten, closest first
    with sqlite3.connect(bundled_db) as conn:
        inspected = {r[0] for r in conn.execute("select distinct authority_id from inspections")}
    assert {n["id"] for n in data["not_inspected"]} == {by_code[c] for c in codes} - inspected
    assert data["not_inspected"] and {n["id"] for n in data["held"]} == {by_code[c] for c in codes} & inspected
    html = (await ds.client.get("/-/ofsted/sutton")).text
    section = html[html.index("Do my neighbours share this issue?") : html.index("<h2>Inspections</h2>")]
    assert f"No inspection of {len(data['not_inspected'])} of them is in this database" in section
    for neighbour in data["neighbours"]:
        assert neighbour["name"] in section
    # A neighbour with no inspection is named, never linked to a timeline that would be empty.
    missing = data["not_inspected"][0]
    assert f'href="/-/ofsted/{missing["id"]}"' not in section
    assert (await ds.client.get(f"/-/ofsted/{missing['id']}.json")).status_code == 404


def test_a_database_made_before_every_authority_was_loaded_gets_them(bundled_copy):
    """The migration m003_every_authority brings an existing database the authorities it never inspected."""
    import sqlite3

    from ingest.load import open_database
    from ingest.reference import authorities

    path = bundled_copy()
    with sqlite3.connect(path) as conn:
        conn.execute("delete from authorities where id not in (select authority_id from inspections)")
        # a database made before m003: neither it nor any later migration recorded
        conn.execute(
            "delete from _sqlite_migrations where id >= (select id from _sqlite_migrations where name = 'm003_every_authority')"
        )
        before = conn.execute("select count(*) from authorities").fetchone()[0]
    assert before <= 25  # the bundled reports inspect 20 authorities; la_lookup.csv lists 156
    db = open_database(str(path))
    held = {r["id"]: r for r in db["authorities"].rows}
    assert set(held) == set(authorities())
    hartlepool = held["hartlepool"]
    assert hartlepool["la_code"] == "805" and hartlepool["region"] == "North East"
    assert len(hartlepool["statistical_neighbours"].split(",")) == 10
