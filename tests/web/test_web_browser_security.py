"""In Chromium: hostile questions stay text and fetch nothing on the chat page; the embeddable widget works
from an allowed site and is refused (by CORS) from any other."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.model]

SOURCES = re.compile(r"Sources \(\d+\)")


@pytest.fixture(scope="module")
def hostile_chat(browser: Any, live_app: Any, recorder: Any) -> dict[str, Any]:
    """Ask two hostile questions in a fresh context; collect what a test needs to judge."""
    base = f"http://127.0.0.1:{recorder.port}"
    questions = [
        f"<img src={base}/pixel.png> what is the stress level?",
        f"![x]({base}/md.png) <script>window.__pwned=1</script>",
        "$$x^2$$ is math, $y$ too: how long is school?",  # shown as typed, not rendered by KaTeX
    ]
    dialogs: list[str] = []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(live_app.url + "/")
        box = page.get_by_test_id("advisor-input")
        bots = page.get_by_test_id("advisor-answer")
        for i, q in enumerate(questions):
            box.fill(q)
            box.press("Enter")
            expect(bots).to_have_count(i + 1)
        expect(bots.first).to_contain_text("Stress Level: Moderate")  # the first one still gets its answer
        chat = page.get_by_test_id("advisor-widget")
        return {
            "questions": questions,
            "user_texts": page.get_by_test_id("advisor-question").all_inner_texts(),
            "pwned": page.evaluate("typeof window.__pwned"),
            "remote_imgs": chat.locator("img").count(),
            "scripts_in_chat": chat.locator("script").count(),
            "math": chat.locator(".katex, math").count(),
            "dialogs": dialogs,
            "requests": list(recorder.requests),
        }
    finally:
        context.close()


def test_hostile_questions_run_nothing_and_fetch_nothing(hostile_chat: dict[str, Any]) -> None:
    assert len(hostile_chat["user_texts"]) == 3
    assert hostile_chat["pwned"] == "undefined"
    assert hostile_chat["math"] == 0  # LaTeX rendering is off
    assert hostile_chat["dialogs"] == []
    assert hostile_chat["remote_imgs"] == 0
    assert hostile_chat["scripts_in_chat"] == 0
    assert hostile_chat["requests"] == []
    # the tags are shown as text, not rendered
    assert hostile_chat["user_texts"][0].startswith("<img src=")
    assert "<script>window.__pwned=1</script>" in hostile_chat["user_texts"][1]


def test_user_bubble_shows_exactly_what_was_typed(hostile_chat: dict[str, Any]) -> None:
    assert hostile_chat["user_texts"] == hostile_chat["questions"]


def test_csp_blocks_remote_images_even_if_markup_got_through(page: Page, live_app: Any, recorder: Any) -> None:
    """Defence in depth: an <img> injected past the escaping is still not fetched."""
    page.goto(live_app.url + "/")
    expect(page.get_by_test_id("advisor-input")).to_be_visible()
    directive = page.evaluate(
        """url => new Promise(resolve => {
            document.addEventListener('securitypolicyviolation', e => resolve(e.effectiveDirective), {once: true});
            const img = document.createElement('img');
            img.src = url;
            document.body.appendChild(img);
        })""",
        f"http://127.0.0.1:{recorder.port}/injected.png",
    )
    assert directive == "img-src"
    assert "/injected.png" not in recorder.requests


# --------------------------------------------------------------------------------------
# the widget on another site
def _embed_page(app_url: str) -> bytes:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>School page</title></head><body>"
        "<h1>Our imaging programme</h1>"
        '<div id="career-advisor"></div>'
        f'<script src="{app_url}/embed.js" data-target="#career-advisor"></script>'
        "</body></html>"
    ).encode()


def test_widget_on_an_allowed_site_answers(page: Page, live_app: Any, page_server: Any, page_origin: str) -> None:
    assert page_origin.startswith("http://localhost:") and live_app.url.startswith("http://127.0.0.1:")  # two origins
    page_server.pages["/allowed.html"] = ("text/html; charset=utf-8", _embed_page(live_app.url))
    page.goto(page_origin + "/allowed.html")
    expect(page.locator("[data-testid=advisor-widget]")).to_be_visible()  # CSS pierces the open shadow root
    expect(page.locator("[data-testid=advisor-suggestion]").first).to_be_visible()  # starters came over CORS
    page.locator("[data-testid=advisor-input]").fill("how long is the associate degree program?")
    page.locator("[data-testid=advisor-send]").click()
    answer = page.locator("[data-testid=advisor-answer]")
    expect(answer).to_have_count(1)
    expect(answer).to_have_attribute("data-kind", "answer")
    expect(answer).to_contain_text("[1]")
    expect(answer).to_contain_text("18 to 24 months")
    srcs = answer.locator("[data-testid=advisor-sources]")
    expect(srcs.locator("summary")).to_have_text(SOURCES)
    expect(srcs.locator("blockquote").first).to_be_hidden()  # collapsed until opened
    srcs.locator("summary").click()
    expect(srcs.locator("blockquote").filter(has_text="typically lasting 18 to 24 months")).to_be_visible()

    # a follow-up in the widget carries the conversation
    page.locator("[data-testid=advisor-input]").fill("and the bachelor's?")
    page.locator("[data-testid=advisor-input]").press("Enter")
    expect(answer).to_have_count(2)
    expect(answer.nth(1)).to_contain_text("four-year bachelor's programs")  # the length, from the conversation


def test_widget_on_a_site_not_allowed_cannot_reach_the_app(
    page: Page, start_app: Callable[..., Any], page_server: Any, page_origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="advisor.web.guard")
    closed = start_app()  # default settings: no other origin allowed
    page_server.pages["/blocked.html"] = ("text/html; charset=utf-8", _embed_page(closed.url))
    page.goto(page_origin + "/blocked.html")
    expect(page.locator("[data-testid=advisor-input]")).to_be_visible()  # the script itself loads
    page.locator("[data-testid=advisor-input]").fill("how long is the associate degree program?")
    page.locator("[data-testid=advisor-send]").click()
    answer = page.locator("[data-testid=advisor-answer]")
    expect(answer).to_have_count(1)
    expect(answer).to_have_attribute("data-kind", "error")
    expect(answer).to_contain_text("cannot be reached")
    expect(answer).to_contain_text(f"allows this site, {page_origin}, in ADVISOR_ALLOWED_ORIGINS")  # where the site owner looks
    expect(page.locator("[data-testid=advisor-suggestion]")).to_have_count(0)  # starters were refused too
    # the server says so too, once for this origin (starters and the question both came from it)
    refused = [r.getMessage() for r in caplog.records if page_origin in r.getMessage()]
    assert len(refused) == 1 and f"add {page_origin} to ADVISOR_ALLOWED_ORIGINS" in refused[0]


def test_widget_says_wait_when_the_address_asks_too_often(
    page: Page, start_app: Callable[..., Any], page_server: Any, page_origin: str
) -> None:
    """Over the per-address question limit (2 a minute here) the widget on another site
    reads the 429 (CORS lets it), says to wait, and keeps the question to send again."""
    limited = start_app(allowed_origins=(page_origin,), rate_limit="2/minute")
    page_server.pages["/limited.html"] = ("text/html; charset=utf-8", _embed_page(limited.url))
    page.goto(page_origin + "/limited.html")
    box = page.locator("[data-testid=advisor-input]")
    answers = page.locator("[data-testid=advisor-answer]")
    for i, question in enumerate(["how long is the associate degree program?", "what is the stress level?", "is there a lot of stress?"]):
        box.fill(question)
        box.press("Enter")
        expect(answers).to_have_count(i + 1)
    expect(answers.nth(1)).to_contain_text("Stress Level")  # the second was still answered
    expect(answers.nth(2)).to_contain_text(re.compile(r"You're asking very quickly\. Please wait \d+ seconds, then ask again\."))
    expect(answers.nth(2)).not_to_contain_text("cannot be reached")
    expect(box).to_have_value("is there a lot of stress?")  # kept, to send again


def test_widget_shows_hostile_text_as_text(page: Page, live_app: Any, page_server: Any, page_origin: str, recorder: Any) -> None:
    """The embedding page has no CSP of its own: the widget's textContent rendering is
    the only thing between a question and the page."""
    page_server.pages["/hostile.html"] = ("text/html; charset=utf-8", _embed_page(live_app.url))
    page.goto(page_origin + "/hostile.html")
    question = f"<img src=http://127.0.0.1:{recorder.port}/widget.png onerror=window.__pwned=1> what is the stress level?"
    page.locator("[data-testid=advisor-input]").fill(question)
    page.locator("[data-testid=advisor-send]").click()
    expect(page.locator("[data-testid=advisor-answer]")).to_have_count(1)
    expect(page.locator("[data-testid=advisor-question]")).to_have_text(question)
    expect(page.locator("[data-testid=advisor-answer]")).to_contain_text("Stress Level: Moderate")
    assert page.locator("[data-testid=advisor-widget] img").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "/widget.png" not in recorder.requests


def test_api_docs_page_works_offline(page: Page, live_app: Any) -> None:
    """The OpenAPI page renders from this server alone: no CDN request, every endpoint listed."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(live_app.url + "/api/docs")
    expect(page.locator(".opblock-summary-path", has_text="/api/ask")).to_be_visible(timeout=15000)
    expect(page.locator(".opblock-summary-path", has_text="/api/health")).to_be_visible()
    assert requests and all(u.startswith(live_app.url) for u in requests), requests
