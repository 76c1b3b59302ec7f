"""The pages at the archive's size (>= 150 authorities, >= 400 inspections, tests/archive.py): one number per question,
a CSV beside every JSON, the reports' attribution on every page and canned query, neighbours with their dates."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from conftest import json_rows
from test_metadata import EXAMPLES
from test_reviews import (  # noqa: F401 (sutton_db and reviews_db are fixtures)
    PAIR,
    comparison,
    improvement,
    post_review,
    reviews_db,
    serve,
    signed_in,
    sutton_db,
)

from datasette_ofsted import canned_queries_definitions
from datasette_ofsted.routes import pages
from datasette_ofsted.views.common import FORMULA_STARTS, UTF8_BOM, csv_text
from datasette_ofsted.views.query_charts import QUERY_CHARTS

REGION = "North West"


async def _national(ds, **params) -> list[dict]:
    response = await ds.client.get("/-/ofsted/national.json", params=params)
    assert response.status_code == 200, response.text
    return response.json()["themes"]


async def _canned_themes(ds, **params) -> list[dict]:
    response = await ds.client.get(
        "/ofsted/recurring_themes.json",
        params={"region": "", "framework": "", **params, "_shape": "array", "_size": "max"},
    )
    assert response.status_code == 200, response.text
    return json_rows(response.json())


@pytest.mark.asyncio
@pytest.mark.parametrize("filters", [{}, {"region": REGION}, {"framework": "ILACS"}])
async def test_national_page_canned_query_and_json_agree_on_every_theme(archive_ds, filters):
    """One number per question: authorities where a theme recurred and its recurring rows (reviewed statuses), the
    same on the national page, its JSON and the recurring_themes canned query, for England, a region and a framework."""
    themes = await _national(archive_ds, **filters)
    assert len(themes) >= 10
    from_json = {t["id"]: (len(t["authorities"]), t["recurring_rows"]) for t in themes}
    from_query = {
        r["theme_id"]: (r["authorities"], r["recurring_rows"]) for r in await _canned_themes(archive_ds, **filters)
    }
    assert from_json == from_query
    html = (await archive_ds.client.get("/-/ofsted/national", params=filters)).text
    shown = re.findall(
        r'<tr id="theme-([^"]+)"><th scope="row">[^<]*</th><td class="num" data-label="Authorities">(\d+)</td>'
        r'.*?<td class="num" data-label="Recurring rows">(\d+)</td>',
        html,
        re.S,
    )
    assert len(shown) >= 10
    assert {theme: (int(a), int(n)) for theme, a, n in shown} == {t: from_json[t] for t, _, _ in shown}


@pytest.mark.asyncio
async def test_national_rates_are_authorities_over_those_compared(archive_ds):
    data = (await archive_ds.client.get("/-/ofsted/national.json", params={"region": REGION})).json()
    assert data["title"] == f"What Ofsted raises again in the {REGION}"
    compared = data["authorities_compared"]
    assert 0 < compared < 150
    for theme in data["themes"]:
        assert theme["authorities_compared"] == compared
        assert theme["rate"] == round(len(theme["authorities"]) / compared, 3)
        assert sum(y["authorities"] for y in theme["rates_by_year"].values()) >= len(theme["authorities"])
        for cell in theme["rates_by_year"].values():
            assert 0 <= cell["authorities"] <= cell["authorities_compared"]
    html = (await archive_ds.client.get("/-/ofsted/national", params={"region": REGION, "framework": "ILACS"})).text
    assert f"<h1>What Ofsted raises again in the {REGION} (ILACS inspections)</h1>" in html
    assert "across England" not in html.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert 'class="heat-map"' in html


@pytest.mark.asyncio
async def test_a_theme_s_page_lists_every_comparison_it_recurred_in(archive_ds):
    themes = await _national(archive_ds)
    main = (await archive_ds.client.get("/-/ofsted/national")).text
    assert "/-/ofsted/compare/" not in main  # the pair links are on each theme's page, not all on this one
    theme = themes[0]
    assert f'href="?theme={theme["id"]}"' in main
    page = (await archive_ds.client.get("/-/ofsted/national", params={"theme": theme["id"]})).text
    links = set(re.findall(r'href="(/-/ofsted/compare/[^"]+)"', page))
    pairs = {unescape(p["url"]) for a in theme["authorities"] for p in a["pairs"]}
    assert {unescape(link) for link in links} == pairs
    assert (await archive_ds.client.get("/-/ofsted/national?theme=no-such-theme")).status_code == 400


# Every page with a .json, and the .csv beside it: each must answer with a UTF-8 byte-order mark and no formula.
CSV_PAGES = [
    "/-/ofsted",
    "/-/ofsted?region=London&sort=-latest",
    "/-/ofsted/birmingham",
    "/-/ofsted/search?q=return+home+interviews",
    "/-/ofsted/national",
    "/-/ofsted/national?region=North+West",
    "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26",
]


def _with_format(path: str, fmt: str) -> str:
    page, _, query = path.partition("?")
    return f"{page}.{fmt}" + (f"?{query}" if query else "")


@pytest.mark.asyncio
@pytest.mark.parametrize("path", CSV_PAGES)
async def test_every_page_with_json_has_a_csv_excel_reads(archive_ds, path):
    html = (await archive_ds.client.get(path)).text
    csv_url = _with_format(path, "csv")
    assert f'href="{csv_url.replace("&", "&amp;")}"' in html, csv_url  # the page links to it
    response = await archive_ds.client.get(csv_url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="')
    assert response.content.startswith(UTF8_BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))
    assert len(rows) >= 3 and all(len(r) == len(rows[0]) for r in rows)
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
    assert "’" in response.content.decode("utf-8") or "search" not in path  # curly quotes travel as UTF-8


@pytest.mark.asyncio
async def test_csv_rows_are_the_json_rows(archive_ds):
    index = (await archive_ds.client.get("/-/ofsted.json")).json()["authorities"]
    rows = list(csv.DictReader(io.StringIO((await archive_ds.client.get("/-/ofsted.csv")).text.lstrip(UTF8_BOM))))
    assert [r["id"] for r in rows] == [a["id"] for a in index] and len(rows) >= 150
    assert rows[0]["latest_overall_grade"] == (index[0]["latest"]["overall_grade"] or "")
    timeline = (await archive_ds.client.get("/-/ofsted/birmingham.json")).json()
    rows = list(
        csv.DictReader(io.StringIO((await archive_ds.client.get("/-/ofsted/birmingham.csv")).text.lstrip(UTF8_BOM)))
    )
    assert [r["inspection_id"] for r in rows] == [i["id"] for i in timeline["inspections"]]
    for pair in timeline["pairs"]:
        line = next(r for r in rows if r["inspection_id"] == pair["to"])
        assert line["compared_with"] == pair["from"]
        assert {s: int(line[s]) for s in pair["counts"]} == pair["counts"]
    national = await _national(archive_ds)
    rows = list(
        csv.DictReader(io.StringIO((await archive_ds.client.get("/-/ofsted/national.csv")).text.lstrip(UTF8_BOM)))
    )
    totals = {
        r["theme_id"]: (int(r["authorities_recurring"]), int(r["recurring_rows"])) for r in rows if r["year"] == "all"
    }
    assert totals == {t["id"]: (len(t["authorities"]), t["recurring_rows"]) for t in national}
    search = (await archive_ds.client.get("/-/ofsted/search.json?q=supervision")).json()
    rows = list(
        csv.DictReader(
            io.StringIO((await archive_ds.client.get("/-/ofsted/search.csv?q=supervision")).text.lstrip(UTF8_BOM))
        )
    )
    assert [r["finding_id"] for r in rows] == [r["id"] for r in search["rows"]]
    assert search["total"] > len(search["rows"])


def test_csv_cells_that_look_like_formulas_are_quoted():
    text = csv_text(["a", "b"], [['=HYPERLINK("http://evil")', "+1"], ["-2", "@SUM(A1)"], ["\tx", "plain – ’"]])
    assert text.startswith(UTF8_BOM)
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[1:] == [['\'=HYPERLINK("http://evil")', "'+1"], ["'-2", "'@SUM(A1)"], ["'\tx", "plain – ’"]]


@pytest.mark.asyncio
async def test_the_compare_csv_has_the_call_its_confidence_and_evidence_stance(archive_ds):
    pair = "/-/ofsted/compare/manchester-2017-10-09...manchester-2022-03-21"
    data = (await archive_ds.client.get(pair + ".json")).json()
    rows = list(csv.DictReader(io.StringIO((await archive_ds.client.get(pair + ".csv")).text.lstrip(UTF8_BOM))))
    assert {"confidence", "needs_review", "deciding_evidence_stance", "review_note"} <= set(rows[0])
    by_row = {int(r["row"]): r for r in rows}
    for number, row in enumerate(data["rows"], 1):
        line = by_row[number]
        assert line["status"] == row["status"]
        assert line["needs_review"] == ("1" if row["needs_review"] else "0")
        assert float(line["confidence"]) == pytest.approx(row["confidence"])
        assert line["review_note"] == ""  # nobody reviewed here; the reviews tests cover the gate on notes
    stances = {r["deciding_evidence_stance"] for r in rows}
    assert "for" in stances and stances <= {"for", "against", ""}
    # Only a recurring or resolved call has evidence for or against it.
    assert all(r["deciding_evidence_stance"] == "" for r in rows if r["status"] in ("new", "not_revisited"))


# Every plugin page (a kind each), for the attribution the Open Government Licence asks for.
# Every HTML page an anonymous visitor may open, from the route registry, and a theme's own national page. (The
# review pages are the reviewers' own since reviews became private: test_review_privacy.py covers them.)
PLUGIN_PAGES = [path for _, path in pages(formats=("",))] + ["/-/ofsted/national?theme=planning"]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", PLUGIN_PAGES)
async def test_every_plugin_page_credits_the_reports(archive_ds, path):
    response = await archive_ds.client.get(path)
    assert response.status_code == 200, path
    html = response.text
    main = html[html.index('<main class="ofsted">') : html.index("</main>")]
    assert "Crown copyright" in main and "Open Government Licence" in main
    footer = html[html.index('<footer class="ft">') :]
    assert "Open Government Licence" in footer and "https://reports.ofsted.gov.uk/" in footer


@pytest.mark.asyncio
@pytest.mark.parametrize("name", sorted(canned_queries_definitions()))
async def test_every_canned_query_page_credits_the_reports(archive_ds, name):
    """On Datasette 0.65 from the canned_queries hook, on 1.0a31+ from extra_template_vars (a stored query's page
    reads only the query's metadata): the suite runs on both lines."""
    response = await archive_ds.client.get(f"/ofsted/{name}", params=EXAMPLES[name])
    assert response.status_code == 200
    footer = response.text[response.text.index('<footer class="ft">') :]
    assert "Open Government Licence v3.0 (reports, Crown copyright)" in footer
    assert "https://reports.ofsted.gov.uk/" in footer
    assert canned_queries_definitions()[name]["title"] in response.text
    # The plugin's stylesheet keeps the SQL block in the screen's width.
    assert "/-/static-plugins/datasette-ofsted/ofsted.css" in response.text


@pytest.mark.asyncio
async def test_neighbours_name_the_years_they_raised_a_theme_recent_first(archive_ds):
    data = (await archive_ds.client.get("/-/ofsted/birmingham.json")).json()["neighbours"]
    previous = data["previous_inspection_date"]
    assert previous == "2018-12-03"
    sharing = [n for t in data["themes"] for n in t["sharing"]]
    assert len(sharing) >= 10
    older = 0
    for theme in data["themes"]:
        dates = [n["start_date"] for n in theme["sharing"]]
        assert dates == sorted(dates, reverse=True)  # the neighbour that raised it most recently first
        for neighbour in theme["sharing"]:
            raised = [r["start_date"] for r in neighbour["raised_in"]]
            assert raised == sorted(raised, reverse=True) and raised[0] == neighbour["start_date"]
            assert len(raised) == neighbour["inspections"]
            for r in neighbour["raised_in"]:
                assert r["year"] == r["start_date"][:4] and r["inspection_id"].endswith(r["start_date"])
                assert r["before_previous"] == (r["start_date"] < previous)
                older += r["before_previous"]
                assert f"{neighbour['id']}-{r['start_date']}" in r["url"] or neighbour["id"] in r["url"]
    assert older  # some of the neighbours' concerns are from before Birmingham's previous inspection
    html = (await archive_ds.client.get("/-/ofsted/birmingham")).text
    neighbour = sharing[0]
    first = neighbour["raised_in"][0]
    assert (
        f'<a href="{first["url"].replace("&", "&amp;")}" title="{neighbour["name"]}, inspection of {first["start_date"]}"'
        in html
    )
    assert '<span class="older">older</span>' in html


@pytest.mark.asyncio
async def test_pages_link_to_the_canned_queries_that_draw_their_charts(archive_ds):
    pages = {
        "/-/ofsted": ["grades_over_time", "status_counts", "recurring_themes"],
        "/-/ofsted/birmingham": ["grades_over_time", "status_counts", "what_recurs"],
        "/-/ofsted/national": ["recurring_themes"],
    }
    for path, names in pages.items():
        html = unescape((await archive_ds.client.get(path)).text)
        for name in names:
            links = re.findall(rf'href="(/ofsted/{name}[^"]*)"', html)
            assert links, (path, name)
            if name in QUERY_CHARTS:
                assert not any("#" in link for link in links), (path, name, links)  # datasette-vega's stays shut
                page = await archive_ds.client.get(links[0])
                assert 'id="query-chart"' in page.text, (path, name)  # the plugin's chart, with something to draw
                response = await archive_ds.client.get(
                    links[0].replace(f"/ofsted/{name}", f"/ofsted/{name}.json")
                    + ("&" if "?" in links[0] else "?")
                    + "_shape=array"
                )
                assert len(json_rows(response.json())) >= 2, (path, name)


@pytest.mark.asyncio
async def test_search_counts_filters_by_region_and_names_authorities(archive_ds):
    everything = (await archive_ds.client.get("/-/ofsted/search.json?q=supervision")).json()
    london = (await archive_ds.client.get("/-/ofsted/search.json?q=supervision&region=London")).json()
    assert 0 < london["total"] < everything["total"]
    assert all(r["region"] == "London" for r in london["rows"])
    html = (await archive_ds.client.get("/-/ofsted/search?q=supervision&region=London")).text
    assert f"of {london['total']} for <strong>supervision</strong>" in html
    first = london["rows"][0]
    assert f">{first['authority_name']}, {first['start_date']}</a>" in html
    assert (await archive_ds.client.get("/-/ofsted/search?q=x&region=Atlantis")).status_code == 400
    # A finding of a report published on the web links to its page in the PDF.
    linked = [r for r in everything["rows"] if r["page_url"]]
    assert linked and all(r["page_url"].endswith(f"#page={r['page']}") for r in linked)
    html = (await archive_ds.client.get("/-/ofsted/search?q=supervision")).text
    assert f'<a href="{linked[0]["page_url"]}">p. {linked[0]["page"]}</a>' in html


@pytest.mark.asyncio
async def test_what_recurs_says_whether_the_later_finding_supports_the_call(archive_ds):
    rows = json_rows((await archive_ds.client.get("/ofsted/what_recurs.json?authority=birmingham&_shape=array")).json())
    assert rows and {r["stance"] for r in rows} <= {"for", "against", ""}
    for row in rows:
        if row["later_kind"] == "improvement":
            assert row["stance"] == "for"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path, status",
    [("/-/ofsted/nowhere", 404), ("/-/ofsted/national?year=abcd", 400), ("/-/ofsted/compare/sutton", 404)],
)
async def test_a_json_client_gets_its_errors_as_json(archive_ds, path, status):
    response = await archive_ds.client.get(path, headers={"accept": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["ok"] is False and response.json()["error"]
    browser = await archive_ds.client.get(path, headers={"accept": "text/html,application/xhtml+xml,*/*"})
    assert browser.status_code == status and browser.headers["content-type"].startswith("text/html")


@pytest.mark.asyncio
async def test_the_compare_csv_shows_a_review_note_only_to_who_may_see_notes(sutton_db, reviews_db):  # noqa: F811
    """The CSV reads the compare page's gate (reviewed_comparisons): the reviewed status for everyone, the note and
    the reviewer only for an actor who may see the reviews table."""
    writer = await serve(sutton_db, reviews_db)
    finding_id = improvement(await comparison(writer), "recurring")["id"]
    cookies, headers = await signed_in(writer, "alice")
    assert (await post_review(writer, cookies, headers, finding_id, "resolved", "=secret note")).status_code == 200

    def private(data: dict) -> None:
        data["databases"]["ofsted_reviews"] = {"allow": {"id": "alice"}}

    ds = await serve(sutton_db, reviews_db, change=private)

    async def lines(cookies=None) -> list[dict]:
        text = (await ds.client.get(PAIR + ".csv", cookies=cookies or {})).text
        return [r for r in csv.DictReader(io.StringIO(text.lstrip(UTF8_BOM))) if r["finding_id"] == finding_id]

    hidden = await lines()
    assert hidden and all(r["status"] == "resolved" and r["auto_status"] == "recurring" for r in hidden)
    assert all(r["review_note"] == "" and r["reviewed_by"] == "" for r in hidden)
    shown = await lines({"ds_actor": ds.sign({"a": {"id": "alice"}}, "actor")})
    assert all(r["review_note"] == "'=secret note" and r["reviewed_by"] == "alice" for r in shown)
