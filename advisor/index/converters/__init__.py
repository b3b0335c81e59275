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
    text = normalize_text(decode_bytes(raw, path))
    if suffix in MARKDOWN_SUFFIXES:
        return convert_markdown(text, stem)
    return convert_text(text, stem)
