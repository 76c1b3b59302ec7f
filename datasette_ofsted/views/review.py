"""Reviews: a reviewer confirms or changes the engine's call on an improvement; everyone sees the result.

The reviews are in the database `ofsted_reviews` (ofsted_reviews.db, served beside ofsted.db).
Writing one needs the `ofsted-review` permission. The reviewed status of a call is public: every
page, count and canned query shows it to whoever may see ofsted.db. Who reviewed, when and why
(the note, the history, the agreement page, the gold export) need leave to view the reviews table
of ofsted_reviews, as Datasette's own pages do. GET never writes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from datasette.database import Database
from datasette.utils.asgi import BadRequest, Forbidden, NotFound, Response

from ..comparisons import comparison, comparisons_within, live_comparisons
from ..databases import ofsted_database, reviews_database, reviews_held
from ..findings import CHILDRENS_SUMMARY
from ..pairs import Pair, improvement_key
from ..permissions import ask_permission, ensure_can_view
from ..reviews import (
    MAX_NOTE,
    agreement,
    apply_reviews,
    find_improvement,
    find_improvement_by_key,
    gold_pair,
    improvement_keys,
    insert_review,
    latest_reviews,
    now,
    review_row,
    status_fits_side,
    validate,
    verify_chain,
)
from ..status import LABELS, SIDE_STATUSES
from .common import _render, _rows, for_this_request_only, held_inspection, ofsted_trail, pair_in_url

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request

ACTION = "ofsted-review"
REVIEW_TEMPLATE = "_ofsted_review.html"
MAX_BODY = 16 * 1024  # a review is a status and a short note: a larger body is not one
# The signed token that ties the review form to the reviewer who opened it (Datasette 0.65, whose
# CSRF token is the same for anyone holding the cookie): its namespace for datasette.sign, and the
# form field, JSON key or header that carries it.
REVIEW_TOKEN_NAMESPACE = "ofsted-review"
REVIEW_TOKEN_FIELD = "review_token"
REVIEW_TOKEN_HEADER = "x-ofsted-review-token"
# How long a review form's token is good for: a working day with the page open.
REVIEW_TOKEN_SECONDS = 12 * 60 * 60
OUT_OF_DATE = (
    "This page is out of date: the improvement you reviewed is no longer where it was "
    "(the reports were ingested again since you opened it). Reload it and review again."
)


async def _can_see(datasette: Datasette, request: Request, rdb: Database) -> bool:
    """Whether the actor may read the reviews (the reviews database and table are visible to them)."""
    actor = request.actor if request is not None else None
    if hasattr(datasette, "allowed"):  # Datasette 1.0a20 and later: view-table implies the database's check
        from datasette.resources import TableResource

        return bool(
            await ask_permission(
                lambda: datasette.allowed(action="view-table", resource=TableResource(rdb.name, "reviews"), actor=actor)
            )
        )
    visible, _private = await ask_permission(
        lambda: datasette.check_visibility(
            actor, permissions=[("view-table", (rdb.name, "reviews")), ("view-database", rdb.name), "view-instance"]
        )
    )
    return visible


def checks_origin(datasette: Datasette) -> bool:
    """Whether this Datasette refuses cross-site writes by their origin (1.0a41 on) rather than a CSRF token."""
    import importlib.util

    return importlib.util.find_spec("datasette.csrf") is not None


async def allowed_to_review(datasette: Datasette, actor: dict | None) -> bool:
    """The `ofsted-review` permission, asked as this Datasette asks (1.0a's allowed(), else permission_allowed).

    The root actor (`--root`) may do anything on 1.0a, but reviews only when `reviewers` names it:
    a review says who made the call, and "root" names nobody.
    """
    if actor is None:
        return False
    from .. import _named_reviewer

    if actor.get("id") == "root" and not _named_reviewer(datasette, actor):
        return False
    if hasattr(datasette, "allowed"):  # Datasette 1.0a20 and later
        return bool(await datasette.allowed(action=ACTION, actor=actor))
    return bool(await datasette.permission_allowed(actor, ACTION, default=False))


async def can_review(datasette: Datasette, request: Request) -> bool:
    """Whether the actor may record reviews here: the permission, and a reviews database that takes writes."""
    actor = request.actor if request is not None else None
    rdb = reviews_database(datasette)
    if actor is None or rdb is None or not rdb.is_mutable:
        return False
    return await allowed_to_review(datasette, actor)


async def current_reviews(datasette: Datasette, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, dict]]:
    """The current review of each reviewed improvement of each (earlier, later) pair.

    Read whatever the actor may see of ofsted_reviews: what a page shows of them (the status
    alone, or with note and reviewer) is `reviewed_comparisons`'s choice.
    """
    rdb = await reviews_held(datasette)
    out: dict[tuple[str, str], dict[str, dict]] = {pair: {} for pair in pairs}
    if rdb is None or not pairs:
        return out
    # One read for every pair (a timeline asks for each consecutive pair), split by pair here.
    earlier_ids = sorted({earlier_id for earlier_id, _ in pairs})
    by_pair: dict[tuple[str, str], list[dict]] = {pair: [] for pair in pairs}
    for row in await _rows(
        rdb,
        f"select * from reviews where from_inspection_id in ({', '.join('?' * len(earlier_ids))}) order by id",
        earlier_ids,
    ):
        found = by_pair.get((row["from_inspection_id"], row["to_inspection_id"]))
        if found is not None:
            found.append(row)
    for pair, rows in by_pair.items():
        out[pair] = latest_reviews(rows)
    return out


async def reviewed_comparisons(datasette: Datasette, request: Request, db: Database, pairs: list[tuple[str, str]]) -> list[dict]:
    """The comparison of each (earlier, later) pair with the reviewers' calls laid over the engine's.

    What every page reads for a status, a count or a thread (`apply_reviews`; SQL has the same in
    `ofsted_reviewed_status`). The reviewed status is public: everyone sees the calls reviewers
    made. Who made them, when and why is shown only to an actor who may see the reviews table of
    ofsted_reviews, as Datasette's own pages would show it.
    """
    from ..cache import kept

    async def read() -> list[dict]:
        results = await db.execute_fn(lambda conn: comparisons_within(conn, pairs))
        # Each improvement's review key computed once (apply_reviews with no reviews changes nothing else).
        return [apply_reviews(result, {}, details=False) for result in results]

    # Kept while the database is the same and no pair has been compared live since (the compare page computes its
    # pair when nothing is stored): while pairs are being updated a timeline is read once, not at every request.
    results = await kept(db, ("comparisons_within", tuple(pairs), live_comparisons()), read)
    return await _overlay(datasette, request, pairs, results)


def being_updated_notice(pairs: int) -> str:
    """What a page says while some of its comparisons are being updated."""
    which, it = ("this comparison was", "it") if pairs == 1 else (f"{pairs} comparisons were", "them")
    return (
        f"Being updated: {which} stored by an older version of the engine or taxonomy (or not stored yet), "
        f"and shown as stored until ofsted-ingest compares {it} again (it does at its next run)."
    )


async def reviewed_comparisons_ready(
    datasette: Datasette, request: Request, db: Database, pairs: list[tuple[str, str]]
) -> list[dict | None]:
    """As `reviewed_comparisons`, but None for a pair that is neither current, in memory nor computed within
    this request's budget (comparisons.comparisons_within): the caller serves what is stored its own way."""
    results = await db.execute_fn(lambda conn: comparisons_within(conn, pairs, fallback=False))
    ready = [(pair, result) for pair, result in zip(pairs, results) if result is not None]
    overlaid = iter(await _overlay(datasette, request, [p for p, _ in ready], [r for _, r in ready]))
    return [next(overlaid) if result is not None else None for result in results]


async def _overlay(datasette: Datasette, request: Request, pairs: list[tuple[str, str]], results: list[dict]) -> list[dict]:
    latest = await current_reviews(datasette, pairs)
    rdb = await reviews_held(datasette)
    details = rdb is not None and any(latest.values()) and await _can_see(datasette, request, rdb)
    return [apply_reviews(result, latest[pair], details) for pair, result in zip(pairs, results)]


async def overlay_reviews(datasette: Datasette, request: Request, earlier_id: str, later_id: str, result: dict) -> dict:
    """One pair's `comparison` (the compare page has read it already) as `reviewed_comparisons` gives it."""
    return (await _overlay(datasette, request, [(earlier_id, later_id)], [result]))[0]


async def review_context(datasette: Datasette, request: Request, earlier_id: str, later_id: str) -> dict:
    """What the compare page's template needs to show reviews and, to a reviewer, the review form."""
    rdb = await reviews_held(datasette)
    allowed = await can_review(datasette, request)
    if allowed:  # the form carries a token of this actor's, good for a working day: never a kept page
        for_this_request_only("review form")
    base = Pair(earlier_id, later_id).url(datasette)
    return {
        "row_review_template": REVIEW_TEMPLATE if rdb is not None or allowed else None,
        "can_review": allowed,
        "review_csrftoken": request.scope["csrftoken"]() if allowed and "csrftoken" in request.scope else None,
        "review_token": review_token(datasette, request.actor) if allowed else None,
        "review_url": f"{base}/review",
        "review_history_url": f"{base}/reviews",
        "review_side_statuses": SIDE_STATUSES,
        "review_max_note": MAX_NOTE,
    }


async def _pair(datasette: Datasette, request: Request, db: Database) -> tuple[dict, dict]:
    earlier_id, later_id = pair_in_url(request)
    earlier, later = await held_inspection(db, earlier_id), await held_inspection(db, later_id)
    if earlier["authority_id"] != later["authority_id"] or earlier_id == later_id:
        raise BadRequest("A comparison follows one authority over time: name two of its inspections, earlier first.")
    if earlier["start_date"] > later["start_date"]:
        raise BadRequest(f"Name the earlier inspection first: {Pair(later_id, earlier_id)}.")
    return earlier, later


def review_token(datasette: Datasette, actor: dict | None) -> str:
    """A token that says the review form was opened by this actor (signed, so that nobody else can make one)."""
    return datasette.sign({"a": str((actor or {}).get("id", ""))}, REVIEW_TOKEN_NAMESPACE)


def check_review_token(datasette: Datasette, request: Request, data: dict) -> None:
    """On a Datasette that checks a CSRF token (0.65), refuse a cookie-signed review without the token of
    the form this actor opened: asgi-csrf's token is anyone's, and could be planted from a sibling site.

    A request that carries its own credentials (an Authorization header) is not one a page of another
    site can make with the reviewer's cookie, nor is any write on a Datasette that checks origins.
    """
    if checks_origin(datasette) or request.headers.get("authorization"):
        return
    token = data.get(REVIEW_TOKEN_FIELD) or request.headers.get(REVIEW_TOKEN_HEADER)
    refused = Forbidden(
        "This review form was not opened by you (or long ago): reload the comparison and review from its page."
    )
    if not isinstance(token, str):
        raise refused
    try:
        signed = datasette.unsign(token, REVIEW_TOKEN_NAMESPACE)
    except Exception:  # itsdangerous' BadSignature, whatever its form
        raise refused from None
    if not isinstance(signed, dict) or signed.get("a") != str(request.actor.get("id", "")):
        raise refused


async def bounded_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request's body, refused (400) as soon as it is larger than `limit`: by its Content-Length before
    a byte is read, and by what has arrived otherwise, so a huge body is never held whole."""
    too_large = BadRequest(
        f"A review is a status and a note of at most {MAX_NOTE} characters: this request is too large."
    )
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise BadRequest("Content-Length must be a number of bytes.")
        if int(declared) > limit:
            raise too_large
    if "_ofsted_body" in request.scope:  # read already (the body can be received once)
        return request.scope["_ofsted_body"]
    chunks, size = [], 0
    while True:
        message = await request.receive()
        if message.get("type") == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    request.scope["_ofsted_body"] = body
    return body


async def _body(request: Request) -> tuple[dict, bool]:
    """The posted review, from JSON or from the page's form, and whether it came as JSON."""
    body = await bounded_body(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)), False
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise BadRequest('Send JSON: {"finding_id": ..., "status": ..., "note": ...}') from None
    if not isinstance(data, dict):
        raise BadRequest('Send a JSON object: {"finding_id": ..., "status": ..., "note": ...}')
    return data, True


def _stored(review: dict) -> dict:
    return {
        "id": review["id"],
        "authority_id": review["authority_id"],
        "from_inspection_id": review["from_inspection_id"],
        "to_inspection_id": review["to_inspection_id"],
        "finding_id": review["finding_id"],
        "item_key": review["item_key"],
        "side": review["side"],
        "status": review["status"],
        "auto_status": review["auto_status"],
        "note": review["note"],
        "actor": review["actor_id"],
        "at": review["at"],
    }


async def review(datasette: Datasette, request: Request) -> Response:
    """POST /-/ofsted/compare/<from>...<to>/review: record a reviewer's call on one improvement."""
    db = await ofsted_database(datasette, request)
    if request.method != "POST":
        return Response.json(
            {"ok": False, "error": "POST a review here; its history is at …/reviews"},
            status=405,
            headers={"allow": "POST"},
        )
    if not await allowed_to_review(datasette, request.actor):
        raise Forbidden("Only reviewers may record a review: the plugin setting `reviewers` names them.")
    rdb = reviews_database(datasette)
    if rdb is None or not rdb.is_mutable:
        raise Forbidden("Reviews cannot be recorded: serve ofsted_reviews.db (not immutable) beside ofsted.db.")
    earlier, later = await _pair(datasette, request, db)
    data, as_json = await _body(request)
    check_review_token(datasette, request, data)
    status, note, finding_id, item_key = _call_posted(data)
    result = await db.execute_fn(lambda conn: comparison(conn, earlier["id"], later["id"]))
    found = _improvement_reviewed(result, finding_id, item_key, Pair(earlier["id"], later["id"]))
    if found is None:
        return Response.json({"ok": False, "error": OUT_OF_DATE}, status=409)
    row, side, finding = found
    if not status_fits_side(status, side):
        which = "an earlier" if side == "from" else "a later"
        raise BadRequest(
            f"{status!r} cannot apply to an improvement of {which} inspection: "
            f"give one of {', '.join(SIDE_STATUSES[side])}."
        )
    new = review_row(
        earlier["authority_id"],
        earlier["id"],
        later["id"],
        row,
        side,
        finding,
        status,
        note,
        str(request.actor.get("id", "")),
        now(),
    )
    stored = await rdb.execute_write_fn(lambda conn: insert_review(conn, new), block=True)
    if as_json:
        return Response.json(_stored(stored))
    page = Pair(earlier["id"], later["id"]).url(datasette)
    return Response.redirect(f"{page}#review-{finding_id}")


def _call_posted(data: dict) -> tuple[str, str, str, str]:
    """The status, note, finding id and item key a review form or JSON body gives; BadRequest, saying which, if not."""
    try:
        status, note = validate(data.get("status"), data.get("note"))
    except ValueError as error:
        raise BadRequest(str(error)) from None
    finding_id, item_key = data.get("finding_id"), data.get("item_key")
    if not isinstance(finding_id, str) or not finding_id:
        raise BadRequest("finding_id must name an improvement of either inspection (a findings id).")
    if not isinstance(item_key, str) or not item_key:
        raise BadRequest(
            "item_key must be the key of the improvement you reviewed, as the comparison gives it "
            "(each improvement's item_key in its .json): it makes sure the review lands on the text you read."
        )
    return status, note, finding_id, item_key


def _improvement_reviewed(result: dict, finding_id: str, item_key: str, pair: Pair) -> tuple | None:
    """(row, side, finding) of the improvement a review names; None when the page the reviewer read is out of date
    (its id and key no longer name the same text); BadRequest when the pair has no such improvement."""
    by_id = find_improvement(result, finding_id)
    found = find_improvement_by_key(result, item_key)
    if by_id is None and found is None:
        raise BadRequest(f"{finding_id[:120]!r} is not an improvement of {pair.earlier} or {pair.later}.")
    if found is None or by_id is None or improvement_key(by_id[2]) != item_key:
        return None
    return found


async def viewable_reviews(datasette: Datasette, request: Request) -> Database:
    """The reviews database, for pages that show who reviewed and why: 404 when none is served, 403 when the
    actor may not see its reviews table."""
    rdb = reviews_database(datasette)
    if rdb is None:
        raise NotFound("No reviews are kept here: serve ofsted_reviews.db beside ofsted.db.")
    await ensure_can_view(datasette, request, rdb.name, ["reviews"])
    return rdb


async def _finding(db: Database, finding_id: str) -> dict:
    found = await _rows(db, "select id, document_id, text from findings where id = ?", [finding_id])
    if not found:
        raise NotFound(f"No finding {finding_id[:120]!r} in this database.")
    return found[0]


async def _history_entries(db: Database, rdb: Database, pair: Pair, finding: dict | None) -> list[dict]:
    """The pair's reviews (of one improvement when `finding` is given), newest first, each saying whether its
    improvement is still in the comparison (`orphaned` when the reports were read again and its text changed)."""
    sql, params = "select * from reviews where from_inspection_id = ? and to_inspection_id = ?", list(pair)
    if finding is not None:
        sql += " and item_key = ?"
        params.append(improvement_key(finding))
    reviews = await _rows(rdb, sql + " order by id desc", params) if await rdb.table_exists("reviews") else []
    result = await db.execute_fn(lambda conn: comparison(conn, pair.earlier, pair.later))
    present = improvement_keys(result)
    return [
        _stored(r)
        | {"finding_text": r["finding_text"], "themes": (r["themes"] or "").split(), "orphaned": r["item_key"] not in present}
        for r in reviews
    ]


async def history(datasette: Datasette, request: Request) -> Response:
    """Every review of a comparison, newest first, or of one improvement (?finding_id=), in HTML or JSON."""
    db = await ofsted_database(datasette, request)
    earlier, later = await _pair(datasette, request, db)
    rdb = await viewable_reviews(datasette, request)
    pair = Pair(earlier["id"], later["id"])
    finding_id = request.args.get("finding_id") or ""
    finding = await _finding(db, finding_id) if finding_id else None
    entries = await _history_entries(db, rdb, pair, finding)
    chain = await rdb.execute_fn(verify_chain)
    if request.url_vars.get("format") == ".json":
        return Response.json(
            {
                "from": earlier["id"],
                "to": later["id"],
                "finding_id": finding_id or None,
                "reviews": entries,
                "orphaned": sum(e["orphaned"] for e in entries),
                "audit_trail": chain,
            }
        )
    return await _render(
        datasette,
        request,
        "ofsted_review_history.html",
        {
            "earlier": earlier,
            "later": later,
            "finding": finding,
            "reviews": entries,
            "chain": chain,
            "compare_url": pair.url(datasette),
            "json_url": pair.url(datasette, "/reviews.json")
            + (f"?finding_id={finding_id}" if finding_id else ""),
        },
        trail=ofsted_trail(
            datasette,
            (earlier["authority_name"], datasette.urls.path(f"/-/ofsted/{earlier['authority_id']}")),
            ("Comparison", pair.url(datasette)),
        ),
    )


async def agreement_page(datasette: Datasette, request: Request) -> Response:
    """/-/ofsted/reviews: how often reviewers confirmed the engine's calls and how often they changed them."""
    db = await ofsted_database(datasette, request)
    rdb = await viewable_reviews(datasette, request)
    current = await _rows(rdb, "select * from current_reviews order by id") if await rdb.table_exists("reviews") else []
    summary = agreement(current)
    theme_names = {r["id"]: r["name"] for r in await _rows(db, "select id, name from themes")}
    for entry in summary["by_theme"]:
        entry["name"] = theme_names.get(entry["theme"], entry["theme"])
    pairs: dict[tuple[str, str], dict] = {}
    for r in current:
        pair = pairs.setdefault(
            (r["from_inspection_id"], r["to_inspection_id"]),
            {
                "authority_id": r["authority_id"],
                "from": r["from_inspection_id"],
                "to": r["to_inspection_id"],
                "reviewed": 0,
                "confirmed": 0,
            },
        )
        pair["reviewed"] += 1
        pair["confirmed"] += r["status"] == (r["auto_status"] or r["status"])
    for pair in pairs.values():
        pair["changed"] = pair["reviewed"] - pair["confirmed"]
        pair["compare_url"] = Pair(pair["from"], pair["to"]).url(datasette)
        pair["gold_url"] = Pair(pair["from"], pair["to"]).gold_url(datasette)
    summary["pairs"] = sorted(pairs.values(), key=lambda p: (p["authority_id"], p["from"]))
    if request.url_vars.get("format") == ".json":
        return Response.json(summary)
    return await _render(
        datasette,
        request,
        "ofsted_reviews.html",
        {"summary": summary, "json_url": datasette.urls.path("/-/ofsted/reviews.json"), "labels": LABELS},
        trail=ofsted_trail(datasette),
    )


async def gold_export(datasette: Datasette, request: Request) -> Response:
    """/-/ofsted/reviews/<from>...<to>.json: a comparison's current reviews as a gold file for ingest.evaluate."""
    db = await ofsted_database(datasette, request)
    earlier, later = await _pair(datasette, request, db)
    rdb = await viewable_reviews(datasette, request)
    current = (
        await _rows(
            rdb,
            "select * from current_reviews where from_inspection_id = ? and to_inspection_id = ? order by id",
            [earlier["id"], later["id"]],
        )
        if await rdb.table_exists("reviews")
        else []
    )

    def described(inspection: dict) -> dict:
        main = [d for d in inspection["documents"] if d["kind"] != CHILDRENS_SUMMARY] or inspection["documents"]
        return {
            "source": main[0]["file_name"] if main else None,
            "start_date": inspection["start_date"],
            "type": inspection["inspection_type"],
        }

    gold = gold_pair(earlier["authority_id"], described(earlier), described(later), current)
    name = f"{earlier['authority_id']}_{earlier['start_date']}_{later['start_date']}.json"
    return Response.json(gold, headers={"content-disposition": f'inline; filename="{name}"'})


def routes() -> list[tuple[str, object]]:
    """The routes of the review pages, registered before the authority page's catch-all."""
    pair = r"(?P<pair>[^/]*?)"
    return [
        (rf"^/-/ofsted/compare/{pair}/review$", review),
        (rf"^/-/ofsted/compare/{pair}/reviews(?P<format>\.json)?$", history),
        (r"^/-/ofsted/reviews(?P<format>\.json)?$", agreement_page),
        (rf"^/-/ofsted/reviews/{pair}\.json$", gold_export),
    ]
