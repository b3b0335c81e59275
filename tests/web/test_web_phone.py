"""The chat page on a phone (375×667 and 320×568) and on a desktop: the conversation fills the
screen above a question box that is always in view, nothing overlaps, and an on-screen
keyboard (the viewport shrinking, as `interactive-widget=resizes-content` makes it) does not
hide the answer. Screenshots: artifacts/screens/phone-*.png."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from chat_support import ask
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.model]

SIZES = {"1280x800": (1280, 800), "375x667": (375, 667), "320x568": (320, 568)}

# Boxes of the frame, and every pair of visible pieces that overlap (an element and its own
# ancestor aside): buttons, inputs, headings, paragraphs, list items, quotes, summaries.
LAYOUT_JS = """
(w) => {
  const root = w.getRootNode();
  const box = (e) => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const frame = {widget: box(w), head: box(root.querySelector('.h')), log: box(root.querySelector('.log')), form: box(root.querySelector('form')),
                 input: box(root.querySelector('input')), send: box(root.querySelector('button[type=submit]'))};
  const log = frame.log;
  // what is shown of an element: a piece of the conversation only where the scrolled log shows it
  const shown = (e) => { const r = e.getBoundingClientRect(); if (!e.closest('.log')) return r;
    return {left: r.left, right: r.right, top: Math.max(r.top, log.top), bottom: Math.min(r.bottom, log.bottom)}; };
  const pieces = [...w.querySelectorAll('button, input, select, h1, h2, h3, p, li, blockquote, summary, label:not(.sr), a')].filter((e) => {
    if (e.closest('.sr') || !e.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})) return false;  // (a closed Sources block's content)
    const r = shown(e); return r.right > r.left && r.bottom > r.top; });
  const overlaps = [];
  for (let i = 0; i < pieces.length; i++) for (let j = i + 1; j < pieces.length; j++) {
    const a = pieces[i], b = pieces[j]; if (a.contains(b) || b.contains(a)) continue;
    const p = shown(a), q = shown(b);
    const x = Math.min(p.right, q.right) - Math.max(p.left, q.left), y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (x > 1 && y > 1) overlaps.push(`${a.tagName} "${a.textContent.trim().slice(0, 25)}" / ${b.tagName} "${b.textContent.trim().slice(0, 25)}"`);
  }
  return {frame, overlaps, pageScrolls: document.documentElement.scrollHeight > innerHeight + 1 || document.documentElement.scrollWidth > innerWidth + 1};
}
"""


def layout(page: Page) -> dict[str, Any]:
    return dict(page.get_by_test_id("advisor-widget").evaluate(LAYOUT_JS))


def assert_fills_the_screen(page: Page, w: int, h: int) -> None:
    got = layout(page)
    f = got["frame"]
    assert not got["pageScrolls"], got  # the page itself never scrolls: the conversation does
    assert f["widget"]["top"] == pytest.approx(0, abs=1) and f["widget"]["bottom"] == pytest.approx(h, abs=1), f
    assert f["head"]["bottom"] == pytest.approx(f["log"]["top"], abs=1) and f["log"]["bottom"] == pytest.approx(f["form"]["top"], abs=1), f
    assert f["form"]["bottom"] == pytest.approx(h, abs=1), f  # the question box at the bottom, always in view
    for part in ("input", "send"):
        assert 0 <= f[part]["top"] and f[part]["bottom"] <= h and 0 <= f[part]["left"] and f[part]["right"] <= w, (part, f)
    assert f["log"]["bottom"] - f["log"]["top"] >= 0.55 * h, f  # the conversation takes most of the screen
    assert got["overlaps"] == [], got["overlaps"]


@pytest.mark.parametrize("size", SIZES)
def test_the_conversation_fills_the_screen_above_the_question_box(new_page: Callable[..., Page], live_app: Any, size: str, screens: Path) -> None:
    w, h = SIZES[size]
    phone = w < 500
    page = new_page(viewport={"width": w, "height": h}, device_scale_factor=2 if phone else 1, is_mobile=phone, has_touch=phone)
    page.goto(live_app.url + "/")
    assert "interactive-widget=resizes-content" in (page.locator("meta[name=viewport]").get_attribute("content") or "")
    expect(page.get_by_test_id("advisor-suggestion").first).to_be_visible()
    assert_fills_the_screen(page, w, h)
    page.screenshot(path=str(screens / f"phone-{size}-start.png"))
    ask(page, "how long is the associate degree program?")
    answer = ask(page, "what is the stress level?")
    answer.get_by_test_id("advisor-sources").locator("summary").click()
    assert_fills_the_screen(page, w, h)
    page.screenshot(path=str(screens / f"phone-{size}-answer.png"))
    if not phone:
        return
    # the on-screen keyboard takes 40% of the screen: the box and the start of the answer stay in view
    page.get_by_test_id("advisor-input").focus()
    short = int(h * 0.6)
    page.set_viewport_size({"width": w, "height": short})
    page.wait_for_timeout(200)
    assert_fills_the_screen(page, w, short)
    turn = answer.evaluate("e => { const t = e.previousElementSibling.getBoundingClientRect(); const l = e.closest('.log').getBoundingClientRect();"
                           " return {top: t.top, logTop: l.top, logBottom: l.bottom}; }")
    assert turn["logTop"] - 1 <= turn["top"] < turn["logBottom"] - 20, turn  # the question asked, at the top of what is left
    page.screenshot(path=str(screens / f"phone-{size}-keyboard.png"))
