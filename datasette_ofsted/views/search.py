"""Full-text search over every finding."""

from __future__ import annotations

import re

from datasette.utils import escape_fts
from datasette.utils.asgi import Response

from ..text import stem
from .common import _render, _rows, highlight, ofsted_database


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
