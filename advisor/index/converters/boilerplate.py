"""Telling a saved page's profile from the page around it (the HTML converter's first
steps; see `html.py` for the whole).

1. Nothing a reader does not see as text: forms and their controls, navigation and other
   landmark roles (banner, contentinfo, search, complementary), `<aside>`, headers and
   footers without the page's `<h1>`, hidden parts (`hidden`, `aria-hidden`,
   `display:none`, the usual "hidden" classes), the label and answer buttons of widgets
   ("Was this helpful? Yes No"). Screen-reader-only text goes too, except a label at the
   start of a heading (kept as the heading's `data-label`, which titles it: "Other job
   titles: …") and a short word joining two visible parts ("£20,000 *to* £35,000").
2. The content root: `<main>` (or `role="main"`, or a lone `<article>`); on a page that
   marks none, the smallest element holding nine tenths of the text that the boilerplate
   remover resiliparse (`main_content`) keeps — chosen over trafilatura, readability-lxml
   and jusText by `benchmarks/main_content.py`. A fragment (no `<html>`/`<body>`, e.g. an
   export of a content system) is all content.
3. Structure, inside the root: runs of repeated cards each led by a link (vacancy and
   course listings, related pages); lists and short blocks that are mostly link text
   (breadcrumbs, bare lists of links, "Search for jobs"), unless a sentence of the page
   introduces the list ("…from:"); then any region that lost two fifths of its text to
   these rules and holds little of the page (a sidebar, a listings section) goes whole.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.index.normalize import normalize_text

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
TEXT_BLOCKS = frozenset({"p", "li", "tr", "caption", "dt", "dd", "figcaption", "blockquote", "pre", "address", "summary"})
BLOCKS = frozenset(HEADINGS | {"p", "ul", "ol", "dl", "table", "div", "section", "article", "header", "footer", "blockquote",
                               "figure", "details", "li", "tr", "td", "th", "dd", "dt", "main", "pre", "address"})
_FURNITURE_TAGS = ("nav", "aside", "form", "select", "textarea", "input", "dialog", "menu", "label", "option")
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar", "dialog", "alertdialog", "toolbar"}
_BLOCKS_NOT_SPAN = frozenset(BLOCKS - {"span"})
_LINK = frozenset({"a"})
_REGIONS = ("div", "section", "article", "header", "footer", "ul", "ol", "details", "figure")
# Class names that mean "not shown" or "shown to screen readers only", by the usual conventions.
_HIDDEN_CLASS = re.compile(r"^(?:hidden|is-hidden|d-none|hide|js-hidden|u-hidden|invisible|display-none|.*--hidden)$")
_SR_CLASS = re.compile(r"(?:^|[-_])(?:sr|screen-?reader|visually|a11y|assistive|offscreen)(?:[-_]|$)|visuallyhidden|element-invisible")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
LINK_HEAVY = 0.5  # a list or short block whose text is this much link text is navigation
REGION_LOST = 0.4  # a region that lost this share of its text to furniture is furniture…
REGION_SMALL = 0.15  # …when what is left of it is under this share of the page's text
ROOT_SHARE = 0.9


# -- 1. what a reader does not see ---------------------------------------------------------------


def has_descendant(tag: Any, names: frozenset[str] | set[str]) -> bool:
    """Whether an element below `tag` is one of `names` (a plain walk: bs4's `find` with a
    set of names builds a matcher each call, which is slow on big pages)."""
    return any(d.name in names for d in tag.descendants if d.name is not None)


def child_tags(tag: Any, names: frozenset[str] | set[str]) -> list[Any]:
    return [c for c in tag.children if c.name is not None and c.name in names]


def is_dead(tag: Any) -> bool:
    """Whether the tag was decomposed (read from its own dict: bs4 answers an unknown
    attribute by searching the tag's children, which is slow)."""
    return bool(tag.__dict__.get("_decomposed", False))


def _classes(tag: Any) -> list[str]:
    c = (tag.attrs or {}).get("class") or []
    return c if isinstance(c, list) else str(c).split()


def _hidden(tag: Any) -> bool:
    attrs = tag.attrs or {}
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true" or _HIDDEN_STYLE.search(str(attrs.get("style", ""))):
        return True
    return any(_HIDDEN_CLASS.match(c) and not _SR_CLASS.search(c) for c in _classes(tag))


def _screen_reader_only(tag: Any) -> bool:
    return any(_SR_CLASS.search(c) for c in _classes(tag))


def remove_hidden_and_furniture(soup: Any) -> None:
    for tag in soup.find_all(("button",)):
        if tag.find(tuple(HEADINGS)) or tag.find_parent(tuple(HEADINGS)):
            tag.unwrap()  # an accordion's heading is a button: its words are the heading
    controls = soup.find_all(("button",)) + [a for a in soup.find_all("a") if _control_link(a)]
    for tag in soup.find_all(True):
        if is_dead(tag):
            continue
        attrs = tag.attrs or {}
        if tag.name in _FURNITURE_TAGS or _hidden(tag) or str(attrs.get("role", "")).lower() in _DROP_ROLES:
            tag.decompose()
        elif tag.name in ("header", "footer") and not tag.find("h1"):
            tag.decompose()
    for tag in soup.find_all(True):
        if not is_dead(tag) and _screen_reader_only(tag):
            _screen_reader_text(tag)
    for tag in controls:
        if is_dead(tag):
            continue
        holder = _block_parent(tag)
        tag.decompose()
        # a widget's label goes with its buttons ("Was this helpful?")
        if holder is not None and not is_dead(holder) and holder.name not in ("body", "main", "html") and word_count(holder) <= 12 \
                and not holder.find(tuple(HEADINGS)):
            holder.decompose()


def _control_link(a: Any) -> bool:
    href = str(a.get("href", "")).strip().lower()
    return href.startswith("javascript:") or href == "#" or str(a.get("role", "")).lower() == "button"


def _block_parent(tag: Any) -> Any:
    for p in tag.parents:
        if p.name in BLOCKS or p.name in ("body", "[document]"):
            return p
    return None


def _screen_reader_text(tag: Any) -> None:
    """Keep a heading's opening label (as the heading's `data-label`) and a short word
    joining two visible parts; drop the rest."""
    text = " ".join(tag.get_text(" ").split())
    heading = tag.find_parent(tuple(HEADINGS))
    if heading is not None and text:
        if not _text_before(heading, tag).strip() and not heading.get("data-label"):
            heading["data-label"] = text.rstrip(": ")
            tag.decompose()
        else:
            tag.unwrap()
        return
    prev, nxt = tag.find_previous_sibling(), tag.find_next_sibling()
    if text and len(text.split()) <= 3 and prev is not None and nxt is not None and prev.get_text(strip=True) and nxt.get_text(strip=True):
        tag.unwrap()
        return
    tag.decompose()


def _text_before(container: Any, tag: Any) -> str:
    out: list[str] = []
    for d in container.descendants:
        if d is tag:
            break
        if getattr(d, "name", None) is None:
            out.append(str(d))
    return "".join(out)


# -- 2. the content root --------------------------------------------------------------------------


def content_root(soup: Any, raw: bytes, full_page: bool) -> Any:
    root = soup.find("main") or soup.find(True, attrs={"role": "main"})
    if root is None:
        articles = soup.find_all("article")
        root = articles[0] if len(articles) == 1 else None
    if root is not None:
        return root
    body = soup.body or soup
    if not full_page:
        return soup  # a fragment (an export of a content system) is all content
    kept = library_text(raw)
    return _holder_of(body, kept) if kept else body


def library_text(raw: bytes) -> str:
    """The page's main content as resiliparse finds it, squeezed (no white space), lower case."""
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    except ImportError:  # pragma: no cover - a dependency; without it the structure rules alone decide
        return ""
    text = extract_plain_text(bytes_to_str(raw, detect_encoding(raw) or "utf-8"), main_content=True, list_bullets=False)
    return squeeze(text)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", normalize_text(text)).lower()


def _holder_of(body: Any, kept: str) -> Any:
    """The smallest element holding ROOT_SHARE of the text blocks the library kept."""
    votes: dict[int, int] = {}

    def count(tag: Any) -> int:
        total = 0
        own = tag.name in TEXT_BLOCKS or tag.name in HEADINGS
        if own:
            t = squeeze(tag.get_text(" "))
            total = len(t) if t and t in kept else 0
        else:
            for c in tag.find_all(True, recursive=False):
                total += count(c)
        votes[id(tag)] = total
        return total

    total = count(body)
    node = body
    while total:
        best = max(node.find_all(True, recursive=False), key=lambda c: votes.get(id(c), 0), default=None)
        if best is None or votes.get(id(best), 0) < ROOT_SHARE * total:
            break
        node = best
    return node


# -- 3. furniture by structure ----------------------------------------------------------------------


def text_len(tag: Any) -> int:
    return len("".join(tag.get_text(" ").split()))


def word_count(tag: Any) -> int:
    return len(tag.get_text(" ").split())


def link_chars(tag: Any) -> int:
    return sum(text_len(a) for a in tag.find_all("a"))


def region_lengths(soup: Any) -> dict[int, int]:
    return {id(t): text_len(t) for t in soup.find_all(_REGIONS + ("main",))}


def _link_heavy(tag: Any) -> bool:
    n = text_len(tag)
    return n > 0 and link_chars(tag) >= LINK_HEAVY * n


def _introduced(tag: Any) -> bool:
    """Whether a sentence of the page leads into this list ("You can find out more from:")."""
    prev = tag.find_previous_sibling()
    if prev is None or prev.name in HEADINGS:
        return False
    text = " ".join(prev.get_text(" ").split())
    return text.endswith(":") and len(text.split()) >= 3 and not _link_heavy(prev)


def prune(root: Any, before: dict[int, int]) -> None:
    _drop_listings(root)
    for lst in root.find_all(("ul", "ol")):
        if not is_dead(lst) and lst.find_parent("dl") is None and _link_heavy(lst) and not _introduced(lst):
            lst.decompose()
    for tag in root.find_all(("p", "div", "span", "li")):
        if is_dead(tag) or not has_descendant(tag, _LINK) or word_count(tag) > 15 or has_descendant(tag, _BLOCKS_NOT_SPAN) or tag.find_parent("dl") is not None:
            continue
        if _link_heavy(tag) and not _introduced_item(tag):
            tag.decompose()
    _drop_regions(root, before)


def _introduced_item(tag: Any) -> bool:
    parent = tag.find_parent(("ul", "ol"))
    return parent is not None and _introduced(parent)


def _drop_listings(root: Any) -> None:
    """Runs of two or more sibling "cards" alike in markup, each short and led by a link
    to another page: vacancies, courses, related pages, search results."""
    for parent in root.find_all(True):
        if is_dead(parent):
            continue
        groups: dict[tuple[str, tuple[str, ...]], list[Any]] = {}
        for c in parent.find_all(True, recursive=False):
            groups.setdefault((c.name, tuple(sorted(_classes(c)))), []).append(c)
        for same in groups.values():
            if len(same) < 2:
                continue
            same = [c for c in same if c.get_text(strip=True)]
            if len(same) >= 2 and all(_card(c) for c in same):
                for c in same:
                    c.decompose()


def _card(tag: Any) -> bool:
    if tag.name in ("li", "tr", "dt", "dd", "p") or word_count(tag) > 50:
        return False
    lead = tag.find(tuple(HEADINGS)) or tag.find(("strong", "b"))
    if lead is None:
        return False
    link = lead.find("a", href=True)
    return link is not None and not str(link["href"]).startswith("#") and text_len(link) >= 0.8 * text_len(lead) > 0


def _drop_regions(root: Any, before: dict[int, int]) -> None:
    """A region that lost REGION_LOST of its text to the rules above and holds under
    REGION_SMALL of what is left of the page is furniture too (a sidebar whose links
    went, a listings section whose cards went)."""
    regions = [t for t in root.find_all(_REGIONS) if id(t) in before]
    page = text_len(root)
    for tag in reversed(regions):  # the deepest first
        if is_dead(tag) or tag.find("h1"):
            continue
        was, now = before[id(tag)], text_len(tag)
        if was and now and (was - now) >= REGION_LOST * was and now < REGION_SMALL * page:
            tag.decompose()
