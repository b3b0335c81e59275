"""The one document structure every converter returns, and the layout rules they share.

A converter (text, Markdown, HTML) turns a file into `Parsed`: the canonical text that
every offset and citation points into, the title, the career's other names, and a list of
`Block`s (headings with levels, paragraphs, bullets, "Key: Value" lines, table rows).
Everything after the converters is format-blind.

A converter that has to build its canonical text (HTML always; Markdown, whose markup is
rendered to plain text; a text report laid out by indentation) adds `Piece`s to a
`Builder`, which keeps each canonical line's line of the original file in `source_lines`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

BULLET_RE = re.compile(r"^(?:[-*+\u2022\u25aa\u25cf\u2013]|\d{1,2}[.)])\s+(?=\S)")
KEY_VALUE_RE = re.compile(r"^(?P<key>[A-Z][\w&/'() -]{1,50}?):\s+(?P<value>\S.{0,100})$")
_END_PUNCT = ".!?:;,"
MAX_HEADING_WORDS = 12
MAX_HEADING_CHARS = 90
CELL_SEP = " | "  # between the cells of a table row and the facts of one line


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
    """A converted file: canonical text, title, other names and structure.

    `source_lines[i]` is the line of the original file that line i+1 of `text` came
    from; None when the text keeps the file's own lines (plain text in the usual layout).
    `names`: other names the file gives the career ("Also called" lists, front-matter
    keywords that name a kind of worker). `summary`: the page's own one-paragraph
    description (front matter, meta description), when it has one.
    """

    text: str
    title: str
    blocks: list[Block]
    source_lines: tuple[int, ...] | None = None
    names: tuple[str, ...] = ()
    summary: str = ""
    skipped: str = ""  # why the file holds no profile to index (an error page…), else ""


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


# -- building a canonical text -------------------------------------------------------------


@dataclass
class Piece:
    """One block before it has offsets: its kind, its lines with the line of the file
    each comes from, and for headings a level (1 = top)."""

    kind: str  # heading | paragraph | bullet | key_value | row
    lines: list[tuple[str, int]]
    level: int = 0
    header: bool = False

    @property
    def text(self) -> str:
        return "\n".join(t for t, _ in self.lines)

    @property
    def source(self) -> int:
        return self.lines[0][1] if self.lines else 0


def piece(kind: str, text: str, line: int, level: int = 0, header: bool = False) -> Piece:
    return Piece(kind, [(text, line)], level, header)


class Builder:
    """The canonical text, one block a line (a paragraph may keep several lines, so
    that each sentence cites the line it stands on), with each line's file line.

        >>> b = Builder(); b.add(piece("paragraph", "Welders join metal.", 12))
        >>> b.parsed("Welders", "welders").source_lines
        (12,)
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.source: list[int] = []
        self.blocks: list[Block] = []
        self._pos = 0

    def add(self, p: Piece) -> None:
        lines = [(" ".join(t.split()), n) for t, n in p.lines]
        lines = [(t, n) for t, n in lines if t]
        if not lines:
            return
        prefix = "- " if p.kind == "bullet" else ""
        start = self._pos + len(prefix)
        first = len(self.lines) + 1
        for i, (text, src) in enumerate(lines):
            shown = (prefix if i == 0 else "") + text
            self.lines.append(shown)
            self.source.append(src or (self.source[-1] if self.source else 1))
            self._pos += len(shown) + 1
        body = "\n".join(t for t, _ in lines)
        self.blocks.append(Block(p.kind, body, first, start, self._pos - 1, p.level, header=p.header, last_line=len(self.lines)))

    def extend(self, pieces: Iterable[Piece]) -> None:
        for p in pieces:
            self.add(p)

    def parsed(self, title: str, stem: str, names: Sequence[str] = (), summary: str = "") -> Parsed:
        assign_sections(self.blocks)
        title = clean_title(title) or title_from_name(stem)
        return Parsed("\n".join(self.lines), title, self.blocks, tuple(self.source), clean_names(names, title), summary)


def aligned(pieces: Sequence[Piece], n_lines: int, title: str, stem: str, names: Sequence[str] = (), summary: str = "") -> Parsed | None:
    """The pieces placed on the very lines of the file they come from (other lines left
    blank), so that the canonical text's line numbers are the file's and no
    `source_lines` are needed; None when two pieces share a line or go backwards."""
    rows = [""] * n_lines
    placed: list[tuple[Piece, list[int]]] = []
    last = 0
    for p in pieces:
        at: list[int] = []
        for text, src in p.lines:
            text = " ".join(text.split())
            if not text:
                continue
            if not last < src <= n_lines:
                return None
            rows[src - 1] = ("- " if p.kind == "bullet" and not at else "") + text
            at.append(src)
            last = src
        if at:
            placed.append((p, at))
    starts = [0]
    for r in rows:
        starts.append(starts[-1] + len(r) + 1)
    blocks: list[Block] = []
    for p, at in placed:
        first, final = at[0], at[-1]
        start = starts[first - 1] + (2 if p.kind == "bullet" else 0)
        end = starts[final - 1] + len(rows[final - 1])
        body = "\n".join(rows[n - 1] for n in range(first, final + 1))[2 if p.kind == "bullet" else 0 :]
        blocks.append(Block(p.kind, body, first, start, end, p.level, header=p.header, last_line=final))
    assign_sections(blocks)
    while rows and not rows[-1]:
        rows.pop()
    title = clean_title(title) or title_from_name(stem)
    return Parsed("\n".join(rows), title, blocks, None, clean_names(names, title), summary)


def drop_empty_headings(pieces: list[Piece]) -> list[Piece]:
    """Headings with nothing under them (their content was furniture) go."""
    out: list[Piece] = []
    for i, p in enumerate(pieces):
        if p.kind == "heading":
            nxt = next((q for q in pieces[i + 1 :] if q.kind != "heading" or q.level <= p.level), None)
            if nxt is None or nxt.kind == "heading":
                continue
        out.append(p)
    return out


# -- front matter --------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?\n)---[ \t]*(?:\n|\Z)", re.S)


def front_matter(text: str, where: str = "", raw: str | None = None) -> tuple[dict[str, Any], int]:
    """YAML front matter at the top (`---` … `---`): its fields (keys lower-cased) and
    the number of lines it takes (0 when there is none). `raw`: the file's text before
    normalising, whose indentation YAML needs (the canonical text keeps lines one for
    one, not their indentation). YAML that does not parse is read as simple `key: value`
    lines, with a warning naming `where`."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, 0
    n_lines = m.group(0).count("\n") + (0 if m.group(0).endswith("\n") else 1)
    body = m.group("body")
    if raw is not None:
        raw_lines = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
        body = "\n".join(raw_lines[1 : n_lines - 1]) + "\n"
    import yaml

    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 2})" if mark is not None else ""
        log.warning("%s: front matter is not valid YAML%s; reading its simple 'key: value' lines only", where or "a file", at)
        data = None
    if isinstance(data, dict):
        return {str(k).strip().lower(): _normal(v) for k, v in data.items()}, n_lines
    pairs: dict[str, Any] = {}
    for line in m.group("body").split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            pairs[key.strip().lower()] = value.strip().strip("'\"")
    return pairs, n_lines


def _normal(value: Any) -> Any:
    """Front-matter strings repaired like the rest of the text (quotes, spaces)."""
    from advisor.index.normalize import normalize_text

    if isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    return value


def front_matter_line(text: str, key: str) -> int:
    """The line (1-based) of a top-level front-matter key, 1 when not found."""
    m = re.search(rf"^{re.escape(key)}\s*:", text[:20000], re.M | re.I)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def meta_text(value: Any) -> str:
    """A front-matter value as one line of text ("" for lists and mappings)."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return " ".join(str(value).split())
    return ""


def meta_list(value: Any) -> list[str]:
    """A front-matter value as a list of strings: a YAML list, or a comma-separated line."""
    if isinstance(value, list):
        return [meta_text(v) for v in value if meta_text(v)]
    text = meta_text(value)
    return [t.strip() for t in re.split(r"[,;]", text) if t.strip()] if text else []


def meta_names(meta: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(names the counselor gave the career, keywords that may name it) of a front matter:
    `names`, `aliases`, `also called`, `other names` are names; `keywords` and `tags` are
    only candidates (see `keyword_names`)."""
    names = [n for k in ("names", "aliases", "also called", "also_called", "other names", "other_names", "synonyms") for n in meta_list(meta.get(k))]
    keywords = [n for k in ("keywords", "tags") for n in meta_list(meta.get(k))]
    return names, keywords


# -- the career's other names --------------------------------------------------------------

# The ways a page labels the other names of a job. General English, not one site's words.
NAME_LABEL = re.compile(
    r"^(?:also (?:called|known as)|other (?:job )?(?:names|titles)|alternative (?:job )?(?:names|titles)(?: for this (?:job|role|career))?(?: include)?"
    r"|alternate (?:names|titles)|sample of reported job titles|(?:job|role) titles?(?: include)?|other titles)\s*:?$",
    re.I,
)
_AGENT = re.compile(r"(?:er|or|ist|ian|ant|ent|eer|ee|man|men|woman|person|ess|ive|ic|wright|smith|nurse|chef|guard|aide|pilot|clerk)s?$", re.I)
_NOT_AGENT = re.compile(r"(?:ment|ents)$", re.I)
_FIRST_NOT_NAME = frozenset("a an the how what why when where who which to for of in on and or with your my our".split())
_NOT_A_WORKER = frozenset("career careers job jobs work role roles".split())  # words that end like a person noun but name none


def split_names(value: str) -> list[str]:
    """"Pipe fitter, gas fitter, heating engineer" → three names; commas inside
    brackets do not split ("Fitter (Gas, Water)")."""
    out, depth, cur = [], 0, ""
    for ch in value:
        depth += (ch in "([") - (ch in ")]")
        if ch in ",;" and depth <= 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    names = [re.sub(r"^\s*(?:and|or)\s+", "", p.strip()).strip(" .") for p in out]
    if len(names) > 1:  # "a, b and c": the last part holds two
        names[-1:] = re.split(r"\s+(?:and|or)\s+(?![^()]*\))", names[-1])
    return [n for n in names if n]


def keyword_names(keywords: Iterable[str]) -> list[str]:
    """The keywords that name a kind of worker: one to four words, not an acronym alone,
    not opening with a function word, ending in a person noun ("Trainee Nurse",
    "Ward Manager"; not "Salary", "Pay band", "How to become a nurse")."""
    out = []
    for k in keywords:
        ws = k.split()
        if not 1 <= len(ws) <= 4 or ws[0].lower() in _FIRST_NOT_NAME or (len(ws) == 1 and ws[0].isupper()):
            continue
        head = ws[-1].strip("()")
        if _AGENT.search(head) and not _NOT_AGENT.search(head) and head.isalpha() and head.lower() not in _NOT_A_WORKER:
            out.append(k)
    return out


def names_in_blocks(blocks: Sequence[Block]) -> list[str]:
    """Names the document gives under a label for other names: a "Label: a, b, c" fact,
    or the bullets (or one comma-separated paragraph) under such a heading."""
    names: list[str] = []
    for i, b in enumerate(blocks):
        if b.kind == "key_value":
            key, _, value = b.text.partition(":")
            if NAME_LABEL.match(key.strip()):
                names.extend(split_names(value))
        elif b.kind == "heading" and NAME_LABEL.match(b.text.strip()):
            for x in blocks[i + 1 :]:
                if x.kind == "heading" and x.level <= b.level:
                    break
                if x.kind == "bullet":
                    names.append(x.text)
                elif x.kind == "paragraph" and len(x.text.split()) <= 30:
                    names.extend(split_names(x.text))
    return names


def clean_names(names: Iterable[str], title: str) -> tuple[str, ...]:
    """Distinct names, the title itself left out."""
    seen = {title.lower()}
    out: list[str] = []
    for n in names:
        n = " ".join(str(n).split()).strip(" .,;:")
        if n and n.lower() not in seen and len(n) <= 120:
            seen.add(n.lower())
            out.append(n)
    return tuple(out)
