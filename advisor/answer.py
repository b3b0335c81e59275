"""Ranked units → an extractive answer with citations, or an abstention.

Every sentence of an answer is a unit's text, copied; nothing here writes prose about
the topic. The abstention rules and their thresholds are documented on `Policy` and were
calibrated on eval/dev.jsonl (README, "Calibration").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from advisor.entities import uncovered_entities
from advisor.models import AnswerSentence, Citation, Unit, section_label
from advisor.question import Analysis, has_figure
from advisor.retrieval import Retriever, Scored


@dataclass(frozen=True)
class Policy:
    """When to answer, and how much to say.

    - `min_dense` / `min_total`: below these (cosine of the best unit, fused score of the
      best unit) nothing in the profile is about the question (off-topic). When half or
      more of the question's topic words never occur in the profile (after typo repair
      and synonyms), the fused score must reach `unfamiliar_total` instead.
    - named things: a place or another career the question names and the profile never
      mentions ("colleges in Texas", "become a dental hygienist") → not covered.
    - figures: a question that asks for a number ("pass rate", "how much", "how long") is
      answered only by a sentence that holds one.
    - names: "which colleges/hospitals…" is answered only by a sentence that names one.
    """

    min_dense: float = 0.20
    min_total: float = 0.47
    unfamiliar_share: float = 0.5  # this share of topic words unknown to the profile…
    unfamiliar_total: float = 0.50  # …asks for this fused score instead
    margin: float = 0.15  # extra sentences must score within this of the best
    aim_words: int = 60
    max_words: int = 150
    max_sentences: int = 3
    max_bullets: int = 8
    list_words: int = 100  # a list answer stops adding bullets past this many words
    confident_total: float = 0.95  # confidence 1.0 at or above this fused score


@dataclass(frozen=True)
class Decision:
    units: tuple[Unit, ...]
    reason: str  # why it abstained; "" when it answers
    confidence: float


_NAMES_ASKED = re.compile(
    r"\b(?:which|name|names of|best|top|good|recommended|cheapest)\s+(?:[a-z]+\s+)?(?:colleges?|universit(?:y|ies)|schools?|hospitals?|compan(?:y|ies)|employers?|clinics?|cities|city|states?)\b",
    re.I,
)
_HOW_WHY = re.compile(r"^\s*(?:how|why|what should|what do i|can i|could i|should i)\b", re.I)
_PROPER_NAME = re.compile(r"\b[A-Z]{2,}\b|(?<!^)(?<![.!?] )\b[A-Z][a-z]+(?:\s+(?:of|on|in|for|and|the)?\s*[A-Z][a-z]+)+")


def _confidence(total: float, p: Policy) -> float:
    if total < p.min_total:
        return round(0.5 * max(total, 0.0) / p.min_total, 4)
    return round(0.5 + 0.5 * min(1.0, (total - p.min_total) / (p.confident_total - p.min_total)), 4)


def decide(a: Analysis, s: Scored, r: Retriever, p: Policy, corpus_lower: str) -> Decision:
    """Choose the units to answer with, or say why the profile does not cover it."""
    top = int(s.rows[0])
    best_total, best_dense = float(s.total[top]), float(s.dense[top])
    conf = _confidence(best_total, p)
    missing = uncovered_entities(a.text + " " + (a.previous if a.followup and len(a.focus) <= 2 else ""), corpus_lower)
    if missing:
        return Decision((), f"the profile never mentions {', '.join(missing)}", min(conf, 0.3))
    if a.followup and a.all_unknown and a.marker:
        return Decision((), f"the profile never mentions {', '.join(a.unknown)}", min(conf, 0.3))
    unfamiliar = bool(a.focus) and len(a.unknown) / len(a.focus) >= p.unfamiliar_share
    needed = p.unfamiliar_total if unfamiliar else p.min_total
    if best_dense < p.min_dense or best_total < needed:
        return Decision((), f"best match too weak (dense {best_dense:.2f}, fused {best_total:.2f} < {needed:.2f})", conf)
    units = _list_units(s, r, p) if a.list_question else []
    if not units:
        units = _with_list(_prose_units(s, r, p, bool(_HOW_WHY.match(a.text))), s, r, p)
    if a.figure and any(has_figure(u.text, a.figure) for u in units):
        units = [u for u in units if has_figure(u.text, a.figure)]  # a number was asked: keep the sentences with one
    elif a.figure:
        figured = [r.unit(int(i)) for i in s.rows[:5] if has_figure(r.unit(int(i)).text, a.figure) and s.total[int(i)] >= best_total - p.margin]
        if not figured:
            return Decision((), "the profile gives no figure for this", min(conf, 0.3))
        units = [figured[0]] + [u for u in units if u.unit_id != figured[0].unit_id][:1]
    if _NAMES_ASKED.search(a.text) and not any(_PROPER_NAME.search(u.text) for u in units):
        return Decision((), "the profile names none", min(conf, 0.3))
    return Decision(tuple(_capped(list(units), p.max_words)), "", conf)


def section_answer(s: Scored, r: Retriever, p: Policy, doc_id: str, section: tuple[str, ...]) -> Decision:
    """Answer one of our own section questions from that section: its list (with its
    introduction) or its best sentences. No abstention: the section is known to exist."""
    rows = np.array([i for i in s.rows if r.unit(int(i)).doc_id == doc_id and r.unit(int(i)).section == section])
    if not len(rows):
        return Decision((), "that section is not in the index", 0.0)
    within = replace(s, rows=rows)
    units = _list_units(within, r, p) or _with_list(_prose_units(within, r, p), within, r, p)
    return Decision(tuple(_capped(units, p.max_words)), "", 1.0)


def _prose_units(s: Scored, r: Retriever, p: Policy, how_or_why: bool = False) -> list[Unit]:
    """The best unit, then neighbours in score within the margin and the word budget.
    A bare noun-phrase bullet ("Magnetic Resonance Imaging (MRI)") says little on its
    own, so the best sentence within twice the margin joins it."""
    top = int(s.rows[0])
    best = float(s.total[top])
    chosen = [r.unit(top)]
    words = len(chosen[0].text.split())
    terse = chosen[0].kind == "bullet" and words <= 6
    reach = 3 * p.margin if terse and how_or_why else 2 * p.margin
    for i in s.rows[1:10]:
        u = r.unit(int(i))
        score = float(s.total[int(i)])
        # "Stress Level: Moderate" is a fact, not a sentence: facts do not use up the sentence slots
        if sum(c.kind != "key_value" for c in chosen) >= p.max_sentences or score < best - reach:
            break
        if score < best - p.margin and not (terse and u.kind == "sentence" and len(chosen) == 1):
            continue
        if u.kind == "bullet" and chosen[0].kind != "bullet" and u.chunk_id != chosen[0].chunk_id:
            continue
        n = len(u.text.split())
        if words + n > p.aim_words:
            continue
        chosen.append(u)
        words += n
    return chosen


def _list_units(s: Scored, r: Retriever, p: Policy) -> list[Unit]:
    """The bullets of the best-matching list, best first, after the list's own
    introduction when it has one, or after the best sentence when a sentence outscores
    every bullet (a sentence can hold a list too).

    A list matches by its heading ("technical skills" → Tech Skills), its whole text
    (the chunk vector) and its best bullets (or introduction)."""
    top = int(s.rows[0])
    best_total = float(s.total[top])
    lists: dict[str, list[int]] = {}
    intro_row: dict[str, int] = {}
    for i in s.rows:
        u = r.unit(int(i))
        if u.kind == "bullet":
            lists.setdefault(u.chunk_id, []).append(int(i))
        elif u.chunk_id in r.intro_of:
            intro_row.setdefault(r.intro_of[u.chunk_id], int(i))
    if not lists:
        return []

    def list_score(cid: str) -> float:
        rows = lists[cid]
        top3 = sum(float(s.total[j]) for j in rows[:3]) / len(rows[:3])
        # an introduction ("Tools and … skills essential for…") speaks for its list, but
        # generically: it counts half, beside the list's own best bullets
        body = (top3 + float(s.total[intro_row[cid]])) / 2 if cid in intro_row else top3
        return float(s.chunk[rows[0]]) + body + r.heading_similarity(s.query, cid)

    cid = max(lists, key=list_score)
    rows = lists[cid]
    lead_row = intro_row.get(cid, rows[0])
    if max(float(s.total[rows[0]]), float(s.total[lead_row])) < best_total - 2 * p.margin:
        return []
    bullets = _capped([r.unit(j) for j in rows[: p.max_bullets]], p.list_words)
    if cid in intro_row and float(s.total[intro_row[cid]]) >= best_total - p.margin:
        return [r.unit(intro_row[cid])] + bullets
    lead = r.unit(top)
    if lead.kind != "bullet" and lead.chunk_id not in r.intro_of and best_total > float(s.total[rows[0]]):
        return [lead] + bullets
    return bullets


def _with_list(units: list[Unit], s: Scored, r: Retriever, p: Policy) -> list[Unit]:
    """A list's introduction alone says little: follow it with the list's bullets."""
    if not units or units[0].chunk_id not in r.intro_of:
        return units
    list_id = r.intro_of[units[0].chunk_id]
    bullets = [r.unit(int(i)) for i in s.rows if r.unit(int(i)).chunk_id == list_id]
    return [units[0]] + _capped(bullets[: p.max_bullets], p.list_words - len(units[0].text.split()))


def _capped(units: list[Unit], budget: int) -> list[Unit]:
    """As many units as fit in `budget` words as rendered (a "[n]" marker each, a "-" for
    a bullet), always at least one."""
    out: list[Unit] = []
    words = 0
    for u in units:
        n = len(u.text.split()) + (2 if u.kind == "bullet" else 1)
        if out and words + n > budget:
            break
        out.append(u)
        words += n
    return out


def cite(units: tuple[Unit, ...], texts: dict[str, str]) -> tuple[list[AnswerSentence], list[Citation]]:
    """Number the sources: bullets of one list share a citation, as do neighbouring
    sentences of one paragraph that follow each other in the answer."""
    citations: list[Citation] = []
    sentences: list[AnswerSentence] = []
    group: list[Unit] = []

    def flush() -> None:
        if not group:
            return
        first = min(group, key=lambda u: u.start)
        last = max(group, key=lambda u: u.end)
        doc_text = texts[first.doc_id]
        n = len(citations) + 1
        citations.append(
            Citation(n, first.doc_id, section_label(first.section), (first.line, last.last_line), first.start, last.end, doc_text[first.start : last.end])
        )
        sentences.extend(AnswerSentence(u.text, n, u.kind == "bullet") for u in group)
        group.clear()

    for u in units:
        if group and not (
            u.chunk_id == group[-1].chunk_id and (u.kind == "bullet" or u.position == group[-1].position + 1)
        ):
            flush()
        group.append(u)
    flush()
    return sentences, citations


def render(sentences: list[AnswerSentence]) -> str:
    """Plain answer text with [n] markers: sentences run on, bullets one a line."""
    lines: list[str] = []
    prose: list[str] = []
    for x in sentences:
        text = " ".join(x.text.split())  # a sentence wrapped over lines in the source reads as one line
        if x.bullet:
            if prose:
                lines.append(" ".join(prose))
                prose = []
            lines.append(f"- {text} [{x.citation}]")
        else:
            prose.append(f"{text} [{x.citation}]")
    if prose:
        lines.append(" ".join(prose))
    return "\n".join(lines)
