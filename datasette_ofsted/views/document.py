"""/-/ofsted/document/<id>.pdf: an ingested PDF, served by the plugin, so that "p. N" opens the page.

A downloads folder has no MANIFEST.csv, so its documents have no Ofsted URL to link to: the plugin
serves the file ofsted-ingest read instead, and `#page=N` opens the page in the browser's viewer.
Only a file recorded at ingest is served, found by the document id (never a path from the request),
and only while it is still the file that was read (same checksum): a moved, changed or replaced file
is a 404, as is a document that was not a PDF. The permission check is the compare page's.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from typing import TYPE_CHECKING

from datasette.utils.asgi import NotFound, Response

from ..databases import ofsted_database
from .common import _candidates, _rows

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request


# ofsted-ingest refuses a PDF over 100 MB (ingest.extract), so no recorded file is larger.
MAX_BYTES = 100 * 1024 * 1024


def read_recorded(source_path: str, sha256: str) -> bytes | None:
    """The recorded file's bytes if it is still a regular PDF file with the checksum held, else None."""
    for path in _candidates(source_path):
        if path.suffix.lower() != ".pdf":
            continue
        try:
            with open(path, "rb") as f:  # opened once: what is checked is what is served
                info = os.fstat(f.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
                    continue
                data = f.read(MAX_BYTES + 1)
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == sha256:
            return data
    return None


async def document(datasette: Datasette, request: Request) -> Response:
    db = await ofsted_database(datasette, request)
    document_id = request.url_vars["document_id"]
    rows = await _rows(db, "select source_path, file_name, sha256 from documents where id = ?", [document_id])
    if not rows or not rows[0]["source_path"] or not rows[0]["sha256"]:
        raise NotFound(f"No document {document_id[:120]!r} in this database.")
    row = rows[0]
    data = await _read(row["source_path"], row["sha256"])
    if data is None:
        raise NotFound(
            f"The PDF of {document_id[:120]} is not where ofsted-ingest read it, or has changed since: ingest it again."
        )
    name = "".join(c for c in (row["file_name"] or f"{document_id}.pdf") if c.isalnum() or c in "._- ")
    return Response(
        data,
        content_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="{name}"',
            "x-content-type-options": "nosniff",
            "cache-control": "private, max-age=3600",
        },
    )


async def _read(source_path: str, sha256: str) -> bytes | None:
    """read_recorded off the event loop: a report can be megabytes."""
    return await asyncio.get_running_loop().run_in_executor(None, read_recorded, source_path, sha256)
