"""advisor.routing and advisor.fields: which career answers, from the evidence (model-free:
the fixture corpus with the fake embedder, and hand-made evidence)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from advisor import Advisor
from advisor.calibration import Logistic
from advisor.fields import FieldIndex
from advisor.routing import ROUTE_FEATURES, choice_probabilities


@contextmanager
def route_threshold(advisor: Advisor, threshold: float) -> Iterator[None]:
    """The routing model's "stands out" probability set to `threshold` for a while."""
    router = advisor.router
    keep = router.model
    router.model = replace(keep, threshold=threshold)
    router._conversations.clear()
    try:
        yield
    finally:
        router.model = keep
        router._conversations.clear()


def test_field_words_name_a_career_without_its_title(fake_advisor: Advisor) -> None:
    """"radiography permit" is in one profile only: it names that career, though the
    question says neither "dental" nor "assistant"."""
    a = fake_advisor.ask("how long does a radiography permit take?")
    assert a.route == "evidence" and a.careers == ("dental-assistant",)
    sure = a.signals["route_conf"]
    # with the field evidence gone, the question names nothing: the career is less sure,
    # and where nothing stands out (threshold 1) no career is chosen for it
    blank = FieldIndex({c: [] for c in fake_advisor.careers.careers})
    router = fake_advisor.router
    keep = router.fields, router.ledes
    router.fields = router.ledes = blank
    try:
        b = fake_advisor.ask("how long does a radiography permit take?")
        assert b.route in ("clarify", "none") or b.signals["route_conf"] < sure - 0.02
        with route_threshold(fake_advisor, 1.0):
            assert fake_advisor.ask("how long does a radiography permit take?").route in ("clarify", "none")
    finally:
        router.fields, router.ledes = keep


def test_a_question_that_names_nothing_asks_which_career_with_real_questions(fake_advisor: Advisor) -> None:
    """No word names a field and no career's evidence stands out: which career is meant."""
    with route_threshold(fake_advisor, 1.0):
        a = fake_advisor.ask("how much do they earn?")
    assert a.kind == "clarify" and a.route == "clarify"
    assert set(a.careers) == {"dental-assistant", "pharmacy-tech"}
    assert "Dental Assistant" in a.text and "Pharmacy Technician" in a.text and "dental-assistant" not in a.text
    # each suggestion is one of the career's own section questions, not the question with a title before it
    own = {sq.question for sq in fake_advisor._sections}
    assert a.suggestions and set(a.suggestions) <= own
    assert {fake_advisor._section_of[s.lower().rstrip("?")].doc_id for s in a.suggestions} == {"dental-assistant", "pharmacy-tech"}


def test_a_question_that_names_nothing_is_answered_where_one_careers_evidence_stands_out(fake_advisor: Advisor) -> None:
    """"what skills do you need to work behind a bar?": words no title or field uses that
    describe the work. Where one career's passages answer far better than any other's, that
    career answers; where none stands out, which career is meant. A question about a topic
    every profile covers ("how much do they earn?") asks which career either way."""
    router = fake_advisor.router
    keep = router.fields, router.ledes
    router.fields = router.ledes = FieldIndex({c: [] for c in fake_advisor.careers.careers})  # no word names a field
    try:
        with route_threshold(fake_advisor, 0.0):
            a = fake_advisor.ask("do you count tablets and label bottles all day?")
            assert a.route == "evidence" and a.careers == ("pharmacy-tech",)
            assert fake_advisor.ask("how much do they earn?").route == "clarify"
        with route_threshold(fake_advisor, 1.0):
            assert fake_advisor.ask("do you count tablets and label bottles all day?").route == "clarify"
    finally:
        router.fields, router.ledes = keep


def test_a_clipped_title_word_names_the_career(fake_advisor: Advisor) -> None:
    """"pharma" is no word of any profile, but it starts a word of a title ("Pharmacy
    Technician"): the question names a field, though nothing stands out."""
    analysis, earlier = fake_advisor.understand("what do pharma people do all day")
    assert fake_advisor.router._in_title(analysis, "pharmacy-tech")
    assert not fake_advisor.router._in_title(analysis, "dental-assistant")
    plain, _ = fake_advisor.understand("what do they do all day")
    assert not fake_advisor.router._in_title(plain, "pharmacy-tech")


def test_a_follow_up_keeps_the_conversations_career(fake_advisor: Advisor) -> None:
    a = fake_advisor.ask("how long is the training?", history=["What do pharmacy technicians do?"])
    assert a.route == "history" and a.careers == ("pharmacy-tech",)
    assert "one year" in a.text
    # the conversation's career is that of the latest turn that had one
    b = fake_advisor.ask("how long is the training?", history=["What do pharmacy technicians do?", "and the pay?", "What do dental assistants do?"])
    assert b.careers == ("dental-assistant",)


def test_the_conversation_is_routed_as_it_was_answered(fake_advisor: Advisor) -> None:
    """An earlier turn that named its career by its field words sets the conversation too."""
    assert fake_advisor.router.conversation(["is the CPhT exam hard?"]) == "pharmacy-tech"
    assert fake_advisor.router.conversation([]) is None


def test_a_career_named_in_a_follow_up_wins_unless_the_conversations_profile_speaks_of_it(fake_advisor: Advisor) -> None:
    history = ["What do pharmacy technicians do?"]
    other = fake_advisor.ask("how much do dental assistants earn?", history=history)
    assert other.careers == ("dental-assistant",)
    # "dental hygienists" is a step the dental assistants' profile itself speaks of
    stays = fake_advisor.ask("can they become dental hygienists from that?", history=["What do dental assistants do?"])
    assert stays.route == "history" and stays.careers == ("dental-assistant",)


def test_choice_probabilities_are_a_softmax() -> None:
    p = choice_probabilities({"a": 2.0, "b": 0.0, "c": 0.0})
    assert math.isclose(sum(p.values()), 1.0)
    assert p["a"] > p["b"] == p["c"]
    assert math.isclose(p["a"], math.exp(2) / (math.exp(2) + 2))


def test_the_router_uses_its_fitted_model(fake_advisor: Advisor) -> None:
    """Evidence weighed by the model: a model that weighs only the conversation sends a
    question to the conversation's career however the passages score."""
    router = fake_advisor.router
    keep = router.model
    only_history = Logistic(ROUTE_FEATURES, tuple(10.0 if f == "history" else 0.0 for f in ROUTE_FEATURES), 0.0,
                            (0.0,) * len(ROUTE_FEATURES), (1.0,) * len(ROUTE_FEATURES), 0.5)
    try:
        router.model = only_history
        a, earlier = fake_advisor.understand("is the CPhT exam hard?", ["What do dental assistants do?"])
        route = router.by_evidence(a, "dental-assistant")
        assert route.careers == ("dental-assistant",) and route.how == "history"
        assert route.evidence["dental-assistant"]["p"] > 0.99
    finally:
        router.model = keep


@pytest.mark.parametrize(("few_in", "expected"), [(["dental"], {"a"}), (["work"], set())])
def test_field_index_counts_only_words_few_profiles_use(few_in: list[str], expected: set[str]) -> None:
    texts = {c: ["People work here."] for c in "bcdefghijklmnopqrstuvwxyz"}
    texts["a"] = ["Dental hygiene programs. People work here."]
    fields = FieldIndex(texts)
    assert set(fields.scores(few_in)) == expected
    assert fields.holds("dental hygiene") and not fields.holds("hygiene dental")


def test_split_evidence_answers_from_the_likeliest_career_and_offers_the_others(fake_advisor: Advisor) -> None:
    """No career stands out (every probability is below the router's threshold): the
    likeliest one answers, the answer says which, and the others are offered by title
    with questions their own profiles answer; nobody is asked "which career?"."""
    import dataclasses

    router = fake_advisor.router
    keep = router.model
    router.model = dataclasses.replace(keep, threshold=1.01)
    try:
        a = fake_advisor.ask("what training does a radiography permit need?")
    finally:
        router.model = keep
    assert a.kind != "clarify" and a.route == "evidence" and a.careers == ("dental-assistant",)
    assert any("Answered from the Dental Assistant profile" in n and "Pharmacy Technician" in n for n in a.notices)
    own = {sq.question: sq.doc_id for sq in fake_advisor._sections}
    assert a.suggestions and {own[q] for q in a.suggestions} == {"pharmacy-tech"}


def test_a_figure_word_in_a_careers_title_asks_for_no_figure(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """"What degree do cost estimators need?" names the career Cost Estimators; "cost" asks for no sum."""
    from advisor.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cost-estimators.txt").write_text(
        "Cost Estimators\nHow to Become One\nA bachelor's degree in construction management or engineering is generally required to become a cost estimator.\n"
        "Pay\nThe median annual wage for cost estimators was 64,040 dollars in May 2018.\n", "utf-8")
    (corpus / "bakers.txt").write_text("Bakers\nHow to Become One\nBakers learn their skills on the job in a bakery.\n", "utf-8")
    adv = Advisor.load(Settings(corpus_dir=corpus, data_dir=tmp_path / "data", model="fake"))
    a = adv.ask("what degree do cost estimators need?")
    assert a.careers == ("cost-estimators",)
    assert a.signals["figure_asked"] == 0.0 and a.signals["figure_missing"] == 0.0  # no sum asked for, so none missing
    assert adv.ask("how much do cost estimators make?").signals["figure_asked"] == 1.0  # a sum asked for is still one


def test_the_earlier_question_is_read_with_its_spelling_repaired(fake_advisor: Advisor) -> None:
    a, _ = fake_advisor.understand("how long does it take?", ["wat do ppl need to become pharmacy techs"])
    assert "people" in a.previous and "ppl" not in a.previous


def test_career_talk_is_the_vocabularys_terms_not_the_everyday_words_inside_them() -> None:
    """A question using only "good" (of "a good fit") or "know" (of "need to know") is no
    career talk: "what's a good recipe?" is not about bakers. The terms of their own, and the
    rare words of longer ones, are."""
    from advisor.routing import default_career_words
    from advisor.vocabulary.synonyms import Synonyms, parse_synonyms

    rules = parse_synonyms("pay, salary\ngood fit, cut out for => qualities\nneed to know => knowledge\ndo an apprenticeship, apprentice\n", "test")
    words = default_career_words(Synonyms(rules))
    assert {"pay", "salary", "qualities", "knowledge", "fit", "apprenticeship", "job"} <= words
    assert not {"good", "know", "do", "an"} & words
