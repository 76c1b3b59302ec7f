"""The plugin's pages: index, authority timeline, comparison (HTML, JSON, CSV) and search.

The plugin only reads: it works on a database served with `datasette -i`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from urllib.parse import urlencode

from datasette.database import Database
from datasette.utils import escape_fts
from datasette.utils.asgi import BadRequest, NotFound, Response
from markupsafe import Markup, escape

from .align import STATUSES
from .findings import compare_inspections
from .permissions import TABLES, ensure_can_view, ensure_can_view_instance
from .text import STOPWORDS, stem

ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-\d{4}-\d{2}-\d{2}$")
AUTHORITY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID = 120
GRADE_RANK = {"outstanding": 4, "good": 3, "requires improvement": 2, "adequate": 2, "inadequate": 1}
STATUS_LABELS = {
    "recurring": "Recurring",
    "resolved": "Resolved",
    "not_revisited": "Not revisited",
    "new": "New",
}
STATUS_HELP = {
    "recurring": "raised again: the other report states the same concern as an improvement or a weakness",
    "resolved": "the later report gives positive evidence on the same matter",
    "not_revisited": "the later report is silent on it (a focused visit looks at a narrow area)",
    "new": "not raised by the earlier report",
}


async def ofsted_database(datasette, request, tables: Iterable[str] = TABLES) -> Database:
    """The database ofsted-ingest built, once the actor is allowed to see it and the tables the page reads.

    The plugin setting `database`, else one named ofsted, else the first that fits. Every
    page calls this first: the permission check comes before any read.
    """
    await ensure_can_view_instance(datasette, request)
    config = datasette.plugin_config("datasette-ofsted") or {}
    db = None
    if config.get("database"):
        db = datasette.get_database(config["database"])
    elif "ofsted" in datasette.databases:
        db = datasette.get_database("ofsted")
    else:
        for name, candidate in datasette.databases.items():
            if name.startswith("_"):
                continue
            if await candidate.table_exists("inspections") and await candidate.table_exists("findings"):
                db = candidate
                break
    if db is None:
        raise NotFound("No Ofsted database is attached: run ofsted-ingest, then serve data/ofsted.db with Datasette.")
    await ensure_can_view(datasette, request, db.name, tables)
    return db


async def _rows(db: Database, sql: str, params=None) -> list[dict]:
    return [dict(r) for r in (await db.execute(sql, params or [])).rows]


async def _inspection(db: Database, inspection_id: str) -> dict | None:
    rows = await _rows(
        db,
        "select i.*, a.name as authority_name from inspections i join authorities a on a.id = i.authority_id where i.id = ?",
        [inspection_id],
    )
    if not rows:
        return None
    inspection = rows[0]
    inspection["judgements"] = await _rows(
        db,
        "select area, grade, about from judgements where inspection_id = ? order by document_id, ordinal",
        [inspection_id],
    )
    inspection["documents"] = await _rows(
        db,
        "select id, kind, title, file_name, source_url, pages from documents where inspection_id = ? order by kind",
        [inspection_id],
    )
    return inspection


def _render(datasette, request, template: str, context: dict):
    return datasette.render_template(template, {**context, "status_labels": STATUS_LABELS}, request=request)


# ---------------------------------------------------------------- index


async def index(datasette, request):
    db = await ofsted_database(datasette, request)
    authorities = await _rows(
        db,
        """
        select a.id, a.name, a.region, count(i.id) as inspections, max(i.start_date) as latest
        from authorities a join inspections i on i.authority_id = a.id
        group by a.id order by a.name
        """,
    )
    latest = {
        r["authority_id"]: r
        for r in await _rows(
            db,
            """
            select i.* from inspections i
            where i.start_date = (select max(start_date) from inspections j where j.authority_id = i.authority_id)
            """,
        )
    }
    for authority in authorities:
        authority["latest"] = latest.get(authority["id"])
    counts = (
        await db.execute(
            "select (select count(*) from inspections), (select count(*) from findings), "
            "(select count(*) from findings where kind = 'improvement')"
        )
    ).first()
    return Response.html(
        await _render(
            datasette,
            request,
            "ofsted_index.html",
            {"authorities": authorities, "database": db.name, "totals": list(counts)},
        )
    )


# ---------------------------------------------------------------- authority timeline


async def threads(db: Database, authority_id: str, inspections: list[dict]) -> list[dict]:
    """Themes Ofsted raised as an improvement and came back to, inspection by inspection.

    A cell is raised (an improvement on the theme, the first), recurring (an improvement
    again, or an earlier improvement on it judged recurring by the comparison), resolved
    (an earlier improvement on it judged resolved) or not assessed.
    """
    ids = [i["id"] for i in inspections]
    if len(ids) < 2:
        return []
    placeholders = ",".join("?" for _ in ids)
    improvements: dict[str, set[str]] = {}
    for row in await _rows(
        db,
        f"""
        select distinct f.inspection_id, ft.theme_id from findings f
        join finding_themes ft on ft.finding_id = f.id join documents d on d.id = f.document_id
        where f.inspection_id in ({placeholders}) and f.kind = 'improvement' and f.about = 'authority'
          and d.kind != 'summary for children' and ft.theme_id not like 'nf-%'
        """,
        ids,
    ):
        improvements.setdefault(row["theme_id"], set()).add(row["inspection_id"])
    judged: dict[tuple[str, str], set[str]] = {}
    for row in await _rows(
        db,
        """
        select distinct l.to_inspection_id, ft.theme_id, l.status from issue_links l
        join finding_themes ft on ft.finding_id = l.from_finding_id
        where l.authority_id = ? and l.side = 'from'
        """,
        [authority_id],
    ):
        judged.setdefault((row["theme_id"], row["to_inspection_id"]), set()).add(row["status"])
    names = {r["id"]: r["name"] for r in await _rows(db, "select id, name from themes")}
    result = []
    for theme_id, raised_in in improvements.items():
        cells, earlier = [], False
        for inspection_id in ids:
            statuses = judged.get((theme_id, inspection_id), set())
            if inspection_id in raised_in:
                state = "recurring" if earlier else "raised"
            elif "recurring" in statuses:
                state = "recurring"
            elif "resolved" in statuses:
                state = "resolved"
            else:
                state = "not assessed"
            cells.append({"inspection_id": inspection_id, "state": state})
            earlier = earlier or inspection_id in raised_in
        assessed = sum(1 for c in cells if c["state"] != "not assessed")
        if assessed >= 2:
            result.append({"id": theme_id, "name": names.get(theme_id, theme_id), "cells": cells, "raised": assessed})
    result.sort(key=lambda t: (-t["raised"], t["name"]))
    return result


def grade_chart(inspections: list[dict]) -> Markup:
    """An SVG line of overall grades over time; inspections with no overall grade are marked as such."""
    width, height, left, top = 700, 180, 215, 16
    if not inspections:
        return Markup("")
    step = (width - left - 30) / max(1, len(inspections) - 1)
    levels = [(4, "Outstanding"), (3, "Good"), (2, "Requires improvement / adequate"), (1, "Inadequate")]
    y = {rank: top + (4 - rank) * 40 for rank, _ in levels}
    parts = [
        f'<svg class="grade-chart" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Overall grade of each inspection over time" xmlns="http://www.w3.org/2000/svg">'
    ]
    for rank, label in levels:
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y[rank]}" y2="{y[rank]}" class="gridline"/>')
        parts.append(f'<text x="{left - 8}" y="{y[rank] + 4}" text-anchor="end">{escape(label)}</text>')
    points = []
    for n, inspection in enumerate(inspections):
        x = left + (n * step if len(inspections) > 1 else (width - left) / 2)
        rank = GRADE_RANK.get(inspection.get("overall_grade") or "")
        year = escape(inspection["start_date"][:4])
        parts.append(f'<text x="{x:.0f}" y="{height - 4}" text-anchor="middle">{year}</text>')
        if rank:
            points.append((x, y[rank]))
            parts.append(
                f'<circle cx="{x:.0f}" cy="{y[rank]}" r="6" class="graded"><title>{escape(inspection["id"])}: '
                f"{escape(inspection['overall_grade'])}</title></circle>"
            )
        else:
            parts.append(
                f'<circle cx="{x:.0f}" cy="{height - 28}" r="5" class="ungraded"><title>{escape(inspection["id"])}: '
                f"{escape(inspection['inspection_type'])}, no overall grade</title></circle>"
            )
    if len(points) > 1:
        path = " ".join(f"{x:.0f},{yy}" for x, yy in points)
        parts.insert(1, f'<polyline points="{path}" class="grade-line"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


async def authority(datasette, request):
    db = await ofsted_database(datasette, request)
    authority_id = request.url_vars["authority"]
    if len(authority_id) > MAX_ID or not AUTHORITY.fullmatch(authority_id):
        raise NotFound(f"{authority_id[:80]!r} is not an authority id: ids look like 'sutton' or 'east-sussex'.")
    found = await _rows(db, "select * from authorities where id = ?", [authority_id])
    if not found:
        raise NotFound(
            f"No inspections of an authority '{authority_id}' are in this database. See /-/ofsted for those that are."
        )
    ids = [
        r["id"]
        for r in await _rows(
            db, "select id from inspections where authority_id = ? order by start_date", [authority_id]
        )
    ]
    inspections = [await _inspection(db, i) for i in ids]
    pairs = []
    for earlier, later in zip(inspections, inspections[1:]):
        counts = {
            r["status"]: r["n"]
            for r in await _rows(
                db,
                "select status, count(distinct side || row_number) as n from issue_links "
                "where from_inspection_id = ? and to_inspection_id = ? group by status",
                [earlier["id"], later["id"]],
            )
        }
        pairs.append({"from": earlier, "to": later, "counts": counts})
    return Response.html(
        await _render(
            datasette,
            request,
            "ofsted_authority.html",
            {
                "authority": found[0],
                "inspections": inspections,
                "pairs": pairs,
                "threads": await threads(db, authority_id, inspections),
                "chart": grade_chart(inspections),
                "database": db.name,
            },
        )
    )


# ---------------------------------------------------------------- comparison


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


def highlight(text: str, stems: set[str] | frozenset[str]) -> Markup:
    """The text, escaped, with the words whose stems the pair shares marked."""
    if not stems:
        return Markup(escape(text))
    out = []
    for token in re.split(r"([A-Za-z][A-Za-z'\u2019]*)", text):
        word = token.lower().replace("\u2019", "'").split("'")[0]
        if token and token[0].isalpha() and len(word) > 2 and word not in STOPWORDS and stem(word) in stems:
            out.append(Markup("<mark>{}</mark>").format(token))
        else:
            out.append(escape(token))
    return Markup("").join(out)


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


# ---------------------------------------------------------------- search


async def search(datasette, request):
    db = await ofsted_database(datasette, request)
    q = (request.args.get("q") or "").strip()[:200]
    results = []
    if q:
        results = await _rows(
            db,
            """
            select f.id, f.inspection_id, f.kind, f.polarity, f.section, f.page, f.text, i.authority_id, i.inspection_type,
                   i.start_date
            from findings_fts join findings f on f.rowid = findings_fts.rowid join inspections i on i.id = f.inspection_id
            where findings_fts match ? order by rank limit 100
            """,
            [escape_fts(q)],
        )
        words = {stem(w.lower()) for w in re.findall(r"[A-Za-z]+", q)}
        for result in results:
            result["html"] = highlight(result["text"], words)
            result["url"] = datasette.urls.row(db.name, "findings", result["id"])
    return Response.html(
        await _render(datasette, request, "ofsted_search.html", {"q": q, "results": results, "database": db.name})
    )
