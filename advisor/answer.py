"""Ranked units → an extractive answer with citations, or an abstention.

Every sentence of an answer is a unit's text, copied; nothing here writes prose about
the topic. The abstention rules and their thresholds are documented on `Policy` and were
calibrated on eval/dev.jsonl (README, "Calibration").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.models import AnswerSentence, Citation, Unit, section_label
from advisor.question import Analysis, has_figure
from advisor.retrieval import Retriever, Scored


@dataclass(frozen=True)
class Policy:
    """When to answer, and how much to say.

    - `min_dense`: below this cosine between the question and its best unit, nothing in
      the profile is about the question (off-topic).
    - `min_total`: the same on the fused score.
    - `unknown_share`: when this share of the question's topic words never occurs in the
      profile (after typo repair and synonyms), the question is about something else
      ("dental hygienist", "colleges in Texas") unless the match is `sure_dense`.
    - figures: a question that asks for a number ("pass rate", "how much", "how long") is
      answered only by a sentence holding one.
    """

    min_dense: float = 0.36
    min_total: float = 0.62
    unknown_share: float = 0.34
    sure_dense: float = 0.62
    margin: float = 0.10  # extra sentences must score within this of the best
    aim_words: int = 60
    max_words: int = 150
    max_sentences: int = 3
    max_bullets: int = 8
    confident_total: float = 0.95  # confidence 1.0 at or above this fused score


@dataclass(frozen=True)
class Decision:
    units: tuple[Unit, ...]
    bullets: bool
    reason: str  # why it abstained; "" when it answers
    confidence: float


def _confidence(total: float, p: Policy) -> float:
    return float(np.clip((total - p.min_total) / (p.confident_total - p.min_total), 0.0, 1.0)) * 0.8 + (0.2 if total >= p.min_total else 0.0)


def decide(a: Analysis, s: Scored, r: Retriever, p: Policy) -> Decision:
    """Choose the units to answer with, or say why the profile does not cover it."""
    top = int(s.rows[0])
    best_total, best_dense = float(s.total[top]), float(s.dense[top])
    conf = _confidence(best_total, p)
    n_topical = max(len(a.focus), 1)
    if not a.focus and not a.followup:
        return Decision((), False, "no topic words", 0.0)
    if best_dense < p.min_dense or best_total < p.min_total:
        return Decision((), False, f"best match too weak (dense {best_dense:.2f}, fused {best_total:.2f})", conf)
    if a.unknown and len(a.unknown) / n_topical >= p.unknown_share and best_dense < p.sure_dense:
        return Decision((), False, f"the profile never mentions {', '.join(a.unknown)}", conf)
    if a.list_question:
        units = _list_units(s, r, p)
        if units:
            return Decision(tuple(units), True, "", conf)
    units = _prose_units(s, r, p)
    if a.figure_question and not any(has_figure(u.text) for u in units):
        with_figure = [int(i) for i in s.rows[:5] if has_figure(r.unit(int(i)).text) and s.total[int(i)] >= best_total - p.margin]
        if not with_figure:
            return Decision((), False, "the profile gives no figure for this", conf)
        units = [r.unit(with_figure[0])] + [u for u in units if u.unit_id != r.unit(with_figure[0]).unit_id][:1]
    return Decision(tuple(units), False, "", conf)


def _prose_units(s: Scored, r: Retriever, p: Policy) -> list[Unit]:
    top = int(s.rows[0])
    best = float(s.total[top])
    chosen = [r.unit(top)]
    words = len(chosen[0].text.split())
    for i in s.rows[1:8]:
        u = r.unit(int(i))
        if float(s.total[int(i)]) < best - p.margin or len(chosen) >= p.max_sentences:
            break
        if u.kind == "bullet" and chosen[0].kind != "bullet" and u.chunk_id != chosen[0].chunk_id:
            continue
        n = len(u.text.split())
        if words + n > p.aim_words:
            continue
        chosen.append(u)
        words += n
    return chosen


def _list_units(s: Scored, r: Retriever, p: Policy) -> list[Unit]:
    """The bullets of the best-matching list, best first."""
    best_total = float(s.total[int(s.rows[0])])
    for i in s.rows[:6]:
        u = r.unit(int(i))
        if u.kind != "bullet" or float(s.total[int(i)]) < best_total - 2 * p.margin:
            continue
        rows = [int(j) for j in s.rows if r.unit(int(j)).chunk_id == u.chunk_id]
        return [r.unit(j) for j in rows[: p.max_bullets]]
    return []


def cite(units: tuple[Unit, ...], bullets: bool, texts: dict[str, str]) -> tuple[list[AnswerSentence], list[Citation]]:
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
            Citation(n, first.doc_id, section_label(first.section), (first.line, last.line), first.start, last.end, doc_text[first.start : last.end])
        )
        sentences.extend(AnswerSentence(u.text, n, bullets) for u in group)
        group.clear()

    for u in units:
        if group and not (
            u.chunk_id == group[-1].chunk_id and (bullets or u.position == group[-1].position + 1)
        ):
            flush()
        group.append(u)
    flush()
    return sentences, citations


def render(sentences: list[AnswerSentence]) -> str:
    """Plain answer text with [n] markers: bullets one a line, sentences run on."""
    if sentences and sentences[0].bullet:
        return "\n".join(f"- {s.text} [{s.citation}]" for s in sentences)
    return " ".join(f"{s.text} [{s.citation}]" for s in sentences)
