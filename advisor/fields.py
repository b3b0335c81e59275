"""Each career's own words for its field and its workers, found in its profile.

Students name careers by their field or school more often than by a title: "dental hygiene
school", "beauty school", "forestry". A profile that speaks of "dental hygiene programs"
is named by "dental hygiene". `FieldIndex` is BM25 over whole profiles (one document a
career) of word stems and of adjacent-word pairs that only a few profiles use (at most one
in `FEW`): such a phrase names those few, while a word many profiles use ("earn", "degree")
is a topic, not a name, and counts for nothing here.

    >>> fields = FieldIndex({"dental-hygienists": ["Dental hygiene programs take 3 years."], "dentists": ["Dentists treat teeth."]})
    >>> max(fields.scores(["dental", "hygiene", "school"]).items(), key=lambda kv: kv[1])[0]
    'dental-hygienists'
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from advisor.spelling import zipf
from advisor.text import STOPWORDS, stem, words

FEW = 15  # a term in at most 1/FEW of the profiles (and at least one) names a field
EVERYDAY = 4.5  # …and a single word that common in English (Zipf) never does ("degree", "need")
PAIR_EVERYDAY = 5.0  # a pair of words does unless both are at least this common ("high school")


def field_terms(text: str) -> list[str]:
    """Stems of the content words, and each pair of neighbouring content words
    ("dental hygien")."""
    stems = [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1 and not w.isdigit()]
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]


def _naming_terms(question_words: Sequence[str]) -> list[str]:
    """The question's terms that can name a field: its stems and neighbouring pairs, less
    everyday English (judged on the student's own words: "beauty" may name a field,
    "degree" does not, though "beautiful" and "beauty" share a stem)."""
    ws = [w for w in question_words if w not in STOPWORDS and len(w) > 1 and not w.isdigit()]
    out = [stem(w) for w in ws if zipf(w) < EVERYDAY]
    out += [f"{stem(a)} {stem(b)}" for a, b in zip(ws, ws[1:], strict=False) if min(zipf(a), zipf(b)) < PAIR_EVERYDAY]
    return out


class FieldIndex:
    """BM25 over careers. `scores(words)` → {career: score} for careers with any match."""

    def __init__(self, texts: Mapping[str, Iterable[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.careers = list(texts)
        counts = [Counter(t for text in texts[c] for t in field_terms(text)) for c in self.careers]
        self.lengths = [sum(c.values()) for c in counts]
        self.avg = sum(self.lengths) / max(len(self.lengths), 1)
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, c in enumerate(counts):
            for t, tf in c.items():
                self.postings.setdefault(t, []).append((i, tf))
        n = len(self.careers)
        few = max(1, n // FEW)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items() if len(p) <= few}

    def scores(self, question_words: Sequence[str]) -> dict[str, float]:
        """The question's words (in order) against every profile."""
        query = dict.fromkeys(_naming_terms(question_words), 1.0)
        out: dict[int, float] = {}
        for t in query:
            if t not in self.idf:
                continue
            for i, tf in self.postings[t]:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / max(self.avg, 1e-9))
                out[i] = out.get(i, 0.0) + self.idf[t] * tf * (self.k1 + 1) / (tf + norm)
        return {self.careers[i]: s for i, s in out.items()}

    def holds(self, phrase: str) -> bool:
        """Whether some profile uses the phrase's words side by side ("emergency
        management" in the emergency management directors' profile)."""
        pairs = [t for t in field_terms(phrase) if " " in t]
        return bool(pairs) and all(t in self.postings for t in pairs)
