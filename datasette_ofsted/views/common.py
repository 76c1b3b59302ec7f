"""What every page of the plugin shares: finding the database (after the permission check), reading rows.

The plugin only reads: it works on a database served with `datasette -i`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from datasette.database import Database
from datasette.utils.asgi import NotFound, Response
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from .. import cache
from ..databases import find_ofsted_database, reviews_database
from ..pairs import InvalidPair, Pair
from ..status import LABELS
from ..text import STOPWORDS, stem

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request


GRADE_RANK = {"outstanding": 4, "good": 3, "requires improvement": 2, "adequate": 2, "inadequate": 1}
# A year typed in a filter (the national page, the search).
YEAR = re.compile(r"\d{4}")


def pair_in_url(request: Request) -> Pair:
    """The pair a route names (`<earlier id>...<later id>`); NotFound, saying what a pair looks like, for another."""
    try:
        return Pair.parse(request.url_vars["pair"])
    except InvalidPair as error:
        raise NotFound(str(error)) from None


async def _rows(db: Database, sql: str, params: Sequence | dict | None = None) -> list[dict]:
    """A read's rows as dicts (each call its own copies), kept while the database holds the same data (cache.py)."""
    return await cache.rows(db, sql, params)


async def _inspection(db: Database, inspection_id: str) -> dict | None:
    rows = await _rows(
        db,
        "select i.*, a.name as authority_name from inspections i join authorities a on a.id = i.authority_id where i.id = ?",
        [inspection_id],
    )
    if not rows:
        return None
    inspection = rows[0]
    inspection["judgements"] = await _rows(
        db,
        "select area, grade, about from judgements where inspection_id = ? order by document_id, ordinal",
        [inspection_id],
    )
    inspection["documents"] = await _rows(
        db,
        "select id, kind, title, file_name, source_url, pages from documents where inspection_id = ? order by kind",
        [inspection_id],
    )
    return inspection


async def inspections_of(db: Database, authority_id: str) -> list[dict]:
    """Every inspection of an authority, oldest first, each as `held_inspection` gives it: in three reads, not three
    an inspection (under load each read waits its turn for a database thread, and a timeline's first reading made
    three dozen).

    The judgements and documents are read for the inspections listed, not for the authority: ofsted-ingest may
    commit between two reads (one transaction a document, while the server serves), and an inspection it added
    meanwhile must not come with rows the list does not hold (that was a KeyError, an HTTP 500).
    """
    inspections = await _rows(
        db,
        "select i.*, a.name as authority_name from inspections i join authorities a on a.id = i.authority_id "
        "where i.authority_id = ? order by i.start_date",
        [authority_id],
    )
    ids = [i["id"] for i in inspections]
    if not ids:
        return []
    listed = ",".join("?" for _ in ids)
    judgements = _by_inspection(
        ids,
        await _rows(
            db,
            f"select inspection_id, area, grade, about from judgements where inspection_id in ({listed}) "
            "order by inspection_id, document_id, ordinal",
            ids,
        ),
    )
    documents = _by_inspection(
        ids,
        await _rows(
            db,
            f"select inspection_id, id, kind, title, file_name, source_url, pages from documents "
            f"where inspection_id in ({listed}) order by inspection_id, kind",
            ids,
        ),
    )
    for inspection in inspections:
        inspection["judgements"] = judgements[inspection["id"]]
        inspection["documents"] = documents[inspection["id"]]
    return inspections


def _by_inspection(ids: list[str], rows: list[dict]) -> dict[str, list[dict]]:
    """Rows that name their inspection (`inspection_id`, taken out of each), listed by inspection."""
    out: dict[str, list[dict]] = {i: [] for i in ids}
    for row in rows:
        out[row.pop("inspection_id")].append(row)
    return out


async def held_inspection(db: Database, inspection_id: str) -> dict:
    """The inspection with its judgements and documents; NotFound, saying where to look, when it is not held."""
    inspection = await _inspection(db, inspection_id)
    if inspection is None:
        raise NotFound(f"No inspection '{inspection_id}' in this database: see /-/ofsted for the inspections held.")
    return inspection


LINKABLE_SCHEMES = ("http", "https")


def http_url(value: object) -> str | None:
    """The address if it is an http(s) URL, else None: only these ever become links.

    A MANIFEST.csv can carry anything (`javascript:`, `data:`, a local path); a link to it would run or leak.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if any(ord(c) < 33 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINKABLE_SCHEMES or not parts.netloc:
        return None
    return url


def page_url(source_url: object, page: object) -> str | None:
    """The report's page in its source PDF (`#page=N`, which browsers' PDF viewers follow), when the source is http(s)."""
    url = http_url(source_url)
    if url is None or not isinstance(page, int) or page < 1:
        return None
    return f"{url.split('#', 1)[0]}#page={page}"


# Whether a document with no Ofsted URL is linked depends on its file (served by views/document.py).
def _candidates(source_path: str) -> list[Path]:
    """Where the recorded file may be: its path, or (ingested before paths were recorded whole) the path
    taken from the folder the server runs in, as the README's commands run both from the project folder."""
    path = Path(source_path)
    return [path] if path.is_absolute() else [Path.cwd() / path]


# The files a page's making looked for, with what it found (source path, found): a kept page (common.kept_page) is
# served again only while each is still as it was, since whether a document is linked depends on its file.
FILES_SEEN: ContextVar[list[tuple[str, bool]] | None] = ContextVar("ofsted_files_seen", default=None)


def pdf_on_disk(source_path: str) -> bool:
    """Whether the recorded PDF is (still) a file where ofsted-ingest read it."""
    return any(p.suffix.lower() == ".pdf" and p.is_file() for p in _candidates(source_path))


async def on_disk(db: Database, documents: list[dict]) -> set[str]:
    """The ids of the documents with no Ofsted URL whose PDF is still where ofsted-ingest read it: the ones
    a served link would open (the checksum is checked when it is opened)."""
    ids = [d["id"] for d in documents if not http_url(d.get("source_url")) and d.get("id")]
    if not ids:
        return set()
    rows = await _rows(db, f"select id, source_path from documents where id in ({', '.join('?' * len(ids))})", ids)
    found = {r["source_path"]: pdf_on_disk(r["source_path"]) for r in rows if r["source_path"]}
    seen = FILES_SEEN.get()
    if seen is not None:
        seen.extend(found.items())
    return {r["id"] for r in rows if found.get(r["source_path"])}


def document_href(datasette: Datasette, document: dict, on_disk: Collection[str] = ()) -> str | None:
    """Where a document opens: its Ofsted URL when the manifest gave one, else the PDF the plugin serves
    (views/document.py: a downloads folder has no manifest) if its file is `on_disk` here (a published
    copy of the database may not have it); a text report has nowhere to open."""
    url = http_url(document.get("source_url"))
    if url is not None:
        return url
    if document.get("id") in on_disk:
        return datasette.urls.path(f"/-/ofsted/document/{quote(document['id'], safe='')}.pdf")
    return None


def page_href(href: str | None, page: object) -> str | None:
    """A document_href at one page (`#page=N`, which browsers' PDF viewers follow)."""
    if href is None or not isinstance(page, int) or page < 1:
        return None
    return f"{href.split('#', 1)[0]}#page={page}"


def with_links(documents: list[dict], datasette: Datasette, on_disk: Collection[str] = ()) -> list[dict]:
    """Documents with `href`: where each opens (document_href)."""
    return [{**d, "href": document_href(datasette, d, on_disk)} for d in documents]


# What the Open Government Licence asks of every page that shows the reports: their source, Crown copyright and the
# licence. A database's own metadata (metadata.yml) may word it; these stand in when it gives none.
DEFAULT_ATTRIBUTION = {
    "license": "Open Government Licence v3.0 (reports, Crown copyright)",
    "license_url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "source": "Ofsted, inspection reports of local authority children's services",
    "source_url": "https://reports.ofsted.gov.uk/",
}


async def attribution(datasette: Datasette, database: str | None) -> dict[str, str]:
    """The licence and source of the reports, as the database's metadata words them, else DEFAULT_ATTRIBUTION."""
    from .. import ATTRIBUTION, database_metadata

    metadata = await database_metadata(datasette, database) if database else {}
    given = {key: metadata[key] for key in ATTRIBUTION if metadata.get(key)}
    return given if given.get("license") else {**DEFAULT_ATTRIBUTION, **given}


async def _render(
    datasette: Datasette, request: Request, template: str, context: dict, trail: list[tuple[str, str]] | None = None
) -> Response:
    """The page's HTML; `trail` is its breadcrumbs after home (label, href). Datasette's footer shows the reports'
    licence and source (`metadata`), and the page itself says Crown copyright and the licence (ofsted_base.html)."""
    database = context.get("database")
    if database is None:
        found = await find_ofsted_database(datasette)
        database = found.name if found is not None else None
    credit = await attribution(datasette, database)
    return Response.html(
        await datasette.render_template(
            template,
            {
                **context,
                "status_labels": LABELS,
                "trail": trail or [],
                "metadata": credit,
                "ofsted_attribution": credit,
            },
            request=request,
        )
    )


# A request that carries Datasette's messages (a cookie, shown once and then cleared) gets a page of its own.
MESSAGES_COOKIE = "ds_messages"


async def kept_page(datasette: Datasette, request: Request, db: Database, make: Callable[[], Awaitable[Response]]) -> Response:
    """The page `make()` answers, its HTML kept while it can only be the same: for the same data versions of the
    Ofsted database and the reviews database, the same actor and the same address (path and query string), and no
    pair compared live since. Called after the permission check, which every request still makes.

    Rendering was most of a page's time under load (Datasette renders its templates asynchronously, a generator
    step per tag). A page is never kept, nor given to another request, when its making asked for a CSRF token (a
    reviewer's forms, the logout button of a signed-in actor: the token is the visitor's own), when it answered
    anything but a plain 200, or when the request carries Datasette's one-time messages; and never at all with the
    plugin setting `keep_pages: false` (another plugin whose templates vary per request would want that).
    """
    from .. import _settings
    from ..comparisons import live_comparisons

    fmt = (request.url_vars or {}).get("format")
    if fmt or _settings(datasette).get("keep_pages") is False or MESSAGES_COOKIE in request.cookies:
        return await make()  # .json and .csv keep what they read and encode their own way
    rdb = reviews_database(datasette)
    actor = json.dumps(request.actor, sort_keys=True, default=str) if request.actor is not None else None
    key = ("page", cache.site(datasette), request.path, request.query_string, actor, live_comparisons())
    made: list[Response] = []

    async def render() -> tuple[str, tuple[tuple[str, bool], ...]] | None:
        files: list[tuple[str, bool]] = []
        personal: list[str] = []
        watching, marking = FILES_SEEN.set(files), _PERSONAL.set(personal)
        try:
            response = await _watching_token(request, make)
        finally:
            FILES_SEEN.reset(watching)
            _PERSONAL.reset(marking)
        made.append(response)
        plain = (
            response.status == 200
            and response.content_type.startswith("text/html")
            and not response.headers
            and not getattr(response, "_set_cookie_headers", None)
            and isinstance(response.body, str)
        )
        if personal or not plain:
            return _PER_REQUEST
        return response.body, tuple(dict(files).items())

    page = await cache.kept(db, key, render, (rdb,), keep=lambda b: b is not _PER_REQUEST, store=cache.PAGES)
    if made:  # this request made it
        return made[0]
    if page is _PER_REQUEST:  # made for another request alone
        return await make()
    if not _files_as_seen(page[1]):  # a report's file came or went: its link with it
        cache.forget(db, key, (rdb,), store=cache.PAGES)
        return await kept_page(datasette, request, db, make)
    return Response.html(page[0])


def _files_as_seen(files: tuple[tuple[str, bool], ...]) -> bool:
    return all(pdf_on_disk(path) == found for path, found in files)


# What kept_page's reading gives when the page it made was for that request alone.
_PER_REQUEST: Any = object()


# While kept_page makes a page: what in it belongs to this request alone (kept_page then keeps nothing).
_PERSONAL: ContextVar[list[str] | None] = ContextVar("ofsted_personal", default=None)


def for_this_request_only(what: str) -> None:
    """Say that the page being made holds something for this request alone (a form's token, say): it is not kept."""
    personal = _PERSONAL.get()
    if personal is not None:
        personal.append(what)


async def _watching_token(request: Request, make: Callable[[], Awaitable[Response]]) -> Response:
    """`make()`'s response, marked for this request only if it asked for the request's CSRF token (asgi-csrf's, in
    the request scope: Datasette's logout button, a reviewer's form)."""
    token = request.scope.get("csrftoken")
    if token is None:
        return await make()

    def watched() -> str:
        for_this_request_only("csrftoken")
        return token()

    request.scope["csrftoken"] = watched
    try:
        return await make()
    finally:
        request.scope["csrftoken"] = token


def ofsted_trail(datasette: Datasette, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Ofsted inspections", datasette.urls.path("/-/ofsted")), *more]


def json_response(body: dict) -> Response:
    """A page's data as JSON, as Datasette's own .json pages: plain data, markup left out."""
    return Response.json(body, default=str)


# Characters a spreadsheet reads at the start of a cell as a formula (or, for tab and CR, that hide one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV file without a byte-order mark as the machine's code page: ’ and → come out garbled.
UTF8_BOM = "\ufeff"


def safe_cell(value: object) -> object:
    """A CSV cell that a spreadsheet cannot run as a formula: text that starts like one gets a leading quote."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """CSV as Excel opens it: a UTF-8 byte-order mark, then the header and rows, every cell formula-safe."""
    out = io.StringIO()
    out.write(UTF8_BOM)
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """A page's rows as a CSV download (`csv_text`), named `filename`."""
    return Response(
        csv_text(header, rows),
        content_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def export_urls(datasette: Datasette, path: str, query: str = "") -> dict[str, str]:
    """The .json and .csv addresses of a page (`path` without a suffix), with its query string."""
    tail = f"?{query}" if query else ""
    return {fmt: datasette.urls.path(f"{path}.{fmt}") + tail for fmt in ("json", "csv")}


WORD_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\u2019]*")


def highlight(text: str, stems: set[str] | frozenset[str]) -> Markup:
    """The text, escaped, with the words whose stems the pair shares marked.

    The text between marked words is escaped in one piece: escaping word by word was most of a
    large comparison page's time. The same finding is marked with the same stems at every request
    of a page (a search, a comparison): the result is kept (Markup is immutable).
    """
    if not stems:
        return Markup(escape(text))
    return _highlight(text, frozenset(stems))


# Highlighted texts kept: a large comparison page shows about 500, a search page 50.
HIGHLIGHTS_KEPT = 8192


@lru_cache(maxsize=HIGHLIGHTS_KEPT)
def _highlight(text: str, stems: frozenset[str]) -> Markup:
    out: list[str] = []
    last = 0
    for match in WORD_TOKEN.finditer(text):
        token = match.group(0)
        word = token.lower().replace("\u2019", "'").split("'")[0]
        if len(word) > 2 and word not in STOPWORDS and stem(word) in stems:
            out.append(escape(text[last : match.start()]))
            out.append(Markup("<mark>{}</mark>").format(token))
            last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


# Compiled templates the synchronous environment keeps (Jinja's default): the plugin has a few row templates.
SYNC_TEMPLATES_KEPT = 400


def synchronous_rows(env: Environment) -> Callable[..., Markup]:
    """The filter `rows|ofsted_rows(template)`: `template` rendered once for all the rows, synchronously, with the
    page's context and `group` the rows, as Markup. The compare, authority and search pages render their whole
    content this way (`none|ofsted_rows('_ofsted_compare_body.html')`), the compare page each group's rows too.

    Datasette renders a page asynchronously, a generator step for every tag and every macro call; on a long
    comparison the per-row part of the page was most of its time (a finding's macro alone a third). The same
    templates rendered by a synchronous twin of Datasette's environment (the same loader, filters, globals and
    autoescaping) give the same HTML at a fraction of the cost. Such a template can call nothing asynchronous.
    """
    synchronous = env.overlay(enable_async=False, cache_size=SYNC_TEMPLATES_KEPT)

    @pass_context
    def rows(context: Context, group: Sequence[dict], template: str) -> Markup:
        return Markup(synchronous.get_template(template).render({**context.get_all(), "group": group}))

    return rows


def chart_url(datasette: Datasette, database: str, query: str, params: dict[str, str]) -> str:
    """A canned query's page with its parameters: the plugin draws the chart of those that have one on the page
    (views/query_charts.py), above the query's rows."""
    return datasette.urls.query(database, query) + ("?" + urlencode(params) if params else "")
