"""Every route the plugin serves, in one list: its path pattern, its view, its formats, the permission it
needs and a request against the bundled reports that answers when allowed.

`register_routes` serves this list; the permission tests, the security tests, the browser tests, the
packaging test and the benchmarks read it, so that a new page cannot be left out of any of them.
Importing this module loads no view (and no Datasette): a view is named as "module:function".
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

# What a route needs:
INSTANCE = "view-instance"  # only to see the instance (a page that reads no database)
VIEW = "view"  # Datasette's view permissions on the Ofsted database (and each table the page reads)
READ_REVIEWS = "read-reviews"  # reviewers' names, notes and dates: reviewers and the `review_readers` named
REVIEW = "ofsted-review"  # recording a review (POST): the `reviewers` setting
PERMISSIONS = (INSTANCE, VIEW, READ_REVIEWS, REVIEW)

# The pair every example of a comparison uses: Sutton's 2013 inspection and its 2018 visit (bundled).
EXAMPLE_PAIR = "sutton-2013-05-13...sutton-2018-06-26"
# A bundled PDF's document id (data/reports/2755292.pdf, Stockport's 2017 report).
EXAMPLE_DOCUMENT = "stockport-2017-06-12-report"


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str  # the regular expression register_routes serves
    view: str  # "module:function" under datasette_ofsted.views
    formats: tuple[str, ...]  # "" for HTML; ".json", ".csv"
    permission: str  # one of PERMISSIONS
    example: str  # a path against the bundled reports, {format} where the format goes
    query: str = ""  # the example's query string
    method: str = "GET"
    status: int = 200  # what the example answers when allowed (a form's target redirects)
    content: str = "page"  # "page": HTML, or the format's JSON or CSV; "pdf": a document as ingested

    def examples(self) -> list[str]:
        """The example request in each format."""
        suffix = f"?{self.query}" if self.query else ""
        return [self.example.format(format=fmt) + suffix for fmt in self.formats]

    def handler(self):
        module, function = self.view.split(":")
        return getattr(importlib.import_module(f"datasette_ofsted.views.{module}"), function)


_PAIR = r"(?P<pair>[^/]*?)"

# In the order they are matched: the authority page's catch-all comes last.
ROUTES: tuple[Route, ...] = (
    Route(
        "review",
        rf"^/-/ofsted/compare/{_PAIR}/review$",
        "review:review",
        ("",),
        REVIEW,
        f"/-/ofsted/compare/{EXAMPLE_PAIR}/review",
        method="POST",
    ),
    Route(
        "review_history",
        rf"^/-/ofsted/compare/{_PAIR}/reviews(?P<format>\.json)?$",
        "review:history",
        ("", ".json"),
        READ_REVIEWS,
        f"/-/ofsted/compare/{EXAMPLE_PAIR}/reviews{{format}}",
    ),
    Route(
        "review_agreement",
        r"^/-/ofsted/reviews(?P<format>\.json)?$",
        "review:agreement_page",
        ("", ".json"),
        READ_REVIEWS,
        "/-/ofsted/reviews{format}",
    ),
    Route(
        "review_gold_export",
        rf"^/-/ofsted/reviews/{_PAIR}\.json$",
        "review:gold_export",
        ("",),
        READ_REVIEWS,
        f"/-/ofsted/reviews/{EXAMPLE_PAIR}.json",
    ),
    Route(
        "document",
        r"^/-/ofsted/document/(?P<document_id>[^/]+)\.pdf$",
        "document:document",
        ("",),
        VIEW,
        f"/-/ofsted/document/{EXAMPLE_DOCUMENT}.pdf",
        content="pdf",
    ),
    Route(
        "about",
        r"^/-/ofsted/about(?P<format>\.json)?$",
        "about:about",
        ("", ".json"),
        INSTANCE,
        "/-/ofsted/about{format}",
    ),
    Route("index", r"^/-/ofsted(?P<format>\.json|\.csv)?$", "index:index", ("", ".json", ".csv"), VIEW, "/-/ofsted{format}"),
    Route(
        "search",
        r"^/-/ofsted/search(?P<format>\.json|\.csv)?$",
        "search:search",
        ("", ".json", ".csv"),
        VIEW,
        "/-/ofsted/search{format}",
        query="q=return+home+interviews",
    ),
    Route(
        "national",
        r"^/-/ofsted/national(?P<format>\.json|\.csv)?$",
        "national:national",
        ("", ".json", ".csv"),
        VIEW,
        "/-/ofsted/national{format}",
    ),
    Route(
        "compare_form",
        r"^/-/ofsted/compare$",
        "compare:compare_form",
        ("",),
        VIEW,
        "/-/ofsted/compare",
        query="from=sutton-2013-05-13&to=sutton-2018-06-26",
        status=302,
    ),
    Route(
        "compare",
        rf"^/-/ofsted/compare/{_PAIR}(?P<format>\.json|\.csv)?$",
        "compare:compare",
        ("", ".json", ".csv"),
        VIEW,
        f"/-/ofsted/compare/{EXAMPLE_PAIR}{{format}}",
    ),
    Route(
        "authority",
        r"^/-/ofsted/(?P<authority>[^/]+?)(?P<format>\.json|\.csv)?$",
        "authority:authority",
        ("", ".json", ".csv"),
        VIEW,
        "/-/ofsted/sutton{format}",
    ),
)


def served() -> list[tuple[str, object]]:
    """(pattern, view) for Datasette's register_routes, in matching order."""
    return [(route.pattern, route.handler()) for route in ROUTES]


def examples(permission: str | None = None, method: str | None = "GET") -> list[str]:
    """Every example request (each format), of the routes that need `permission` (any when None)."""
    return [
        path
        for route in ROUTES
        if (permission is None or route.permission == permission) and (method is None or route.method == method)
        for path in route.examples()
    ]


def pages(formats: tuple[str, ...] = ("", ".json", ".csv"), permissions=(INSTANCE, VIEW)) -> list[tuple[str, str]]:
    """(name, path) of each page an anonymous visitor may open, in `formats`: the example requests that
    answer 200 with a page (no redirect, no PDF, no write), for the browser tests and the benchmarks."""
    return [
        (
            f"{route.name}_{fmt.lstrip('.') or 'page'}",
            route.example.format(format=fmt) + (f"?{route.query}" if route.query else ""),
        )
        for route in ROUTES
        if route.permission in permissions and route.method == "GET" and route.status == 200 and route.content == "page"
        for fmt in route.formats
        if fmt in formats
    ]
