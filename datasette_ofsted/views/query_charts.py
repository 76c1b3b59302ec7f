"""The charts of the plugin's canned queries, drawn by the plugin on each query's own page from the rows it shows.

datasette-vega (0.6.2) draws a canned query's chart from its `#g.` fragment, whose keys are a mark, the x and y
columns and their types, and a colour and a size column: nothing sets a width, a colour scale or a sort. Its spec
goes to vega-embed with no width and the 'quartz' theme, drawn on a canvas (447 px wide at 1366 and at 390 px,
letters about 8 px, in the theme's colours, not the status badges'), and vega-embed warns on every chart that "the
compiled spec uses Vega v3, but current version is 4.2.0" (its bundled Vega-Lite 2.6 and Vega 4.2 disagree). The
spec and the embedding are inside its bundle's closure, and a canvas takes no CSS colours, so neither a template nor a
stylesheet nor a script of this plugin can change them. So the plugin draws these charts itself, as it draws the
timeline's and the national page's (charts.py), in the badges' colours (ofsted.css, the one definition); the
query templates (templates/query-ofsted-<query>.html) put the chart under the query's description.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from datasette.database import QueryInterrupted
from markupsafe import Markup

from ..pairs import Pair
from ..status import LABELS, STATUSES
from .authority import grade_chart
from .charts import Bar, Stack, bar_chart, stacked_chart
from .national import CHART_THEMES

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request


def _as_dicts(rows: Sequence[Any], columns: Sequence[str]) -> list[dict]:
    """The page's rows (sqlite3.Row on 0.65, rows or dicts on 1.0a) as dicts by column name."""
    return [dict(row) if isinstance(row, dict) else dict(zip(columns, row)) for row in rows]


def status_counts_chart(datasette: Datasette, rows: list[dict]) -> Markup:
    """status_counts: a stacked bar a pair, in time order, each status in its badge's colours; a pair links to its
    comparison."""
    stacks: dict[tuple[str, str], Stack] = {}
    for row in rows:
        key = (row["from_inspection_id"], row["to_inspection_id"])
        if key not in stacks:
            href = Pair(*key).url(datasette)
            stacks[key] = Stack(label=str(row["pair"]), href=href, counts={})
        if row["status"] in LABELS:
            stacks[key].counts[row["status"]] = stacks[key].counts.get(row["status"], 0) + int(row["n"] or 0)
    return stacked_chart(
        sorted(stacks.values(), key=lambda s: s.label),
        STATUSES,
        LABELS,
        caption="The improvements of each comparison by status (a pair of inspections a bar, oldest first)",
        chart_id="query-chart",
    )


def grades_over_time_chart(datasette: Datasette, rows: list[dict]) -> Markup:
    """grades_over_time: the timeline's grade chart, best grade at the top, one point an inspection."""
    seen: dict[str, dict] = {}
    for row in rows:  # an inspection's first overall judgement, as the query orders them
        seen.setdefault(
            row["start_date"],
            {
                "id": row["start_date"],
                "start_date": row["start_date"],
                "overall_grade": row["grade"],
                "inspection_type": row.get("area") or "",
            },
        )
    # In a box of its own that scrolls past the chart's narrowest (11 px letters), as on the timeline.
    return Markup(
        '<figure class="query-grade-chart" id="query-chart"><figcaption>{}</figcaption>'
        '<div class="table-wrap" tabindex="0">{}</div></figure>'
    ).format("Overall grade of each inspection over time", grade_chart([seen[d] for d in sorted(seen)]))


def recurring_themes_chart(datasette: Datasette, rows: list[dict]) -> Markup:
    """recurring_themes: the national page's bars, largest first (the query's order), as many as it draws, each theme
    linking to its national page; the table under it lists them all."""
    national = datasette.urls.path("/-/ofsted/national")
    return bar_chart(
        [
            Bar(
                label=row["theme"],
                value=int(row["authorities"] or 0),
                href=f"{national}?theme={row['theme_id']}",
                title=f"raised again in {row['authorities']} authorities ({row['recurring_rows']} recurring rows)",
            )
            for row in rows[:CHART_THEMES]
        ],
        caption=f"Authorities where each theme was raised again: the {min(len(rows), CHART_THEMES)} raised again in most",
        unit="authorities",
        colour="recurring",
        chart_id="query-chart",
    )


# Each charted query, with the columns its chart reads (a database an older release built answers with a `problem`
# column instead, and gets no chart).
QUERY_CHARTS: dict[str, tuple[tuple[str, ...], Callable[[Any, list[dict]], Markup]]] = {
    "status_counts": (("pair", "status", "n", "from_inspection_id", "to_inspection_id"), status_counts_chart),
    "grades_over_time": (("start_date", "grade"), grades_over_time_chart),
    "recurring_themes": (("theme", "authorities", "recurring_rows", "theme_id"), recurring_themes_chart),
}


# A named parameter of a query's SQL (`:authority`), not a cast (`::`).
NAMED_PARAMETER = re.compile(r"(?<!:):(\w+)")


async def chart_of_query(datasette: Datasette, database: str, name: str, request: Request) -> Markup:
    """The chart of canned query `name` as its page asks it (the request's parameters), read with the query's own
    SQL under Datasette's time limit: Datasette 1.0a gives a query's template its rows only as rendered cells."""
    if name not in QUERY_CHARTS:
        return Markup("")
    from .. import _answerable, _missing_schema, canned_queries_definitions

    sql = _answerable(canned_queries_definitions()[name]["sql"], await _missing_schema(datasette, database))
    params = {p: request.args.get(p) or "" for p in set(NAMED_PARAMETER.findall(sql))}
    try:
        results = await datasette.get_database(database).execute(sql, params)
    except (QueryInterrupted, sqlite3.Error):  # the page itself says what went wrong
        return Markup("")
    return query_chart(datasette, name, results.rows, results.columns)


def query_chart(datasette: Datasette, name: str, rows: Sequence[Any], columns: Sequence[str]) -> Markup:
    """The chart of canned query `name` from the rows its page shows; nothing for a query without one, no rows,
    or rows without the chart's columns."""
    if name not in QUERY_CHARTS or not rows:
        return Markup("")
    needed, draw = QUERY_CHARTS[name]
    if not set(needed) <= set(columns):
        return Markup("")
    chart = draw(datasette, _as_dicts(rows, columns))
    # A landmark of its own (a named section): Datasette's query page has none, and a reader who moves by landmarks
    # finds the chart.
    return (
        Markup('<section class="ofsted query-chart" aria-label="Chart of the results">{}</section>').format(chart)
        if chart
        else Markup("")
    )
