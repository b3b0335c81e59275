"""The chat page (/) in headless Chromium: asking, Sources, follow-ups, starters,
suggestions and thumbs-up. (Accessibility, the keyboard and phones: test_web_a11y.py and
test_web_phone.py; citations' pages: test_web_citations.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from chat_support import answers, ask
from conftest import table_rows
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.model]

NOT_COVERED = "doesn't cover"
SOURCES = re.compile(r"Sources \((\d+)\)")


def open_chat(page: Page, url: str) -> None:
    page.goto(url + "/")
    expect(page.get_by_test_id("advisor-input")).to_be_visible()


def test_ask_shows_answer_with_citation_and_sources(page: Page, live_app: Any, web_advisor: Any) -> None:
    open_chat(page, live_app.url)
    answer = ask(page, "how long is the associate degree program?")
    expect(answer).to_contain_text("[1]")
    expect(answer).to_contain_text("18 to 24 months")
    expect(page.get_by_test_id("advisor-input")).to_have_value("")  # box cleared for the next question

    block = answer.get_by_test_id("advisor-sources")
    summary = block.locator("summary")
    k = SOURCES.fullmatch(summary.inner_text().strip())
    assert k, summary.inner_text()
    expect(block.locator("blockquote").first).to_be_hidden()  # collapsed: only the title shows
    summary.click()
    expect(block).to_contain_text("Imaging Technologist › Required Education")  # the career's title and section
    expect(block).not_to_contain_text("imaging-technologist ›")  # never the file id
    expect(block).to_contain_text("typically lasting 18 to 24 months")
    expect(block.locator("blockquote")).to_have_count(int(k.group(1)))  # one quote per citation
    quote = block.locator("blockquote").first.inner_text().strip()
    corpus = "\n".join(doc.text for doc in web_advisor.index.documents.values())
    assert quote and quote in corpus  # the quote shown is verbatim source text
    expect(answer).not_to_contain_text("Quoted from the profile")  # a confident answer carries no label


def test_follow_up_is_resolved_from_the_conversation(page: Page, live_app: Any) -> None:
    open_chat(page, live_app.url)
    first = ask(page, "how long is the associate degree program?")
    expect(first).to_contain_text("18 to 24 months")
    second = ask(page, "and the bachelor's?")
    # only the conversation says the question is about length: alone, "and the
    # bachelor's?" is answered without one (tests/web/test_web_rest.py checks that)
    expect(second).to_contain_text("four-year bachelor's programs")
    expect(second).to_contain_text("[1]")
    expect(page.get_by_test_id("advisor-question")).to_have_count(2)


def test_starter_question_is_answered(page: Page, live_app: Any, web_advisor: Any) -> None:
    open_chat(page, live_app.url)
    starter = web_advisor.starter_questions(4)[0]
    button = page.get_by_test_id("advisor-suggestion").first
    expect(button).to_have_text(starter)
    button.click()
    expect(page.get_by_test_id("advisor-question")).to_have_text([starter])
    expect(answers(page)).to_have_count(1)
    expect(answers(page).first).to_contain_text("[1]")
    expect(answers(page).first).not_to_contain_text(NOT_COVERED)
    expect(answers(page).first.get_by_test_id("advisor-sources")).to_have_count(1)


UNCOVERED = "can I bring my dog to work?"


def test_uncovered_question_offers_suggestions_that_answer(page: Page, live_app: Any, web_advisor: Any) -> None:
    core = web_advisor.ask(UNCOVERED)
    assert core.kind == "abstain" and core.suggestions, f"precondition: the core should abstain on {UNCOVERED!r} ({core.kind})"
    open_chat(page, live_app.url)
    first = ask(page, UNCOVERED)
    expect(first).to_contain_text(NOT_COVERED)
    expect(first).to_contain_text("The profile can answer these instead:")
    pick = first.get_by_test_id("advisor-suggestion").first
    picked = pick.inner_text().strip()
    assert picked == core.suggestions[0]
    pick.click()
    expect(answers(page)).to_have_count(2)
    expect(answers(page).nth(1)).to_contain_text("[1]")
    expect(page.get_by_test_id("advisor-question").nth(1)).to_have_text(picked)
    expect(page.get_by_test_id("advisor-input")).to_be_focused()  # back in the box for the next question


def test_a_weak_match_says_in_plain_words_what_it_is(page: Page, live_app: Any, web_advisor: Any) -> None:
    question = next((q for q in ("is it physically demanding?", "what equipment do they fix?", "what about teamwork?", "do they do dexa scans",
                                 "do rad techs get paid overtime?")
                     if web_advisor.ask(q).confidence_label == "closest match"), None)
    if question is None:
        pytest.skip("no question of the list is a weak match on this corpus")
    open_chat(page, live_app.url)
    answer = ask(page, question)
    expect(answer.get_by_test_id("advisor-hint")).to_have_text(
        "The profile may not answer this exactly: these are its sentences closest to your question.")


# --------------------------------------------------------------------------------------
# thumbs-up: one browser run, two assertions
LIKED_QUESTION = "what is the stress level?"


def _rows(db: Path) -> list[dict[str, Any]]:
    return table_rows(db, "feedback")


@pytest.fixture(scope="module")
def liked_row(browser: Any, live_app: Any, wait_until: Callable[..., Any]) -> dict[str, Any]:
    """Ask one question in a fresh browser context, click Helpful, return the row that lands."""
    context = browser.new_context()
    try:
        page = context.new_page()
        open_chat(page, live_app.url)
        answer = ask(page, LIKED_QUESTION)
        expect(answer).to_contain_text("[1]")
        seen = {r["id"] for r in _rows(live_app.feedback_db)}
        like = answer.get_by_role("button", name="Helpful", exact=True)
        expect(like).to_have_count(1)  # one answer, one Helpful
        like.click()
        new = wait_until(lambda: [r for r in _rows(live_app.feedback_db) if r["id"] not in seen], 15, "a feedback row")
        assert len(new) == 1, new
        return new[0]
    finally:
        context.close()


def test_like_stores_a_row(liked_row: dict[str, Any]) -> None:
    assert liked_row["liked"] == 1
    assert "Stress Level: Moderate" in liked_row["answer"]


def test_like_stores_question_and_citations(liked_row: dict[str, Any]) -> None:
    assert liked_row["question"] == LIKED_QUESTION
    assert json.loads(liked_row["citations"]), liked_row
    assert liked_row["answer_id"]


def test_the_page_logs_its_questions_as_the_chat(page: Page, live_app: Any, wait_until: Callable[..., Any]) -> None:
    open_chat(page, live_app.url)
    question = "what does the chat page log about the work setting?"
    ask(page, question)
    rows = wait_until(lambda: [r for r in table_rows(live_app.feedback_db, "questions") if r["question"] == question], 15, "the question logged")
    assert rows[0]["channel"] == "chat"
