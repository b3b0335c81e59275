"""The profile pages: `/profiles/<career>` shows a profile as the advisor read it (the text
it indexed, not the file as it may be now), with its title, its sections and every line
numbered as in the file; `#L22-L24` highlights lines 22 to 24 (the lines an answer quoted)
and scrolls them into view. Each citation links here (`Citation.url`).

Pure functions of the index's documents and chunks; every text is HTML-escaped. The page
holds one small inline script (allowed by its hash in the page's own
Content-Security-Policy) and nothing from elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from advisor.models import Chunk, Document

# Highlights the lines the address names (#L22-L24, or #L22), moves focus to the first of
# them (a screen reader reads on from there) and scrolls it into view — at once when the
# reader asked for reduced motion. Runs again when the address changes.
SCRIPT = """(function () {
  var note = document.getElementById("quoted-note");
  function show() {
    document.querySelectorAll(".quoted").forEach(function (e) {
      e.classList.remove("quoted");
      var m = e.querySelector("mark"); if (m) { while (m.firstChild) { e.insertBefore(m.firstChild, m); } m.remove(); }
    });
    note.hidden = true;
    var m = /^#L(\\d+)(?:-L(\\d+))?$/.exec(location.hash);
    if (!m) { return; }
    var a = +m[1], b = +(m[2] || m[1]);
    var lines = [].filter.call(document.querySelectorAll("[data-line]"), function (e) { var n = +e.getAttribute("data-line"); return n >= a && n <= b; });
    var span = a === b ? "Line " + a : "Lines " + a + " to " + b;
    note.hidden = false;
    if (!lines.length) { note.textContent = span + " are not in this profile (it has changed since that answer, or the address is wrong)."; return; }
    note.textContent = span + ", quoted in the answer, " + (a === b ? "is" : "are") + " highlighted below.";
    lines.forEach(function (e) {
      e.classList.add("quoted");
      var t = e.querySelector(".t") || e; var mark = document.createElement("mark");
      while (t.firstChild) { mark.appendChild(t.firstChild); } t.appendChild(mark);
    });
    var first = lines[0];
    first.setAttribute("tabindex", "-1");
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    first.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
    first.focus({ preventScroll: true });
  }
  window.addEventListener("hashchange", show);
  show();
})();"""
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (f"default-src 'none'; script-src 'sha256-{SCRIPT_HASH}'; style-src 'unsafe-inline'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")

STYLE = """
:root { color-scheme: light; }
body { font: 17px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff; margin: 0; }
.page { max-width: 46rem; margin: 0 auto; padding: 1rem 1.25rem 4rem; }
a { color: #0a58ca; } a:focus-visible, [tabindex]:focus-visible { outline: 3px solid #0a58ca; outline-offset: 2px; }
.crumb { margin: 0 0 .5rem; font-size: .95em; }
h1 { font-size: 1.7em; line-height: 1.2; margin: .2em 0 .3em; }
h2 { font-size: 1.3em; margin: 1.6em 0 .4em; } h3, h4, h5, h6 { font-size: 1.1em; margin: 1.3em 0 .3em; }
.about { color: #4b5563; margin: 0 0 1rem; }
nav ol { padding-left: 1.3em; margin: .3em 0 0; } nav li { margin: .15em 0; }
nav a { display: inline-block; min-height: 24px; padding: 2px 0; }
.note { background: #fff8c5; border: 2px solid #9a6700; border-radius: 6px; padding: .5em .75em; margin: 1rem 0; }
[data-line] { position: relative; padding-left: 3.2rem; scroll-margin-top: 4rem; }
[data-line]::before { content: attr(data-line) / ""; position: absolute; left: 0; width: 2.6rem; text-align: right;
  color: #57606a; font: 13px/1.9 ui-monospace, monospace; }
h2[data-line]::before, h3[data-line]::before, h4[data-line]::before, h5[data-line]::before, h6[data-line]::before { line-height: 2.2; }
ul.lines, ol.lines { list-style: none; padding: 0; margin: .3em 0; } ul.lines li { margin: .2em 0; }
p[data-line] { margin: .5em 0; }
table { border-collapse: collapse; margin: .5em 0; display: block; overflow-x: auto; max-width: 100%; }
td { border: 1px solid #d0d7de; padding: .2em .5em; vertical-align: top; } tr[data-line] { padding: 0; }
tr[data-line]::before { content: none; }
.quoted { background: #fff8c5; box-shadow: -6px 0 0 #9a6700; }
.quoted mark { background: transparent; color: inherit; }
.t { overflow-wrap: anywhere; }
@media (max-width: 480px) { body { font-size: 16px; } .page { padding: .75rem .85rem 3rem; } [data-line] { padding-left: 2.4rem; }
  [data-line]::before { width: 2rem; font-size: 12px; } }
"""


@dataclass(frozen=True)
class _Line:
    number: int  # the line of the file (what citations name)
    start: int  # offsets of the line in Document.text
    end: int
    text: str


def profile_href(doc_id: str) -> str:
    return f"/profiles/{quote(doc_id, safe='')}"


def _lines(doc: Document) -> list[_Line]:
    out, pos = [], 0
    for i, text in enumerate(doc.text.split("\n")):
        number = doc.source_lines[i] if doc.source_lines is not None and i < len(doc.source_lines) else i + 1
        out.append(_Line(number, pos, pos + len(text), text))
        pos += len(text) + 1
    return out


def _blocks(doc: Document, chunks: Sequence[Chunk]) -> list[tuple[str, int, _Line]]:
    """Each non-empty line of the text with what it is: ("heading", depth, line) for a
    section heading (a line no chunk covers that names a section of the chunk after it),
    else the kind of the chunk that covers it ("list", "table", "facts", "paragraph"), or
    "text" for a line outside every chunk (a title, a line the advisor did not index)."""
    ordered = sorted((c for c in chunks if c.doc_id == doc.doc_id), key=lambda c: c.start)
    out: list[tuple[str, int, _Line]] = []
    k = 0
    for line in _lines(doc):
        if not line.text.strip():
            continue
        while k < len(ordered) and ordered[k].end <= line.start:
            k += 1
        chunk = ordered[k] if k < len(ordered) else None
        if chunk is not None and chunk.start < line.end and line.start < chunk.end:
            out.append((chunk.kind, 0, line))
            continue
        name = line.text.strip().rstrip(":").strip()
        path = tuple(s.strip() for s in chunk.section) if chunk is not None else ()
        depth = next((i for i in range(len(path) - 1, -1, -1) if path[i] == name or path[i] == line.text.strip()), -1)
        out.append(("heading", depth, line) if depth >= 0 else ("text", 0, line))
    return out


def _numbered(tag: str, line: _Line, ids: set[int], extra: str = "", inner: str | None = None) -> str:
    anchor = ""
    if line.number not in ids:  # a file line an HTML page's text splits into several: one id
        ids.add(line.number)
        anchor = f' id="L{line.number}"'
    body = inner if inner is not None else f'<span class="t">{escape(line.text)}</span>'
    return f'<{tag}{anchor} data-line="{line.number}"{extra}>{body}</{tag}>'


def render_profile(doc: Document, chunks: Iterable[Chunk], built_at: str | None = None, home: str = "/") -> str:
    """The page of one profile (see the module's docstring)."""
    blocks = _blocks(doc, list(chunks))
    title = doc.title or doc.doc_id
    ids: set[int] = set()
    body: list[str] = []
    toc: list[str] = []
    open_tag = ""

    def close() -> None:
        nonlocal open_tag
        if open_tag:
            body.append(f"</{open_tag}>")
            open_tag = ""

    def opening(tag: str, html: str) -> None:
        nonlocal open_tag
        if open_tag != tag:
            close()
            body.append(html)
            open_tag = tag

    for kind, depth, line in blocks:
        if kind == "heading":
            close()
            level = min(2 + depth, 6)
            if depth == 0:
                toc.append(f'<li><a href="#L{line.number}">{escape(line.text.strip())}</a></li>')
            body.append(_numbered(f"h{level}", line, ids))
        elif kind == "list":
            opening("ul", '<ul class="lines">')
            body.append(_numbered("li", line, ids))
        elif kind == "table" and "\t" in line.text:  # a row whose cells the text keeps apart
            opening("table", "<table>")
            cells = "".join(f'<td><span class="t">{escape(c)}</span></td>' for c in line.text.split("\t"))
            body.append(_numbered("tr", line, ids, inner=cells))
        else:
            close()
            body.append(_numbered("p", line, ids))
    close()
    built = f", indexed {escape(built_at)}" if built_at else ""
    nav = (f'<nav aria-labelledby="toc-h"><h2 id="toc-h">Sections</h2><ol>{"".join(toc)}</ol></nav>' if len(toc) > 1 else "")
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}: career profile</title>",
        f"<style>{STYLE}</style></head><body>",
        '<div class="page">',
        f'<p class="crumb"><a href="{escape(home)}">Career advisor</a> › <a href="/profiles/">Profiles</a></p>',
        "<main>",
        f'<h1 data-testid="profile-title">{escape(title)}</h1>',
        f'<p class="about">The profile as the advisor read it ({escape(doc.path)}{built}). Every answer quotes its sentences word for word; '
        "the numbers beside the lines are the lines of the file that citations name.</p>",
        '<p class="note" id="quoted-note" role="status" hidden></p>',
        nav,
        f'<div class="profile" data-testid="profile-text">{"".join(body)}</div>',
        "</main></div>",
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]) + "\n"


def render_index(documents: Iterable[Document], home: str = "/") -> str:
    """`/profiles/`: every profile the advisor answers from, by title."""
    items = "".join(f'<li><a href="{profile_href(d.doc_id)}">{escape(d.title or d.doc_id)}</a></li>'
                    for d in sorted(documents, key=lambda d: (d.title or d.doc_id).lower()))
    return _plain_page("Career profiles", f'<p class="about">The profiles the advisor quotes, as it read them.</p><ul>{items}</ul>', home)


def render_missing(career: str, documents: Iterable[Document], home: str = "/") -> str:
    """The 404 page for a career the advisor has no profile of."""
    docs = list(documents)
    close = _close_ids(career, [d.doc_id for d in docs])
    hint = "".join(f'<li><a href="{profile_href(c)}">{escape(c)}</a></li>' for c in close)
    more = f"<p>Did you mean:</p><ul>{hint}</ul>" if hint else ""
    return _plain_page("No such profile",
                       f"<p>The advisor has no profile called “{escape(career)}”.</p>{more}"
                       '<p><a href="/profiles/">Every profile</a></p>', home)


def _close_ids(career: str, ids: Sequence[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(career, list(ids), n=3, cutoff=0.6)


def _plain_page(title: str, inner: str, home: str) -> str:
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        '<div class="page">',
        f'<p class="crumb"><a href="{escape(home)}">Career advisor</a></p>',
        f"<main><h1>{escape(title)}</h1>{inner}</main></div>",
        "</body></html>",
    ]) + "\n"


_SAFE_ID = re.compile(r"^[^/\\\x00-\x1f]{1,200}$")


def safe_career(career: str) -> bool:
    """A career id as a path segment can hold: no slash, no control character."""
    return bool(_SAFE_ID.match(career))
