"""/-/ofsted/search: full-text search over the findings."""

import pytest


@pytest.mark.asyncio
async def test_search_finds_and_highlights(ds):
    response = await ds.client.get("/-/ofsted/search?q=return+home+interviews")
    assert response.status_code == 200
    assert "<mark>interviews</mark>" in response.text or "<mark>Return</mark>" in response.text
    assert "/-/ofsted/sutton" in response.text


@pytest.mark.asyncio
@pytest.mark.parametrize("q", ['"unbalanced', "AND OR NOT", "*", "a" * 5000, "'; drop table findings; --"])
async def test_search_syntax_never_errors(ds, q):
    response = await ds.client.get("/-/ofsted/search", params={"q": q})
    assert response.status_code == 200
