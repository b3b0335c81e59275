"""Conversation around the answers: smalltalk, earlier turns, suggested questions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from advisor.careers import CareerIndex, singular_word, title_parts
from advisor.index.store import CorpusIndex
from advisor.question import clean_question, is_followup, searchable, smalltalk_kind, strip_followup_marker
from advisor.text import word_form, words
from advisor.vocabulary.files import QUESTION_TEMPLATES

MAX_CONTEXT_WORDS = 30


def history_texts(history: Sequence[object], max_chars: int) -> list[str]:
    """The earlier questions as clean text, smalltalk and empty turns dropped."""
    out: list[str] = []
    for raw in list(history)[-8:]:
        text = searchable(clean_question(raw, max_chars).text)
        if text and not smalltalk_kind(text):
            out.append(text)
    return out


def resolve_history(history: Sequence[str]) -> str:
    """The earlier question the next one may lean on, with its own follow-ups folded in.

    "how long is the associate degree?", "and the bachelor's?" → the second resolves to
    "the bachelor's? how long is the associate degree?" for the turn after it.
    """
    previous = ""
    for text in history[-6:]:
        if previous and is_followup(text):
            merged = f"{strip_followup_marker(text)} {previous}".split()
            previous = " ".join(merged[:MAX_CONTEXT_WORDS])
        else:
            previous = text
    return previous


SMALLTALK_REPLIES = {
    "greeting": "Hi! I answer questions about {topics}, quoting the career profiles themselves. What would you like to know?",
    "thanks": "You're welcome! Ask another question whenever you like.",
    "bye": "Good luck with your plans! Come back any time.",
    "help": "I answer questions about {topics}, using only sentences from the profiles, each with a numbered source. If a profile doesn't cover something, I say so.",
}


def topics_phrase(careers: CareerIndex, pinned: str | None = None) -> str:
    if pinned:
        return f"the {careers.title(pinned)} career"
    titles = [c["title"] for c in careers.listing()]
    if len(titles) == 1:
        return f"the {titles[0]} career"
    if len(titles) <= 4:
        return "these careers: " + ", ".join(titles)
    return f"{len(titles)} careers, from {titles[0]} to {titles[-1]}"


# --- questions a student would ask about a section ------------------------------------


@dataclass(frozen=True)
class SectionQuestion:
    """A question one section of a profile answers (starters, suggestions)."""

    question: str
    doc_id: str
    section: tuple[str, ...]
    row: int  # the section's first chunk


@dataclass(frozen=True)
class _Template:
    phrases: tuple[tuple[str, ...], ...]
    question: str


@lru_cache(maxsize=1)
def templates() -> tuple[_Template, ...]:
    out: list[_Template] = []
    for line in QUESTION_TEMPLATES.read_text("utf-8").splitlines():
        line = re.sub(r"(?:^|\s)#.*$", "", line).strip()
        if not line or "=>" not in line:
            continue
        left, _, right = line.partition("=>")
        phrases = tuple(tuple(word_form(w) if w != "*" else "*" for w in re.findall(r"\*|[\w'-]+", p)) for p in left.split(","))
        out.append(_Template(tuple(p for p in phrases if p), right.strip()))
    return tuple(out)


def _matches(phrase: tuple[str, ...], heading: list[str]) -> bool:
    """A template phrase in a heading; "*" stands for one to three words."""
    pattern = r"\b" + r"\s".join(r"(?:\S+\s){0,2}\S+" if w == "*" else re.escape(w) for w in phrase) + r"\b"
    return re.search(pattern, " ".join(heading)) is not None


def career_names(title: str) -> dict[str, str]:
    """"Elevator Inspectors" → {"a": "an elevator inspector", "career": "elevator
    inspector", "careers": "elevator inspectors"}."""
    first = title_parts(title)[0].split()
    keep = [w if (w.isupper() or w[:-1].isupper()) else w.lower() for w in first]
    one = keep[:-1] + [singular_word(keep[-1])]
    many = keep if keep[-1].lower().endswith("s") else keep[:-1] + [_plural(keep[-1])]
    career = " ".join(one)
    article = "an" if career[:1].lower() in "aeiou" else "a"
    return {"a": f"{article} {career}", "career": career, "careers": " ".join(many)}


def plural_title(title: str) -> str:
    """"Imaging Technologist" → "Imaging Technologists"; a plural title stays as it is."""
    head = title.split(" (")[0]
    ws = head.split()
    if not ws or ws[-1].lower().endswith("s"):
        return head
    return " ".join(ws[:-1] + [_plural(ws[-1])])


def _plural(w: str) -> str:
    if w.endswith("y") and w[-2:-1] not in "aeiou":
        return w[:-1] + "ies"
    return w + ("es" if w.endswith(("s", "x", "ch", "sh")) else "s")


def section_question(section: tuple[str, ...], title: str, taken: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """How a student would ask what one section says; a heading no template knows, or one
    whose question another section already has, is asked about by name."""
    heading = section[-1]
    names = career_names(title)
    forms = [word_form(w) for w in words(heading)]
    for t in templates():
        if any(_matches(p, forms) for p in t.phrases):
            q = t.question.format(heading=heading.lower(), **names)
            if q.lower() not in taken:
                return q
            break
    if heading.lower().startswith(("what", "how", "why", "who", "where", "when", "which")):
        q = f"{heading.rstrip('?')}?"
        if q.lower() not in taken:
            return q
    topic = heading.lower()
    if set(words(topic)) & set(words(names["careers"] + " " + names["career"])):  # the heading names the career itself
        return f"What should I know about the {topic}?"
    return f"What should I know about {topic} as {names['a']}?"


def section_questions(index: CorpusIndex, careers: CareerIndex) -> list[SectionQuestion]:
    """One question per section, in document order. Where two sections would get the
    same question (a page summary's "Pay" and the page's own), the larger one has it."""
    first: dict[tuple[str, tuple[str, ...]], int] = {}
    size: dict[tuple[str, tuple[str, ...]], int] = {}
    for row, c in enumerate(index.chunks):
        if c.section:
            key = (c.doc_id, c.section)
            first.setdefault(key, row)
            size[key] = size.get(key, 0) + len(c.unit_ids)
    taken: dict[str, set[str]] = {}
    asked: dict[tuple[str, tuple[str, ...]], str] = {}
    for key in sorted(first, key=lambda k: (-size[k], first[k])):
        mine = taken.setdefault(key[0], set())
        q = section_question(key[1], careers.title(key[0]).split(" (")[0], mine)
        mine.add(q.lower())
        asked[key] = q
    return [SectionQuestion(asked[k], k[0], k[1], first[k]) for k in sorted(first, key=lambda k: first[k])]


def question_key(text: str) -> str:
    """How a clicked suggestion is recognised: case, white space and end marks folded."""
    return " ".join(text.lower().split()).rstrip("?!. ")
