"""Full-text search over every finding: paged, filtered by kind, authority and year."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from datasette.utils.asgi import BadRequest, Response

from ..databases import ofsted_database
from ..pairs import AUTHORITY_ID
from ..text import stem
from .common import (
    YEAR,
    _render,
    _rows,
    csv_response,
    export_urls,
    json_response,
    kept_page,
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

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.utils.asgi import Request



async def search(datasette: Datasette, request: Request) -> Response:
    """Findings that match the words: permission, the query and filters checked, one read, render."""
    db = await ofsted_database(datasette, request)
    return await kept_page(datasette, request, db, lambda: _search(datasette, request, db))


async def _search(datasette: Datasette, request: Request, db: Database) -> Response:
    q, filters, offset = _asked(request)
    choices = await _choices(db)
    for key in ("kind", "region"):
        if filters[key] and filters[key] not in choices[key]:
            raise BadRequest(f"{key} must be one of {', '.join(choices[key])}")
    match = fts_query(q)
    results, more, total = await _found(db, match, filters, offset) if match else ([], False, 0)
    for result in results:
        result["url"] = datasette.urls.row(db.name, "findings", result["id"])
        result["timeline_url"] = datasette.urls.path(f"/-/ofsted/{result['authority_id']}")
        result["page_url"] = page_url(result.pop("source_url"), result.get("page"))
    query = {k: v for k, v in {"q": q, **filters}.items() if v}
    next_url = datasette.urls.path("/-/ofsted/search") + "?" + urlencode({**query, "_next": offset + PAGE_SIZE})
    exports = export_urls(datasette, "/-/ofsted/search", urlencode({**query, **({"_next": offset} if offset else {})}))
    fmt = request.url_vars.get("format")
    if fmt == ".csv":
        rows = ([r[k.replace("finding_id", "id")] for k in SEARCH_CSV_HEADER] for r in results)
        return csv_response("ofsted-search.csv", SEARCH_CSV_HEADER, rows)
    if fmt == ".json":
        return json_response(
            {
                "q": q,
                "filters": {k: v or None for k, v in filters.items()},
                "total": total,
                "offset": offset,
                "rows": results,
                "next": offset + PAGE_SIZE if more else None,
                "next_url": next_url.replace("/-/ofsted/search?", "/-/ofsted/search.json?", 1) if more else None,
            }
        )
    context = {
        "q": q,
        # The words' stems, marked in each result by the ofsted_highlight filter.
        "stems": frozenset(stem(w.lower()) for w in WORD.findall(q)),
        "searched": bool(match),
        "results": results,
        "total": total,
        "offset": offset,
        "next_url": next_url if more else None,
        "first_url": datasette.urls.path("/-/ofsted/search") + "?" + urlencode(query) if offset else None,
        "filters": {"q": q, **filters},
        "kinds": choices["kind"],
        "authorities": choices["authorities"],
        "regions": choices["region"],
        "json_url": exports["json"],
        "exports": exports,
        "ofsted_json_url": exports["json"],
        "database": db.name,
    }
    return await _render(datasette, request, "ofsted_search.html", context, trail=ofsted_trail(datasette))


def _asked(request: Request) -> tuple[str, dict[str, str], int]:
    """The query (cut to MAX_QUERY), the filters and the page's offset, each checked: BadRequest, saying how, if not."""
    q = (request.args.get("q") or "")[:MAX_QUERY].strip()
    filters = {k: request.args.get(k) or "" for k in ("kind", "authority", "region", "year")}
    if filters["authority"] and not AUTHORITY_ID.fullmatch(filters["authority"]):
        raise BadRequest("authority must be an authority id such as 'sutton' or 'east-sussex'")
    if filters["year"] and not YEAR.fullmatch(filters["year"]):
        raise BadRequest("year must be four digits, such as 2022")
    try:
        offset = int(request.args.get("_next") or 0)
    except ValueError:
        raise BadRequest("_next must be a whole number (the offset of the next page)") from None
    if not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"_next must be between 0 and {MAX_OFFSET}")
    return q, filters, offset


async def _choices(db: Database) -> dict[str, list]:
    """What the filters can be: the kinds of finding, and the authorities and regions with inspections here."""
    return {
        "kind": [r["kind"] for r in await _rows(db, "select distinct kind from findings order by kind")],
        "authorities": await _rows(
            db, "select id, name from authorities where id in (select authority_id from inspections) order by name"
        ),
        "region": [
            r["region"]
            for r in await _rows(
                db,
                "select distinct region from authorities where region is not null and region != '' "
                "and id in (select authority_id from inspections) order by region",
            )
        ],
    }


# Each filter's condition on the search's join.
FILTER_SQL = {
    "kind": "f.kind = ?",
    "authority": "i.authority_id = ?",
    "year": "substr(i.start_date, 1, 4) = ?",
    "region": "a.region = ?",
}


async def _found(db: Database, match: str, filters: dict[str, str], offset: int) -> tuple[list[dict], bool, int]:
    """A page of the findings that match, best first; whether there are more; how many match in all."""
    where, params = ["findings_fts match ?"], [match]
    for key, condition in FILTER_SQL.items():
        if filters[key]:
            where.append(condition)
            params.append(filters[key])
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
    total = (await db.execute(f"select count(*) {joins}", params)).first()[0]
    return results[:PAGE_SIZE], len(results) > PAGE_SIZE, total
