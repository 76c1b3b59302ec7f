"""/-/ofsted: every authority with its inspections."""

import pytest


@pytest.mark.asyncio
async def test_index_lists_authorities(ds):
    response = await ds.client.get("/-/ofsted")
    assert response.status_code == 200
    html = response.text
    for name, href in [
        ("Sutton", "/-/ofsted/sutton"),
        ("Birmingham", "/-/ofsted/birmingham"),
        ("Kent", "/-/ofsted/kent"),
        ("Manchester", "/-/ofsted/manchester"),
        ("Southwark", "/-/ofsted/southwark"),
        ("Liverpool", "/-/ofsted/liverpool"),
    ]:
        assert f'<a href="{href}">{name}</a>' in html
    assert 'action="/-/ofsted/search"' in html
    assert "Open Government Licence" in html


@pytest.mark.asyncio
async def test_index_shows_latest_inspection(ds):
    html = (await ds.client.get("/-/ofsted")).text
    row = html[html.index('<a href="/-/ofsted/birmingham">') :]
    row = row[: row.index("</tr>")]
    assert "2023-02-20" in row and "ILACS standard" in row and "good" in row
