"""WCAG 2.2 AA on every page a school shows, in headless Chromium: the chat page (/), the
widget inside a host page on another origin, /admin and the profile pages, in every state
(start, answer, sources open, refusal, rated, rate-limited, error; /admin: report, empty,
refused, wrong period, locked out) at 1280, 375 and 320 px.

axe-core (tests/web/package.json pins it; a11y_support.py injects it) must find no
violation of a WCAG 2.0/2.1/2.2 A or AA rule; nothing may scroll sideways; every control is
at least 24×24 px. Then what axe cannot see: keyboard-only use with a visible focus of at
least 3:1 and no trap, the polite status region that announces a new answer once, rating
buttons with aria-pressed and "Thanks", plain-text accessible names, non-text contrast and
prefers-reduced-motion. Screenshots of each state land in artifacts/screens/.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from a11y_support import axe, describe, focus_contrast, non_text_contrast, sideways_overflow, small_targets
from chat_support import answers, ask
from conftest import table_rows
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.model]

WIDTHS = {"1280": (1280, 800), "375": (375, 667), "320": (320, 568)}
ASKED = "how long is the associate degree program?"
UNCOVERED = "can I bring my dog to work?"
PASSWORD = "counselor-secret-42"
DEEP_ACTIVE = "() => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; return a; }"


def host_page(app_url: str) -> bytes:
    """A school's page on another origin, with a link before and after the widget."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Careers at our school</title></head><body><main><h1>Careers at our school</h1>"
            "<p><a id='before' href='#before'>Before the advisor</a></p><div id='career-advisor'></div>"
            "<p><a id='after' href='#after'>After the advisor</a></p></main>"
            f"<script src='{app_url}/embed.js' data-target='#career-advisor' defer></script></body></html>").encode()


@pytest.fixture(scope="module")
def widget_url(page_server: Any, page_origin: str, live_app: Any) -> str:
    page_server.pages["/a11y-host.html"] = ("text/html; charset=utf-8", host_page(live_app.url))
    return page_origin + "/a11y-host.html"


def surface_url(surface: str, live_app: Any, widget_url: str) -> str:
    return live_app.url + "/" if surface == "chat" else widget_url


def problems(page: Page) -> list[str]:
    """What fails WCAG 2.2 AA here: axe's violations, sideways scrolling, small targets."""
    out = [describe(axe(page))] if axe(page) else []
    if sideways_overflow(page) > 0:
        out.append(f"the page scrolls sideways by {sideways_overflow(page)} px")
    out += [f"target smaller than 24x24: {t}" for t in small_targets(page)]
    return out


def cors(page: Page) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Retry-After", "Content-Type": "application/json"}


# --------------------------------------------------------------------------------------
# axe, overflow and target sizes in every state
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("surface", ["chat", "widget"])
def test_every_state_passes_wcag_22_aa(new_page: Callable[..., Page], live_app: Any, widget_url: str, surface: str, width: str,
                                       screens: Path) -> None:
    w, h = WIDTHS[width]
    page = new_page(viewport={"width": w, "height": h})
    page.goto(surface_url(surface, live_app, widget_url))
    found: dict[str, list[str]] = {}

    def check(state: str) -> None:
        page.wait_for_timeout(150)  # a status line is written 60 ms after it is cleared
        found[state] = problems(page)
        page.screenshot(path=str(screens / f"{surface}-{width}-{state}.png"))

    expect(page.get_by_test_id("advisor-suggestion").first).to_be_visible()
    check("start")
    answer = ask(page, ASKED)
    expect(answer).to_contain_text("18 to 24 months")
    check("answer")
    answer.get_by_test_id("advisor-sources").locator("summary").click()
    expect(answer.locator("blockquote").first).to_be_visible()
    check("sources-open")
    refusal = ask(page, UNCOVERED)
    expect(refusal).to_contain_text("doesn't cover")
    check("refusal")
    refusal.get_by_test_id("advisor-like").click()
    expect(refusal.get_by_test_id("advisor-thanks")).to_contain_text("Thanks")
    check("rated")
    page.route("**/api/ask", lambda route: route.fulfill(status=429, headers={**cors(page), "Retry-After": "7"},
                                                         body='{"detail": "Too many questions from your address."}'))
    expect(ask(page, "and the salary?")).to_contain_text("wait 7 seconds")
    expect(page.get_by_test_id("advisor-input")).to_have_value("and the salary?")  # kept, to send again
    check("rate-limited")
    page.unroute("**/api/ask")
    page.route("**/api/ask", lambda route: route.fulfill(status=500, headers=cors(page), body='{"detail": "boom"}'))
    expect(ask(page, "and the hours?")).to_contain_text("Sorry")
    check("error")
    bad = {state: p for state, p in found.items() if p}
    assert not bad, "\n".join(f"[{surface} {width}px {state}]\n" + "\n".join(p) for state, p in bad.items())


@pytest.mark.parametrize("width", WIDTHS)
def test_the_profile_page_passes_wcag_22_aa(new_page: Callable[..., Page], live_app: Any, width: str, screens: Path) -> None:
    w, h = WIDTHS[width]
    page = new_page(viewport={"width": w, "height": h})
    page.goto(live_app.url + "/profiles/imaging-technologist#L22-L24")
    expect(page.locator(".quoted").first).to_be_visible()
    page.screenshot(path=str(screens / f"profile-{width}-quoted.png"))
    assert problems(page) == []
    page.goto(live_app.url + "/profiles/")
    assert problems(page) == []
    page.goto(live_app.url + "/profiles/no-such-career")
    assert problems(page) == []


# --------------------------------------------------------------------------------------
# /admin
@pytest.fixture(scope="module")
def admin_app(web_advisor: Any, make_settings: Callable[..., Any]) -> Iterator[Any]:
    """An app with a password and a realistic report: two weeks of questions (long words
    included), an unanswered one with hostile text, a rated-down answer."""
    import httpx
    from conftest import AppServer

    from advisor.records.store import QuestionRecord, utc_now

    server = AppServer(web_advisor, make_settings(admin_password=PASSWORD, trusted_proxies=("127.0.0.1",))).start()
    records = server.app.state.records
    now = utc_now()
    for day in range(14):
        for i in range(5 + 3 * day):
            a = SimpleNamespace(question=f"question {i} about a supercalifragilisticexpialidociouslylongword on day {day}?", resolved_question="",
                                careers=("imaging-technologist",), kind="answer" if i % 3 else "abstain", reason="" if i % 3 else "not covered",
                                confidence=0.7, citations=(), missing=("supercalifragilisticexpialidociouslylongword",) if i % 3 == 0 else ())
            records.log(QuestionRecord.of(a, channel="api", answer_id=f"d{day}-{i}", latency_ms=10.0, when=now - timedelta(days=day)))
    for q in ("<img src=x onerror=alert(1)> zebracorn lessons?", "what is the stress level?"):
        rec = httpx.post(server.url + "/api/ask", json={"question": q}, timeout=30).json()
        httpx.post(server.url + "/api/feedback", json={"answer_id": rec["answer_id"], "token": rec["rating_token"], "liked": False}, timeout=30)
    assert records.flush(20)
    yield server
    server.stop()


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"counselor:{password}".encode()).decode()


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_passes_wcag_22_aa_in_every_state(new_page: Callable[..., Page], admin_app: Any, width: str, screens: Path) -> None:
    w, h = WIDTHS[width]
    client = {"X-Forwarded-For": f"10.20.0.{w % 250}"}  # its own address: the lock-out below stays this width's
    found: dict[str, list[str]] = {}
    page = new_page(viewport={"width": w, "height": h}, extra_http_headers={**client, "Authorization": basic(PASSWORD)})
    for state, path, status in (("report", "/admin?since=all", 200), ("empty", "/admin?since=2999-01-01", 200),
                                ("wrong-period", "/admin?since=next tuesday", 422), ("not-found", "/admin/nothing", 404)):
        reply = page.goto(admin_app.url + path)
        assert reply is not None and reply.status == status, (state, reply and reply.status)
        found[state] = problems(page)
        if state == "report":  # and it stays legible: each day's date on one line (the bars give way on a phone)
            wrapped = page.locator("[data-testid=per-day] td:first-child").evaluate_all(
                "tds => tds.filter(td => { const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length > 1; })"
                ".map(td => td.textContent)")
            found[state] += [f"the date {d} wraps" for d in wrapped]
        page.screenshot(path=str(screens / f"admin-{width}-{state}.png"), full_page=True)
    locked = new_page(viewport={"width": w, "height": h}, extra_http_headers={**client, "Authorization": basic("wrong-password")})
    for _ in range(10):  # ten wrong passwords a minute, then the address waits
        assert locked.request.get(admin_app.url + "/admin").status == 401
    last = locked.goto(admin_app.url + "/admin")
    assert last is not None and last.status == 429
    found["locked-out"] = problems(locked)
    locked.screenshot(path=str(screens / f"admin-{width}-locked-out.png"))
    asked = new_page(viewport={"width": w, "height": h}, extra_http_headers={"X-Forwarded-For": f"10.21.0.{w % 250}"})

    def body_not_dialog(route: Any) -> None:  # what a browser shows when its password dialog is cancelled
        reply = route.fetch()
        route.fulfill(response=reply, headers={k: v for k, v in reply.headers.items() if k.lower() != "www-authenticate"})

    asked.route("**/admin", body_not_dialog)
    reply = asked.goto(admin_app.url + "/admin")
    assert reply is not None and reply.status == 401
    found["password-needed"] = problems(asked)
    bad = {state: p for state, p in found.items() if p}
    assert not bad, "\n".join(f"[admin {width}px {state}]\n" + "\n".join(p) for state, p in bad.items())


# --------------------------------------------------------------------------------------
# keyboard only
def _focus_name(page: Page) -> str:
    return str(page.evaluate_handle(DEEP_ACTIVE).evaluate(
        "e => e ? (e.getAttribute('data-testid') || e.id || e.tagName) + ':' + (e.textContent || e.value || '').trim().slice(0, 30) : ''"))


def _tab_round(page: Page, until: Callable[[str], bool], limit: int = 60, back: bool = False) -> list[str]:
    """Press Tab (Shift+Tab) until `until(name)` holds; each focused control's name. Fails
    when the focus ring of one of ours is missing or under 3:1."""
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        name = _focus_name(page)
        seen.append(name)
        if name.startswith("advisor") or name.startswith("A:[") or name.startswith("SUMMARY"):
            ring = focus_contrast(page.evaluate_handle(DEEP_ACTIVE))
            assert ring["ratio"] >= 3, (name, ring)
        if until(name):
            return seen
    raise AssertionError(f"focus never reached the control: {seen}")


@pytest.mark.parametrize("width", ["1280", "375"])
def test_the_chat_page_works_with_the_keyboard_alone(new_page: Callable[..., Page], live_app: Any, width: str) -> None:
    w, h = WIDTHS[width]
    page = new_page(viewport={"width": w, "height": h})
    page.goto(live_app.url + "/")
    expect(page.get_by_test_id("advisor-suggestion")).to_have_count(4)
    expect(page.get_by_test_id("advisor-input")).to_be_focused()  # the page starts in the question box
    # every control of the start, in order, each with a visible focus; then round again: no trap
    first = _tab_round(page, lambda n: n.startswith("advisor-input"))
    assert sum(n.startswith("advisor-suggestion") for n in first) == 4 and any(n.startswith("advisor-log") for n in first), first
    _tab_round(page, lambda n: n.startswith("advisor-send"))
    page.keyboard.press("Enter")  # Ask on an empty box: nothing asked, back to the box
    expect(page.get_by_test_id("advisor-input")).to_be_focused()
    _tab_round(page, lambda n: n.startswith("advisor-suggestion"))
    page.keyboard.press("Enter")  # a starter question, from the keyboard
    expect(answers(page)).to_have_count(1)
    expect(page.get_by_test_id("advisor-input")).to_be_focused()
    page.keyboard.type(ASKED)
    page.keyboard.press("Enter")
    expect(answers(page)).to_have_count(2)
    answer = answers(page).nth(1)
    expect(answer).to_contain_text("18 to 24 months")
    # back into the answer: its [1] marker, the Sources toggle, the ratings
    _tab_round(page, lambda n: n.startswith("SUMMARY") and "Sources" in n and page.evaluate_handle(DEEP_ACTIVE).evaluate(
        "(e, root) => root.contains(e)", answer.element_handle()), back=True)
    page.keyboard.press("Enter")
    expect(answer.get_by_test_id("advisor-sources")).to_have_attribute("open", "")
    _tab_round(page, lambda n: n.startswith("advisor-citation"))  # the first source's link, now open
    _tab_round(page, lambda n: n.startswith("advisor-like") and bool(page.evaluate_handle(DEEP_ACTIVE).evaluate(
        "(e, root) => root.contains(e)", answer.element_handle())))
    page.keyboard.press("Space")
    expect(answer.get_by_test_id("advisor-like")).to_have_attribute("aria-pressed", "true")
    expect(answer.get_by_test_id("advisor-thanks")).to_contain_text("Thanks")
    _tab_round(page, lambda n: n.startswith("advisor-input"))  # and on to the question box again


def test_the_widget_works_with_the_keyboard_alone_and_lets_focus_go(page: Page, widget_url: str) -> None:
    page.goto(widget_url)
    expect(page.get_by_test_id("advisor-suggestion")).to_have_count(4)
    page.locator("#before").focus()
    inside = _tab_round(page, lambda n: n.startswith("after"))  # through the widget and out of it: no trap
    assert [n.split(":")[0] for n in inside if n.startswith("advisor")][-2:] == ["advisor-input", "advisor-send"], inside
    _tab_round(page, lambda n: n.startswith("before"), back=True)  # and back out the other way
    _tab_round(page, lambda n: n.startswith("advisor-input"))
    page.keyboard.type(ASKED)
    page.keyboard.press("Enter")
    expect(answers(page)).to_have_count(1)
    expect(page.get_by_test_id("advisor-input")).to_be_focused()
    _tab_round(page, lambda n: n.startswith("advisor-dislike"), back=True)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("advisor-dislike")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("advisor-like")).to_have_attribute("aria-pressed", "false")


# --------------------------------------------------------------------------------------
# the status region: a new answer is announced once, politely, and never the history
WATCH_STATUS = """(status) => { window.__said = []; new MutationObserver(() => { if (status.textContent) window.__said.push(status.textContent); })
  .observe(status, {childList: true, characterData: true, subtree: true}); }"""


@pytest.mark.parametrize("surface", ["chat", "widget"])
def test_a_new_answer_is_announced_once_by_a_polite_status_region(page: Page, live_app: Any, widget_url: str, surface: str) -> None:
    page.goto(surface_url(surface, live_app, widget_url))
    status = page.get_by_test_id("advisor-status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_attribute("role", "status")
    status.evaluate(WATCH_STATUS)
    held: list[Any] = []
    page.route("**/api/ask", lambda route: held.append(route))  # the first answer takes its time
    page.get_by_test_id("advisor-input").fill(ASKED)
    page.get_by_test_id("advisor-input").press("Enter")
    expect(status).to_have_text("Looking in the profile…")  # said while it loads
    held[0].continue_()
    expect(answers(page)).to_have_count(1)
    page.unroute("**/api/ask")
    first = answers(page).first
    expect(status).to_contain_text("18 to 24 months")
    second = ask(page, "what is the stress level?")
    expect(status).to_contain_text("Stress Level: Moderate")
    said = page.evaluate("window.__said")
    assert said[0] == "Looking in the profile…", said
    assert sum("18 to 24 months" in s for s in said) == 1, said  # each answer once
    assert sum("Stress Level: Moderate" in s for s in said) == 1, said
    assert "18 to 24 months" not in (status.text_content() or "")  # the new answer, not the history
    assert "[1]" not in said[-1] and "Sources" not in said[-1]  # its words, not its markers or sources
    # nothing around the answers is a live region: the conversation is never read out again
    for answer in (first, second):
        live = answer.evaluate("""e => { const out = []; for (let n = e; n; n = n.parentNode || n.host) {
            if (n.getAttribute && (n.getAttribute('aria-live') || ['log', 'status', 'alert'].includes(n.getAttribute('role')))) out.push(n.tagName); }
            return out; }""")
        assert live == [], live


# --------------------------------------------------------------------------------------
# ratings, names, contrast, motion
@pytest.mark.parametrize("surface", ["chat", "widget"])
def test_ratings_are_toggle_buttons_that_say_thanks_and_store_the_servers_answer(page: Page, live_app: Any, widget_url: str, surface: str,
                                                                                  wait_until: Callable[..., Any]) -> None:
    page.goto(surface_url(surface, live_app, widget_url))
    question = f"what is the stress level? ({surface})"
    answer = ask(page, question)
    like, dislike = answer.get_by_test_id("advisor-like"), answer.get_by_test_id("advisor-dislike")
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "false")
    expect(dislike).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    thanks = answer.get_by_test_id("advisor-thanks")
    expect(thanks).to_have_text(re.compile("^Thanks"))
    expect(thanks).to_have_attribute("role", "status")
    rows = wait_until(lambda: [r for r in table_rows(live_app.feedback_db, "feedback") if r["question"] == question], 15, "the rating")
    assert rows[0]["liked"] == 1 and "Stress Level: Moderate" in rows[0]["answer"]
    dislike.click()
    expect(dislike).to_have_attribute("aria-pressed", "true")
    expect(like).to_have_attribute("aria-pressed", "false")
    wait_until(lambda: [r["liked"] for r in table_rows(live_app.feedback_db, "feedback") if r["question"] == question] == [0], 15, "the change")


def test_accessible_names_are_plain_text(page: Page, live_app: Any) -> None:
    page.goto(live_app.url + "/")
    ask(page, "does it involve **patients** [care](x) and_stuff?")
    answer = ask(page, "where do imaging technologists work?")
    tree = page.get_by_test_id("advisor-widget").aria_snapshot()
    assert "\\" not in tree, tree  # no Markdown escapes ("services\\. \\[1\\]") read aloud
    assert "**patients** [care](x) and_stuff?" in tree  # the question, as typed
    marker = answer.get_by_test_id("advisor-marker").first
    expect(marker).to_have_accessible_name(re.compile(r"^\[1\] source: Imaging Technologist › .+ \(opens in a new tab\)$"))


@pytest.mark.parametrize("surface", ["chat", "widget"])
def test_controls_and_their_boundaries_have_3_to_1_contrast(page: Page, live_app: Any, widget_url: str, surface: str) -> None:
    page.goto(surface_url(surface, live_app, widget_url))
    ask(page, ASKED)
    for testid in ("advisor-input", "advisor-send", "advisor-like", "advisor-dislike"):
        ratio = non_text_contrast(page.get_by_test_id(testid).first)
        assert ratio >= 3, (testid, ratio)


@pytest.mark.parametrize("motion,animated", [("reduce", False), ("no-preference", True)])
def test_the_waiting_animation_honours_prefers_reduced_motion(new_page: Callable[..., Page], live_app: Any, motion: str, animated: bool) -> None:
    page = new_page(reduced_motion=motion)
    page.goto(live_app.url + "/")
    held: list[Any] = []
    page.route("**/api/ask", lambda route: held.append(route))  # the answer is held: the page keeps waiting
    page.get_by_test_id("advisor-input").fill(ASKED)
    page.get_by_test_id("advisor-input").press("Enter")
    waiting = page.get_by_test_id("advisor-pending")
    expect(waiting).to_be_visible()
    name = waiting.evaluate("e => getComputedStyle(e, '::after').animationName")
    assert (name != "none") is animated, name
    held[0].continue_()
    expect(answers(page)).to_have_count(1)


@pytest.mark.parametrize("width", ["1280", "320"])
def test_the_career_picker_passes_too(new_page: Callable[..., Page], careers_app: Any, width: str, screens: Path) -> None:
    """With several careers the chat page has a career picker (a native select)."""
    w, h = WIDTHS[width]
    page = new_page(viewport={"width": w, "height": h})
    page.goto(careers_app.url + "/")
    picker = page.get_by_label("Career", exact=True)
    expect(picker).to_be_visible()
    expect(page.get_by_test_id("advisor-suggestion").first).to_be_visible()
    assert problems(page) == []
    picker.select_option(label="Actors")
    expect(page.get_by_test_id("advisor-intro")).to_contain_text("Ask about Actors")
    expect(ask(page, "how much do they earn?")).to_contain_text("$20.43")
    page.screenshot(path=str(screens / f"chat-careers-{width}-answer.png"))
    assert problems(page) == []
    assert non_text_contrast(picker) >= 3
