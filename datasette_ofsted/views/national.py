"""England as a whole: the themes Ofsted raised again most often, by region and year, and where they recurred.

A theme "recurs" when the comparison of an authority's consecutive inspections (`comparisons.comparison`, the one
the compare pages show) marks a row on it recurring.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from datasette.database import Database
from datasette.utils.asgi import BadRequest, Response
from markupsafe import Markup

from .. import cache
from ..classify import is_national_framework, taxonomy_version
from ..comparisons import consecutive_pairs, engine_version, live_comparisons
from ..databases import ofsted_database, reviews_database
from ..pairs import Pair
from ..status import Status
from .charts import Bar, bar_chart
from .common import YEAR, _render, _rows, chart_url, csv_response, export_urls, json_response, kept_page, ofsted_trail
from .review import being_updated_notice, reviewed_comparisons_ready

TOP_THEMES = 25  # themes listed on the page; the JSON has them all
CHART_THEMES = 15  # bars in the chart: enough to see the order, few enough to read at a glance


def _recurring(conn: sqlite3.Connection) -> tuple[list[dict], list[tuple[str, str]], dict[tuple[str, str], list[dict]]]:
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
        # ofsted_reviewed_status (reviews.py, prepare_connection), the one definition of a reviewed status in SQL.
        # It is asked only for the rows of pairs with a review (as the recurring_themes query does, queries.yml):
        # a call for each of the archive's rows made the first request after a change wait on the interpreter.
        cursor = conn.execute(
            """
            select c.from_inspection_id, c.to_inspection_id, r.row_number,
                   case when c.id in (select value from json_each(ofsted_reviewed_pairs()))
                        then ofsted_reviewed_status(r.id, r.status) else r.status end,
                   r.themes,
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
            if status == Status.RECURRING:
                held.append({"from": earlier, "to": later, "row_number": number, "themes": _split(themes)})
    authorities = [r[0] for r in conn.execute("select distinct authority_id from inspections order by authority_id")]
    live = [pair for a in authorities for pair in consecutive_pairs(conn, a) if pair not in current]
    return rows, live, out_of_date


def _split(themes: str | None) -> set[str]:
    return {t.strip() for t in (themes or "").split(",") if t.strip()}


async def recurring_rows(datasette: Datasette, request: Request, db: Database) -> tuple[list[dict], int]:
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
            if row["status"] == Status.RECURRING
        ]
    about = {
        r["id"]: r
        for r in await _rows(
            db,
            "select i.id, i.authority_id, a.name as authority_name, a.region, i.framework, "
            "substr(i.start_date, 1, 4) as year from inspections i join authorities a on a.id = i.authority_id",
        )
    }
    return [
        {
            "authority_id": about[row["to"]]["authority_id"],
            "authority_name": about[row["to"]]["authority_name"],
            "region": about[row["to"]]["region"],
            "framework": about[row["to"]]["framework"],
            "from_inspection_id": row["from"],
            "to_inspection_id": row["to"],
            "year": about[row["to"]]["year"],
            "row_number": row["row_number"],
            "themes": row["themes"],
        }
        for row in rows
        if row["to"] in about
    ], updating


# Every comparison of consecutive inspections, whatever it found: the denominators of the rates. A pair belongs to
# the year, region and framework of its later inspection, as a recurring row does.
COMPARED_PAIRS = """
select authority_id, region, framework, year, from_inspection_id, to_inspection_id from (
  select i.authority_id, a.region, i.framework, substr(i.start_date, 1, 4) as year, i.id as to_inspection_id,
         lag(i.id) over (partition by i.authority_id order by i.start_date, i.id) as from_inspection_id
  from inspections i join authorities a on a.id = i.authority_id
) where from_inspection_id is not null
"""


def _matches(row: dict, filters: dict[str, str]) -> bool:
    """Whether a recurring row or a compared pair is in the filters (region, framework, year of the later inspection)."""
    return all(not value or (row.get(key) or "") == value for key, value in filters.items())


def recurring_themes(
    rows: list[dict], names: dict[str, str], filters: dict[str, str] | None = None, pairs: list[dict] | None = None
) -> list[dict]:
    """Themes by the number of authorities they recurred in, with their regions, years, rates and the pairs.

    A theme's rate is the authorities it recurred in over the authorities with a comparison at all (`pairs`, in the
    same filters): 40 authorities is a lot of 60 compared, less of 150. By year, the same for the pairs whose later
    inspection was that year.
    """
    filters = {k: v for k, v in (filters or {}).items() if v}
    compared = [p for p in pairs or [] if _matches(p, filters)]
    compared_authorities = {p["authority_id"] for p in compared}
    compared_by_year: dict[str, set[str]] = {}
    for pair in compared:
        compared_by_year.setdefault(pair["year"], set()).add(pair["authority_id"])
    themes = _themes_of(rows, names, filters)
    out = [_summed(entry, compared_authorities, compared_by_year) for entry in themes.values()]
    out.sort(key=lambda t: (-len(t["authorities"]), -t["recurring_rows"], t["name"]))
    return out


def _themes_of(rows: list[dict], names: dict[str, str], filters: dict[str, str]) -> dict[str, dict]:
    """Each theme's recurring rows in the filters, counted by region and year, with the authorities and pairs."""
    themes: dict[str, dict] = {}
    for row in rows:
        if not _matches(row, filters):
            continue
        for theme in row["themes"]:
            if is_national_framework(theme):
                continue
            entry = themes.setdefault(
                theme,
                {
                    "id": theme,
                    "name": names.get(theme, theme),
                    "recurring_rows": 0,
                    "by_region": {},
                    "by_year": {},
                    "_years": {},
                    "_pairs": {},
                },
            )
            entry["recurring_rows"] += 1
            entry["by_region"][row["region"] or "unknown"] = entry["by_region"].get(row["region"] or "unknown", 0) + 1
            entry["by_year"][row["year"]] = entry["by_year"].get(row["year"], 0) + 1
            entry["_years"].setdefault(row["year"], set()).add(row["authority_id"])
            key = (row["authority_id"], row["from_inspection_id"], row["to_inspection_id"])
            entry["_pairs"].setdefault(key, {"authority_name": row["authority_name"], "region": row["region"]})
    return themes


def _summed(entry: dict, compared_authorities: set[str], compared_by_year: dict[str, set[str]]) -> dict:
    """A theme's entry finished: its authorities with their pairs and longest runs, its rates overall and by year."""
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
    entry["authorities_compared"] = len(compared_authorities)
    entry["rate"] = _rate(len(authorities), len(compared_authorities))
    entry["by_region"] = dict(sorted(entry["by_region"].items(), key=lambda kv: (-kv[1], kv[0])))
    entry["by_year"] = dict(sorted(entry["by_year"].items()))
    years = entry.pop("_years")
    entry["rates_by_year"] = {
        year: {
            "authorities": len(years.get(year, ())),
            "authorities_compared": len(compared_by_year[year]),
            "rate": _rate(len(years.get(year, ())), len(compared_by_year[year])),
        }
        for year in sorted(compared_by_year)
    }
    return entry


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def place_words(filters: dict[str, str]) -> str:
    """Where and when the page counts, in words for its title: 'across England', 'in the North West, ILACS, 2022'."""
    where = f"in the {filters['region']}" if filters.get("region") else "across England"
    more = [f"{filters['framework']} inspections" if filters.get("framework") else "", filters.get("year") or ""]
    more = [m for m in more if m]
    return where + (f" ({', '.join(more)})" if more else "")


def theme_chart(themes: list[dict], filters: dict[str, str]) -> Markup:
    """The themes raised again in most authorities, as bars; each name links to its row of the table below."""
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
        caption=f"Authorities where each theme was raised again, {place_words(filters)}",
        unit="authorities",
        colour=Status.RECURRING.colour,
        chart_id="recurring-chart",
    )


# The heat map's shades: a cell's rate (authorities where the theme recurred / authorities compared that year) falls
# in one of these bands, each a step darker; five steps a reader tells apart, each with dark text at >= 4.5:1.
HEAT_BANDS = (0.0, 0.1, 0.2, 0.35, 0.5)
# A year with fewer compared authorities than this says little: its cells are marked as based on few.
FEW_COMPARED = 5


def heat_map(themes: list[dict], years: list[str], filters: dict[str, str]) -> Markup:
    """Is it getting better? A theme a row, a year a column: the share of the authorities compared that year (the
    later inspection's) where the theme was raised again, shaded by band. A table, so a screen reader reads it."""
    if not themes or not years:
        return Markup("")
    head = Markup("").join(Markup('<th scope="col" class="num">{}</th>').format(y) for y in years)
    body = []
    for theme in themes:
        cells = []
        for year in years:
            cell = theme["rates_by_year"].get(year)
            if not cell or cell["rate"] is None:
                cells.append(
                    Markup('<td class="heat heat-none"><span class="visually-hidden">no comparison</span></td>')
                )
                continue
            band = sum(1 for floor in HEAT_BANDS[1:] if cell["rate"] >= floor)
            few = cell["authorities_compared"] < FEW_COMPARED
            words = (
                f"{theme['name']}, {year}: raised again in {cell['authorities']} of the {cell['authorities_compared']} "
                f"authorities compared{' (few compared)' if few else ''}"
            )
            cells.append(
                Markup(
                    '<td class="heat heat-{band}{few}" title="{words}"><span class="pct">{pct}%</span>'
                    '<span class="of">{n}/{m}</span></td>'
                ).format(
                    band=band,
                    few=" few" if few else "",
                    words=words,
                    pct=round(100 * cell["rate"]),
                    n=cell["authorities"],
                    m=cell["authorities_compared"],
                )
            )
        body.append(
            Markup('<tr><th scope="row"><a href="#theme-{id}">{name}</a></th>{cells}</tr>').format(
                id=theme["id"], name=theme["name"], cells=Markup("").join(cells)
            )
        )
    return Markup(
        '<figure class="heat-map" id="theme-years" aria-labelledby="theme-years-caption">'
        '<figcaption id="theme-years-caption">Is it getting better? The share of the authorities compared each year '
        "(by the later inspection) where each theme was raised again, {where}</figcaption>"
        '<div class="table-wrap" tabindex="0"><table class="heat"><thead><tr><th scope="col">Theme</th>{head}</tr></thead>'
        "<tbody>{body}</tbody></table></div></figure>"
    ).format(where=place_words(filters), head=head, body=Markup("").join(body))


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


NATIONAL_CSV_HEADER = (
    "theme_id",
    "theme",
    "year",
    "authorities_recurring",
    "authorities_compared",
    "rate",
    "recurring_rows",
)

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request

HEAT_MAP_THEMES = 15  # rows of the heat map: the themes of the bar chart, so the two read together
FIRST_THEMES = 15  # themes in the table as the page opens (the chart's); the rest to TOP_THEMES folded below it
REGION_LINKS = 3  # regions named in a theme's row; its own page names them all


async def national(datasette: Datasette, request: Request) -> Response:
    """England as a whole: permission, the filters checked, one read of every recurring row, render."""
    db = await ofsted_database(datasette, request)
    return await kept_page(datasette, request, db, lambda: _national(datasette, request, db))


async def _national(datasette: Datasette, request: Request, db: Database) -> Response:
    filters = {k: (request.args.get(k) or "") for k in ("region", "framework", "year")}
    if filters["year"] and not YEAR.fullmatch(filters["year"]):
        raise BadRequest("year must be four digits, such as 2022")
    rows, updating = await _national_rows(datasette, request, db)
    also = (reviews_database(datasette),)  # what is kept reads the reviews too: kept against both versions
    pairs = await _rows(db, COMPARED_PAIRS)
    choices = {key: sorted({p[key] for p in pairs if p[key]}) for key in ("region", "framework")}
    for key, allowed in choices.items():
        if filters[key] and filters[key] not in allowed:
            raise BadRequest(f"{key} must be one of {', '.join(allowed)}")
    names = {r["id"]: r["name"] for r in await _rows(db, "select id, name from themes")}
    # One theme's page: its row and every comparison it recurred in (the main page links to it, so that its own HTML
    # stays small: the pair links of every theme were most of a 466 KB page).
    theme_id = request.args.get("theme") or ""
    if theme_id and theme_id not in names:
        raise BadRequest(f"No theme '{theme_id[:80]}': see the themes table for their ids.")
    years = {p["year"] for p in pairs}

    async def count_themes() -> list[dict]:
        counted = [t for t in recurring_themes(rows, names, filters, pairs) if not theme_id or t["id"] == theme_id]
        _link(datasette, counted, filters, theme_id)
        return counted

    # Counted once a version and filters, not at every request: with every pair's link it was 50 ms of the event
    # loop a request on the archive, which every other request waited for. Kept only for the years held, so that
    # hostile filters cannot fill memory (regions, frameworks and themes are checked above).
    version_key = (cache.site(datasette), live_comparisons(), tuple(filters.items()), theme_id)  # links: per site
    held = lambda _: not filters["year"] or filters["year"] in years  # noqa: E731
    themes = await cache.kept(db, ("national themes", *version_key), count_themes, also, keep=held)
    in_filters = [p for p in pairs if _matches(p, {k: v for k, v in filters.items() if v})]
    page = {
        "filters": filters,
        "theme_id": theme_id,
        "title": _title(filters, names.get(theme_id)),
        "themes": themes,
        "in_filters": in_filters,
        "being_updated": {"pairs": updating, "message": being_updated_notice(updating)} if updating else None,
    }
    fmt = request.url_vars.get("format")
    if fmt == ".json":

        async def encode() -> bytes:
            return json_response(_json_body(page)).body

        # Encoded once as well: every pair of every theme is a megabyte of JSON on the archive (14 ms a request).
        body = await cache.kept(db, ("national json", *version_key), encode, also, keep=held)
        return Response(body, content_type="application/json; charset=utf-8")
    if fmt == ".csv":
        return csv_response("ofsted-national.csv", NATIONAL_CSV_HEADER, _csv_lines(themes))

    async def draw() -> dict[str, Markup]:
        return _charts(page, pairs)

    drawn = await cache.kept(db, ("national charts", *version_key), draw, also, keep=held)
    context = {**_html_context(datasette, db, page, rows, pairs, choices), **drawn}
    return await _render(datasette, request, "ofsted_national.html", context, trail=ofsted_trail(datasette))


async def _national_rows(datasette: Datasette, request: Request, db: Database) -> tuple[list[dict], int]:
    """Every recurring row (recurring_rows) and how many pairs are being updated, kept while neither the database
    nor the reviews change and no pair is being updated: the reading grows with the archive. The themes are counted
    from it for each request's filters."""
    also = (reviews_database(datasette),)  # ofsted_reviewed_status reads the reviews: kept against both versions

    async def read_rows() -> tuple[list[dict], int]:
        return await recurring_rows(datasette, request, db)

    # Kept while neither the database nor the reviews change and no pair has been compared live since (while pairs
    # are being updated too: read at every request, the stored rows of a stale archive made the page take seconds
    # under load).
    return await cache.kept(db, ("national rows", live_comparisons()), read_rows, also)


def _title(filters: dict[str, str], theme_name: str | None) -> str:
    if theme_name:
        return f"{theme_name}: where Ofsted raised it again {place_words(filters)}"
    return f"What Ofsted raises again {place_words(filters)}"


def _link(datasette: Datasette, themes: list[dict], filters: dict[str, str], theme_id: str) -> None:
    """Each theme's links: every pair to its comparison filtered to the theme's recurring rows, each region's count
    to this page filtered to it (the other filters kept), and the theme's own page."""
    kept = {k: v for k, v in filters.items() if v}
    for theme in themes:
        for authority in theme["authorities"]:
            for pair in authority["pairs"]:
                pair["url"] = Pair(pair["from"], pair["to"]).url(datasette, "?") + urlencode(
                    {"status": Status.RECURRING.value, "theme": theme["id"]}
                )
        theme["region_links"] = [
            (
                region,
                n,
                "?"
                + urlencode({**kept, "region": region, **({"theme": theme_id} if theme_id else {})}, quote_via=quote),
            )
            for region, n in theme["by_region"].items()
        ]
        theme["page_url"] = "?" + urlencode({**kept, "theme": theme["id"]}, quote_via=quote)
        theme["comparisons"] = sum(len(a["pairs"]) for a in theme["authorities"])


def _json_body(page: dict) -> dict:
    in_filters = page["in_filters"]
    return {
        "filters": {k: v or None for k, v in {**page["filters"], "theme": page["theme_id"]}.items()},
        "title": page["title"],
        "authorities_compared": len({p["authority_id"] for p in in_filters}),
        "pairs_compared": len(in_filters),
        "themes": [{k: v for k, v in t.items() if k not in ("region_links", "page_url")} for t in page["themes"]],
        "being_updated": page["being_updated"],
    }


def _csv_lines(themes: list[dict]) -> list[list]:
    """A line per theme over all years, then one per year it was compared in."""
    lines = []
    for t in themes:
        lines.append(
            [t["id"], t["name"], "all", len(t["authorities"]), t["authorities_compared"], t["rate"], t["recurring_rows"]]
        )
        lines += [
            [t["id"], t["name"], y, c["authorities"], c["authorities_compared"], c["rate"], t["by_year"].get(y, 0)]
            for y, c in t["rates_by_year"].items()
        ]
    return lines


def _charts(page: dict, pairs: list[dict]) -> dict[str, Markup]:
    """The theme chart and the heat map of the themes counted (drawn once a version and filters)."""
    filters, themes = page["filters"], page["themes"]
    shown_years = sorted(y for y in {p["year"] for p in pairs} if not filters["year"] or y == filters["year"])
    return {
        "chart": theme_chart(themes[:CHART_THEMES], filters),
        "heat_map": heat_map(themes[:HEAT_MAP_THEMES], shown_years, filters),
    }


def _html_context(datasette: Datasette, db: Database, page: dict, rows: list[dict], pairs: list[dict], choices: dict) -> dict:
    filters, themes, in_filters = page["filters"], page["themes"], page["in_filters"]
    years = sorted({p["year"] for p in pairs})
    query = urlencode({k: v for k, v in {**filters, "theme": page["theme_id"]}.items() if v})
    exports = export_urls(datasette, "/-/ofsted/national", query)
    query_params = {k: filters[k] for k in ("region", "framework") if filters[k]}
    return {
        "title": page["title"],
        "theme_id": page["theme_id"],
        "first_themes": FIRST_THEMES,
        "region_count": REGION_LINKS,
        "all_themes_url": "?" + urlencode({k: v for k, v in filters.items() if v}, quote_via=quote),
        "themes": themes[:TOP_THEMES],
        "theme_count": len(themes),
        "regions": choices["region"],
        "frameworks": choices["framework"],
        "years": sorted(years, reverse=True),
        "filters": filters,
        "json_url": exports["json"],
        "exports": exports,
        "ofsted_json_url": exports["json"],
        "query_url": chart_url(datasette, db.name, "recurring_themes", query_params),
        "pairs": len({(r["from_inspection_id"], r["to_inspection_id"]) for r in rows if _matches(r, filters)}),
        "pairs_compared": len(in_filters),
        "authorities_compared": len({p["authority_id"] for p in in_filters}),
        "database": db.name,
        "being_updated": page["being_updated"],
    }
