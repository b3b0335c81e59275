"""Conversation around the answers: smalltalk, earlier turns, suggested questions."""

from __future__ import annotations

from collections.abc import Sequence

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


def section_question(section: tuple[str, ...], kind: str) -> str:
    """A question the profile can answer about one section, built from its heading."""
    heading = section[-1]
    if kind == "list":
        return f"What are the {heading}?" if not heading.lower().startswith("the ") else f"What are {heading}?"
    return f"What does the profile say about {heading}?"


def section_questions(index: CorpusIndex) -> list[tuple[str, int]]:
    """One question per section, with the row of its first chunk; in document order."""
    seen: set[tuple[str, ...]] = set()
    out: list[tuple[str, int]] = []
    for row, c in enumerate(index.chunks):
        if c.section in seen or not c.section:
            continue
        seen.add(c.section)
        out.append((section_question(c.section, c.kind), row))
    return out
