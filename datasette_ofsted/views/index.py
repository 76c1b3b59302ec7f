"""The index: every authority with its latest inspection, sortable and filtered by region, latest grade and year."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from datasette.utils.asgi import BadRequest, Response

from ..databases import ofsted_database
from .common import GRADE_RANK, _render, _rows, chart_url, csv_response, export_urls, json_response, kept_page

# The tables the index reads: each one's view permission is checked, and only these (a check costs a query).
SHOWN_TABLES = ("authorities", "inspections", "findings")
NO_GRADE = "none"  # the grade filter's value for a latest inspection without an overall grade
INDEX_CSV_HEADER = (
    "id",
    "name",
    "region",
    "inspections",
    "years",
    "latest_inspection_id",
    "latest_start_date",
    "latest_inspection_type",
    "latest_overall_grade",
)

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.utils.asgi import Request

SORTS = {
    "name": lambda a: a["name"].lower(),
    "region": lambda a: ((a["region"] or "~").lower(), a["name"].lower()),
    "inspections": lambda a: (a["inspections"], a["name"].lower()),
    "latest": lambda a: (a["latest_date"] or "", a["name"].lower()),
    "grade": lambda a: (GRADE_RANK.get(a["latest_grade"] or "", 0), a["name"].lower()),
}


async def index(datasette: Datasette, request: Request) -> Response:
    """Every authority with its latest inspection: permission, the filters checked, one read, render."""
    db = await ofsted_database(datasette, request, SHOWN_TABLES)
    return await kept_page(datasette, request, db, lambda: _index(datasette, request, db))


async def _index(datasette: Datasette, request: Request, db: Database) -> Response:
    authorities = await _authorities(db)
    filters = {k: request.args.get(k) or "" for k in ("region", "grade", "year")}
    sort = request.args.get("sort") or "name"
    if sort.lstrip("-") not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)} (a leading - sorts descending)")
    shown = [a for a in authorities if _in_filters(a, filters)]
    shown.sort(key=SORTS[sort.lstrip("-")], reverse=sort.startswith("-"))
    counts = list(
        (
            await _rows(
                db,
                "select (select count(*) from inspections), (select count(*) from findings), "
                "(select count(*) from findings where kind = 'improvement')",
            )
        )[0].values()
    )
    if request.url_vars.get("format") == ".csv":
        return csv_response("ofsted-authorities.csv", INDEX_CSV_HEADER, _csv_lines(shown))
    if request.url_vars.get("format") == ".json":
        return json_response(
            {
                "authorities": [_json_authority(datasette, a) for a in shown],
                "filters": {k: v or None for k, v in filters.items()},
                "sort": sort,
                "totals": {"inspections": counts[0], "findings": counts[1], "improvements": counts[2]},
            }
        )
    context = _html_context(datasette, db.name, authorities, shown, filters, sort)
    return await _render(
        datasette,
        request,
        "ofsted_index.html",
        {**context, "totals": list(counts)},
        trail=[(db.name, datasette.urls.database(db.name))],
    )


async def _authorities(db: Database) -> list[dict]:
    """Every authority inspected here, with the years of its inspections and its latest inspection."""
    authorities = await _rows(
        db,
        """
        select a.id, a.name, a.region, count(i.id) as inspections,
               group_concat(substr(i.start_date, 1, 4)) as years
        from authorities a join inspections i on i.authority_id = a.id
        group by a.id order by a.name
        """,
    )
    latest = {
        r["authority_id"]: r
        for r in await _rows(
            db,
            """
            select i.id, i.authority_id, i.start_date, i.inspection_type, i.overall_grade from inspections i
            where i.start_date = (select max(start_date) from inspections j where j.authority_id = i.authority_id)
            """,
        )
    }
    for authority in authorities:
        newest = latest.get(authority["id"]) or {}
        authority["years"] = sorted(set((authority["years"] or "").split(",")) - {""})
        authority["latest_id"] = newest.get("id")
        authority["latest_date"] = newest.get("start_date")
        authority["latest_type"] = newest.get("inspection_type")
        authority["latest_grade"] = newest.get("overall_grade")
    return authorities


def _in_filters(authority: dict, filters: dict[str, str]) -> bool:
    region, grade, year = filters["region"], filters["grade"], filters["year"]
    return (
        (not region or authority["region"] == region)
        and (not grade or (authority["latest_grade"] or NO_GRADE) == grade)
        and (not year or year in authority["years"])
    )


def _csv_lines(shown: list[dict]) -> list[list]:
    return [
        [
            a["id"],
            a["name"],
            a["region"],
            a["inspections"],
            " ".join(a["years"]),
            a["latest_id"],
            a["latest_date"],
            a["latest_type"],
            a["latest_grade"],
        ]
        for a in shown
    ]


def _json_authority(datasette: Datasette, a: dict) -> dict:
    return {
        "id": a["id"],
        "name": a["name"],
        "region": a["region"],
        "inspections": a["inspections"],
        "years": a["years"],
        "latest": {
            "id": a["latest_id"],
            "start_date": a["latest_date"],
            "inspection_type": a["latest_type"],
            "overall_grade": a["latest_grade"],
        },
        "url": datasette.urls.path(f"/-/ofsted/{a['id']}"),
    }


def _html_context(datasette: Datasette, database: str, authorities: list[dict], shown: list[dict], filters: dict, sort: str) -> dict:
    chosen = {k: v for k, v in filters.items() if v}
    # The canned queries' charts are of one authority: the one shown first with the most inspections, as an example.
    example = max(shown or authorities, key=lambda a: a["inspections"]) if authorities else {"id": "", "name": ""}
    exports = export_urls(datasette, "/-/ofsted", urlencode({**chosen, **({"sort": sort} if sort != "name" else {})}))
    return {
        "authorities": shown,
        "all_count": len(authorities),
        "database": database,
        "regions": sorted({a["region"] for a in authorities if a["region"]}),
        "grades": sorted(
            {a["latest_grade"] for a in authorities if a["latest_grade"]}, key=lambda g: -GRADE_RANK.get(g, 0)
        ),
        "years": sorted({y for a in authorities for y in a["years"]}, reverse=True),
        "filters": filters,
        "no_grade": NO_GRADE,
        "sort": sort,
        "filter_query": urlencode(chosen),
        "ofsted_json_url": exports["json"],
        "exports": exports,
        "chart_example": example["name"],
        "charts": {
            "grades": chart_url(datasette, database, "grades_over_time", {"authority": example["id"]}),
            "statuses": chart_url(datasette, database, "status_counts", {"authority": example["id"]}),
            "themes": chart_url(datasette, database, "recurring_themes", {}),
        },
    }
