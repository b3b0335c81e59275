"""Shared fixtures: the small fixture corpus, a fake-embedder Advisor, the real-model Advisor.

Every index is built under a pytest tmp folder; the project's own data/ and corpus/ are
never written to.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from advisor.engine import Advisor
from advisor.models import Answer, Document
from advisor.settings import Settings

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURE_CORPUS = TESTS / "data" / "corpus"
REAL_CORPUS = ROOT / "corpus"
REAL_PROFILE = REAL_CORPUS / "imaging-technologist.txt"
DEV_SET = ROOT / "eval" / "dev.jsonl"

# Deterministic property tests, and no .hypothesis/ folder written into the project.
settings.register_profile(
    "advisor",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("advisor")

_MARKED = re.compile(r"(.*?)\s*\[(\d+)\]")


def copy_fixture_corpus(dest: Path) -> Path:
    """A private copy of tests/data/corpus, safe to edit."""
    shutil.copytree(FIXTURE_CORPUS, dest)
    return dest


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    return copy_fixture_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def fake_advisor(tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    """The fixture corpus indexed with the deterministic FakeEmbedder (model "fake")."""
    base = tmp_path_factory.mktemp("fake-advisor")
    corpus = copy_fixture_corpus(base / "corpus")
    return Advisor.load(Settings(corpus_dir=corpus, data_dir=base / "data", model="fake"))


@pytest.fixture(scope="session")
def real_advisor(tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    """The project's corpus indexed with the real model: one build per session."""
    data = tmp_path_factory.mktemp("real-advisor") / "data"
    return Advisor.load(Settings(corpus_dir=REAL_CORPUS, data_dir=data))


def marked_pieces(text: str) -> list[tuple[str, int]]:
    """(sentence, citation number) for every "[n]"-marked piece of an answer text;
    bullets lose their "- " prefix."""
    pieces: list[tuple[str, int]] = []
    for line in text.split("\n"):
        body = line.removeprefix("- ")
        found = list(_MARKED.finditer(body))
        assert found, f"answer line without a citation marker: {line!r}"
        assert body[found[-1].end():].strip() == "", f"text after the last marker: {line!r}"
        pieces.extend((m.group(1).strip(), int(m.group(2))) for m in found)
    return pieces


def assert_grounded(answer: Answer, documents: Mapping[str, Document]) -> None:
    """Every answer sentence is verbatim source text inside the citation it points to, and
    every citation is the document's text at its offsets and on its lines."""
    assert answer.kind == "answer", (answer.kind, answer.reason)
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    for c in answer.citations:
        text = documents[c.doc].text
        assert text[c.start : c.end] == c.text
        assert c.text.strip(), "empty citation"
        assert text.count("\n", 0, c.start) + 1 == c.lines[0]
        assert text.count("\n", 0, c.end) + 1 == c.lines[1]
    pieces = marked_pieces(answer.text)
    assert {n for _, n in pieces} == set(numbers)
    assert [p for p, _ in pieces] == [s.text for s in answer.sentences]
    for piece, n in pieces:
        assert piece, "empty sentence before a marker"
        assert piece in answer.citations[n - 1].text, (piece, answer.citations[n - 1].text)


@pytest.fixture
def grounded() -> Callable[[Answer, Mapping[str, Document]], None]:
    return assert_grounded
