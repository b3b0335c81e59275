"""Vocabulary is data, not code: the synonyms files, their format and errors, and a guard
that no phrase of any profile is written into the package's Python."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from core_support import REAL_CORPUS, ROOT, SHARED_PROFILES

from advisor.errors import VocabularyError
from advisor.vocabulary.files import GENERAL_SYNONYMS
from advisor.vocabulary.synonyms import Synonyms, load_synonyms, parse_synonyms

PACKAGE = ROOT / "advisor"


# A short list of function words (the stricter the list, the more runs count): the
# project's own, larger list would let through runs like "typically do the following".
STOP = frozenset(
    "a an the of in on at to for and or but with by from as is are be can may this that these those it its their they them you "
    "your i we our not no more most than such other some any each all into over under about".split()
)


def four_grams(text: str) -> set[str]:
    """Runs of four words of which at least three are not stop words."""
    w = re.findall(r"[a-z0-9]+", text.lower())
    return {" ".join(w[i : i + 4]) for i in range(len(w) - 3) if sum(x not in STOP for x in w[i : i + 4]) >= 3}


def profile_phrases_in_code(package: Path, profiles: list[Path]) -> list[tuple[str, str]]:
    corpus: set[str] = set()
    for f in profiles:
        corpus |= four_grams(f.read_text("utf-8", "replace"))
    return [(str(p.relative_to(package.parent)), g) for p in sorted(package.rglob("*.py")) for g in sorted(four_grams(p.read_text("utf-8")) & corpus)]


def _profiles() -> list[Path]:
    files = [p for p in REAL_CORPUS.rglob("*") if p.is_file()]
    if SHARED_PROFILES.is_dir():
        files += sorted(SHARED_PROFILES.rglob("*.txt"))
    return files


def test_no_profile_phrase_is_written_into_the_package() -> None:
    """Against the shipped corpus, and ../shared/profiles where it is present."""
    profiles = _profiles()
    assert len(profiles) > (300 if SHARED_PROFILES.is_dir() else 0)
    assert profile_phrases_in_code(PACKAGE, profiles) == []


def test_the_phrase_guard_finds_a_planted_phrase(tmp_path: Path) -> None:
    """The guard itself works: a module quoting a profile is caught, a general one is not."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "bad.py").write_text('HINT = "basic life support (BLS) and patient emergency response"\n', "utf-8")
    (package / "good.py").write_text('"""Answers quote the career profile word for word."""\n', "utf-8")
    hits = profile_phrases_in_code(package, [REAL_CORPUS / "imaging-technologist.txt"])
    assert hits and {f for f, _ in hits} == {"pkg/bad.py"}
    assert ("pkg/bad.py", "basic life support bls") in hits


# -- the synonyms format ----------------------------------------------------------------------


def test_solr_format_equivalents_and_one_way_rules() -> None:
    rules = parse_synonyms("# a comment\n\npay, salary, wage  # trailing comment\nrad tech => radiologic technologist\nA\\, B, C\n", "s.txt")
    assert [(r.sources, r.targets, r.explicit) for r in rules] == [
        (("pay", "salary", "wage"), ("pay", "salary", "wage"), False),
        (("rad tech",), ("radiologic technologist",), True),
        (("A, B", "C"), ("A, B", "C"), False),
    ]
    syn = Synonyms(rules)
    m = syn.matches("what do Rad Techs get paid? what's the wage")
    assert [(x.matched, x.added) for x in m] == [("rad tech", ("radiologic technologist",)), ("wage", ("pay", "salary"))]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("a => b => c", "more than one"),
        ("pay, , wage", "empty term"),
        ("=> salary", "empty term"),
        ("pay =>", "empty term"),
        ("lonely", "one term"),
        ("!!!, ???", "no words"),
    ],
)
def test_a_bad_line_names_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "corpus" / "synonyms.txt"
    path.parent.mkdir()
    path.write_text(f"pay, salary\n{line}\n", "utf-8")
    with pytest.raises(VocabularyError, match=problem) as info:
        load_synonyms(path.parent)
    assert f"{path}:2" in str(info.value)


def test_the_general_file_loads_and_the_corpus_file_adds_to_it(tmp_path: Path) -> None:
    general = load_synonyms(None)
    assert general.rules and all(r.where.startswith(str(GENERAL_SYNONYMS)) for r in general.rules)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "synonyms.txt").write_text("scrub tech => surgical technologist\n", "utf-8")
    both = load_synonyms(corpus)
    assert len(both.rules) == len(general.rules) + 1
    assert [m.added for m in both.matches("how do scrub techs train")] == [("surgical technologist",)]
