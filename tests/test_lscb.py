"""An LSCB's recommendations: the board's list, stored apart, left out of the authority's comparison, shown apart."""

import pytest

# Kent 2017 is a joint report: the authority's inspection and the review of its LSCB, whose six
# recommendations (paragraphs 88-93) stand on page 30 of the PDF.
KENT = "/-/ofsted/compare/kent-2017-03-06...kent-2022-05-09"


@pytest.mark.asyncio
async def test_the_boards_recommendations_are_stored_as_its_improvements(ds):
    board = (
        await ds.client.get(
            "/ofsted/findings.json?_shape=array&kind=improvement&about=LSCB&inspection_id=kent-2017-03-06&_sort=ordinal"
        )
    ).json()
    assert [f["paragraph"] for f in board] == [88, 89, 90, 91, 92, 93]


@pytest.mark.asyncio
async def test_the_boards_recommendations_are_left_out_of_the_comparison_and_shown_apart(ds):
    data = (await ds.client.get(KENT + ".json")).json()
    compared = {f["id"] for row in data["rows"] for f in row["from"] + row["to"]}
    board = data["lscb_recommendations"]
    assert [f["paragraph"] for f in board["from"]] == [88, 89, 90, 91, 92, 93]
    assert board["to"] == []  # 2022: no LSCB any more (safeguarding partnerships replaced them)
    assert not compared & {f["id"] for f in board["from"]}
    html = (await ds.client.get(KENT)).text
    assert "The LSCB&#39;s recommendations" in html or "The LSCB's recommendations" in html
    assert board["from"][0]["text"][:40] in html
