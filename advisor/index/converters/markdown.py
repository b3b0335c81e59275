"""Markdown profiles, parsed with markdown-it-py (CommonMark plus tables).

The canonical text is the page as a reader sees it, not its source: inline markup is
rendered to its text (a link's text without its address, emphasis and code marks dropped,
images and raw HTML left out), and a site's template placeholders (`$quote-1$`) are
skipped. Block tokens carry their source line range. A table row reads each cell beside its
column's header ("Area: Inner London | Minimum: £36,745 | Maximum: £56,959"). Code
blocks and raw HTML blocks are not profile prose and are skipped. Each block is put on
the line it stands on in the file (the other lines left blank), so the canonical text's
line numbers are the file's.

Front matter (YAML): `title` is the title (else the only level-1 heading, else the first,
else the file name); `description` is the page's summary and is quoted as its opening
paragraph; `names` (or `aliases`) are other names of the career, and so are the
`keywords` that name a kind of worker ("Trainee Nurse", not "Pay band").
"""

from __future__ import annotations

import re
from typing import Any

from advisor.index.structure import (
    CELL_SEP,
    Builder,
    Parsed,
    Piece,
    aligned,
    clean_names,
    front_matter,
    front_matter_line,
    keyword_names,
    meta_names,
    meta_text,
    names_in_blocks,
    piece,
)

_PLACEHOLDER = re.compile(r"\$[A-Za-z][\w-]*\$")


def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def convert_markdown(text: str, stem: str, where: str = "", raw: str | None = None) -> Parsed:
    """`text` is the normalised file; `raw` the file as decoded, for its front matter."""
    meta, skip = front_matter(text, where or stem, raw)
    lines = text.split("\n")
    body = "\n" * skip + "\n".join(lines[skip:])  # front matter blanked, line numbers kept
    pieces: list[Piece] = []
    summary = meta_text(meta.get("description"))
    if summary:
        at = front_matter_line(text, "description")
        block = at < len(lines) and re.search(r":\s*[|>][-+]?\s*$", lines[at - 1]) is not None
        pieces.append(piece("paragraph", summary, at + 1 if block else at))
    pieces.extend(_pieces(_parser().parse(body)))
    title = meta_text(meta.get("title"))
    h1 = [p for p in pieces if p.kind == "heading" and p.level == 1]
    content = [p for p in pieces if not (summary and p is pieces[0])]
    if not title and len(h1) == 1 and content and content[0] is h1[0]:
        title = h1[0].text
        pieces = [p for p in pieces if p is not h1[0]]
    elif not title and h1:
        title = h1[0].text
    given, keywords = meta_names(meta)
    parsed = aligned(pieces, len(lines), title, stem, summary=summary)
    if parsed is None:  # two blocks on one line of the file: the text gets its own lines
        b = Builder()
        b.extend(pieces)
        parsed = b.parsed(title, stem, summary=summary)
    names = clean_names([*given, *keyword_names(keywords), *names_in_blocks(parsed.blocks)], parsed.title)
    return Parsed(parsed.text, parsed.title, parsed.blocks, parsed.source_lines, names, summary)


def _pieces(tokens: list[Any]) -> list[Piece]:
    out: list[Piece] = []
    in_item = 0
    headers: list[str] = []
    row: list[Any] = []
    row_line = 0
    in_head = False
    for i, tok in enumerate(tokens):
        t = tok.type
        if t == "list_item_open":
            in_item += 1
        elif t == "list_item_close":
            in_item -= 1
        elif t == "thead_open":
            in_head, headers = True, []
        elif t == "thead_close":
            in_head = False
        elif t == "table_open":
            headers = []
        elif t == "tr_open":
            row, row_line = [], (tok.map[0] + 1) if tok.map else 0
        elif t == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            row.append(tok)
        elif t == "tr_close":
            out.extend(_row(row, row_line, headers, in_head))
        elif t == "inline" and tok.map:
            prev = tokens[i - 1].type
            if prev == "heading_open":
                kind = "heading"
            elif prev == "paragraph_open":
                kind = "bullet" if in_item else "paragraph"
            else:
                continue
            lines = _render(tok, tok.map[0] + 1)
            if not lines:
                continue
            if kind == "heading":
                out.append(Piece("heading", [(" ".join(x for x, _ in lines), lines[0][1])], int(tokens[i - 1].tag[1:])))
            elif kind == "bullet":
                out.append(Piece("bullet", [(" ".join(x for x, _ in lines), lines[0][1])]))
            else:
                out.append(Piece("paragraph", lines))
    return out


def _render(tok: Any, first_line: int) -> list[tuple[str, int]]:
    """An inline token as the reader sees it, one entry a source line."""
    lines: list[tuple[str, int]] = []
    cur: list[str] = []
    line = first_line
    skip = 0  # inside an image: its alt text is not prose
    for c in tok.children or ():
        if c.type in ("softbreak", "hardbreak"):
            lines.append(("".join(cur), line))
            cur, line = [], line + 1
        elif c.type == "image":
            continue
        elif c.type in ("text", "code_inline") and not skip:
            cur.append(c.content)
        elif c.type == "html_inline":
            continue
    lines.append(("".join(cur), line))
    out = []
    for text, n in lines:
        text = " ".join(_PLACEHOLDER.sub(" ", text).split())
        if text:
            out.append((text, n))
    return out


def _row(cells: list[Any], line: int, headers: list[str], in_head: bool) -> list[Piece]:
    texts = [" ".join(x for x, _ in _render(c, line)) for c in cells]
    if not any(texts):
        return []
    if in_head:
        headers[:] = texts
        return [piece("row", CELL_SEP.join(t for t in texts if t), line, header=True)]
    if headers and len(headers) == len(texts):
        text = CELL_SEP.join(f"{h}: {t}" if h else t for h, t in zip(headers, texts, strict=True) if t)
    else:
        text = CELL_SEP.join(t for t in texts if t)
    return [piece("row", text, line)]
