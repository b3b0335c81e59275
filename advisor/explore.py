"""Questions across careers: "which careers need no degree?", "what can I do if I like
being outdoors?", "jobs in healthcare that pay well".

Such a question names no career and asks about careers in general. The reply is a short
ranked list of the careers whose profiles answer it best: each career's title and its one
best-matching sentence, quoted with its citation, and each offered as a follow-up ("Tell
me more about Dental Assistants"). Besides comparisons it is the only answer that holds
several careers, and every part is labelled with its career.

    >>> asks_across_careers("what jobs can I do if I like being outdoors?")
    True
    >>> asks_across_careers("what do dental assistants do?")
    False
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from advisor.models import Unit
from advisor.retrieval import Retriever, Scored
from advisor.text import word_form

LISTED = 5  # careers in one reply
_MANY = r"(?:careers|jobs|occupations|professions|fields|trades|lines of work|kinds of work|types of work)"
_EXPLORE = re.compile(
    rf"\b(?:which|what|any|some|good|best|top|list|name)\s+(?:[\w-]+\s+){{0,3}}?{_MANY}\b"  # "which careers…", "what healthcare jobs…"
    r"|\b(?:which|what) (?:career|job|trade|profession|occupation) (?:should|could|would|can|fits|suits|is best|is good)\b"
    rf"|\b{_MANY}\s+(?:that|which|where|with|without|for|in|working|involving|who)\b"  # "jobs where you…", "careers in healthcare"
    r"|\bwhat (?:can|could|should) (?:i|you|someone) (?:do|be|become|study)\b.*\b(?:if|when|since|because)\b"  # "what can I do if I like…"
    r"|\bcareers? for (?:someone|people|a person)\b",
    re.I,
)
# "what jobs do dental assistants do?" is about one career: its duties, not other jobs
# ("which jobs do you need a license for?" asks across careers: the student is the subject)
_ONE_CAREER = re.compile(r"\b(?:what|which) (?:jobs?|work|tasks?) (?:do|does|did|will|would)\b(?! (?:you|u|i|we|people|someone|ppl)\b)", re.I)


_KINDS_OF = re.compile(r"\b(?:what|which|how many|any)\s+(?:other\s+|different\s+)?(?:kinds?|types?|sorts?)\s+of\s+([\w-]+)(?:\s+([\w-]+))?", re.I)


def asks_kinds_of(text: str, workers: AbstractSet[str]) -> bool:
    """"What kinds of engineers are there?": the careers of one kind of worker (`workers`:
    the word forms that named careers), not "what kind of degree do engineers need?"."""
    return any(word_form(w.lower()) in workers for m in _KINDS_OF.finditer(text) for w in m.groups() if w)


def asks_across_careers(text: str) -> bool:
    """Whether the question asks about careers in general rather than one career."""
    return bool(_EXPLORE.search(text)) and not _ONE_CAREER.search(text)


@dataclass(frozen=True)
class Pick:
    """One career of the list: its best unit and that unit's score."""

    career: str
    unit: Unit
    score: float


def explore(s: Scored, r: Retriever, canonical: dict[str, str], terse_words: int, n: int = LISTED) -> list[Pick]:
    """The careers whose units rank best in a catalogue search, one per title, each with
    its best unit (a sentence or a fact; a bullet of `terse_words` or fewer, a bare noun
    phrase, says too little)."""
    picks: dict[str, Pick] = {}
    for i in s.rows[:400]:
        u = r.unit(int(i))
        c = canonical.get(u.doc_id, u.doc_id)
        if c in picks or (u.kind in ("bullet", "row") and len(u.text.split()) <= terse_words):
            continue
        picks[c] = Pick(c, u, float(s.total[int(i)]))
        if len(picks) >= n:
            break
    return sorted(picks.values(), key=lambda p: -p.score)


def strength(picks: list[Pick]) -> float:
    """How well the best career's passage answers (its fused score): below the
    advisor's weakest answer the catalogue does not cover the question."""
    return float(np.max([p.score for p in picks])) if picks else 0.0
