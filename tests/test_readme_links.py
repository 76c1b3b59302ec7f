"""Every shareable link in the README answers 200 on the bundled data."""

import re

import pytest
from conftest import ROOT

from datasette_ofsted import canned_queries_definitions
from datasette_ofsted.views.query_charts import QUERY_CHARTS

LINKS = sorted(set(re.findall(r"http://127\.0\.0\.1:8001(/[^\s)>\]]*)", (ROOT / "README.md").read_text())))


def test_readme_has_links():
    assert len(LINKS) >= 15


@pytest.mark.asyncio
@pytest.mark.parametrize("path", LINKS)
async def test_link_answers(ds, path):
    response = await ds.client.get(path.split("#")[0])
    assert response.status_code == 200, path


# The README's links to the canned queries the plugin draws a chart for (views/query_charts.py).
CHART_LINKS = [link for link in LINKS if re.match(rf"/ofsted/({'|'.join(QUERY_CHARTS)})\b", link)]


def test_readme_canned_queries_are_the_plugin_s():
    """The README's canned query links name queries the plugin itself serves (queries.yml), on every line."""
    named = {
        re.match(r"/ofsted/(\w+)", link).group(1) for link in LINKS if re.match(r"/ofsted/\w+\?|/ofsted/\w+#", link)
    }
    assert named and named <= set(canned_queries_definitions()), named - set(canned_queries_definitions())


@pytest.mark.asyncio
@pytest.mark.parametrize("link", CHART_LINKS)
async def test_readme_chart_links_open_the_plugin_s_chart(ds, link):
    assert "#g." not in link  # no datasette-vega fragment: its chart would open under the plugin's
    response = await ds.client.get(link)
    assert response.status_code == 200, link
    assert 'id="query-chart"' in response.text, link
