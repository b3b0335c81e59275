"""Every quote checkable in its page, in headless Chromium: a citation of the chat page, and
of the widget on another site, opens its profile page on the advisor's own origin in a new
tab, at the quoted lines (highlighted, in view, focused), and the quote is the page's own
text there."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from a11y_support import axe, describe
from chat_support import ask
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.model]

URL = re.compile(r"/profiles/imaging-technologist#L(\d+)-L(\d+)$")


def quoted(profile: Page) -> dict[str, Any]:
    """The highlighted lines of a profile page: their numbers and text, and whether the
    first is focused and on screen."""
    expect(profile.locator(".quoted").first).to_be_in_viewport()  # scrolled to (smoothly, unless motion is reduced)
    return dict(profile.evaluate("""() => { const q = [...document.querySelectorAll('.quoted')]; const r = q[0].getBoundingClientRect();
        return {lines: q.map((e) => +e.dataset.line), text: q.map((e) => e.innerText).join('\\n'), focused: document.activeElement === q[0],
                inView: r.top >= 0 && r.top < innerHeight, marked: q.every((e) => e.querySelector('mark'))}; }"""))


def check_opens_its_lines(page: Page, answer: Any, advisor_url: str) -> None:
    marker = answer.get_by_test_id("advisor-marker").first
    assert marker.get_attribute("target") == "_blank" and "noopener" in (marker.get_attribute("rel") or "")
    with page.context.expect_page() as opened:
        marker.click()
    profile = opened.value
    profile.wait_for_load_state()
    assert profile.url.startswith(advisor_url + "/profiles/")  # the advisor's own origin, whatever site showed the answer
    m = URL.search(profile.url)
    assert m, profile.url
    first, last = int(m.group(1)), int(m.group(2))
    got = quoted(profile)
    assert got["lines"] and all(first <= n <= last for n in got["lines"]), (got, first, last)
    assert got["focused"] and got["inView"] and got["marked"], got
    assert profile.evaluate("window.opener") is None
    violations = axe(profile)
    assert not violations, describe(violations)
    # every source of the answer: its quote is the profile's own text, at the lines it names
    answer.get_by_test_id("advisor-sources").locator("summary").click()
    links = answer.get_by_test_id("advisor-citation")
    quotes = answer.locator("blockquote")
    assert links.count() == quotes.count() >= 1
    for i in range(links.count()):
        expect(links.nth(i)).to_contain_text("Imaging Technologist › ")  # the career's title and section, not the file id
        assert "imaging-technologist" not in links.nth(i).inner_text()
        href = links.nth(i).get_attribute("href") or ""
        assert URL.search(href), href
        profile.goto(href)
        profile.reload()  # a new fragment on the same page: the lines of this source
        text = quoted(profile)["text"]
        for piece in (quotes.nth(i).text_content() or "").split("\n"):
            assert piece.strip() in text, (href, piece, text)


def test_a_chat_citation_opens_the_quoted_lines_in_the_profile(page: Page, live_app: Any) -> None:
    page.goto(live_app.url + "/")
    answer = ask(page, "how long is the associate degree program?")
    check_opens_its_lines(page, answer, live_app.url)


def test_a_widget_citation_on_another_site_opens_the_advisors_profile_page(page: Page, live_app: Any, page_server: Any, page_origin: str) -> None:
    page_server.pages["/cite.html"] = ("text/html; charset=utf-8", (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>School</title></head><body><main><h1>Careers</h1>"
        f"<div id='career-advisor'></div></main><script src='{live_app.url}/embed.js' data-target='#career-advisor'></script></body></html>").encode())
    page.goto(page_origin + "/cite.html")
    answer = ask(page, "what are the key responsibilities?")  # a list: the quote is several lines
    check_opens_its_lines(page, answer, live_app.url)


def test_the_page_says_when_the_lines_are_not_in_the_profile(new_page: Callable[..., Page], live_app: Any) -> None:
    page = new_page()
    page.goto(live_app.url + "/profiles/imaging-technologist#L9000-L9001")
    expect(page.locator("#quoted-note")).to_contain_text("Lines 9000 to 9001 are not in this profile")
    expect(page.locator(".quoted")).to_have_count(0)
