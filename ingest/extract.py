"""Read a report file into pages of text, or refuse it with a reason a person understands.

pypdfium2 was chosen by measurement (benchmarks/README.md): it extracted the sample PDFs
48 times faster than pdfplumber, keeps reading order well enough, and is permissively licensed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

MAX_TEXT_BYTES = 2 * 1024 * 1024  # the longest real report is ~150 kB of text
MAX_PDF_BYTES = 100 * 1024 * 1024


class Refused(Exception):
    """A file that cannot be ingested; the message is the reason shown to the user."""


@dataclass
class Extracted:
    pages: list[str]
    file_format: str  # "pdf" or "text"
    sha256: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip()[:200].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head[:2048].lower()


def read_pdf(data: bytes) -> list[str]:
    if not data:
        raise Refused("empty file")
    if not data.lstrip()[:1024].startswith(b"%PDF"):
        if _looks_like_html(data[:4096]):
            raise Refused("not a PDF: it is a saved web page")
        raise Refused("not a PDF: the file does not start with %PDF")
    if len(data) > MAX_PDF_BYTES:
        raise Refused(f"PDF too large ({len(data) / 1e6:.0f} MB)")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise Refused(f"damaged PDF, cannot be read ({error})") from None
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
    except pdfium.PdfiumError as error:
        raise Refused(f"damaged PDF, a page cannot be read ({error})") from None
    finally:
        document.close()
    if not any(page.strip() for page in pages):
        raise Refused("the PDF has no text layer (a scan?)")
    return pages


def read_text(data: bytes) -> list[str]:
    if not data.strip():
        raise Refused("empty file")
    if len(data) > MAX_TEXT_BYTES:
        raise Refused(f"too large for a report ({len(data) / 1e6:.1f} MB of text; an Ofsted report is under 0.2 MB)")
    if b"\x00" in data[:65536]:
        raise Refused("binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls > 0.01 * min(len(text), 65536) or text.count("\ufffd") > 0.01 * len(text):
        raise Refused("binary data, not text")
    if _looks_like_html(data[:4096]):
        raise Refused("a web page, not a report's text")
    return text.replace("\r\n", "\n").split("\f")


def extract(path: Path) -> Extracted:
    """Read one file. Raises Refused with a readable reason for anything that is not a report file."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise Refused("a folder, not a file") from None
    except OSError as error:
        raise Refused(f"cannot be read ({error.strerror or error})") from None
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return Extracted(read_pdf(data), "pdf", sha256_of(data))
    if suffix == ".txt":
        return Extracted(read_text(data), "text", sha256_of(data))
    raise Refused(f"not a report file: {suffix or 'no extension'} (expected .pdf or .txt)")
