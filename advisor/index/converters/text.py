"""Plain-text profiles: structure by shape, since the file carries no markup.

Headings are short lines without sentence punctuation that are followed by text; bullets
start with a marker; "Key: Value" lines are facts; lines holding a tab are table rows.
The first line is the title when a heading-shaped line is followed by another heading
or a fact line rather than by prose ("Welders" / "Summary", "Welders" /
"Minimum Education: …"); otherwise the title comes from the file name.
"""

from __future__ import annotations

import re

from advisor.index.structure import (
    BULLET_RE,
    KEY_VALUE_RE,
    Block,
    Parsed,
    assign_sections,
    clean_title,
    front_matter,
    heading_shaped,
    split_lines,
    title_from_name,
)


def convert_text(text: str, stem: str) -> Parsed:
    """`text` is already normalised; offsets and lines in the result index it."""
    meta, skip = front_matter(text)
    lines = [ln for ln in split_lines(text) if ln.number > skip]
    blocks: list[Block] = []
    for i, ln in enumerate(lines):
        bullet = BULLET_RE.match(ln.text)
        if bullet:
            off = bullet.end()
            blocks.append(Block("bullet", ln.text[off:], ln.number, ln.start + off, ln.end))
        elif "\t" in ln.text:
            blocks.append(Block("row", ln.text, ln.number, ln.start, ln.end))
        elif KEY_VALUE_RE.match(ln.text):
            blocks.append(Block("key_value", ln.text, ln.number, ln.start, ln.end))
        elif i + 1 < len(lines) and heading_shaped(ln.text):
            blocks.append(Block("heading", ln.text, ln.number, ln.start, ln.end))
        else:
            blocks.append(Block("paragraph", ln.text, ln.number, ln.start, ln.end))
    title = clean_title(meta.get("title", ""))
    if not title and blocks:
        title, blocks = _title_line(blocks)
    mark_table_headers(blocks)
    assign_levels(blocks)
    assign_sections(blocks)
    return Parsed(text, title or title_from_name(stem), blocks)


def _title_line(blocks: list[Block]) -> tuple[str, list[Block]]:
    first = blocks[0]
    if first.kind == "key_value" and first.text.lower().startswith("title:"):
        return clean_title(first.text.split(":", 1)[1]), blocks[1:]
    if first.kind == "heading" and (len(blocks) == 1 or blocks[1].kind in ("heading", "key_value")):
        return clean_title(first.text), blocks[1:]
    return "", blocks


def mark_table_headers(blocks: list[Block]) -> None:
    """The first row of a table is its header when it holds no figure and the rows
    below it do ("Occupation / Median wage" over "Actors / $20.43")."""
    i = 0
    while i < len(blocks):
        if blocks[i].kind != "row":
            i += 1
            continue
        j = i
        while j < len(blocks) and blocks[j].kind == "row":
            j += 1
        first, rest = blocks[i], blocks[i + 1 : j]
        if rest and not re.search(r"\d", first.text) and all(re.search(r"\d", r.text) for r in rest):
            first.header = True
        i = j


def _body_after(blocks: list[Block], i: int) -> list[Block]:
    body = []
    for b in blocks[i + 1 :]:
        if b.kind == "heading":
            break
        body.append(b)
    return body


def _sentence_count(text: str) -> int:
    return max(1, len(re.findall(r"[.!?](?:\s|$)", text)))


def assign_levels(blocks: list[Block]) -> None:
    """Give plain-text headings a level of 1 or 2, from layout alone.

    A heading followed at once by another heading opens a group ("Skills and
    Requirements" → "Schooling"; "Summary" → "What Welders Do"): the headings
    after it are inside while their sections are short (one paragraph at most, no
    facts). A heading followed by one short introductory paragraph opens a weaker
    group ("Skill Map" → "Core competencies…" → "Foundational Skills"), which only
    short list sections join. A heading already seen in the group closes it (a page
    summary repeats the headings of the page body), as does any longer section.
    Everything else is level 1: flat is better than a wrong nesting ("Pay > Job Outlook").
    """
    group = ""  # "", "strong" or "weak"
    seen: set[str] = set()
    headings = [i for i, b in enumerate(blocks) if b.kind == "heading"]
    for n, i in enumerate(headings):
        b = blocks[i]
        body = _body_after(blocks, i)
        paragraphs = [x for x in body if x.kind == "paragraph"]
        listed = any(x.kind in ("bullet", "row") for x in body)
        short = len(paragraphs) <= 1 and not any(x.kind == "key_value" for x in body)
        key = b.text.lower()
        if group and key not in seen and short and (group == "strong" or listed):
            b.level = 2
            seen.add(key)
            continue
        b.level = 1
        has_next = n + 1 < len(headings)
        if not body and has_next:
            group, seen = "strong", set()
        elif has_next and len(body) == 1 and body[0].kind == "paragraph" and _sentence_count(body[0].text) <= 2:
            group, seen = "weak", set()
        else:
            group, seen = "", set()
