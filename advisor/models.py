"""Typed results that flow through the core. Every one round-trips through `to_dict`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Document:
    """One corpus file after normalisation; offsets in chunks and units index `text`."""

    doc_id: str  # the career id: the file name without suffix, e.g. "imaging-technologist"
    title: str
    path: str  # relative to the corpus folder
    text: str  # the canonical text (for HTML: the page's text, one block a line)
    sha256: str  # of the raw file bytes
    source_lines: tuple[int, ...] | None = None  # text line i+1 → line of the file (HTML only)
    aliases: tuple[str, ...] = ()  # ids of identical files indexed as this one
    names: tuple[str, ...] = ()  # other names of the career ("Also called", careers.csv), for routing

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["source_lines"] = list(self.source_lines) if self.source_lines is not None else None
        d["aliases"] = list(self.aliases)
        d["names"] = list(self.names)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        lines = d.get("source_lines")
        return cls(**{**d, "source_lines": tuple(lines) if lines is not None else None, "aliases": tuple(d.get("aliases", ())),
                      "names": tuple(d.get("names", ()))})



@dataclass(frozen=True)
class Unit:
    """The smallest citable piece: one sentence, bullet, table row or "Key: Value" line.

    `line`/`last_line` are lines of the original file. `topic` is a run-in heading the
    unit stands under ("Math skills"); `context` is what a table row is read with (its
    caption and header). `also` lists the other places the same text stands in the
    document, as (start, end, line, last_line).
    """

    unit_id: str
    chunk_id: str
    doc_id: str
    kind: str  # "sentence" | "bullet" | "key_value" | "row"
    section: tuple[str, ...]
    line: int
    start: int
    end: int
    text: str
    position: int  # order within the whole index, for "source order"
    last_line: int = 0  # the line the text ends on (0: the same as `line`)
    topic: str = ""
    context: str = ""
    also: tuple[tuple[int, int, int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.last_line < self.line:
            object.__setattr__(self, "last_line", self.line)

    @property
    def label(self) -> str:
        """Where the unit stands: its section path and run-in topic."""
        return section_label(self.section + ((self.topic,) if self.topic else ()))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["section"] = list(self.section)
        d["also"] = [list(a) for a in self.also]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Unit:
        return cls(**{**d, "section": tuple(d["section"]), "also": tuple(tuple(a) for a in d.get("also", ()))})


@dataclass(frozen=True)
class Chunk:
    """A structural block: a paragraph passage, a bullet list, a table or a group of
    "Key: Value" lines."""

    chunk_id: str
    doc_id: str
    kind: str  # "paragraph" | "list" | "table" | "facts"
    section: tuple[str, ...]
    lines: tuple[int, int]
    start: int
    end: int
    text: str  # exactly document.text[start:end]
    unit_ids: tuple[str, ...]
    topic: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["section"] = list(self.section)
        d["lines"] = list(self.lines)
        d["unit_ids"] = list(self.unit_ids)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        return cls(
            **{
                **d,
                "section": tuple(d["section"]),
                "lines": (d["lines"][0], d["lines"][1]),
                "unit_ids": tuple(d["unit_ids"]),
            }
        )


def section_label(section: tuple[str, ...]) -> str:
    return " > ".join(section)


@dataclass(frozen=True)
class Passage:
    """A ranked unit with its score, as returned by retrieval."""

    unit: Unit
    score: float

    def to_dict(self) -> dict[str, Any]:
        u = self.unit
        return {
            "doc": u.doc_id,
            "section": u.label,
            "lines": [u.line, u.last_line],
            "text": u.text,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Citation:
    """Numbered source of one or more answer sentences; `text` is verbatim source text.
    `title` is the career's title; `url` the page of the profile that shows the quote in
    place (served by the web app: `/profiles/<career>#L<first>-L<last>`)."""

    n: int
    doc: str
    section: str
    lines: tuple[int, int]
    start: int
    end: int
    text: str
    title: str = ""

    @property
    def url(self) -> str:
        return profile_url(self.doc, self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "doc": self.doc, "title": self.title, "section": self.section, "lines": list(self.lines),
                "text": self.text, "url": self.url}

    def to_full_dict(self) -> dict[str, Any]:
        return {**self.to_dict(), "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Citation:
        return cls(
            n=d["n"],
            doc=d["doc"],
            section=d["section"],
            lines=(d["lines"][0], d["lines"][1]),
            start=d.get("start", -1),
            end=d.get("end", -1),
            text=d["text"],
            title=d.get("title", ""),
        )


def profile_url(doc: str, lines: tuple[int, int]) -> str:
    """The address (on the advisor's own server) of a profile's page at lines `lines`:
    `/profiles/imaging-technologist#L22-L24`, always a range, one line as `#L22-L22`."""
    from urllib.parse import quote

    return f"/profiles/{quote(doc, safe='')}#L{lines[0]}-L{lines[1]}"


@dataclass(frozen=True)
class AnswerSentence:
    """One verbatim source sentence or bullet of an answer, with its citation number."""

    text: str
    citation: int
    kind: str = "sentence"  # the unit kind: "sentence", "bullet", "row" or "key_value"
    part: str = ""  # in an answer about several careers, the title of this one's career

    @property
    def bullet(self) -> bool:
        return self.kind in ("bullet", "row")


@dataclass(frozen=True)
class Answer:
    """What `Advisor.ask` returns.

    kind is "answer" (sentences from the source), "abstain" (the profile does not cover
    it), "clarify" (several careers are loaded and the question names none: which one?),
    "smalltalk" (greeting, thanks, help) or "invalid" (nothing usable was asked).
    `abstained` is true for every kind but "answer". `careers` are the ids of the
    careers the answer is about (one, or two for a comparison); `missing` the words of
    the question the profile never uses, when that is why it abstained.
    """

    question: str
    kind: str
    text: str
    confidence: float
    sentences: tuple[AnswerSentence, ...] = ()
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()
    suggestions: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    resolved_question: str = ""
    reason: str = ""  # why it abstained, for evaluators and logs
    careers: tuple[str, ...] = ()
    career_titles: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    route: str = ""  # how the career was chosen: pinned, named, history, only, evidence, clarify, none…
    signals: dict[str, float] | None = None  # what the answer-or-refuse decision weighed (`advisor.decision.FEATURES`)

    @property
    def abstained(self) -> bool:
        return self.kind != "answer"

    @property
    def confidence_label(self) -> str:
        if self.kind != "answer":
            return "not covered" if self.kind == "abstain" else ""
        return "from the profile" if self.confidence >= 0.6 else "closest match"

    def parts(self) -> list[dict[str, Any]]:
        """An answer about several careers (a comparison, or careers for a question across
        careers), one entry a career: its id, title, quoted text and citation numbers."""
        if len(self.careers) < 2:
            return []
        by_title = dict(zip(self.career_titles, self.careers, strict=False))
        out: dict[str, dict[str, Any]] = {}
        for s in self.sentences:
            if s.part in by_title:
                entry = out.setdefault(s.part, {"career": by_title[s.part], "title": s.part, "text": "", "citations": []})
                entry["text"] = f"{entry['text']} {s.text}".strip()
                if s.citation not in entry["citations"]:
                    entry["citations"].append(s.citation)
        return list(out.values())

    def to_dict(self) -> dict[str, Any]:
        """The batch output record (the evaluators' contract) plus a few extra keys."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages[:10]],
            "kind": self.kind,
            "suggestions": list(self.suggestions),
            "notices": list(self.notices),
            "resolved_question": self.resolved_question,
            "reason": self.reason,
            "career": self.careers[0] if self.careers else None,
            "careers": list(self.careers),
            "career_title": " / ".join(self.career_titles) or None,
            "missing": list(self.missing),
            "route": self.route,
            "parts": self.parts(),
            "signals": {k: round(float(v), 4) for k, v in (self.signals or {}).items()},
        }
