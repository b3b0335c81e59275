"""The question log in the web app: POST /api/ask returns latency_ms and answer_id and logs
the question, the chat logs its questions (and its ratings join them), the widget logs
through REST, the server's shutdown writes what is queued, several answer workers write
one file; and grouping by meaning with the real model on real questions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import table_rows
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from serving_support import Served, small_corpus

from advisor.records.meaning import Nearest, comparable_text, embed, group_by_meaning, hint
from advisor.records.report import build_report, load_records
from advisor.records.store import RECORDS_FILE, QuestionRecord, RecordsStore

pytestmark = pytest.mark.model

BATCH_KEYS = {"question", "answer", "abstained", "confidence", "citations", "passages", "kind", "career", "careers", "missing"}


def logged(db: Path) -> list[dict[str, Any]]:
    return table_rows(db, "questions")


def row_for(db: Path, answer_id: str, wait_until: Callable[..., Any]) -> dict[str, Any]:
    found = wait_until(lambda: [r for r in logged(db) if r["answer_id"] == answer_id], 15, f"the question {answer_id} in the log")
    assert len(found) == 1
    return dict(found[0])


@pytest.fixture(scope="module")
def served(web_advisor: Any, make_settings: Callable[..., Any], page_origin: str) -> Iterator[Any]:
    from conftest import AppServer

    server = AppServer(web_advisor, make_settings(allowed_origins=(page_origin,))).start()
    yield server
    server.stop()


# --------------------------------------------------------------------------------------
def test_rest_answers_carry_latency_and_answer_id_and_are_logged(served: Any, wait_until: Callable[..., Any]) -> None:
    r = httpx.post(served.url + "/api/ask", json={"question": "how long is the associate degree program?", "id": "line-7"}, timeout=30)
    rec = r.json()
    assert r.status_code == 200 and BATCH_KEYS <= rec.keys() and rec["id"] == "line-7" and rec["kind"] == "answer"
    assert isinstance(rec["latency_ms"], float) and rec["latency_ms"] >= 0
    assert isinstance(rec["answer_id"], str) and len(rec["answer_id"]) >= 16
    again = httpx.post(served.url + "/api/ask", json={"question": "how long is the associate degree program?"}, timeout=30).json()
    assert "id" not in again and again["answer_id"] != rec["answer_id"]  # one id per answer

    row = row_for(served.feedback_db, rec["answer_id"], wait_until)
    assert row["channel"] == "api" and row["question"] == "how long is the associate degree program?"
    assert row["kind"] == "answer" and row["career"] == "imaging-technologist" and row["latency_ms"] == rec["latency_ms"]
    first = rec["citations"][0]
    assert json.loads(row["citations"])[0] == {"doc": first["doc"], "section": first["section"], "lines": first["lines"]}
    assert httpx.get(served.url + "/api/health", timeout=30).json()["records"] == "ok"


def test_an_unanswered_question_is_logged_with_its_reason(served: Any, wait_until: Callable[..., Any]) -> None:
    rec = httpx.post(served.url + "/api/ask", json={"question": "do they do angiograms?"}, timeout=30).json()
    row = row_for(served.feedback_db, rec["answer_id"], wait_until)
    assert row["kind"] == "abstain" and row["reason"] == rec["reason"] and json.loads(row["missing"]) == ["angiograms"]


def _run_event(url: str, fn_index: int, data: list[Any], event_data: Any = None) -> list[dict[str, Any]]:
    session = f"records{time.time_ns()}"
    join = httpx.post(url + "/gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session,
                                                            "event_data": event_data, "trigger_id": None}, timeout=30)
    assert join.status_code == 200, join.text
    messages = []
    with httpx.stream("GET", url + "/gradio_api/queue/data", params={"session_hash": session}, timeout=30) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                messages.append(json.loads(line[5:]))
                if messages[-1].get("msg") == "process_completed":
                    break
    return messages


def _fn_index(url: str, trigger: str) -> int:
    deps = httpx.get(url + "/config", timeout=30).json()["dependencies"]
    return next(int(d.get("id", i)) for i, d in enumerate(deps) if any(t[1] == trigger for t in d.get("targets", [])))


def test_the_chat_logs_its_questions_and_a_rating_joins_them(served: Any, wait_until: Callable[..., Any]) -> None:
    done = _run_event(served.url, _fn_index(served.url, "submit"), ["what is the stress level?", [], ""])
    history = done[-1]["output"]["data"][1]
    at, answer = next((i, m) for i, m in enumerate(history) if m["role"] == "assistant")
    answer_id = answer["metadata"]["id"]
    row = row_for(served.feedback_db, answer_id, wait_until)
    assert row["channel"] == "chat" and row["question"] == "what is the stress level?" and row["kind"] == "answer"

    _run_event(served.url, _fn_index(served.url, "like"), [history], {"index": at, "value": "x", "liked": False})
    store = RecordsStore(served.feedback_db)
    assert wait_until(lambda: [q["liked"] for q in store.questions() if q["answer_id"] == answer_id] == [False], 15, "the rating joined")


@pytest.mark.browser
@pytest.mark.server
def test_the_widget_logs_through_rest(page: Page, served: Any, page_server: Any, page_origin: str, wait_until: Callable[..., Any]) -> None:
    page_server.pages["/records.html"] = ("text/html; charset=utf-8", (
        "<!doctype html><html><head><meta charset='utf-8'><title>School</title></head><body><div id='career-advisor'></div>"
        f"<script src='{served.url}/embed.js' data-target='#career-advisor'></script></body></html>").encode())
    page.goto(page_origin + "/records.html")
    question = "what does the widget log about work life balance?"
    page.locator("[data-testid=advisor-input]").fill(question)
    page.locator("[data-testid=advisor-send]").click()
    expect(page.locator("[data-testid=advisor-answer]")).to_have_count(1)
    rows = wait_until(lambda: [r for r in logged(served.feedback_db) if r["question"] == question], 15, "the widget's question in the log")
    assert len(rows) == 1 and rows[0]["channel"] == "api" and rows[0]["answer_id"]


# --------------------------------------------------------------------------------------
def test_the_server_shutdown_writes_what_is_queued(web_advisor: Any, make_settings: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from app import build_app

    slow = RecordsStore.write

    def slow_write(self: RecordsStore, records: Any) -> bool:
        time.sleep(0.3)  # a store slower than the answers: questions wait in the queue
        return slow(self, records)

    monkeypatch.setattr(RecordsStore, "write", slow_write)
    settings = make_settings()
    with TestClient(build_app(web_advisor, settings)) as c:
        for i in range(5):
            assert c.post("/api/ask", json={"question": f"how long is school? ({i})"}).status_code == 200
    assert len(logged(settings.data_dir / RECORDS_FILE)) == 5  # written before the server was gone


def test_keep_days_zero_logs_no_question(web_advisor: Any, make_settings: Callable[..., Any]) -> None:
    from app import build_app

    settings = make_settings(keep_days=0)
    with TestClient(build_app(web_advisor, settings)) as c:
        assert c.post("/api/ask", json={"question": "how long is school?"}).json()["answer_id"]
        c.app.state.records.flush(10)
    assert logged(settings.data_dir / RECORDS_FILE) == []


@pytest.mark.server
def test_answer_workers_share_one_log(tmp_path: Path) -> None:
    """`advisor serve --workers 2`: both processes log to one file; stopping writes everything."""
    corpus, data = small_corpus(tmp_path / "corpus"), tmp_path / "data"
    served = Served(corpus, data, tmp_path / "serve.log", "--workers", "2", "--api-only")
    try:
        served.wait_ready(120)
        pids = set()
        with httpx.Client(timeout=30) as c:
            for i in range(40):
                r = c.post(served.api_url + "/api/ask", json={"question": f"how long is school? #{i}"}, headers={"connection": "close"})
                assert r.status_code == 200
                pids.add(r.headers["x-advisor-worker"])
    finally:
        served.stop()
    assert len(pids) == 2, pids  # both workers answered (and logged)
    assert sorted(r["question"] for r in logged(data / RECORDS_FILE)) == sorted(f"how long is school? #{i}" for i in range(40))


# --------------------------------------------------------------------------------------
# grouping by meaning, real model, real questions (from eval/dev, holdout, blind)
SAME = [
    ["How long does the schooling take?", "how long is school for this"],
    ["Do I need to know CPR?", "do i need cpr"],
    ["will AI take over rad tech jobs?", "will ai replace rad techs", "is AI gonna replace rad techs"],
    ["whats the work life balance like", "how is the work-life balance"],
    ["Where do imaging technologists usually work?", "whr do rad techs wrk"],
]
ALONE = ["What does an imaging technologist actually do?", "Can you give me a recipe for pancakes?", "What does PACS stand for?",
         "Do imaging techs give patients contrast dye?", "Is there a lot of paperwork in this job?"]


def test_paraphrases_are_grouped_and_different_questions_kept_apart(web_advisor: Any) -> None:
    questions = [q for group in SAME for q in group] + ALONE
    groups = group_by_meaning(embed(web_advisor, [comparable_text(web_advisor, q) for q in questions]))
    got = sorted(sorted(questions[i] for i in g) for g in groups)
    assert got == sorted([sorted(g) for g in SAME] + [[q] for q in ALONE])


def test_the_report_groups_unanswered_questions_and_says_what_to_do(web_advisor: Any, tmp_path: Path) -> None:
    store = RecordsStore(tmp_path / RECORDS_FILE)
    asked = ["do they do angiograms?", "can rad techs do angiograms", "How do I get my learner's permit?", "can rad techs work in Dubai?"]
    store.write([QuestionRecord.of(web_advisor.ask(q), channel="api", answer_id=None, latency_ms=1.0) for q in asked])
    report = build_report(load_records(store, "30d"), web_advisor)
    by_first = {g.wordings[0][0]: g for g in report.unanswered}
    angio = next(g for g in report.unanswered if g.missing == ("angiograms",))
    assert angio.size == 2 and angio.nearest is not None and angio.nearest.near  # near the imaging methods, which never name it
    assert angio.hint.startswith("the profiles don't cover it")
    permit = by_first["How do I get my learner's permit?"]
    assert not permit.nearest.near and permit.hint.startswith("the profiles don't cover it")  # type: ignore[union-attr]
    dubai = by_first["can rad techs work in Dubai?"]  # near Global Outlook, which names the "UAE"; but a name gets no synonym
    assert dubai.missing == ("dubai",) and dubai.nearest.near and dubai.hint.startswith("the profiles don't cover it")  # type: ignore[union-attr]


def test_a_word_like_one_of_the_near_sentences_words_gets_a_synonym_line(web_advisor: Any) -> None:
    """The student's word and a word of the sentence nearest the question mean the same
    ("fluoroscopes" beside "Fluoroscopy equipment"): the hint is the synonym line to add."""
    unit = next(u for u in web_advisor.retriever.units if "Fluoroscopy" in u.text)
    near = Nearest(unit.doc_id, unit.label, (unit.line, unit.last_line), unit.text, 0.9)
    assert near.near
    got = hint(web_advisor, ["do they use fluoroscopes?"], ("fluoroscopes",), near, unit, "corpus/synonyms.txt")
    assert got == "add a synonym line: `fluoroscopes, fluoroscopy` to corpus/synonyms.txt"
    # a name gets none ("Dubai" is a place, not another word for one of the profile's)
    assert hint(web_advisor, ["can they use Fluoroscopes?"], ("fluoroscopes",), near, unit, "corpus/synonyms.txt").startswith("the profiles")
