"""Students' spelling: misspellings and texting repaired before anything reads the words.

Two kinds of slip, two decisions:

- **A non-word** ("nead", "realy", "certifcation", "hygenist"): a word the profiles never
  use that is rare in English (wordfreq Zipf below `NON_WORD_ZIPF`), or one a much more
  common word is one edit away from. It is replaced by the nearest word of the profiles or
  of everyday English (optimal string alignment distance, so "recieve" is one edit), the
  profiles' own words first, then the most common.
- **A real-word slip** ("collage" in "do I need collage to be a chef"): an English word,
  correctly spelled, that the career's profile does not use while a much more common word
  one edit away is in that profile. Only the career's own text can tell this, so
  `Speller.in_profile` runs after routing, on the words the career's profile lacks.

A word spelled the British or American way ("archaeologist", "programme", "licence") is read
as the profiles spell it, when they use the other form (`variants`).

Texting shorthand ("u", "ur", "wat") is a one-way map in `vocabulary/shorthand.txt`.
Targets are the profiles' words and wordfreq's most common English words, so "inject"
(a correctly spelled word) is never turned into "insect".

    >>> sp = Speller({"college", "chef", "need"})
    >>> sp.correct("nead"), sp.correct("realy"), sp.correct("chef")
    ('need', 'really', None)
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from advisor.text import word_form

NON_WORD_ZIPF = 3.0  # rarer than this in English, and not a word of the profiles: likely a slip
GAIN_ZIPF = 1.5  # a correction must be this much more common than the word typed
ENGLISH_WORDS = 60_000  # wordfreq's most common English words serve as targets too
CATALOGUE_BONUS = 1.0  # a word of the profiles is preferred to an equally close English one
LONGER_BONUS = 0.5  # …and so is one no shorter than the word typed
_VOWEL = re.compile(r"[aeiouy]")
CLIPPED = 4  # a clipped form ("fluoro", "sono") is at least this long
LONG_WORD = 8  # a word this long may be two edits from the word meant ("fluoro" is not "floor")


# British and American spellings of one word, each way: (pattern, replacement); a word's
# variants are every single rewrite ("archaeologist" → "archeologist", "programme" → "program",
# "licence" → "license", "colour" → "color", "theatre" → "theater", "specialise" → "specialize")
_VARIANTS = [(re.compile(a), b) for a, b in (
    (r"ae", "e"), (r"oe", "e"), (r"our\b|our(?=s|ed|ing|ful|ite|able|er)", "or"), (r"(?<=[^aeiou])or(?=s?\b|ed\b|ing\b)", "our"),
    (r"(?<=[bcdfghklmnpstv])re\b|(?<=[bcdfghklmnpstv])re(?=s\b|d\b)", "er"), (r"(?<=[bcdfghklmnpstv])er\b|(?<=[bcdfghklmnpstv])er(?=s\b)", "re"),
    (r"ence\b", "ense"), (r"ense\b", "ence"), (r"is(?=e\b|es\b|ed\b|ing\b|ation|er\b|ers\b)", "iz"), (r"iz(?=e\b|es\b|ed\b|ing\b|ation|er\b|ers\b)", "is"),
    (r"ys(?=e\b|es\b|ed\b|ing\b)", "yz"), (r"yz(?=e\b|es\b|ed\b|ing\b)", "ys"), (r"ll(?=ing\b|ed\b|er\b|ers\b|or\b|ors\b)", "l"),
    (r"(?<=[aeiou])l(?=ing\b|ed\b|or\b|ors\b)", "ll"), (r"ogue\b", "og"), (r"ould(?=s?\b|ing\b|ed\b|er)", "old"), (r"gramme", "gram"), (r"gram\b|gram(?=s\b)", "gramme"),
)]


def variants(word: str) -> list[str]:
    """The word's other spellings (British ↔ American), one rewrite each; none for words
    under five letters ("four" is not "for", "hour" not "hor")."""
    out: list[str] = []
    if len(word) < 5:
        return out
    for pattern, replacement in _VARIANTS:
        for m in pattern.finditer(word):
            v = word[: m.start()] + replacement + word[m.end():]
            if v != word and v not in out:
                out.append(v)
    return out


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """How common a word is in English (wordfreq's Zipf scale: 7 "the", 3 rare, 0 unknown)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


@lru_cache(maxsize=1)
def _english() -> tuple[str, ...]:
    from wordfreq import top_n_list

    return tuple(w for w in top_n_list("en", ENGLISH_WORDS) if w.isalpha() and len(w) > 1)


class Speller:
    """Corrections towards the profiles' words and common English.

    `catalogue`: every word of the profiles (lower case); `known`: other words spelled as
    meant (the vocabulary files'); `frequency`: a Zipf function (wordfreq by default; tests
    pass their own)."""

    def __init__(self, catalogue: Iterable[str], known: Iterable[str] = (), frequency: Callable[[str], float] | None = None,
                 english: Iterable[str] | None = None) -> None:
        self.catalogue = {w for w in catalogue if len(w) > 1 and w.isalpha()}
        self.known = set(known)
        self.zipf = frequency or zipf
        # English targets are real words (wordfreq's list holds common misspellings too: "somthing")
        english_words = [w for w in (_english() if english is None else english) if english is not None or self.zipf(w) >= NON_WORD_ZIPF]
        targets = set(self.catalogue) | set(english_words)
        self._by_len: dict[int, list[str]] = {}
        for w in targets:
            self._by_len.setdefault(len(w), []).append(w)
        self._cache: dict[str, str | None] = {}
        self._sorted = sorted(self.catalogue)  # for the words a clipped form starts

    def clipped(self, word: str) -> str | None:
        """The word of the profiles that `word` (or its singular) is clipped from ("fluoro" →
        fluoroscopy, "sonos" → sonography; of several, the commonest in English, then the
        shortest), for a word at least CLIPPED letters long; None when it starts none."""
        for w in dict.fromkeys((word, word_form(word))):  # "sonos": clipped, then made plural
            if len(w) < CLIPPED:
                continue
            i = bisect.bisect_right(self._sorted, w)
            longer: list[str] = []
            for c in self._sorted[i : i + 200]:
                if not c.startswith(w):
                    break
                longer.append(c)
            if longer:
                return min(longer, key=lambda c: (-self.zipf(c), len(c), c))
        return None

    def is_word(self, word: str) -> bool:
        return word in self.catalogue or word in self.known

    def correct(self, word: str) -> str | None:
        """The word meant, for a non-word; None when `word` is spelled as meant (or
        nothing is near)."""
        if word in self._cache:
            return self._cache[word]
        fix = self._correct(word)
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[word] = fix
        return fix

    def _correct(self, word: str) -> str | None:
        one = word_form(word)  # "techs": the plural of a word is spelled as meant
        if len(word) < 3 or not word.isalpha() or self.is_word(word) or self.is_word(one):
            return None
        if not _VOWEL.search(word):  # "cdl", "lpn": an abbreviation typed in lower case, not a slip
            return None
        z = max(self.zipf(word), self.zipf(one))
        if word.endswith("in") and self.zipf(word + "g") >= NON_WORD_ZIPF and z < self.zipf(word + "g"):
            return word + "g"  # "tryin", "somethin": the g dropped, as it is spoken
        same = self.variant(word)
        if same:
            return same
        if z >= NON_WORD_ZIPF:  # a real word: only the career's profile can tell a slip (`in_profile`)
            return None
        whole = self.clipped(word)
        if whole:  # "sonos", "fluoro": the start of a word of the profiles, not a slip
            return whole
        best = self._nearest(word, 1 if len(word) < LONG_WORD else 2, lambda c: True)
        if best is None:
            return None
        return best if z < NON_WORD_ZIPF and self.zipf(best) > z else None

    def variant(self, word: str) -> str | None:
        """The profiles' spelling of a word they never use as typed but use spelled the
        other way ("archaeologist": they say "archeologists")."""
        if word in self.catalogue or word + "s" in self.catalogue or word_form(word) in self.catalogue:
            return None
        return next((v for v in variants(word) if v in self.catalogue or v + "s" in self.catalogue or word_form(v) in self.catalogue), None)

    def in_profile(self, word: str, profile_words: Callable[[str], bool], candidates: Iterable[str] | None = None) -> str | None:
        """A real-word slip: the much more common word one edit away (same first letter)
        that the career's profile uses, for a word it does not ("collage" → "college" in a
        chef's profile, which speaks of college and never of collage). `candidates`: the
        profile's own words, to search among (all targets when None)."""
        if len(word) < 4 or not word.isalpha() or profile_words(word):
            return None
        same = next((v for v in variants(word) if profile_words(v)), None)
        if same:  # "colour" to a profile that says "color"
            return same
        z = self.zipf(word)

        def fits(c: str) -> bool:
            return c[0] == word[0] and profile_words(c) and self.zipf(c) - z >= GAIN_ZIPF

        if candidates is None:
            return self._nearest(word, 1, fits)
        near = [c for c, _, _ in process.extract(word, list(candidates), scorer=OSA.distance, score_cutoff=1, limit=None) if c != word and fits(c)]
        return min(near, key=lambda c: (-self.zipf(c), c)) if near else None

    def slip(self, word: str) -> str | None:
        """The much more common word one edit away (same first letter) that a real word may
        be a slip for ("collage" → "college"), whoever's profile uses it: whether it is the
        word meant is for its context to tell (`Advisor._in_profile`)."""
        if len(word) < 4 or not word.isalpha():
            return None
        z = self.zipf(word)
        return self._nearest(word, 1, lambda c: c[0] == word[0] and self.zipf(c) - z >= GAIN_ZIPF)

    def _nearest(self, word: str, limit: int, keep: Callable[[str], bool]) -> str | None:
        """The closest target; among equally close ones the likeliest: the most common in
        English, a word of the profiles and one no shorter than the word typed counting
        for more; then the first alphabetically."""
        best: tuple[int, float, str] | None = None
        for n in range(len(word) - limit, len(word) + limit + 1):
            bucket = self._by_len.get(n)
            if not bucket:
                continue
            for cand, d, _ in process.extract(word, bucket, scorer=OSA.distance, score_cutoff=limit, limit=None):
                if cand == word:
                    continue
                if keep(cand):
                    # a letter left out is the commonest slip: a word no shorter than the one
                    # typed is a little likelier ("ern" → "earn", not "en")
                    prior = self.zipf(cand) + (CATALOGUE_BONUS if cand in self.catalogue else 0.0) + (LONGER_BONUS if len(cand) >= len(word) else 0.0)
                    key = (d, -prior, cand)
                    if best is None or key < best:
                        best = key
        return best[2] if best else None
