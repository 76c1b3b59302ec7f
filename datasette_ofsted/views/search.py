"""Full-text search over every finding: paged, filtered by kind, authority and year."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from datasette.utils.asgi import BadRequest

from ..databases import ofsted_database
from ..pairs import AUTHORITY_ID
from ..text import stem
from .common import (
    YEAR,
    _render,
    _rows,
    csv_response,
    export_urls,
    highlight,
    json_response,
    ofsted_trail,
    page_url,
)

PAGE_SIZE = 50  # findings a page: half of Datasette's default table page, since each is a paragraph
MAX_QUERY = 200  # characters of the query read; a longer one is cut, not refused
MAX_WORDS = 20  # words of the query searched; FTS5 slows with many terms and no one types more
MAX_OFFSET = 10_000  # no one pages this deep; a bound keeps a crafted URL cheap
WORD = re.compile(r"\w+")


def fts_query(q: str) -> str:
    """The words of the query, each quoted, so FTS5 reads none of them as syntax (quotes, NUL, AND, *).

    Returns "" when the query holds no word: such a query finds nothing rather than failing.
    """
    return " ".join(f'"{w}"' for w in WORD.findall(q)[:MAX_WORDS])


SEARCH_CSV_HEADER = (
    "finding_id",
    "inspection_id",
    "authority_id",
    "authority_name",
    "region",
    "start_date",
    "inspection_type",
    "kind",
    "polarity",
    "section",
    "page",
    "text",
)


async def search(datasette, request):
    db = await ofsted_database(datasette, request)
    q = (request.args.get("q") or "")[:MAX_QUERY].strip()
    kind, authority, year, region = (request.args.get(k) or "" for k in ("kind", "authority", "year", "region"))
    if authority and not AUTHORITY_ID.fullmatch(authority):
        raise BadRequest("authority must be an authority id such as 'sutton' or 'east-sussex'")
    if year and not YEAR.fullmatch(year):
        raise BadRequest("year must be four digits, such as 2022")
    try:
        offset = int(request.args.get("_next") or 0)
    except ValueError:
        raise BadRequest("_next must be a whole number (the offset of the next page)") from None
    if not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"_next must be between 0 and {MAX_OFFSET}")
    kinds = [r["kind"] for r in await _rows(db, "select distinct kind from findings order by kind")]
    if kind and kind not in kinds:
        raise BadRequest(f"kind must be one of {', '.join(kinds)}")
    authorities = await _rows(
        db, "select id, name from authorities where id in (select authority_id from inspections) order by name"
    )
    regions = [
        r["region"]
        for r in await _rows(
            db,
            "select distinct region from authorities where region is not null and region != '' "
            "and id in (select authority_id from inspections) order by region",
        )
    ]
    if region and region not in regions:
        raise BadRequest(f"region must be one of {', '.join(regions)}")

    match = fts_query(q)
    results: list[dict] = []
    more = False
    total = 0
    if match:
        where, params = ["findings_fts match ?"], [match]
        if kind:
            where.append("f.kind = ?")
            params.append(kind)
        if authority:
            where.append("i.authority_id = ?")
            params.append(authority)
        if year:
            where.append("substr(i.start_date, 1, 4) = ?")
            params.append(year)
        if region:
            where.append("a.region = ?")
            params.append(region)
        joins = f"""
            from findings_fts join findings f on f.rowid = findings_fts.rowid
            join inspections i on i.id = f.inspection_id join authorities a on a.id = i.authority_id
            left join documents d on d.id = f.document_id
            where {" and ".join(where)}"""
        results = await _rows(
            db,
            f"""
            select f.id, f.inspection_id, f.kind, f.polarity, f.section, f.page, f.text, i.authority_id,
                   a.name as authority_name, a.region, i.inspection_type, i.start_date, d.source_url
            {joins} order by rank, f.id limit ? offset ?
            """,
            [*params, PAGE_SIZE + 1, offset],
        )
        more = len(results) > PAGE_SIZE
        results = results[:PAGE_SIZE]
        total = (await db.execute(f"select count(*) {joins}", params)).first()[0]
    words = {stem(w.lower()) for w in WORD.findall(q)}
    for result in results:
        result["url"] = datasette.urls.row(db.name, "findings", result["id"])
        result["timeline_url"] = datasette.urls.path(f"/-/ofsted/{result['authority_id']}")
        result["page_url"] = page_url(result.pop("source_url"), result.get("page"))
    filters = {"q": q, "kind": kind, "authority": authority, "region": region, "year": year}
    query = {k: v for k, v in filters.items() if v}
    next_url = datasette.urls.path("/-/ofsted/search") + "?" + urlencode({**query, "_next": offset + PAGE_SIZE})
    exports = export_urls(datasette, "/-/ofsted/search", urlencode({**query, **({"_next": offset} if offset else {})}))
    if request.url_vars.get("format") == ".csv":
        return csv_response(
            "ofsted-search.csv",
            SEARCH_CSV_HEADER,
            ([r[k.replace("finding_id", "id")] for k in SEARCH_CSV_HEADER] for r in results),
        )
    if request.url_vars.get("format") == ".json":
        return json_response(
            {
                "q": q,
                "filters": {k: v or None for k, v in filters.items() if k != "q"},
                "total": total,
                "offset": offset,
                "rows": results,
                "next": offset + PAGE_SIZE if more else None,
                "next_url": next_url.replace("/-/ofsted/search?", "/-/ofsted/search.json?", 1) if more else None,
            }
        )
    for result in results:
        result["html"] = highlight(result["text"], words)
    return await _render(
        datasette,
        request,
        "ofsted_search.html",
        {
            "q": q,
            "searched": bool(match),
            "results": results,
            "total": total,
            "offset": offset,
            "next_url": next_url if more else None,
            "first_url": datasette.urls.path("/-/ofsted/search") + "?" + urlencode(query) if offset else None,
            "filters": filters,
            "kinds": kinds,
            "authorities": authorities,
            "regions": regions,
            "json_url": exports["json"],
            "exports": exports,
            "ofsted_json_url": exports["json"],
            "database": db.name,
        },
        trail=ofsted_trail(datasette),
    )
