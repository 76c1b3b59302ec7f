"""Every evidence link opens the page: for a folder of PDFs with no MANIFEST.csv (a downloads folder), every
"p. N" link and every document link on the compare page points at the PDF the plugin serves, at that page,
and opens it in a real Chromium; any other path under /-/ofsted/document/ is a 404."""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.request

import pypdfium2 as pdfium
import pytest
from conftest import CHROMIUM, METADATA, NO_CHROMIUM, REPORTS, datasette_server, run_ingest

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)

# Birmingham's 2018 and 2023 inspections, as downloaded from Ofsted: PDFs and nothing else.
DOWNLOADS = ["50050254.pdf", "50214110.pdf"]
PAIR = "/-/ofsted/compare/birmingham-2018-12-03...birmingham-2023-02-20"
SERVED = re.compile(r"^/-/ofsted/document/(?P<id>birmingham-[0-9-]+-report)\.pdf(?:#page=(?P<page>\d+))?$")


@pytest.fixture(scope="module")
def downloads_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("downloads")
    reports = folder / "Downloads"
    reports.mkdir()
    for name in DOWNLOADS:
        shutil.copy(REPORTS / name, reports / name)
    result = run_ingest(str(reports), "--db", str(folder / "ofsted.db"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    with datasette_server("-i", str(folder / "ofsted.db"), "-m", str(METADATA)) as base:
        yield base, reports


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_every_evidence_link_opens_the_served_pdf_at_its_page(downloads_server, browser):
    base, reports = downloads_server
    page = browser.new_page()
    try:
        page.goto(base + PAIR)
        evidence = page.locator("main.ofsted a", has_text=re.compile(r"^p\. \d+$"))
        links = [(a.get_attribute("href"), (a.text_content() or "").strip()) for a in evidence.all()]
        assert len(links) >= 10  # the pair's evidence, every piece with its page
        pages_of = {}
        for href, text in links:
            match = SERVED.match(href or "")
            assert match and match["page"] == text.removeprefix("p. "), (href, text)
            if match["id"] not in pages_of:
                pdf = page.request.get(base + href.split("#")[0])
                assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
                pages_of[match["id"]] = len(pdfium.PdfDocument(pdf.body()))
            assert 1 <= int(match["page"]) <= pages_of[match["id"]], href  # a page the PDF has
        assert set(pages_of) == {"birmingham-2018-12-03-report", "birmingham-2023-02-20-report"}
        # The documents themselves link to the served PDF too.
        sources = [a.get_attribute("href") for a in page.locator("main.ofsted a.source").all()]
        assert sources and all(SERVED.match(s or "") for s in sources), sources
        # A click opens it: the browser asks for the PDF and gets it.
        visible = next(a for a in evidence.all() if a.is_visible())
        with page.expect_response(lambda r: "/-/ofsted/document/" in r.url) as opened:
            visible.click()
        response = opened.value
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    finally:
        page.close()


def test_any_other_path_is_404(downloads_server):
    base, reports = downloads_server
    for path in (
        "/-/ofsted/document/birmingham-2018-12-03-summary.pdf",  # no such document
        "/-/ofsted/document/..%2F..%2F..%2Fetc%2Fpasswd.pdf",
        "/-/ofsted/document/%2Fetc%2Fpasswd.pdf",
        "/-/ofsted/document/50050254.pdf",  # a file name, not a document id
        "/-/ofsted/document/birmingham-2018-12-03-report",
        "/-/ofsted/document/birmingham-2018-12-03-report.pdf/..",
    ):
        assert status_of(base + path) == 404, path
    assert status_of(base + "/-/ofsted/document/birmingham-2018-12-03-report.pdf") == 200
    # A file changed since it was ingested is not the document any more: 404, saying why.
    (reports / DOWNLOADS[0]).write_bytes(b"%PDF-1.4 something else")
    assert status_of(base + "/-/ofsted/document/birmingham-2018-12-03-report.pdf") == 404
    # A file gone from where it was ingested (a published copy of the database, say) is not linked at all.
    (reports / DOWNLOADS[1]).unlink()
    with urllib.request.urlopen(base + PAIR, timeout=30) as response:
        page = response.read().decode("utf-8")
    assert "/-/ofsted/document/birmingham-2023-02-20-report.pdf" not in page
    assert "/-/ofsted/document/birmingham-2018-12-03-report.pdf#page=" in page
