"""Fixture files and databases built for tests: a minimal real PDF, hostile report text."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from ingest.load import ensure_schema


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with the given lines of text (Helvetica), built by hand."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(f"({esc(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content.encode('latin-1'))} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _assembled([body.encode("latin-1") for body in objects])


HOSTILE = '<script>alert(\'x\')</script> & <img src=x onerror=alert(1)> "quoted" =HYPERLINK("http://evil")'


def hostile_report_text() -> str:
    """A focused-visit letter whose findings carry markup, quotes and spreadsheet formulas."""
    return f"""Focused visit to London Borough of Sutton children's services

Dear Mr Ireland,

This letter summarises the findings of a focused visit to the London Borough of Sutton children's services on 26 and 27 June 2026 carried out by Caroline Walsh, Her Majesty's Inspector.

What needs to improve in this area of social work practice

- Return home interviews are not consistently informing safety planning {HOSTILE}.
- =SUM(1+1) the assessment of risk is fragmented for children at risk of exploitation.

Findings

- Management oversight is not consistent {HOSTILE}. Supervision is regular.
- Return home interviews are not offered to all children who go missing.

Yours sincerely

Caroline Walsh Her Majesty's Inspector
"""


def fixture_database(path: Path) -> sqlite_utils.Database:
    """An empty database with the ingest schema."""
    db = sqlite_utils.Database(path)
    ensure_schema(db)
    return db


def visit_letter(visit: str = "focused visit", dates: str = "26 and 27 June 2026", letter: bool = True) -> str:
    """A plain visit letter to Sutton (no hostile text): the kind of visit, its dates and
    whether it is a letter ("Dear ...") or a report can be chosen, to make ids collide."""
    greeting = "Dear Mr Ireland,\n\n" if letter else ""
    return f"""{visit.capitalize()} to London Borough of Sutton children's services

{greeting}This letter summarises the findings of a {visit} to the London Borough of Sutton children's services on {dates} carried out by Caroline Walsh, Her Majesty's Inspector.

What needs to improve in this area of social work practice

- Return home interviews are not consistently informing safety planning for children who go missing.
- The assessment of risk is fragmented for children at risk of exploitation.

Findings

- Management oversight is not consistent. Supervision is regular.
- Return home interviews are not offered to all children who go missing.

Yours sincerely

Caroline Walsh Her Majesty's Inspector
"""


def deflated_repeat(chunk: bytes, times: int) -> bytes:
    """A zlib stream of `chunk` repeated `times` times, built in milliseconds whatever it
    inflates to: one independently compressed segment (a full flush resets the
    dictionary), written out `times` times, then an empty final block and the checksum."""
    import zlib

    segment = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = segment.compress(chunk) + segment.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    checksum = 1
    for _ in range(times):  # the Adler-32 of the whole inflated data
        checksum = zlib.adler32(chunk, checksum)
    return b"\x78\xda" + block * times + end + checksum.to_bytes(4, "big")


def pdf_of_stream(stream: bytes, pages: int = 1, filters: str = "/Filter /FlateDecode") -> bytes:
    """A PDF of `pages` pages that all draw the one content stream given (Helvetica as /F1)."""
    kids = " ".join(f"{4 + n} 0 R" for n in range(pages))
    page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources << /Font << /F1 {} 0 R >> >> >>"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        f"<< /Length {len(stream)} {filters} >>\nstream\n".encode() + stream + b"\nendstream",
        *[page.format(4 + pages).encode()] * pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _assembled(bodies)


def _assembled(bodies: list[bytes], trailer: str = "") -> bytes:
    """A PDF file of the numbered objects `bodies` (object 1 the catalog), with its cross-reference table;
    `trailer` adds entries to the trailer (an /Encrypt dictionary and the file /ID)."""
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def text_pdf(chars_per_page: int, pages: int) -> bytes:
    """A PDF whose every page shows about `chars_per_page` characters of text, in lines of
    100: text amplification, as all the pages draw one small compressed stream."""
    line = b"(" + b"A" * 99 + b" ) Tj T*\n"
    body = b"BT /F1 4 Tf 10 830 Td 5 TL\n" + line * max(1, chars_per_page // 100) + b"ET\n"
    return pdf_of_stream(deflated_repeat(body, 1), pages)


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def encrypted_pdf(lines: list[str], password: str) -> bytes:
    """A one-page PDF encrypted with the standard security handler (RC4, 40 bits, revision 2,
    PDF 1.4 §3.5.2) that opens only with `password`: a password-protected report."""
    import hashlib

    pad = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
    padded = (password.encode("latin-1") + pad)[:32]
    owner_key = hashlib.md5((b"owner-" + padded)[:32]).digest()[:5]
    o_entry = _rc4(owner_key, padded)
    permissions = -4
    file_id = b"0123456789abcdef"
    key = hashlib.md5(padded + o_entry + permissions.to_bytes(4, "little", signed=True) + file_id).digest()[:5]
    u_entry = _rc4(key, pad)
    content = ("BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET").encode(
        "latin-1"
    )
    object_key = hashlib.md5(key + (4).to_bytes(3, "little") + (0).to_bytes(2, "little")).digest()[:10]
    stream = _rc4(object_key, content)
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Filter /Standard /V 1 /R 2 /O <{o_entry.hex()}> /U <{u_entry.hex()}> /P {permissions} >>".encode(),
    ]
    return _assembled(bodies, f" /Encrypt 6 0 R /ID [<{file_id.hex()}> <{file_id.hex()}>]")


def comparison_tables(path: Path) -> dict[str, list[tuple]]:
    """The stored comparisons of a database, as comparable rows: all but when each was computed
    and the links' row numbers in their table."""
    db = sqlite_utils.Database(path)
    return {
        "comparisons": sorted(tuple(v for k, v in row.items() if k != "computed_at") for row in db["comparisons"].rows),
        "comparison_rows": sorted(tuple(row.values()) for row in db["comparison_rows"].rows),
        "issue_links": sorted(
            (tuple(v for k, v in row.items() if k != "id") for row in db["issue_links"].rows), key=repr
        ),
    }
