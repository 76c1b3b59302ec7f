"""England as a whole: the themes Ofsted raised again most often, by region and year, and where they recurred.

A theme "recurs" when the comparison of an authority's consecutive inspections (`comparisons.comparison`, the one
the compare pages show) marks a row on it recurring.
"""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlencode

from datasette.database import Database
from datasette.utils.asgi import BadRequest
from markupsafe import Markup

from .. import cache
from ..classify import taxonomy_version
from ..comparisons import consecutive_pairs, engine_version
from .charts import Bar, bar_chart
from .common import _render, _rows, json_response, ofsted_database, ofsted_trail
from .review import being_updated_notice, reviewed_comparisons_ready, reviews_database

YEAR = re.compile(r"\d{4}")
TOP_THEMES = 25  # themes listed on the page; the JSON has them all
CHART_THEMES = 15  # bars in the chart: enough to see the order, few enough to read at a glance
NATIONAL_FRAMEWORK = "nf-"  # the National Framework tags cut across every theme: they would top every list


def _recurring(conn) -> tuple[list[dict], list[tuple[str, str]], dict[tuple[str, str], list[dict]]]:
    """The recurring rows of every consecutive pair with a current stored comparison, and the pairs without one.

    A stored comparison made by the running engine and taxonomy is read from `comparison_rows` in one query (the
    rows `comparison` would return); the other pairs are left to `reviewed_comparisons`, which compares them as the
    compare page does and lays the reviewers' calls over them.
    """
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    stored = "comparisons" in tables and "comparison_rows" in tables
    rows: list[dict] = []
    current: set[tuple[str, str]] = set()
    out_of_date: dict[tuple[str, str], list[dict]] = {}  # stored by another engine: served while being updated
    if stored:
        # A reviewer's call replaces the engine's, as on the compare pages: the plugin gives every connection
        # ofsted_reviewed_status (reviews.py); a bare connection (a script) reads the engine's status.
        try:
            conn.execute("select ofsted_reviewed_status(null, 'new')")
            status = "ofsted_reviewed_status(r.id, r.status)"
        except sqlite3.OperationalError:
            status = "r.status"
        cursor = conn.execute(
            f"""
            select c.from_inspection_id, c.to_inspection_id, r.row_number, {status}, r.themes,
                   c.engine_version = ? and c.taxonomy_version = ?
            from comparisons c left join comparison_rows r on r.comparison_id = c.id
            order by c.id, r.row_number
            """,
            [engine_version(), taxonomy_version()],
        )
        for earlier, later, number, status, themes, is_current in cursor:
            held = rows if is_current else out_of_date.setdefault((earlier, later), [])
            if is_current:
                current.add((earlier, later))
            if status == "recurring":
                held.append({"from": earlier, "to": later, "row_number": number, "themes": _split(themes)})
    authorities = [r[0] for r in conn.execute("select distinct authority_id from inspections order by authority_id")]
    live = [pair for a in authorities for pair in consecutive_pairs(conn, a) if pair not in current]
    return rows, live, out_of_date


def _split(themes: str | None) -> set[str]:
    return {t.strip() for t in (themes or "").split(",") if t.strip()}


async def recurring_rows(datasette, request, db: Database) -> tuple[list[dict], int]:
    """Every comparison row of consecutive inspections marked recurring (reviewed if reviewed), with its themes,
    authority and year; and how many pairs are being updated (served as stored by another engine, or missing:
    a request compares at most one pair, comparisons.comparisons_within)."""
    # Kept while neither the database nor the reviews (ofsted_reviewed_status reads them) change; `rows` is copied.
    rows, live, out_of_date = await cache.kept(
        db, ("recurring",), lambda: db.execute_fn(_recurring), (reviews_database(datasette),)
    )
    rows = list(rows)
    updating = 0
    for (earlier, later), result in zip(live, await reviewed_comparisons_ready(datasette, request, db, live)):
        if result is None:
            updating += 1
            rows += out_of_date.get((earlier, later), [])
            continue
        rows += [
            {"from": earlier, "to": later, "row_number": number, "themes": set(row["themes"])}
            for number, row in enumerate(result["rows"], 1)
            if row["status"] == "recurring"
        ]
    about = {
        r["id"]: r
        for r in await _rows(
            db,
            "select i.id, i.authority_id, a.name as authority_name, a.region, substr(i.start_date, 1, 4) as year "
            "from inspections i join authorities a on a.id = i.authority_id",
        )
    }
    return [
        {
            "authority_id": about[row["to"]]["authority_id"],
            "authority_name": about[row["to"]]["authority_name"],
            "region": about[row["to"]]["region"],
            "from_inspection_id": row["from"],
            "to_inspection_id": row["to"],
            "year": about[row["to"]]["year"],
            "row_number": row["row_number"],
            "themes": row["themes"],
        }
        for row in rows
        if row["to"] in about
    ], updating


def recurring_themes(rows: list[dict], names: dict[str, str], region: str = "", year: str = "") -> list[dict]:
    """Themes by the number of recurring rows, with their regions, years and the pairs they recurred in."""
    themes: dict[str, dict] = {}
    for row in rows:
        if (region and row["region"] != region) or (year and row["year"] != year):
            continue
        for theme in row["themes"]:
            if theme.startswith(NATIONAL_FRAMEWORK):
                continue
            entry = themes.setdefault(
                theme,
                {
                    "id": theme,
                    "name": names.get(theme, theme),
                    "recurring_rows": 0,
                    "by_region": {},
                    "by_year": {},
                    "_pairs": {},
                },
            )
            entry["recurring_rows"] += 1
            entry["by_region"][row["region"] or "unknown"] = entry["by_region"].get(row["region"] or "unknown", 0) + 1
            entry["by_year"][row["year"]] = entry["by_year"].get(row["year"], 0) + 1
            pair = (row["authority_id"], row["from_inspection_id"], row["to_inspection_id"])
            entry["_pairs"].setdefault(pair, {"authority_name": row["authority_name"], "region": row["region"]})
    out = []
    for entry in themes.values():
        authorities: dict[str, dict] = {}
        for (authority_id, earlier, later), about in sorted(entry.pop("_pairs").items()):
            authority = authorities.setdefault(
                authority_id,
                {"id": authority_id, "name": about["authority_name"], "region": about["region"], "pairs": []},
            )
            authority["pairs"].append({"from": earlier, "to": later})
        for authority in authorities.values():
            authority["consecutive_pairs"] = longest_run(authority["pairs"])
        entry["authorities"] = sorted(authorities.values(), key=lambda a: (-a["consecutive_pairs"], a["name"]))
        entry["by_region"] = dict(sorted(entry["by_region"].items(), key=lambda kv: (-kv[1], kv[0])))
        entry["by_year"] = dict(sorted(entry["by_year"].items()))
        out.append(entry)
    out.sort(key=lambda t: (-len(t["authorities"]), -t["recurring_rows"], t["name"]))
    return out


def theme_chart(themes: list[dict], filters: dict[str, str]) -> Markup:
    """The themes raised again in most authorities, as bars; each name links to its row of the table below."""
    where = " and ".join(v for v in (filters.get("region"), filters.get("year") and f"in {filters['year']}") if v)
    return bar_chart(
        [
            Bar(
                label=t["name"],
                value=len(t["authorities"]),
                href=f"#theme-{t['id']}",
                title=f"raised again in {len(t['authorities'])} authorities ({t['recurring_rows']} recurring rows)",
            )
            for t in themes
        ],
        caption=f"Authorities where each theme was raised again{' (' + where + ')' if where else ''}",
        unit="authorities",
        colour="recurring",
        chart_id="recurring-chart",
    )


def longest_run(pairs: list[dict]) -> int:
    """The most comparisons in a row (each pair's later inspection the next one's earlier) the theme recurred in.

    2 means the concern was raised in three inspections running; pairs with a gap between them do not chain.
    """
    best = run = 0
    previous_to = None
    for pair in sorted(pairs, key=lambda p: p["from"]):
        run = run + 1 if pair["from"] == previous_to else 1
        best = max(best, run)
        previous_to = pair["to"]
    return best


async def national(datasette, request):
    db = await ofsted_database(datasette, request)
    region, year = request.args.get("region") or "", request.args.get("year") or ""
    if year and not YEAR.fullmatch(year):
        raise BadRequest("year must be four digits, such as 2022")

    also = (reviews_database(datasette),)  # ofsted_reviewed_status reads the reviews: kept against both versions

    async def read_rows() -> tuple[list[dict], int, dict[str, str]]:
        rows, updating = await recurring_rows(datasette, request, db)
        return rows, updating, {r["id"]: r["name"] for r in await _rows(db, "select id, name from themes")}

    async def read_themes() -> list[dict]:
        themes = recurring_themes(rows, names, region, year)
        for theme in themes:
            for authority in theme["authorities"]:
                for pair in authority["pairs"]:
                    pair["url"] = datasette.urls.path(
                        f"/-/ofsted/compare/{pair['from']}...{pair['to']}?"
                        + urlencode({"status": "recurring", "theme": theme["id"]})
                    )
        return themes

    # Kept while neither the database nor the reviews change and no pair is being updated: the reading grows with
    # the archive (every recurring row of every pair); the themes are kept for the regions and years held only.
    ready = lambda value: not value[1]  # noqa: E731
    rows, updating, names = await cache.kept(db, ("national rows",), read_rows, also, keep=ready)
    held = (not region or any(r["region"] == region for r in rows)) and (
        not year or any(r["year"] == year for r in rows)
    )
    if held and not updating:
        themes = await cache.kept(db, ("national themes", region, year), read_themes, also)
    else:
        themes = await read_themes()
    being_updated = {"pairs": updating, "message": being_updated_notice(updating)} if updating else None
    regions = sorted({r["region"] for r in rows if r["region"]})
    years = sorted({r["year"] for r in rows}, reverse=True)
    filters = {"region": region, "year": year}
    query = urlencode({k: v for k, v in filters.items() if v})
    json_url = datasette.urls.path("/-/ofsted/national.json") + (f"?{query}" if query else "")
    if request.url_vars.get("format") == ".json":
        return json_response(
            {"filters": {k: v or None for k, v in filters.items()}, "themes": themes, "being_updated": being_updated}
        )
    return await _render(
        datasette,
        request,
        "ofsted_national.html",
        {
            "themes": themes[:TOP_THEMES],
            "chart": theme_chart(themes[:CHART_THEMES], filters),
            "theme_count": len(themes),
            "regions": regions,
            "years": years,
            "filters": filters,
            "json_url": json_url,
            "ofsted_json_url": json_url,
            "pairs": len({(r["from_inspection_id"], r["to_inspection_id"]) for r in rows}),
            "database": db.name,
            "being_updated": being_updated,
        },
        trail=ofsted_trail(datasette),
    )
