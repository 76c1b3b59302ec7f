"""Every shareable link in the README answers 200 on the bundled data."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import ROOT, json_rows

from datasette_ofsted import canned_queries_definitions

LINKS = sorted(set(re.findall(r"http://127\.0\.0\.1:8001(/[^\s)>\]]*)", (ROOT / "README.md").read_text())))


def test_readme_has_links():
    assert len(LINKS) >= 15


@pytest.mark.asyncio
@pytest.mark.parametrize("path", LINKS)
async def test_link_answers(ds, path):
    response = await ds.client.get(path.split("#")[0])
    assert response.status_code == 200, path


CHART_LINKS = [link for link in LINKS if "#g." in link]


def test_readme_canned_queries_are_the_plugin_s():
    """The README's canned query links name queries the plugin itself serves (queries.yml), on every line."""
    named = {
        re.match(r"/ofsted/(\w+)", link).group(1) for link in LINKS if re.match(r"/ofsted/\w+\?|/ofsted/\w+#", link)
    }
    assert named and named <= set(canned_queries_definitions()), named - set(canned_queries_definitions())


@pytest.mark.asyncio
@pytest.mark.parametrize("link", CHART_LINKS)
async def test_readme_chart_links_name_columns_their_query_returns(ds, link):
    parts = urlsplit(link)
    settings = dict(parse_qsl(parts.fragment))
    response = await ds.client.get(f"{parts.path}.json?{parts.query}&_shape=array")
    rows = json_rows(response.json())
    assert len(rows) >= 2, link
    columns = {settings[key] for key in ("g.x_column", "g.y_column", "g.color_column") if key in settings}
    assert columns <= set(rows[0]), (link, columns - set(rows[0]))
