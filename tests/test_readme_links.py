"""Every shareable link in the README answers 200 on the bundled data."""

import re

import pytest
from conftest import ROOT

LINKS = sorted(set(re.findall(r"http://127\.0\.0\.1:8001(/[^\s)>\]]*)", (ROOT / "README.md").read_text())))


def test_readme_has_links():
    assert len(LINKS) >= 15


@pytest.mark.asyncio
@pytest.mark.parametrize("path", LINKS)
async def test_link_answers(ds, path):
    response = await ds.client.get(path.split("#")[0])
    assert response.status_code == 200, path
