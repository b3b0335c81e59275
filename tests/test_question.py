"""advisor.question: cleaning, markup removal, smalltalk, language, figures, follow-ups."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advisor.question import (
    Vocabulary,
    analyse,
    clean_question,
    figure_kind,
    has_figure,
    is_followup,
    looks_foreign,
    searchable,
    smalltalk_kind,
)
from advisor.vocabulary.synonyms import Synonyms, load_synonyms, parse_synonyms

# -- clean_question -----------------------------------------------------------------------


def test_control_characters_become_spaces_and_white_space_folds() -> None:
    c = clean_question("  how\x00long\x1b[31m is\tthe \u200bprogram\u202e?\r\n ", 500)
    assert c.text == "how long [31m is the program ?"
    assert c.notices == ()


def test_huge_input_is_cut_with_a_notice() -> None:
    raw = "how long is the program " * 5000  # ~120 KB
    assert len(raw) > 100_000
    c = clean_question(raw, 500)
    assert len(c.text) <= 500
    assert raw.startswith(c.text)
    assert raw[len(c.text)] == " "  # cut at a word boundary
    assert len(c.notices) == 1 and str(len(c.text)) in c.notices[0]


def test_one_huge_word_is_cut_hard() -> None:
    c = clean_question("x" * 100_000, 40)
    assert c.text == "x" * 40 and c.notices


@pytest.mark.parametrize(("raw", "expected"), [(None, ""), (42, "42"), (3.5, "3.5"), (["a", "b"], "['a', 'b']"), ("", ""), ("   ", "")])
def test_any_input_becomes_a_string(raw: object, expected: str) -> None:
    assert clean_question(raw, 500).text == expected


@given(
    raw=st.one_of(st.none(), st.integers(), st.floats(), st.booleans(), st.text(), st.lists(st.text(max_size=5), max_size=3)),
    max_chars=st.integers(min_value=20, max_value=300),
)
def test_clean_question_never_raises_and_respects_the_limit(raw: object, max_chars: int) -> None:
    c = clean_question(raw, max_chars)
    assert isinstance(c.text, str)
    assert len(c.text) <= max_chars
    assert c.text == c.text.strip() and "  " not in c.text
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in c.text)
    if c.notices:
        assert len(str(raw)) > max_chars


@given(st.text(max_size=200))
def test_clean_question_is_idempotent(raw: str) -> None:
    once = clean_question(raw, 100).text
    assert clean_question(once, 100).text == once


def test_clean_question_output_is_encodable() -> None:
    clean_question("\ud800 what is the salary?", 500).text.encode("utf-8")


# -- searchable ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<script>alert(1)</script> how long?", "how long?"),
        ('<img src=x onerror="alert(1)"> salary', "salary"),
        ("![chart](https://evil.example/x.png) pay", "pay"),
        ("see https://example.com/a?b=c and javascript:alert(1) now", "see and now"),
        ("<b>bold</b> question", "bold question"),
    ],
)
def test_searchable_removes_markup_and_urls(raw: str, expected: str) -> None:
    assert searchable(raw) == expected


def test_searchable_keeps_words_between_comparison_signs() -> None:
    assert searchable("hours < 40 and pay > 50k?") == "hours < 40 and pay > 50k?"


def test_searchable_leaves_no_script_tag() -> None:
    out = searchable("<SCRIPT type='text/javascript'>steal()</SCRIPT><script>x</script >")
    assert "<" not in out and "script" not in out.lower()
    assert out == ""  # the code inside goes too: it is not part of the question
    assert searchable("<script>alert(1)</script> how long is school?") == "how long is school?"
    assert searchable("<style>p { color: red }</style>what pays?") == "what pays?"


# -- smalltalk ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "greeting"),
        ("Hello there!", "greeting"),
        ("good morning", "greeting"),
        ("thanks!", "thanks"),
        ("thank you so much", "thanks"),
        ("what can you do?", "help"),
        ("help", "help"),
        ("bye", "bye"),
        ("Goodbye!", "bye"),
        ("how long is the program?", None),
        ("hi, how much do they make?", None),
        ("thanks, and what about MRI?", None),
    ],
)
def test_smalltalk_kind(text: str, kind: str | None) -> None:
    assert smalltalk_kind(text) == kind


# -- language -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "¿Cuánto gana un técnico de radiología?",
        "¿Qué estudios necesito para ser técnico?",
        "Combien gagne un technicien en radiologie ?",
        "Est-ce que le travail est stressant ?",
        "放射技师的工资是多少？",
        "Сколько зарабатывает рентгенолог?",
        "Wie viel verdient ein Röntgentechniker?",
        "Quelle formation faut-il pour ce métier ?",
        "Welche Ausbildung brauche ich?",
    ],
)
def test_foreign_questions_are_spotted(text: str) -> None:
    assert looks_foreign(text)


@pytest.mark.parametrize(
    "text",
    [
        "do u need bls",
        "wat r the hrs like",
        "how much do rad techs make",
        "What is the salary in Spain?",
        "Is a résumé needed for a café job?",
        "Was it hard to find a job, and was it worth it?",
        "Can I work in Mexico or Peru?",
        "ok",
    ],
)
def test_english_questions_are_not_foreign(text: str) -> None:
    assert not looks_foreign(text)


# -- figures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("how much do they make", "money"),
        ("What's the average salary?", "money"),
        ("what is the pass rate", "rate"),
        ("how long is the program", "duration"),
        ("how many years of school?", "duration"),
        ("how old do I have to be", "age"),
        ("how many patients a day?", "count"),
        ("what does the job involve", None),
        ("is the work stressful?", None),
        ("how many hours of training per year in an apprenticeship", "duration"),  # "per year" is no sum
        ("what do they make per hour", "money"),
        ("how much do they get paid an hour", "money"),
        ("what do you study to figure out how old civilizations lived", None),  # the age of no person
        ("what age can you start", "age"),
    ],
)
def test_figure_kind(text: str, kind: str | None) -> None:
    assert figure_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("typically lasting 18 to 24 months", "duration", True),
        ("These programs often last two years", "duration", True),
        ("competitive salaries", "money", False),
        ("a median wage of about 46,000 dollars a year", "money", True),
        ("about $19 per hour", "money", True),
        ("a 90% pass rate", "rate", True),
        ("a high pass rate", "rate", False),
        ("you must be 18 years old", "age", True),
        ("adults of any age", "age", False),
        ("typically lasting 18 to 24 months", "money", False),
        ("anything", None, False),
    ],
)
def test_has_figure(text: str, kind: str | None, expected: bool) -> None:
    assert has_figure(text, kind) is expected


# -- follow-ups ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["and the bachelor's?", "what about MRI?", "is it hard there?", "How about part-time?", "and that?"])
def test_followups(text: str) -> None:
    assert is_followup(text)


@pytest.mark.parametrize(
    "text",
    ["What equipment do they use?", "How long is the associate degree?", "Is radiation exposure dangerous for pregnant technologists?"],
)
def test_not_followups(text: str) -> None:
    assert not is_followup(text)


NO_SYNONYMS = Synonyms([])


def test_analyse_reads_a_followup_with_the_earlier_question() -> None:
    vocab = Vocabulary({"associate", "degree", "bachelor", "program", "months", "long"})
    a = analyse("and the bachelor's?", vocab, NO_SYNONYMS, previous="how long is the associate degree?")
    assert a.followup and a.previous == "how long is the associate degree?"
    assert a.figure == "duration"  # carried over: the follow-up names one topic word
    assert "how long is the associate degree?" in a.dense_text
    alone = analyse("and the bachelor's?", vocab, NO_SYNONYMS)
    assert not alone.followup and alone.previous == "" and alone.figure is None


def test_a_standalone_question_is_not_folded_into_the_one_before() -> None:
    vocab = Vocabulary({"boring", "abroad", "work"})
    a = analyse("Is it a boring job?", vocab, NO_SYNONYMS, previous="can I work abroad? which countries pay more?")
    assert not a.followup and a.previous == ""


def test_analyse_repairs_typos_against_the_corpus_only() -> None:
    vocab = Vocabulary({"certification", "salary", "radiation"}, english=frozenset({"texas"}))
    a = analyse("is certifcation needed in texas", vocab, NO_SYNONYMS)
    assert a.corrections == {"certifcation": "certification"}
    assert "texas" in a.topical and "certification" in a.topical


def test_analyse_applies_synonyms_and_shorthand() -> None:
    vocab = Vocabulary({"salary", "wage"})
    syn = Synonyms(parse_synonyms("pay, salary, wage\nrad tech => radiologic technologist\n", "test"))
    a = analyse("wat is the pay for rad techs", vocab, syn)
    assert a.corrected.startswith("what is the pay")
    assert [m.added for m in a.matches] == [("salary", "wage"), ("radiologic technologist",)]


def test_a_span_of_time_a_sentence_is_about_is_no_duration() -> None:
    """"How many years does it take?" is not answered by "… grow in the coming years"."""
    assert not has_figure("This career will grow rapidly in the next few years.", "duration")
    assert not has_figure("Employment grew over the past 10 years.", "duration")
    assert has_figure("Programs take 2 to 4 years.", "duration")
    assert has_figure("These programs often last two years", "duration")  # "last" the verb
    assert has_figure("It takes several years of experience.", "duration")


def test_places_of_the_world_are_names() -> None:
    """Countries, US states, Canadian provinces and the UK's nations, however a student
    types them; not a region's name that is an everyday word elsewhere."""
    from advisor.text import place_names

    places = place_names()
    assert {"scotland", "texas", "ontario", "norway", "wales", "california"} <= places
    assert not {"central", "reading", "male", "north"} & places


def test_a_follow_up_asking_for_a_list_of_its_own_borrows_no_figure() -> None:
    """After "how much do admin assistants earn?", "and in London?" still asks for pay;
    "and what skills do I need?" asks for skills, not a sum."""
    vocab = Vocabulary({"skills", "london", "admin", "assistants", "earn"})
    syn = load_synonyms(None)
    earlier = "how much do admin assistants earn?"
    assert analyse("and in london?", vocab, syn, earlier).figure == "money"
    skills = analyse("and what skills do i need", vocab, syn, earlier)
    assert skills.figure is None and skills.list_question


def test_a_big_city_is_a_name_after_in_or_near() -> None:
    """"in houston", "near phoenix": big cities (GeoNames); "reading skills" is no city."""
    from advisor.text import city_names, located

    cities = city_names()
    assert {"houston", "phoenix", "dubai", "toronto", "manchester"} <= cities
    assert located("is there a masonry apprenticeship in phoenix?") & cities == {"phoenix"}
    assert not located("do librarians need good reading skills") & cities
    assert located("do they work near London or from home") == {"london", "home"}


def test_a_career_described_then_asked_about_is_split_at_what_is_asked() -> None:
    """"the job where you fix power lines after storms, is it dangerous?": the description
    routes, the rest is what the search within the career looks for."""
    from advisor.question import asked_part

    assert asked_part("the job where you fix power lines after storms, is it dangerous?") == "is it dangerous?"
    assert asked_part("people who track disease outbreaks, do they need to be good at stats") == "do they need to be good at stats"
    assert asked_part("the kitchen helper who peels potatoes for the chefs, how do they get trained") == "how do they get trained"
    # no description of a career first: nothing to split
    assert asked_part("im scared of heights and tight spaces, is carpentry a bad idea") == ""
    assert asked_part("what jobs are there where you work with animals?") == ""
    assert asked_part("the job where you fix power lines, ok") == ""
