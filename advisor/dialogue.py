"""Conversation around the answers: smalltalk, earlier turns, suggested questions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from advisor.index.store import CorpusIndex
from advisor.question import clean_question, is_followup, searchable, smalltalk_kind, strip_followup_marker

MAX_CONTEXT_WORDS = 30


def resolve_history(history: Sequence[object], max_chars: int) -> str:
    """The earlier question the next one may lean on, with its own follow-ups folded in.

    "how long is the associate degree?", "and the bachelor's?" → the second resolves to
    "the bachelor's? how long is the associate degree?" for the turn after it.
    """
    previous = ""
    for raw in list(history)[-6:]:
        text = searchable(clean_question(raw, max_chars).text)
        if not text or smalltalk_kind(text):
            continue
        if previous and is_followup(text):
            merged = f"{strip_followup_marker(text)} {previous}".split()
            previous = " ".join(merged[:MAX_CONTEXT_WORDS])
        else:
            previous = text
    return previous


SMALLTALK_REPLIES = {
    "greeting": "Hi! I answer questions about the careers in my profiles, quoting the profile itself. Ask me anything about {topics}.",
    "thanks": "You're welcome! Ask another question whenever you like.",
    "bye": "Good luck with your plans! Come back any time.",
    "help": "I answer questions about {topics}, using only sentences from the profile, each with a numbered source. If the profile doesn't cover something, I say so.",
}


def topics_phrase(index: CorpusIndex) -> str:
    titles = sorted(d.title for d in index.documents.values())
    if len(titles) == 1:
        return f"the {titles[0]} career"
    return "these careers: " + ", ".join(titles)


_WH = ("what", "how", "why", "who", "where", "when", "which")


@dataclass(frozen=True)
class SectionQuestion:
    """A question the profile answers by one of its sections (starters, suggestions)."""

    question: str
    doc_id: str
    section: tuple[str, ...]
    row: int  # the section's first chunk


def section_question(section: tuple[str, ...], kind: str, title: str = "") -> str:
    """A question about one section, built from its heading; `title` names the profile
    when the index holds several."""
    heading = section[-1]
    if heading.lower().startswith(_WH):
        return f"{heading.rstrip('?')}{f' ({title})' if title else ''}?"
    if kind == "list":
        article = "" if heading.lower().startswith("the ") else "the "
        of = f" of a {title}" if title else ""
        if heading.lower().endswith("s"):
            return f"What are {article}{heading}{of}?"
        return f"What is in {article}{heading}{of}?"
    return f"What does the {title + ' ' if title else ''}profile say about {heading}?"


def section_questions(index: CorpusIndex) -> list[SectionQuestion]:
    """One question per section, in document order."""
    several = len(index.documents) > 1
    has_list = {(c.doc_id, c.section) for c in index.chunks if c.kind == "list"}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    out: list[SectionQuestion] = []
    for row, c in enumerate(index.chunks):
        key = (c.doc_id, c.section)
        if key in seen or not c.section:
            continue
        seen.add(key)
        title = index.documents[c.doc_id].title if several else ""
        kind = "list" if key in has_list else c.kind
        out.append(SectionQuestion(section_question(c.section, kind, title), c.doc_id, c.section, row))
    return out


def question_key(text: str) -> str:
    """How a clicked suggestion is recognised: case, white space and end marks folded."""
    return " ".join(text.lower().split()).rstrip("?!. ")
