"""advisor.spelling: non-words repaired towards the profiles' words and common English,
real-word slips only against the career's own profile, texting through the shorthand file."""

from __future__ import annotations

import pytest

from advisor.question import Vocabulary, analyse
from advisor.spelling import Speller
from advisor.vocabulary.synonyms import Synonyms

CATALOGUE = {"college", "chef", "chefs", "need", "hygienist", "certification", "licensed", "carpentry", "body", "hard", "really"}


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(CATALOGUE)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("nead", "need"),  # a common word one edit away
        ("realy", "really"),
        ("certifcation", "certification"),  # a word of the profiles
        ("hygenist", "hygienist"),
        ("recieve", "receive"),  # a transposition is one edit
        ("colege", "college"),
    ],
)
def test_a_non_word_is_repaired(speller: Speller, typed: str, meant: str) -> None:
    assert speller.correct(typed) == meant


@pytest.mark.parametrize("word", ["collage", "inject", "chef", "techs", "gig", "nutshell", "texas"])
def test_a_real_word_is_left_as_typed(speller: Speller, word: str) -> None:
    """Only the career's profile can tell "collage" is a slip; "inject" is never "insect"."""
    assert speller.correct(word) is None


def test_a_real_word_slip_is_repaired_against_the_careers_own_words(speller: Speller) -> None:
    chef_profile = {"college", "chef", "culinary"}
    assert speller.in_profile("collage", chef_profile.__contains__) == "college"
    # a profile that speaks of collages keeps the word; so does one with no near word
    assert speller.in_profile("collage", {"collage", "college"}.__contains__) is None
    assert speller.in_profile("collage", {"chef"}.__contains__) is None
    # the correction must be far more common than the word typed ("lose" for "loose" is not)
    assert speller.in_profile("loose", {"lose"}.__contains__) is None


def test_a_slip_for_a_word_no_profile_of_the_career_uses_is_offered_for_its_context_to_judge(speller: Speller) -> None:
    """`slip`: the much commoner word one edit away with the same first letter, whoever uses
    it ("collage" → "college"); the advisor keeps it only where the question reads nearer
    to the career's passages with it (`Advisor._nearer`)."""
    assert speller.slip("collage") == "college"
    assert speller.slip("college") is None  # nothing much commoner one edit away
    assert speller.slip("cat") is None  # too short to tell


def test_texting_and_typos_are_repaired_before_synonyms_and_missing_words() -> None:
    vocab = Vocabulary(CATALOGUE)
    a = analyse("do i nead collage to be a chef, is it realy hard on ur body", vocab, Synonyms([]))
    assert a.corrections == {"nead": "need", "realy": "really", "ur": "your"}
    assert "collage" in a.corrected  # left for the career's profile to judge
    assert "really" not in a.topical and "nead" not in a.topical


def test_the_speller_is_quick_on_a_word_it_has_seen() -> None:
    """Corrections are kept: the second look-up does no search (the cache is the mechanism)."""
    speller = Speller(CATALOGUE)
    speller.correct("certifcaton")
    speller._by_len.clear()  # no targets left: only the cache can answer
    assert speller.correct("certifcaton") == "certification"


def test_british_and_american_spellings_are_read_as_the_profiles_spell_them() -> None:
    from advisor.spelling import Speller, variants

    sp = Speller({"archeologist", "program", "license", "color", "theater"}, frequency=lambda w: 4.0, english=[])
    assert sp.correct("archaeologist") == "archeologist" and sp.correct("programme") == "program"
    assert sp.correct("licence") == "license" and sp.correct("theatre") == "theater"
    assert sp.correct("archeologist") is None  # spelled as the profiles spell it
    # the career's own spelling, for a word other profiles spell the other way
    own = {"colour", "for"}
    assert sp.in_profile("color", own.__contains__, own) == "colour"
    assert variants("four") == [] and "for" not in variants("four")


def test_two_words_typed_as_one_read_as_the_profiles_write_them() -> None:
    """"lineworker": no word of the profiles or of English, but the profiles write "line
    worker"; a real word made of two ("nightclub") and a short part ("atwork") stay."""
    vocab = Vocabulary({"line", "worker", "workers", "night", "club", "at", "work"},
                       pairs=[("line", "worker"), ("line", "workers"), ("night", "club"), ("at", "work")])
    assert vocab.correct("lineworker") == "line worker"
    assert vocab.correct("lineworkers") == "line workers"
    assert vocab.correct("nightclub") != "night club"
    assert vocab.correct("atwork") != "at work"
    text = analyse("what math do you need to be a lineworker", vocab, Synonyms([])).corrected
    assert text.endswith("a line worker")


def test_a_clipped_word_reads_as_the_profiles_word_it_starts() -> None:
    """"fluoro", "sonos", "mammo": the start of a word of the profiles (its singular, for
    "sonos"), not a slip for some other word one edit away ("songs"); of several words it
    starts, the commonest; a real word ("cart") is never taken for a clipped one
    ("cartographer"), nor is a word too short to tell ("rad")."""
    sp = Speller({"fluoroscopy", "sonography", "sonographer", "mammography", "cartographer", "radiology", "songs"})
    assert sp.correct("fluoro") == "fluoroscopy"
    assert sp.correct("sonos") == "sonography"
    assert sp.correct("mammo") == "mammography"
    assert sp.correct("cart") is None
    assert sp.clipped("rad") is None and sp.clipped("xyzzy") is None


def test_an_abbreviation_typed_in_lower_case_is_left_as_typed() -> None:
    """"cdl", "lpn": no vowel, so no misspelt English word ("cdl" is not "cal")."""
    sp = Speller({"cal", "lap", "need"})
    assert sp.correct("cdl") is None and sp.correct("lpn") is None
    assert sp.correct("nedd") == "need"
