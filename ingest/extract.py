"""Read a report file into pages of text, or refuse it with a reason a person understands.

pypdfium2 was chosen by measurement (benchmarks/README.md): it extracted the sample PDFs
48 times faster than pdfplumber, keeps reading order well enough, and is permissively licensed.

Every limit here is far above any real report and exists so that a hostile or broken file
(a named pipe, /dev/zero, a decompression bomb, a PDF holding 100 MB of text) is refused by
name instead of hanging the ingest or eating the machine's memory.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

MB = 1024 * 1024
MAX_TEXT_BYTES = 2 * MB  # the longest real report is ~150 kB of text
MAX_PDF_BYTES = 100 * MB  # the largest real report PDF is under 1 MB
# The longest real report has ~90 pages and 133,000 characters of text, its fullest page
# 3,600: ten times more is no report, but text amplification (a small PDF whose streams
# inflate to megabytes of text, which would load as hundreds of thousands of findings).
MAX_PAGES = 1000
MAX_PAGE_CHARS = 40_000
MAX_TEXT_CHARS = 2_000_000
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class Refused(Exception):
    """A file that cannot be ingested; the message is the reason shown to the user."""


@dataclass
class Extracted:
    pages: list[str]
    file_format: str  # "pdf" or "text"
    sha256: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "not a regular file (a named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "not a regular file (a device)"
    if stat.S_ISSOCK(mode):
        return "not a regular file (a socket)"
    return "not a regular file"


def size_limit(path: Path) -> int:
    """The most bytes a report file of this kind can hold."""
    return MAX_TEXT_BYTES if path.suffix.lower() == ".txt" else MAX_PDF_BYTES


def read_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file (links followed) of at most `limit` bytes, or Refused.

    Opened without blocking, so that a named pipe is refused at once instead of waiting for
    a writer; checked after opening, so that what is read is what was checked; read no
    further than the limit, so that a file that grows (or lies about its size) cannot
    make the read endless.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise Refused("a folder, not a file") from None
    except OSError as error:
        raise Refused(f"cannot be read ({error.strerror or error})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(_kind_of(info.st_mode))
        if info.st_size > limit:
            raise Refused(f"too large for a report ({info.st_size / MB:.1f} MB; the limit is {limit / MB:.0f} MB)")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise Refused(f"too large for a report (over {limit / MB:.0f} MB)")
        return b"".join(chunks)
    except OSError as error:
        raise Refused(f"cannot be read ({error.strerror or error})") from None
    finally:
        os.close(fd)


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip()[:200].lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head[:2048].lower()


def read_pdf(data: bytes) -> list[str]:
    """The text of each page of a PDF, or Refused saying why it cannot be a report."""
    _check_pdf_bytes(data)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if error.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise Refused("the PDF is password-protected: save it without a password to ingest it") from None
        raise Refused(f"damaged PDF, cannot be read ({error})") from None
    try:
        if len(document) > MAX_PAGES:
            raise Refused(f"too many pages for a report ({len(document)}; the limit is {MAX_PAGES})")
        pages = _page_texts(document)
    except pdfium.PdfiumError as error:
        raise Refused(f"damaged PDF, a page cannot be read ({error})") from None
    finally:
        document.close()
    if not any(page.strip() for page in pages):
        raise Refused("the PDF has no text layer (a scan?)")
    return pages


def _check_pdf_bytes(data: bytes) -> None:
    """Refused for what is no PDF (empty, a saved web page) or too large, before pdfium reads it."""
    if not data:
        raise Refused("empty file")
    if not data.lstrip()[:1024].startswith(b"%PDF"):
        if _looks_like_html(data[:4096]):
            raise Refused("not a PDF: it is a saved web page")
        raise Refused("not a PDF: the file does not start with %PDF")
    if len(data) > MAX_PDF_BYTES:
        raise Refused(f"PDF too large ({len(data) / 1e6:.0f} MB)")


def _page_texts(document: pdfium.PdfDocument) -> list[str]:
    """Each page's text, the characters counted before the text is copied out (a page or a document
    with more than a report ever has is refused without taking its memory)."""
    pages, chars = [], 0
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        try:
            on_page = textpage.count_chars()
            chars += on_page
            if on_page > MAX_PAGE_CHARS:
                raise Refused(f"too much text for a report ({on_page:,} characters on page {index + 1})")
            if chars > MAX_TEXT_CHARS:
                raise Refused(f"too much text for a report (over {MAX_TEXT_CHARS:,} characters by page {index + 1})")
            pages.append(textpage.get_text_range())
        finally:
            textpage.close()
            page.close()
    return pages


def _decode(data: bytes) -> str:
    """Text as Windows and editors save it: UTF-16 (with its byte-order mark, as Notepad's
    "Unicode" saves it), UTF-8 with or without a mark, else Windows' cp1252."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise Refused("binary data, not text (a UTF-16 mark, then bytes that are not UTF-16)") from None
    if b"\x00" in data[:65536]:
        raise Refused("binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_text(data: bytes) -> list[str]:
    if len(data) > MAX_TEXT_BYTES:
        raise Refused(f"too large for a report ({len(data) / 1e6:.1f} MB of text; an Ofsted report is under 0.2 MB)")
    text = _decode(data)
    if not text.strip():
        raise Refused("empty file")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls > 0.01 * min(len(text), 65536) or text.count("\ufffd") > 0.01 * len(text):
        raise Refused("binary data, not text")
    if _looks_like_html(text[:4096].encode("utf-8", errors="replace")):
        raise Refused("a web page, not a report's text")
    pages = text.replace("\r\n", "\n").split("\f")
    if len(pages) > MAX_PAGES:
        raise Refused(f"too many pages for a report ({len(pages)}; the limit is {MAX_PAGES})")
    return pages


def extract(path: Path) -> Extracted:
    """Read one file. Raises Refused with a readable reason for anything that is not a report file."""
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".txt"):
        raise Refused(f"not a report file: {suffix or 'no extension'} (expected .pdf or .txt)")
    data = read_file(path, size_limit(path))
    if suffix == ".pdf":
        return Extracted(read_pdf(data), "pdf", sha256_of(data))
    return Extracted(read_text(data), "text", sha256_of(data))
