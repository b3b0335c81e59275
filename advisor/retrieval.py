"""Question → ranked passages: dense (FAISS) and lexical (BM25) scores fused per unit.

`Retriever.search(analysis)` embeds the question and calls the pure
`Retriever.search_vectors(...)`, which needs no model and is what unit tests drive.

Fusion is a weighted sum of scores on comparable scales rather than rank fusion: the
dense cosine of the unit (a sentence or bullet in its section), the cosine of its whole
chunk (paragraph or list), and BM25 squashed into [0, 1). Rank fusion threw away how
*much* better the best hit was, which abstention needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.index.embedder import Embedder
from advisor.index.lexical import BM25, unit_lexical_terms
from advisor.index.store import CorpusIndex
from advisor.models import Passage, Unit
from advisor.question import Analysis, Vocabulary
from advisor.text import terms, words


@dataclass(frozen=True)
class Weights:
    """Fusion weights; calibrated on eval/dev.jsonl (see README, "Calibration")."""

    unit: float = 1.0
    chunk: float = 0.35
    lexical: float = 0.45
    lexical_half: float = 6.0  # BM25 score that maps to 0.5 after squashing
    expansion: float = 0.35  # weight of synonym terms against the student's own words
    context: float = 0.5  # weight of terms carried over from an earlier turn
    followup_own: float = 0.6  # share of the dense score from the follow-up on its own
    followup_bare: float = 0.3  # the same when the follow-up names no topic ("how do I do that?")


@dataclass(frozen=True)
class Scored:
    """Per-unit score parts for one question, best unit first."""

    rows: np.ndarray
    total: np.ndarray
    query: np.ndarray  # the vector the question was searched with (with its context)
    dense: np.ndarray
    chunk: np.ndarray
    lexical: np.ndarray


class Retriever:
    def __init__(self, index: CorpusIndex, embedder: Embedder, weights: Weights | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.weights = weights or Weights()
        self.units = index.units
        self.bm25 = BM25([unit_lexical_terms(u.text, u.section) for u in self.units])
        chunk_row = {c.chunk_id: i for i, c in enumerate(index.chunks)}
        self.unit_chunk = np.array([chunk_row[u.chunk_id] for u in self.units], dtype=np.int64)
        corpus_words: set[str] = set()
        for u in self.units:
            corpus_words.update(words(u.text))
            for h in u.section:
                corpus_words.update(words(h))
        for d in index.documents.values():
            corpus_words.update(words(d.title))
        self.vocabulary = Vocabulary(corpus_words, embedder.words())
        self.intro_of = _list_intros(index)
        # each list's heading, embedded once: list questions are often about a heading
        # ("technical skills" → Tech Skills) more than about any one bullet
        lists = [c for c in index.chunks if c.kind == "list"]
        self.list_heading_vecs = (
            dict(zip([c.chunk_id for c in lists], embedder.encode_query([" ".join(c.section) for c in lists]), strict=True)) if lists else {}
        )
        self._cache: dict[str, np.ndarray] = {}

    # -- text → vector -------------------------------------------------------------------
    def embed(self, text: str) -> np.ndarray:
        vec = self._cache.get(text)
        if vec is None:
            vec = self.embedder.encode_query([text])[0]
            if len(self._cache) > 2048:
                self._cache.clear()
            self._cache[text] = vec
        return vec

    def lexical_query(self, a: Analysis) -> dict[str, float]:
        w = self.weights
        q: dict[str, float] = {}
        for t in a.focus:
            q[t] = max(q.get(t, 0.0), 1.0)
        for t in a.context:
            q[t] = max(q.get(t, 0.0), w.context)
        return q

    def lexical_scores(self, a: Analysis) -> np.ndarray:
        """BM25 of the student's words, plus each synonym rule's best word."""
        w = self.weights
        own = self.lexical_query(a)
        raw = self.bm25.scores(own)
        for group, weight in [(g, w.expansion) for g in a.expansion_groups] + [(g, w.expansion * w.context) for g in a.context_groups]:
            extra = [t for t in dict.fromkeys(terms(group)) if t not in own]
            if extra:
                raw = raw + weight * self.bm25.group_scores(extra)
        return raw

    def search(self, a: Analysis, k: int = 10) -> list[Passage]:
        """Ranked passages for an analysed question (embeds, then `search_vectors`)."""
        return self.to_passages(self.score(a), k)

    def score(self, a: Analysis) -> Scored:
        own = self.embed(a.own_text)
        vecs = [own]
        if a.followup:
            vecs.append(self.embed(a.dense_text))
        share = self.weights.followup_own if a.focus else self.weights.followup_bare
        return self.search_vectors(vecs, self.lexical_scores(a), share)

    # -- vector → hits (pure) ------------------------------------------------------------
    def search_vectors(self, vecs: list[np.ndarray], raw: np.ndarray, own_share: float = 0.6) -> Scored:
        """Fuse dense and lexical (raw BM25, one per unit) scores for every unit. `vecs[1]`,
        when present, is the question read together with the earlier turn it follows up on,
        and `own_share` is the weight of the question read alone."""
        w = self.weights
        n = len(self.units)
        dense = self._dense_all(vecs[0], n)
        chunk = self._chunk_all(vecs[0])
        if len(vecs) > 1:
            dense = own_share * dense + (1 - own_share) * self._dense_all(vecs[1], n)
            chunk = own_share * chunk + (1 - own_share) * self._chunk_all(vecs[1])
        chunk_per_unit = chunk[self.unit_chunk]
        lex = raw / (raw + w.lexical_half)
        total = w.unit * dense + w.chunk * chunk_per_unit + w.lexical * lex
        order = np.argsort(-total, kind="stable")
        return Scored(order, total, vecs[-1], dense, chunk_per_unit, lex)

    def _dense_all(self, vec: np.ndarray, n: int) -> np.ndarray:
        scores, rows = self.index.search_units(vec, n)
        out = np.zeros(n, dtype=np.float32)
        out[rows[rows >= 0]] = scores[rows >= 0]
        return out

    def _chunk_all(self, vec: np.ndarray) -> np.ndarray:
        m = len(self.index.chunks)
        scores, rows = self.index.search_chunks(vec, m)
        out = np.zeros(m, dtype=np.float32)
        out[rows[rows >= 0]] = scores[rows >= 0]
        return out

    def heading_similarity(self, vec: np.ndarray, list_id: str) -> float:
        h = self.list_heading_vecs.get(list_id)
        return float(h @ vec) if h is not None else 0.0

    def to_passages(self, s: Scored, k: int) -> list[Passage]:
        return [Passage(self.units[int(i)], float(s.total[i])) for i in s.rows[:k]]

    def unit(self, row: int) -> Unit:
        return self.units[row]


def _list_intros(index: CorpusIndex) -> dict[str, str]:
    """Short paragraphs that introduce the list right after them: chunk id → list chunk id
    ("Core knowledge and skills necessary for…" → the Foundational Skills bullets)."""
    out: dict[str, str] = {}
    for c, nxt in zip(index.chunks, index.chunks[1:], strict=False):
        if c.kind == "paragraph" and nxt.kind == "list" and c.section == nxt.section and len(c.unit_ids) <= 2:
            out[c.chunk_id] = nxt.chunk_id
    return out
