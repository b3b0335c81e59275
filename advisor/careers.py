"""Which career a question (or a conversation) is about.

Every document is a career. A question names one by its title ("air traffic
controllers"), a part of a title that joins several ("accountants" in "Accountants and
Auditors", "pastry chef" in "Pastry and Sauce Chefs"), a synonym that leads to one ("CPA" => accountant), or, weakly, by the title's
head noun alone ("nurse"). A head noun with a modifier the title does not have
("registered nurse" beside "Practical … Nurses") names a career that is not
loaded, and is reported as such.

    >>> careers = CareerIndex(documents, synonyms)
    >>> careers.named("what do CPAs earn?").ids
    ('accountant-auditor',)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from advisor.errors import CareerError
from advisor.models import Document
from advisor.spelling import zipf
from advisor.text import STOPWORDS, stem, word_form, words
from advisor.vocabulary.synonyms import Synonyms, phrase_key

_PARTS = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*/\s*|\s+&\s+", re.I)


@dataclass(frozen=True)
class Career:
    id: str
    title: str
    names: tuple[tuple[str, ...], ...]  # word sequences (`phrase_key`) that name it, longest first
    heads: frozenset[str]  # the head nouns of its names (as `word_form`s)
    modifiers: frozenset[str]  # every other word of its names
    aliases: tuple[str, ...] = ()


def singular_word(w: str) -> str:
    lw = w.lower()
    if lw.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if lw.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if lw.endswith("s") and not lw.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def title_parts(title: str) -> list[str]:
    """The names a joined title stands for: "Accountants and Auditors" → both;
    "Pastry and Sauce Chefs" → "pastry chefs", "sauce chefs" (an
    earlier part that is not a plural noun takes the last part's head noun)."""
    t = re.sub(r"\([^)]*\)", " ", title)
    parts = [p.strip() for p in _PARTS.split(t) if p and p.strip()]
    if len(parts) < 2:
        return [" ".join(t.split())] if t.strip() else [title]
    head = parts[-1].split()[-1]
    out = []
    for p in parts[:-1]:
        last = p.split()[-1]
        plural = last.lower().endswith("s") and not last.lower().endswith("ss")
        out.append(p if plural or last.isupper() else f"{p} {head}")
    out.append(parts[-1])
    return out


SYNONYM_FIT = 0.5  # how much a title word a synonym of the student's fits counts, against the word itself
QUESTION_ZIPF = 5.5  # "need", "want", "make": commoner than any worker's name ("director" 5.2, "teacher" 4.9)


def _career(doc: Document, topics: frozenset[str] = frozenset()) -> Career:
    """A career's names: its title and the parts a joined title stands for, and the other
    names its profile (or careers.csv) gives it. A given name whose head word is a topic
    word of the vocabulary or a filler word ("Nurse Salary", "Career"), or a one-word
    part of the title that is a topic word ("benefits"), names no career."""
    names: set[tuple[str, ...]] = {phrase_key(doc.title)}
    for part in title_parts(doc.title):
        key = phrase_key(part)
        if len(key) != 1 or key[0] not in topics:  # "Nurse pay and benefits" is not a career called "benefits"
            names.add(key)
    for name in doc.names:
        for part in title_parts(name):
            key = phrase_key(part)
            if key and key[-1] not in topics and key[-1] not in _FILLER_FORMS:
                names.add(key)
    names.discard(())
    # a topic word is no head noun of a career ("Nurse pay and benefits" is not named by
    # "benefits"), nor is a word as common as the words every question uses (a page titled
    # "Teach pupils with special educational needs" is not named by "need")
    heads = frozenset(n[-1] for n in names if n[-1] not in topics and zipf(n[-1]) < QUESTION_ZIPF) or frozenset(n[-1] for n in names)
    modifiers = frozenset(s for n in names for s in n[:-1]) - {word_form(w) for w in STOPWORDS}
    return Career(doc.doc_id, doc.title, tuple(sorted(names, key=len, reverse=True)), heads, modifiers, doc.aliases)


@dataclass(frozen=True)
class Named:
    """The careers a text names. `strong`: by a full name; otherwise by a head noun
    alone. `unknown`: career-like phrases that match no loaded career."""

    ids: tuple[str, ...] = ()
    strong: bool = False
    unknown: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = field(default=())
    words: frozenset[str] = frozenset()  # the question's words that named them (`word_form`s)


class CareerIndex:
    """The loaded careers, looked up by id (or alias) and by the names in a text."""

    def __init__(self, documents: Mapping[str, Document], synonyms: Synonyms, openings: Mapping[str, set[tuple[str, ...]]] | None = None,
                 texts: Iterable[str] = ()) -> None:
        """`openings`: per career, the first words (`phrase_key`) of its profile's
        sentences: a kind of worker a profile's sentences open with ("Facilities managers
        oversee…") is one it describes as its own. `texts`: the profiles' sentences, to
        know which kinds of workers they speak of ("registered nurses")."""
        topics = frozenset(f for r in synonyms.rules if not r.explicit for t in r.sources + r.targets for f in phrase_key(t))
        self.careers = {d: _career(doc, topics) for d, doc in documents.items()}
        self.synonyms = synonyms
        self.openings = openings or {}
        self._by_alias = {a: c.id for c in self.careers.values() for a in (c.id, *c.aliases)}
        self._heads: dict[str, list[str]] = {}
        for c in self.careers.values():
            for h in c.heads:
                self._heads.setdefault(h, []).append(c.id)
        self._titles = self._display_titles()
        # careers that share a title ("Graphic Designers" from two sites, "Carpenter" and
        # "Carpenters") are one career to a student: the shortest id stands for them, and
        # an answer searches all of their profiles (`group`)
        by_title: dict[tuple[str, ...], list[str]] = {}
        for c in self.careers.values():
            by_title.setdefault(phrase_key(c.title) or (c.id,), []).append(c.id)
        self.canonical = {cid: min(ids, key=lambda c: (len(c), c)) for ids in by_title.values() for cid in ids}
        self.group = {cid: tuple(sorted(ids, key=lambda c: (len(c), c))) for ids in by_title.values() for cid in ids}
        # what `_full_names` looks for, kept: with 370 careers, working it out per question cost ~2 ms
        self._full_keys = {c.id: phrase_key(c.title) for c in self.careers.values()}
        self._first_words = {c.id: frozenset(n[0] for n in c.names) for c in self.careers.values()}
        self._named_cache: dict[str, Named] = {}
        self._acronyms = _acronyms(self.careers.values())
        self._shared_heads = {h for h, ids in self._heads.items() if len(ids) > 1}
        self._head_stems = {stem(h): h for h in self._heads}  # "engineering" → engineers
        self._title_word_count: dict[str, int] = {}
        for c in self.careers.values():
            for w in c.modifiers:
                self._title_word_count[w] = self._title_word_count.get(w, 0) + 1
        self.mentions: set[tuple[str, str]] = set()  # (word, head noun) pairs the profiles use
        for t in texts:
            forms = phrase_key(t)
            self.mentions.update((a, b) for a, b in zip(forms, forms[1:], strict=False) if b in self._heads)

    def __len__(self) -> int:
        return len(self.careers)

    def _display_titles(self) -> dict[str, str]:
        """Each career's title as its profile gives it. Two profiles with one title are two
        saved versions of one career's page: they are one career to a student (the
        shortest id answers, see `_one_per_title`), never told apart by a file id."""
        return {c.id: c.title for c in self.careers.values()}

    def title(self, career_id: str) -> str:
        return self._titles[career_id]

    def resolve(self, career: str) -> str:
        """A career id (or an alias id, or an exact title) → its id; an unknown one raises
        CareerError listing the closest ids."""
        key = career.strip()
        if key in self._by_alias:
            return self._by_alias[key]
        for c in self.careers.values():
            if key.lower() in (c.title.lower(), self._titles[c.id].lower()):
                return c.id
        close = [m[0] for m in process.extract(key, list(self._by_alias), scorer=fuzz.WRatio, limit=3, score_cutoff=50)]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise CareerError(f"No career {key!r} is loaded.{hint} GET /api/careers (or `advisor careers`) lists them.")

    def listing(self) -> list[dict[str, str]]:
        """The careers by title, one per title (another version of a page answers by its id)."""
        ids = self._one_per_title(self.careers)
        return sorted(({"id": c, "title": self._titles[c]} for c in ids), key=lambda x: x["title"].lower())

    # -- names in a question ----------------------------------------------------------
    def named(self, text: str) -> Named:
        """The careers `text` names, with synonyms applied ("CPA" => accountant): full
        names and synonyms first, then head nouns with the words before them. Kept per
        text: one question is looked at while routing and again while searching."""
        hit = self._named_cache.get(text)
        if hit is None:
            if len(self._named_cache) > 4096:
                self._named_cache.clear()
            hit = self._named_cache[text] = self._name(text)
        return hit

    def _name(self, text: str) -> Named:
        stems = list(phrase_key(text))
        found = self._full_names(stems)
        vague: list[str] = []  # a synonym that names a kind of career several titles share ("teaching")
        for m in self.synonyms.matches(text):
            if not m.rule.explicit:  # "boss, supervisor, manager" is topic vocabulary, not a career's name
                continue
            for added in m.added:
                ids = self._one_per_title(self._ids_named_by(phrase_key(added)))
                if len(ids) == 1:
                    found.append((ids[0], m.span))
                else:
                    vague.extend(ids)
        covered = {i for _, (a, b) in found for i in range(a, b)}
        for i, acronym in self._acronyms_in(text, stems):
            if i in covered:
                continue
            ids = self._one_per_title(sorted(self._acronyms[acronym]))
            if len(ids) == 1:  # "CTE teachers": the initials of one title's words
                found.append((ids[0], (i, i + 1)))
                covered.add(i)
            else:
                vague.extend(ids)
        by_head = self._by_head(stems, text, skip=covered)
        if not found and not by_head.ids and vague:
            return Named(self._one_per_title(dict.fromkeys(vague)), False)
        if found:
            # a name found in full, plus any other career a head noun names precisely
            # ("an actuary and an insurance agent")
            extra = [(cid, sp) for cid, sp in zip(by_head.ids, by_head.spans, strict=False) if by_head.strong]
            found += extra
            ids = self._one_per_title(dict.fromkeys(cid for cid, _ in found))
            spans = tuple(dict.fromkeys(s for _, s in found))
            return Named(ids, True, (), spans, frozenset(stems[i] for a, b in spans for i in range(a, b)))
        return by_head

    def _acronyms_in(self, text: str, stems: list[str]) -> list[tuple[int, str]]:
        """(position among `stems`, acronym) for each word typed in capitals ("CTE",
        "SLPs") that is the initials of a run of a title's words; none when the whole
        question is in capitals (a shout, not an acronym)."""
        letters = [ch for ch in text if ch.isalpha()]
        if not letters or sum(ch.isupper() for ch in letters) > ACRONYM_SHARE * len(letters):
            return []
        out = []
        for m in _ACRONYM.finditer(text):
            key = m.group(1).lower()
            if key in self._acronyms and key in stems:
                out.append((stems.index(key), key))
        return out

    def _one_per_title(self, ids: Iterable[str]) -> tuple[str, ...]:
        """Careers that share a title (the same page saved under two names, with small
        differences) count as one: the first, by id."""
        out: dict[str, str] = {}
        for cid in sorted(ids, key=lambda c: (len(c), c)):
            out.setdefault(self.canonical.get(cid, cid), cid)
        order = list(ids)
        return tuple(sorted(out.values(), key=order.index))

    def _ids_named_by(self, key: tuple[str, ...]) -> list[str]:
        out = [c.id for c in self.careers.values() if key in c.names]
        if out:
            return out
        # a synonym naming a kind of career ("sonographer"): a title holding those words
        return [c.id for c in self.careers.values() if any(_contains(n, key) for n in c.names) and key[-1] in c.heads]

    def _full_names(self, stems: list[str]) -> list[tuple[str, tuple[int, int]]]:
        found: list[tuple[str, tuple[int, int]]] = []
        present = set(stems)
        for c in self.careers.values():
            if not self._first_words[c.id] & present:  # none of its names can start here
                continue
            full = self._full_keys[c.id]
            for n in c.names:
                # a one-word part of a longer title ("chefs" in "Bakers and Pastry Chefs")
                # names it only when no other career has that head noun
                if len(n) < 2 and n != full and n[0] in self._shared_heads:
                    continue
                at = _find(stems, n)
                if at >= 0:
                    found.append((c.id, (at, at + len(n))))
                    break
        # a longer name inside which a shorter one was found wins ("medical assistants"
        # over "assistants")
        return [(cid, s) for cid, s in found if not any(o != s and o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0]) for _, o in found)]

    def _by_head(self, stems: list[str], text: str, skip: set[int] = frozenset()) -> Named:  # type: ignore[assignment]
        """Careers named by a head noun ("nurses", "engineering" for engineers), with the
        words before it fitting the title ("admin services managers", "GED teachers"):
        the careers the words fit best, by how rare the title words they fit are. Or a
        kind of worker one profile describes as its own ("facilities managers"). A head
        noun with words before it that fit no title, where the profiles speak of such
        workers as others ("registered nurses" in the practical nurses' profile), names
        a career that has no profile here."""
        ws = words(text)
        ids: list[str] = []
        unknown: list[str] = []
        spans: list[tuple[int, int]] = []
        strong = False
        for i, s in enumerate(stems):
            head = s if s in self._heads else self._head_stems.get(stem(s))
            candidates = self._heads[head] if head is not None else self._short_head(s)
            if not candidates or i in skip:
                continue
            mods = _modifiers_before(ws, stems, i)
            if head is None and not mods:  # a short form alone ("the program", "techs") names nothing
                continue
            phrase = tuple(stems[i - len(mods) : i + 1])
            fits = self._best_fits(candidates, mods) if mods else list(candidates)
            if mods and not fits:
                fits = [cid for cid in candidates if any(o[: len(phrase)] == phrase for o in self.openings.get(cid, ()))]
            if mods and not fits and head is not None and (mods[-1], head) in self.mentions:
                unknown.append(" ".join(ws[i - len(mods) : i + 1]))
                continue
            if not fits:  # "pregnant technologists": a head noun with a word that names no career
                if head is None:  # a short form alone ("techs") names nothing
                    continue
                fits = list(candidates)
                mods = []
            fits = list(self._one_per_title(fits))
            ids.extend(fits)
            spans.append((i - len(mods), i + 1))
            strong = strong or (bool(mods) and len(fits) == 1)
        ids = list(dict.fromkeys(ids))
        named = frozenset(stems[i] for a, b in spans for i in range(a, b))
        return Named(tuple(ids), strong and len(ids) == 1, tuple(dict.fromkeys(unknown)) if not ids else (), tuple(spans), named)

    def _short_head(self, word: str) -> list[str]:
        """Careers whose head noun starts with `word` ("techs" for technicians and
        technologists); they are named only when the words before it fit a title."""
        if len(word) < 4:
            return []
        return [cid for h, ids in self._heads.items() if h.startswith(word) and h != word for cid in ids]

    def _best_fits(self, candidates: list[str], mods: list[str]) -> list[str]:
        """The careers whose titles the words before the head noun fit best: each word
        scores by the rarest title word it fits ("GED" fits "equivalency", found in one
        title, better than "high school", found in several)."""
        scores: dict[str, float] = {}
        for cid in candidates:
            score = 0.0
            for m in mods:
                fitted, weight = self._fit(cid, m)
                if fitted:
                    score += max(1.0 / self._title_word_count.get(x, 1) for x in fitted) * weight
            if score:
                scores[cid] = score
        if not scores:
            return []
        best = max(scores.values())
        return [cid for cid in candidates if scores.get(cid, 0.0) >= best - 1e-9]

    def _fit(self, cid: str, m: str) -> tuple[set[str], float]:
        """The title words a word before the head noun fits, and how much the fit counts:
        the word itself, a word it is a short form of ("admin" for "administrative") or a
        typo of (1); a synonym of it ("GED" for "equivalency": SYNONYM_FIT, so that
        "heavy equipment operator" fits Construction Equipment Operators, not a title with
        "machine" in it)."""
        mods = self.careers[cid].modifiers
        if m in mods:
            return {m}, 1.0
        run = self._acronyms.get(m, {}).get(cid)
        if run:  # "SLP", "CTE teachers": the initials of the title's words before its head
            return set(run) & mods or set(run), 1.0
        short = {x for x in mods if len(m) >= 3 and x.startswith(m)}
        if short:
            return short, 1.0
        typo = {x for x in mods if len(m) >= 5 and abs(len(x) - len(m)) <= 1 and Levenshtein.distance(m, x, score_cutoff=1) <= 1}
        if typo:
            return typo, 1.0
        return self.synonyms.related(m) & mods, SYNONYM_FIT

_ACRONYM = re.compile(r"\b([A-Z]{2,5})s?\b")
ACRONYM_SHARE = 0.5  # a question more than half in capitals is shouted: no word of it is an acronym
ACRONYM_LETTERS = 3


def _acronyms(careers: Iterable[Career]) -> dict[str, dict[str, tuple[str, ...]]]:
    """Initials → {career: the run of its name's words they stand for}: "slp" for
    "Speech-Language Pathologists". Three letters or more (two letters stand for too many
    runs of words: "PA", "OT")."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for c in careers:
        for name in c.names:
            ws: list[str] = []
            for w in name:
                if w in STOPWORDS or not w[:1].isalpha() or (len(ws) >= 2 and w == ws[-2] + ws[-1]):
                    continue  # "speech-language" is read as "speech", "language" and "speechlanguage"
                ws.append(w)
            for i in range(len(ws)):
                for j in range(i + ACRONYM_LETTERS, min(len(ws), i + 5) + 1):
                    out.setdefault("".join(w[0] for w in ws[i:j]), {}).setdefault(c.id, tuple(ws[i:j]))
    return out


def _find(seq: list[str], sub: tuple[str, ...]) -> int:
    n = len(sub)
    for i in range(len(seq) - n + 1):
        if tuple(seq[i : i + n]) == sub:
            return i
    return -1


def _contains(name: tuple[str, ...], key: tuple[str, ...]) -> bool:
    return _find(list(name), key) >= 0


_FILLER = STOPWORDS | {"career", "job", "work"}
_FILLER_FORMS = frozenset(word_form(w) for w in _FILLER)


def _modifiers_before(ws: list[str], stems: list[str], i: int) -> list[str]:
    """The content words right before position i (at most two), as word forms."""
    mods: list[str] = []
    j = i - 1
    while j >= 0 and len(mods) < 2 and ws[j] not in _FILLER and not ws[j].isdigit():
        mods.insert(0, stems[j])
        j -= 1
    return mods
