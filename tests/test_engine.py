"""Advisor.ask end to end on the fixture corpus with the deterministic fake embedder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from core_support import assert_grounded, marked_pieces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.engine import Advisor
from advisor.models import Answer, Citation
from advisor.question import has_figure
from advisor.settings import Settings

CONTRACT = {"question", "answer", "abstained", "confidence", "citations", "passages"}
EXTRAS = {"kind", "suggestions", "notices", "resolved_question", "reason", "career", "careers", "career_title", "missing", "route", "signals", "parts"}

ANSWERABLE = [
    # (question, doc, a phrase the answer must quote)
    ("How long is the dental assistant certificate program at a community college?", "dental-assistant", "typically lasting 9 to 11 months"),
    ("What does the Pharmacy Technician Certification Board award?", "pharmacy-tech", "awards the CPhT credential after a national exam"),
    ("How much do dental assistants earn?", "dental-assistant", "46,000 dollars a year"),
    ("How much do pharmacy technicians earn per hour?", "pharmacy-tech", "about 19 dollars"),
    ("What stress level do dental assistants have?", "dental-assistant", "Stress Level: Low"),
    ("What are the daily duties of a dental assistant?", "dental-assistant", "Sterilize dental instruments and prepare trays before each procedure"),
]


@pytest.mark.parametrize(("question", "doc", "phrase"), ANSWERABLE)
def test_answers_quote_the_right_document(fake_advisor: Advisor, question: str, doc: str, phrase: str) -> None:
    a = fake_advisor.ask(question)
    assert a.kind == "answer" and not a.abstained
    assert phrase in a.text
    assert a.citations[0].doc == doc and a.careers == (doc,)
    assert 0.5 <= a.confidence <= 1.0
    assert a.suggestions == () and a.reason == ""
    assert_grounded(a, fake_advisor.index.documents)


def test_list_answer_renders_bullets_with_one_citation(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("What are the daily duties of a dental assistant?")
    lines = a.text.split("\n")
    assert len(lines) == 4 and all(line.startswith("- ") and line.endswith(" [1]") for line in lines)
    assert all(s.bullet for s in a.sentences)
    (c,) = a.citations
    assert c.section == "Daily Duties" and c.lines == (4, 7)


def test_answer_sentences_are_whole_units(fake_advisor: Advisor) -> None:
    units = {u.text for u in fake_advisor.index.units}
    for question, _, _ in ANSWERABLE:
        a = fake_advisor.ask(question)
        assert all(s.text in units for s in a.sentences)
        assert [p for p, _ in marked_pieces(a.text)] == [s.text for s in a.sentences]


def test_off_topic_question_abstains_with_suggestions(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("What is the capital of France?")
    assert a.kind == "abstain" and a.abstained
    assert a.citations == () and a.sentences == ()
    assert "mentions \u201cfrance\u201d" in a.text and a.missing == ("france",)
    assert a.reason and "france" in a.reason
    assert 2 <= len(a.suggestions) <= 3 and len(set(a.suggestions)) == len(a.suggestions)
    assert all(isinstance(s, str) and s.endswith("?") for s in a.suggestions)
    assert a.confidence < 0.5
    assert a.confidence_label == "not covered"


def test_suggestions_and_starters_are_answerable(fake_advisor: Advisor) -> None:
    asked = set(fake_advisor.starter_questions())
    asked |= set(fake_advisor.ask("What is the capital of France?").suggestions)
    asked |= set(fake_advisor.ask("hello").suggestions)
    assert len(asked) >= 4
    for q in sorted(asked):
        a = fake_advisor.ask(q)
        assert a.kind == "answer", (q, a.reason)
        assert_grounded(a, fake_advisor.index.documents)


def test_greeting_is_smalltalk(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("hello")
    assert a.kind == "smalltalk" and a.abstained
    assert "Dental Assistant" in a.text and "Pharmacy Technician" in a.text
    assert a.citations == () and a.suggestions
    assert fake_advisor.ask("thanks!").kind == "smalltalk"


@pytest.mark.parametrize(("raw", "hint"), [("", "type a question"), ("   ", "type a question"), ("!!!", "words"), ("\x00\x01", "type a question"), ("???  123", "words")])
def test_empty_or_wordless_input_is_invalid(fake_advisor: Advisor, raw: str, hint: str) -> None:
    a = fake_advisor.ask(raw)
    assert a.kind == "invalid" and a.abstained
    assert hint in a.text.lower()
    assert a.citations == () and a.passages == ()


@pytest.mark.parametrize("raw", [None, 12345, ["a", "list"], {"question": "x"}])
def test_non_string_input_never_raises(fake_advisor: Advisor, raw: object) -> None:
    a = fake_advisor.ask(raw)
    assert a.kind in {"answer", "abstain", "invalid", "smalltalk", "clarify"}


def test_script_tag_is_harmless(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("<script>alert(1)</script>")
    assert "<script" not in a.text.lower()
    assert a.kind in {"abstain", "invalid"}
    b = fake_advisor.ask("<script>alert(1)</script> How much do dental assistants earn?")
    assert a.kind != "clarify"
    assert b.kind == "answer" and "46,000 dollars" in b.text and "<script" not in b.text


def test_spanish_question_abstains(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("¿Cuánto gana un asistente dental?")
    assert a.kind == "abstain" and "English" in a.text
    assert a.citations == () and a.suggestions


def test_huge_question_is_cut_with_a_notice(fake_advisor: Advisor) -> None:
    raw = "How much do dental assistants earn? " + "blah " * 20_000
    assert len(raw) > 100_000
    a = fake_advisor.ask(raw)
    assert len(a.question) <= fake_advisor.settings.max_question_chars
    assert a.notices and "long" in a.notices[0]
    assert a.kind in {"answer", "abstain"}


def test_to_dict_is_the_batch_record(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("Where do pharmacy technicians work?")
    d = a.to_dict()
    assert set(d) == CONTRACT | EXTRAS
    assert "id" not in d
    assert d["question"] == "Where do pharmacy technicians work?"
    assert d["answer"] == a.text and d["abstained"] is False
    assert isinstance(d["confidence"], float) and 0.0 <= d["confidence"] <= 1.0
    assert d["citations"] and all(set(c) == {"n", "doc", "title", "section", "lines", "text", "url"} for c in d["citations"])
    assert all(isinstance(c["lines"], list) and len(c["lines"]) == 2 for c in d["citations"])
    assert 0 < len(d["passages"]) <= 10
    assert all(set(p) == {"doc", "section", "lines", "text", "score"} for p in d["passages"])
    scores = [p["score"] for p in d["passages"]]
    assert scores == sorted(scores, reverse=True)
    assert json.loads(json.dumps(d)) == d  # plain JSON types only


@pytest.mark.parametrize("question", ["What is the capital of France?", "hello", "", "¿Cuánto gana un asistente dental?"])
def test_to_dict_has_the_contract_keys_for_every_kind(fake_advisor: Advisor, question: str) -> None:
    d = fake_advisor.ask(question).to_dict()
    assert set(d) == CONTRACT | EXTRAS
    assert d["abstained"] is True and d["citations"] == []
    json.dumps(d)


def test_passages_are_ranked_and_verbatim(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("What is the capital of France?")
    assert len(a.passages) == 10
    scores = [p.score for p in a.passages]
    assert scores == sorted(scores, reverse=True)
    for p in a.passages:
        assert fake_advisor.index.documents[p.unit.doc_id].text[p.unit.start : p.unit.end] == p.unit.text


def test_citation_round_trips(fake_advisor: Advisor) -> None:
    for question, _, _ in ANSWERABLE:
        for c in fake_advisor.ask(question).citations:
            assert Citation.from_dict(c.to_full_dict()) == c
            short = Citation.from_dict(c.to_dict())
            assert (short.start, short.end) == (-1, -1) and short.text == c.text


def test_history_followup_changes_the_resolved_question(fake_advisor: Advisor) -> None:
    earlier = "How much do dental assistants earn?"
    alone = fake_advisor.ask("what about pharmacy technicians?")
    follow = fake_advisor.ask("what about pharmacy technicians?", history=[earlier])
    assert follow.resolved_question != alone.resolved_question
    assert earlier in follow.resolved_question and earlier not in alone.resolved_question
    # The money question carries over: the answer must quote a figure, from the pharmacy profile.
    assert follow.kind == "answer"
    assert has_figure(follow.text, "money") and "19 dollars" in follow.text
    assert follow.citations[0].doc == "pharmacy-tech"
    assert_grounded(follow, fake_advisor.index.documents)


def test_the_conversation_keeps_its_career(fake_advisor: Advisor) -> None:
    """"How much do they earn?" names no career: alone, with two careers loaded, the
    advisor asks which one; after a question about pharmacy technicians it answers
    about them."""
    alone = fake_advisor.ask("how much do they earn?")
    assert alone.kind == "clarify" and alone.abstained and set(alone.careers) == {"dental-assistant", "pharmacy-tech"}
    assert all(s.endswith("?") for s in alone.suggestions) and len(alone.suggestions) == 2
    follow = fake_advisor.ask("how much do they earn?", history=["What do pharmacy technicians do?"])
    assert follow.kind == "answer" and follow.careers == ("pharmacy-tech",)
    assert "19 dollars" in follow.text and {c.doc for c in follow.citations} == {"pharmacy-tech"}
    # a career named in the question wins over the conversation's
    other = fake_advisor.ask("how much do dental assistants earn?", history=["What do pharmacy technicians do?"])
    assert other.careers == ("dental-assistant",) and "46,000 dollars" in other.text


def test_a_clarifying_suggestion_answers(fake_advisor: Advisor) -> None:
    for s in fake_advisor.ask("how much do they earn?").suggestions:
        a = fake_advisor.ask(s)
        assert a.kind == "answer" and len(a.careers) == 1, (s, a.reason)


def test_smalltalk_in_history_is_ignored(fake_advisor: Advisor) -> None:
    q = "what about pharmacy technicians?"
    a = fake_advisor.ask(q, history=["How much do dental assistants earn?", "thanks!"])
    b = fake_advisor.ask(q, history=["How much do dental assistants earn?"])
    assert a.resolved_question == b.resolved_question and a.text == b.text


def test_a_reloaded_advisor_gives_the_same_answer(fake_advisor: Advisor) -> None:
    """Answers depend on the index and the question only: a second Advisor loaded from
    the same index (no shared cache, no shared state) gives the very same record."""
    again = Advisor.load(fake_advisor.settings)
    questions = ["Where do pharmacy technicians work?", "What is the capital of France?", "How much do dental assistants earn?"]
    assert again is not fake_advisor and not set(again.retriever._cache) & set(questions)
    for q in questions:
        assert again.ask(q).to_dict() == fake_advisor.ask(q).to_dict()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_any_text_gets_a_grounded_reply(fake_advisor: Advisor, raw: str) -> None:
    a = fake_advisor.ask(raw)
    assert isinstance(a, Answer)
    assert a.kind in {"answer", "abstain", "invalid", "smalltalk", "clarify"}
    if a.kind == "answer":
        assert_grounded(a, fake_advisor.index.documents)
    else:
        assert a.citations == ()


def _clerk_corpus(tmp_path: Path, intro: str = "") -> Advisor:
    """A profile whose one list has ten long bullets (about 20 words each)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    duties = "\n".join(
        f"- Daily duty number {n} means checking every patient chart, confirming every appointment time, "
        f"cleaning every treatment room and restocking every supply cabinet before the {n} shift begins"
        for n in ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
    )
    (corpus / "clinic-clerk.txt").write_text(
        "Clinic Clerk Overview\nClinic clerks keep a small clinic running. They greet patients and answer phones. They file records.\n"
        f"Daily Duties\n{intro + chr(10) if intro else ''}{duties}\nPay\nClerks earn modest wages. Hours are regular.\n",
        "utf-8",
    )
    return Advisor.load(Settings(corpus_dir=corpus, data_dir=tmp_path / "data", model="fake"))


def test_long_list_answer_stays_within_max_words(tmp_path: Path) -> None:
    advisor = _clerk_corpus(tmp_path)
    a = advisor.ask("What are the daily duties of a clinic clerk?")
    assert a.kind == "answer" and sum(s.bullet for s in a.sentences) >= 3
    assert len(a.text.split()) <= advisor.policy.max_words
    assert_grounded(a, advisor.index.documents)


def test_list_with_long_introduction_stays_within_max_words(tmp_path: Path) -> None:
    intro = (
        "The daily duties of a clinic clerk cover a long and varied list of front desk, records, billing, supply and cleaning "
        "tasks that keep the small clinic running smoothly from the moment the doors open in the morning until the last "
        "patient leaves in the evening, and every clerk is expected to handle each of the daily duties below without "
        "needing to be reminded by the office manager."
    )
    advisor = _clerk_corpus(tmp_path, intro)
    a = advisor.ask("What are the daily duties of a clinic clerk?")
    assert a.kind == "answer"
    assert len(a.text.split()) <= advisor.policy.max_words


def test_an_overview_starts_with_a_fact_whose_value_is_a_sentence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A report's "What they do: …" says what the career is, though it is a fact and not a
    paragraph; a later paragraph does not come first, nor does a bare fact ("Green: false")."""
    from advisor.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "art-therapists.txt").write_text(
        "Code: 29-1129.01\nCareer:\n  Code: 29-1129.01\n  Title: Art Therapists\n  Tags:\n    Green: false\n"
        "  What they do: Plan or conduct art therapy sessions or programs to improve clients' well-being.\n"
        "  On the job:\n    - Observe and document client reactions.\nPersonality:\n  Top interest:\n    Title: Social\n"
        "    Description: People interested in this work like activities that include helping people, teaching, and talking.\n", "utf-8")
    (corpus / "bakers.txt").write_text("Bakers\nWhat They Do\nBakers mix ingredients according to recipes to make breads and pastries.\n", "utf-8")
    adv = Advisor.load(Settings(corpus_dir=corpus, data_dir=tmp_path / "data", model="fake"))
    a = adv.ask("what do art therapists do?")
    assert a.kind == "answer" and a.text.startswith("What they do: Plan or conduct art therapy"), a.text


def test_a_real_word_slip_is_read_as_the_word_meant_only_where_its_context_says_so(fake_advisor: Advisor, monkeypatch: pytest.MonkeyPatch) -> None:
    """"collage" to a profile that uses neither "collage" nor "college": read as "college"
    when the question reads nearer to the career's passages that way (`_nearer`), and left as
    typed when it does not (it may be the thing asked about)."""
    a, _ = fake_advisor.understand("do you need collage to be a pharmacy technician?")
    assert "collage" in a.corrected
    monkeypatch.setattr(fake_advisor, "_nearer", lambda text, word, fix, profiles: True)
    fixed = fake_advisor._in_profile(a, ["pharmacy-tech"])
    assert "college" in fixed.corrected.split() and fixed.corrections.get("collage") == "college"
    monkeypatch.setattr(fake_advisor, "_nearer", lambda text, word, fix, profiles: False)
    assert "collage" in fake_advisor._in_profile(a, ["pharmacy-tech"]).corrected.split()


def test_the_context_check_compares_the_question_read_both_ways_against_the_careers_passages(fake_advisor: Advisor,
                                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    r = fake_advisor.retriever
    rows = r.doc_rows["pharmacy-tech"]
    near, far = r.unit_vecs[rows[0]], np.zeros_like(r.unit_vecs[rows[0]])
    monkeypatch.setattr(r, "embed", lambda text: near if "college" in text else far)
    assert fake_advisor._nearer("do you need collage?", "collage", "college", ["pharmacy-tech"])
    monkeypatch.setattr(r, "embed", lambda text: far if "college" in text else near)
    assert not fake_advisor._nearer("do you need collage?", "collage", "college", ["pharmacy-tech"])


def test_the_students_name_for_the_career_is_read_as_its_title_within_it() -> None:
    """Units are embedded after their career's title, so the search within a career reads
    the student's words for it as that title: the name favours no unit that repeats it."""
    from advisor.retrieval import as_titled

    own = {"instructor", "vocat"}
    assert as_titled("how much do vocational instructors make?", own, "Vocational Teachers") == "how much do Vocational Teachers make?"
    # only the first run of them; the title's own words leave the question as it is
    assert as_titled("are instructors paid? do instructors travel?", own, "Vocational Teachers") == "are Vocational Teachers paid? do travel?"
    assert as_titled("how much do vocational teachers make?", {"vocat", "teacher"}, "Vocational Teachers") == "how much do vocational teachers make?"
    assert as_titled("what do the instructors do?", set(), "Vocational Teachers") == "what do the instructors do?"


def test_the_description_of_a_career_is_not_what_is_asked_of_it(fake_advisor: Advisor) -> None:
    """The words describing the career ("the job where you cauterize the vessels, …") chose it;
    they are no topic its profile lacks: only what is asked after them is searched."""
    a = fake_advisor.ask("the job where you cauterize the vessels all day, how long is the training?", career="dental-assistant")
    assert "cauterize" not in a.missing and "cauterize" not in a.text
    plain = fake_advisor.ask("do you cauterize the vessels all day?", career="dental-assistant")
    assert plain.abstained and "cauterize" in plain.missing  # asked about, it is a word the profile lacks
