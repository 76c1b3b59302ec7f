"""A served Datasette reads the pages in the background when it starts and again when the database changes (warm.py),
so that no visitor's request is the first reading of a page (issue 26: under 40 clients those took 3-6 s)."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

import pytest
from conftest import make_datasette
from datasette.app import Datasette

from datasette_ofsted import cache, warm


class Lifespan:
    """The ASGI lifespan events a server (uvicorn, under `datasette serve`) sends the app."""

    def __init__(self, app):
        self.app = app
        self.events: asyncio.Queue = asyncio.Queue()
        self.sent: list[dict] = []
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        async def send(message):
            self.sent.append(message)

        await self.events.put({"type": "lifespan.startup"})
        self.task = asyncio.create_task(self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, self.events.get, send))

    async def stop(self) -> None:
        await self.events.put({"type": "lifespan.shutdown"})
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)


def counted_warms(monkeypatch) -> list[asyncio.Event]:
    """Each background reading of the pages, as an event set when it is done."""
    done: list[asyncio.Event] = []
    real = warm.warm

    async def counting(datasette):
        event = asyncio.Event()
        done.append(event)
        read = await real(datasette)
        event.set()
        return read

    monkeypatch.setattr(warm, "warm", counting)
    monkeypatch.setattr(warm, "WATCH_SECONDS", 0.05)
    return done


async def _until(condition, seconds: float = 60) -> None:
    async def wait():
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), seconds)


@pytest.mark.asyncio
async def test_a_served_datasette_reads_the_pages_before_its_visitors_do(bundled_db, monkeypatch):
    cache.clear()
    warms = counted_warms(monkeypatch)
    ds = make_datasette(bundled_db)
    server = Lifespan(ds.app())
    await server.start()
    await _until(lambda: warms and warms[0].is_set())
    assert {"type": "lifespan.startup.complete"} in server.sent
    paths = await warm.warm_paths(ds)
    assert "/-/ofsted/national.json" in paths and "/-/ofsted/manchester.json" in paths
    misses = cache._KEPT.misses
    for path in ("/-/ofsted/manchester.json", "/-/ofsted/manchester", "/-/ofsted/national.json", "/-/ofsted"):
        assert (await ds.client.get(path)).status_code == 200, path
    assert cache._KEPT.misses == misses, "a visitor's request read what the background reading should have"
    await asyncio.sleep(0.2)
    assert len(warms) == 1  # an immutable database never changes: read once
    await server.stop()
    assert {"type": "lifespan.shutdown.complete"} in server.sent


@pytest.mark.asyncio
async def test_the_pages_are_read_again_when_the_database_changes(bundled_copy, monkeypatch):
    cache.clear()
    warms = counted_warms(monkeypatch)
    path = bundled_copy()
    ds = make_datasette(path, immutable=False)
    server = Lifespan(ds.app())
    await server.start()
    await _until(lambda: warms and warms[0].is_set())
    with closing(sqlite3.connect(path)) as conn, conn:  # as ofsted-ingest commits beside the server
        conn.execute("update authorities set name = 'Manchester (renamed)' where id = 'manchester'")
    await _until(lambda: len(warms) == 2 and warms[1].is_set())
    misses = cache._KEPT.misses
    assert (await ds.client.get("/-/ofsted.json")).status_code == 200
    assert cache._KEPT.misses == misses
    await server.stop()


@pytest.mark.asyncio
async def test_no_background_reading_when_the_setting_says_so(bundled_db, monkeypatch):
    warms = counted_warms(monkeypatch)
    ds = Datasette(immutables=[str(bundled_db)], metadata={"plugins": {"datasette-ofsted": {"warm_pages": False}}})
    server = Lifespan(ds.app())
    await server.start()
    await asyncio.sleep(0.3)
    await server.stop()
    assert warms == []
