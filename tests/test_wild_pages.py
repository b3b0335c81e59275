"""Real pages as counselors save them (../shared/profiles/wild, see SOURCES.md there): what
each must yield — title, other names, sections, facts with their figures — and what it
must not (page furniture, markup, machine field names). Then a scan of every unit of every
profile in ../shared/profiles and corpus/, and the ingestion rules on small pages made here
(an error page, a sign-in wall, a page of links, careers.csv). Conversion and chunking
only: no model.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from core_support import REAL_CORPUS, SHARED_PROFILES, TESTS

from advisor.careers import CareerIndex
from advisor.errors import CorpusError
from advisor.index.chunking import chunk_corpus, chunk_document
from advisor.index.converters import convert
from advisor.index.corpus import load_corpus, load_document, read_careers_csv
from advisor.models import Document, Unit
from advisor.question import figure_kind, has_figure
from advisor.vocabulary.synonyms import load_synonyms

WILD = SHARED_PROFILES / "wild"
PAGES = TESTS / "data" / "pages"
needs_wild = pytest.mark.skipif(not WILD.is_dir(), reason=f"{WILD} is not here (the shared profiles are not checked out)")

# Markup that must never reach a student: Markdown links and emphasis, HTML tags and
# entities, and the field names of a content system's export.
MARKUP = re.compile(r"\]\(|\*\*|__\w|</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>|&#?\w+;|\$[a-z][\w-]*\$")
MACHINE_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\.[A-Z]\w+|\b(?:DisplayText|ElementId|FullUrl)\b|\bDisplay text:")


def _load(path: Path) -> tuple[Document, list[Unit]]:
    loaded = load_document(path, path.parent)
    assert loaded is not None, f"{path.name} was skipped"
    doc, parsed = loaded
    return doc, chunk_document(doc, parsed)[1]


@pytest.fixture(scope="module")
def wild() -> dict[str, tuple[Document, list[Unit]]]:
    if not WILD.is_dir():
        pytest.skip(f"{WILD} is not here")
    return {p.name: _load(p) for p in sorted(WILD.iterdir()) if p.suffix in (".html", ".txt", ".md") and p.stem != "SOURCES"}


def _texts(units: list[Unit]) -> list[str]:
    return [u.text for u in units]


def _unit(units: list[Unit], text: str) -> Unit:
    hits = [u for u in units if u.text == text]
    assert hits, f"no unit {text!r}; units: {[u.text for u in units][:60]}"
    return hits[0]


# -- what each page must yield ---------------------------------------------------------------

EXPECTED = {
    "lifeguard-uk-ncs.html": {
        "title": "Lifeguard",
        "names": {"Swimming pool attendant", "recreation assistant", "beach lifeguard"},
        "sections": [("How to become a lifeguard", "Apprenticeship"), ("What it takes", "Skills and knowledge"),
                     ("What you'll do", "Day-to-day tasks"), ("Career path and progression",)],
        "facts": {"Average salary (a year): £13,000 Starter to £29,000 Experienced": "money",
                  "Typical hours (a week): 41 to 43 variable": "duration"},
        "quotes": ["pass enhanced background checks, as you may be working with children and vulnerable adults",
                   "National Pool Lifeguard Qualification (NPLQ)"],
    },
    "admin-assistant-uk-ncs.html": {
        "title": "Admin assistant",
        "names": {"Office administrator", "clerical assistant", "administrative assistant"},
        "sections": [("How to become an admin assistant", "College", "Entry requirements"), ("What it takes", "Skills and knowledge"),
                     ("What you'll do", "Working environment")],
        "facts": {"Average salary (a year): £14,000 Starter to £30,000 Experienced": "money",
                  "Typical hours (a week): 38 to 40 a week": "duration"},
        "quotes": ["greeting visitors at reception"],
    },
    "paramedic-uk-ncs-cms.html": {
        "title": "Paramedic",
        "names": set(),
        "sections": [("Day to day tasks",), ("University route", "Requirements"), ("Restrictions",)],
        "facts": {"Salary starter: 24907 | Salary experienced: 37890": "money",
                  "Minimum hours: 36.0 | Maximum hours: 38.0 | Working hours details: a week": "duration"},
        "quotes": ["respond to emergency calls", "Adaptability/Flexibility: to be flexible and open to change",
                   "Full-time courses usually take 3 years."],
    },
    "carpenter-uk-ncs-cms.html": {
        "title": "Carpenter",
        "names": set(),
        "sections": [("Day to day tasks",), ("Apprenticeship standards", "Carpentry and joinery")],
        "facts": {"Salary starter: 16000 | Salary experienced: 40000": "money",
                  "Minimum hours: 40.0 | Maximum hours: 45.0 | Working hours details: a week": "duration"},
        "quotes": ["installing kitchens, cupboards and shelving"],
    },
    "software-developer-uk-ncs-cms.html": {
        "title": "Software developer",
        "names": set(),
        "sections": [("Day to day tasks",), ("College route", "Relevant subjects")],
        "facts": {"Salary starter: 20000 | Salary experienced: 70000": "money"},
        "quotes": ["writing or amending computer code"],
    },
    "art-therapist-us-mynextmove.txt": {
        "title": "Art Therapists",
        "names": {"Art Psychotherapist", "Registered Art Therapist (ATR)"},
        "sections": [("Career", "On the job"), ("Knowledge",), ("Job outlook", "Salary")],
        "facts": {"Annual 10th percentile: 40790 | Annual median: 63650 | Annual 90th percentile: 124530": "money",
                  "Hourly 10th percentile: 19.61 | Hourly median: 30.6 | Hourly 90th percentile: 59.87": "money",
                  "Education usually needed: master's degree": None},
        "quotes": ["Health: therapy and counseling",
                   "What they do: Plan or conduct art therapy sessions or programs to improve clients' physical, cognitive, or emotional well-being."],
    },
    "marriage-family-therapist-us-mynextmove.txt": {"title": "Marriage & Family Therapists",
                                                    "names": {"Clinical Therapist", "Marriage and Family Therapist (MFT)"}},
    "career-technical-education-teacher-us-mynextmove.txt": {"title": "Career/Technical Education Teachers, Postsecondary",
                                                             "names": {"Cosmetology Instructor", "Professor"}},
    "graphic-designer-us-mynextmove.txt": {"title": "Graphic Designers", "names": set(),
                                           "facts": {"Annual 10th percentile: 36420 | Annual median: 58910 | Annual 90th percentile: 100450": "money"}},
    "teacher-pay-and-benefits-england-2023.md": {
        "title": "Teacher pay and benefits",
        "names": {"Unqualified Teacher", "Headteacher", "Leading Practitioner"},
        "sections": [("Primary and secondary teacher salary", "Qualified teacher salary"), ("Holidays",)],
        "facts": {"Area: England (excluding London) | Minimum: £30,000 | Maximum: £46,525": "money",
                  "Area: Inner London | Minimum: £62,304 | Maximum: £139,891": "money"},
        "quotes": ["All qualified teachers will have a starting salary of at least £30,000 (or higher in London).",
                   "If you have qualified teacher status (QTS), you'll start on at least £30,000 (or more in London) as a primary or "
                   "secondary school teacher in England."],
    },
    "send-teacher-england.md": {
        "title": "Teach pupils with special educational needs and disabilities (SEND)",
        "names": set(),
        "sections": [("SEND-focused teaching roles", "Mandatory qualification in sensory impairment")],
        "quotes": ["To teach pupils with hearing impairments, vision impairments or multi-sensory impairments you'll need a mandatory "
                   "qualification in sensory impairment (MQSI) in addition to QTS."],
    },
}

# Page furniture of the saved pages: navigation, banners, helpline, feedback, listings.
FURNITURE = ["Home: Explore careers", "Ipsos MORI", "0800 100 900", "Is this page useful", "Wage :", "Location:", "Provider:",
             "Find apprenticeships near you", "guide to apprenticeships", "Search further careers", "Take an assessment",
             "Thank you for your feedback", "Find a job service", "courses near you", "Privacy", "Sport and exercise psychologist",
             "equivalent entry requirements"]
FURNITURE_SECTIONS = ["Current opportunities", "Related careers", "Get help using this service", "Skills assessment", "Not what you're looking for?"]


@needs_wild
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_title_names_sections_and_facts(wild: dict[str, tuple[Document, list[Unit]]], name: str) -> None:
    doc, units = wild[name]
    want = EXPECTED[name]
    assert doc.title == want["title"]
    assert set(want["names"]) <= set(doc.names), doc.names
    have = {u.section for u in units}
    for section in want.get("sections", []):
        assert section in have, (section, sorted(have))
    for text, kind in want.get("facts", {}).items():
        unit = _unit(units, text)  # one unit: the range, or the starter and experienced pay, is quoted whole
        assert unit.kind in ("key_value", "row")
        if kind:
            assert has_figure(unit.text, kind), (kind, unit.text)
    for text in want.get("quotes", []):
        _unit(units, text)


@needs_wild
@pytest.mark.parametrize("name", ["lifeguard-uk-ncs.html", "admin-assistant-uk-ncs.html"])
def test_saved_pages_leave_their_furniture_out(wild: dict[str, tuple[Document, list[Unit]]], name: str) -> None:
    doc, units = wild[name]
    for f in FURNITURE:
        assert f.lower() not in doc.text.lower(), f
    sections = {s for u in units for s in u.section}
    for s in FURNITURE_SECTIONS:
        assert not any(x.startswith(s) for x in sections), s


@needs_wild
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_unit_is_the_page_title_alone(wild: dict[str, tuple[Document, list[Unit]]], name: str) -> None:
    doc, units = wild[name]  # a breadcrumb's last item, a card's heading
    assert doc.title not in _texts(units)


@needs_wild
def test_keywords_that_name_no_worker_are_not_names(wild: dict[str, tuple[Document, list[Unit]]]) -> None:
    doc, _ = wild["teacher-pay-and-benefits-england-2023.md"]
    for topic in ("Salary", "Pay scale", "Career", "TLR", "Teacher training", "How to become a teacher", "Benefits"):
        assert topic not in doc.names


@needs_wild
def test_no_unit_holds_markup_or_machine_field_names(wild: dict[str, tuple[Document, list[Unit]]]) -> None:
    for name, (_, units) in wild.items():
        for u in units:
            assert not MARKUP.search(u.text), (name, u.text)
            assert not MACHINE_NAME.search(u.text), (name, u.text)
            assert not MACHINE_NAME.search(" ".join(u.section)), (name, u.section)
            assert "Description" not in u.text.split(":")[0] or ": " not in u.text, (name, u.text)


@needs_wild
def test_each_unit_cites_the_lines_of_the_file_it_comes_from(wild: dict[str, tuple[Document, list[Unit]]]) -> None:
    for name, (_, units) in wild.items():
        lines = (WILD / name).read_text("utf-8").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for u in units:
            value = u.text.split(CELL_SEP)[0].rsplit(": ", 1)[-1]
            words = [w for w in re.findall(r"[A-Za-z]{4,}|\d[\d,.]{2,}", value)] or re.findall(r"\w+", value)
            window = "\n".join(lines[max(0, u.line - 2) : u.last_line + 2])
            assert any(w in window for w in words), (name, u.line, u.text)


CELL_SEP = " | "


@needs_wild
def test_the_career_is_named_by_its_title_and_other_names(wild: dict[str, tuple[Document, list[Unit]]]) -> None:
    docs = {d.doc_id: d for d, _ in wild.values()}
    careers = CareerIndex(docs, load_synonyms(None))
    assert careers.named("What do swimming pool attendants do?").ids == ("lifeguard-uk-ncs",)
    assert careers.named("How much does an art psychotherapist make?").ids == ("art-therapist-us-mynextmove",)
    assert careers.named("What does a headteacher earn?").ids == ("teacher-pay-and-benefits-england-2023",)
    assert "teacher-pay-and-benefits-england-2023" in careers.named("How much does a teacher earn in England?").ids
    assert careers.named("What benefits do nurses get?").ids == ()  # "benefits" in a title names no career


# -- every profile there is ---------------------------------------------------------------------


def _folders() -> list[Path]:
    shared = [p for p in sorted(SHARED_PROFILES.iterdir()) if p.is_dir()] if SHARED_PROFILES.is_dir() else []
    return [REAL_CORPUS, *shared]


@pytest.mark.skipif(not SHARED_PROFILES.is_dir(), reason=f"{SHARED_PROFILES} is not here (the shared profiles are not checked out)")
@pytest.mark.parametrize("folder", _folders(), ids=lambda p: p.name)
def test_every_unit_of_every_profile_is_clean_verbatim_text(folder: Path) -> None:
    docs, _, units = chunk_corpus(load_corpus(folder))
    assert units
    texts = {d.doc_id: d.text for d in docs}
    for u in units:
        assert u.text and u.text == u.text.strip()
        assert texts[u.doc_id][u.start : u.end] == u.text
        assert not MARKUP.search(u.text), (u.doc_id, u.text)
        assert not MACHINE_NAME.search(u.text), (u.doc_id, u.text)
        assert u.line >= 1 and u.last_line >= u.line


# -- figures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [("£13,000 Starter to £29,000 Experienced", "money"), ("a starting salary of €25,000", "money"), ("about 30,000 pounds a year", "money"),
     ("Salary starter: 24907", "money"), ("Annual median: 63650", "money"), ("Hourly median: 30.6", "money"),
     ("The median wage was $41,000", "money"), ("Typical hours (a week): 41 to 43", "duration"), ("Minimum hours: 36.0", "duration")],
)
def test_figures_in_any_currency_and_layout(text: str, kind: str) -> None:
    assert has_figure(text, kind)


@pytest.mark.parametrize("text", ["Annual leave: 28 days", "Job zone: 5", "Working pattern: evenings / weekends", "Salary depends on experience."])
def test_not_a_sum_of_money(text: str) -> None:
    assert not has_figure(text, "money")


def test_a_question_in_pounds_or_euros_asks_for_money() -> None:
    assert figure_kind("Is it over £30,000?") == "money"
    assert figure_kind("How much do they earn in euros?") == "money"


# -- pages made here: the rules on markup these profiles do not use -------------------------------


def test_a_page_without_main_is_found_by_the_library_and_its_structure() -> None:
    page = PAGES / "electrician.html"
    doc, units = _load(page)
    texts = _texts(units)
    assert doc.title == "Electrician" and set(doc.names) == {"Electrical installer", "domestic electrician"}
    assert "Starting salary: £18,000 | Experienced salary: £42,000" in texts
    assert "Route: Apprenticeship | Typical length: 4 years" in texts
    assert "fitting wiring, sockets and lighting" in texts
    for furniture in ("cookies", "Home", "Job profiles", "Share this page", "Plumber", "newsletter", "Copyright", "End of the job profile"):
        assert furniture not in doc.text, furniture


@pytest.mark.parametrize(
    ("head", "title"),
    [("<title>Plumber | Job profiles | Careers Hub</title>", "Plumber"),
     ("<title>Careers Hub - Plumber</title><meta property='og:site_name' content='Careers Hub'>", "Plumber")],
)
def test_without_h1_the_title_is_the_page_title_less_the_site_name(head: str, title: str) -> None:
    page = (f"<html><head>{head}</head><body><main><p>Plumbers fit and repair water pipes, drains and heating systems in homes, "
            "offices and factories. Most train through an apprenticeship that lasts about four years.</p></main></body></html>")
    assert convert(Path("p-1.html"), page.encode()).title == title


def test_a_widget_goes_with_its_buttons() -> None:
    page = ("<html><body><main><h1>Plumber</h1><div><p>Plumbers fit and repair water pipes, drains and heating systems in homes, "
            "offices and factories. Most train through an apprenticeship that lasts about four years.</p>"
            "<h2>Pay</h2><p>Plumbers earn about £32,000 a year.</p></div>"
            "<div class='feedback'>Was this page helpful? <button>Yes</button> <button>No</button></div></main></body></html>")
    parsed = convert(Path("plumber.html"), page.encode())
    assert "helpful" not in parsed.text and "Plumbers earn about £32,000 a year." in parsed.text


def test_a_list_of_links_goes_unless_a_sentence_introduces_it() -> None:
    guide = "to apprenticeships, college courses, university degrees and the funding you can get for them"
    long_links = "".join(f"<li><a href='/g{i}'>Read our complete guide number {i} {guide}</a></li>" for i in range(3))
    page = ("<html><body><main><h1>Plumber</h1><p>Plumbers fit and repair water pipes, drains and heating systems in homes, offices "
            "and factories. Most train through an apprenticeship that lasts about four years.</p>"
            "<p>You can find out more from:</p><ul><li><a href='/a'>The Plumbing Guild</a></li><li><a href='/b'>Water Skills UK</a></li></ul>"
            f"<h2>More</h2><ul>{long_links}</ul></main></body></html>")
    parsed = convert(Path("plumber.html"), page.encode())
    assert "The Plumbing Guild" in parsed.text and "Water Skills UK" in parsed.text
    assert "complete guide" not in parsed.text


def test_a_name_whose_head_is_a_topic_word_names_no_career() -> None:
    docs = {"t": Document("t", "Teachers", "t.md", "Teachers teach.", "x", names=("Salary", "Pay scale", "schoolteacher"))}
    careers = CareerIndex(docs, load_synonyms(None))
    assert careers.named("What is the salary of a nurse?").ids == ()
    assert careers.named("What does a schoolteacher do?").ids == ("t",)


def test_a_title_that_reads_as_a_sentence_is_not_named_by_its_commonest_word() -> None:
    """A page titled "Teach pupils with special educational needs and disabilities (SEND)"
    splits into parts whose last word is "needs": a word every question uses ("do you need
    a degree?") names no career; its full title and its other names still do."""
    title = "Teach pupils with special educational needs and disabilities (SEND)"
    docs = {"send": Document("send", title, "send.md", "Teach pupils with SEND.", "x", names=("SEND teacher",)),
            "cooks": Document("cooks", "Cooks", "cooks.md", "Cooks cook.", "x")}
    careers = CareerIndex(docs, load_synonyms(None))
    assert "need" not in careers.careers["send"].heads
    assert careers.named("do you need a degree to be a cook?").ids == ("cooks",)
    assert careers.named("what do you need to get hired?").ids == ()
    assert careers.named("how do I become a SEND teacher?").ids == ("send",)


def test_one_career_from_two_sites_is_one_career_with_both_profiles() -> None:
    """"Graphic Designers" from one site and "Graphic designer" from another are one career
    to a student: one id stands for both (never a choice between them), and its group holds
    both, for an answer to search."""
    docs = {"graphic-designers": Document("graphic-designers", "Graphic Designers", "a.txt", "Graphic designers design.", "x"),
            "graphic-designer-us": Document("graphic-designer-us", "Graphic designer", "b.txt", "Designers draw.", "x"),
            "cooks": Document("cooks", "Cooks", "c.txt", "Cooks cook.", "x")}
    careers = CareerIndex(docs, load_synonyms(None))
    assert careers.canonical["graphic-designer-us"] == careers.canonical["graphic-designers"] == "graphic-designers"
    assert careers.group["graphic-designer-us"] == careers.group["graphic-designers"] == ("graphic-designers", "graphic-designer-us")
    assert careers.group["cooks"] == ("cooks",)
    assert careers.named("what do graphic designers earn?").ids == ("graphic-designers",)


@pytest.mark.parametrize(
    ("page", "why"),
    [
        ("<html><head><title>Page not found - Careers</title></head><body><nav><a href='/'>Home</a></nav><h1>Page not found</h1>"
         "<p>If you typed the web address, check it is correct. You can browse from the homepage or use the search box above.</p></body></html>",
         "error or sign-in page"),
        ("<html><body><h1>Welcome back</h1><form><label>Email</label><input type=email><input type=password><button>Go</button></form>"
         "<p>You need an account to read this careers profile. Ask your school for one.</p></body></html>", "password"),
        ("<html><body><h1>Careers A to Z</h1><ul>" + "".join(f"<li><a href='/c{i}'>Career number {i}</a></li>" for i in range(40))
         + "</ul><p>Pick one to read about it.</p></body></html>", "page of links"),
    ],
    ids=["error-page", "sign-in-wall", "page-of-links"],
)
def test_a_page_with_no_profile_is_skipped_saying_why(tmp_path: Path, caplog: pytest.LogCaptureFixture, page: str, why: str) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "broken.html").write_text(page, "utf-8")
    (folder / "ok.txt").write_text("Welders\nSummary\nWelders join metal parts with heat.\n", "utf-8")
    with caplog.at_level(logging.WARNING):
        docs = [d.doc_id for d, _ in load_corpus(folder)]
    assert docs == ["ok"]
    warning = next(r.getMessage() for r in caplog.records if "broken.html" in r.getMessage())
    assert why in warning


def test_markdown_renders_inline_markup_and_skips_placeholders() -> None:
    text = ("---\ntitle: Nurses\ndescription: Nurses care for patients.\nkeywords:\n  - Staff Nurse\n  - Salary\n---\n"
            "You'll need a [nursing degree](https://example.org/degree) and **patience**.\n\n$q-quote$\n\n"
            "| Band | Pay |\n|---|---|\n| 5 | £28,407 |\n")
    parsed = convert(Path("nurses.md"), text.encode())
    assert parsed.title == "Nurses" and parsed.names == ("Staff Nurse",) and parsed.summary == "Nurses care for patients."
    blocks = [b.text for b in parsed.blocks]
    assert blocks == ["Nurses care for patients.", "You'll need a nursing degree and patience.", "Band\tPay".replace("\t", " | "), "Band: 5 | Pay: £28,407"]
    lines = text.split("\n")
    for b in parsed.blocks[1:]:  # each block on its own line of the file
        assert b.text.split()[0].strip("|") in lines[b.line - 1] or b.text.split(": ")[1].split()[0] in lines[b.line - 1]


def test_a_report_laid_out_by_indentation_is_read_as_facts() -> None:
    text = ("Career:\n  Title: Welders\n  Also called:\n    - Fabricator\n    - Solderer\n  On the job:\n    - Join metal parts.\n"
            "    - Read blueprints.\nJob outlook:\n  Salary:\n    Soc code: 51-4121\n    Annual median: 47010\n    Annual 90th percentile: 68750\n")
    parsed = convert(Path("welders.txt"), text.encode())
    assert parsed.title == "Welders" and parsed.names == ("Fabricator", "Solderer")
    by_text = {b.text: b for b in parsed.blocks}
    fact = by_text["Annual median: 47010 | Annual 90th percentile: 68750"]
    assert fact.kind == "key_value" and fact.section == ("Job outlook", "Salary")
    assert by_text["Join metal parts."].section == ("Career", "On the job")
    assert not any("51-4121" in b.text or b.text.startswith("Title") for b in parsed.blocks)
    assert parsed.source_lines is not None and parsed.source_lines[parsed.text.split("\n").index(fact.text)] == 12


def test_a_definition_list_reads_as_labelled_facts_never_glued() -> None:
    page = ("<dl><dt>TitlePart.Title</dt><dd>Welder</dd><dt>JobProfile.SalaryStarter</dt><dd>18000</dd>"
            "<dt>JobProfile.SalaryExperienced</dt><dd>35000</dd><dt>JobProfile.Skills</dt>"
            "<dd><dl><dt>Skill.DisplayText</dt><dd>Dexterity</dd><dt>Skill.ElementId</dt><dd>1.A.2</dd>"
            "<dt>Skill.Description</dt><dd><p>the ability to work well with your hands</p></dd></dl></dd>"
            "<dd><dl><dt>Skill.DisplayText</dt><dd>Focus</dd><dt>Skill.Description</dt><dd><p>patience</p></dd></dl></dd></dl>")
    parsed = convert(Path("welder.html"), page.encode())
    assert parsed.title == "Welder"
    assert [b.text for b in parsed.blocks] == ["Salary starter: 18000 | Salary experienced: 35000", "Skills",
                                               "Dexterity: the ability to work well with your hands", "Focus: patience"]


# -- careers.csv -------------------------------------------------------------------------------------


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "teacher-pay.md").write_text("# Teacher pay and benefits\n\nTeachers in England start on at least £30,000 a year.\n", "utf-8")
    (folder / "welders.txt").write_text("Welders\nSummary\nWelders join metal parts with heat.\n", "utf-8")
    return folder


def test_careers_csv_sets_titles_and_names(tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    (folder / "careers.csv").write_text("# titles and names\nfile,title,names\nteacher-pay.md,Teacher,schoolteacher; classroom teacher\n"
                                        "welders.txt,,fabricator\n", "utf-8")
    docs = {d.doc_id: d for d, _ in load_corpus(folder)}
    assert docs["teacher-pay"].title == "Teacher"
    assert docs["teacher-pay"].names == ("schoolteacher", "classroom teacher", "Teacher pay and benefits")
    assert docs["welders"].title == "Welders" and docs["welders"].names == ("fabricator",)
    careers = CareerIndex(docs, load_synonyms(None))
    assert careers.named("What does a schoolteacher earn?").ids == ("teacher-pay",)


@pytest.mark.parametrize(
    ("csv", "line", "says"),
    [
        ("file,title,names\nnobody.md,Nobody,\n", 2, "no profile 'nobody.md'"),
        ("name,title\nwelders.txt,Welder\n", 1, "first line must name the columns"),
        ("file,title,names\nwelders.txt,Welder,fabricator,extra\n", 2, "4 cells for 3 columns"),
        ("file,title\n# a comment\nwelders.txt,Welder\nwelders.txt,Welders\n", 4, "listed twice"),
        ("file,title,names\nwelders.txt,,\n", 2, "neither a title nor names"),
    ],
    ids=["unknown-file", "bad-header", "too-many-cells", "twice", "empty"],
)
def test_a_bad_careers_csv_line_is_an_error_naming_file_and_line(tmp_path: Path, csv: str, line: int, says: str) -> None:
    folder = _corpus(tmp_path)
    (folder / "careers.csv").write_text(csv, "utf-8")
    with pytest.raises(CorpusError, match=re.escape(f"careers.csv:{line}: ")) as info:
        read_careers_csv(folder)
    assert says in str(info.value)
    with pytest.raises(CorpusError):
        load_corpus(folder)


def test_front_matter_of_a_text_profile_sets_title_and_names() -> None:
    text = "---\ntitle: Welders\nnames: [fabricator, solderer]\n---\nSummary\nWelders join metal parts with heat.\n"
    parsed = convert(Path("w.txt"), text.encode())
    assert parsed.title == "Welders" and parsed.names == ("fabricator", "solderer")


def test_the_students_own_title_word_fits_better_than_a_synonym_of_it() -> None:
    """"heavy equipment operator": "equipment" is a word of one title and a synonym of a
    word of another ("machine"): the title with the student's own word is the one named."""
    docs = {"construction-equipment-operators": Document("construction-equipment-operators", "Construction Equipment Operators", "a.txt", "x.", "x"),
            "material-moving-machine-operators": Document("material-moving-machine-operators", "Material Moving Machine Operators", "b.txt", "y.", "x")}
    careers = CareerIndex(docs, load_synonyms(None))
    assert "machine" in careers.synonyms.related("equipment")  # the synonym the other title fits by
    assert careers.named("what does a heavy equipment operator do?").ids == ("construction-equipment-operators",)


def test_an_acronym_of_a_titles_words_names_that_career() -> None:
    """"CTE teachers", "an SLP": the initials of a run of a title's words (three letters or
    more); a whole question in capitals is a shout, not acronyms."""
    docs = {"cte": Document("cte", "Career and Technical Education Teachers", "a.txt", "x.", "x"),
            "hs": Document("hs", "High School Teachers", "b.txt", "y.", "x"),
            "slp": Document("slp", "Speech-Language Pathologists", "c.txt", "z.", "x")}
    careers = CareerIndex(docs, load_synonyms(None))
    assert careers.named("what do CTE teachers do?").ids == ("cte",)
    assert careers.named("what does an SLP do?").ids == ("slp",)
    assert careers.named("how many SLPs work in schools?").ids == ("slp",)
    assert "slp" not in careers.named("WHAT DOES AN SLP DO?").ids
    assert "hs" not in careers._acronyms  # two letters stand for too many runs of words
