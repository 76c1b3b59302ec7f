"""A reviewer overrides a call in a real Chromium against a real `datasette` server; a visitor only reads it."""

from __future__ import annotations

import json
import urllib.request

import pytest
import yaml
from conftest import CHROMIUM, METADATA, NO_CHROMIUM, REPORTS, datasette_server, run_ingest
from datasette.app import Datasette
from test_browser import SCREENSHOTS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)

SECRET = "a-test-secret-shared-by-the-server-and-the-signed-cookie"
SUTTON = ["002_ac07fc03e2f7f600.txt", "003_6185718e885c3be8.txt", "000_aacd069290608c33.txt"]
PAIR = "/-/ofsted/compare/sutton-2013-05-13...sutton-2018-06-26"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`datasette serve -i ofsted.db ofsted_reviews.db` as the README says, with alice named a reviewer."""
    folder = tmp_path_factory.mktemp("browser-reviews")
    result = run_ingest(*(str(REPORTS / n) for n in SUTTON), "--db", str(folder / "ofsted.db"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    metadata.setdefault("plugins", {})["datasette-ofsted"] = {"reviewers": {"id": ["alice"]}}
    (folder / "metadata.yml").write_text(yaml.safe_dump(metadata), encoding="utf-8")
    with datasette_server(
        "-i", str(folder / "ofsted.db"), str(folder / "ofsted_reviews.db"), "-m", str(folder / "metadata.yml"),
        "--secret", SECRET,
    ) as base:  # fmt: skip
        yield base


def test_a_reviewer_overrides_a_call_with_a_note_and_a_visitor_sees_it_read_only(server, browser):
    data = json.load(urllib.request.urlopen(server + PAIR + ".json", timeout=30))
    row = next(r for r in data["rows"] if r["status"] == "not_revisited" and r["from"])
    finding_id = next(f["id"] for f in row["from"] if f["role"] == "improvement")

    visitor = browser.new_context().new_page()
    visitor.goto(server + PAIR)
    assert visitor.locator(".compare-grid").first.is_visible()
    assert visitor.locator("form[action$='/review']").count() == 0
    assert visitor.locator("text=Review this call").count() == 0

    context = browser.new_context(viewport={"width": 1300, "height": 900})
    cookie = Datasette(secret=SECRET).sign({"a": {"id": "alice"}}, "actor")
    context.add_cookies([{"name": "ds_actor", "value": cookie, "url": server}])
    page = context.new_page()
    page.goto(server + PAIR)
    item = page.locator(f"[id='review-{finding_id}']")
    item.locator("summary").click()
    # "Status" on one line: Datasette gives a form label 15% of its form, which wrapped it "Stat / us".
    label = item.locator("label").first
    assert label.bounding_box()["height"] < 1.5 * float(
        label.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20")
    )
    item.locator("select").select_option("resolved")
    item.locator("textarea").fill("The 2018 letter <b>praises</b> strategy discussions")
    with page.expect_navigation():
        item.locator("input[type=submit]").click()
    item = page.locator(f"[id='review-{finding_id}']")
    item.scroll_into_view_if_needed()
    assert "changed from" in item.inner_text() and "by alice on" in item.inner_text()
    assert "The 2018 letter <b>praises</b> strategy discussions" in item.locator(".review-note").inner_text()
    status_cell = page.locator("td.status", has=item)
    assert status_cell.locator(".badge").first.inner_text().strip() == "Resolved"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "compare-reviewed.png"))

    # A visitor sees the reviewed call, not who made it, when or why (reviews are private by default).
    visitor.reload()
    seen = visitor.locator(f"[id='review-{finding_id}']")
    assert "changed from" in seen.inner_text() and "by a reviewer" in seen.inner_text()
    assert "alice" not in seen.inner_text() and "praises" not in seen.inner_text() and seen.locator("form").count() == 0
    assert seen.locator("text=history").count() == 0
    with page.expect_navigation():
        item.locator("text=history").click()
    assert "finding_id=" in page.url and "alice" in page.locator("table").inner_text()


# A script on the compare page posts a review as the contract says a script does: with the
# x-csrftoken header read from the ds_csrftoken cookie the page hands a reviewer where Datasette
# hands one (0.65); on 1.0a the browser's own Sec-Fetch-Site: same-origin is what lets it through.
POST_FROM_THE_PAGE = """async ([url, findingId, note]) => {
  const token = (document.cookie.match(/(?:^|; )ds_csrftoken=([^;]+)/) || [])[1];
  const headers = {"content-type": "application/json"};
  if (token) headers["x-csrftoken"] = decodeURIComponent(token);
  // What the reviewer sees: the key of the improvement's text and the form's token, from its review form.
  const form = document.querySelector(`[id="review-${findingId}"] form`);
  const field = (name) => form ? (form.querySelector(`input[name="${name}"]`) || {}).value : undefined;
  const response = await fetch(url, {
    method: "POST", headers, credentials: "same-origin",
    body: JSON.stringify({finding_id: findingId, item_key: field("item_key"), review_token: field("review_token"),
                          status: "recurring", note: note}),
  });
  return [response.status, await response.text()];
}"""


def test_a_script_on_the_compare_page_records_a_review_for_a_reviewer_only(server, browser):
    data = json.load(urllib.request.urlopen(server + PAIR + ".json", timeout=30))
    row = next(r for r in data["rows"] if r["auto_status"] == "not_revisited" and not r["review"])
    finding_id = next(f["id"] for f in row["from"] if f["role"] == "improvement")

    stranger = browser.new_context()
    stranger.add_cookies(
        [{"name": "ds_actor", "value": Datasette(secret=SECRET).sign({"a": {"id": "mallory"}}, "actor"), "url": server}]
    )
    page = stranger.new_page()
    page.goto(server + PAIR)
    status, _text = page.evaluate(POST_FROM_THE_PAGE, [server + PAIR + "/review", finding_id, "not a reviewer"])
    assert status == 403

    context = browser.new_context()
    context.add_cookies(
        [{"name": "ds_actor", "value": Datasette(secret=SECRET).sign({"a": {"id": "alice"}}, "actor"), "url": server}]
    )
    page = context.new_page()
    page.goto(server + PAIR)
    status, text = page.evaluate(POST_FROM_THE_PAGE, [server + PAIR + "/review", finding_id, "by script"])
    assert status == 200, text
    stored = json.loads(text)
    assert (stored["actor"], stored["status"], stored["note"]) == ("alice", "recurring", "by script")

    page.reload()
    item = page.locator(f"[id='review-{finding_id}']")
    assert "changed from" in item.inner_text() and "by script" in item.locator(".review-note").inner_text()
    after = page.request.get(server + PAIR + ".json").json()  # as the reviewer: the note is theirs to see
    assert next(r for r in after["rows"] if r["review"] and r["review"]["note"] == "by script")["status"] == "recurring"
