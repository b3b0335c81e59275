"""The one document structure every converter returns, and the layout rules they share.

A converter (text, Markdown, HTML) turns a file into `Parsed`: the canonical text that
every offset and citation points into, the title, and a list of `Block`s (headings with
levels, paragraphs, bullets, "Key: Value" lines, table rows). Everything after the
converters is format-blind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BULLET_RE = re.compile(r"^(?:[-*+\u2022\u25aa\u25cf\u2013]|\d{1,2}[.)])\s+(?=\S)")
KEY_VALUE_RE = re.compile(r"^(?P<key>[A-Z][\w&/'() -]{1,50}?):\s+(?P<value>\S.{0,100})$")
_END_PUNCT = ".!?:;,"
MAX_HEADING_WORDS = 12
MAX_HEADING_CHARS = 90


@dataclass
class Block:
    """A structural piece of a document.

    kind: "heading" (with `level`), "paragraph", "bullet" (one list item, marker
    excluded), "key_value" (a "Key: Value" line) or "row" (one table row, cells
    separated by tabs). `start`/`end` index `Parsed.text`; `line`/`last_line` are lines
    of `Parsed.text` (1-based).
    """

    kind: str
    text: str
    line: int
    start: int
    end: int
    level: int = 0
    section: tuple[str, ...] = field(default_factory=tuple)
    last_line: int = 0
    header: bool = False  # rows: a table's header row

    def __post_init__(self) -> None:
        self.last_line = max(self.last_line, self.line)


@dataclass
class Parsed:
    """A converted file: canonical text, title and structure.

    `source_lines[i]` is the line of the original file that line i+1 of `text` came
    from; None when the text keeps the file's own lines (text and Markdown).
    """

    text: str
    title: str
    blocks: list[Block]
    source_lines: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Line:
    """One non-empty line of text with its character span."""

    number: int  # 1-based
    start: int
    end: int
    text: str


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    pos = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        if raw.strip():
            lines.append(Line(number, pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return lines


def heading_shaped(line: str) -> bool:
    """Short, starts with a capital or digit, no sentence punctuation at the end, not a
    bullet, a "Key: Value" line or a table row."""
    words = line.split()
    return (
        0 < len(words) <= MAX_HEADING_WORDS
        and len(line) <= MAX_HEADING_CHARS
        and (line[0].isupper() or line[0].isdigit())
        and line[-1] not in _END_PUNCT
        and "\t" not in line
        and not BULLET_RE.match(line)
        and not KEY_VALUE_RE.match(line)
    )


def assign_sections(blocks: list[Block]) -> None:
    """Each block's section path from the headings above it and their levels."""
    path: list[tuple[int, str]] = []
    for b in blocks:
        if b.kind == "heading":
            while path and path[-1][0] >= b.level:
                path.pop()
            path.append((b.level, b.text))
        b.section = tuple(t for _, t in path)


def clean_title(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).strip(" -:#")


def title_from_name(stem: str) -> str:
    """"imaging-technologist" → "Imaging Technologist"; a trailing code ("-29-1022") goes."""
    words = re.sub(r"[-_]\d[\d-]*$", "", stem).replace("-", " ").replace("_", " ").split()
    small = {"and", "or", "of", "the", "in", "for", "a", "an", "to"}
    return " ".join(w if (i and w in small) else w[:1].upper() + w[1:] for i, w in enumerate(words)) or stem


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?\n)---[ \t]*(?:\n|\Z)", re.S)


def front_matter(text: str) -> tuple[dict[str, str], int]:
    """YAML-style front matter at the top (`---` … `---`): its simple `key: value` pairs
    and the number of lines it takes (0 when there is none)."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, 0
    pairs: dict[str, str] = {}
    for line in m.group("body").split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip():
            pairs[key.strip().lower()] = value.strip().strip("'\"")
    return pairs, m.group(0).count("\n") + (0 if m.group(0).endswith("\n") else 1)
