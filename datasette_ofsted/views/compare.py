"""The comparison of two inspections, in HTML, JSON and CSV."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from datasette.utils.asgi import BadRequest, NotFound, Response

from ..align import STATUSES
from ..findings import compare_inspections
from .common import ID, MAX_ID, STATUS_HELP, _inspection, _render, _rows, highlight, ofsted_database
from .review import overlay_reviews, review_context


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


def _safe_cell(value):
    """A CSV cell that a spreadsheet cannot run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
    earlier, later = await _inspection(db, earlier_id), await _inspection(db, later_id)
    for inspection_id, inspection in ((earlier_id, earlier), (later_id, later)):
        if inspection is None:
            raise NotFound(f"No inspection '{inspection_id}' in this database: see /-/ofsted for the inspections held.")
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

    result = await db.execute_fn(lambda conn: compare_inspections(conn, earlier_id, later_id))
    result = await overlay_reviews(datasette, request, earlier_id, later_id, result)
    status_filter = request.args.get("status") or ""
    theme_filter = request.args.get("theme") or ""
    if status_filter and status_filter not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
    rows = [
        row
        for row in result["rows"]
        if (not status_filter or row["status"] == status_filter) and (not theme_filter or theme_filter in row["themes"])
    ]
    if fmt == ".json":
        body = {
            "from": earlier,
            "to": later,
            "counts": result["counts"],
            "filters": {"status": status_filter or None, "theme": theme_filter or None},
            "rows": rows,
        }
        return Response.json(body)
    if fmt == ".csv":
        return Response(
            _csv(rows),
            content_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="compare-{earlier_id}...{later_id}.csv"'},
        )

    theme_names = {r["id"]: r["name"] for r in await _rows(db, "select id, name from themes")}
    for row in rows:
        stems = _row_stems(row)
        for side in ("from", "to"):
            for finding in row[side]:
                own = set(finding.get("matched_stems") or ()) if finding["role"] != "improvement" else stems
                finding["html"] = highlight(finding["text"], own)
                if finding.get("sentence") and finding["sentence"] != finding["text"]:
                    finding["sentence_html"] = highlight(finding["sentence"], own)
                finding["url"] = datasette.urls.row(db.name, "findings", finding["id"])
    row_themes = sorted({t for row in result["rows"] for t in row["themes"]}, key=lambda t: theme_names.get(t, t))
    others = await _rows(
        db,
        "select id, inspection_type, start_date from inspections where authority_id = ? order by start_date",
        [earlier["authority_id"]],
    )
    base = datasette.urls.path(f"/-/ofsted/compare/{earlier_id}...{later_id}")
    query = urlencode({k: v for k, v in (("status", status_filter), ("theme", theme_filter)) if v})
    return Response.html(
        await _render(
            datasette,
            request,
            "ofsted_compare.html",
            {
                "earlier": earlier,
                "later": later,
                "rows": rows,
                "counts": result["counts"],
                "total": len(result["rows"]),
                "status_filter": status_filter,
                "theme_filter": theme_filter,
                "themes": [(t, theme_names.get(t, t)) for t in row_themes],
                "theme_names": theme_names,
                "status_help": STATUS_HELP,
                "statuses": STATUSES,
                "inspections": others,
                "base": base,
                "json_url": f"{base}.json" + (f"?{query}" if query else ""),
                "csv_url": f"{base}.csv" + (f"?{query}" if query else ""),
                "timeline_url": datasette.urls.path(f"/-/ofsted/{earlier['authority_id']}"),
                "database": db.name,
                **await review_context(datasette, request, earlier_id, later_id),
            },
        )
    )


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "row",
            "status",
            "auto_status",
            "reviewed_by",
            "reviewed_at",
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
        ]
    )
    for number, row in enumerate(rows, 1):
        for side in ("from", "to"):
            for finding in row[side]:
                writer.writerow(
                    [
                        _safe_cell(v)
                        for v in (
                            number,
                            row["status"],
                            row.get("auto_status", row["status"]),
                            (row.get("review") or {}).get("actor"),
                            (row.get("review") or {}).get("at"),
                            row["score"],
                            "; ".join(row["themes"]),
                            side,
                            finding["role"],
                            finding["id"],
                            finding["kind"],
                            finding["polarity"],
                            finding["section"],
                            finding.get("page"),
                            finding.get("paragraph"),
                            finding["text"],
                        )
                    ]
                )
    return out.getvalue()
