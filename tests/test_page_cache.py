"""Rendered pages kept (views/common.kept_page): a page is rendered once while the data, the reviews, the actor and
the address are the same, and never handed to anyone it was not made for (issue 27: rendering was most of an HTML
page's time under load). The permission check still comes first at every request."""

from __future__ import annotations

import asyncio
import copy
import sqlite3

import pytest
import yaml
from conftest import METADATA, make_datasette
from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from test_cache import PAIR, _in_another_process

from datasette_ofsted import cache
from datasette_ofsted.reviews import create_reviews_database, insert_review, now, review_row

# Every HTML page of the plugin an anonymous visitor may open that reads the Ofsted database.
PAGES = (
    "/-/ofsted",
    "/-/ofsted?region=London&sort=-latest",
    "/-/ofsted/sutton",
    f"/-/ofsted/compare/{PAIR}",
    f"/-/ofsted/compare/{PAIR}?status=recurring",
    "/-/ofsted/national",
    "/-/ofsted/search?q=return+home+interviews",
)
ACTOR_HEADER = "x-test-actor"


def counted_renders(monkeypatch, datasette: Datasette) -> list[str]:
    """The templates `datasette.render_template` renders from now on."""
    rendered: list[str] = []
    real = datasette.render_template

    async def counting(templates, *args, **kwargs):
        rendered.append(templates if isinstance(templates, str) else templates[0])
        return await real(templates, *args, **kwargs)

    monkeypatch.setattr(datasette, "render_template", counting)
    return rendered


def metadata(**plugin) -> dict:
    data = copy.deepcopy(yaml.safe_load(METADATA.read_text(encoding="utf-8")))
    data.setdefault("plugins", {})["datasette-ofsted"] = plugin
    return data


async def served(datasette: Datasette, monkeypatch) -> tuple[Datasette, list[str]]:
    """The Datasette started with nothing kept from another test, and the templates it renders from now on."""
    cache.clear()
    await datasette.invoke_startup()
    return datasette, counted_renders(monkeypatch, datasette)


@pytest.mark.asyncio
async def test_each_page_is_rendered_once_while_nothing_changes(bundled_db, monkeypatch):
    ds, rendered = await served(make_datasette(bundled_db), monkeypatch)
    for path in PAGES:
        first = await ds.client.get(path)
        again = await ds.client.get(path)
        assert first.status_code == again.status_code == 200, path
        assert again.text == first.text, path
        assert again.headers["content-type"] == first.headers["content-type"] == "text/html; charset=utf-8"
    assert len(rendered) == len(PAGES), f"rendered again: {rendered}"
    # Each address is its own page: a filter is never answered with the unfiltered page.
    assert (await ds.client.get(f"/-/ofsted/compare/{PAIR}?status=new")).text != (
        await ds.client.get(f"/-/ofsted/compare/{PAIR}")
    ).text


@pytest.mark.asyncio
async def test_requests_for_a_page_being_made_wait_for_it(bundled_db, monkeypatch):
    ds, rendered = await served(make_datasette(bundled_db), monkeypatch)
    responses = await asyncio.gather(*(ds.client.get("/-/ofsted/sutton") for _ in range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    assert len({r.text for r in responses}) == 1
    assert rendered == ["ofsted_authority.html"]


@pytest.mark.asyncio
async def test_keep_pages_false_renders_every_request(bundled_db, monkeypatch):
    ds, rendered = await served(Datasette(immutables=[str(bundled_db)], metadata=metadata(keep_pages=False)), monkeypatch)
    for _ in range(2):
        assert (await ds.client.get("/-/ofsted")).status_code == 200
    assert rendered == ["ofsted_index.html"] * 2


@pytest.mark.asyncio
async def test_a_commit_and_a_review_show_at_the_next_request(bundled_copy):
    """A page is kept against the data versions of both databases: another process's commit to the Ofsted database,
    or a review written to the reviews database, shows on the next page."""
    path = bundled_copy()
    reviews = create_reviews_database(path)
    ds = Datasette([str(path), str(reviews)], metadata=metadata(public_reviews=True))
    await ds.invoke_startup()
    timeline = (await ds.client.get("/-/ofsted/sutton")).text
    compared = (await ds.client.get(f"/-/ofsted/compare/{PAIR}.json")).json()
    page = (await ds.client.get(f"/-/ofsted/compare/{PAIR}")).text
    assert "Sutton (renamed)" not in timeline and "seen fixed" not in page

    _in_another_process(path, ("update authorities set name = ? where id = ?", ["Sutton (renamed)", "sutton"]))
    assert "Sutton (renamed)" in (await ds.client.get("/-/ofsted/sutton")).text

    row = next(r for r in compared["rows"] if r["status"] == "recurring")
    side = "from" if any(f["role"] == "improvement" for f in row["from"]) else "to"
    item = next(f for f in row[side] if f["role"] == "improvement")
    earlier, later = PAIR.split("...")
    with sqlite3.connect(reviews) as conn:  # as another server process would write it
        insert_review(conn, review_row("sutton", earlier, later, row, side, item, "resolved", "seen fixed", "r", now()))
    conn.close()
    assert "seen fixed" in (await ds.client.get(f"/-/ofsted/compare/{PAIR}")).text


class ActorFromHeader:
    """An authentication plugin that takes no cookie (as an API token would): the actor named in a header."""

    __name__ = "actor-from-header"

    @hookimpl
    def actor_from_request(self, datasette, request):
        name = request.headers.get(ACTOR_HEADER)
        return {"id": name} if name else None


@pytest.fixture
def actor_from_header():
    plugin = ActorFromHeader()
    pm.register(plugin, name="actor-from-header")
    try:
        yield
    finally:
        pm.unregister(name="actor-from-header")


@pytest.mark.asyncio
async def test_a_page_is_kept_for_its_actor_alone_and_permissions_come_first(bundled_db, monkeypatch, actor_from_header):
    data = metadata()
    data["databases"]["ofsted"]["allow"] = {"id": ["alice", "bob"]}
    ds, rendered = await served(Datasette(immutables=[str(bundled_db)], metadata=data), monkeypatch)
    for _ in range(2):
        alice = await ds.client.get("/-/ofsted/sutton", headers={ACTOR_HEADER: "alice"})
        assert alice.status_code == 200
    assert len(rendered) == 1
    bob = await ds.client.get("/-/ofsted/sutton", headers={ACTOR_HEADER: "bob"})
    assert bob.status_code == 200 and len(rendered) == 2, "bob was given the page made for alice"
    # Alice's page is kept, yet an actor the database does not allow, and an anonymous visitor, are refused.
    for headers in ({ACTOR_HEADER: "mallory"}, {}):
        refused = await ds.client.get("/-/ofsted/sutton", headers=headers)
        assert refused.status_code == 403 and "sutton-2013" not in refused.text
    assert rendered.count("ofsted_authority.html") == 2  # the refusals rendered Datasette's error page only


@pytest.mark.asyncio
async def test_a_page_holding_a_csrf_token_or_a_review_form_is_never_kept(bundled_copy, monkeypatch):
    """A signed-in actor's page on 0.65 holds the logout button's CSRF token; a reviewer's compare page holds the
    review form's tokens: each is made for its request, and no other request is given it."""
    path = bundled_copy()
    reviews = create_reviews_database(path)
    ds, rendered = await served(
        Datasette([str(reviews)], immutables=[str(path)], metadata=metadata(reviewers={"id": ["alice"]})), monkeypatch
    )
    alice = {"ds_actor": ds.sign({"a": {"id": "alice"}}, "actor")}
    pages = [(await ds.client.get(f"/-/ofsted/compare/{PAIR}", cookies=alice)).text for _ in range(2)]
    assert all('name="item_key"' in page for page in pages), "the reviewer's form is missing"
    assert len(rendered) == 2
    anonymous = (await ds.client.get(f"/-/ofsted/compare/{PAIR}")).text
    assert 'name="item_key"' not in anonymous and "csrftoken" not in anonymous
    assert len(rendered) == 3


@pytest.mark.asyncio
async def test_a_request_with_messages_gets_a_page_of_its_own(bundled_db, monkeypatch):
    ds, rendered = await served(make_datasette(bundled_db), monkeypatch)
    assert (await ds.client.get("/-/ofsted")).status_code == 200
    messages = {"ds_messages": ds.sign([["Review saved", 1]], "messages")}
    shown = await ds.client.get("/-/ofsted", cookies=messages)
    assert "Review saved" in shown.text and len(rendered) == 2
    assert "Review saved" not in (await ds.client.get("/-/ofsted")).text
    assert len(rendered) == 2  # the kept page, made without the message


def test_kept_pages_are_bounded_by_their_total_length():
    store = cache._Kept(100, max_size=10, size=lambda page: len(page[0]))
    for n in range(5):
        store.put(n, ("abcd", ()))
    assert list(store.held) == [3, 4] and store.held_size == 8
    store.put("huge", ("x" * 11, ()))  # larger than the whole budget: not kept, nothing dropped for it
    assert "huge" not in store.held and list(store.held) == [3, 4]
    store.drop(3)
    assert list(store.held) == [4] and store.held_size == 4


@pytest.mark.asyncio
async def test_a_page_kept_for_one_datasette_is_not_served_by_another(bundled_db):
    """Two Datasette instances in one process (a test session, an app serving two sites) render their own pages: the
    links of one with a base_url are not another's."""
    plain = make_datasette(bundled_db)
    await plain.invoke_startup()
    assert 'href="/-/ofsted/compare/sutton-2013-05-13...sutton-2016-11-14"' in (await plain.client.get("/-/ofsted/sutton")).text
    assert (await plain.client.get("/-/ofsted/national.json")).status_code == 200
    prefixed = make_datasette(bundled_db)
    prefixed._settings["base_url"] = "/prefix/"
    await prefixed.invoke_startup()
    timeline = (await prefixed.client.get("/-/ofsted/sutton")).text
    assert 'href="/prefix/-/ofsted/compare/sutton-2013-05-13...sutton-2016-11-14"' in timeline
    assert "/prefix/-/ofsted/compare/" in (await prefixed.client.get("/-/ofsted/national.json")).text
