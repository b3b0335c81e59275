"""Driving the chat component (the chat page and the widget share it) in a browser test."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def answers(page: Page) -> Locator:
    return page.get_by_test_id("advisor-answer")


def ask(page: Page, question: str) -> Locator:
    """Type a question, press Enter, and return the new answer once it is shown."""
    before = answers(page).count()
    box = page.get_by_test_id("advisor-input")
    box.fill(question)
    box.press("Enter")
    expect(answers(page)).to_have_count(before + 1)
    return answers(page).nth(before)
