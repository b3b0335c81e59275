"""Structure → chunks (paragraph passages, lists, tables, fact lines) and units (the
sentences, bullets, table rows and "Key: Value" lines an answer can quote).

- Paragraphs are split into sentences; a run-in heading inside one ("Education. Most
  welders…", "Math skills. Welders must…") is structure: it becomes the `topic` of
  the sentences after it and is never a unit. Long paragraphs are cut into passages of
  about `PASSAGE_WORDS` words, so each chunk fits the embedding model's window.
- A table row is a unit carrying its caption and header row as `context` ("The largest
  employers were as follows: … Shipyards 12%").
- A sentence repeated within a document (a page summary repeats its body) is one unit
  with every other place it stands in `also`; it is indexed once and quoted once.

Ids are content hashes of (document, section, text), so a rebuild of the same corpus
gives the same ids; a repeated text in the same section gets an ordinal suffix.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

from advisor.index.sentences import runin_heading, split_sentences
from advisor.index.structure import Block, Parsed
from advisor.models import Chunk, Document, Unit

log = logging.getLogger(__name__)
CHUNKER_VERSION = "struct-v4"  # v4: real pages (main content, facts in any layout, rows with their headers)
PASSAGE_WORDS = 110
_KINDS = {"bullet": "list", "key_value": "facts", "row": "table"}


def _hash(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


class _Ids:
    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def make(self, *parts: str) -> str:
        h = _hash(*parts)
        n = self.seen.get(h, 0)
        self.seen[h] = n + 1
        return h if n == 0 else f"{h}-{n}"


@dataclass
class _Piece:
    """A unit before ids: its kind, span and place."""

    kind: str
    start: int
    end: int
    section: tuple[str, ...]
    topic: str = ""
    context: str = ""


class _Lines:
    """Offsets of `Parsed.text` → lines of the original file."""

    def __init__(self, parsed: Parsed) -> None:
        self.starts = [0]
        for i, ch in enumerate(parsed.text):
            if ch == "\n":
                self.starts.append(i + 1)
        self.source = parsed.source_lines

    def line(self, offset: int) -> int:
        n = bisect.bisect_right(self.starts, offset)
        return self.source[n - 1] if self.source else n


def _groups(blocks: list[Block]) -> Iterable[tuple[str, list[Block]]]:
    """Consecutive bullets of one section form a list, rows a table, Key: Value lines
    facts; each paragraph stands alone. Headings only separate."""
    group: list[Block] = []
    kind = ""
    for b in blocks:
        if b.kind == "heading":
            if group:
                yield kind, group
            group, kind = [], ""
            continue
        this = _KINDS.get(b.kind, "paragraph")
        if group and (this != kind or this == "paragraph" or b.section != group[0].section):
            yield kind, group
            group = []
        group.append(b)
        kind = this
    if group:
        yield kind, group


def _paragraph_pieces(text: str, b: Block, section: tuple[str, ...]) -> list[list[_Piece]]:
    """The sentences of one paragraph, in passages: a new passage at each run-in
    heading and whenever the current one reaches PASSAGE_WORDS."""
    spans = split_sentences(text[b.start : b.end], b.start)
    passages: list[list[_Piece]] = [[]]
    parent, topic, words = "", "", 0
    for i, (s, e) in enumerate(spans):
        labels = runin_heading(text[s:e]) if i + 1 < len(spans) else None
        if labels:
            if len(labels) == 2:
                parent = labels[0]
            topic = " › ".join(labels) if len(labels) == 2 else (f"{parent} › {labels[0]}" if parent else labels[0])
            passages.append([])
            words = 0
            continue
        n = len(text[s:e].split())
        if passages[-1] and words + n > PASSAGE_WORDS:
            passages.append([])
            words = 0
        passages[-1].append(_Piece("sentence", s, e, section, topic))
        words += n
    return [p for p in passages if p]


def _table_context(text: str, blocks: list[Block], rows: list[Block]) -> str:
    """A table's caption (the sentence ending in ":" just before it) and header row."""
    parts: list[str] = []
    i = blocks.index(rows[0])
    prev = blocks[i - 1] if i > 0 else None
    if prev is not None and prev.kind == "paragraph" and prev.section == rows[0].section and prev.text.rstrip().endswith(":"):
        spans = split_sentences(prev.text, 0)
        if spans:
            parts.append(prev.text[spans[-1][0] : spans[-1][1]])
    parts.extend(r.text.replace("\t", " ") for r in rows if r.header)
    return " ".join(parts)


def _chunk_pieces(parsed: Parsed, title: str) -> list[tuple[str, list[_Piece]]]:
    text = parsed.text
    out: list[tuple[str, list[_Piece]]] = []
    for kind, group in _groups(parsed.blocks):
        section = group[0].section or (title,)
        if kind == "paragraph":
            out.extend(("paragraph", p) for p in _paragraph_pieces(text, group[0], section))
        elif kind == "table":
            context = _table_context(text, parsed.blocks, group)
            pieces = [_Piece("row", b.start, b.end, section, context=context) for b in group if not b.header]
            if pieces:
                out.append(("table", pieces))
        else:
            out.append((kind, [_Piece(b.kind, b.start, b.end, section) for b in group]))
    return out


def _dedupe(groups: list[tuple[str, list[_Piece]]], text: str) -> tuple[list[tuple[str, list[_Piece]]], dict[int, list[_Piece]]]:
    """One piece per distinct text: the one in the largest group (the later on a tie)
    stays; the others are returned as its other places, keyed by id() of the keeper."""
    where: dict[str, list[tuple[int, _Piece]]] = {}
    for g, (_, pieces) in enumerate(groups):
        for p in pieces:
            where.setdefault(" ".join(text[p.start : p.end].lower().split()), []).append((g, p))
    drop: set[int] = set()
    also: dict[int, list[_Piece]] = {}
    for places in where.values():
        if len(places) < 2:
            continue
        keep = max(places, key=lambda gp: (len(groups[gp[0]][1]), gp[1].start))[1]
        others = [p for _, p in places if p is not keep]
        also[id(keep)] = sorted(others, key=lambda p: p.start)
        drop.update(id(p) for p in others)
    kept = [(k, [p for p in pieces if id(p) not in drop]) for k, pieces in groups]
    return [(k, ps) for k, ps in kept if ps], also


def chunk_document(doc: Document, parsed: Parsed) -> tuple[list[Chunk], list[Unit]]:
    """Chunks and units of one document, with offsets into `doc.text` (== `parsed.text`)."""
    text = doc.text
    lines = _Lines(parsed)
    groups, also = _dedupe(_chunk_pieces(parsed, doc.title), text)
    chunk_ids, unit_ids = _Ids(), _Ids()
    chunks: list[Chunk] = []
    units: list[Unit] = []
    for kind, pieces in groups:
        first, last = pieces[0], pieces[-1]
        start = text.rfind("\n", 0, first.start) + 1 if kind != "paragraph" else first.start
        chunk_text = text[start : last.end]
        section = first.section
        chunk_id = chunk_ids.make(doc.doc_id, "/".join(section), first.topic, chunk_text)
        members: list[Unit] = []
        for p in pieces:
            u_text = text[p.start : p.end]
            members.append(
                Unit(
                    unit_id=unit_ids.make(doc.doc_id, "/".join(section), u_text),
                    chunk_id=chunk_id,
                    doc_id=doc.doc_id,
                    kind=p.kind,
                    section=section,
                    topic=p.topic,
                    line=lines.line(p.start),
                    last_line=lines.line(max(p.end - 1, p.start)),
                    start=p.start,
                    end=p.end,
                    text=u_text,
                    position=0,
                    context=p.context,
                    also=tuple((o.start, o.end, lines.line(o.start), lines.line(max(o.end - 1, o.start))) for o in also.get(id(p), ())),
                )
            )
        chunks.append(
            Chunk(
                chunk_id=chunk_id,
                doc_id=doc.doc_id,
                kind=kind,
                section=section,
                topic=first.topic,
                lines=(lines.line(start), lines.line(max(last.end - 1, start))),
                start=start,
                end=last.end,
                text=chunk_text,
                unit_ids=tuple(u.unit_id for u in members),
            )
        )
        units.extend(members)
    return chunks, units


def chunk_corpus(loaded: list[tuple[Document, Parsed]]) -> tuple[list[Document], list[Chunk], list[Unit]]:
    """Chunks and units of every document, units numbered in source order. A document
    with nothing to quote (only headings) is left out, with a warning."""
    docs: list[Document] = []
    chunks: list[Chunk] = []
    units: list[Unit] = []
    for doc, parsed in loaded:
        c, u = chunk_document(doc, parsed)
        if not u:
            log.warning("skipping %s: no sentence, bullet or table row to quote", doc.path)
            continue
        docs.append(doc)
        chunks.extend(c)
        units.extend(u)
    units = [replace(u, position=i) for i, u in enumerate(units)]
    return docs, chunks, units
