"""Questions across careers (career exploration): recognised by their shape, answered with a
short labelled list of careers, each with one quoted, cited sentence (fake embedder)."""

from __future__ import annotations

import pytest

from advisor import Advisor
from advisor.evaluation import WORD_CAP, words
from advisor.explore import asks_across_careers


@pytest.mark.parametrize(
    "question",
    ["which careers need a certificate?", "what jobs can I do if I like working with animals?", "healthcare jobs that don't need a degree",
     "what can i do if im good at math", "what kinds of teaching jobs are there", "what career should i pick if i like kids"],
)
def test_questions_across_careers_are_recognised(question: str) -> None:
    assert asks_across_careers(question)


@pytest.mark.parametrize(
    "question",
    ["what do dental assistants do?", "what jobs do dental assistants do?", "can u get a job in archology with just a bachelors",
     "what is summer field camp", "do you have to be good at math to work the register", "what skills do you need for fabrication work"],
)
def test_questions_about_one_career_are_not(question: str) -> None:
    assert not asks_across_careers(question)


def test_a_question_across_careers_gets_a_labelled_cited_list(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("which jobs have evening and weekend shifts?")
    assert a.kind == "answer" and a.route == "explore" and set(a.careers) == {"dental-assistant", "pharmacy-tech"}
    lines = a.text.split("\n")
    titles = {fake_advisor.careers.title(c) for c in a.careers}
    assert [line[:-1] for line in lines if line.endswith(":")] == list(a.career_titles) and set(a.career_titles) == titles  # every part labelled
    assert len(a.citations) == len(a.careers) and {c.doc for c in a.citations} == set(a.careers)
    for c in a.citations:  # one quoted sentence each, verbatim in its own profile
        assert c.text in fake_advisor.index.documents[c.doc].text
    assert words(a.text) <= WORD_CAP
    assert a.suggestions == tuple(f"Tell me more about {t}s" if not t.endswith("s") else f"Tell me more about {t}" for t in a.career_titles)
    parts = a.to_dict()["parts"]
    assert [p["career"] for p in parts] == list(a.careers) and all(p["citations"] for p in parts)


def test_the_offered_follow_up_answers_about_that_career(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("which jobs have evening and weekend shifts?")
    for suggestion, career in zip(a.suggestions, a.careers, strict=True):
        more = fake_advisor.ask(suggestion)
        assert more.kind == "answer" and more.careers == (career,)


def test_a_career_named_in_full_is_not_exploration(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("which jobs do pharmacy technicians move into?")
    assert a.route != "explore" and a.careers == ("pharmacy-tech",)


def test_what_kinds_of_a_worker_there_are_lists_the_careers_that_noun_names(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """"What kinds of engineers are there?": the careers whose titles that head noun names,
    each labelled; "what kind of degree do engineers need?" asks about a degree, not kinds."""
    from advisor.explore import asks_kinds_of
    from advisor.settings import Settings

    assert asks_kinds_of("what kinds of engineers are there?", frozenset({"engineer"}))
    assert asks_kinds_of("what different types of civil engineers are there", frozenset({"engineer"}))
    assert not asks_kinds_of("what kind of degree do engineers need?", frozenset({"engineer"}))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, title, text in (("civil-engineers", "Civil Engineers", "Civil engineers design roads and bridges."),
                              ("mechanical-engineers", "Mechanical Engineers", "Mechanical engineers design engines and machines."),
                              ("bakers", "Bakers", "Bakers bake bread in bakeries.")):
        (corpus / f"{name}.txt").write_text(f"{title}\nWhat They Do\n{text}\n", "utf-8")
    adv = Advisor.load(Settings(corpus_dir=corpus, data_dir=tmp_path / "data", model="fake"))
    a = adv.ask("what kinds of engineers are there?")
    assert a.route == "explore" and set(a.careers) == {"civil-engineers", "mechanical-engineers"}
    assert "Civil Engineers" in a.text and "Mechanical Engineers" in a.text



@pytest.mark.parametrize("question", ["which jobs do you need a state license for?", "what jobs do u get with a biology degree"])
def test_which_jobs_the_student_can_do_asks_across_careers(question: str) -> None:
    """The student is the subject: not the duties of one career ("what jobs do dental assistants do?")."""
    assert asks_across_careers(question)
    assert not asks_across_careers("what jobs do dental assistants do?")
