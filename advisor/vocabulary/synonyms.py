"""Students' words → the profiles' words, from synonyms files in the Solr format.

    pay, salary, wage, earnings          # equivalent: each one finds the others
    rad tech => radiologic technologist  # one way: the left side also searches the right

`#` starts a comment; `\\,` is a literal comma. The general file ships in this package
(`synonyms.txt`: career and school vocabulary only); a corpus may add its own
`synonyms.txt`, which a counselor edits. Phrases match whole words, case and plural
folded ("Rad techs" matches "rad tech"); other word forms are listed where they matter
("earn, earned, earnings"), as in Solr, where synonyms apply before stemming.

    >>> syn = Synonyms.load([GENERAL_SYNONYMS])
    >>> [m.added for m in syn.matches("how much do they earn")]
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from advisor.errors import VocabularyError
from advisor.text import word_form, words
from advisor.vocabulary.files import GENERAL_SYNONYMS


def one_way_map(path: Path) -> dict[str, str]:
    """A file of one-way rules ("wat, wut => what") as a word → replacement map."""
    out: dict[str, str] = {}
    for rule in parse_synonyms(path.read_text("utf-8"), str(path)):
        for s in rule.sources:
            out[s.lower()] = rule.targets[0]
    return out


def phrase_key(text: str) -> tuple[str, ...]:
    """A phrase as its words, case and plural folded ("Rad techs" → ("rad", "tech")); a
    "*" in a synonyms phrase stands for one to three words ("where do * work")."""
    return tuple("*" if w == "*" else word_form(w) for w in re.findall(r"\*|\S+", text) for w in ([w] if w == "*" else words(w)))


@dataclass(frozen=True)
class Rule:
    """One line of a synonyms file: `sources` find `targets` (equivalents find each other)."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    explicit: bool  # "a => b" rather than "a, b"
    where: str  # "file:line", for messages


@dataclass(frozen=True)
class Match:
    """A rule that fired on a question: the words it matched and the phrases it adds."""

    rule: Rule
    matched: str  # the question's words the rule matched (every place, joined)
    span: tuple[int, int]  # word positions of the first place in the question
    added: tuple[str, ...]  # phrases to search for as well

    @property
    def text(self) -> str:
        return " ".join(self.added)


def _split_terms(side: str) -> list[str]:
    parts = re.split(r"(?<!\\),", side)
    return [" ".join(p.replace("\\,", ",").split()) for p in parts]


def parse_synonyms(text: str, name: str) -> list[Rule]:
    """Rules of a synonyms file; a bad line raises VocabularyError naming file and line."""
    rules: list[Rule] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(?:^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        where = f"{name}:{n}"
        if line.count("=>") > 1:
            raise VocabularyError(f"{where}: more than one '=>' in {raw.strip()!r}. Write one rule a line: 'a, b => c'.")
        left, arrow, right = line.partition("=>")
        sources = _split_terms(left)
        targets = _split_terms(right) if arrow else sources
        if any(not t for t in sources + targets) or (arrow and (not left.strip() or not right.strip())):
            raise VocabularyError(f"{where}: an empty term in {raw.strip()!r}. Separate terms with single commas: 'pay, salary, wage'.")
        if not any(words(t) for t in sources + targets):
            raise VocabularyError(f"{where}: no words in {raw.strip()!r}.")
        if not arrow and len(sources) < 2:
            raise VocabularyError(f"{where}: {raw.strip()!r} names one term; list equivalents 'a, b' or map 'a => b'.")
        rules.append(Rule(tuple(sources), tuple(targets), bool(arrow), where))
    return rules


class Synonyms:
    """All rules of some synonyms files, indexed by the first stem of each phrase."""

    def __init__(self, rules: Sequence[Rule], fingerprint: str = "") -> None:
        self.rules = tuple(rules)
        self.fingerprint = fingerprint
        self._by_first: dict[str, list[tuple[tuple[str, ...], Rule, str]]] = {}
        for r in self.rules:
            for phrase in r.sources:
                key = phrase_key(phrase)
                if key:
                    self._by_first.setdefault(key[0], []).append((key, r, phrase))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))  # longest phrase first

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Synonyms:
        rules: list[Rule] = []
        digest = hashlib.sha256()
        for path in paths:
            if not path.is_file():
                continue
            try:
                text = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise VocabularyError(f"Cannot read synonyms file {path}: {exc}. Save it as UTF-8 text.") from exc
            digest.update(text.encode("utf-8"))
            rules.extend(parse_synonyms(text, str(path)))
        return cls(rules, digest.hexdigest())

    def matches(self, question: str) -> list[Match]:
        """The rules whose phrases occur in the question, longest phrase first at each
        place; each rule fires once, whatever number of its phrases the question holds
        ("AI or robots")."""
        forms = list(phrase_key(question))
        found: dict[int, tuple[Rule, list[tuple[int, int]], set[tuple[str, ...]]]] = {}
        for i, f in enumerate(forms):
            longest = 0
            for key, rule, _ in self._by_first.get(f, ()):  # longest phrases first
                end = _match_at(forms, i, key)
                if end > i and end - i >= longest:
                    longest = end - i
                    entry = found.setdefault(id(rule), (rule, [], set()))
                    entry[1].append((i, end))
                    entry[2].add(key)
        out: list[Match] = []
        for rule, spans, keys in found.values():
            matched = " ".join(" ".join(forms[a:b]) for a, b in spans)
            added = tuple(t for t in rule.targets if phrase_key(t) not in keys)
            out.append(Match(rule, matched, spans[0], added))
        out.sort(key=lambda m: m.span)
        return out

    def covered(self, question: str) -> set[str]:
        """The question's words (as `word_form`s) that some rule understands."""
        return {w for m in self.matches(question) for w in m.matched.split()}

    def words(self) -> set[str]:
        """Every word of every rule."""
        return {w for r in self.rules for t in r.sources + r.targets for w in words(t)}

    def related(self, word: str) -> set[str]:
        """The single words a rule holding `word` connects it to ("admin" → "administrative")."""
        key = (word_form(word),)
        out: set[str] = set()
        for k, rule, _ in self._by_first.get(key[0], ()):
            if k == key:
                out.update(f for t in rule.targets + rule.sources for f in phrase_key(t) if f != key[0])
        return out


def _match_at(forms: list[str], i: int, key: tuple[str, ...]) -> int:
    """Where `key` ends when it matches `forms` at i ("*" is one to three words), else -1."""
    j = i
    for n, k in enumerate(key):
        if k == "*":
            nxt = key[n + 1] if n + 1 < len(key) else None
            for skip in range(1, 4):
                if j + skip <= len(forms) and (nxt is None or (j + skip < len(forms) and forms[j + skip] == nxt)):
                    j += skip
                    break
            else:
                return -1
            continue
        if j >= len(forms) or forms[j] != k:
            return -1
        j += 1
    return j

@lru_cache(maxsize=8)
def _cached(paths: tuple[str, ...], stamps: tuple[float, ...]) -> Synonyms:
    return Synonyms.load(Path(p) for p in paths)


def load_synonyms(corpus_dir: Path | None) -> Synonyms:
    """The general file plus the corpus's own `synonyms.txt`, when there is one."""
    paths = [GENERAL_SYNONYMS] + ([corpus_dir / "synonyms.txt"] if corpus_dir is not None else [])
    stamps = tuple(p.stat().st_mtime if p.is_file() else 0.0 for p in paths)
    return _cached(tuple(str(p) for p in paths), stamps)


def synonym_files(corpus_dir: Path | None) -> list[Path]:
    paths = [GENERAL_SYNONYMS] + ([corpus_dir / "synonyms.txt"] if corpus_dir is not None else [])
    return [p for p in paths if p.is_file()]
