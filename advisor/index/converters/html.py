"""Web pages saved as .html/.htm, parsed with BeautifulSoup (Python's html.parser).

Only the page's content counts: scripts, styles, navigation, forms and hidden parts are
dropped, and when the page marks its content (`<main>`, `role="main"`, `<article>`)
only that is read. Headings h1-h6, paragraphs, list items, table rows (with their
caption) and definition lists become blocks. The canonical text is those blocks one a
line (list items with "- ", table cells separated by tabs); `source_lines` maps each of
its lines to the line of the page where the element starts. Title: the first <h1>,
else <title>, else the file name.
"""

from __future__ import annotations

from typing import Any

from advisor.index.normalize import normalize_text
from advisor.index.structure import Block, Parsed, assign_sections, clean_title, title_from_name

_DROP = ("script", "style", "noscript", "template", "nav", "aside", "form", "button", "select", "textarea",
         "svg", "canvas", "iframe", "object", "embed", "video", "audio", "map", "dialog", "menu", "head")
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar", "dialog"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_TEXT_BLOCKS = {"p", "li", "tr", "caption", "dt", "dd", "figcaption", "blockquote", "pre", "address", "summary"}
_CONTAINERS = {"div", "section", "article", "main", "body", "header", "footer", "td", "th", "details", "figure", "center", "span", "font"}


def convert_html(raw: bytes, stem: str) -> Parsed:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    page_title = clean_title(soup.title.get_text(" ")) if soup.title else ""
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        attrs = tag.attrs or {}
        if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true" or str(attrs.get("role", "")).lower() in _DROP_ROLES:
            tag.decompose()
        elif tag.name in ("header", "footer") and not tag.find("h1"):
            tag.decompose()
    root = soup.find("main") or soup.find(True, attrs={"role": "main"}) or soup.find("article") or soup.body or soup
    pieces: list[tuple[str, str, int, int, bool]] = []  # kind, text, source line, level, header
    _walk(root, pieces)
    return _assemble(pieces, page_title, stem)


def _text(tag: Any, skip_lists: bool = False) -> str:
    """The element's words on one line."""
    return " ".join(_lines(tag, skip_lists)[0].split())


def _lines(tag: Any, skip_lists: bool = False) -> tuple[str, list[int]]:
    """The element's text with its own line breaks kept (so that each sentence of a long
    paragraph can cite the page line it stands on), and, for each of its lines, how many
    lines below the element's first line it stands."""
    if skip_lists:  # a list item's own words, not those of the list nested in it
        parts = [t for t in tag.find_all(string=True) if not _inside_nested_list(t, tag)]
        raw = "".join(str(p) for p in parts)
    else:
        raw = tag.get_text("")
    kept: list[str] = []
    offsets: list[int] = []
    for i, line in enumerate(raw.split("\n")):
        line = " ".join(normalize_text(line).split())
        if line:
            kept.append(line)
            offsets.append(i)
    return "\n".join(kept), offsets


def _inside_nested_list(node: Any, item: Any) -> bool:
    for parent in node.parents:
        if parent is item:
            return False
        if parent.name in ("ul", "ol"):
            return True
    return False


def _walk(node: Any, out: list[tuple[str, str, int, int, bool]]) -> None:
    for child in getattr(node, "children", ()):
        name = getattr(child, "name", None)
        if name is None:
            text = " ".join(str(child).split())
            if text and getattr(node, "name", "") in _CONTAINERS and node.name not in ("td", "th"):
                out.append(("paragraph", normalize_text(text), getattr(node, "sourceline", 0) or 0, 0, False))
            continue
        line = getattr(child, "sourceline", 0) or 0
        if name in _HEADINGS:
            text = _text(child)
            if text:
                out.append(("heading", text, line, _HEADINGS[name], False))
        elif name == "li":
            text = _text(child, skip_lists=True)
            if text:
                out.append(("bullet", text, line, 0, False))
            for sub in child.find_all(("ul", "ol"), recursive=False):
                _walk(sub, out)
            for sub in child.find_all(("div", "p"), recursive=False):
                for nested in sub.find_all(("ul", "ol"), recursive=False):
                    _walk(nested, out)
        elif name == "tr":
            cells = [_text(c) for c in child.find_all(("td", "th"), recursive=False)]
            cells = [c for c in cells if c]
            if cells:
                header = all(c.name == "th" for c in child.find_all(("td", "th"), recursive=False)) or child.find_parent("thead") is not None
                out.append(("row", "\t".join(cells), line, 0, header))
        elif name in ("ul", "ol", "table", "thead", "tbody", "tfoot", "dl") or name in _CONTAINERS:
            _walk(child, out)
        elif name in _TEXT_BLOCKS:
            if child.find(("p", "ul", "ol", "table") + tuple(_HEADINGS)):
                _walk(child, out)
            else:
                text, offsets = _lines(child)
                for piece, off in zip(text.split("\n"), offsets, strict=True) if text else ():
                    out.append(("paragraph" if off == offsets[0] else "continued", piece, line + off, 0, False))
        elif name == "br" or name == "hr":
            continue
        else:  # inline element directly in a container: its text is a paragraph of its own
            text = _text(child)
            if text:
                out.append(("paragraph", text, line, 0, False))


def _assemble(pieces: list[tuple[str, str, int, int, bool]], page_title: str, stem: str) -> Parsed:
    h1 = [p for p in pieces if p[0] == "heading" and p[3] == 1]
    title = h1[0][1] if h1 else page_title
    if h1:
        pieces = [p for p in pieces if p is not h1[0]]
    lines: list[str] = []
    source: list[int] = []
    blocks: list[Block] = []
    pos = 0
    last_line = 0
    for kind, text, line, level, header in pieces:
        prefix = "- " if kind == "bullet" else ""
        start = pos + len(prefix)
        lines.append(prefix + text)
        last_line = max(line, last_line)
        source.append(line or last_line)
        n = len(lines)
        if kind == "continued" and blocks and blocks[-1].kind == "paragraph":  # the next line of the same paragraph
            prev = blocks[-1]
            blocks[-1] = Block("paragraph", prev.text + "\n" + text, prev.line, prev.start, start + len(text), last_line=n)
        else:
            blocks.append(Block("paragraph" if kind == "continued" else kind, text, n, start, start + len(text), level, header=header))
        pos += len(prefix) + len(text) + 1
    assign_sections(blocks)
    return Parsed("\n".join(lines), clean_title(title) or title_from_name(stem), blocks, tuple(source))
