"""Reviews are private by default: who reviewed, when and why are for reviewers (and `review_readers`);
the reviewed status is for everyone. Checked through every route the plugin registers, Datasette's own
table, view, download and `?sql=` pages of ofsted_reviews, and its metadata and config pages, on
whichever Datasette line runs the suite (CI runs it on 0.65.x and 1.0a41).
"""

from __future__ import annotations

import pytest
from datasette.app import Datasette
from test_reviews import (  # noqa: F401 (fixtures)
    ORIGIN_CHECKED,
    PAIR,
    actor_cookie,
    comparison,
    improvement,
    metadata,
    post_review,
    reviews_db,
    serve,
    signed_in,
    sutton_db,
)

from datasette_ofsted.routes import EXAMPLE_PAIR, examples

NOTE = "kept-between-us-7f3a"
# Names no page says otherwise (the README, shown at /-/ofsted/about, speaks of alice and bob).
ANN, BEN = "ann-qa-7f3a", "ben-qa-7f3a"
# The reviewers named as the README says: in an environment variable, which Datasette resolves for the
# plugin and never shows on /-/metadata.json (0.65) or /-/config.json (1.0a).
REVIEWERS_ENV = "OFSTED_TEST_REVIEWERS"
# Datasette's own pages of the reviews database: its table and view in each format, the download,
# and `?sql=` (0.65's /db?sql=, which 1.0a redirects to /db/-/query).
DATASETTE_PAGES = [
    "/ofsted_reviews",
    "/ofsted_reviews.json",
    "/ofsted_reviews/reviews",
    "/ofsted_reviews/reviews.json",
    "/ofsted_reviews/reviews.csv",
    "/ofsted_reviews/reviews/1.json",
    "/ofsted_reviews/current_reviews",
    "/ofsted_reviews/current_reviews.json",
    "/ofsted_reviews/current_reviews.csv",
    "/ofsted_reviews.db",
    "/ofsted_reviews.json?sql=select+note,+actor_id,+at+from+reviews",
    "/ofsted_reviews/-/query.json?sql=select+note,+actor_id,+at+from+reviews",
    "/-/metadata.json",
    "/-/config.json",
    "/-/databases.json",
    "/.json",
]


def secret_settings(monkeypatch, **more):
    """The plugin's settings as the README gives them: the reviewers from the environment."""
    monkeypatch.setenv(REVIEWERS_ENV, f"id: [{ANN}, {BEN}]")

    def change(data: dict) -> None:
        data["plugins"]["datasette-ofsted"] = {"reviewers": {"$env": REVIEWERS_ENV}, **more}

    return change


async def reviewed(sutton_db, reviews_db, monkeypatch, **settings):  # noqa: F811
    """A Datasette with one review by ANN (its note NOTE), and the review as stored."""
    ds = await serve(sutton_db, reviews_db, change=secret_settings(monkeypatch, **settings))
    finding = improvement(await comparison(ds, actor_cookie(ds, ANN)), "recurring")
    cookies, headers = await signed_in(ds, ANN)
    response = await post_review(ds, cookies, headers, finding["id"], "resolved", NOTE)
    assert response.status_code == 200, response.text
    return ds, response.json()


def every_page() -> list[str]:
    pair_pages = [p for p in examples() if EXAMPLE_PAIR in p]
    return [*examples(), *pair_pages, *DATASETTE_PAGES]


async def shown_to(ds, cookies: dict) -> dict[str, str]:
    """Each page's body (after redirects) as this actor sees it."""
    out = {}
    for path in every_page():
        response = await ds.client.get(path, cookies=cookies, follow_redirects=True)
        out[path] = response.content.decode("utf-8", "replace")
    return out


@pytest.mark.asyncio
async def test_anonymous_visitors_see_the_reviewed_status_and_nothing_of_who_when_or_why(
    sutton_db,  # noqa: F811
    reviews_db,  # noqa: F811
    monkeypatch,
):
    ds, stored = await reviewed(sutton_db, reviews_db, monkeypatch)
    pages = await shown_to(ds, {})
    for path, body in pages.items():
        assert NOTE not in body, path
        assert ANN not in body and BEN not in body, path
        assert stored["at"] not in body and stored["at"][:16] not in body, path
    # The status stays public: the row is resolved for everyone, by a reviewer nobody is told of.
    data = await comparison(ds)
    [row] = [r for r in data["rows"] if r["review"]]
    assert row["status"] == "resolved" and row["review"] == {
        "status": "resolved",
        "note": None,
        "actor": None,
        "at": None,
    }
    assert "by a reviewer" in pages[PAIR]
    # Datasette's own pages of the reviews database refuse, rather than show an empty table.
    for path in ("/ofsted_reviews/reviews.json", "/ofsted_reviews/current_reviews.json", "/ofsted_reviews.db"):
        assert (await ds.client.get(path)).status_code == 403, path
    # A signed-in actor who is not a reviewer is anonymous here; so is root (--root) unless named.
    for outsider in ("mallory", "root"):
        text = (await ds.client.get(PAIR + ".csv", cookies=actor_cookie(ds, outsider))).text
        assert ANN not in text and NOTE not in text, outsider


@pytest.mark.asyncio
async def test_a_reviewer_and_the_named_readers_see_them(sutton_db, reviews_db, monkeypatch):  # noqa: F811
    ds, stored = await reviewed(sutton_db, reviews_db, monkeypatch, review_readers={"id": "quality-team"})
    for who in (BEN, "quality-team"):
        cookies = actor_cookie(ds, who)
        data = await comparison(ds, cookies)
        [row] = [r for r in data["rows"] if r["review"]]
        assert row["review"]["actor"] == ANN and row["review"]["note"] == NOTE and row["review"]["at"] == stored["at"]
        assert f"by {ANN} on" in (await ds.client.get(PAIR, cookies=cookies)).text
        assert NOTE in (await ds.client.get(f"{PAIR}/reviews.json", cookies=cookies)).text
        table = await ds.client.get("/ofsted_reviews/current_reviews.json?_shape=array", cookies=cookies)
        assert table.status_code == 200 and [r["note"] for r in table.json()] == [NOTE], who


@pytest.mark.asyncio
async def test_public_reviews_makes_them_public(sutton_db, reviews_db, monkeypatch):  # noqa: F811
    ds, _stored = await reviewed(sutton_db, reviews_db, monkeypatch, public_reviews=True)
    data = await comparison(ds)
    [row] = [r for r in data["rows"] if r["review"]]
    assert row["review"]["actor"] == ANN and row["review"]["note"] == NOTE
    assert (await ds.client.get("/ofsted_reviews/reviews.json")).status_code == 200
    assert NOTE in (await ds.client.get("/-/ofsted/reviews/sutton-2013-05-13...sutton-2018-06-26.json")).text
    # ... but the reviewers' list stays out of the metadata and config pages even then.
    for path in ("/-/metadata.json", "/-/config.json"):
        assert ANN not in (await ds.client.get(path)).text, path


@pytest.mark.asyncio
async def test_root_signed_in_with_root_sees_them_only_when_named(sutton_db, reviews_db, monkeypatch):  # noqa: F811
    """`datasette --root` signs in as root, who on 1.0a may do everything else; not read the reviews, unless
    named among the reviewers (README)."""
    ds, _stored = await reviewed(sutton_db, reviews_db, monkeypatch)
    ds.root_enabled = True  # what --root sets on 1.0a (0.65 grants root nothing here either way)
    root = actor_cookie(ds, "root")
    assert (await ds.client.get("/ofsted_reviews/reviews.json", cookies=root)).status_code == 403
    [row] = [r for r in (await comparison(ds, root))["rows"] if r["review"]]
    assert row["review"]["actor"] is None and row["review"]["note"] is None
    monkeypatch.setenv(REVIEWERS_ENV, f"id: [{ANN}, root]")
    assert (await ds.client.get("/ofsted_reviews/reviews.json", cookies=root)).status_code == 200
    [row] = [r for r in (await comparison(ds, root))["rows"] if r["review"]]
    assert row["review"]["actor"] == ANN and row["review"]["note"] == NOTE


@pytest.mark.asyncio
async def test_crossdb_sql_cannot_reach_the_reviews(sutton_db, reviews_db, monkeypatch):  # noqa: F811
    """With --crossdb every database is attached to _memory, whose `?sql=` would read the reviews."""
    _ds, _stored = await reviewed(sutton_db, reviews_db, monkeypatch)
    data = metadata(change=secret_settings(monkeypatch))
    ds = Datasette([str(reviews_db)], immutables=[str(sutton_db)], metadata=data, crossdb=True)
    ds._settings["default_allow_sql"] = True  # 1.0a41 allows no SQL by default: the deny must be the plugin's
    await ds.invoke_startup()
    sql = {"sql": "select note from ofsted_reviews.reviews", "_shape": "array"}
    path = "/_memory/-/query.json" if ORIGIN_CHECKED else "/_memory.json"
    assert (await ds.client.get(path, params=sql)).status_code == 403
    allowed = await ds.client.get(path, params=sql, cookies=actor_cookie(ds, ANN))
    assert allowed.status_code == 200 and NOTE in allowed.text
