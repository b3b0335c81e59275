"""Structure detection and chunking, on the real profile and on the fixture corpus."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from core_support import FIXTURE_CORPUS, REAL_CORPUS, REAL_PROFILE
from hypothesis import given
from hypothesis import strategies as st

from advisor.index.chunking import chunk_corpus, chunk_document, split_sentences
from advisor.index.corpus import load_corpus
from advisor.models import Chunk, Document, Unit


@pytest.fixture(scope="module")
def real() -> tuple[list[Document], list[Chunk], list[Unit]]:
    docs = load_corpus(REAL_CORPUS)
    docs = [d for d in docs if d.path == REAL_PROFILE.name]
    chunks, units = chunk_corpus(docs)
    return docs, chunks, units


@pytest.fixture(scope="module")
def fixture() -> tuple[list[Document], list[Chunk], list[Unit]]:
    docs = load_corpus(FIXTURE_CORPUS)
    chunks, units = chunk_corpus(docs)
    return docs, chunks, units


def sections(chunks: list[Chunk]) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(c.section for c in chunks))


# -- the real profile ---------------------------------------------------------------------


def test_real_profile_section_paths(real) -> None:
    _, chunks, _ = real
    paths = sections(chunks)
    for expected in [
        ("Skills and Qualifications", "Tech Skills"),
        ("Job Market Today", "Role Challenges"),
        ("Skill Map", "Foundational Skills"),
        ("Work-Life Balance & Stress",),
        ("Path to Imaging Technologist",),
        ("Portfolio Tips",),
    ]:
        assert expected in paths
    # Top level, not nested in the group before them.
    assert not any(len(p) > 1 and p[-1] in {"Path to Imaging Technologist", "Portfolio Tips"} for p in paths)
    assert not any(p[0] == "Skill Map" and p[-1] == "Portfolio Tips" for p in paths)
    assert all(1 <= len(p) <= 2 for p in paths)


def test_real_profile_key_value_units(real) -> None:
    _, chunks, units = real
    kv = [u for u in units if u.kind == "key_value"]
    assert [u.text for u in kv] == ["Stress Level: Moderate", "Balance Rating: Good"]
    assert {u.section for u in kv} == {("Work-Life Balance & Stress",)}
    facts = [c for c in chunks if c.kind == "facts"]
    assert len(facts) == 1 and facts[0].text == "Stress Level: Moderate\nBalance Rating: Good"


def test_real_profile_repairs_the_beta_apostrophe(real) -> None:
    docs, _, units = real
    assert "\u03b2" not in docs[0].text
    assert any("four-year bachelor's programs" in u.text for u in units)
    assert any(u.text.startswith("Bachelor's degree programs in radiologic sciences") for u in units)


def test_real_profile_bullets_have_no_marker(real) -> None:
    _, chunks, units = real
    bullets = [u for u in units if u.kind == "bullet"]
    assert len(bullets) > 50
    assert all(not u.text.startswith(("- ", "-")) for u in bullets)
    assert any(u.text == "Basic life support (BLS) and patient emergency response" for u in bullets)
    list_chunks = {c.chunk_id for c in chunks if c.kind == "list"}
    assert {u.chunk_id for u in bullets} == list_chunks


# -- invariants, on both corpora ----------------------------------------------------------


@pytest.fixture(params=["real", "fixture"])
def corpus(request) -> tuple[list[Document], list[Chunk], list[Unit]]:
    return request.getfixturevalue(request.param)


def test_offsets_and_lines_point_at_the_text(corpus) -> None:
    docs, chunks, units = corpus
    texts = {d.doc_id: d.text for d in docs}
    for u in units:
        text = texts[u.doc_id]
        assert text[u.start : u.end] == u.text
        assert u.text == u.text.strip() and u.text
        assert text.split("\n")[u.line - 1].find(u.text) >= 0
        assert text.count("\n", 0, u.start) + 1 == u.line
    for c in chunks:
        text = texts[c.doc_id]
        assert text[c.start : c.end] == c.text
        assert text.count("\n", 0, c.start) + 1 == c.lines[0]
        assert text.count("\n", 0, c.end) + 1 == c.lines[1]


def test_units_belong_to_their_chunk_in_source_order(corpus) -> None:
    _, chunks, units = corpus
    by_id = {u.unit_id: u for u in units}
    for c in chunks:
        members = [by_id[i] for i in c.unit_ids]
        assert members, c
        assert all(u.chunk_id == c.chunk_id and u.section == c.section for u in members)
        assert all(c.start <= u.start and u.end <= c.end for u in members)
    assert [u.position for u in units] == list(range(len(units)))
    for a, b in pairwise(units):
        if a.doc_id == b.doc_id:
            assert a.start < b.start and a.end <= b.start
    assert sorted(i for c in chunks for i in c.unit_ids) == sorted(by_id)


def test_ids_are_unique_and_stable_across_a_rebuild(corpus) -> None:
    docs, chunks, units = corpus
    assert len({u.unit_id for u in units}) == len(units)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    # A second load and chunking, from the files again, gives the same ids.
    folder = REAL_CORPUS if docs[0].path == REAL_PROFILE.name else FIXTURE_CORPUS
    again_docs = [d for d in load_corpus(folder) if d.doc_id in {x.doc_id for x in docs}]
    again_chunks, again_units = chunk_corpus(again_docs)
    assert [c.chunk_id for c in again_chunks] == [c.chunk_id for c in chunks]
    assert [u.unit_id for u in again_units] == [u.unit_id for u in units]
    assert again_units == units and again_chunks == chunks


def test_repeated_text_gets_distinct_ids() -> None:
    doc = Document("d", "D", "d.txt", "Tips\n- Be kind\n- Be kind\nMore\nBe kind. Be kind.", "x")
    chunks, units = chunk_document(doc)
    assert len({u.unit_id for u in units}) == len(units) == 4


def test_models_round_trip_through_dicts(corpus) -> None:
    docs, chunks, units = corpus
    assert all(Document.from_dict(d.to_dict()) == d for d in docs)
    assert all(Chunk.from_dict(c.to_dict()) == c for c in chunks)
    assert all(Unit.from_dict(u.to_dict()) == u for u in units)


# -- the fixture corpus -------------------------------------------------------------------


def test_fixture_txt_structure(fixture) -> None:
    docs, chunks, units = fixture
    dental = [c for c in chunks if c.doc_id == "dental-assistant"]
    assert sections(dental) == [
        ("Dental Assistant Overview",),
        ("Daily Duties",),
        ("Tools of the Trade",),
        ("Skills and Qualifications", "Training Programs"),
        ("Skills and Qualifications", "Useful Skills"),
        ("Work Environment and Stress",),
        ("Salary and Outlook",),
        ("Career Growth",),
    ]
    kv = [u.text for u in units if u.kind == "key_value"]
    assert kv == ["Stress Level: Low", "Balance Rating: Very Good"]
    texts = [u.text for u in units]
    assert "A dental assistant's day often starts by preparing treatment rooms and sterilizing instruments." in texts
    assert "Take and develop dental X-rays under the dentist's direction" in texts
    assert not any("\u03b2" in t or "\u2019" in t or "\u201c" in t for t in texts)


def test_fixture_markdown_headings_nest(fixture) -> None:
    docs, chunks, units = fixture
    md = next(d for d in docs if d.doc_id == "pharmacy-tech")
    assert md.title == "Pharmacy Technician"
    paths = sections([c for c in chunks if c.doc_id == "pharmacy-tech"])
    assert paths == [
        ("Pharmacy Technician",),
        ("Pharmacy Technician", "What They Do"),
        ("Pharmacy Technician", "Where They Work"),
        ("Pharmacy Technician", "Becoming a Pharmacy Technician", "Certification"),
        ("Pharmacy Technician", "Becoming a Pharmacy Technician", "Training"),
        ("Pharmacy Technician", "Pay and Hours"),
    ]
    assert not any(u.text.startswith("#") for u in units if u.doc_id == "pharmacy-tech")
    bullets = [u.text for u in units if u.doc_id == "pharmacy-tech" and u.kind == "bullet"]
    assert bullets[0] == "Count and measure medications for prescriptions" and len(bullets) == 4


# -- sentences ----------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_split_sentences_keeps_abbreviations_together() -> None:
    text = "Specializing through certifications (e.g., MRI, CT, sonography) requires exams. Employers sometimes pay."
    assert _sentences(text) == [
        "Specializing through certifications (e.g., MRI, CT, sonography) requires exams.",
        "Employers sometimes pay.",
    ]
    assert _sentences("Use tools, e.g. X-ray units. Then rest.") == ["Use tools, e.g. X-ray units.", "Then rest."]


def test_split_sentences_final_sentence_without_punctuation() -> None:
    assert _sentences("First one. Second one without a stop") == ["First one.", "Second one without a stop"]
    assert _sentences("No stop at all") == ["No stop at all"]


def test_split_sentences_offsets_use_base() -> None:
    spans = split_sentences("One. Two.", base=100)
    assert spans == [(100, 104), (105, 109)]


def test_split_sentences_quotes_and_numbers() -> None:
    assert _sentences('He said "go." Then 18 months pass. 24 more follow!') == ['He said "go."', "Then 18 months pass.", "24 more follow!"]
    assert _sentences("It costs 4.5 dollars. Fine.") == ["It costs 4.5 dollars.", "Fine."]


@given(st.text(alphabet=st.sampled_from(list("Ab. ,!?e.g\"'()1")), max_size=60))
def test_split_sentences_spans_are_ordered_and_inside_the_text(text: str) -> None:
    spans = split_sentences(text)
    last = 0
    for s, e in spans:
        assert last <= s <= e <= len(text)
        last = e
    # Nothing but white space is left out between and around the sentences.
    covered = "".join(text[s:e] for s, e in spans)
    assert covered.replace(" ", "") == text.replace(" ", "").rstrip() or text.strip() == ""


def test_wrapped_markdown_paragraph_keeps_whole_sentences() -> None:
    text = "# Pharmacy Technician\n\nPharmacy technicians help pharmacists\ndispense medications. They count tablets.\n"
    _, units = chunk_document(Document("p", "Pharmacy Technician", "p.md", text, "x"))
    assert [u.text.split() for u in units] == [
        "Pharmacy technicians help pharmacists dispense medications.".split(),
        "They count tablets.".split(),
    ]


def test_unit_line_numbers_match_the_file_on_disk(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    raw = "\n# Pharmacy Technician\n\n\nPharmacy technicians count tablets.\n\n\n\n## Pay\n\n- About 19 dollars an hour\n"
    (folder / "p.md").write_text(raw, "utf-8")
    file_lines = raw.split("\n")
    _, units = chunk_corpus(load_corpus(folder))
    for u in units:
        assert u.text in file_lines[u.line - 1], (u.line, u.text)
