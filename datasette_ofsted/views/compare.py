"""The comparison of two inspections, in HTML, JSON and CSV."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from datasette.utils.asgi import BadRequest, NotFound, Response

from .. import cache
from ..align import STATUSES
from ..cache import kept_comparison
from .common import (
    ID,
    MAX_ID,
    STATUS_HELP,
    STATUS_ORDER,
    _render,
    _rows,
    csv_response,
    document_href,
    held_inspection,
    highlight,
    ofsted_database,
    ofsted_trail,
    page_href,
    with_links,
)
from .document import on_disk
from .review import _can_see, _reviews_held, being_updated_notice, current_reviews, overlay_reviews, review_context


def _parse_pair(pair: str) -> tuple[str, str]:
    if len(pair) > 2 * MAX_ID + 3:
        raise NotFound("That comparison URL is too long: it should name two inspection ids, earlier first.")
    if "..." not in pair:
        raise NotFound(
            "A comparison names two inspections: /-/ofsted/compare/<earlier id>...<later id>, "
            "for example /-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26."
        )
    earlier, later = pair.split("...", 1)
    for inspection_id in (earlier, later):
        if not ID.fullmatch(inspection_id):
            raise NotFound(
                f"{inspection_id[:80]!r} is not an inspection id: ids look like 'sutton-2013-05-13' "
                "(the authority, then the first day of the inspection)."
            )
    return earlier, later


async def previous_inspection_actions(datasette, database: str, request) -> list[dict]:
    db = datasette.get_database(database)
    authority_id = request.args.get("authority_id") if request else None
    if authority_id:
        rows = await _rows(
            db, "select id from inspections where authority_id = ? order by start_date desc limit 2", [authority_id]
        )
        if len(rows) == 2:
            return [
                {
                    "href": datasette.urls.path(f"/-/ofsted/compare/{rows[1]['id']}...{rows[0]['id']}"),
                    "label": "Compare with the previous inspection",
                }
            ]
    return [
        {
            "href": datasette.urls.path("/-/ofsted"),
            "label": "Compare with the previous inspection (choose an authority)",
        }
    ]


async def compare_form(datasette, request):
    """The form's GET target: /-/ofsted/compare?from=..&to=.. redirects to the comparison."""
    await ofsted_database(datasette, request)
    earlier, later = request.args.get("from", ""), request.args.get("to", "")
    if not earlier or not later:
        raise BadRequest("Choose two inspections to compare (from and to).")
    _parse_pair(f"{earlier}...{later}")
    return Response.redirect(datasette.urls.path(f"/-/ofsted/compare/{earlier}...{later}"))


def _row_stems(row: dict) -> set[str]:
    stems: set[str] = set()
    for side in ("from", "to"):
        for finding in row[side]:
            stems.update(finding.get("matched_stems") or ())
    return stems


async def compare(datasette, request):
    db = await ofsted_database(datasette, request)
    pair, fmt = request.url_vars["pair"], request.url_vars.get("format") or ""
    earlier_id, later_id = _parse_pair(pair)
    earlier, later = await held_inspection(db, earlier_id), await held_inspection(db, later_id)
    if earlier["authority_id"] != later["authority_id"]:
        raise BadRequest(
            f"{earlier_id} and {later_id} are inspections of different authorities: a comparison follows one "
            "authority over time."
        )
    if earlier_id == later_id:
        raise BadRequest("Choose two different inspections to compare.")
    if earlier["start_date"] > later["start_date"]:
        query = f"?{request.query_string}" if request.query_string else ""
        return Response.redirect(datasette.urls.path(f"/-/ofsted/compare/{later_id}...{earlier_id}{fmt}") + query)

    status_filter = request.args.get("status") or ""
    theme_filter = request.args.get("theme") or ""
    if status_filter and status_filter not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
    if theme_filter and not await _rows(db, "select 1 from themes where id = ?", [theme_filter]):
        raise BadRequest(f"No theme '{theme_filter}': see the themes table for their ids.")
    order = request.args.get("order") or ""
    if order and order not in ORDERS:
        raise BadRequest(f"order must be one of {', '.join(ORDERS)}")
    result = await kept_comparison(db, earlier_id, later_id)
    board = await lscb_recommendations(db, earlier_id, later_id)
    if fmt == ".json":
        return await _json(datasette, request, db, (earlier, later), result, (status_filter, theme_filter, order), board)
    result = await overlay_reviews(datasette, request, earlier_id, later_id, result)
    rows = _filtered(result["rows"], status_filter, theme_filter, order)
    if fmt == ".csv":
        return csv_response(
            f"compare-{earlier_id}...{later_id}.csv", CSV_HEADER, _csv(rows, await sentence_stances(db, rows))
        )

    theme_names = {r["id"]: r["name"] for r in await _rows(db, "select id, name from themes")}
    documents = [d for i in (earlier, later) for d in i["documents"]]
    served = await on_disk(db, documents)
    sources = {d["id"]: document_href(datasette, d, served) for d in documents}
    said = await sentence_stances(db, rows)
    for row in rows:
        present(row, said)
        stems = _row_stems(row)
        for side in ("from", "to"):
            for finding in row[side]:
                own = set(finding.get("matched_stems") or ()) if finding["role"] != "improvement" else stems
                finding["html"] = highlight(finding["text"], own)
                if finding.get("sentence") and finding["sentence"] != finding["text"]:
                    finding["sentence_html"] = highlight(finding["sentence"], own)
                finding["url"] = datasette.urls.row(db.name, "findings", finding["id"])
                finding["page_url"] = page_href(sources.get(finding.get("document_id")), finding.get("page"))
    others = await _rows(
        db,
        "select id, inspection_type, start_date from inspections where authority_id = ? order by start_date",
        [earlier["authority_id"]],
    )
    base = datasette.urls.path(f"/-/ofsted/compare/{earlier_id}...{later_id}")
    query = urlencode({k: v for k, v in (("status", status_filter), ("theme", theme_filter), ("order", order)) if v})
    for inspection in (earlier, later):
        inspection["documents"] = with_links(inspection["documents"], datasette, served)
    timeline_url = datasette.urls.path(f"/-/ofsted/{earlier['authority_id']}")
    return await _render(
        datasette,
        request,
        "ofsted_compare.html",
        {
            "earlier": earlier,
            "later": later,
            "rows": rows,
            # "Check these first": one list, the rows most likely wrong at the top; otherwise a list per status.
            "groups": [("check", rows)]
            if order == "check"
            else [(s, [r for r in rows if r["status"] == s]) for s in STATUS_ORDER],
            "order": order,
            "summary": summary(result["rows"], theme_names),
            "counts": result["counts"],
            "total": len(result["rows"]),
            "status_filter": status_filter,
            "theme_filter": theme_filter,
            "theme_names": theme_names,
            "status_help": STATUS_HELP,
            "statuses": STATUS_ORDER,
            "inspections": others,
            "base": base,
            "json_url": f"{base}.json" + (f"?{query}" if query else ""),
            "csv_url": f"{base}.csv" + (f"?{query}" if query else ""),
            "ofsted_json_url": f"{base}.json" + (f"?{query}" if query else ""),
            "timeline_url": timeline_url,
            "lscb_recommendations": board,
            "database": db.name,
            "being_updated": being_updated_notice(1) if result.get("being_updated") else None,
            # The review block of each row (its template in row_review_template), for reviewers a form.
            **await review_context(datasette, request, earlier_id, later_id),
        },
        trail=ofsted_trail(datasette, (earlier["authority_name"], timeline_url)),
    )


async def lscb_recommendations(db, earlier_id: str, later_id: str) -> dict[str, list[dict]]:
    """Each side's LSCB recommendations (a joint report's board part): the board's, not the
    authority's, so shown apart from the comparison and never in its rows."""
    found = await _rows(
        db,
        "select inspection_id, id, text, page, paragraph from findings "
        "where inspection_id in (?, ?) and about = 'LSCB' and kind = 'improvement' order by document_id, ordinal",
        [earlier_id, later_id],
    )
    return {
        side: [
            {k: r[k] for k in ("id", "text", "page", "paragraph")} for r in found if r["inspection_id"] == inspection
        ]
        for side, inspection in (("from", earlier_id), ("to", later_id))
    }


def _filtered(rows: list[dict], status_filter: str, theme_filter: str, order: str = "") -> list[dict]:
    """The rows the filters keep, in the order asked for (`?order=check`: the rows to check first)."""
    kept = [
        row
        for row in rows
        if (not status_filter or row["status"] == status_filter) and (not theme_filter or theme_filter in row["themes"])
    ]
    if order == "check":
        kept.sort(key=check_first)
    return kept


async def _json(
    datasette, request, db, pair: tuple[dict, dict], result: dict, filters: tuple[str, str, str], board: dict
):
    """The comparison's JSON, its text kept while neither the database nor the reviews change.

    Encoding a long comparison (150 kB) was a third of a request's time. What it shows of reviews depends on the
    actor only when the pair has a review (who, when and why, for those who may read them): then the key says so.
    """
    earlier, later = pair
    status_filter, theme_filter, order = filters
    earlier_id, later_id = earlier["id"], later["id"]
    rdb = await _reviews_held(datasette)
    reviewed = rdb is not None and any((await current_reviews(datasette, [(earlier_id, later_id)])).values())
    details = reviewed and rdb is not None and await _can_see(datasette, request, rdb)

    async def text() -> str:
        overlaid = await overlay_reviews(datasette, request, earlier_id, later_id, result)
        body = {
            "from": earlier,
            "to": later,
            "counts": overlaid["counts"],
            "filters": {"status": status_filter or None, "theme": theme_filter or None, "order": order or None},
            "rows": _filtered(overlaid["rows"], status_filter, theme_filter, order),
            "being_updated": being_updated_notice(1) if overlaid.get("being_updated") else None,
            "lscb_recommendations": board,
        }
        return json.dumps(body)

    key = ("compare.json", earlier_id, later_id, filters, details)
    return Response(await cache.kept(db, key, text, (rdb,)), content_type="application/json; charset=utf-8")


SQL_VARIABLES = 500  # ids a query binds at once, under SQLite's oldest limit of 999

# The engine's own confidence (0..1): a row it does not ask to check is "clear" from CLEAR_CALL up, "fair" below.
# The engine's fitted confidence runs from about 0.8 to 0.97; 0.9 splits its rows about in half.
CLEAR_CALL = 0.9
# Why the engine asks for a check (`why.check`), in words.
CHECK_WORDS = {"mixed": "mixed evidence: check this", "weak": "a close call: check this"}
# A stored row from before the engine gave a confidence: its similarity score, where MATCH (0.32) is the line.
SCORE_WORDS = ((0.55, "a clear call"), (0.4, "a fair call"), (0.0, CHECK_WORDS["weak"]))
STANCE_OF_POLARITY = {"negative": "criticises", "positive": "praises"}
STANCE_OF_SENTENCE = {-1: "criticises", 1: "praises", 0: "neutral"}  # finding_sentences.polarity
# Which way a finding points for each status: criticism is evidence that a concern recurs, praise that it was resolved.
SUPPORTS = {"recurring": "criticises", "resolved": "praises"}


# ?order=check puts the rows a reviewer should check first (needs_review, least confident first); reviewed rows
# go last, a person has checked them already.
ORDERS = ("check",)


def check_first(row: dict) -> tuple:
    confidence = row.get("confidence")
    return (bool(row.get("review")), not row.get("needs_review"), 1.0 if confidence is None else float(confidence))


def confidence_words(row: dict) -> str:
    """The confidence in plain words: how sure the comparison is of this row's status, and why to check it."""
    check = (row.get("why") or {}).get("check")
    if row.get("needs_review"):
        return CHECK_WORDS.get(check or "weak", CHECK_WORDS["weak"])
    if row.get("confidence") is not None:
        return "a clear call" if float(row["confidence"]) >= CLEAR_CALL else "a fair call"
    value = float(row.get("score") or 0.0)
    return next(text for floor, text in SCORE_WORDS if value >= floor)


async def sentence_stances(db, rows: list[dict]) -> dict[tuple[str, str], str]:
    """What each evidence sentence says (criticises, praises, neutral), as classified at ingest.

    A paragraph can praise one thing and criticise the next: the sentence that matched decides the
    stance, not the paragraph's overall polarity. Used until the engine gives each finding its stance.
    """
    wanted = {(f["id"], f.get("sentence")) for row in rows for side in ("from", "to") for f in row[side]}
    ids = sorted({finding_id for finding_id, sentence in wanted if sentence})
    out: dict[tuple[str, str], str] = {}
    for start in range(0, len(ids), SQL_VARIABLES):
        chunk = ids[start : start + SQL_VARIABLES]
        for r in await _rows(
            db,
            f"select finding_id, text, polarity from finding_sentences where finding_id in ({','.join('?' for _ in chunk)})",
            chunk,
        ):
            if (r["finding_id"], r["text"]) in wanted:
                out[(r["finding_id"], r["text"])] = STANCE_OF_SENTENCE.get(r["polarity"], "neutral")
    return out


def stance(finding: dict, status: str, said: dict[tuple[str, str], str] | None = None) -> str | None:
    """'for' when the evidence supports the row's status, 'against' when it points the other way, None for neither."""
    wanted = SUPPORTS.get(status)
    if wanted is None or finding.get("role") != "evidence":
        return None
    said_here = finding.get("stance") or (said or {}).get((finding["id"], finding.get("sentence") or ""))
    its_stance = said_here or STANCE_OF_POLARITY.get(finding.get("polarity") or "", "neutral")
    if its_stance == "neutral":
        return None
    return "for" if its_stance == wanted else "against"


def present(row: dict, said: dict[tuple[str, str], str] | None = None) -> None:
    """Sets row["view"]: per side, the findings shown (improvements, then the deciding evidence) and those folded.

    The engine lists evidence best first (the words shared, then the polarity that decides); the first is
    the one that decided the status, the rest are shown on request.
    """
    # A reviewer's call replaces the engine's: the engine's confidence no longer describes the status shown.
    engine_call = not row.get("review")
    # A silent row (not revisited, new) that the engine asks to check says so too.
    shown = row["status"] in SUPPORTS or row.get("needs_review")
    row["confidence_words"] = confidence_words(row) if engine_call and shown else None
    view = {}
    for side in ("from", "to"):
        evidence = [f for f in row[side] if f["role"] == "evidence"]
        for finding in evidence:
            finding["weighs"] = stance(finding, row["status"], said)
        shown = [f for f in row[side] if f["role"] != "evidence"] + evidence[:1]
        view[side] = {"shown": shown, "folded": evidence[1:]}
    row["view"] = view


def summary(rows: list[dict], theme_names: dict[str, str]) -> list[dict]:
    """Statuses by theme over the whole comparison: a theme a line, most rows first."""
    by_theme: dict[str, dict[str, int]] = {}
    for row in rows:
        for theme in row["themes"]:
            by_theme.setdefault(theme, dict.fromkeys(STATUS_ORDER, 0))[row["status"]] += 1
    lines: list[dict[str, Any]] = [
        {"id": t, "name": theme_names.get(t, t), "counts": c, "total": sum(c.values())} for t, c in by_theme.items()
    ]
    lines.sort(key=lambda line: (-line["counts"]["recurring"], -line["total"], line["name"]))
    return lines


CSV_HEADER = (
    "row",
    "status",
    "auto_status",
    "confidence",
    "needs_review",
    "deciding_evidence_stance",
    "reviewed_by",
    "reviewed_at",
    "review_note",
    "score",
    "themes",
    "side",
    "role",
    "finding_id",
    "kind",
    "polarity",
    "section",
    "page",
    "paragraph",
    "text",
)


def deciding_stance(row: dict, said: dict[tuple[str, str], str]) -> str | None:
    """'for' or 'against' the row's status, as the page's badge says it, of the evidence that decided it: the first
    (best) evidence of the later report, else of the earlier; None when there is none or it says neither."""
    for side in ("to", "from"):
        evidence = [f for f in row[side] if f["role"] == "evidence"]
        if evidence:
            return stance(evidence[0], row["status"], said)
    return None


def _csv(rows: list[dict], said: dict[tuple[str, str], str]) -> list[list]:
    """A line per finding of each row, the row's call repeated on each. The review note is in `row["review"]` only
    where the viewer may see notes (reviewed_comparisons' gate), so the CSV shows exactly what the page does."""
    lines = []
    for number, row in enumerate(rows, 1):
        review = row.get("review") or {}
        call = [
            number,
            row["status"],
            row.get("auto_status", row["status"]),
            row.get("confidence"),
            None if row.get("needs_review") is None else int(bool(row["needs_review"])),
            deciding_stance(row, said),
            review.get("actor"),
            review.get("at"),
            review.get("note"),
            row["score"],
            "; ".join(row["themes"]),
        ]
        for side in ("from", "to"):
            for finding in row[side]:
                lines.append(
                    call
                    + [
                        side,
                        finding["role"],
                        finding["id"],
                        finding["kind"],
                        finding["polarity"],
                        finding["section"],
                        finding.get("page"),
                        finding.get("paragraph"),
                        finding["text"],
                    ]
                )
    return lines
