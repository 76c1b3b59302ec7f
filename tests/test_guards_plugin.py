"""The plugin setting `database`: the pages and the canned queries find the Ofsted database the same way."""

from __future__ import annotations

import shutil

import pytest
from datasette.app import Datasette


def serve(*paths, database: str) -> Datasette:
    return Datasette(
        immutables=[str(p) for p in paths], metadata={"plugins": {"datasette-ofsted": {"database": database}}}
    )


@pytest.mark.asyncio
async def test_the_database_setting_names_the_database_pages_and_queries_read(bundled_db, tmp_path):
    inspections = tmp_path / "inspections2026.db"  # not named ofsted, and a second candidate beside it
    shutil.copy(bundled_db, inspections)
    ds = serve(bundled_db, inspections, database="inspections2026")
    await ds.invoke_startup()
    page = await ds.client.get("/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26")
    assert page.status_code == 200
    assert 'href="/inspections2026/findings/sutton-2013-05-13-report-' in page.text
    assert 'href="/ofsted/findings/' not in page.text
    queries = await ds.client.get("/inspections2026.json")
    assert queries.status_code == 200 and "status_counts" in queries.text
    assert "status_counts" not in (await ds.client.get("/ofsted.json")).text


@pytest.mark.asyncio
async def test_a_database_setting_naming_no_attached_database_is_404(bundled_db):
    ds = serve(bundled_db, database="missing")
    await ds.invoke_startup()
    response = await ds.client.get("/-/ofsted")
    assert response.status_code == 404
    assert "No Ofsted database is attached" in response.text
