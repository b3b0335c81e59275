"""Word-level text tools shared by the lexical index and the question analyser."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?(?:-[a-z0-9]+)*")

STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at by for with from about as into onto over under
    is are was were be been being am do does did doing done have has had having can could will would
    shall should may might must i me my mine we us our you your u ur yours he him his she her it its they
    them their theirs this that these those there here what which who whom whose when where why how
    not no nor yes yeah ya very too also just than such any some all each every both either neither
    more most much many other another own same only really quite pretty get gets got getting go goes
    going gonna wanna lot lots thing things stuff like tell know want need needs needed needing let
    please hey hi hello ok okay thanks thank s t d ll m re ve im ive id whats what's hows how's dont
    don't doesnt doesn't isnt isn't arent aren't cant can't wont won't one ones kind sort way does
    anything something everything someone anyone out up down off again still even well ever
    eventually later someday soon usually mostly already
    long often after before during while since until once i'm tho though instead stuff kinda sorta gonna lol wise etc guess maybe actually basically literally""".split()
)

# Words that carry no topic in a question about a career profile: they appear in nearly
# every question ("what does the job need?") and say nothing about which part is meant.
GENERIC = frozenset(
    """job jobs career careers work working role profession field become
    becoming imaging technologist technologists tech techs radiographer radiographers
    rad radtech radtechs profile profiles say says""".split()
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """Lower-case words; hyphenated words give their parts and the joined form."""
    out: list[str] = []
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
