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


@pytest.mark.asyncio
async def test_an_unknown_theme_filter_is_400_not_an_empty_page(ds):
    """A mistyped theme would otherwise show "0 rows", as if nothing in the pair were on it."""
    response = await ds.client.get(SUTTON + ".json?theme=<script>no-such-theme")
    assert response.status_code == 400
    assert "<script>no-such-theme" not in (await ds.client.get(SUTTON + "?theme=<script>no-such-theme")).text
    assert (await ds.client.get(SUTTON + ".json?theme=supervision")).status_code == 200


MANCHESTER = "/-/ofsted/compare/manchester-2017-10-09...manchester-2022-03-21"


def section(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


@pytest.mark.asyncio
async def test_rows_are_grouped_by_status_recurring_first(ds):
    html = (await ds.client.get(MANCHESTER)).text
    data = (await ds.client.get(MANCHESTER + ".json")).json()
    present = [s for s in ("recurring", "resolved", "new", "not_revisited") if data["counts"][s]]
    positions = [html.index(f'<h2 id="{s}">') for s in present]
    assert positions == sorted(positions) and len(present) >= 3
    for status in present:
        group = html[html.index(f'<h2 id="{status}">') :]
        group = group[: group.index("</table>")]
        assert group.count(f'<tr class="row-{status}">') == data["counts"][status]
        assert '<tr class="row-' not in group.replace(f'<tr class="row-{status}">', "")


@pytest.mark.asyncio
async def test_summary_counts_statuses_by_theme_with_filter_links(ds):
    html = (await ds.client.get(SUTTON)).text
    data = (await ds.client.get(SUTTON + ".json")).json()
    summary = section(html, '<table class="summary">', "</table>")
    theme = next(t for row in data["rows"] if row["status"] == "recurring" for t in row["themes"])
    expected = sum(1 for row in data["rows"] if row["status"] == "recurring" and theme in row["themes"])
    link = f'href="{SUTTON}?status=recurring&amp;theme={theme}"'
    assert link in summary
    cell = summary[summary.index(link) :]
    assert cell[cell.index(">") + 1 : cell.index("</a>")] == str(expected)
    filtered = (await ds.client.get(f"{SUTTON}.json?status=recurring&theme={theme}")).json()
    assert len(filtered["rows"]) == expected


@pytest.mark.asyncio
async def test_deciding_evidence_first_marked_the_rest_folded(ds):
    html = (await ds.client.get(MANCHESTER)).text
    data = (await ds.client.get(MANCHESTER + ".json")).json()
    recurring = section(html, '<h2 id="recurring">', "</table>")
    row_html = recurring[recurring.index('<tr class="row-recurring">') :]
    row_html = row_html[: row_html.index("</tr>")]
    row = next(r for r in data["rows"] if r["status"] == "recurring")
    later = row_html[row_html.index('data-label="Later') :]
    evidence = [f for f in row["to"] if f["role"] == "evidence"]
    assert len(evidence) >= 2
    shown, folded = later.split('<details class="more">', 1)
    assert "stance stance-for" in shown or "stance stance-against" in shown  # the deciding finding, marked
    assert f"{len(evidence) - 1} more finding" in folded
    assert f'href="/ofsted/findings/{evidence[0]["id"]}"' in shown
    assert f'href="/ofsted/findings/{evidence[1]["id"]}"' in folded
    assert recurring.count('class="stance stance-for') > recurring.count('class="stance stance-against')


@pytest.mark.asyncio
async def test_the_score_in_plain_words(ds):
    html = (await ds.client.get(MANCHESTER)).text
    calls = [
        w
        for w in ("a clear call", "a fair call", "mixed evidence: check this", "a close call: check this")
        if w in html
    ]
    assert len(calls) >= 2
    assert "a clear call: " not in html  # never clear and to be checked at once
    assert "score 0." not in html


def test_confidence_words_follow_the_engine_when_it_gives_them():
    from datasette_ofsted.views.compare import confidence_words, stance

    assert confidence_words({"score": 0.33, "confidence": 0.9}) == "a clear call"
    assert confidence_words({"score": 0.33, "confidence": 0.86}) == "a fair call"
    mixed = {"confidence": 0.96, "needs_review": True, "why": {"check": "mixed"}}
    assert confidence_words(mixed) == "mixed evidence: check this"
    assert (
        confidence_words({"confidence": 0.8, "needs_review": True, "why": {"check": "weak"}})
        == "a close call: check this"
    )
    evidence = {"id": "x", "role": "evidence", "polarity": "negative", "stance": "criticises"}
    assert stance(evidence, "recurring") == "for" and stance(evidence, "resolved") == "against"
    assert stance({**evidence, "stance": "praises"}, "resolved") == "for"
    assert stance({**evidence, "stance": "neutral"}, "recurring") is None


@pytest.mark.asyncio
async def test_page_references_open_the_source_pdf_at_that_page(ds):
    html = (await ds.client.get(MANCHESTER)).text
    data = (await ds.client.get(MANCHESTER + ".json")).json()
    finding = data["rows"][0]["from"][0]
    assert finding["page"]
    assert (
        f'<a href="https://files.ofsted.gov.uk/v1/file/50004408#page={finding["page"]}">p. {finding["page"]}</a>'
        in html
    )
    assert f'<a href="/ofsted/findings/{finding["id"]}">row</a>' in html  # Datasette's row, one click away


@pytest.mark.asyncio
async def test_no_empty_table_header(ds):
    for path in (SUTTON, MANCHESTER):
        html = (await ds.client.get(path)).text
        assert "<th></th>" not in html and '<th scope="col"></th>' not in html


def test_each_row_has_one_review_include_point():
    from pathlib import Path

    import datasette_ofsted

    template = (Path(datasette_ofsted.__file__).parent / "templates" / "_ofsted_compare_rows.html").read_text()
    assert template.count("{% if row_review_template %}{% include row_review_template %}{% endif %}") == 1


@pytest.mark.asyncio
async def test_order_check_puts_the_rows_to_check_first(ds):
    """?order=check: the rows the engine asks a reviewer to check come first, least confident first, in the JSON
    and on the page; each says why in words; the same rows as without the order."""
    manchester = "/-/ofsted/compare/manchester-2017-10-09...manchester-2022-03-21"
    plain = (await ds.client.get(manchester + ".json")).json()
    response = await ds.client.get(manchester + ".json?order=check")
    assert response.status_code == 200
    data = response.json()
    assert data["filters"]["order"] == "check" and plain["filters"]["order"] is None
    rows = data["rows"]
    key = [(not r["needs_review"], r["confidence"]) for r in rows]
    assert key == sorted(key)
    checked = [r for r in rows if r["needs_review"]]
    assert checked and len(checked) < len(rows)  # some rows, not all
    assert rows[: len(checked)] == checked
    for row in checked:
        assert row["why"]["check"] in ("mixed", "weak") and "it could also be" in row["why"]["check_reason"]
    ids = sorted(f["id"] for r in rows for f in r["from"] + r["to"] if f["role"] == "improvement")
    assert ids == sorted(f["id"] for r in plain["rows"] for f in r["from"] + r["to"] if f["role"] == "improvement")
    html = (await ds.client.get(manchester + "?order=check")).text
    assert "Check these first" in html and '<option value="check" selected>' in html
    assert "check this" in html[html.index("Check these first") :]
    assert checked[0]["why"]["check_reason"].split(";")[0].replace("'", "&#39;") in html
    # The reason is written under the status, not only in a tooltip.
    shown = html.split('<span class="check-reason">Why: ')[1:]
    assert len(shown) == len([r for r in checked if not r.get("review")])
    assert shown[0].startswith(checked[0]["why"]["check_reason"].split(";")[0].replace("'", "&#39;"))
    assert (await ds.client.get(manchester + ".json?order=nonsense")).status_code == 400
