"""Sentence boundaries and run-in headings inside a paragraph.

Chosen by its score on a gold set cut from real profiles (`eval/splitting.jsonl`,
`python eval/splitters.py`): it splits sentences that a scraper glued together
("…at shipyards.Welders often…"), and does not split abbreviations ("U.S.
citizen", "e.g.", "Ph.D."), initials or figures ("$20.43", "3.5 percent").
"""

from __future__ import annotations

import re

from advisor.text import STOPWORDS

# A sentence end: end punctuation (and closing quotes), then either white space and
# something that can start a sentence, or, glued, a capitalised word.
_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?:(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9$])|(?=[A-Z][a-z]|A |[A-Z]{2,}[a-z\s]))")
_TOKEN_BEFORE = re.compile(r"(\S+?)[.!?]+[\"'\u201d\u2019)\]]*$")
# Abbreviations that never end a sentence (titles, "for example") and those that may.
_NEVER_END = frozenset("dr mr mrs ms prof st mt ft no nos fig figs vs e.g i.e cf approx dept gen gov sen rep rev sgt capt col lt".split())
_MAY_END = frozenset("etc inc ltd co corp jr sr a.m p.m ph.d m.d j.d b.a b.s m.a m.s d.c".split())
# Place names that usually go on into a name ("U.S. Army"): they end a sentence only
# before a word that typically starts one.
_NAME_PART = frozenset("u.s u.k u.s.a".split())
# Words that typically start a sentence, beyond the stopwords.
_STARTERS = STOPWORDS | frozenset("few several although however because unlike many most additional".split())
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)*[A-Za-z]$")


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Spans (start, end), offset by `base`, of the sentences of one paragraph; together
    they cover every non-space character of `text`."""
    spans: list[tuple[int, int]] = []
    start = _skip_space(text, 0)
    for m in _END.finditer(text):
        end = m.end()
        if end <= start or not _is_boundary(text, start, m):
            continue
        spans.append((base + start, base + end))
        start = _skip_space(text, end)
    if start < len(text.rstrip()):
        spans.append((base + start, base + len(text.rstrip())))
    return spans


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _is_boundary(text: str, start: int, m: re.Match[str]) -> bool:
    before = _TOKEN_BEFORE.search(text, start, m.end())
    token = before.group(1) if before else ""
    glued = m.end() < len(text) and not text[m.end()].isspace()
    nxt = re.match(r"\s*[\"'(\[]?([A-Za-z]+)", text[m.end() :])
    next_word = nxt.group(1) if nxt else ""
    low = token.lower().lstrip("(\"'")
    dotted = "." in low and bool(_INITIALS.match(low))
    if glued:
        # "shipyards.Welders", "by OSHA.Most": a word glued to the next
        # sentence; after "Ph.D" or "U.S" only when a typical first word follows
        if dotted or low in _NAME_PART:
            return next_word.lower() in _STARTERS
        return len(token) >= 2 and (token[-1].isalnum() or token[-1] in ")%")
    if low in _NEVER_END:
        return False
    if low in _NAME_PART or (dotted and low not in _MAY_END) or (len(token) == 1 and token.isupper()):
        # initials and "U.S." end a sentence only before a word that typically starts
        # one ("…in the U.S. The largest…", not "U.S. Army", "John F. Kennedy")
        return next_word.lower() in _STARTERS
    return True


# --- run-in headings ----------------------------------------------------------------------

_NOT_A_HEADING = frozenset(
    """is are was were be been being am has have had do does did can could may might must shall should will would
    it they he she we you i me my our your their this these those that there here not no yes see also who which what
    how why when where some many most few all each every only just very often usually""".split()
)
_MINOR = frozenset("and or of in on for to the a an with by at from as".split())
_MAX_RUNIN_WORDS = 6


def runin_heading(piece: str) -> tuple[str, ...] | None:
    """The labels of a run-in heading ("Education." → ("Education",); "Key Traits:
    Steady hands." → ("Key Traits", "Steady hands")), or None when `piece` is a
    sentence. The caller checks that text follows it."""
    body = piece.strip()
    if not body.endswith((".", ":")):
        return None
    body = body[:-1].strip()
    parts = [p.strip() for p in body.split(": ", 1)] if ": " in body else [body]
    if all(_fragment(p) for p in parts):
        return tuple(parts)
    return None


def _fragment(text: str) -> bool:
    """A short noun phrase: capitalised, no digits, no verb or pronoun, and title-cased
    when longer than three words ("Work Experience in a Related Occupation")."""
    words = text.replace(",", " ").split()
    if not 1 <= len(words) <= _MAX_RUNIN_WORDS or not text[:1].isupper():
        return False
    if any(ch.isdigit() for ch in text) or any(ch in text for ch in ".;!?()\"") or any(w.lower() in _NOT_A_HEADING for w in words):
        return False
    return len(words) <= 3 or all(w[:1].isupper() or w.lower() in _MINOR for w in words)
