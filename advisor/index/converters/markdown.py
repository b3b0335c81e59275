"""Markdown profiles, parsed with markdown-it-py (CommonMark plus tables).

Block tokens carry their source line range, so each block's text is found in the
normalised file text and keeps the file's own line numbers. Code blocks and raw HTML
are not profile prose and are skipped. The title is the front matter's `title`, else
the first level-1 heading, else the file name.
"""

from __future__ import annotations

from typing import Any

from advisor.index.structure import Block, Parsed, assign_sections, clean_title, front_matter, title_from_name


def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def convert_markdown(text: str, stem: str) -> Parsed:
    meta, skip = front_matter(text)
    lines = text.split("\n")
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln) + 1)
    body = "\n" * skip + "\n".join(lines[skip:])  # front matter blanked, line numbers kept
    tokens = _parser().parse(body)
    blocks: list[Block] = []
    in_item = 0
    row: list[Any] = []
    row_header = False
    for i, tok in enumerate(tokens):
        if tok.type == "list_item_open":
            in_item += 1
        elif tok.type == "list_item_close":
            in_item -= 1
        elif tok.type == "tr_open":
            row, row_header = [], False
        elif tok.type == "th_open":
            row_header = True
        elif tok.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            row.append(tok)
        elif tok.type == "tr_close" and row and tok.map is None:
            blocks.extend(_row(row, row_header, text, starts))
        elif tok.type == "inline" and tok.map and tok.content.strip():
            prev = tokens[i - 1].type
            if prev == "heading_open":
                kind = "heading"
            elif prev == "paragraph_open":
                kind = "bullet" if in_item else "paragraph"
            else:
                continue
            level = int(tokens[i - 1].tag[1:]) if kind == "heading" else 0
            blocks.extend(_locate(kind, tok.content, tok.map, text, starts, level))
    title = clean_title(meta.get("title", ""))
    h1 = [b for b in blocks if b.kind == "heading" and b.level == 1]
    if not title and len(h1) == 1 and blocks[0] is h1[0]:
        title = h1[0].text
        blocks = blocks[1:]
    elif not title and h1:
        title = h1[0].text
    assign_sections(blocks)
    return Parsed(text, title or title_from_name(stem), blocks)


def _locate(kind: str, content: str, span: list[int], text: str, starts: list[int], level: int) -> list[Block]:
    """The block's text in the file: the whole content when it stands there as one
    piece (a paragraph wrapped over lines), else one block per line (e.g. a quote
    whose lines carry "> " markers)."""
    first, last = span[0], max(span[1] - 1, span[0])
    lo, hi = starts[first], starts[last + 1] - 1
    at = text.find(content, lo, hi + 1)
    if at >= 0:
        return [Block(kind, content, first + 1, at, at + len(content), level, last_line=first + 1 + content.count("\n"))]
    out: list[Block] = []
    for n, piece in enumerate(p.strip() for p in content.split("\n")):
        if not piece:
            continue
        for line_no in range(first, last + 1):
            at = text.find(piece, starts[line_no], starts[line_no + 1])
            if at >= 0:
                out.append(Block(kind if n == 0 or kind != "heading" else "paragraph", piece, line_no + 1, at, at + len(piece), level))
                first = line_no + 1
                break
    return out


def _row(cells: list[Any], header: bool, text: str, starts: list[int]) -> list[Block]:
    """A table row: from its first cell's text to its last, as it stands in the file."""
    line_no = cells[0].map[0]
    lo, hi = starts[line_no], starts[line_no + 1] - 1
    located = []
    pos = lo
    for c in cells:
        at = text.find(c.content, pos, hi + 1) if c.content else -1
        if at >= 0:
            located.append((at, at + len(c.content)))
            pos = at + len(c.content)
    if not located:
        return []
    start, end = located[0][0], located[-1][1]
    return [Block("row", text[start:end], line_no + 1, start, end, header=header)]
