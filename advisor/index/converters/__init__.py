"""One converter per file format, one document structure (`Parsed`) out.

    >>> parsed = convert(Path("corpus/actor.html"), raw_bytes)
    >>> parsed.title, parsed.blocks[0].kind
"""

from __future__ import annotations

from pathlib import Path

from advisor.index.converters.html import convert_html
from advisor.index.converters.markdown import convert_markdown
from advisor.index.converters.text import convert_text
from advisor.index.normalize import decode_bytes, normalize_text
from advisor.index.structure import Parsed

TEXT_SUFFIXES = (".txt", ".text")
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + MARKDOWN_SUFFIXES + HTML_SUFFIXES


def convert(path: Path, raw: bytes) -> Parsed:
    """The structure of one profile file, by its suffix. Raises CorpusError for files
    that are not text (binary, or not UTF-8 for text and Markdown)."""
    suffix = path.suffix.lower()
    stem = path.stem
    if suffix in HTML_SUFFIXES:
        decode_bytes(raw[:8192], path, binary_only=True)
        return convert_html(raw, stem)
    decoded = decode_bytes(raw, path)
    text = normalize_text(decoded)
    if suffix in MARKDOWN_SUFFIXES:
        return convert_markdown(text, stem, str(path), decoded)
    return convert_text(text, stem, str(path), indents(decoded), decoded)


def indents(decoded: str) -> list[int]:
    """How far each line of the file is indented (a tab counts as two spaces); the
    canonical text keeps the lines one for one but not their indentation."""
    lines = decoded.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [len(ln.expandtabs(2)) - len(ln.expandtabs(2).lstrip()) for ln in lines]
