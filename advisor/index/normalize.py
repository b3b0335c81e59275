"""Text repair at load time: the corpus files are never edited.

`normalize_text` turns raw file text into the canonical text that chunks, offsets and
citations refer to. It is idempotent: ``normalize_text(normalize_text(s)) == normalize_text(s)``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from advisor.errors import CorpusError

# UTF-8 punctuation that was decoded with a legacy code page and saved again as UTF-8.
# The cp1252 forms are the classic ones; the Greek (cp1253) forms show up as "β€™".
_MOJIBAKE = {
    "\u00e2\u20ac\u2122": "\u2019",  # â€™
    "\u00e2\u20ac\u02dc": "\u2018",  # â€˜
    "\u00e2\u20ac\u0153": "\u201c",  # â€œ
    "\u00e2\u20ac\u009d": "\u201d",  # â€<9d>
    "\u00e2\u20ac\u201c": "\u2013",  # â€“
    "\u00e2\u20ac\u201d": "\u2014",  # â€”
    "\u00e2\u20ac\u00a6": "\u2026",  # â€¦
    "\u03b2\u20ac\u2122": "\u2019",  # β€™
    "\u03b2\u20ac\u02dc": "\u2018",
    "\u03b2\u20ac\u0153": "\u201c",
    "\u03b2\u20ac\u009d": "\u201d",
    "\u03b2\u20ac\u201c": "\u2013",
    "\u03b2\u20ac\u201d": "\u2014",
    "\u00c3\u00a9": "\u00e9",  # Ã©
    "\u00c3\u00a8": "\u00e8",
    "\u00c3\u00b6": "\u00f6",
    "\u00c3\u00bc": "\u00fc",
    "\u00c3\u00a4": "\u00e4",
    "\u00c2\u00a0": " ",  # Â<nbsp>
    # the same with the last byte lost (it was a C1 control character, e.g. 0x9d of ”)
    "\u00e2\u20ac": "\u201d",
    "\u03b2\u20ac": "\u201d",
}
_MOJIBAKE_RE = re.compile("|".join(re.escape(k) for k in sorted(_MOJIBAKE, key=len, reverse=True)))

# A lone Greek beta glued to a Latin word is what is left of "β€™" once the "€™"
# bytes were lost: "bachelorβs", "technologistsβ expertise". A real β stands alone
# or among Greek letters, so it is left as it is.
_STRAY_BETA = re.compile(r"(?<=[A-Za-z])\u03b2(?=[A-Za-z]\b|[\s.,;:!?)]|$)")

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
    }
)
# Zero-width characters and the BOM carry no text.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Every kind of horizontal space (NBSP, thin spaces) becomes one plain space; a run that
# holds a tab becomes one tab, since a tab separates the cells of a table row.
_HSPACE = re.compile(r"[^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalize_text(text: str) -> str:
    """Repair encoding damage and white space; return the canonical text.

    Line breaks are kept one for one (CRLF and CR become LF; blank lines stay), so a
    citation's line numbers are the line numbers of the file on disk. Idempotent.

    >>> normalize_text("a welder\u03b2s torch\r\n")
    "a welder's torch"
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)  # first, so no later step meets a character that is about to vanish
    text = unicodedata.normalize("NFC", text)
    text = _MOJIBAKE_RE.sub(lambda m: _MOJIBAKE[m.group(0)], text)
    while True:  # "aβsβ": each repair can expose the next
        fixed = _STRAY_BETA.sub("'", text)
        if fixed == text:
            break
        text = fixed
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_QUOTES)
    lines = [_HSPACE.sub(_space, line).strip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _space(m: re.Match[str]) -> str:
    return "\t" if "\t" in m.group(0) else " "


def decode_file(path: Path) -> str:
    """Read a corpus file as UTF-8 text, refusing binary or undecodable files.

    Raises CorpusError naming the file and the fix.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"Cannot read corpus file {path}: {exc.strerror or exc}.") from exc
    return decode_bytes(raw, path)


def decode_bytes(raw: bytes, path: Path, binary_only: bool = False) -> str:
    """`raw` as UTF-8 text; binary or undecodable content raises CorpusError naming
    `path`. With `binary_only` only the binary check is made (HTML names its own
    encoding)."""
    if b"\x00" in raw[:8192]:
        raise CorpusError(f"Corpus file {path} looks binary (it holds NUL bytes); remove it or save it as UTF-8 text.")
    if binary_only:
        return ""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"Corpus file {path} is not UTF-8 text (bad byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8."
        ) from exc
