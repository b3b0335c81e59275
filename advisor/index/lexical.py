"""A small BM25 index over units, rebuilt from the stored units at load (it takes ms)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from advisor.models import Unit
from advisor.text import terms


class BM25:
    """Okapi BM25 over short documents; `scores` returns one score per document."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.5) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self.avg = float(self.lengths.mean()) if self.n else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, d in enumerate(docs):
            for t, tf in Counter(d).items():
                self.postings.setdefault(t, []).append((i, tf))
        self.idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    @property
    def vocabulary(self) -> set[str]:
        return set(self.postings)

    def term_scores(self, term: str) -> np.ndarray:
        """One term's BM25 contribution to every document."""
        return self.scores({term: 1.0})

    def group_scores(self, terms_: Sequence[str]) -> np.ndarray:
        """The best single term of a group, per document: a synonym rule's several words
        count once, so a sentence is not rewarded for echoing a long expansion."""
        out = np.zeros(self.n, dtype=np.float32)
        for t in terms_:
            np.maximum(out, self.term_scores(t), out=out)
        return out

    def scores(self, query: dict[str, float]) -> np.ndarray:
        """query maps term → weight (1.0 for the user's words, less for expansions)."""
        out = np.zeros(self.n, dtype=np.float32)
        if not self.n:
            return out
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avg, 1e-9))
        for t, w in query.items():
            for i, tf in self.postings.get(t, ()):
                out[i] += w * self.idf[t] * tf * (self.k1 + 1) / (tf + norm[i])
        return out


def unit_lexical_terms(unit: Unit) -> list[str]:
    """A unit's lexical tokens: its words plus its headings' (section, run-in topic).
    A table row's caption is left out: it would match every row of the table as well as
    the caption sentence itself."""
    extra: list[str] = []
    for h in (*unit.section, unit.topic):
        extra.extend(terms(h))
    return terms(unit.text) + extra
