"""The pages' reads made in the background when a server starts, and again whenever the database changes.

The pages keep what they read for as long as the database holds the same data (cache.py), so only the first request
of each page after a start or a change reads the database: on the archive, a timeline's first reading is a hundred
queries and the national page's every recurring row of every pair. Under 40 clients those first requests took 3-6 s
(issue 26). A served Datasette (`datasette serve`, which sends the ASGI lifespan events) reads them here instead,
one page at a time, before or beside the first visitors: a visitor who comes while a page is being read waits for
that one reading (cache.kept), never starts another. Datasette's test client sends no lifespan events, so tests and
scripts read only what they ask for.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sys

# How often the watch asks whether the database changed (a stat, and for a mutable file `PRAGMA data_version`).
WATCH_SECONDS = 5.0
# Before each page the background reading waits for a moment when no visitor's request is being answered, but no
# longer than this: under a steady crowd it still reads a page a second or so (each reading shared with any visitor
# who asks for that page meanwhile: cache.kept), and the visitors' requests go first.
PATIENCE_SECONDS = 1.0
QUIET_POLL_SECONDS = 0.02
# Pages read in turn, each to its end, yielding to the visitors' requests between them.
PAGES = ("/-/ofsted.json", "/-/ofsted/national.json", "/-/ofsted/national")


async def warm_paths(datasette) -> list[str]:
    """The pages to read: the index, the national page and its JSON, and every inspected authority's timeline."""
    from .databases import find_ofsted_database

    db = await find_ofsted_database(datasette)
    if db is None:
        return []
    try:
        authorities = [r[0] for r in (await db.execute("select distinct authority_id from inspections order by 1"))]
    except Exception:  # a database being rebuilt, or not ofsted-ingest's: the pages will say what is wrong
        return list(PAGES)
    return [*PAGES, *(f"/-/ofsted/{authority}.json" for authority in authorities)]


# Visitors' requests being answered now, by Datasette instance (lifespan_wrapper counts them); the background
# reading's own requests, made in a task marked by _BACKGROUND, are not visitors.
_visitors: dict[int, int] = {}
_BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("ofsted_background_reading", default=False)


def visitors(datasette) -> int:
    """How many visitors' requests this Datasette is answering at this moment."""
    return _visitors.get(id(datasette), 0)


async def quiet_moment(datasette, patience: float | None = None) -> None:
    """Wait until no visitor's request is being answered, or `patience` seconds (PATIENCE_SECONDS) have gone by."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + (PATIENCE_SECONDS if patience is None else patience)
    while visitors(datasette) and loop.time() < give_up:
        await asyncio.sleep(QUIET_POLL_SECONDS)


async def warm(datasette) -> int:
    """Read each page once as an anonymous visitor (a page anonymous visitors may not see is refused at once and
    reads nothing), each at a quiet moment (quiet_moment); returns the pages read."""
    background = _BACKGROUND.set(True)  # these requests are not visitors'
    read = 0
    try:
        for path in await warm_paths(datasette):
            await quiet_moment(datasette)
            try:
                response = await datasette.client.get(path)
                read += response.status_code == 200
            except Exception as error:  # the page's own request will meet and report it
                print(f"datasette-ofsted: reading {path} in the background failed: {error!r}", file=sys.stderr)
    finally:
        _BACKGROUND.reset(background)
    return read


async def keep_warm(datasette) -> None:
    """Warm the pages now, then again whenever the database's data version moves, until cancelled."""
    from .cache import data_version
    from .databases import find_ofsted_database

    seen: object = None
    while True:
        db = await find_ofsted_database(datasette)
        version = data_version(db) if db is not None else None
        if db is not None and version != seen:
            seen = version
            try:
                await warm(datasette)
            except Exception as error:  # never let the watch die: the next change is read again
                print(f"datasette-ofsted: reading the pages in the background failed: {error!r}", file=sys.stderr)
        await asyncio.sleep(WATCH_SECONDS)


def lifespan_wrapper(datasette, app):
    """An ASGI wrapper that starts `keep_warm` when the server starts and stops it when the server stops."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "lifespan":
            if _BACKGROUND.get():
                await app(scope, receive, send)
                return
            key = id(datasette)
            _visitors[key] = _visitors.get(key, 0) + 1
            try:
                await app(scope, receive, send)
            finally:
                _visitors[key] -= 1
            return
        task: asyncio.Task | None = None

        async def watched_receive():
            nonlocal task
            message = await receive()
            if message["type"] == "lifespan.startup" and task is None:
                task = asyncio.get_running_loop().create_task(keep_warm(datasette))
            elif message["type"] == "lifespan.shutdown" and task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            return message

        await app(scope, watched_receive, send)

    return wrapped
