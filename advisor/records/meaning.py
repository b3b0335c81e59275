"""Questions grouped by meaning, and where the profiles come closest to an unanswered one.

Grouping is complete linkage on the cosine of the advisor's own embedding model: every two
wordings in a group are at least `THRESHOLD` alike. Each question is embedded with its
typos and shorthand repaired and the career's name left out: in a career's questions the
name says nothing, and with it "what does an imaging technologist do?" and "where do
imaging technologists work?" were 0.90 alike.

`THRESHOLD` was chosen with `python eval/clusters.py` on the 265 first-turn questions of
the imaging sets (dev, holdout, blind: written apart, so they ask the same things in
different words), 69 groups of same-meaning questions marked by hand
(eval/same-meaning.json). Pairwise precision / recall of the grouping:

    threshold           0.55        0.60        0.65        0.70        0.75        0.80
    complete linkage    0.59/0.61   0.66/0.54   0.68/0.49   0.79/0.46   0.86/0.36   0.98/0.28
    greedy, raw text    0.11/0.52   0.14/0.50   0.23/0.46   0.24/0.39   0.40/0.31   0.62/0.26

0.70 is the lowest with precision near 0.8: a group a counselor reads should be one
question (a wrong merge misleads; a split only shows the same need twice). Its merges of
questions marked different were close ones: two wordings about which degree is needed, two
about the certification exam (its pass rate, its length), two about certification (needed,
and who grants it); eval/clusters.py prints them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advisor.question import analyse
from advisor.text import STOPWORDS, word_form, words

THRESHOLD = 0.70
MAX_WORDINGS = 1000  # distinct wordings grouped at most (the most asked); the rest are counted, not grouped
CACHED_VECTORS = 10_000  # embeddings kept per process for reports (~15 MB)
_VECTORS: dict[tuple[tuple[str, str], str], np.ndarray] = {}
# A section is "near" an unanswered question when its best sentence is this alike (cosine,
# question vs. sentence). On the imaging sets (eval/clusters.py) all 34 off-topic questions
# stayed below 0.36 (the highest: "How do I get my learner's permit?") and 26 of the 33
# near-domain ones (a career question the profile does not cover) were at or above 0.40.
NEARBY = 0.40
# A profile word offered as the synonym of a student's word must be at least this alike to
# it (cosine of the two words alone); below, the hint says the profiles do not cover the
# question. Measured: fluoro/fluoroscopy 0.73, pension/retirement 0.72, salary/pay 0.52 —
# but also gpa/degree 0.54; pension/education 0.34, er/emergency 0.39, pto/vacation 0.22.
# A name ("Chicago", written with a capital inside the question) is never given a synonym.
WORD_MATCH = 0.50
NOT_COVERED = "the profiles don't cover it — add a profile or a note"


def comparable_text(advisor: Any, question: str) -> str:
    """The question as grouped: typos and shorthand repaired, the careers' names left out."""
    corrected = analyse(question, advisor.retriever.vocabulary, advisor.synonyms).corrected
    named = advisor.careers.named(corrected)
    kept = [w for w in words(corrected) if word_form(w) not in named.words]
    return " ".join(kept) or corrected or question


def embed(advisor: Any, texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of `texts` from the advisor's query encoder; kept per process (a report
    asked again, e.g. /admin reloaded, embeds only the new questions)."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    model = (getattr(advisor.embedder, "name", ""), getattr(advisor.embedder, "weights_hash", ""))
    todo = list(dict.fromkeys(t for t in texts if (model, t) not in _VECTORS))
    if todo:
        if len(_VECTORS) + len(todo) > CACHED_VECTORS:
            _VECTORS.clear()
        vecs = np.asarray(advisor.embedder.encode_query(todo), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        for t, v in zip(todo, vecs / np.where(norms > 0, norms, 1.0), strict=True):
            _VECTORS[(model, t)] = v
    return np.stack([_VECTORS[(model, t)] for t in texts])


def group_by_meaning(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Complete-linkage groups of the rows of `vectors` (unit vectors): two groups join
    while the least alike pair across them is at least `threshold`. Each group lists its
    rows in order; groups come in order of their first row.

    >>> group_by_meaning(np.array([[1, 0], [0.96, 0.28], [0, 1]], dtype=np.float32))
    [[0, 1], [2]]
    """
    n = len(vectors)
    if n == 0:
        return []
    sim = (vectors @ vectors.T).astype(np.float32)
    np.fill_diagonal(sim, -np.inf)
    members: list[list[int]] = [[i] for i in range(n)]
    while True:
        a, b = divmod(int(np.argmax(sim)), n)
        if not sim[a, b] >= threshold:
            break
        row = np.minimum(sim[a], sim[b])  # complete linkage: the least alike pair
        sim[a, :] = row
        sim[:, a] = row
        sim[a, a] = -np.inf
        sim[b, :] = -np.inf
        sim[:, b] = -np.inf
        members[a] += members[b]
        members[b] = []
    return sorted((sorted(m) for m in members if m), key=lambda m: m[0])


@dataclass(frozen=True)
class Nearest:
    """The profile sentence most alike to a question, and its section."""

    doc: str
    section: str
    lines: tuple[int, int]
    text: str
    similarity: float

    @property
    def near(self) -> bool:
        return self.similarity >= NEARBY

    def to_dict(self) -> dict[str, Any]:
        return {"doc": self.doc, "section": self.section, "lines": list(self.lines), "text": self.text, "similarity": round(self.similarity, 3)}


def nearest_section(advisor: Any, question: str, careers: Sequence[str] = ()) -> tuple[Nearest | None, Any]:
    """Search the index by meaning for the sentence nearest `question` within `careers`
    (every career when none is known): it as a `Nearest`, and its unit (None, None when
    the index holds none)."""
    retriever = advisor.retriever
    rows = retriever.rows_of([c for c in careers if c in retriever.doc_rows] or None)
    if len(rows) == 0:
        return None, None
    vec = retriever.embed(analyse(question, retriever.vocabulary, advisor.synonyms).corrected)
    scores = retriever.unit_vecs[rows] @ vec
    i = int(np.argmax(scores))
    unit = retriever.units[int(rows[i])]
    return Nearest(unit.doc_id, unit.label, (unit.line, unit.last_line), unit.text, float(scores[i])), unit


def profile_word(advisor: Any, student_word: str, unit: Any, question: str) -> str | None:
    """The word of `unit` (its text and headings: a synonym lives where the question points)
    most alike to `student_word`, if alike enough."""
    asked = set(words(question))
    candidates = list(dict.fromkeys(w for w in words(" ".join([unit.text, *unit.section, unit.topic]))
                                    if len(w) > 2 and w.isalpha() and w not in STOPWORDS and w not in asked))
    if not candidates:
        return None
    vecs = embed(advisor, [student_word, *candidates])
    sims = vecs[1:] @ vecs[0]
    best = int(np.argmax(sims))
    return candidates[best] if sims[best] >= WORD_MATCH else None


def is_name(word: str, question: str) -> bool:
    """Whether `word` is written as a name in `question`: capitalised (not all capitals, which
    is an acronym) and not the question's first word."""
    tokens = re.findall(r"[^\W\d_][\w'-]*", question)
    return any(i > 0 and t.lower() == word.lower() and t[0].isupper() and not t.isupper() for i, t in enumerate(tokens))


def hint(advisor: Any, wordings: Sequence[str], missing: Sequence[str], nearest: Nearest | None, unit: Any,
         synonyms_file: Path | str) -> str:
    """What a counselor can do about an unanswered question (asked in `wordings`): a synonym
    line when the refusal named a word the profile lacks, a near section uses a word like it,
    and the word is not a name; otherwise a profile or a note."""
    if missing and nearest is not None and nearest.near and not any(is_name(missing[0], w) for w in wordings):
        word = profile_word(advisor, missing[0], unit, " ".join(wordings))
        if word:
            return f"add a synonym line: `{missing[0]}, {word}` to {synonyms_file}"
    return NOT_COVERED
