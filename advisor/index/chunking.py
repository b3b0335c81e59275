"""Structure → chunks (paragraphs, lists, fact lines) and units (sentences, bullets).

Ids are content hashes of (document, section, text), so a rebuild of the same corpus
gives the same ids; a repeated text in the same section gets an ordinal suffix.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from advisor.index.structure import Block, parse_blocks
from advisor.models import Chunk, Document, Unit

CHUNKER_VERSION = "struct-v2"

# Words ending in "." that do not end a sentence.
_ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "dr", "mr", "mrs", "ms", "st", "u.s", "approx", "no", "fig", "inc"}
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Spans (start, end), offset by `base`, of the sentences of one paragraph."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        word = re.search(r"([\w.]+)[.!?][\"')\]]*$", text[start : m.end()])
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        spans.append((base + start, base + m.end()))
        start = m.end()
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        spans.append((base + start, base + len(text.rstrip())))
    return spans


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


def _groups(blocks: list[Block]) -> Iterable[tuple[str, list[Block]]]:
    """Consecutive bullets of one section form a list; consecutive Key: Value lines form facts."""
    group: list[Block] = []
    kind = ""
    for b in blocks:
        if b.kind == "heading":
            if group:
                yield kind, group
            group, kind = [], ""
            continue
        this = {"bullet": "list", "key_value": "facts"}.get(b.kind, "paragraph")
        if group and (this != kind or this == "paragraph" or b.section != group[0].section):
            yield kind, group
            group = []
        group.append(b)
        kind = this
    if group:
        yield kind, group


def chunk_document(doc: Document) -> tuple[list[Chunk], list[Unit]]:
    """Chunks and units of one document, with offsets into `doc.text`."""
    markdown = doc.path.lower().endswith(".md")
    blocks = parse_blocks(doc.text, markdown=markdown)
    chunk_ids, unit_ids = _Ids(), _Ids()
    chunks: list[Chunk] = []
    units: list[Unit] = []
    for kind, group in _groups(blocks):
        start, end = _line_start(doc.text, group[0].start), group[-1].end
        section = group[0].section or (doc.title,)
        chunk_text = doc.text[start:end]
        chunk_id = chunk_ids.make(doc.doc_id, "/".join(section), chunk_text)
        members: list[Unit] = []
        for b in group:
            if b.kind == "paragraph":
                spans = split_sentences(b.text, b.start)
                kinds = ["sentence"] * len(spans)
            else:
                spans = [(b.start, b.end)]
                kinds = [b.kind]
            for (s, e), k in zip(spans, kinds, strict=True):
                text = doc.text[s:e]
                members.append(
                    Unit(
                        unit_id=unit_ids.make(doc.doc_id, "/".join(section), text),
                        chunk_id=chunk_id,
                        doc_id=doc.doc_id,
                        kind=k,
                        section=section,
                        line=b.line + doc.text.count("\n", b.start, s),
                        last_line=b.line + doc.text.count("\n", b.start, e),
                        start=s,
                        end=e,
                        text=text,
                        position=0,
                    )
                )
        chunks.append(
            Chunk(
                chunk_id=chunk_id,
                doc_id=doc.doc_id,
                kind=kind,
                section=section,
                lines=(group[0].line, group[-1].last_line),
                start=start,
                end=end,
                text=chunk_text,
                unit_ids=tuple(u.unit_id for u in members),
            )
        )
        units.extend(members)
    return chunks, units


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def chunk_corpus(docs: list[Document]) -> tuple[list[Chunk], list[Unit]]:
    """Chunks and units of every document, units numbered in source order."""
    chunks: list[Chunk] = []
    units: list[Unit] = []
    for doc in docs:
        c, u = chunk_document(doc)
        chunks.extend(c)
        units.extend(u)
    units = [Unit(**{**u.__dict__, "position": i}) for i, u in enumerate(units)]
    return chunks, units
