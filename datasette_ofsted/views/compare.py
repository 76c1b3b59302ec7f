"""The comparison of two inspections, in HTML, JSON and CSV."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from datasette.utils.asgi import BadRequest, NotFound, Response
from markupsafe import Markup, escape

from .. import cache
from ..align import STANCES
from ..cache import kept_comparison
from ..databases import ofsted_database, reviews_held
from ..pairs import InvalidPair, Pair
from ..status import HELP, STATUSES, Status, zero_counts
from .common import (
    _render,
    _rows,
    csv_response,
    document_href,
    held_inspection,
    highlight,
    kept_page,
    ofsted_trail,
    on_disk,
    page_href,
    pair_in_url,
    with_links,
)
from .review import _can_see, being_updated_notice, current_reviews, overlay_reviews, review_context


async def previous_inspection_actions(datasette: Datasette, database: str, request: Request) -> list[dict]:
    db = datasette.get_database(database)
    authority_id = request.args.get("authority_id") if request else None
    if authority_id:
        rows = await _rows(
            db, "select id from inspections where authority_id = ? order by start_date desc limit 2", [authority_id]
        )
        if len(rows) == 2:
            return [
                {
                    "href": Pair(rows[1]["id"], rows[0]["id"]).url(datasette),
                    "label": "Compare with the previous inspection",
                }
            ]
    return [
        {
            "href": datasette.urls.path("/-/ofsted"),
            "label": "Compare with the previous inspection (choose an authority)",
        }
    ]


async def compare_form(datasette: Datasette, request: Request) -> Response:
    """The form's GET target: /-/ofsted/compare?from=..&to=.. redirects to the comparison."""
    await ofsted_database(datasette, request)
    earlier, later = request.args.get("from", ""), request.args.get("to", "")
    if not earlier or not later:
        raise BadRequest("Choose two inspections to compare (from and to).")
    try:
        pair = Pair.of(earlier, later)
    except InvalidPair as error:
        raise NotFound(str(error)) from None
    return Response.redirect(pair.url(datasette))


async def compare(datasette: Datasette, request: Request) -> Response:
    """The comparison of two inspections of one authority: permission, the pair and filters checked, one read, render."""
    db = await ofsted_database(datasette, request)
    return await kept_page(datasette, request, db, lambda: _compare(datasette, request, db))


async def _compare(datasette: Datasette, request: Request, db: Database) -> Response:
    pair, fmt = pair_in_url(request), request.url_vars.get("format") or ""
    earlier, later = await _held_pair(db, pair)
    if earlier["start_date"] > later["start_date"]:
        query = f"?{request.query_string}" if request.query_string else ""
        return Response.redirect(pair.reversed().url(datasette, fmt) + query)
    filters = await _filters(db, request)
    result = await kept_comparison(db, *pair)
    board = await lscb_recommendations(db, *pair)
    if fmt == ".json":
        return await _json(datasette, request, db, (earlier, later), result, filters, board)
    result = await overlay_reviews(datasette, request, pair.earlier, pair.later, result)
    rows = _filtered(result["rows"], *filters)
    if fmt == ".csv":
        return csv_response(f"compare-{pair}.csv", CSV_HEADER, _csv(rows))
    context = await _page(datasette, request, db, (earlier, later), result, rows, filters)
    return await _render(
        datasette,
        request,
        "ofsted_compare.html",
        {**context, "lscb_recommendations": board},
        trail=ofsted_trail(datasette, (earlier["authority_name"], context["timeline_url"])),
    )


async def _held_pair(db: Database, pair: Pair) -> tuple[dict, dict]:
    """Both inspections, held and of one authority; NotFound or BadRequest, saying why, otherwise."""
    earlier, later = await held_inspection(db, pair.earlier), await held_inspection(db, pair.later)
    if earlier["authority_id"] != later["authority_id"]:
        raise BadRequest(
            f"{pair.earlier} and {pair.later} are inspections of different authorities: a comparison follows one "
            "authority over time."
        )
    if pair.earlier == pair.later:
        raise BadRequest("Choose two different inspections to compare.")
    return earlier, later


async def _filters(db: Database, request: Request) -> tuple[str, str, str]:
    """The page's filters (?status=, ?theme=, ?order=), each checked: BadRequest, with the values allowed, if not."""
    status_filter = request.args.get("status") or ""
    theme_filter = request.args.get("theme") or ""
    order = request.args.get("order") or ""
    if status_filter and status_filter not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
    if theme_filter and not await _rows(db, "select 1 from themes where id = ?", [theme_filter]):
        raise BadRequest(f"No theme '{theme_filter}': see the themes table for their ids.")
    if order and order not in ORDERS:
        raise BadRequest(f"order must be one of {', '.join(ORDERS)}")
    return status_filter, theme_filter, order


async def _page(
    datasette: Datasette,
    request: Request,
    db: Database,
    inspections: tuple[dict, dict],
    result: dict,
    rows: list[dict],
    filters: tuple[str, str, str],
) -> dict:
    """The HTML page's context: the rows laid out for reading, the groups, the summary and the links."""
    earlier, later = inspections
    pair = Pair(earlier["id"], later["id"])
    status_filter, theme_filter, order = filters
    theme_names = {r["id"]: r["name"] for r in await _rows(db, "select id, name from themes")}
    documents = [d for i in inspections for d in i["documents"]]
    served = await on_disk(db, documents)
    sources = {d["id"]: document_href(datasette, d, served) for d in documents}
    others = await _rows(
        db,
        "select id, inspection_type, start_date from inspections where authority_id = ? order by start_date",
        [earlier["authority_id"]],
    )
    base = pair.url(datasette)
    query = urlencode({k: v for k, v in (("status", status_filter), ("theme", theme_filter), ("order", order)) if v})
    for inspection in inspections:
        inspection["documents"] = with_links(inspection["documents"], datasette, served)
    tail = f"?{query}" if query else ""
    return {
        "earlier": earlier,
        "later": later,
        "rows": rows,
        # "Check these first": one list, the rows most likely wrong at the top; otherwise a list per status.
        "groups": [("check", rows)] if order == "check" else [(s, [r for r in rows if r["status"] == s]) for s in STATUSES],
        "order": order,
        "summary": summary(result["rows"], theme_names),
        "counts": result["counts"],
        "total": len(result["rows"]),
        "status_filter": status_filter,
        "theme_filter": theme_filter,
        "theme_names": theme_names,
        "status_help": HELP,
        "statuses": STATUSES,
        "inspections": others,
        "base": base,
        "json_url": f"{base}.json{tail}",
        "csv_url": f"{base}.csv{tail}",
        "ofsted_json_url": f"{base}.json{tail}",
        "timeline_url": datasette.urls.path(f"/-/ofsted/{earlier['authority_id']}"),
        "database": db.name,
        "finding_cell": _finding_cells(datasette, db, sources),
        "being_updated": being_updated_notice(1) if result.get("being_updated") else None,
        # The review block of each row (its template in row_review_template), for reviewers a form.
        **await review_context(datasette, request, *pair),
    }


def _finding_cells(datasette: Datasette, db: Database, sources: dict[Any, str | None]) -> Callable[[dict, dict], Markup]:
    """The page's `finding_cell(f, row)`: each finding with where it opens, its report's page (the source PDF, when
    it can be opened; `sources` by document id) and its Datasette row."""
    findings_table = datasette.urls.table(db.name, "findings")  # datasette.urls.row's address, made once a page

    def cell(f: dict, row: dict) -> Markup:
        return finding_cell(f, row, page_href(sources.get(f.get("document_id")), f.get("page")), f"{findings_table}/{f['id']}")

    return cell


def finding_cell(finding: dict, row: dict, page_url: str | None, row_url: str) -> Markup:
    """A finding as the compare page shows it: its text (the matching sentence, the paragraph folded) with the
    shared words marked, its stance on the row's call, then where it stands (`page_url`, the report's page when it
    can be opened, and `row_url`, its Datasette row). Every value is escaped (`escape`, `highlight`).

    Python, not a Jinja macro: a long comparison shows 160 findings, and the macro was a third of its page's time
    (and Markup.format, string.Formatter in Python, cost more than the macro: escape and join do it in C).
    """
    f = finding
    role = f.get("role")
    its_stance = stance(f, row["status"])
    stems = marked_stems(f, row)
    out = [f'<div class="finding {"improvement" if role == "improvement" else "evidence"}">']
    if its_stance:
        title = "supports the call" if its_stance == "for" else "points the other way"
        out.append(
            f'<span class="stance stance-{escape(its_stance)} stance-{escape(row["status"])}" title="{title}">'
            f"{escape(its_stance)}</span> "
        )
    if role == "evidence" and not f.get("matched_stems"):
        out.append('<span class="muted">(same theme, no shared words)</span> ')
    sentence, text = f.get("sentence"), f.get("text")
    if sentence and sentence != text:
        out += [highlight(sentence, stems), "<details><summary>whole paragraph</summary>", highlight(text or "", stems), "</details>"]
    else:
        out.append(highlight(text or "", stems))
    page = f.get("page", "")  # as the template showed a value: None as "None", a missing key as nothing
    out.append('\n<span class="where">')
    if page_url:
        out.append(f'<a href="{escape(page_url)}">p. {escape(page)}</a>')
    elif page:
        out.append(f"p. {escape(page)}")
    if f.get("paragraph"):
        out.append(f" ¶{escape(f['paragraph'])}")
    out.append(f' · <a href="{escape(row_url)}">row</a> · {escape(f.get("section", ""))}')
    if f.get("timescale"):
        out.append(f" · {escape(f['timescale'])}")
    out.append("</span></div>")
    return Markup("".join(out))


def marked_stems(finding: dict, row: dict) -> frozenset[str]:
    """The word stems the page marks in a finding: an improvement, every stem its row shares with the other report;
    evidence, the stems of its own match."""
    if finding["role"] != "improvement":
        return frozenset(finding.get("matched_stems") or ())
    return frozenset(stem for side in ("from", "to") for f in row[side] for stem in f.get("matched_stems") or ())


async def lscb_recommendations(db: Database, earlier_id: str, later_id: str) -> dict[str, list[dict]]:
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
    datasette: Datasette,
    request: Request,
    db: Database,
    pair: tuple[dict, dict],
    result: dict,
    filters: tuple[str, str, str],
    board: dict,
) -> Response:
    """The comparison's JSON, its text kept while neither the database nor the reviews change.

    Encoding a long comparison (150 kB) was a third of a request's time. What it shows of reviews depends on the
    actor only when the pair has a review (who, when and why, for those who may read them): then the key says so.
    """
    earlier, later = pair
    status_filter, theme_filter, order = filters
    earlier_id, later_id = earlier["id"], later["id"]
    rdb = await reviews_held(datasette)
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


# The engine's own confidence (0..1): a row it does not ask to check is "clear" from CLEAR_CALL up, "fair" below.
# The engine's fitted confidence runs from about 0.8 to 0.97; 0.9 splits its rows about in half.
CLEAR_CALL = 0.9
# Why the engine asks for a check (`why.check`), in words.
CHECK_WORDS = {"mixed": "mixed evidence: check this", "weak": "a close call: check this"}
# Which way a finding points for each status: criticism is evidence that a concern recurs, praise that it was resolved.
SUPPORTS = {Status.RECURRING.value: STANCES[-1], Status.RESOLVED.value: STANCES[1]}
NEUTRAL = STANCES[0]


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
    return "a clear call" if float(row.get("confidence") or 0.0) >= CLEAR_CALL else "a fair call"


def stance(finding: dict, status: str) -> str | None:
    """'for' when the evidence supports the row's status, 'against' when it points the other way, None for neither
    (the engine gives each finding the stance of the sentence that matched: align.STANCES)."""
    wanted = SUPPORTS.get(status)
    if wanted is None or finding.get("role") != "evidence":
        return None
    its_stance = finding.get("stance") or NEUTRAL
    if its_stance == NEUTRAL:
        return None
    return "for" if its_stance == wanted else "against"


def sides_shown(row: dict) -> dict[str, dict[str, list[dict]]]:
    """Per side, the findings shown (improvements, then the deciding evidence) and those folded.

    The engine lists evidence best first (the words shared, then the polarity that decides); the first is
    the one that decided the status, the rest are shown on request.
    """
    view = {}
    for side in ("from", "to"):
        evidence = [f for f in row[side] if f["role"] == "evidence"]
        view[side] = {"shown": [f for f in row[side] if f["role"] != "evidence"] + evidence[:1], "folded": evidence[1:]}
    return view


def call_words(row: dict) -> str | None:
    """How sure the engine is of the row, in words (confidence_words), where that describes the status shown: not
    once a reviewer's call replaced the engine's; for a silent row (not revisited, new) only when it asks a check."""
    if row.get("review") or not (row["status"] in SUPPORTS or row.get("needs_review")):
        return None
    return confidence_words(row)


def summary(rows: list[dict], theme_names: dict[str, str]) -> list[dict]:
    """Statuses by theme over the whole comparison: a theme a line, most rows first."""
    by_theme: dict[str, dict[str, int]] = {}
    for row in rows:
        for theme in row["themes"]:
            by_theme.setdefault(theme, zero_counts())[row["status"]] += 1
    lines: list[dict[str, Any]] = [
        {"id": t, "name": theme_names.get(t, t), "counts": c, "total": sum(c.values())} for t, c in by_theme.items()
    ]
    lines.sort(key=lambda line: (-line["counts"][Status.RECURRING], -line["total"], line["name"]))
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

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.utils.asgi import Request



def deciding_stance(row: dict) -> str | None:
    """'for' or 'against' the row's status, as the page's badge says it, of the evidence that decided it: the first
    (best) evidence of the later report, else of the earlier; None when there is none or it says neither."""
    for side in ("to", "from"):
        evidence = [f for f in row[side] if f["role"] == "evidence"]
        if evidence:
            return stance(evidence[0], row["status"])
    return None


def _csv(rows: list[dict]) -> list[list]:
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
            deciding_stance(row),
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
