"""Ranked units of one career → the best extractive answer it can give (`Candidate`), with
the signals of how well it fits the question, and citations.

Every sentence of an answer is a unit's text, copied; nothing here writes prose about
the topic, and nothing here refuses: `advisor.decision` weighs the signals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

import numpy as np

from advisor.models import AnswerSentence, Citation, Document, Unit
from advisor.question import Analysis, has_figure
from advisor.retrieval import Retriever, Scored
from advisor.spelling import zipf
from advisor.text import located, stem, word_form, words
from advisor.vocabulary.synonyms import Synonyms


@dataclass(frozen=True)
class Policy:
    """How much an answer says, and how the signals of `Candidate` are read. Whether it
    is given at all is the calibrated decision's (`advisor.decision`), not a rule here.

    - missing words: a name ("Texas") or a word that is not everyday English (Zipf
      frequency below `rare_zipf`: "hygienist", "sonographer") that the career's profile never
      uses, nor any synonym of it, is a key missing word (`n_key`); an everyday one (below
      `everyday_zipf`: "insurance", "pregnant") is another (`n_other`), which matters when
      the answer shares no other topic word with the question (`unanchored`).
    - figures: a question that asks for a number ("pass rate", "how much", "how long") is
      answered from the sentences that hold one, when there are any (`figure_missing` else).
    - `min_total`: a question across careers whose best passage scores below this (the
      fused score of the weakest answers) is not covered by the catalogue.
    """

    min_total: float = 0.47
    rare_zipf: float = 3.0
    everyday_zipf: float = 5.0
    margin: float = 0.2  # extra sentences must score within this of the best
    aim_words: int = 60
    max_words: int = 150
    max_sentences: int = 3
    max_bullets: int = 8
    list_words: int = 100  # a list answer stops adding bullets past this many words
    terse_words: int = 6  # a bullet this short is a noun phrase, not an answer on its own (`terse`)
    answer_all: bool = False  # give every candidate answer, with its probability (to collect rows for `eval/fit.py`)


@dataclass(frozen=True)
class Selection:
    """Units chosen for an answer that needs no decision (a profile's opening, one of our own section questions)."""

    units: tuple[Unit, ...]
    reason: str  # why it abstained; "" when it answers
    confidence: float
    missing: tuple[str, ...] = ()


_NAMES_ASKED = re.compile(
    r"\b(?:which|what|name|names of|best|top|good|recommended|cheapest)\s+(?:[a-z]+\s+)?(?:colleges?|universit(?:y|ies)|unis?|schools?|hospitals?|compan(?:y|ies)|employers?|clinics?|cities|city|states?|brands?|programs?)\b"
    r"(?!\s+(?:do|does|should|must|would)\b)",
    re.I,
)
_HOW_WHY = re.compile(r"^\s*(?:how|why|what should|what do i|can i|could i|should i)\b", re.I)
_PROPER_NAME = re.compile(r"\b[A-Z]{2,}\b|(?<!^)(?<![.!?] )\b[A-Z][a-z]+(?:\s+(?:of|on|in|for|and|the)?\s*[A-Z][a-z]+)+")
_LIST_KINDS = ("bullet", "row")
# the first cell of a row of a list or table names what the row is about ("New Mexico |
# Share of jobs: 2.5", "Area: Greater Manchester | Minimum: …"): a name, even at the start
_ROW_NAME = re.compile(r"^(?:[A-Z][a-z]+:\s)?[A-Z][a-z]+(?:\s+(?:of|and|&)?\s*[A-Z][a-z]+)*\s\|")
# A sentence that compares: "more … than", "unlike", "whereas", "differ", "-er than".
_COMPARES = re.compile(r"\b(?:than|unlike|whereas|compared|comparison|differ\w*|versus|vs\.?|while|rather|instead|similar|same as|both)\b", re.I)


@dataclass(frozen=True)
class Gaps:
    """Words of a question that the careers' profiles never use, directly or through a
    synonym. `key`: names ("Texas", "SAG-AFTRA") and words that are not everyday English
    ("tesla", "hygienist"): the profile does not cover the question. `other`: everyday
    words ("insurance", "glasses"): the answer must then share another topic word with
    the question, or it is not about what was asked. `anchors`: the question's topic
    words the profile does use, with their synonyms."""

    key: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    anchors: frozenset[str] = frozenset()
    names: tuple[str, ...] = ()  # the key words that are names (a place, a body: "Norway", "london")
    known_names: tuple[str, ...] = ()  # the question's names the profile does use somewhere


_NAME_WORD = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[-'][A-Za-z]+)?\b|\b[A-Z]{2,}\b")


def find_gaps(a: Analysis, r: Retriever, careers: Sequence[str] | None, p: Policy, names: set[str], synonyms: Synonyms) -> Gaps:
    """What the question asks about that the profiles lack (see `Gaps` and `Policy`)."""
    understood: set[str] = set()
    for m in a.matches:  # a word is understood when the profile uses another word of its rule
        if any(all(r.knows(w, careers) for w in words(t)) for t in (*m.rule.sources, *m.rule.targets)):
            understood.update(m.matched.split())
    key: list[str] = []
    other: list[str] = []
    named: list[str] = []
    known_names: list[str] = []  # names the profile does use ("California" in a table of states)
    anchors: set[str] = set()
    # names: words the student capitalised mid-question, and words the profiles only ever
    # spell as names ("in london": the profiles write London)
    capitalised = {m.group(0).lower() for m in _NAME_WORD.finditer(a.corrected) if m.group(0) != "I"} | (set(a.topical) & r.proper)
    capitalised |= set(a.topical) & r.cities & located(a.corrected)  # "in houston": a city, though "reading" is a word too
    for w in a.topical:
        if w in names or word_form(w) in names:
            continue
        # a clipped word is the profile's word it starts ("fluoro" for fluoroscopy), as a
        # name is ("East" for Eastern); an everyday word is not ("hard" is no "hardware")
        clipped = (w in capitalised or 0 < zipf(w) < p.rare_zipf) and r.knows_prefix(w, careers)
        if word_form(w) in understood or r.knows(w, careers) or clipped:
            anchors.add(stem(w))
            anchors.update(stem(x) for x in synonyms.related(w))
            if w in capitalised and r.knows(w, careers):
                known_names.append(w)
            continue
        if not w.isalpha():
            continue
        z = zipf(w)
        if w in capitalised or 0 < z < p.rare_zipf:
            key.append(w)
            if w in capitalised:
                named.append(w)
        elif 0 < z < p.everyday_zipf:
            other.append(w)
    return Gaps(tuple(key), tuple(other), frozenset(anchors), tuple(named), tuple(known_names))


# Units a figure is given in: "how much do they make a year" asks for money, not about years
_UNITS = frozenset(stem(w) for w in "year years yearly annual annually hour hours hourly month months monthly week weeks weekly day days daily".split())


def _anchored(units: Sequence[Unit], anchors: frozenset[str]) -> bool:
    """Whether the answer shares a topic word (or a synonym of one) with the question."""
    return any(stem(w) in anchors for u in units for w in words(u.text + " " + " ".join(u.section) + " " + u.topic))


@dataclass(frozen=True)
class Candidate:
    """The best answer a profile can give, and what is known about how well it fits the
    question: `signals` (named numbers, see `advisor.decision.FEATURES`) feed the one
    calibrated answer-or-refuse decision; nothing here refuses."""

    units: tuple[Unit, ...]
    signals: dict[str, float]
    missing: tuple[str, ...] = ()  # the question's words the profile lacks that matter most


def candidate(a: Analysis, s: Scored, r: Retriever, p: Policy, gaps: Gaps = Gaps(), drop: AbstractSet[str] = frozenset(),  # noqa: B008
              synonyms: Synonyms | None = None) -> Candidate:
    """Choose the units to answer with, and measure the fit."""
    if not len(s.rows):
        return Candidate((), {"empty": 1.0})
    top = int(s.rows[0])
    best_total, best_dense = float(s.total[top]), float(s.dense[top])
    second = float(s.total[int(s.rows[1])]) if len(s.rows) > 1 else 0.0
    sig: dict[str, float] = {"total": best_total, "dense": best_dense, "margin": best_total - second, "lexical": float(s.lexical[top]),
                             "n_key": float(len(gaps.key)), "n_other": float(len(gaps.other)), "followup": float(a.followup)}
    figure_missing = figure_elsewhere = 0.0
    if a.figure:
        # a number was asked: choose among the sentences that hold one ("how much do they
        # earn?" is answered by "The median wage … was $41,000", not by what a
        # median wage is), near enough to the best match
        near = [int(i) for i in s.rows[:20] if float(s.total[int(i)]) >= best_total - 2 * p.margin and has_figure(r.unit(int(i)).text, a.figure)]
        if near:
            figured = replace(s, rows=np.array(near, dtype=np.int64))
            units = _with_list(_prose_units(figured, r, p), figured, r, p)
            # a figure about what was asked: "what percent of students pass" is not answered by
            # a percent of earnings (the words asking for the figure, "percent", do not count)
            about = gaps.anchors - {stem(w) for w in a.figure_words} - _UNITS
            if a.figure in ("rate", "count") and about and not _anchored([u for u in units if has_figure(u.text, a.figure)], about):
                figure_elsewhere = 1.0
        else:
            figure_missing = 1.0
            units = _with_list(_prose_units(s, r, p), s, r, p)
    else:
        units = _list_units(s, r, p) if a.list_question else []
        if not units:
            units = _with_list(_prose_units(s, r, p, bool(_HOW_WHY.match(a.text))), s, r, p)
    names_asked = bool(_NAMES_ASKED.search(a.text))
    terse = not a.list_question and all(_terse(u, p) for u in units)
    sig.update({
        "figure_asked": float(bool(a.figure)), "figure_missing": figure_missing, "figure_elsewhere": figure_elsewhere,
        "names_asked": float(names_asked), "names_missing": float(names_asked and not any(map(_names_some, units))),
        "compare_asked": float(a.compare), "compare_missing": float(a.compare and not any(_COMPARES.search(u.text) for u in units)),
        "list_asked": float(a.list_question), "terse": float(terse), "terse_open": float(terse and not a.yes_no),
        "unanchored": float(bool(gaps.other) and not _anchored(units, gaps.anchors)),
        "coverage": _coverage(a, units, drop, synonyms), "topical": float(len([t for t in a.focus if t not in drop])),
    })
    gap = float(bool(gaps.key or gaps.other))
    sig["terse_gap"] = sig["terse"] * gap  # a list of things, and a word of the question it never mentions
    sig["gap_uncovered"] = gap * (1.0 - sig["coverage"])
    # a word the profile lacks that names a place or a body ("… in Norway?", "in london",
    # which the profiles spell London): no nearby sentence answers for it
    sig["name_gap"] = float(bool(gaps.names))
    # a name the profile uses that the answer does not ("… in California?" answered with the
    # national figures, beside a table that has a row for California)
    said = {stem(w) for u in units for w in words(u.text + " " + " ".join(u.section))}
    sig["name_unanswered"] = float(any(stem(w) not in said for w in gaps.known_names))
    sig["list_margin"] = sig["margin"] * sig["list_asked"]  # a list's sentences are alike: its margin says less
    head = units[0].section if units else ()
    sig["same_section"] = sum(u.section == head for u in units) / len(units) if units else 0.0
    sig["top3_dense"] = float(np.mean([float(s.dense[int(i)]) for i in s.rows[:3]]))
    # the answer's type: facts of a report or a table ("Salary starter: 24907") rather than
    # sentences; a short fact matches many questions about its label that it does not answer
    sig["fact_share"] = sum(u.kind in ("key_value", "row") for u in units) / len(units) if units else 0.0
    missing = gaps.key or (gaps.other if sig["unanchored"] else ())
    return Candidate(tuple(_capped(list(units), p.max_words)), sig, tuple(missing))


def _names_some(u: Unit) -> bool:
    """Whether a unit names something: a proper name (not a sentence's first word), or the
    first cell of a row."""
    return bool(_PROPER_NAME.search(u.text) or (u.kind in _LIST_KINDS and _ROW_NAME.match(u.text)))


def _coverage(a: Analysis, units: Sequence[Unit], drop: AbstractSet[str], synonyms: Synonyms | None = None) -> float:
    """The share of the question's topic words (less the career's own names) that the
    answer's text or headings use, themselves or through a synonym ("pay" → "wage")."""
    asked = [w for w in a.topical if stem(w) not in drop and w not in drop]
    if not asked:
        return 1.0
    have = {stem(w) for u in units for w in words(u.text + " " + " ".join(u.section) + " " + u.topic)}

    def covered(w: str) -> bool:
        return stem(w) in have or bool(synonyms and any(stem(x) in have for x in synonyms.related(w)))

    return sum(covered(w) for w in asked) / len(asked)


def _terse(u: Unit, p: Policy) -> bool:
    return u.kind in _LIST_KINDS and len(u.text.split()) <= p.terse_words


def overview_answer(r: Retriever, p: Policy, doc_id: str, conf: float = 1.0) -> Selection:
    """A question about the career as a whole ("what do actors do?"): the profile's
    opening sentences, which say what the career is."""
    rows = r.doc_rows.get(doc_id)
    if rows is None or not len(rows):
        return Selection((), "the profile has no text", 0.0)
    units = [r.unit(int(i)) for i in rows]
    # a fact whose value is a sentence says what the career is as well (a report's "What
    # they do: …", a whole sentence); "Salary starter: 24907" does not
    sentences = [u for u in units if u.kind == "sentence" or (u.kind == "key_value" and _sentence_value(u.text))] or units
    # the sentence that stands first in the text (a page summary's copy counts)
    first = min(sentences, key=lambda u: min([u.start] + [a[0] for a in u.also]))
    lede = [first] + [u for u in units if u.chunk_id == first.chunk_id and u.position == first.position + 1 and u.kind == "sentence"]
    return Selection(tuple(_capped(lede, p.aim_words)), "", conf)


def _sentence_value(text: str) -> bool:
    value = text.split(": ", 1)[-1].strip()
    return len(value.split()) >= 6 and value[-1:] in ".!?"


def section_answer(s: Scored, r: Retriever, p: Policy, doc_id: str, section: tuple[str, ...]) -> Selection:
    """Answer one of our own section questions from that section: its list (with its
    introduction) or its best sentences. No abstention: the section is known to exist."""
    rows = np.array([i for i in s.rows if r.unit(int(i)).doc_id == doc_id and r.unit(int(i)).section == section], dtype=np.int64)
    if not len(rows):
        return Selection((), "that section is not in the index", 0.0)
    within = replace(s, rows=rows)
    units = _list_units(within, r, p) or _with_list(_prose_units(within, r, p), within, r, p)
    return Selection(tuple(_capped(units, p.max_words)), "", 1.0)


def _same(a: Unit, b: Unit) -> bool:
    """Nearly the same sentence (a summary's version of a body sentence)."""
    wa, wb = set(words(a.text)), set(words(b.text))
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.8


def _prose_units(s: Scored, r: Retriever, p: Policy, how_or_why: bool = False) -> list[Unit]:
    """The best unit, then neighbours in score within the margin and the word budget.
    A bare noun-phrase bullet ("Welding torches") says little on its
    own, so the best sentence within twice the margin joins it."""
    top = int(s.rows[0])
    best = float(s.total[top])
    chosen = [r.unit(top)]
    n_words = len(chosen[0].text.split())
    terse = _terse(chosen[0], p)
    reach = 3 * p.margin if terse and how_or_why else 2 * p.margin
    for i in s.rows[1:10]:
        u = r.unit(int(i))
        score = float(s.total[int(i)])
        # "Stress Level: Moderate" is a fact, not a sentence: facts do not use up the sentence slots
        if sum(c.kind != "key_value" for c in chosen) >= p.max_sentences or score < best - reach:
            break
        if score < best - p.margin and not (terse and u.kind == "sentence" and len(chosen) == 1):
            continue
        if u.kind in _LIST_KINDS and chosen[0].kind not in _LIST_KINDS and u.chunk_id != chosen[0].chunk_id:
            continue
        if any(_same(u, c) for c in chosen):
            continue
        n = len(u.text.split())
        if n_words + n > p.aim_words:
            continue
        chosen.append(u)
        n_words += n
    return chosen


def _list_units(s: Scored, r: Retriever, p: Policy) -> list[Unit]:
    """The bullets (or table rows) of the best-matching list, after the list's own
    introduction when it has one, or after the best sentence when a sentence outscores
    every bullet (a sentence can hold a list too). Bullets come in source order.

    A list matches by its heading ("technical skills" → Tech Skills), its whole text
    (the chunk vector) and its best bullets (or introduction)."""
    top = int(s.rows[0])
    best_total = float(s.total[top])
    lists: dict[str, list[int]] = {}
    intro_row: dict[str, int] = {}
    for i in s.rows:
        u = r.unit(int(i))
        if u.kind in _LIST_KINDS:
            lists.setdefault(u.chunk_id, []).append(int(i))
        elif u.unit_id in r.intro_of:
            intro_row.setdefault(r.intro_of[u.unit_id], int(i))
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
    bullets = _in_source_order(_capped([r.unit(j) for j in rows[: p.max_bullets]], p.list_words))
    if cid in intro_row and float(s.total[intro_row[cid]]) >= best_total - p.margin:
        return [r.unit(intro_row[cid])] + bullets
    lead = r.unit(top)
    if lead.kind not in _LIST_KINDS and lead.unit_id not in r.intro_of and best_total > float(s.total[rows[0]]):
        return [lead] + bullets
    return bullets


def _in_source_order(units: list[Unit]) -> list[Unit]:
    return sorted(units, key=lambda u: u.position)


def _with_list(units: list[Unit], s: Scored, r: Retriever, p: Policy) -> list[Unit]:
    """A list's introduction alone says little: follow it with the list's bullets (the
    other sentences chosen stay, before it). A table row is read under its table's caption."""
    if not units:
        return units
    intro = next((u for u in units if u.unit_id in r.intro_of), None)
    if intro is not None:
        list_id = r.intro_of[intro.unit_id]
        before = [u for u in units if u is not intro and u.chunk_id != list_id]
        budget = p.list_words - sum(len(u.text.split()) for u in before + [intro])
        bullets = [r.unit(int(i)) for i in s.rows if r.unit(int(i)).chunk_id == list_id]
        return before + [intro] + _in_source_order(_capped(bullets[: p.max_bullets], max(budget, 12)))
    lead = units[0]
    if lead.kind == "row":
        caption = r.intro_for.get(lead.chunk_id)
        rows = [u for u in units if u.kind == "row" and u.chunk_id == lead.chunk_id]
        if caption is not None:
            cap = r.unit_by_id(caption)
            return [cap] + _in_source_order(rows) + [u for u in units if u not in rows and u.unit_id != caption]
    return units


def _capped(units: list[Unit], budget: int) -> list[Unit]:
    """As many units as fit in `budget` words as rendered (a "[n]" marker each, a "-" for
    a bullet), always at least one."""
    out: list[Unit] = []
    n_words = 0
    for u in units:
        n = len(u.text.split()) + (2 if u.kind in _LIST_KINDS else 1)
        if out and n_words + n > budget:
            break
        out.append(u)
        n_words += n
    return out


def cite(units: Sequence[Unit], documents: dict[str, Document], part: str = "", first: int = 1) -> tuple[list[AnswerSentence], list[Citation]]:
    """Number the sources: units that stand next to each other in the document (the
    bullets of one list, sentences of one paragraph) and follow each other in the answer
    share a citation, which quotes exactly them, with their own lines."""
    citations: list[Citation] = []
    sentences: list[AnswerSentence] = []
    group: list[Unit] = []

    def flush() -> None:
        if not group:
            return
        doc = documents[group[0].doc_id]
        head, tail = group[0], group[-1]
        start = doc.text.rfind("\n", 0, head.start) + 1 if head.kind in _LIST_KINDS else head.start
        n = first + len(citations)
        citations.append(Citation(n, head.doc_id, head.label, (head.line, tail.last_line), start, tail.end, doc.text[start : tail.end], doc.title))
        sentences.extend(AnswerSentence(u.text, n, u.kind, part) for u in group)
        group.clear()

    for u in units:
        if group and not (u.chunk_id == group[-1].chunk_id and u.position == group[-1].position + 1):
            flush()
        group.append(u)
    flush()
    return sentences, citations


def render(sentences: Sequence[AnswerSentence]) -> str:
    """Plain answer text with [n] markers: sentences run on; bullets, table rows and
    "Key: Value" facts one a line; in an answer about several careers, each career's
    part under its title."""
    lines: list[str] = []
    prose: list[str] = []
    part = None
    for x in sentences:
        if x.part and x.part != part:
            if prose:
                lines.append(" ".join(prose))
                prose = []
            lines.append(f"{x.part}:")
            part = x.part
        text = " ".join(x.text.split(" "))
        text = "\n".join(" ".join(seg.split()) for seg in text.split("\n")).replace("\n", " ")  # wrapped lines read as one
        if x.kind in ("bullet", "row", "key_value"):
            if prose:
                lines.append(" ".join(prose))
                prose = []
            lines.append(f"{'- ' if x.kind != 'key_value' else ''}{text} [{x.citation}]")
        else:
            prose.append(f"{text} [{x.citation}]")
    if prose:
        lines.append(" ".join(prose))
    return "\n".join(lines)
