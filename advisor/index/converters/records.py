"""Labelled data in any layout — definition lists, indented "Label: value" reports, CMS
exports — read as facts a student can be quoted.

Both the HTML converter (`<dl>`: each `<dt>` a label, its `<dd>`s the value) and the text
converter (a report whose nesting is its indentation) build the same tree of `Field`s;
`Renderer` turns it into pieces of the canonical text:

- a label with a short value is one fact, "Salary new: 21000"; consecutive facts about
  one thing (their labels share a word) are one line, "Minimum hours: 35 | Maximum
  hours: 40", so that a range is quoted whole;
- a label over nested fields, a list or prose is a heading, its content under it; the
  facts of a group come first, so that none falls under a sub-heading;
- a list item that is a small record is one line: its name, then its other fields
  ("Science: chemistry; biology", "Ohio | Share of jobs: 1.2");
- machine field names ("Profile.SalaryNew", "Skill.SkillElementId") read as words
  ("Salary new") or, when they hold identifiers, links or addresses, go.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from advisor.index.structure import CELL_SEP, NAME_LABEL, Piece, piece, split_names

_NAME_LABELS = frozenset({"title", "name", "display text", "display name", "label", "heading"})
_DESC_LABELS = frozenset({"description", "text", "summary", "body", "content", "value"})
_ID_WORDS = frozenset({"id", "ids", "guid", "uuid", "url", "urls", "uri", "href", "slug", "key", "hash", "path"})
_CODE_WORDS = frozenset({"code", "codes", "reference", "ref"})
_ADDRESS = re.compile(r"^(?:https?://|www\.|/)\S*$")
_CODE = re.compile(r"^[\w.\-/]*\d[\w.\-/]*$")
_MACHINE = re.compile(r"^\S+$")
_HUMP = re.compile(r"[a-z][A-Z]|[A-Z][A-Z][a-z]|[._]")
_TOKENS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SENTENCE_END = re.compile(r"[.!?:]['\")\]]*$")
_STOP = frozenset("a an the of and or to in on for with by at from as is are be".split())
FACT_WORDS = 25  # a value longer than this, or of several sentences, is prose, not a fact


@dataclass
class Field:
    """One labelled value of a record. Exactly one of `value` (a line of text),
    `pieces` (prose already converted), `children` (a nested record) and `items` (a
    list) is set. `link_only`: the value was nothing but a link."""

    label: str
    line: int
    value: str = ""
    pieces: list[Piece] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    items: list[Field] = field(default_factory=list)
    link_only: bool = False

    @property
    def scalar(self) -> bool:
        return not (self.pieces or self.children or self.items)


def is_machine_name(label: str) -> bool:
    """A field name as a program wrote it: one token with dots, underscores or humps."""
    return bool(_MACHINE.match(label)) and bool(_HUMP.search(label))


def humanise(label: str) -> str:
    """"Profile.SalaryNew" → "Salary new"; "Skill.XRefId" → "XRef id"; "NAICSCode" →
    "NAICS code". Words people wrote stay as they are."""
    label = " ".join(label.split()).rstrip(":").strip()
    if not is_machine_name(label):
        return label
    segs = [s for s in re.split(r"[._]", label) if s and not s.isdigit()]
    tokens = _TOKENS.findall(segs[-1] if segs else label)
    merged: list[str] = []
    for t in tokens:  # "X" + "Ref" → "XRef": a lone capital belongs to the word after it
        if merged and len(merged[-1]) == 1 and merged[-1].isupper() and t[:1].isupper():
            merged[-1] += t
        else:
            merged.append(t)
    if len(merged) > 1 and _namespace(merged[0]):
        merged = merged[1:]
    words = [w if (len(w) > 1 and sum(c.isupper() for c in w) > 1) else w.lower() for w in merged]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _namespace(word: str) -> bool:
    """A short prefix a program put before its field names ("Qzx"): three letters
    or fewer, capitalised, not a common English word."""
    from wordfreq import zipf_frequency

    return len(word) <= 3 and word[:1].isupper() and word[1:].islower() and zipf_frequency(word.lower(), "en") < 4.5


def _last_word(label: str) -> str:
    ws = label.lower().split()
    return ws[-1] if ws else ""


def dropped_label(label: str) -> bool:
    """Identifiers, links and addresses are not facts."""
    return _last_word(label) in _ID_WORDS


def dropped_value(label: str, value: str) -> bool:
    """Empty values, addresses, and codes under a code or name label ("Postal code: RI",
    "Display text: 3213") are not facts."""
    v = value.strip()
    if not v or _ADDRESS.match(v):
        return True
    if _last_word(label) in _CODE_WORDS:
        return len(v.split()) == 1
    return label.lower() in _NAME_LABELS and bool(_CODE.match(v))


def _short(text: str) -> bool:
    return len(text.split()) <= FACT_WORDS and "\n" not in text


def _is_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.strip()))


def _dup(a: str, b: str) -> bool:
    """Whether `a` says nothing `b` does not (a record's name repeating its description)."""
    wa = set(re.findall(r"\w+", a.lower())) - _STOP
    wb = set(re.findall(r"\w+", b.lower())) - _STOP
    return bool(wa) and len(wa & wb) >= 0.8 * len(wa)


def _label_words(label: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", label.lower()) if w not in _STOP and len(w) > 2}


class Renderer:
    """Fields → pieces. Collects the title (the first top-level `Title`-like field) and
    the names given under an "Also known as"-like label."""

    def __init__(self, title: str = "") -> None:
        self.title = title
        self.names: list[str] = []

    # -- records -------------------------------------------------------------------
    def mapping(self, fields: Sequence[Field], level: int, depth: int = 0) -> list[Piece]:
        """A record's fields: its facts first (merged where they belong together), then
        its sub-sections, each under a heading at `level`."""
        head: list[Piece | tuple[str, str, int]] = []
        rest: list[Piece] = []
        for f in fields:
            label = humanise(f.label)
            if not label or dropped_label(label):
                continue
            if f.scalar:
                self._scalar(f, label, depth, head)
            elif f.items:
                self._list(f, label, level, depth, head, rest)
            elif f.children:
                body = self.mapping(f.children, level + 1, depth + 1)
                if body:
                    rest.extend([piece("heading", label, f.line, level), *body])
            else:
                self._prose(f, label, level, head, rest)
        return _merge_facts(head) + rest

    def _scalar(self, f: Field, label: str, depth: int, head: list[Piece | tuple[str, str, int]]) -> None:
        value = " ".join(f.value.split())
        if label.lower() == "title" and depth <= 1 and not self.title:
            self.title = value
            return
        if f.link_only or dropped_value(label, value):
            return
        if NAME_LABEL.match(label):
            self.names.extend(split_names(value))
        if label.lower() in _DESC_LABELS and (_is_sentence(value) or not _short(value)):
            head.append(piece("paragraph", value, f.line))
        else:
            head.append((label, value, f.line))

    def _list(self, f: Field, label: str, level: int, depth: int, head: list[Piece | tuple[str, str, int]], rest: list[Piece]) -> None:
        if all(i.scalar for i in f.items):
            values = [(" ".join(i.value.split()), i.line) for i in f.items if not i.link_only and i.value.strip()]
            if NAME_LABEL.match(label):
                self.names.extend(v for v, _ in values)
            if len(values) == 1 and _short(values[0][0]):
                head.append((label, values[0][0], values[0][1]))
            elif values:
                rest.extend([piece("heading", label, f.line, level), *(piece("bullet", v, n) for v, n in values)])
            return
        body: list[Piece] = []
        for item in f.items:
            body.extend(self.item(item, level + 1, depth + 1, alone=len(f.items) == 1))
        if len(body) == 1 and body[0].kind == "bullet" and ": " not in body[0].text and _short(body[0].text):
            head.append((label, body[0].text, body[0].source))
        elif body:
            rest.extend([piece("heading", label, f.line, level), *body])

    def _prose(self, f: Field, label: str, level: int, head: list[Piece | tuple[str, str, int]], rest: list[Piece]) -> None:
        pieces = [p for p in f.pieces if p.text.strip()]
        if not pieces:
            return
        if len(pieces) == 1 and pieces[0].kind == "paragraph" and len(pieces[0].lines) == 1:
            text = pieces[0].text
            if _short(text) and not _is_sentence(text):
                head.append((label, text, pieces[0].source))
                return
            if label.lower() in _DESC_LABELS:
                head.append(pieces[0])
                return
        if label.lower() in _DESC_LABELS:
            rest.extend(pieces)
        else:
            rest.extend([piece("heading", label, f.line, level), *pieces])

    def item(self, f: Field, level: int, depth: int, alone: bool = True) -> list[Piece]:
        """One list item: a line of its own, or, for a record too big for a line, a
        sub-section under its name."""
        if f.scalar:
            value = " ".join(f.value.split())
            return [] if f.link_only or not value else [piece("bullet", value, f.line)]
        if f.pieces:
            return [p for p in f.pieces if p.text.strip()]
        if f.items:
            out: list[Piece] = []
            for i in f.items:
                out.extend(self.item(i, level, depth, alone=len(f.items) == 1))
            return out
        return self._record(f.children, f.line, level, depth, alone)

    def _record(self, fields: Sequence[Field], line: int, level: int, depth: int, alone: bool = True) -> list[Piece]:
        name, name_field, links = "", None, False
        parts: list[tuple[str, str]] = []
        complex_ = False
        lines: list[int] = []  # where the record's kept fields stand, to cite the first
        for f in fields:
            label = humanise(f.label)
            if not label or dropped_label(label):
                continue
            if f.link_only:
                links = True
                continue
            if not name and name_field is None and f.scalar and label.lower() in _NAME_LABELS and len(f.value.split()) <= 12:
                name_field = f
                if not dropped_value(label, f.value):
                    name = " ".join(f.value.split())
                    lines.append(f.line)
                continue
            if f.children and all(x.scalar for x in f.children):  # a small record inside: its fields
                parts.extend((humanise(x.label), " ".join(x.value.split())) for x in f.children
                             if humanise(x.label) and not dropped_label(humanise(x.label)) and not x.link_only
                             and not dropped_value(humanise(x.label), x.value))
                continue
            text = self._inline(f)
            if text is None:
                complex_ = True
            elif text and not dropped_value(label, text):
                parts.append((label, text))
                lines.append(f.line)
        # a field that only repeats another (a long display name copying the description) goes
        parts = [(lab, t) for i, (lab, t) in enumerate(parts)
                 if not (lab.lower() in _NAME_LABELS and any(j != i and _dup(t, u) for j, (_, u) in enumerate(parts)))]
        if alone and name and name.lower() == self.title.lower():
            name = ""  # the career's own name, as every linked item of its page has it
        if complex_ or len(parts) > 3 or any(not _short(t) and lab.lower() not in _DESC_LABELS for lab, t in parts):
            rest = [f for f in fields if f is not name_field]
            body = self.mapping(rest, level + 1, depth + 1)
            if name:
                return [piece("heading", name, line, level), *body] if body else [piece("bullet", name, line)]
            return body
        parts = [(lab, t) for lab, t in parts if not (name and t == name)]
        line = min((n for n in lines if n), default=line)
        if not parts:
            return [piece("bullet", name, line)] if name and not links else []
        if len(parts) == 1:
            lab, t = parts[0]
            desc_like = lab.lower() in _DESC_LABELS or self._listed(fields, lab)
            if name and desc_like and not _dup(name, t):
                text = f"{name}: {t}"
            elif name and not desc_like:
                text = f"{name}{CELL_SEP}{lab}: {t}"
            elif not name and not desc_like:
                text = f"{lab}: {t}"
            else:
                text = t
        else:
            segs = [name] if name else []
            segs += [t if lab.lower() in _DESC_LABELS else f"{lab}: {t}" for lab, t in parts]
            text = CELL_SEP.join(segs)
        prose = len(parts) == 1 and not text.startswith(f"{name}:" if name else "\0") and text[:1].isupper() \
            and (_is_sentence(text) or not _short(text))
        kind = "paragraph" if prose else "bullet"
        return [piece(kind, text, line)]

    def _listed(self, fields: Sequence[Field], label: str) -> bool:
        return any(humanise(f.label) == label and bool(f.items) for f in fields)

    def _inline(self, f: Field) -> str | None:
        """A field's value on one line, or None when it is too big for one."""
        if f.scalar:
            return " ".join(f.value.split())
        if f.pieces:
            ps = [p for p in f.pieces if p.text.strip()]
            if len(ps) == 1 and len(ps[0].lines) == 1:
                return ps[0].text
            if ps and all(p.kind == "bullet" and _short(p.text) for p in ps):
                return "; ".join(p.text for p in ps)
            return None if ps else ""
        if f.items:
            texts = []
            for i in f.items:
                if i.link_only:
                    continue
                if i.scalar:
                    texts.append(" ".join(i.value.split()))
                else:
                    sub = self._record(i.children, i.line, 0, 9) if i.children else [p for p in i.pieces]
                    if len(sub) != 1 or (len(f.items) > 1 and ": " in sub[0].text):
                        return None  # a list of records with names and values is a list of its own
                    texts.append(sub[0].text)
            return "; ".join(t for t in texts if t)
        return None


def _merge_facts(head: list[Piece | tuple[str, str, int]]) -> list[Piece]:
    """Facts in a row whose labels all share a word ("Salary new", "Salary senior";
    "Yearly low", "Yearly high") are one line, so that a
    range is quoted whole; other pieces stay as they are."""
    out: list[Piece] = []
    group: list[tuple[str, str, int]] = []
    common: set[str] = set()

    def flush() -> None:
        if group:
            out.append(piece("key_value", CELL_SEP.join(f"{lab}: {v}" for lab, v, _ in group), group[0][2]))
            group.clear()

    for h in head:
        if isinstance(h, Piece):
            flush()
            out.append(h)
            continue
        label, value, _ = h
        shared = common & _label_words(label)
        if group and (len(group) >= 6 or not shared or len(value.split()) > 8 or len(group[-1][1].split()) > 8):
            flush()
        common = shared if group else _label_words(label)
        group.append(h)
    flush()
    return out
