"""An authority's timeline: inspections, grades, the comparison of consecutive pairs, the threads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from datasette.database import Database
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from ..classify import NATIONAL_FRAMEWORK_PREFIX
from ..comparisons import threads_judged
from ..databases import ofsted_database
from ..findings import CHILDRENS_SUMMARY
from ..pairs import AUTHORITY_ID, MAX_ID, Pair
from ..status import LABELS, STATUSES
from .charts import Stack, stacked_chart
from .common import (
    GRADE_RANK,
    _render,
    _rows,
    chart_url,
    csv_response,
    export_urls,
    inspections_of,
    json_response,
    kept_page,
    ofsted_trail,
    on_disk,
    with_links,
)
from .review import reviewed_comparisons


def threads(
    improvements: dict[str, set[str]], judged: dict[tuple[str, str], set[str]], names: dict[str, str], ids: list[str]
) -> list[dict]:
    """Themes Ofsted raised as an improvement and came back to, inspection by inspection.

    A cell is raised (an improvement on the theme, the first), recurring (an improvement
    again, or an earlier improvement on it judged recurring by the comparison), resolved
    (an earlier improvement on it judged resolved) or not assessed.
    """
    if len(ids) < 2:
        return []
    result: list[dict[str, Any]] = []
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


async def _improvement_themes(db: Database, ids: list[str]) -> dict[str, set[str]]:
    """The inspections whose own improvements speak of each theme (improvement_themes, turned round)."""
    by_theme: dict[str, set[str]] = {}
    for inspection_id, themes in (await improvement_themes(db, ids)).items():
        for theme in themes:
            by_theme.setdefault(theme, set()).add(inspection_id)
    return by_theme


AUTHORITY_CSV_HEADER = (
    "inspection_id",
    "start_date",
    "end_date",
    "published_date",
    "inspection_type",
    "framework",
    "overall_grade",
    "compared_with",
    *STATUSES,
)

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request


# Room for each inspection along the time axis, in px: a year label and a point with space between.
CHART_STEP = 80
# The grade chart may shrink to this share of its size (14 px letters to 11 px) before it scrolls in its box.
MIN_CHART_SCALE = 11 / 14


def grade_chart(inspections: list[dict]) -> Markup:
    """An SVG line of overall grades over time; an inspection with no overall grade is a dashed line, off the scale."""
    if not inspections:
        return Markup("")
    # One unit a pixel at 14 units a letter, as wide as its inspections need; on a narrow screen it shrinks to
    # MIN_CHART_SCALE (letters of 11 px), and past that scrolls inside its box.
    height, left, top, gap, step, right, inset = 210, 170, 18, 44, CHART_STEP, 40, 24
    width = left + inset + right + step * max(1, len(inspections) - 1)
    levels = [(4, "Outstanding"), (3, "Good"), (2, "Requires improvement|or adequate"), (1, "Inadequate")]
    y = {rank: top + (4 - rank) * gap for rank, _ in levels}
    parts = [
        f'<svg class="grade-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="min-width: {width * MIN_CHART_SCALE:.0f}px" role="img" '
        'aria-label="Overall grade of each inspection over time" xmlns="http://www.w3.org/2000/svg">'
    ]
    for rank, label in levels:
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y[rank]}" y2="{y[rank]}" class="gridline"/>')
        first, _, second = label.partition("|")
        if second:  # two lines, so that the names take less width than the years
            parts.append(
                f'<text x="{left - 8}" y="{y[rank] - 3}" text-anchor="end" class="axis-label">{escape(first)}'
                f'<tspan x="{left - 8}" dy="15">{escape(second)}</tspan></text>'
            )
        else:
            parts.append(
                f'<text x="{left - 8}" y="{y[rank] + 5}" text-anchor="end" class="axis-label">{escape(first)}</text>'
            )
    points = []
    for n, inspection in enumerate(inspections):
        x = left + (inset + n * step if len(inspections) > 1 else (width - left) / 2)
        grade = GRADE_RANK.get(inspection.get("overall_grade") or "")
        year = escape(inspection["start_date"][:4])
        parts.append(f'<text x="{x:.0f}" y="{height - 4}" text-anchor="middle" class="axis-year">{year}</text>')
        if grade:
            points.append((x, y[grade]))
            parts.append(
                f'<circle cx="{x:.0f}" cy="{y[grade]}" r="6" class="graded"><title>{escape(inspection["id"])}: '
                f"{escape(inspection['overall_grade'])}</title></circle>"
            )
        else:
            # No overall grade is not a grade: a dashed line through the scale, never a point on it.
            parts.append(
                f'<line x1="{x:.0f}" x2="{x:.0f}" y1="{top}" y2="{y[1]}" class="ungraded"><title>{escape(inspection["id"])}: '
                f"{escape(inspection['inspection_type'])}, no overall grade</title></line>"
            )
            parts.append(
                f'<text x="{x:.0f}" y="{height - 22}" text-anchor="middle" class="ungraded-label">no grade</text>'
            )
    if len(points) > 1:
        path = " ".join(f"{x:.0f},{yy}" for x, yy in points)
        parts.insert(1, f'<polyline points="{path}" class="grade-line"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


async def authority(datasette: Datasette, request: Request) -> Response:
    """An authority's timeline: permission, the authority checked, one read of its inspections and comparisons."""
    db = await ofsted_database(datasette, request)
    return await kept_page(datasette, request, db, lambda: _authority(datasette, request, db))


async def _authority(datasette: Datasette, request: Request, db: Database) -> Response:
    authority_id = request.url_vars["authority"]
    found = await _held_authority(db, authority_id)
    page = await timeline(datasette, request, db, found)
    fmt = request.url_vars.get("format")
    if fmt == ".csv":
        return csv_response(f"ofsted-{authority_id}.csv", AUTHORITY_CSV_HEADER, _csv_lines(page))
    if fmt == ".json":
        return json_response({**page, "pairs": [{**p, "from": p["from"]["id"], "to": p["to"]["id"]} for p in page["pairs"]]})
    exports = export_urls(datasette, f"/-/ofsted/{authority_id}")
    return await _render(
        datasette,
        request,
        "ofsted_authority.html",
        {
            **page,
            "chart": grade_chart(page["inspections"]),
            "status_chart": _status_chart(page["pairs"]),
            "statuses": STATUSES,
            "database": db.name,
            "json_url": exports["json"],
            "exports": exports,
            "ofsted_json_url": exports["json"],
            "charts": {
                "grades": chart_url(datasette, db.name, "grades_over_time", {"authority": authority_id}),
                "statuses": chart_url(datasette, db.name, "status_counts", {"authority": authority_id}),
                "improvements": chart_url(datasette, db.name, "what_recurs", {"authority": authority_id}),
            },
        },
        trail=ofsted_trail(datasette),
    )


async def _held_authority(db: Database, authority_id: str) -> dict:
    """The authority's row, if its id is well formed and it has inspections here; NotFound, saying which, if not."""
    if len(authority_id) > MAX_ID or not AUTHORITY_ID.fullmatch(authority_id):
        raise NotFound(f"{authority_id[:80]!r} is not an authority id: ids look like 'sutton' or 'east-sussex'.")
    found = await _rows(db, "select * from authorities where id = ?", [authority_id])
    if not found:
        raise NotFound(
            f"No inspections of an authority '{authority_id}' are in this database. See /-/ofsted for those that are."
        )
    return found[0]


async def timeline(datasette: Datasette, request: Request, db: Database, authority: dict) -> dict:
    """The authority's inspections, the comparison of each with the next (counts, link), the threads of its themes
    and its neighbours: the one definition of a comparison with the reviewers' calls over the engine's, as the
    compare page reads it.

    Read once while neither database changes and no pair is compared live (cache.kept): the background reading
    (warm.py) and every visitor who asks while it is being read share that one reading. What it shows does not
    depend on the actor (the reviewed statuses are public; who reviewed is not shown here). Which documents link to
    their file is asked at every request (on_disk): a file can go while the database stays the same.
    """
    from .. import cache
    from ..comparisons import live_comparisons
    from ..databases import reviews_database

    async def read() -> dict:
        return await _timeline(datasette, request, db, authority)

    also = (reviews_database(datasette),)
    page = await cache.kept(db, ("timeline", cache.site(datasette), authority["id"], live_comparisons()), read, also)
    served = await on_disk(db, [d for i in page["inspections"] for d in i["documents"]])
    inspections = [{**i, "documents": with_links(i["documents"], datasette, served)} for i in page["inspections"]]
    by_id = {i["id"]: i for i in inspections}
    pairs = [{**p, "from": by_id[p["from"]["id"]], "to": by_id[p["to"]["id"]]} for p in page["pairs"]]
    return {**page, "inspections": inspections, "pairs": pairs}


async def _timeline(datasette: Datasette, request: Request, db: Database, authority: dict) -> dict:
    inspections = await inspections_of(db, authority["id"])
    if not inspections:  # a known English authority (every one of la_lookup.csv is in `authorities`), never inspected here
        raise NotFound(
            f"No inspections of {authority['name']} are in this database. See /-/ofsted for the authorities that have some."
        )
    ids = [i["id"] for i in inspections]
    consecutive = list(zip(ids, ids[1:]))
    results = await reviewed_comparisons(datasette, request, db, consecutive)
    pairs = [
        {
            "from": earlier,
            "to": later,
            "counts": result["counts"],
            "url": Pair(earlier["id"], later["id"]).url(datasette),
            "being_updated": bool(result.get("being_updated")),
        }
        for earlier, later, result in zip(inspections, inspections[1:], results)
    ]
    names = {r["id"]: r["name"] for r in await _rows(db, "select id, name from themes")}
    judged = threads_judged((later, result) for (_, later), result in zip(consecutive, results))
    return {
        "authority": authority,
        "inspections": inspections,
        "pairs": pairs,
        "threads": threads(await _improvement_themes(db, ids), judged, names, ids),
        "neighbours": await neighbours(datasette, db, authority, inspections, names),
    }


def _csv_lines(page: dict) -> list[list]:
    """A line per inspection, with the counts of its comparison with the one before."""
    counts = {p["to"]["id"]: p["counts"] for p in page["pairs"]}
    inspections = page["inspections"]
    return [
        [
            i["id"],
            i["start_date"],
            i["end_date"],
            i["published_date"],
            i["inspection_type"],
            i["framework"],
            i["overall_grade"],
            previous["id"] if previous else None,
            *[(counts.get(i["id"]) or {}).get(s) for s in STATUSES],
        ]
        for previous, i in zip([None, *inspections], inspections)
    ]


def _status_chart(pairs: list[dict]) -> Markup:
    return stacked_chart(
        [
            Stack(label=f"{p['from']['start_date'][:4]} → {p['to']['start_date'][:4]}", href=p["url"], counts=p["counts"])
            for p in pairs
        ],
        STATUSES,
        LABELS,
        caption="What each comparison found: the improvements of the earlier inspection and the later one's, by status",
        chart_id="status-chart",
    )


async def improvement_themes(db: Database, inspection_ids: list[str]) -> dict[str, set[str]]:
    """The themes each inspection asked the authority to improve on (the report's own, not its summary's)."""
    if not inspection_ids:
        return {}
    placeholders = ",".join("?" for _ in inspection_ids)
    out: dict[str, set[str]] = {i: set() for i in inspection_ids}
    for row in await _rows(
        db,
        f"""
        select distinct f.inspection_id, ft.theme_id from findings f
        join finding_themes ft on ft.finding_id = f.id join documents d on d.id = f.document_id
        where f.inspection_id in ({placeholders}) and f.kind = 'improvement' and f.about = 'authority'
          and d.kind != ? and ft.theme_id not like ?
        """,
        [*inspection_ids, CHILDRENS_SUMMARY, NATIONAL_FRAMEWORK_PREFIX + "%"],
    ):
        out[row["inspection_id"]].add(row["theme_id"])
    return out


async def _listed_neighbours(db: Database, codes: list[str]) -> list[dict]:
    """The neighbours with these codes, in the DfE's order (closest first), each saying whether it was inspected
    here; a code the lookup does not name (an old code) is left out."""
    if not codes:
        return []
    placeholders = ",".join("?" for _ in codes)
    found = await _rows(
        db,
        f"select id, name, la_code, exists (select 1 from inspections i where i.authority_id = a.id) as inspected "
        f"from authorities a where la_code in ({placeholders})",
        codes,
    )
    by_code = {n["la_code"]: n for n in found}
    return [by_code[c] for c in dict.fromkeys(codes) if c in by_code]


def _raised_in(datasette: Datasette, authority_id: str, ids: list[str], inspection_id: str, theme: str, previous: str | None) -> dict:
    """A neighbour's inspection that asked for the theme, linked to the comparison that shows it: with the
    inspection before it, else (its first inspection here) with the one after; a neighbour inspected once has only
    its timeline. One older than this authority's previous inspection is marked: a concern a neighbour had long
    ago is not one it shares now."""
    position = ids.index(inspection_id)
    pair = (ids[position - 1], inspection_id) if position > 0 else (inspection_id, ids[1]) if len(ids) > 1 else None
    if pair:
        url = Pair(*pair).url(datasette, "?") + urlencode({"theme": theme})
    else:
        url = datasette.urls.path(f"/-/ofsted/{authority_id}#{inspection_id}")
    start_date = inspection_id[-len("YYYY-MM-DD") :]
    return {
        "inspection_id": inspection_id,
        "start_date": start_date,
        "year": start_date[:4],
        "url": url,
        "before_previous": bool(previous and start_date < previous),
    }


async def neighbours(datasette: Datasette, db: Database, authority: dict, inspections: list[dict], names: dict[str, str]) -> dict:
    """Do my statistical neighbours share this issue? For each theme of the latest inspection's improvements,
    the neighbours (as the DfE lists them in la_lookup.csv, every one of which ofsted-ingest loads into
    `authorities`) whose inspections asked for the same, with links to the comparison that shows it; and,
    plainly, the neighbours with no inspection in this database."""
    codes = [c.strip() for c in (authority.get("statistical_neighbours") or "").split(",") if c.strip()]
    listed = await _listed_neighbours(db, codes)
    held = [n for n in listed if n["inspected"]]
    latest = inspections[-1]["id"] if inspections else None
    previous_date = inspections[-2]["start_date"] if len(inspections) > 1 else None
    own = (await improvement_themes(db, [latest])).get(latest, set()) if latest else set()
    themes: dict[str, dict[str, Any]] = {
        t: {"id": t, "name": names.get(t, t), "sharing": [], "not_sharing": []} for t in own
    }
    # Every held neighbour's inspections and their improvements' themes in two queries, not two a neighbour: under
    # load each query waits its turn for a database thread, and a timeline's first reading made a hundred.
    ids_of: dict[str, list[str]] = {n["id"]: [] for n in held}
    if held:
        for r in await _rows(
            db,
            f"select authority_id, id from inspections where authority_id in ({','.join('?' for _ in held)}) "
            "order by authority_id, start_date",
            list(ids_of),
        ):
            ids_of[r["authority_id"]].append(r["id"])
    raised = await improvement_themes(db, [i for ids in ids_of.values() for i in ids])
    for neighbour in held:
        ids = ids_of[neighbour["id"]]
        for theme, entry in themes.items():
            where = [i for i in ids if theme in raised[i]]
            if not where:
                entry["not_sharing"].append({"id": neighbour["id"], "name": neighbour["name"]})
                continue
            # Each inspection that asked for it, recent first (_raised_in).
            raised_in = [_raised_in(datasette, neighbour["id"], ids, i, theme, previous_date) for i in reversed(where)]
            entry["sharing"].append(
                {
                    "id": neighbour["id"],
                    "name": neighbour["name"],
                    "inspection_id": raised_in[0]["inspection_id"],
                    "start_date": raised_in[0]["start_date"],
                    "inspections": len(where),
                    "url": raised_in[0]["url"],
                    "raised_in": raised_in,
                }
            )
    for entry in themes.values():
        entry["sharing"].sort(key=lambda n: n["name"])
        entry["sharing"].sort(key=lambda n: n["start_date"], reverse=True)  # recent first, then by name
    ordered = sorted(themes.values(), key=lambda t: (-len(t["sharing"]), t["name"]))
    return {
        "listed": len(codes),
        "neighbours": [{"id": n["id"], "name": n["name"], "inspected": bool(n["inspected"])} for n in listed],
        "held": [{"id": n["id"], "name": n["name"]} for n in held],
        "not_inspected": [{"id": n["id"], "name": n["name"]} for n in listed if not n["inspected"]],
        "latest_inspection_id": latest,
        "previous_inspection_date": previous_date,
        "themes": ordered,
    }
