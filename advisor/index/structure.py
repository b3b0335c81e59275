"""Structure detection: normalised text → headings, bullets, "Key: Value" lines, paragraphs.

Plain-text profiles carry no markup, so headings are recognised by shape: a short line
that starts with a capital, ends without sentence punctuation and is followed by text.
Nesting is inferred from layout (see `_assign_levels`); Markdown files say it with `#`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BULLET_RE = re.compile(r"^(?:[-*\u2022\u25aa\u25cf\u2013]|\d{1,2}[.)])\s+(?=\S)")
KEY_VALUE_RE = re.compile(r"^(?P<key>[A-Z][\w&/' -]{1,40}?):\s+(?P<value>\S.{0,80})$")
MD_HEADING_RE = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
_END_PUNCT = ".!?:;,"
MAX_HEADING_WORDS = 10
MAX_HEADING_CHARS = 80


@dataclass(frozen=True)
class Line:
    """One non-empty line of normalised text with its character span."""

    number: int  # 1-based line number
    start: int
    end: int
    text: str


@dataclass
class Block:
    """A structural unit: heading, bullet (one item), key_value or paragraph."""

    kind: str
    text: str  # the content, without bullet marker or '#'
    line: int
    start: int  # offset of `text` in the normalised document
    end: int
    level: int = 0  # headings only
    section: tuple[str, ...] = field(default_factory=tuple)
    last_line: int = 0  # the line `text` ends on (paragraphs wrapped over lines in Markdown)

    def __post_init__(self) -> None:
        self.last_line = max(self.last_line, self.line)


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    pos = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        if raw.strip():
            lines.append(Line(number, pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return lines


def _looks_like_heading(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= MAX_HEADING_WORDS
        and len(line) <= MAX_HEADING_CHARS
        and (line[0].isupper() or line[0].isdigit())
        and line[-1] not in _END_PUNCT
        and not BULLET_RE.match(line)
        and not KEY_VALUE_RE.match(line)
    )


def parse_blocks(text: str, markdown: bool = False) -> list[Block]:
    """Classify every non-empty line and give each block its section path."""
    lines = split_lines(text)
    blocks: list[Block] = []
    for i, ln in enumerate(lines):
        md = MD_HEADING_RE.match(ln.text) if markdown else None
        bullet = BULLET_RE.match(ln.text)
        if md:
            title = md.group("title")
            off = ln.text.index(title, len(md.group("hashes")))
            blocks.append(Block("heading", title, ln.number, ln.start + off, ln.start + off + len(title), len(md.group("hashes"))))
        elif bullet:
            off = bullet.end()
            blocks.append(Block("bullet", ln.text[off:], ln.number, ln.start + off, ln.end))
        elif KEY_VALUE_RE.match(ln.text):
            blocks.append(Block("key_value", ln.text, ln.number, ln.start, ln.end))
        elif not markdown and i + 1 < len(lines) and _looks_like_heading(ln.text):
            blocks.append(Block("heading", ln.text, ln.number, ln.start, ln.end))
        else:
            blocks.append(Block("paragraph", ln.text, ln.number, ln.start, ln.end))
    if markdown:
        blocks = _join_wrapped(blocks, text)
    else:
        _assign_levels(blocks)
    _assign_sections(blocks)
    return blocks


def _join_wrapped(blocks: list[Block], text: str) -> list[Block]:
    """Markdown separates paragraphs with blank lines, so paragraph lines that follow
    each other are one paragraph wrapped, not several."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if prev and prev.kind == b.kind == "paragraph" and b.line == prev.last_line + 1:
            out[-1] = Block("paragraph", text[prev.start : b.end], prev.line, prev.start, b.end, last_line=b.line)
        else:
            out.append(b)
    return out


def _body_after(blocks: list[Block], i: int) -> list[Block]:
    body = []
    for b in blocks[i + 1 :]:
        if b.kind == "heading":
            break
        body.append(b)
    return body


def _assign_levels(blocks: list[Block]) -> None:
    """Give plain-text headings a level of 1 or 2.

    A heading opens a group when the next heading follows it at once, or after one short
    introductory paragraph and nothing else ("Skill Map" → one line → "Foundational Skills").
    Headings inside a group are level 2 while their sections are short: at most one
    paragraph and no "Key: Value" lines. A longer section, or another group opener,
    is level 1 again.
    """
    in_group = False
    for i, b in enumerate(blocks):
        if b.kind != "heading":
            continue
        body = _body_after(blocks, i)
        paragraphs = [x for x in body if x.kind == "paragraph"]
        opens = len(body) == 0 or (
            len(body) == 1 and body[0].kind == "paragraph" and _sentence_count(body[0].text) <= 2
        )
        short = len(paragraphs) <= 1 and not any(x.kind == "key_value" for x in body)
        if opens:
            b.level, in_group = 1, True
        elif in_group and short:
            b.level = 2
        else:
            b.level, in_group = 1, False


def _sentence_count(text: str) -> int:
    return max(1, len(re.findall(r"[.!?](?:\s|$)", text)))


def _assign_sections(blocks: list[Block]) -> None:
    path: list[tuple[int, str]] = []
    for b in blocks:
        if b.kind == "heading":
            while path and path[-1][0] >= b.level:
                path.pop()
            path.append((b.level, b.text))
        b.section = tuple(t for _, t in path)
