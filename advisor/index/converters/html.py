"""Web pages saved as .html/.htm (and HTML fragments), parsed with BeautifulSoup
(Python's html.parser, which keeps each element's source line).

Only the profile counts, never the page around it: `boilerplate` drops what a reader
does not see as text (forms, navigation, hidden parts, widgets), finds the content root
(`<main>`, or where the boilerplate remover resiliparse finds the main content), and takes
out listings, link lists and furniture regions by their structure.

Headings, paragraphs, list items, table rows (each cell beside its column header) and
definition lists (`records`: "Label: value" facts) become pieces of the canonical text,
one a line; `source_lines` maps each line to the page line it comes from. A heading over
one or two short fragments ("Hours" / "37 to 40 a week") is one fact.

Title: the first `<h1>`, else a `Title` field, else `<title>` without the site's name,
else the file name. A page with no profile left (an error page, a sign-in wall, a page of
links) comes back with `Parsed.skipped` saying why.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.index.converters.boilerplate import (
    BLOCKS,
    TEXT_BLOCKS,
    child_tags,
    content_root,
    has_descendant,
    link_chars,
    prune,
    region_lengths,
    remove_hidden_and_furniture,
    text_len,
)
from advisor.index.converters.records import Field, Renderer
from advisor.index.normalize import normalize_text
from advisor.index.structure import (
    CELL_SEP,
    Builder,
    Parsed,
    Piece,
    clean_names,
    clean_title,
    drop_empty_headings,
    names_in_blocks,
    piece,
)

_NON_TEXT = ("script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "video", "audio",
             "map", "head", "link", "meta")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_CONTAINERS = {"div", "section", "article", "main", "body", "header", "footer", "td", "th", "details", "figure", "center",
               "span", "font", "html", "[document]", "dl"}
_BLOCKS_IN_DD = frozenset(BLOCKS - {"dd", "dt"})
_NESTED_BLOCKS = frozenset({"p", "ul", "ol", "table", "dl", "div"} | set(_HEADINGS))
_PROSE_BLOCKS = frozenset({"p", "ul", "ol", "table"})
_DL = frozenset({"dl"})
_TITLE_SEP = re.compile(r"\s+(?:[|\u2013\u2014\u00b7\u2022:]|-{1,2}|::)\s+")
_ERROR_PAGE = re.compile(r"\b(?:40[0-9]|50[0-9])\b|not found|page (?:cannot|can't|could not) be|\berror\b|access denied|forbidden"
                         r"|unavailable|\bsign in\b|\blog ?in\b|\bregister\b|session (?:has )?(?:expired|timed out)", re.I)
_SENTENCE_END = re.compile(r"[.!?:][\"')\]]*$")

MIN_WORDS = 20  # a page with less text than this outside its furniture holds no profile


def convert_html(raw: bytes, stem: str) -> Parsed:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    full_page = soup.find(("html", "body", "head")) is not None
    page_title = _page_title(soup)
    summary = _meta(soup, "description")
    asks_password = soup.find("input", attrs={"type": "password"}) is not None
    for tag in soup.find_all(_NON_TEXT):
        tag.decompose()
    before = region_lengths(soup)
    remove_hidden_and_furniture(soup)
    root = content_root(soup, raw, full_page)
    root_before = before.get(id(root), 0)
    root_links = link_chars(root) / max(1, text_len(root))
    prune(root, before)
    walker = _Walker(root)
    pieces = drop_empty_headings(_short_sections(walker.walk()))
    prose = [p for p in pieces if p.kind != "heading"]
    n_words = sum(len(p.text.split()) for p in prose)
    h1 = walker.h1 if walker.h1 in pieces else None
    title = h1.text if h1 else (walker.renderer.title or page_title)
    skipped = _why_skipped(n_words, title, root_before, root_links, asks_password)
    if h1 is not None:
        pieces = [p for p in pieces if p is not h1]
    b = Builder()
    b.extend(pieces)
    parsed = b.parsed(title, stem)
    names = clean_names([*walker.renderer.names, *names_in_blocks(parsed.blocks)], parsed.title)
    return Parsed(parsed.text, parsed.title, parsed.blocks, parsed.source_lines, names, summary, skipped)


def _why_skipped(n_words: int, title: str, root_chars: int, root_links: float, asks_password: bool) -> str:
    """Why the page holds no profile, or ""."""
    if n_words >= 150 or (n_words >= MIN_WORDS and not asks_password and not _ERROR_PAGE.search(title or "") and root_links < 0.6):
        return ""
    if n_words == 0:
        return "it holds no text to quote"
    if asks_password:
        return f"it asks for a password (a sign-in page) and holds only {n_words} words besides"
    if _ERROR_PAGE.search(title or ""):
        return f"it looks like an error or sign-in page ({title!r}, {n_words} words)"
    if root_links >= 0.6:
        return f"it is a page of links ({root_links:.0%} of its text is link text; {n_words} words are not)"
    return f"only {n_words} words are left once navigation, banners, forms and listings are taken out"


# -- page facts -----------------------------------------------------------------------------


def _meta(soup: Any, name: str) -> str:
    tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": f"og:{name}"})
    return " ".join(str(tag.get("content", "")).split()) if tag else ""


def _page_title(soup: Any) -> str:
    """`<title>` without the site's name: the `og:site_name` when the page gives it, else
    the first part ("Plumber | Job profiles" → "Plumber")."""
    if not soup.title:
        return ""
    text = " ".join(soup.title.get_text(" ").split())
    site = _meta(soup, "site_name").lower()
    parts = [p for p in _TITLE_SEP.split(text) if p.strip()]
    if site:
        parts = [p for p in parts if p.strip().lower() != site] or parts
    return clean_title(parts[0] if parts else text)


# -- structure into pieces --------------------------------------------------------------------


class _Walker:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.renderer = Renderer()
        self.h1: Piece | None = None  # the piece of the page's first <h1>

    def walk(self) -> list[Piece]:
        out: list[Piece] = []
        self._walk(self.root, out)
        return out

    def _walk(self, node: Any, out: list[Piece]) -> None:
        for child in node.children:
            if child.name is None:  # text standing directly in a container: a paragraph of its own
                text = " ".join(str(child).split()) if type(child).__name__ in ("NavigableString", "CData") else ""
                if text and (node.name in _CONTAINERS or node.name in TEXT_BLOCKS) and node.name not in ("td", "th", "tr"):
                    out.append(piece("paragraph", normalize_text(text), _line(node)))
            else:
                self._element(child, out)

    def _element(self, child: Any, out: list[Piece]) -> None:
        name, line = child.name, _line(child)
        if name in _HEADINGS:
            self._heading(child, out)
        elif name == "dl":
            out.extend(self.renderer.mapping(self._fields(child), _level_after(out)))
        elif name == "li":
            text = _text(child, skip_lists=True)
            if text:
                out.append(piece("bullet", text, line))
            for sub in child.find_all(("ul", "ol", "dl", "table"), recursive=False):
                self._element(sub, out)
            for sub in child.find_all(("div", "p"), recursive=False):
                for nested in sub.find_all(("ul", "ol"), recursive=False):
                    self._element(nested, out)
        elif name == "table":
            out.extend(_table(child))
        elif name in ("ul", "ol", "thead", "tbody", "tfoot") or name in _CONTAINERS:
            self._walk(child, out)
        elif name in TEXT_BLOCKS:
            if has_descendant(child, _NESTED_BLOCKS):
                self._walk(child, out)
            else:
                out.extend(_paragraph(child))
        elif name not in ("br", "hr", "img"):  # an inline element directly in a container: a paragraph of its own
            text = _text(child)
            if text:
                out.append(piece("paragraph", text, line))

    def _heading(self, tag: Any, out: list[Piece]) -> None:
        text = _text(tag)
        label = str(tag.get("data-label", "")).strip()
        if label and text:
            out.append(piece("key_value", f"{label}: {text}", _line(tag)))
        elif text or label:
            out.append(piece("heading", text or label, _line(tag), _HEADINGS[tag.name]))
            if tag.name == "h1" and self.h1 is None:
                self.h1 = out[-1]

    def _fields(self, dl: Any) -> list[Field]:
        """A `<dl>` as fields: each `<dt>` a label, its `<dd>` its value (a line, prose, or
        a nested record: a `<dd>` holding a `<dl>`); several `<dd>`s are a list."""
        groups: list[tuple[Field, list[Field]]] = []
        for c in dl.find_all(("dt", "dd", "div"), recursive=False):
            if c.name == "div":  # <div><dt/><dd/></div> groups are allowed by HTML
                groups.extend((f, []) for f in self._fields(c))
            elif c.name == "dt":
                groups.append((Field(_text(c), _line(c)), []))
            else:
                if not groups or groups[-1][0].label == "" and not groups[-1][1]:
                    groups.append((Field("", _line(c)), []))
                groups[-1][1].append(self._value(c))
        fields: list[Field] = []
        for f, values in groups:
            if len(values) == 1:
                v = values[0]
                f.value, f.pieces, f.items, f.link_only = v.value, v.pieces, v.items, v.link_only
            elif values:
                f.items = [i for v in values for i in (v.items if v.items and not v.label else [v])]
            if f.label or not f.scalar or f.value:
                fields.append(f)
        return fields

    def _value(self, dd: Any) -> Field:
        nested = next(iter(child_tags(dd, _DL)), None)
        if nested is not None and not child_tags(dd, _PROSE_BLOCKS):
            # a record inside a value (a linked item of a content export): a list of one
            return Field("", _line(dd), items=[Field("", _line(nested), children=self._fields(nested))])
        if has_descendant(dd, _BLOCKS_IN_DD):
            pieces: list[Piece] = []
            self._walk(dd, pieces)
            return Field("", _line(dd), pieces=pieces)
        text = _text(dd)
        links = dd.find_all("a", href=True)
        link_only = bool(links) and text_len(dd) > 0 and sum(text_len(a) for a in links) >= 0.9 * text_len(dd)
        return Field("", _line(dd), value=text, link_only=link_only)


def _line(tag: Any) -> int:
    return getattr(tag, "sourceline", 0) or 0


def _level_after(out: list[Piece]) -> int:
    last = next((p.level for p in reversed(out) if p.kind == "heading"), 0)
    return min(last + 1, 6)


def _text(tag: Any, skip_lists: bool = False) -> str:
    """The element's words on one line."""
    return " ".join(_lines(tag, skip_lists)[0].split())


def _lines(tag: Any, skip_lists: bool = False) -> tuple[str, list[int]]:
    """The element's text with its own line breaks kept (so that each sentence of a long
    paragraph can cite the page line it stands on), and, for each of its lines, how many
    lines below the element's first line it stands."""
    if skip_lists:  # a list item's own words, not those of the list nested in it
        parts = [t for t in tag.find_all(string=True) if not _inside_nested_list(t, tag) and _visible_string(t)]
    else:
        parts = [t for t in tag.find_all(string=True) if _visible_string(t)]
    raw = "".join(str(p) for p in parts)
    kept: list[str] = []
    offsets: list[int] = []
    for i, line in enumerate(raw.split("\n")):
        line = " ".join(normalize_text(line).split())
        if line:
            kept.append(line)
            offsets.append(i)
    return "\n".join(kept), offsets


def _visible_string(s: Any) -> bool:
    return type(s).__name__ in ("NavigableString", "CData")


def _inside_nested_list(node: Any, item: Any) -> bool:
    for parent in node.parents:
        if parent is item:
            return False
        if parent.name in ("ul", "ol", "dl", "table"):
            return True
    return False


def _paragraph(tag: Any) -> list[Piece]:
    text, offsets = _lines(tag)
    if not text:
        return []
    line = _line(tag)
    return [Piece("paragraph", [(t, line + off) for t, off in zip(text.split("\n"), offsets, strict=True)])]


def _table(table: Any) -> list[Piece]:
    """Rows of a table, each data cell beside its column's header ("Area: Inner London |
    Minimum: £36,745"); a caption first. A row led by a header cell reads "Header: cells"."""
    out: list[Piece] = []
    cap = table.find("caption")
    if cap is not None and _text(cap):
        out.extend(_paragraph(cap))
    headers: list[str] = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        cells = tr.find_all(("td", "th"), recursive=False)
        texts = [_text(c) for c in cells]
        if not any(texts):
            continue
        all_th = all(c.name == "th" for c in cells)
        if (all_th or tr.find_parent("thead") is not None) and not headers:
            headers = texts
            out.append(piece("row", "\t".join(t for t in texts if t), _line(tr), header=True))
            continue
        if headers and len(headers) == len(texts):
            text = CELL_SEP.join(f"{h}: {t}" if h else t for h, t in zip(headers, texts, strict=True) if t)
        elif cells[0].name == "th" and len(texts) > 1:
            text = f"{texts[0]}: " + CELL_SEP.join(t for t in texts[1:] if t)
        else:
            text = CELL_SEP.join(t for t in texts if t)
        out.append(piece("row", text, _line(tr)))
    return out


def _short_sections(pieces: list[Piece]) -> list[Piece]:
    """A heading over one to three short fragments and nothing else ("Pay" / "£20,000
    new" "to" "£35,000 senior") is one fact, so that a figure is quoted with what it
    measures."""
    out: list[Piece] = []
    i = 0
    while i < len(pieces):
        p = pieces[i]
        if p.kind == "heading" and len(p.text.split()) <= 8:
            j = i + 1
            frags: list[Piece] = []
            while j < len(pieces) and pieces[j].kind == "paragraph" and len(frags) < 3:
                frags.append(pieces[j])
                j += 1
            words = " ".join(f.text.replace("\n", " ") for f in frags).split()
            ends = j >= len(pieces) or (pieces[j].kind == "heading" and pieces[j].level <= p.level) or pieces[j].kind == "key_value"
            if frags and ends and len(words) <= 15 and not any(_SENTENCE_END.search(f.text) for f in frags):
                out.append(piece("key_value", f"{p.text}: {' '.join(words)}", frags[0].source))
                i = j
                continue
        out.append(p)
        i += 1
    return out


