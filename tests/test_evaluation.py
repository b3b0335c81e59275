"""advisor.evaluation: batch lines and metrics on hand-made records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.errors import InputError
from advisor.evaluation import Line, answer_line, grounded, norm, read_jsonl, score
from advisor.models import Answer

SOURCES = {
    "dental": "Dental Assistant\nAssistants earn about 46,000 dollars a year. Most work in dental offices.\n- Sterilize instruments",
    "pharmacy": "Pharmacy Technician\nTechnicians count tablets.",
}


def passage(text: str, doc: str = "dental") -> dict:
    return {"doc": doc, "section": "S", "lines": [2, 2], "text": text, "score": 0.5}


def out(answer: str, abstained: bool, passages: list[str], citations: list[dict] | None = None, latency: float = 10.0) -> dict:
    return {
        "question": "q",
        "answer": answer,
        "abstained": abstained,
        "confidence": 0.9 if not abstained else 0.1,
        "citations": citations if citations is not None else [],
        "passages": [passage(p) for p in passages],
        "latency_ms": latency,
    }


CITE_EARN = {"n": 1, "doc": "dental", "section": "S", "lines": [2, 2], "text": "Assistants earn about 46,000 dollars a year."}
EARN = "Assistants earn about 46,000 dollars a year. [1]"


def test_metrics_on_hand_made_records() -> None:
    pairs = [
        # answerable, right passage first, right answer
        ({"answerable": True, "expect_any": ["46,000 dollars"]}, out(EARN, False, ["Assistants earn about 46,000 dollars a year.", "x"], [CITE_EARN])),
        # answerable, right passage third, but abstained
        ({"answerable": True, "expect_any": ["dental offices"]}, out("Sorry", True, ["a", "b", "Most work in dental offices.", "c"], latency=30.0)),
        # answerable, never retrieved, answered wrongly
        ({"answerable": True, "expect_any": ["count tablets"]}, out(EARN, False, ["a", "b"], [CITE_EARN])),
        # unanswerable, abstained / answered
        ({"answerable": False, "type": "off_topic"}, out("Sorry", True, ["a"])),
        ({"answerable": False, "type": "near_domain"}, out(EARN, False, ["a"], [CITE_EARN])),
    ]
    m = score(pairs, SOURCES)
    assert m["lines"] == 5 and m["errors"] == 0
    assert m["answerable"] == 3 and m["unanswerable"] == 2
    assert m["hit@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["hit@3"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["hit@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 3 + 0) / 3, abs=1e-4)
    assert m["answer_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["false_abstention"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["abstention"] == {"all": 0.5, "near_domain": 0.0, "off_topic": 1.0}
    assert m["grounded_citations"] == 1.0
    assert m["by_type"]["off_topic"] == 1.0 and m["by_type"]["near_domain"] == 0.0
    assert m["latency_ms"]["p50"] == 10.0


def test_error_records_count_against_the_rates() -> None:
    pairs = [
        ({"answerable": True, "expect_any": ["46,000"]}, {"id": "x", "error": "line 1: not valid JSON"}),
        ({"answerable": True, "expect_any": ["46,000"]}, out(EARN, False, ["Assistants earn about 46,000 dollars a year."], [CITE_EARN])),
        ({"answerable": False, "expect_any": []}, {"id": "z", "error": "line 3: not valid JSON"}),
    ]
    m = score(pairs, SOURCES)
    assert m["errors"] == 2 and m["answerable"] == 2
    assert m["answer_accuracy"] == 0.5 and m["hit@1"] == 0.5
    assert m["abstention"]["all"] == 0.0


def test_long_answer_is_not_accurate() -> None:
    long_answer = EARN + " " + "word " * 150
    m = score([({"answerable": True, "expect_any": ["46,000"]}, out(long_answer, False, ["Assistants earn about 46,000 dollars a year."]))], SOURCES)
    assert m["answer_accuracy"] == 0.0 and m["hit@1"] == 1.0


def test_phrase_matching_folds_case_quotes_and_space() -> None:
    assert norm("  A  \u201cBachelor\u2019s\u201d\nDegree ") == 'a "bachelor\'s" degree'
    m = score([({"answerable": True, "expect_any": ["ASSISTANTS   earn"]}, out(EARN, False, ["Assistants earn about 46,000 dollars a year."], [CITE_EARN]))], SOURCES)
    assert m["answer_accuracy"] == 1.0


def test_grounded_true_for_verbatim_answers() -> None:
    assert grounded(out(EARN, False, [], [CITE_EARN]), SOURCES)
    bullets = {"n": 1, "doc": "dental", "section": "S", "lines": [3, 3], "text": "Sterilize instruments"}
    assert grounded(out("- Sterilize instruments [1]", False, [], [bullets]), SOURCES)
    assert grounded(out("Sorry, not covered.", True, []), SOURCES)


def test_grounded_false_when_a_citation_is_not_in_its_source() -> None:
    bad = dict(CITE_EARN, text="Assistants earn about 99,000 dollars a year.")
    assert not grounded(out(EARN, False, [], [bad]), SOURCES)
    wrong_doc = dict(CITE_EARN, doc="pharmacy")
    assert not grounded(out(EARN, False, [], [wrong_doc]), SOURCES)
    m = score([({"answerable": True, "expect_any": ["46,000"]}, out(EARN, False, [], [bad]))], SOURCES)
    assert m["grounded_citations"] == 0.0


def test_grounded_false_when_the_answer_adds_words() -> None:
    assert not grounded(out("Assistants earn a fortune. [1]", False, [], [CITE_EARN]), SOURCES)


class StubAdvisor:
    def __init__(self) -> None:
        self.calls: list[tuple[object, object]] = []

    def ask(self, question: object, history: object = None, career: str | None = None) -> Answer:
        self.calls.append((question, history))
        return Answer(question=str(question), kind="abstain", text="Sorry", confidence=0.0)


def test_answer_line_rejects_bad_lines_with_their_id() -> None:
    stub = StubAdvisor()
    assert answer_line(stub, Line(3, None, "line 3: not valid JSON (x)")) == {"id": "line-3", "error": "line 3: not valid JSON (x)"}
    assert answer_line(stub, Line(4, {"id": "q4", "question": 7}))["error"].startswith("line 4: 'question'")
    assert answer_line(stub, Line(5, {"id": "q5", "question": "hi", "history": "nope"}))["id"] == "q5"
    assert answer_line(stub, Line(6, {"id": 6, "question": None}))["id"] == "6"
    assert stub.calls == []
    rec = answer_line(stub, Line(7, {"id": "q7", "question": "hi", "history": None, "extra": 1}))
    assert rec["id"] == "q7" and rec["abstained"] is True and "latency_ms" in rec and "extra" not in rec
    assert stub.calls == [("hi", [])]


def test_read_jsonl(tmp_path: Path) -> None:
    p = tmp_path / "in.jsonl"
    p.write_bytes(b'{"id": "a", "question": "q"}\n\nnot json\n[1, 2]\n{"id": "b", "question": "\xff"}\n')
    lines = list(read_jsonl(p))
    assert [ln.number for ln in lines] == [1, 3, 4, 5]
    assert lines[0].record == {"id": "a", "question": "q"} and not lines[0].error
    assert lines[1].record is None and lines[1].error.startswith("line 3: not valid JSON")
    assert lines[2].error == "line 4: expected a JSON object"
    assert lines[3].record is not None and lines[3].record["id"] == "b"
    with pytest.raises(InputError, match="missing.jsonl"):
        list(read_jsonl(tmp_path / "missing.jsonl"))
    assert json.dumps([ln.record for ln in lines])
