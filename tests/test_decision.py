"""advisor.decision and advisor.calibration: one fitted answer-or-refuse decision over the
signals, its probability as the confidence, the refusal's reason in plain words
(model-free: hand-made candidates and models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor import Advisor
from advisor.answer import Candidate
from advisor.calibration import Logistic, load
from advisor.decision import FEATURES, Refusal, decide, route_signals
from advisor.errors import VocabularyError
from advisor.models import Unit

UNIT = Unit("u1", "c1", "actor", "sentence", ("Pay",), 3, 0, 10, "Actors earn little.", 0)


def model(**weights: float) -> Logistic:
    n = len(FEATURES)
    return Logistic(FEATURES, tuple(weights.get(f, 0.0) for f in FEATURES), weights.get("bias", 0.0), (0.0,) * n, (1.0,) * n, 0.5)


def test_the_probability_is_the_confidence_and_the_threshold_decides() -> None:
    m = model(total=10.0, bias=-5.0)  # p = 0.5 at total 0.5
    good = decide(Candidate((UNIT,), {"total": 0.9}), {}, m)
    weak = decide(Candidate((UNIT,), {"total": 0.3}), {}, m)
    assert good.refusal is None and good.units == (UNIT,) and 0.97 < good.confidence <= 1.0
    assert weak.refusal is Refusal.NOT_COVERED and weak.confidence < 0.5
    assert "0.12" in weak.reason or "confidence" in weak.reason
    # collecting rows for fitting: every candidate answers, with its probability
    assert decide(Candidate((UNIT,), {"total": 0.3}), {}, m, answer_all=True).refusal is None


def test_no_signal_refuses_on_its_own() -> None:
    """A missing word weighs against the answer; strong evidence elsewhere outweighs it."""
    m = model(total=10.0, n_key=-2.0, bias=-5.0)
    assert decide(Candidate((UNIT,), {"total": 0.9, "n_key": 1.0}, ("texas",)), {}, m).refusal is None
    refused = decide(Candidate((UNIT,), {"total": 0.6, "n_key": 1.0}, ("texas",)), {}, m)
    assert refused.refusal is Refusal.MISSING and refused.missing == ("texas",)


@pytest.mark.parametrize(
    ("signals", "refusal", "words"),
    [
        ({"n_key": 1.0}, Refusal.MISSING, "doesn't mention \u201ctexas\u201d"),
        ({"figure_missing": 1.0}, Refusal.NO_FIGURE, "doesn't give that figure"),
        ({"names_missing": 1.0}, Refusal.NO_NAMES, "doesn't name any"),
        ({}, Refusal.NOT_COVERED, "doesn't cover that"),
    ],
)
def test_a_refusal_says_its_most_telling_reason(signals: dict[str, float], refusal: Refusal, words: str) -> None:
    missing = ("texas",) if signals.get("n_key") else ()
    d = decide(Candidate((UNIT,), {"total": 0.0, **signals}, missing), {}, model(bias=-3.0))
    assert d.refusal is refusal
    assert words in d.refusal.reply("The Actors profile", d.missing)


def test_route_signals_say_how_sure_the_career_is() -> None:
    assert route_signals("named", 0.2)["route_conf"] == 1.0  # a career named in full is certain
    assert route_signals("evidence", 0.4) == {"route_conf": 0.4, "route_named": 0.0, "route_history": 0.0, "route_evidence": 1.0}


def test_a_model_round_trips_and_a_damaged_one_is_a_clear_error(tmp_path: Path) -> None:
    m = model(total=3.0, bias=-1.0)
    m.save(tmp_path / "decision.json")
    assert load("decision", tmp_path) == m
    (tmp_path / "broken.json").write_text("{not json", "utf-8")
    with pytest.raises(VocabularyError, match="broken.json.*python eval/fit.py"):
        load("broken", tmp_path)


def test_the_shipped_models_name_their_features() -> None:
    from advisor.routing import ROUTE_FEATURES

    route, decision = load("route"), load("decision")
    # the decision weighs the candidate's signals (a few may be left out by the fit: a
    # weight of the wrong sign), never a name no candidate carries
    assert route.features == ROUTE_FEATURES and set(decision.features) <= set(FEATURES) and len(decision.features) >= len(FEATURES) - 5
    assert 0.0 < decision.threshold < 1.0 and 0.0 <= route.threshold < 1.0
    assert json.loads(json.dumps(decision.to_dict()))["fitted_on"]["rows"] > 100  # fitted on data, not set by hand


def test_a_word_the_profiles_spell_as_a_name_is_a_name_however_the_student_types_it(fake_advisor: Advisor, monkeypatch: pytest.MonkeyPatch) -> None:
    """"… in london": too common a word to count as missing on its own, but the profiles
    only ever write it London (`Retriever.proper`): a name the career's profile lacks."""
    from advisor.answer import find_gaps

    r = fake_advisor.retriever
    a, _ = fake_advisor.understand("do pharmacy technicians earn more in london")
    drop = fake_advisor._drop(a, ["pharmacy-tech"])
    monkeypatch.setattr(r, "proper", set())
    monkeypatch.setattr(r, "cities", set())  # nor a big city after "in" (`advisor.text.city_names`)
    assert find_gaps(a, r, ["pharmacy-tech"], fake_advisor.policy, drop, fake_advisor.synonyms).names == ()
    monkeypatch.setattr(r, "proper", {"london"})
    gaps = find_gaps(a, r, ["pharmacy-tech"], fake_advisor.policy, drop, fake_advisor.synonyms)
    assert gaps.names == ("london",) and "london" in gaps.key


def test_the_names_of_the_profiles_are_the_words_they_capitalise_mid_sentence() -> None:
    from advisor.text import proper_words

    texts = ["Teachers in London earn more.", "Pay is higher in London and its fringe.", "Most work in Texas.",
             "Nurses care for patients.", "Some Nurses work nights.", "nurses in clinics work days."]
    names = proper_words(texts)
    assert "london" in names  # twice, always capitalised
    assert "texas" not in names  # once is not enough to tell
    assert "nurses" not in names and "teachers" not in names  # a sentence's first word, or mostly lower case


def test_a_place_the_student_types_in_lower_case_is_a_name_the_profile_lacks(fake_advisor: Advisor) -> None:
    """"… in scotland": the profiles never write "scotland" at all, but it is a place of the
    world (`advisor.text.place_names`): a name, so a key word the profile lacks."""
    from advisor.answer import find_gaps

    r = fake_advisor.retriever
    assert "scotland" in r.proper and "central" not in r.proper
    a, _ = fake_advisor.understand("do pharmacy technicians earn more in scotland")
    gaps = find_gaps(a, r, ["pharmacy-tech"], fake_advisor.policy, fake_advisor._drop(a, ["pharmacy-tech"]), fake_advisor.synonyms)
    assert gaps.names == ("scotland",)


def test_a_question_chosen_by_evidence_alone_that_uses_no_career_talk_is_a_signal(fake_advisor: Advisor) -> None:
    """"What's a good recipe for pancakes?" may match a bakers' sentence, but asks nothing a
    career profile is about (no pay, training, job, work…): `route_untalked`, which only the
    evidence route can carry (a career named is talk about a career)."""
    from advisor.routing import Route

    evidence = Route(("pharmacy-tech",), "evidence", 0.9)
    for question, untalked in (("how do you count tablets and label bottles", 1.0), ("how much do you earn counting tablets", 0.0)):
        a, _ = fake_advisor.understand(question)
        d, _ = fake_advisor._decide(a, "pharmacy-tech", ["pharmacy-tech"], evidence)
        assert d.signals["route_untalked"] == untalked, question
    a, _ = fake_advisor.understand("how do you count tablets and label bottles")
    named, _ = fake_advisor._decide(a, "pharmacy-tech", ["pharmacy-tech"], Route(("pharmacy-tech",), "named"))
    assert named.signals["route_untalked"] == 0.0



def test_a_big_city_after_in_is_a_name_the_profile_lacks(fake_advisor: Advisor) -> None:
    from advisor.answer import find_gaps

    r = fake_advisor.retriever
    assert "houston" in r.cities
    for question, names in (("do pharmacy technicians earn more in houston", ("houston",)), ("do pharmacy technicians like houston", ())):
        a, _ = fake_advisor.understand(question)
        gaps = find_gaps(a, r, ["pharmacy-tech"], fake_advisor.policy, fake_advisor._drop(a, ["pharmacy-tech"]), fake_advisor.synonyms)
        assert gaps.names == names, question


def test_the_students_name_for_a_career_the_evidence_chose_is_no_missing_topic(fake_advisor: Advisor) -> None:
    """"How do you become a lineman?": the profile the evidence chose never says "lineman",
    but that is the student's name for the career, not a topic the profile lacks. Where the
    career was named otherwise, the same word is a word the profile lacks."""
    from advisor.engine import _career_slot
    from advisor.routing import Route

    assert _career_slot("how do you become a lineman") == {"lineman"}
    assert _career_slot("what degree do you need to be a plant manager?") == {"plant", "manager"}
    a, _ = fake_advisor.understand("how do you become a lineman")
    by_evidence, _ = fake_advisor._decide(a, "pharmacy-tech", ["pharmacy-tech"], Route(("pharmacy-tech",), "evidence", 0.9))
    pinned, _ = fake_advisor._decide(a, "pharmacy-tech", ["pharmacy-tech"], Route(("pharmacy-tech",), "pinned"))
    assert "lineman" not in by_evidence.missing and by_evidence.signals.get("n_key", 0.0) == 0.0
    assert pinned.signals.get("n_key", 0.0) + pinned.signals.get("n_other", 0.0) >= 1.0


def test_a_name_the_profile_uses_but_the_answer_does_not_is_a_signal(tmp_path: Path) -> None:
    """"How much do they earn in Texas?" answered with the national figure, from a profile
    that speaks of Texas elsewhere: the answer does not speak of the place asked about."""
    from advisor.routing import Route
    from advisor.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "welders.txt").write_text("Welders\nPay\nWelders earn a median wage of 20 dollars an hour.\n"
                                        "Where They Work\nMany welders work in shipyards in Texas and Louisiana.\n", "utf-8")
    adv = Advisor.load(Settings(corpus_dir=corpus, data_dir=tmp_path / "data", model="fake"))
    pinned = Route(("welders",), "pinned")
    for question in ("how much do welders earn in Texas?", "do welders work in Texas?", "how much do welders earn?"):
        a, _ = adv.understand(question)
        d, _ = adv._decide(a, "welders", ["welders"], pinned)
        said = " ".join(u.text for u in d.units)
        assert d.signals["name_unanswered"] == float("Texas" in question and "Texas" not in said), (question, said)


def test_a_row_that_opens_with_a_name_names_something() -> None:
    """"Which states have the most jobs?" is answered by rows whose first cell is the name
    ("New Mexico | Share of jobs: 2.5"): no "the profile names none"."""
    from advisor.answer import _names_some

    row = Unit("u2", "c2", "actor", "bullet", ("Where",), 4, 0, 10, "New Mexico | Share of jobs: 2.5", 1)
    assert _names_some(row)
    assert _names_some(Unit("u3", "c2", "actor", "bullet", ("Where",), 4, 0, 10, "Area: Greater Manchester | Minimum: £20,000", 2))
    # a bullet that is a sentence opens with a capital, and names nothing by it
    assert not _names_some(Unit("u4", "c2", "actor", "bullet", ("Tasks",), 4, 0, 10, "Observe and record what clients do.", 3))
    assert not _names_some(UNIT)


def test_an_answer_nearer_the_question_for_the_word_its_profile_lacks_is_a_signal() -> None:
    """`gap_answered`: how much nearer the answer sits to the question with the missing word
    than without it ("my own boss" → "start your own business"); negative when the word adds
    what the answer does not say ("a bursary" beside a sentence about the training)."""
    import numpy as np

    from advisor.engine import Advisor
    from advisor.question import Analysis

    whole, without = np.array([1.0, 0.0]), np.array([0.0, 1.0])

    class Stub:
        def embed(self, text: str) -> np.ndarray:
            return whole if "boss" in text or "bursary" in text else without

        unit_vecs = np.array([[0.5, 0.5], [0.5, 0.5]])  # the career's passages, on average no nearer for the word

        def unit_vectors(self, units: list[Unit]) -> np.ndarray:
            return np.array([[0.9, 0.1]]) if units[0].text.startswith("Start") else np.array([[0.1, 0.9]])

        def rows_of(self, careers: list[str]) -> np.ndarray:
            return np.array([0, 1])

    host = type("Host", (), {"retriever": Stub()})()
    near = Unit("u5", "c5", "actor", "sentence", ("Path",), 4, 0, 10, "Start your own business.", 4)
    far = Unit("u6", "c5", "actor", "sentence", ("Path",), 4, 0, 10, "The training takes a year.", 5)
    boss = Analysis.__new__(Analysis)
    object.__setattr__(boss, "corrected", "could i be my own boss")
    got = Advisor._gap_signals(host, boss, ("boss",), (near,), ["c5"])  # type: ignore[arg-type]
    assert got["gap_answered"] > 0.5 and 0.0 < got["missing_weight"] <= 1.0
    bursary = Analysis.__new__(Analysis)
    object.__setattr__(bursary, "corrected", "is there a bursary for the training")
    assert Advisor._gap_signals(host, bursary, ("bursary",), (far,), ["c5"])["gap_answered"] < -0.5  # type: ignore[arg-type]
    # a word that brings every passage of the career nearer alike answers nothing in particular
    host.retriever.unit_vecs = np.array([[0.9, 0.1], [0.9, 0.1]])
    assert abs(Advisor._gap_signals(host, boss, ("boss",), (near,), ["c5"])["gap_answered"]) < 1e-9  # type: ignore[arg-type]
