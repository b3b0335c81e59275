"""Plain-text profiles: structure by shape, since the file carries no markup.

Headings are short lines without sentence punctuation that are followed by text; bullets
start with a marker; "Key: Value" lines are facts; lines holding a tab are table rows.
The first line is the title when a heading-shaped line is followed by another heading
or a fact line rather than by prose ("Welders" / "Summary", "Welders" /
"Minimum Education: …"); otherwise the title comes from the file name.

A report laid out by indentation (an export of a careers database: "Label:" lines with
their values nested two spaces deeper, "- " list items) is read as records instead
(`records.Renderer`): facts "Label: value" under their sections, list items one a line;
its canonical text is built, and `source_lines` maps it back to the file's lines.

Front matter (`---` … `---`) may set the title (`title:`) and other names (`names:`).
"""

from __future__ import annotations

import re

from advisor.index.converters.records import Field, Renderer
from advisor.index.structure import (
    BULLET_RE,
    KEY_VALUE_RE,
    Block,
    Builder,
    Parsed,
    assign_sections,
    clean_names,
    clean_title,
    drop_empty_headings,
    front_matter,
    heading_shaped,
    meta_names,
    meta_text,
    names_in_blocks,
    split_lines,
    title_from_name,
)

_LABEL = re.compile(r"^(?P<label>[^:\s][^:]{0,59}?):(?:\s+(?P<value>\S.*))?$")


def convert_text(text: str, stem: str, where: str = "", indents: list[int] | None = None, raw: str | None = None) -> Parsed:
    """`text` is already normalised; offsets and lines in the result index it. `indents`:
    how far each line of the file was indented (normalising drops it), for reports;
    `raw`: the file as decoded, for its front matter."""
    meta, skip = front_matter(text, where or stem, raw)
    given, _ = meta_names(meta)
    report = _report(text, skip, indents or [])
    if report is not None:
        return _convert_report(report, meta_text(meta.get("title")), stem, given)
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
    title = clean_title(meta_text(meta.get("title")))
    if not title and blocks:
        title, blocks = _title_line(blocks)
    mark_table_headers(blocks)
    assign_levels(blocks)
    assign_sections(blocks)
    title = title or title_from_name(stem)
    return Parsed(text, title, blocks, names=clean_names([*given, *names_in_blocks(blocks)], title))


# -- reports laid out by indentation --------------------------------------------------------


def _report(text: str, skip: int, indents: list[int]) -> list[Field] | None:
    """The records of a report laid out by indentation, or None when the file is not one:
    at least a fifth of its lines indented by spaces, and "Label:" lines with content
    nested under them. (A profile in the usual layout has no indented lines.)"""
    if not any(indents):
        return None
    rows: list[tuple[int, str, int]] = []
    for n, line in enumerate(text.split("\n"), start=1):
        if n <= skip or not line.strip():
            continue
        rows.append((indents[n - 1] if n <= len(indents) else 0, line.strip(), n))
    if len(rows) < 4:
        return None
    indented = sum(1 for ind, _, _ in rows if ind >= 2)
    opened = sum(1 for (ind, body, _), nxt in zip(rows, rows[1:], strict=False) if body.endswith(":") and nxt[0] > ind)
    if indented < len(rows) / 5 or opened < 2:
        return None
    fields, _ = _block(rows, 0, rows[0][0])
    return fields


def _block(rows: list[tuple[int, str, int]], i: int, indent: int) -> tuple[list[Field], int]:
    """The fields (or list items, label "") that stand at `indent` from row i on."""
    out: list[Field] = []
    while i < len(rows):
        ind, body, n = rows[i]
        if ind < indent:
            break
        if ind > indent:  # deeper than its parent allows: read it as a line of text
            out.append(Field("", n, value=body))
            i += 1
            continue
        if body.startswith("- ") or body == "-":
            rest = body[2:].strip()
            m = _LABEL.match(rest)
            if m and not BULLET_RE.match(rest):  # "- Title: Health": a record; its fields stand two deeper
                rows[i] = (indent + 2, rest, n)
                children, i = _block(rows, i, indent + 2)
                out.append(Field("", n, children=children))
            else:
                out.append(Field("", n, value=rest))
                i += 1
            continue
        m = _LABEL.match(body)
        if m is None:
            out.append(Field("", n, value=body))
            i += 1
        elif m.group("value"):
            out.append(Field(m.group("label"), n, value=m.group("value")))
            i += 1
        else:
            i += 1
            if i < len(rows) and rows[i][0] > indent:
                kids, i = _block(rows, i, rows[i][0])
                if all(not k.label for k in kids):
                    out.append(Field(m.group("label"), n, items=kids))
                else:
                    out.append(Field(m.group("label"), n, children=kids))
    return out, i


def _convert_report(fields: list[Field], title: str, stem: str, given: list[str]) -> Parsed:
    r = Renderer(clean_title(title))
    pieces = drop_empty_headings(r.mapping(fields, 1))
    b = Builder()
    b.extend(pieces)
    parsed = b.parsed(r.title, stem)
    return Parsed(parsed.text, parsed.title, parsed.blocks, parsed.source_lines,
                  clean_names([*given, *r.names, *names_in_blocks(parsed.blocks)], parsed.title))


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
