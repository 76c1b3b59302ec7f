"""The index: every authority with its latest inspection."""

from __future__ import annotations

from datasette.utils.asgi import Response

from .common import _render, _rows, ofsted_database


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
