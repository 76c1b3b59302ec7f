"""What the pages read, kept in memory for as long as the database holds the same data.

Every page used to run the same queries on every request (the authorities, each one's latest
inspection, a pair's stored comparison and the five queries that said whether it was still
current): under load that was most of a page's time. Here a read is kept against the
database's *version*, and a version changes whenever the file's data can have changed:

- a database served immutable (`datasette -i`) never changes while it is served: one version;
- a mutable one can be changed by another process (an `ofsted-ingest` beside the server: one
  transaction per document) or by Datasette's own write connection. `PRAGMA data_version` says
  exactly that: on one connection, its value changes when any *other* connection has committed
  since it was last read. The value is per connection, so each database file gets one watching
  connection of its own (read-only, used for nothing else), asked on every read: a
  few microseconds, no thread, no query plan;
- an in-memory database is not kept at all (nothing to watch it with).

Kept values are bounded (`MAX_ENTRIES` reads, least recently used dropped first) and each use gets
its own copy of the rows, so that a page that changes a row it read changes nothing kept.

A read is made once however many requests want it at the same moment: the others wait for it (`kept`). Under 40
clients every request that came before the first national page was done read the whole archive again, each
slowing the others, and the first pages took 3-6 s.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import os
import sqlite3
import sys
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

# Reads kept, over every database: a page makes a handful, a search one per query asked, so this
# holds every page of a large archive and the last few thousand searches (each at most a few
# hundred rows of a few short columns).
MAX_ENTRIES = 4096
# Files watched at once, each with a connection open: a server attaches a few databases; a test
# session or a long-lived process that serves many files in turn closes the oldest watch.
MAX_WATCHES = 32


class _Watch:
    """One read-only connection to a database file, only to ask it `PRAGMA data_version`."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.lock = threading.Lock()

    def version(self) -> int:
        with self.lock:
            # fetchall: the statement runs to its end, so no read transaction is left open to hold up a checkpoint
            return self.conn.execute("pragma data_version").fetchall()[0][0]

    def close(self) -> None:
        with self.lock:
            self.conn.close()


_watches: dict[tuple, _Watch] = {}  # by (path, device, inode): a replaced file gets its own
_watches_lock = threading.Lock()


def data_version(db) -> Hashable | None:
    """The version of a Datasette Database's data (None: do not keep anything read from it).

    The file's identity first (device, inode, and for an immutable file its size and time), so that a file
    replaced by another under the same name (a rebuilt database) is a new version; then, for a mutable one,
    the data version its watching connection sees, which changes at every commit by any other connection.
    """
    if getattr(db, "is_memory", False) or not getattr(db, "path", None):
        return None
    try:
        st = os.stat(db.path)
    except OSError:
        return None
    if not db.is_mutable:
        return (db.path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    identity = (db.path, st.st_dev, st.st_ino)
    watch = _watches.get(identity)
    if watch is None:
        with _watches_lock:
            watch = _watches.get(identity)
            if watch is None:
                try:
                    watch = _watches[identity] = _Watch(db.path)
                except sqlite3.Error:
                    return None
                while len(_watches) > MAX_WATCHES:  # the oldest first: a file long replaced or deleted
                    _watches.pop(next(iter(_watches))).close()
    try:
        return (*identity, watch.version())
    except sqlite3.Error:  # locked for a rewrite, or no longer a database: read it afresh
        return None


class _Kept:
    """The most recently used values, bounded in number (and, when `size` is given, in the sum of their sizes)."""

    def __init__(self, max_entries: int, max_size: int | None = None, size: Callable[[Any], int] | None = None):
        self.max_entries = max_entries
        self.max_size = max_size
        self.size = size
        self.held: OrderedDict[Hashable, Any] = OrderedDict()
        self.held_size = 0
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any:
        with self.lock:
            value = self.held.get(key)
            if value is not None:
                self.held.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return value

    def put(self, key: Hashable, value: Any) -> None:
        size = self.size(value) if self.size is not None else 0
        if self.max_size is not None and size > self.max_size:
            return  # larger than the whole budget: never kept
        with self.lock:
            if key in self.held:
                self.held_size -= self.size(self.held[key]) if self.size is not None else 0
            self.held[key] = value
            self.held.move_to_end(key)
            self.held_size += size
            while len(self.held) > self.max_entries or (self.max_size is not None and self.held_size > self.max_size):
                _, dropped = self.held.popitem(last=False)
                self.held_size -= self.size(dropped) if self.size is not None else 0

    def drop(self, key: Hashable) -> None:
        with self.lock:
            if key in self.held:
                dropped = self.held.pop(key)
                self.held_size -= self.size(dropped) if self.size is not None else 0

    def clear(self) -> None:
        with self.lock:
            self.held.clear()
            self.held_size = 0
            self.hits = self.misses = 0


_KEPT = _Kept(MAX_ENTRIES)

# Rendered pages kept (views/common.kept_page), bounded by the memory their HTML takes as well as by their number: a
# long comparison's page is about half a megabyte, an index or a timeline 20-100 kB (twice that in memory once a
# curly quote makes Python store two bytes a character). 32 MB holds the pages of the archive's most visited
# authorities and keeps a server well under the 200 MB asked of it under 40 clients (issue 26), however many
# different addresses (searches, filters) are asked for.
MAX_PAGES = 2048
MAX_PAGE_BYTES = 32 * 1024 * 1024
PAGES = _Kept(MAX_PAGES, MAX_PAGE_BYTES, size=lambda page: sys.getsizeof(page[0]))  # (HTML, what it depended on)


def clear() -> None:
    """Forget everything kept (tests; a server never needs to: a changed database has a new version)."""
    _KEPT.clear()
    PAGES.clear()


# The reads being made now, by key: a request that wants one waits for it instead of making it again.
_MAKING: dict[Hashable, asyncio.Future] = {}


def _versions(dbs: tuple) -> tuple | None:
    versions = tuple(data_version(db) for db in dbs if db is not None)
    return None if None in versions else versions


# The data version each database had at a request's first read, by path, for the request being answered
# (`one_version_a_request` gives each its own). A value made by a request that read an older version first may
# hold what it read then (a timeline is given the authority's row read before it; the national page counts rows
# read before): kept under the newer version, it showed the old data until the next change. Such a value is given
# to the request (and those waiting for it) but not kept.
_READ_AT: contextvars.ContextVar[dict[str, Hashable] | None] = contextvars.ContextVar("ofsted_read_at", default=None)


def _first_read_at(dbs: tuple, version: tuple) -> bool:
    """Whether this request read each of `dbs` at `version` first (recording it, when this is its first read)."""
    read_at = _READ_AT.get()
    if read_at is None:  # not within a request (a script, a test's direct call): nothing read before to mix in
        return True
    held = [db for db in dbs if db is not None]
    return all(read_at.setdefault(str(db.path), v) == v for db, v in zip(held, version))


def one_version_a_request(app):
    """An ASGI wrapper that gives each request its own record of the versions it read at (_READ_AT)."""

    async def wrapped(scope, receive, send):
        if scope["type"] == "lifespan":
            await app(scope, receive, send)
            return
        token = _READ_AT.set({})
        try:
            await app(scope, receive, send)
        finally:
            _READ_AT.reset(token)

    return wrapped


async def kept(
    db,
    key: Hashable,
    compute: Callable[[], Awaitable[Any]],
    also: tuple = (),
    keep: Callable[[Any], bool] | None = None,
    store: _Kept = _KEPT,
) -> Any:
    """`await compute()`, or what it gave last time for `key` while `db` (and each database in `also`, such as
    the reviews a read lays over the comparisons) holds the same data.

    The value is returned as kept: callers that change what they get copy it (`rows` does). `keep` says whether a
    value may be kept (one that is only a stand-in, say). Requests that want the same value while it is being
    read wait for that read and get its value (kept or not).
    """
    version = _versions((db, *also))
    if version is None:
        return await compute()
    full_key = (version, key)
    first = _first_read_at((db, *also), version)
    value = store.get(full_key)
    if value is not None:
        return value
    loop = asyncio.get_running_loop()
    while (making := _MAKING.get(full_key)) is not None and making.get_loop() is loop:
        await asyncio.wait([making])  # raises only if this request is cancelled
        if not making.cancelled():
            return making.result()
        # the request making it was cancelled or failed: make it here, unless another waiter has begun to
    future = _MAKING[full_key] = loop.create_future()
    try:
        value = await compute()
    except BaseException:
        future.cancel()  # those waiting make it themselves (and meet the same error, if it is one)
        raise
    finally:
        if _MAKING.get(full_key) is future:
            del _MAKING[full_key]
    # Kept if unchanged while it was read, and nothing this request read before was of an older version (the value is
    # of this version alone), and the caller agrees.
    if first and version == _versions((db, *also)) and (keep is None or keep(value)):
        store.put(full_key, value)
    future.set_result(value)
    return value


_sites = itertools.count(1)


def site(datasette) -> tuple:
    """What a kept value that holds links or a rendered page is kept for besides the data: this Datasette (its own
    templates, metadata and plugin settings; an id of its own, never reused as `id()` may be) and its base_url."""
    mark = getattr(datasette, "_ofsted_site", None)
    if mark is None:
        mark = datasette._ofsted_site = next(_sites)
    return (mark, datasette.setting("base_url"))


def forget(db, key: Hashable, also: tuple = (), store: _Kept = _KEPT) -> None:
    """Drop what `kept` holds for `key` at the databases' present versions (a value found to depend on more)."""
    version = _versions((db, *also))
    if version is not None:
        store.drop((version, key))


async def rows(db, sql: str, params=None) -> list[dict]:
    """The rows of a read-only query as dicts, each use with its own copies."""

    async def read() -> tuple[dict, ...]:
        return tuple(dict(r) for r in (await db.execute(sql, params or [])).rows)

    key = ("rows", sql, tuple(params.items()) if isinstance(params, dict) else tuple(params or ()))
    return [dict(r) for r in await kept(db, key, read)]


async def kept_comparison(db, earlier_id: str, later_id: str) -> dict:
    """The comparison of a pair (comparisons.comparison) with every row as `apply_reviews` lays reviews over it,
    kept while the database holds the same data: no query asks again whether the stored one is current.

    Reviews are laid over it per request (they are in another database, and who may read them depends on the
    actor); `apply_reviews` copies every row it changes, so the kept result is never changed.
    """
    from .comparisons import comparison
    from .reviews import apply_reviews

    async def compute() -> dict:
        result = await db.execute_fn(lambda conn: comparison(conn, earlier_id, later_id))
        # Each improvement's item_key (a digest of its words) computed once, not at every request.
        return apply_reviews(result, {}, details=False)

    return await kept(db, ("comparison", earlier_id, later_id), compute)
