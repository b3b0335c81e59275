"""Question → ranked passages of one career (or of all): dense and lexical scores fused
per unit.

`Retriever.score(analysis, careers)` embeds the question and calls the pure
`Retriever.search_vectors(...)`, which needs no model and is what unit tests drive.

Fusion is a weighted sum of scores on comparable scales rather than rank fusion: the
dense cosine of the unit (a sentence, bullet or row in its section), the cosine of its
chunk (paragraph passage, list or table), and BM25 squashed into [0, 1). Rank fusion
threw away how *much* better the best hit was, which abstention needs.

Synonyms: every rule that fired adds its words to the lexical query at a lower weight,
counting once per rule. The dense query gets a rule's words only where the student's
own word is foreign to the profile ("paycheck" → "pay"), since the model reads
paraphrase well and long additions would drown the question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from advisor.index.embedder import Embedder
from advisor.index.lexical import BM25, unit_lexical_terms
from advisor.index.store import CorpusIndex
from advisor.models import Passage, Unit
from advisor.question import Analysis, Vocabulary
from advisor.text import STOPWORDS, city_names, forms, in_forms, lower_case_words, place_names, proper_words, stem, terms, word_form, words
from advisor.vocabulary.synonyms import Match


@dataclass(frozen=True)
class Weights:
    """Fusion weights; calibrated on the dev sets (see README, "Calibration")."""

    unit: float = 1.0
    chunk: float = 0.35
    lexical: float = 0.45
    lexical_half: float = 6.0  # BM25 score that maps to 0.5 after squashing
    expansion: float = 0.35  # weight of synonym terms against the student's own words
    context: float = 0.5  # weight of terms carried over from an earlier turn
    followup_own: float = 0.6  # share of the dense score from the follow-up on its own
    followup_bare: float = 0.3  # the same when the follow-up names no topic ("how do I do that?")
    dense_additions: int = 3  # synonym words added to the dense query at most
    lead: float = 0.06  # bonus of a section's first sentence, which usually says what the section is about


@dataclass(frozen=True)
class Scored:
    """Per-unit score parts for one question. The arrays cover every unit of the index;
    `rows` lists the units searched (one career's, or all), best first."""

    rows: np.ndarray
    total: np.ndarray
    query: np.ndarray  # the vector the question was searched with (with its context)
    dense: np.ndarray
    chunk: np.ndarray
    lexical: np.ndarray


_BLAS_LIMIT: list[object] = []


def one_blas_thread() -> None:
    """Run numpy's matrix products on one thread in this process, once. A search's products
    (a question against every unit) take ~0.5 ms on one thread; a second OpenBLAS thread
    saves ~0.2 ms on an idle machine, costs 2-3 ms when another process holds the other
    core, and spins that core for ~45 ms after every product. The products are the same
    to the bit either way (each row is one dot product)."""
    if not _BLAS_LIMIT:
        from threadpoolctl import threadpool_limits

        _BLAS_LIMIT.append(threadpool_limits(limits=1, user_api="blas"))


class Retriever:
    def __init__(self, index: CorpusIndex, embedder: Embedder, weights: Weights | None = None, known: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        one_blas_thread()
        self.index = index
        self.embedder = embedder
        self.weights = weights or Weights()
        self.units = index.units
        self._by_id = {u.unit_id: u for u in self.units}
        self._row_of = {u.unit_id: i for i, u in enumerate(self.units)}
        unit_terms = [unit_lexical_terms(u) for u in self.units]
        self.bm25 = BM25(unit_terms)  # over every career, for questions that name none
        chunk_row = {c.chunk_id: i for i, c in enumerate(index.chunks)}
        seen_sections: set[tuple[str, tuple[str, ...], str]] = set()
        self.lead = np.zeros(len(self.units), dtype=np.float32)
        for i, u in enumerate(self.units):
            key = (u.doc_id, u.section, u.topic)
            if key not in seen_sections:
                seen_sections.add(key)
                self.lead[i] = 1.0
        self.unit_chunk = np.array([chunk_row[u.chunk_id] for u in self.units], dtype=np.int64)
        self.unit_vecs = index.unit_vectors()
        self.chunk_vecs = index.chunk_vectors()
        rows: dict[str, list[int]] = {}
        for i, u in enumerate(self.units):
            rows.setdefault(u.doc_id, []).append(i)
        self.doc_rows = {d: np.array(r, dtype=np.int64) for d, r in rows.items()}
        # one BM25 per career: a career's answers do not change when other careers are
        # loaded beside it (term weights come from its own profile)
        self.doc_bm25 = {d: BM25([unit_terms[int(i)] for i in rows]) for d, rows in self.doc_rows.items()}
        self.doc_words: dict[str, set[str]] = {}
        corpus_words: set[str] = set()
        pairs: set[tuple[str, str]] = set()  # neighbouring words ("line worker"), for words typed as one
        for u in self.units:
            text_words = words(u.text)
            pairs.update(zip(text_words, text_words[1:], strict=False))
            ws = text_words + [w for h in (*u.section, u.topic, u.context) for w in words(h)]
            self.doc_words.setdefault(u.doc_id, set()).update(ws)
            corpus_words.update(ws)
        for d in index.documents.values():
            title_words = words(d.title)
            corpus_words.update(title_words)
            self.doc_words.setdefault(d.doc_id, set()).update(title_words)
        self.doc_stems = {d: {stem(w) for w in ws} | {word_form(w) for w in ws} for d, ws in self.doc_words.items()}
        self.career_count: dict[str, int] = {}  # stem → number of careers whose profile uses it
        for stems in self.doc_stems.values():
            for t in stems:
                self.career_count[t] = self.career_count.get(t, 0) + 1
        self.vocabulary = Vocabulary(corpus_words, known=known, pairs=pairs)
        # names: words the profiles spell as names ("London"), and places of the world that
        # they never write in lower case ("scotland": a place; "central": a word too)
        lower = lower_case_words(u.text for u in self.units)
        self.proper = proper_words(u.text for u in self.units) | (place_names() - lower)
        self.cities = city_names() - lower  # names only after "in", "near"… (`advisor.text.located`)
        self.intro_of = _intros(index)
        self.intro_for = {list_id: unit_id for unit_id, list_id in self.intro_of.items()}  # list chunk id → its introduction
        # each list's heading, embedded once: list questions are often about a heading
        # ("technical skills" → Tech Skills) more than about any one bullet
        lists = [c for c in index.chunks if c.kind in ("list", "table")]
        self.list_heading_vecs = (
            dict(zip([c.chunk_id for c in lists], embedder.encode_query([" ".join(c.section) for c in lists]), strict=True)) if lists else {}
        )
        self._cache: dict[str, np.ndarray] = {}

    # -- what a career's profile says -----------------------------------------------------
    def knows(self, word: str, careers: Sequence[str] | None) -> bool:
        """Whether the profiles of `careers` (all when None) use the word (or its stem),
        or both halves of it ("aftercare": "after", "care")."""
        docs = careers if careers is not None else list(self.doc_stems)
        if self._knows(word, docs):
            return True
        return len(word) >= 8 and any(self._knows(word[:k], docs) and self._knows(word[k:], docs) for k in range(4, len(word) - 3))

    def _knows(self, word: str, docs: Sequence[str]) -> bool:
        keys = (word, stem(word), word_form(word))
        return any(k in self.doc_stems.get(d, ()) for d in docs for k in keys)

    def knows_prefix(self, word: str, careers: Sequence[str] | None) -> bool:
        """Whether the profiles use a word that starts with this one ("East" → "Eastern")."""
        w = word.lower()
        docs = careers if careers is not None else list(self.doc_words)
        return len(w) >= 4 and any(x.startswith(w) for d in docs for x in self.doc_words.get(d, ()))

    # -- text → vector -------------------------------------------------------------------
    def embed(self, text: str) -> np.ndarray:
        vec = self._cache.get(text)
        if vec is None:
            vec = self.embedder.encode_query([text])[0]
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[text] = vec
        return vec

    def dense_text(self, a: Analysis, careers: Sequence[str] | None, title: str = "") -> str:
        """The question for the model: after the career's title when the question does
        not name it (the units are embedded after their title too), and with, for each
        synonym rule that fired, the first of its words the profile uses."""
        extra: list[str] = []
        for m in a.matches:
            for phrase in m.added:
                if all(self.knows(w, careers) for w in words(phrase)):
                    if phrase not in extra:
                        extra.append(phrase)
                    break
        extra = extra[: self.weights.dense_additions]
        text = f"{a.corrected} ({', '.join(extra)})" if extra else a.corrected
        return f"{title}: {text}" if title else text

    def lexical_scores(self, a: Analysis, drop: set[str] = frozenset(), careers: Sequence[str] | None = None) -> np.ndarray:  # type: ignore[assignment]
        """BM25 of the student's words (minus `drop`: the careers' own names), plus each
        synonym rule's best word; within each career of `careers` by its own BM25, or over
        all units when None."""
        if careers is None:
            return self._lexical(a, drop, self.bm25)
        raw = np.zeros(len(self.units), dtype=np.float32)
        for c in careers:
            if c in self.doc_rows:
                raw[self.doc_rows[c]] = self._lexical(a, drop, self.doc_bm25[c])
        return raw

    def _lexical(self, a: Analysis, drop: set[str], bm25: BM25) -> np.ndarray:
        w = self.weights
        own: dict[str, float] = {}
        for t in a.focus:
            if t not in drop:
                own[t] = 1.0
        for t in a.context:
            if t not in drop:
                own[t] = max(own.get(t, 0.0), w.context)
        raw = bm25.scores(own)
        groups: list[tuple[Match, float]] = [(m, w.expansion) for m in a.matches] + [(m, w.expansion * w.context) for m in a.context_matches]
        for m, weight in groups:
            extra = [t for t in dict.fromkeys(terms(" ".join(m.added))) if t not in own and t not in drop]
            if extra:
                raw = raw + weight * bm25.group_scores(extra)
        return raw

    def rows_of(self, careers: Sequence[str] | None) -> np.ndarray:
        if careers is None:
            return np.arange(len(self.units), dtype=np.int64)
        parts = [self.doc_rows[c] for c in careers if c in self.doc_rows]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def score(self, a: Analysis, careers: Sequence[str] | None = None, drop: set[str] = frozenset(), title: str = "",  # type: ignore[assignment]
              named_as: tuple[str, set[str]] | None = None) -> Scored:
        """Fused scores of the units of `careers` (every unit when None); `title` is the
        career's, when the question does not name it. `named_as`: the career's title and the
        question's words that name it: the title stands for them in the dense text (`as_titled`)."""
        own_text = self.dense_text(a, None, title)  # the same text as the catalogue search: one encoding an ask
        if named_as:
            own_text = as_titled(own_text, named_as[1], named_as[0])
        vecs = [self.embed(own_text)]
        if a.followup:
            vecs.append(self.embed(f"{own_text} {a.previous}"))
        share = self.weights.followup_own if a.focus else self.weights.followup_bare
        return self.search_vectors(vecs, self.lexical_scores(a, drop, careers), self.rows_of(careers), share)

    # -- vector → hits (pure) ------------------------------------------------------------
    def search_vectors(self, vecs: list[np.ndarray], raw: np.ndarray, rows: np.ndarray | None = None, own_share: float = 0.6) -> Scored:
        """Fuse dense and lexical (raw BM25, one per unit) scores for the units `rows`
        (all when None). `vecs[1]`, when present, is the question read together with the
        earlier turn it follows up on, and `own_share` is the weight of the question
        read alone."""
        w = self.weights
        n = len(self.units)
        rows = np.arange(n, dtype=np.int64) if rows is None else rows
        dense = np.zeros(n, dtype=np.float32)
        chunk = np.zeros(n, dtype=np.float32)
        chunk_rows = self.unit_chunk[rows]
        # Every unit searched (no career named): multiply the stored matrices as they are
        # rather than copies gathered row by row (with 370 careers ~5 ms of each search).
        every = len(rows) == n and n > 0 and bool(np.all(rows == np.arange(n)))

        def dense_of(v: np.ndarray) -> np.ndarray:
            return self.unit_vecs @ v if every else self.unit_vecs[rows] @ v

        def chunk_of(v: np.ndarray) -> np.ndarray:
            return (self.chunk_vecs @ v)[chunk_rows] if every else self.chunk_vecs[chunk_rows] @ v

        dense[rows] = dense_of(vecs[0])
        chunk[rows] = chunk_of(vecs[0])
        if len(vecs) > 1:
            dense[rows] = own_share * dense[rows] + (1 - own_share) * dense_of(vecs[1])
            chunk[rows] = own_share * chunk[rows] + (1 - own_share) * chunk_of(vecs[1])
        lex = raw / (raw + w.lexical_half)
        total = np.full(n, -1.0, dtype=np.float32)
        total[rows] = w.unit * dense[rows] + w.chunk * chunk[rows] + w.lexical * lex[rows] + w.lead * self.lead[rows]
        order = rows[np.argsort(-total[rows], kind="stable")]
        return Scored(order, total, vecs[-1], dense, chunk, lex.astype(np.float32))

    def heading_similarity(self, vec: np.ndarray, list_id: str) -> float:
        h = self.list_heading_vecs.get(list_id)
        return float(h @ vec) if h is not None else 0.0

    def to_passages(self, s: Scored, k: int) -> list[Passage]:
        return [Passage(self.units[int(i)], float(s.total[i])) for i in s.rows[:k]]

    def unit_vectors(self, units: Sequence[Unit]) -> np.ndarray:
        """The stored vectors of these units (one row each)."""
        return self.unit_vecs[[self._row_of[u.unit_id] for u in units]] if units else self.unit_vecs[:0]

    def unit(self, row: int) -> Unit:
        return self.units[row]

    def unit_by_id(self, unit_id: str) -> Unit:
        return self._by_id[unit_id]


def as_titled(text: str, drop: set[str], title: str) -> str:
    """The question with the student's words for the career ("how much do trade
    instructors make?") read as the profile's title ("how much do Vocational Teachers
    make?"). Every unit is embedded after its career's title, so the title favours none of
    them, where the student's own name favoured the units that repeat it (a page's list of
    other names, "Instructor", outscored its pay figures)."""
    tokens = text.split()
    named = [bool(ws) and all(w not in STOPWORDS and in_forms(w, drop) for w in ws) for ws in map(words, tokens)]
    own = forms(title)
    if not any(n and not all(in_forms(w, own) for w in words(t)) for t, n in zip(tokens, named, strict=True)):
        return text  # no name but the title's own words ("what do actors do?"): read as it is
    out: list[str] = []
    for t, n in zip(tokens, named, strict=True):
        if not n:
            out.append(t)
        elif title not in out:
            out.append(title)  # the first run of the career's words; any later one is left out
    return " ".join(out)


def _intros(index: CorpusIndex) -> dict[str, str]:
    """Sentences that introduce the list or table right after them: unit id → list chunk
    id ("Welders do these tasks:" → the duty bullets; "The largest employers
    … were as follows:" → the table). The introduction is the last sentence of the
    paragraph before the list, in the same section, when that paragraph is short or
    ends with a colon."""
    out: dict[str, str] = {}
    for c, nxt in zip(index.chunks, index.chunks[1:], strict=False):
        if c.kind == "paragraph" and nxt.kind in ("list", "table") and c.section == nxt.section and c.doc_id == nxt.doc_id:
            if len(c.unit_ids) <= 2 or c.text.rstrip().endswith(":"):
                out[c.unit_ids[-1]] = nxt.chunk_id
    return out
