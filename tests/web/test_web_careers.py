"""Several careers at once in the web shell: the career picker, a pinned career in the
REST API and the widget, which-career questions, comparisons and "Key: Value" facts
shown one a line. Real model; three careers (imaging + two OOH profiles)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.model]


@pytest.fixture(scope="module")
def client(careers_advisor: Any, careers_corpus: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from advisor import Settings
    from app import build_app

    settings = Settings(corpus_dir=careers_corpus, data_dir=tmp_path_factory.mktemp("careers-rest"), rate_limit="off", rate_limit_requests="off")
    with TestClient(build_app(careers_advisor, settings)) as c:
        yield c


def test_careers_are_listed_by_title(client: TestClient) -> None:
    assert client.get("/api/careers").json()["careers"] == [
        {"id": "actor", "title": "Actors"},
        {"id": "air-traffic-controllers", "title": "Air Traffic Controllers"},
        {"id": "imaging-technologist", "title": "Imaging Technologist"},
    ]


def test_a_question_naming_no_career_asks_which(client: TestClient) -> None:
    rec = client.post("/api/ask", json={"question": "how much do they earn?"}).json()
    assert rec["kind"] == "clarify" and rec["abstained"] and rec["citations"] == []
    assert "Which career" in rec["answer"] and rec["suggestions"]
    follow = client.post("/api/ask", json={"question": rec["suggestions"][0]}).json()
    assert follow["kind"] in {"answer", "abstain"} and len(follow["careers"]) == 1


def test_a_pinned_career_answers_and_says_which(client: TestClient) -> None:
    rec = client.post("/api/ask", json={"question": "how much do they earn?", "career": "actor"}).json()
    assert rec["kind"] == "answer" and rec["career"] == "actor" and rec["career_title"] == "Actors"
    assert "$20.43" in rec["answer"] and {c["doc"] for c in rec["citations"]} == {"actor"}
    other = client.post("/api/ask", json={"question": "how much do air traffic controllers earn?", "career": "actor"}).json()
    assert other["abstained"] and "Air Traffic Controllers" in other["answer"] and other["citations"] == []


def test_the_conversation_keeps_its_career(client: TestClient) -> None:
    """A follow-up that cannot be answered alone: "do they need a degree?" names no career."""
    alone = client.post("/api/ask", json={"question": "do they need a degree?"}).json()
    assert alone["kind"] == "clarify"
    rec = client.post("/api/ask", json={"question": "do they need a degree?", "history": ["What do actors do?"]}).json()
    assert rec["kind"] == "answer" and rec["career"] == "actor"
    assert {c["doc"] for c in rec["citations"]} == {"actor"}


def test_a_comparison_answers_from_both_labelled(client: TestClient) -> None:
    rec = client.post("/api/ask", json={"question": "what education do actors and air traffic controllers need?"}).json()
    assert rec["kind"] == "answer" and set(rec["careers"]) == {"actor", "air-traffic-controllers"}
    lines = rec["answer"].split("\n")
    assert "Actors:" in lines and "Air Traffic Controllers:" in lines
    assert {c["doc"] for c in rec["citations"]} == {"actor", "air-traffic-controllers"}
    # every sentence stays in its own career's part
    part = ""
    docs = {c["n"]: c["doc"] for c in rec["citations"]}
    for line in lines:
        if line.endswith(":") and "[" not in line:
            part = {"Actors:": "actor", "Air Traffic Controllers:": "air-traffic-controllers"}[line]
            continue
        for n in re.findall(r"\[(\d+)\]", line):
            assert docs[int(n)] == part, (line, part)


def test_starters_per_career(client: TestClient) -> None:
    body = client.get("/api/starters", params={"career": "actor"}).json()
    assert body["intro"] == "Ask about Actors"
    assert body["questions"] and all("actor" in q.lower() for q in body["questions"]), body
    everyone = client.get("/api/starters").json()
    assert everyone["intro"] == "Ask about 3 careers" and len(everyone["questions"]) == 4


# --------------------------------------------------------------------------------------
# in the browser


@pytest.mark.browser
@pytest.mark.server
def test_the_career_picker_changes_title_starters_and_answers(page: Page, careers_app: Any) -> None:
    page.goto(careers_app.url + "/")
    intro = page.get_by_test_id("advisor-intro")
    expect(intro).to_contain_text("Ask about 3 careers")
    picker = page.get_by_label("Career", exact=True)  # a native select: type-ahead and arrow keys from the keyboard
    expect(picker.locator("option")).to_have_text(["All careers", "Actors", "Air Traffic Controllers", "Imaging Technologist"])
    picker.select_option(label="Actors")
    expect(intro).to_contain_text("Ask about Actors")
    expect(page.get_by_test_id("advisor-status")).to_have_text("New conversation about Actors.")
    expect(page.get_by_test_id("advisor-suggestion").first).to_contain_text(re.compile("actor", re.I))
    page.get_by_test_id("advisor-input").fill("how much do they earn?")
    page.get_by_test_id("advisor-input").press("Enter")
    answer = page.get_by_test_id("advisor-answer").first
    expect(answer).to_contain_text("$20.43")
    expect(answer).to_contain_text("[1]")


@pytest.mark.browser
@pytest.mark.server
def test_key_value_facts_show_one_a_line(page: Page, careers_app: Any) -> None:
    page.goto(careers_app.url + "/")
    page.get_by_test_id("advisor-input").fill("what is the stress level of an imaging technologist?")
    page.get_by_test_id("advisor-input").press("Enter")
    answer = page.get_by_test_id("advisor-answer").first
    expect(answer).to_contain_text("Stress Level: Moderate")
    paragraphs = answer.locator("p").evaluate_all(  # what the paragraphs show (a marker's spoken words aside)
        "ps => ps.map(p => { const c = p.cloneNode(true); c.querySelectorAll('.sr').forEach(e => e.remove()); return c.textContent; })")
    fact = [p for p in paragraphs if p.startswith("Stress Level: Moderate")]
    assert fact and re.fullmatch(r"Stress Level: Moderate \[\d\]", fact[0].strip()), paragraphs


@pytest.mark.browser
@pytest.mark.server
def test_the_widget_pins_its_career(page: Page, careers_app: Any, page_server: Any, page_origin: str) -> None:
    page_server.pages["/actors.html"] = (
        "text/html; charset=utf-8",
        (
            "<!doctype html><html><head><meta charset='utf-8'><title>Drama department</title></head><body>"
            '<div id="career-advisor"></div>'
            f'<script src="{careers_app.url}/embed.js" data-target="#career-advisor" data-career="actor"></script>'
            "</body></html>"
        ).encode(),
    )
    page.goto(page_origin + "/actors.html")
    widget = page.locator("[data-testid=advisor-widget]")
    expect(widget).to_contain_text("Ask about Actors")
    expect(page.locator("[data-testid=advisor-suggestion]").first).to_contain_text(re.compile("actor", re.I))
    page.locator("[data-testid=advisor-input]").fill("how much do they earn?")
    page.locator("[data-testid=advisor-input]").press("Enter")
    answer = page.locator("[data-testid=advisor-answer]").last
    expect(answer).to_contain_text("$20.43")
