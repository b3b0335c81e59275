"""Word-level text tools shared by the lexical index and the question analyser."""

from __future__ import annotations

import re
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
