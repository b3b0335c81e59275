"""advisor.evaluation: batch lines and metrics on hand-made records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.errors import InputError
from advisor.evaluation import (
    ANSWERED_UNANSWERABLE,
    ERROR,
    FALSE_REFUSAL,
    MISSED,
    OVER_CAP,
    WORD_CAP,
    WRONG_PASSAGE,
    Line,
    Verdict,
    answer_line,
    answer_stats,
    eval_record,
    format_stats,
    format_table,
    grounded,
    judge,
    line_type,
    norm,
    read_jsonl,
    score,
)
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
    p.write_bytes(b'{"id": "a", "question": "q"}\n\nnot json\n[1, 2]\n{"id": "b", "question": "\xff"}\n{"id": "c", "question": "tab\there"}\n')
    lines = list(read_jsonl(p))
    assert [ln.number for ln in lines] == [1, 3, 4, 5, 6]
    assert lines[0].record == {"id": "a", "question": "q"} and not lines[0].error
    assert lines[1].record is None and lines[1].error == f"{p} line 3, column 1: not valid JSON: Expecting value"
    assert lines[2].error == f"{p} line 4: expected a JSON object {{...}}, got an array"
    assert lines[3].record is not None and lines[3].record["id"] == "b"
    # the decoder's whole reason, not "Invalid control character at"
    assert lines[4].error.startswith(f"{p} line 6, column 29: not valid JSON: Invalid control character U+0009 '\\t' inside a string")
    with pytest.raises(InputError, match="missing.jsonl"):
        list(read_jsonl(tmp_path / "missing.jsonl"))
    assert json.dumps([ln.record for ln in lines])


def test_a_line_without_a_question_says_so() -> None:
    rec = answer_line(StubAdvisor(), Line(9, {"id": "q9", "text": "hi"}, source="eval/x.jsonl"))
    assert rec == {"id": "q9", "error": "eval/x.jsonl line 9: no 'question' key (each line needs {\"question\": \"...\"})"}


# -- verdicts ---------------------------------------------------------------------------

ANSWERABLE = {"answerable": True, "expect_any": ["46,000 dollars"], "type": "direct"}
RIGHT = "Assistants earn about 46,000 dollars a year."


@pytest.mark.parametrize(
    ("gold", "record", "verdict"),
    [
        (ANSWERABLE, out(EARN, False, ["x", RIGHT]), Verdict(True, None, 2)),
        (ANSWERABLE, {"id": "e", "error": "line 1: no 'question' key"}, Verdict(False, ERROR, None)),
        (ANSWERABLE, out("Sorry", True, [RIGHT]), Verdict(False, FALSE_REFUSAL, 1)),
        (ANSWERABLE, out("Technicians count tablets. [1]", False, ["a", "b"]), Verdict(False, WRONG_PASSAGE, None)),
        (ANSWERABLE, out("Technicians count tablets. [1]", False, ["a", "b", "c", RIGHT]), Verdict(False, MISSED, 4)),
        (ANSWERABLE, out(EARN + " more" * WORD_CAP, False, [RIGHT]), Verdict(False, OVER_CAP, 1)),
        ({"answerable": False, "type": "off_topic"}, out("Sorry", True, [RIGHT]), Verdict(True)),
        ({"answerable": False, "type": "off_topic"}, out(EARN, False, [RIGHT]), Verdict(False, ANSWERED_UNANSWERABLE)),
        ({"type": "direct"}, out(EARN, False, [RIGHT]), Verdict(None)),
        ({}, {"id": "e", "error": "bad JSON"}, Verdict(None, ERROR)),
    ],
    ids=["pass", "error", "false-refusal", "wrong-passage", "missed", "over-cap", "refused-unanswerable", "answered-unanswerable", "no-gold", "no-gold-error"],
)
def test_judge_names_why_a_line_failed(gold: dict, record: dict, verdict: Verdict) -> None:
    assert judge(gold, record) == verdict


def test_rank_looks_at_the_top_ten_passages_only() -> None:
    passages = [f"filler {i}" for i in range(10)] + [RIGHT]
    assert judge(ANSWERABLE, out("Sorry", True, passages)).rank is None
    assert judge(ANSWERABLE, out("Sorry", True, passages[1:])).rank == 10


def test_eval_record_carries_gold_pass_why_and_rank() -> None:
    line = {"id": "g1", "question": "How much?", "history": ["Tell me about dental assistants"], "answerable": True,
            "expect_any": ["46,000 dollars"], "type": "direct", "about": "dental", "note": "kept"}
    rec = eval_record(line, {"id": "g1", **out("Sorry", True, ["a", RIGHT])})
    assert rec["gold"] == {"answerable": True, "expect_any": ["46,000 dollars"], "type": "direct", "about": "dental", "note": "kept"}
    assert (rec["pass"], rec["why"], rec["rank"]) == (False, FALSE_REFUSAL, 2)
    assert rec["history"] == ["Tell me about dental assistants"]
    err = eval_record(line, {"id": "g1", "error": "x.jsonl line 1: boom"})
    assert err["question"] == "How much?" and err["pass"] is False and err["why"] == ERROR
    assert json.loads(json.dumps(rec)) == rec


_answers = st.sampled_from([EARN, "Technicians count tablets. [1]", EARN + " word" * 150, "Sorry"])
_passages = st.lists(st.sampled_from([RIGHT, "Technicians count tablets.", "Most work in dental offices.", "noise"]), max_size=12)
_gold = st.one_of(
    st.fixed_dictionaries({"answerable": st.just(True), "expect_any": st.sampled_from([["46,000 dollars"], ["count tablets"], ["dental offices", "46,000"]]),
                           "type": st.sampled_from(["direct", "typo", "followup"])}),
    st.fixed_dictionaries({"answerable": st.just(False), "type": st.sampled_from(["off_topic", "near_domain", "followup"])}),
    st.just({"type": "direct"}),
)


@st.composite
def _pair(draw: st.DrawFn) -> tuple[dict, dict]:
    gold = draw(_gold)
    if draw(st.integers(0, 9)) == 0:
        return gold, {"id": "e", "error": "line 1: boom"}
    answer = draw(_answers)
    return gold, out(answer, answer == "Sorry", draw(_passages))


@settings(max_examples=60)
@given(st.lists(_pair(), min_size=1, max_size=30))
def test_pass_and_why_agree_with_the_summary(pairs: list[tuple[dict, dict]]) -> None:
    """The summary is the mean of the per-line verdicts, whatever the lines."""
    m = score(pairs, SOURCES)
    verdicts = [(g, judge(g, o)) for g, o in pairs]
    answerable = [v for g, v in verdicts if g.get("answerable") is True]
    unanswerable = [(g, v) for g, v in verdicts if g.get("answerable") is False]

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / len(xs), 4) if xs else None

    assert m["answer_accuracy"] == mean([float(bool(v.passed)) for v in answerable])
    assert m["false_abstention"] == mean([float(v.why == FALSE_REFUSAL) for v in answerable])
    assert m["hit@3"] == mean([float(v.rank is not None and v.rank <= 3) for v in answerable])
    assert m["abstention"].get("all") == mean([float(bool(v.passed)) for _, v in unanswerable])
    for t, rate in m["by_type"].items():
        assert rate == mean([float(bool(v.passed)) for g, v in verdicts if v.passed is not None and line_type(g) == t])
    assert all(v.passed is None for g, v in verdicts if "answerable" not in g)
    assert all((v.why is None) == (v.passed is not False) for g, v in verdicts if "answerable" in g)


def test_answer_statistics_need_no_gold() -> None:
    records = [out(EARN, False, [], latency=10.0), out("Sorry", True, [], latency=30.0), {"id": "e", "error": "boom"}]
    records[1]["kind"] = "abstain"
    records[0]["kind"] = "answer"
    st_ = answer_stats(records)
    assert st_["lines"] == 3 and st_["errors"] == 1 and st_["abstained"] == 0.5
    assert st_["kinds"] == {"abstain": 0.5, "answer": 0.5}
    assert st_["answer_words"]["p50"] == 8.0 and st_["latency_ms"] == {"p50": 20.0, "p95": 29.0}
    assert "None" not in format_stats(st_) and "None" not in format_stats(answer_stats([]))


def test_the_table_says_n_a_rather_than_none() -> None:
    m = score([({"answerable": False, "type": "off_topic"}, out("Sorry", True, []))], SOURCES)
    table = format_table(m)
    assert "None" not in table and re.search(r"^answer accuracy +n/a$", table, re.M)
