"""Structure detection and chunking: the imaging profile, the fixture corpus and real OOH
profiles (copies in tests/data/ooh, public domain), with the invariants every corpus keeps."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from core_support import FIXTURE_CORPUS, OOH_CORPUS, REAL_CORPUS, REAL_PROFILE

from advisor.index.chunking import chunk_corpus, chunk_document
from advisor.index.converters import convert
from advisor.index.corpus import load_corpus
from advisor.models import Chunk, Document, Unit

Corpus = tuple[list[Document], list[Chunk], list[Unit]]


def _chunked(folder: Path, only: str | None = None) -> Corpus:
    loaded = [(d, p) for d, p in load_corpus(folder) if only is None or d.path == only]
    return chunk_corpus(loaded)


@pytest.fixture(scope="module")
def real() -> Corpus:
    return _chunked(REAL_CORPUS, REAL_PROFILE.name)


@pytest.fixture(scope="module")
def fixture() -> Corpus:
    return _chunked(FIXTURE_CORPUS)


@pytest.fixture(scope="module")
def ooh() -> Corpus:
    return _chunked(OOH_CORPUS)


def sections(chunks: list[Chunk]) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(c.section for c in chunks))


def chunk_text(text: str, name: str = "p.txt") -> tuple[Document, list[Chunk], list[Unit]]:
    parsed = convert(Path(name), text.encode("utf-8"))
    doc = Document(Path(name).stem, parsed.title, name, parsed.text, "x", parsed.source_lines)
    chunks, units = chunk_document(doc, parsed)
    return doc, chunks, units


# -- the imaging profile ------------------------------------------------------------------


def test_real_profile_section_paths(real: Corpus) -> None:
    docs, chunks, _ = real
    assert docs[0].title == "Imaging Technologist"  # the first line is a section heading, not a title
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
    assert all(1 <= len(p) <= 2 for p in paths)


def test_real_profile_key_value_units(real: Corpus) -> None:
    _, chunks, units = real
    kv = [u for u in units if u.kind == "key_value"]
    assert [u.text for u in kv] == ["Stress Level: Moderate", "Balance Rating: Good"]
    assert {u.section for u in kv} == {("Work-Life Balance & Stress",)}
    facts = [c for c in chunks if c.kind == "facts"]
    assert len(facts) == 1 and facts[0].text == "Stress Level: Moderate\nBalance Rating: Good"


def test_real_profile_repairs_the_beta_apostrophe(real: Corpus) -> None:
    docs, _, units = real
    assert "\u03b2" not in docs[0].text
    assert any("four-year bachelor's programs" in u.text for u in units)
    assert any(u.text.startswith("Bachelor's degree programs in radiologic sciences") for u in units)


def test_real_profile_bullets_have_no_marker(real: Corpus) -> None:
    _, chunks, units = real
    bullets = [u for u in units if u.kind == "bullet"]
    assert len(bullets) > 50
    assert all(not u.text.startswith(("- ", "-")) for u in bullets)
    assert any(u.text == "Basic life support (BLS) and patient emergency response" for u in bullets)
    assert {u.chunk_id for u in bullets} == {c.chunk_id for c in chunks if c.kind == "list"}


# -- real OOH pages -------------------------------------------------------------------------


def test_ooh_page_title_is_the_first_line_and_never_a_unit(ooh: Corpus) -> None:
    docs, _, units = ooh
    titles = {d.doc_id: d.title for d in docs}
    assert titles == {"actor": "Actors", "air-traffic-controllers": "Air Traffic Controllers"}
    assert not any(u.text in titles.values() for u in units)


def test_ooh_page_headings_are_flat_and_the_summary_is_its_own_group(ooh: Corpus) -> None:
    _, chunks, _ = ooh
    paths = sections([c for c in chunks if c.doc_id == "actor"])
    assert ("Pay",) in paths and ("Job Outlook",) in paths and ("Work Schedules",) in paths
    assert not any(p[0] == "Pay" and len(p) > 1 for p in paths)  # not "Pay > Job Outlook"
    assert all(p[0] == "Summary" for p in paths if len(p) > 1)


def test_table_rows_are_facts_with_their_caption_not_headings(ooh: Corpus) -> None:
    _, chunks, units = ooh
    rows = [u for u in units if u.kind == "row"]
    assert any(u.text == "Self-employed workers\t24%" for u in rows)
    row = next(u for u in rows if u.text.startswith("Self-employed workers"))
    assert row.context == "The largest employers of actors were as follows:"
    assert row.section == ("Work Environment",)
    assert not any("Professional, scientific, and technical services" in " ".join(c.section) for c in chunks)
    assert {c.kind for c in chunks if c.chunk_id in {u.chunk_id for u in rows}} == {"table"}


def test_run_in_headings_are_topics_not_answers(ooh: Corpus) -> None:
    _, _, units = ooh
    texts = {u.text for u in units}
    for heading in ["Creativity.", "Education.", "Licenses, Certifications, and Registrations.", "Math skills.", "Important Qualities: Communication skills."]:
        assert heading not in texts
    creative = next(u for u in units if u.text.startswith("Actors interpret their characters"))
    assert creative.topic == "Creativity" and creative.label == "Important Qualities > Creativity"
    math = next(u for u in units if u.text.startswith("Controllers must be able to do arithmetic"))
    assert math.topic == "Important Qualities › Math skills"


def test_glued_sentences_are_split(ooh: Corpus) -> None:
    _, _, units = ooh
    texts = [u.text for u in units if u.doc_id == "air-traffic-controllers"]
    assert "Controllers also must pass a physical exam each year and a job performance exam twice per year." in texts
    assert not [t for t in texts if re.search(r"[a-z]{2}\.[A-Z][a-z]", t)]  # no "…hospitals.Employers…" inside a unit


def test_a_repeated_sentence_is_one_unit_with_all_its_places(ooh: Corpus) -> None:
    docs, _, units = ooh
    text = next(d.text for d in docs if d.doc_id == "actor")
    wage = [u for u in units if u.text == "The median hourly wage for actors was $20.43 in May 2019."]
    assert len(wage) == 1 and wage[0].section == ("Pay",)  # the page body's, not the summary's
    assert text.count(wage[0].text) == 2 and len(wage[0].also) == 1
    start, end, line, _ = wage[0].also[0]
    assert text[start:end] == wage[0].text and text.count("\n", 0, start) + 1 == line


def test_repeated_text_in_a_list_is_indexed_once() -> None:
    _, _, units = chunk_text("Tips\n- Be kind\n- Be kind\nMore\nBe kind. Be patient.")
    kind = [u for u in units if u.text == "Be kind"]
    assert len(kind) == 1 and len(kind[0].also) == 1
    assert len({u.unit_id for u in units}) == len(units)


# -- invariants, on every corpus --------------------------------------------------------------


@pytest.fixture(params=["real", "fixture", "ooh"])
def corpus(request: pytest.FixtureRequest) -> Corpus:
    return request.getfixturevalue(request.param)


def test_offsets_and_lines_point_at_the_text(corpus: Corpus) -> None:
    docs, chunks, units = corpus
    texts = {d.doc_id: d.text for d in docs}
    for u in units:
        text = texts[u.doc_id]
        assert text[u.start : u.end] == u.text
        assert u.text == u.text.strip() and u.text
        assert text.count("\n", 0, u.start) + 1 == u.line
    for c in chunks:
        text = texts[c.doc_id]
        assert text[c.start : c.end] == c.text
        assert text.count("\n", 0, c.start) + 1 == c.lines[0]
        assert text.count("\n", 0, c.end) + 1 == c.lines[1]


def test_units_belong_to_their_chunk_in_source_order(corpus: Corpus) -> None:
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


def test_ids_are_unique_and_stable_across_a_rebuild(corpus: Corpus) -> None:
    docs, chunks, units = corpus
    assert len({u.unit_id for u in units}) == len(units)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    folder = {REAL_PROFILE.name: REAL_CORPUS}.get(docs[0].path, OOH_CORPUS if docs[0].doc_id == "actor" else FIXTURE_CORPUS)
    _, again_chunks, again_units = chunk_corpus([(d, p) for d, p in load_corpus(folder) if d.doc_id in {x.doc_id for x in docs}])
    assert again_units == units and again_chunks == chunks


def test_models_round_trip_through_dicts(corpus: Corpus) -> None:
    docs, chunks, units = corpus
    assert all(Document.from_dict(d.to_dict()) == d for d in docs)
    assert all(Chunk.from_dict(c.to_dict()) == c for c in chunks)
    assert all(Unit.from_dict(u.to_dict()) == u for u in units)


# -- the fixture corpus and Markdown --------------------------------------------------------


def test_fixture_txt_structure(fixture: Corpus) -> None:
    docs, chunks, units = fixture
    assert next(d for d in docs if d.doc_id == "dental-assistant").title == "Dental Assistant"
    assert sections([c for c in chunks if c.doc_id == "dental-assistant"]) == [
        ("Dental Assistant Overview",),
        ("Daily Duties",),
        ("Tools of the Trade",),
        ("Skills and Qualifications", "Training Programs"),
        ("Skills and Qualifications", "Useful Skills"),
        ("Work Environment and Stress",),
        ("Salary and Outlook",),
        ("Career Growth",),
    ]
    assert [u.text for u in units if u.kind == "key_value"] == ["Stress Level: Low", "Balance Rating: Very Good"]
    texts = [u.text for u in units]
    assert "A dental assistant's day often starts by preparing treatment rooms and sterilizing instruments." in texts
    assert not any("\u03b2" in t or "\u2019" in t or "\u201c" in t for t in texts)


def test_markdown_h1_is_the_title_and_headings_nest(fixture: Corpus) -> None:
    docs, chunks, units = fixture
    md = next(d for d in docs if d.doc_id == "pharmacy-tech")
    assert md.title == "Pharmacy Technician"
    assert sections([c for c in chunks if c.doc_id == "pharmacy-tech"]) == [
        ("Pharmacy Technician",),  # the introduction, before any section: under the title
        ("What They Do",),
        ("Where They Work",),
        ("Becoming a Pharmacy Technician", "Certification"),
        ("Becoming a Pharmacy Technician", "Training"),
        ("Pay and Hours",),
    ]
    assert not any(u.text.startswith("#") for u in units)
    bullets = [u.text for u in units if u.doc_id == "pharmacy-tech" and u.kind == "bullet"]
    assert bullets[0] == "Count and measure medications for prescriptions" and len(bullets) == 4


def test_markdown_front_matter_title_tables_and_code() -> None:
    text = "---\ntitle: Welders\nauthor: x\n---\n\nWelders join metal.\n\n| Setting | Share |\n|---|---|\n| Factories | 60% |\n\n```\ncode is not prose\n```\n"
    doc, chunks, units = chunk_text(text, "welders.md")
    assert doc.title == "Welders"
    assert [u.kind for u in units] == ["sentence", "row"]
    assert units[1].text == "Setting: Factories | Share: 60%" and units[1].context == "Setting | Share"  # each cell beside its header
    assert not any("code" in u.text for u in units)


def test_wrapped_markdown_paragraph_keeps_whole_sentences() -> None:
    _, _, units = chunk_text("# Pharmacy Technician\n\nPharmacy technicians help pharmacists\ndispense medications. They count tablets.\n", "p.md")
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
    _, _, units = chunk_corpus(load_corpus(folder))
    for u in units:
        assert u.text in file_lines[u.line - 1], (u.line, u.text)


# -- HTML pages ------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title>Welders : Handbook</title><style>p { color: red }</style>
<script>document.write("Welders earn a million dollars.")</script></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li>Careers</li></ul></nav>
<main>
<h1>Welders</h1>
<h2>What Welders Do</h2>
<p>Welders join metal parts.
They read blueprints &amp; plans.</p>
<h2>Work Environment</h2>
<table><caption>The largest employers of welders were as follows:</caption>
<thead><tr><th>Employer</th><th>Share</th></tr></thead>
<tbody><tr><td>Manufacturing</td><td>62%</td></tr><tr><td>Construction</td><td>9%</td></tr></tbody></table>
<ul><li>Wear protective gear</li><li>Work <b>indoors</b> or outdoors</li></ul>
<table></table>
</main>
<footer>Copyright the site</footer>
</body></html>
"""


def test_html_page_content_only_with_its_structure() -> None:
    doc, chunks, units = chunk_text(PAGE, "welders.html")
    assert doc.title == "Welders"
    texts = [u.text for u in units]
    assert texts == [
        "Welders join metal parts.",
        "They read blueprints & plans.",
        "The largest employers of welders were as follows:",
        "Employer: Manufacturing | Share: 62%",  # each cell beside its column's header
        "Employer: Construction | Share: 9%",
        "Wear protective gear",
        "Work indoors or outdoors",
    ]
    assert not any(w in doc.text for w in ("Home", "million", "color", "Copyright"))
    rows = [u for u in units if u.kind == "row"]
    assert rows[0].context == "The largest employers of welders were as follows: Employer Share"
    assert sections(chunks) == [("What Welders Do",), ("Work Environment",)]


def test_html_citation_lines_are_the_page_source_lines() -> None:
    doc, _, units = chunk_text(PAGE, "welders.html")
    page_lines = PAGE.split("\n")
    for u in units:
        assert doc.text[u.start : u.end] == u.text
        first_word = (u.text.split(": ", 1)[1] if u.kind == "row" else u.text).split()[0]  # a row's first cell
        assert first_word in page_lines[u.line - 1], (u.line, u.text)


@pytest.mark.parametrize(
    "page",
    ["", "<html><body></body></html>", "<html><head><title>Only a title</title></head></html>", "<html><body><table></table><h2>Just a heading</h2></body></html>"],
    ids=["empty", "no-body-text", "title-only", "empty-table-and-heading"],
)
def test_html_without_text_to_quote_is_skipped(tmp_path: Path, page: str, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "empty.html").write_text(page, "utf-8")
    (folder / "ok.txt").write_text("Welders\nSummary\nWelders join metal.\n", "utf-8")
    docs, _, units = chunk_corpus(load_corpus(folder))
    assert [d.doc_id for d in docs] == ["ok"]
    assert "empty.html" in caplog.text


def test_a_file_of_headings_only_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "headings.md").write_text("# One\n\n## Two\n", "utf-8")
    (folder / "ok.txt").write_text("Welders\nSummary\nWelders join metal.\n", "utf-8")
    docs, _, _ = chunk_corpus(load_corpus(folder))
    assert [d.doc_id for d in docs] == ["ok"]
    assert "headings.md" in caplog.text


def test_identical_files_are_one_career_with_aliases(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("cooks.txt", "cooks-35-2012.txt", "cooks-35-2014.txt"):
        (folder / name).write_text("Cooks\nSummary\nCooks prepare food.\n", "utf-8")
    docs = [d for d, _ in load_corpus(folder)]
    assert [(d.doc_id, d.aliases) for d in docs] == [("cooks", ("cooks-35-2012", "cooks-35-2014"))]
