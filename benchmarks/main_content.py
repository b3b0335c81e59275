"""Finding the profile inside a saved web page: boilerplate-removal libraries alone, and the
HTML converter (library + structure), on the two saved National Careers Service pages of
../shared/profiles/wild, as saved and with their `<main>` taken away (so that the library
has to find the content).

    python benchmarks/main_content.py [--extra-site DIR]

Per page: how many of its seven key profile sections are kept (a marker phrase of each:
alternative titles, salary, hours, how to become, what it takes, what you'll do, career
path) and how many of 18 furniture markers are left (breadcrumb, survey banner, helpline,
"Is this page useful?", vacancy and course listings, related careers, search box, skills
assessment, footer…). `--extra-site` adds a site-packages folder holding the libraries
the project does not depend on (trafilatura, readability-lxml, jusText), to compare them;
those missing are left out. Not a test: it asserts nothing. The markers name these pages'
words, so they live here, never in the converter.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WILD = ROOT.parent / "shared" / "profiles" / "wild"

PAGES = {
    "lifeguard-uk-ncs.html": ["Swimming pool attendant", "13,000", "41 to 43", "leisure team member intermediate apprenticeship",
                              "customer service skills", "making sure swimmers follow safety rules", "leisure centre manager"],
    "admin-assistant-uk-ncs.html": ["Office administrator, clerical assistant", "14,000", "38 to 40", "Diploma in Business and Administration",
                                    "administration skills", "greeting visitors at reception", "progress from admin assistant to supervisor"],
}
FURNITURE = ["Home: Explore careers", "Ipsos MORI", "0800 100 900", "Is this page useful", "Wage :", "Location:", "Provider:",
             "Find apprenticeships near you", "guide to apprenticeships", "Search further careers", "Related careers", "Take an assessment",
             "Privacy and cookies", "Thank you for your feedback", "Find a job service", "courses near you", "Not what you're looking for",
             "Menu"]


def _norm(s: str) -> str:
    return " ".join(s.replace("\xa0", " ").split()).lower()


def score(text: str, page: str) -> tuple[int, list[str]]:
    t = _norm(text)
    return sum(_norm(k) in t for k in PAGES[page]), [f for f in FURNITURE if _norm(f) in t]


def _trafilatura(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, favor_recall=True, include_tables=True) or ""


def _readability(html: str) -> str:
    from bs4 import BeautifulSoup
    from readability import Document

    return str(BeautifulSoup(Document(html).summary(), "html.parser").get_text("\n"))


def _justext(html: str) -> str:
    import justext

    return "\n".join(p.text for p in justext.justext(html.encode(), justext.get_stoplist("English")) if not p.is_boilerplate)


def _resiliparse(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return str(extract_plain_text(html, main_content=True))


LIBRARIES = {"trafilatura 2 (favor_recall)": _trafilatura, "readability-lxml": _readability, "jusText": _justext,
             "resiliparse (main_content)": _resiliparse}


def _without_main(raw: bytes) -> bytes:
    return re.sub(rb"<(/?)main\b[^>]*>", rb"<\1div>", raw)


def _units_text(raw: bytes, name: str, library: Any = None) -> str:
    from advisor.index.chunking import chunk_document
    from advisor.index.converters import boilerplate, convert
    from advisor.models import Document

    saved = boilerplate.library_text
    if library is not None:
        boilerplate.library_text = lambda r: boilerplate.squeeze(library(r.decode("utf-8", "replace")))
    try:
        parsed = convert(Path(name), raw)
    finally:
        boilerplate.library_text = saved
    doc = Document(Path(name).stem, parsed.title, name, parsed.text, "x", parsed.source_lines)
    return "\n".join(u.text for u in chunk_document(doc, parsed)[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--extra-site", type=Path, help="a site-packages folder with trafilatura, readability-lxml, jusText")
    args = ap.parse_args()
    if args.extra_site:
        sys.path.append(str(args.extra_site))
    rows: list[tuple[str, str, str, str, str]] = []
    for page in PAGES:
        raw = (WILD / page).read_bytes()
        for name, fn in LIBRARIES.items():
            try:
                text = fn(raw.decode("utf-8"))
            except ImportError:
                continue
            kept, furn = score(text, page)
            rows.append((f"{name} alone", page, f"{kept}/7", f"{len(furn)}/{len(FURNITURE)}", ", ".join(furn)))
        t = time.perf_counter()
        kept, furn = score(_units_text(raw, page), page)
        ms = (time.perf_counter() - t) * 1000
        rows.append((f"converter, page as saved ({ms:.0f} ms)", page, f"{kept}/7", f"{len(furn)}/{len(FURNITURE)}", ", ".join(furn)))
        for name, fn in [("no library: <body>", lambda h: "")] + list(LIBRARIES.items()):
            try:
                fn("<p>x</p>")
            except ImportError:
                continue
            kept, furn = score(_units_text(_without_main(raw), page, fn), page)
            rows.append((f"converter, no <main>, root by {name}", page, f"{kept}/7", f"{len(furn)}/{len(FURNITURE)}", ", ".join(furn)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"{'extractor':{widths[0]}}  {'page':{widths[1]}}  sections  furniture  left")
    for r in rows:
        print(f"{r[0]:{widths[0]}}  {r[1]:{widths[1]}}  {r[2]:8}  {r[3]:9}  {r[4]}")


if __name__ == "__main__":
    main()
