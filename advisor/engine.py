"""`Advisor`: the one entry point the CLI, the web app and tests use.

    >>> from advisor import Advisor
    >>> advisor = Advisor.load()                     # builds the index on first use
    >>> answer = advisor.ask("how long is school?")
    >>> print(answer.text)                           # verbatim sentences with [n] markers
    >>> advisor.ask("and what do they earn?", history=["what do actors do?"]).careers
    ('actor',)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from advisor.answer import Decision, Policy, cite, confidence, decide, find_gaps, overview_answer, render, section_answer
from advisor.careers import CareerIndex, Named
from advisor.dialogue import SMALLTALK_REPLIES, history_texts, plural_title, question_key, resolve_history, section_questions, topics_phrase
from advisor.errors import IndexMissingError, IndexStaleError
from advisor.index.corpus import corpus_files
from advisor.index.embedder import Embedder, make_embedder
from advisor.index.store import CorpusIndex, IndexSetAsideError, build_index, check_fresh, ensure_writable, open_index
from advisor.models import Answer, AnswerSentence, Citation, Passage
from advisor.question import GENERIC, Analysis, analyse, clean_question, looks_foreign, searchable, smalltalk_kind
from advisor.retrieval import Retriever, Scored, Weights
from advisor.settings import Settings
from advisor.text import STOPWORDS, stem, word_form, words
from advisor.vocabulary.synonyms import load_synonyms, phrase_key

log = logging.getLogger(__name__)

NOT_ENGLISH = "Sorry, I can only answer questions in English, from the English career profiles."
EMPTY = "Please type a question, for example: how long is the training?"
NO_WORDS = "I couldn't find any words in that. Please ask your question in words."
MAX_COMPARED = 3
DOMINANCE = 0.08  # with no career named, the best career must lead the next by this much


@dataclass(frozen=True)
class Route:
    """Which careers answer a question, and why."""

    careers: tuple[str, ...]
    how: str  # "pinned" | "named" | "history" | "only" | "search" | "none"
    compare: bool = False
    refusal: str = ""  # a reply that ends the question here (another career, none loaded…)
    reason: str = ""
    kind: str = "abstain"
    suggestions: tuple[str, ...] = ()
    passages: tuple[Passage, ...] = ()  # what a search over several careers found
    missing: tuple[str, ...] = ()


class Advisor:
    """Grounded answers over one index. Thread-safe for concurrent `ask` calls."""

    def __init__(self, index: CorpusIndex, embedder: Embedder, settings: Settings,
                 weights: Weights | None = None, policy: Policy | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.policy = policy or Policy()
        self.synonyms = load_synonyms(settings.corpus_dir)
        self.careers = CareerIndex(index.documents, self.synonyms, _openings(index), (u.text for u in index.units))
        vocabulary = self.synonyms.words()
        self.retriever = Retriever(index, embedder, weights, known=vocabulary)
        self._sections = section_questions(index, self.careers)
        self._section_of = {question_key(sq.question): sq for sq in self._sections}
        self._question_of = {(sq.doc_id, sq.section): sq.question for sq in self._sections}
        self._name_words = {c.id: self._title_words(c.title) for c in self.careers.careers.values()}
        # the words of career questions: those of the vocabulary files ("degree", "pay")
        self._career_words = (vocabulary | GENERIC) - STOPWORDS

    @staticmethod
    def _title_words(title: str) -> set[str]:
        ws = words(title)
        return set(ws) | {word_form(w) for w in ws} | {stem(w) for w in ws}

    @classmethod
    def load(
        cls,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        progress: Callable[[str], None] | None = None,
        show_progress: bool = False,
        **overrides: object,
    ) -> Advisor:
        """Load the index (building it when missing, rebuilding it when stale if
        `auto_build`) and the model. Keyword overrides are Settings fields."""
        settings = (settings or Settings.from_env()).with_(**overrides)
        say = progress or (lambda msg: log.info("%s", msg))
        embedder = embedder or make_embedder(settings.model, settings.data_dir)  # the data folder keeps its ONNX encoder
        try:
            # writes nothing when the index is valid; finishes a killed build's swap; with
            # auto_build a damaged index is set aside (IndexSetAsideError) and rebuilt below
            index = open_index(settings.data_dir, repair=settings.auto_build, progress=progress or (lambda msg: log.warning("%s", msg)))
            check_fresh(index.manifest, settings.corpus_dir, embedder.name)
            if index.manifest["model"].get("weights_sha256") != embedder.weights_hash:
                raise IndexStaleError("The model weights changed since the index was built. Run: advisor build")
        except (IndexMissingError, IndexStaleError) as exc:
            if not settings.auto_build:
                raise
            first = isinstance(exc, IndexMissingError) and not isinstance(exc, IndexSetAsideError)
            ensure_writable(settings.data_dir, f"{exc}".replace(" Run: advisor build", "").rstrip(". ") + ": the index has to be built")
            n = len(corpus_files(settings.corpus_dir))  # a missing or empty corpus says so before "building…"
            say(f"Building the search index of {n} profile(s) (first run)…" if first else f"Rebuilding the index: {exc}".replace(" Run: advisor build", ""))
            index = build_index(settings.corpus_dir, settings.data_dir, embedder, progress=say, show_progress=show_progress)
        advisor = cls(index, embedder, settings)
        advisor.warm_up()
        return advisor

    def warm_up(self) -> None:
        """Run one query so the first real question is as fast as the rest."""
        self.retriever.embed("warm up")

    # ------------------------------------------------------------------------------------
    def ask(self, question: object, history: Sequence[object] | None = None, career: str | None = None) -> Answer:
        """Answer one question; `history` is the earlier user questions, oldest first;
        `career` (an id from `careers.listing()`) pins the career. An unknown `career`
        raises CareerError."""
        pinned = self.careers.resolve(career) if career else None
        max_chars = self.settings.max_question_chars
        clean = clean_question(question, max_chars)
        q, notices = clean.text, clean.notices
        base = {"question": q, "notices": notices, "careers": (pinned,) if pinned else (), "career_titles": (self.careers.title(pinned),) if pinned else ()}
        if not q:
            return Answer(kind="invalid", text=EMPTY, confidence=0.0, **base)  # type: ignore[arg-type]
        words_only = searchable(q)
        if not any(ch.isalpha() for ch in words_only):
            return Answer(kind="invalid", text=NO_WORDS, confidence=0.0, **base)  # type: ignore[arg-type]
        kind = smalltalk_kind(words_only)
        if kind:
            text = SMALLTALK_REPLIES[kind].format(topics=topics_phrase(self.careers, pinned))
            return Answer(kind="smalltalk", text=text, confidence=1.0, suggestions=tuple(self.starter_questions(3, pinned)), **base)  # type: ignore[arg-type]
        if looks_foreign(words_only):
            return Answer(kind="abstain", text=NOT_ENGLISH, confidence=0.0, suggestions=tuple(self.starter_questions(3, pinned)),
                          reason="not English", **base)  # type: ignore[arg-type]
        earlier = history_texts(history or [], max_chars)
        a = analyse(words_only, self.retriever.vocabulary, self.synonyms, resolve_history(earlier))
        own = self._section_of.get(question_key(q))
        if own is not None and (pinned is None or own.doc_id == pinned):  # one of our own starters or suggestions
            return replace(self._section(a, own.doc_id, own.section, notices), question=q)
        route = self.route(a, pinned, earlier)
        if route.refusal:
            return Answer(question=q, kind=route.kind, text=route.refusal, confidence=0.0, notices=notices, reason=route.reason,
                          suggestions=route.suggestions, resolved_question=a.dense_text, careers=route.careers, passages=route.passages,
                          career_titles=tuple(self.careers.title(c) for c in route.careers), missing=route.missing)
        answer = self._compare(a, route, notices) if route.compare else self._single(a, route.careers[0], notices)
        return replace(answer, question=q)  # as typed (cleaned), markup and all: the chat shows it

    # -- routing --------------------------------------------------------------------------
    def route(self, a: Analysis, pinned: str | None, earlier: Sequence[str]) -> Route:
        """The careers that answer: pinned, named in the question, the conversation's, the
        only one loaded, or the one a search over all of them clearly favours."""
        named = self.careers.named(a.corrected)
        t = self.careers.title
        if pinned:
            # another career named, that the pinned career's profile does not itself speak of
            others = [c for c in named.ids if c != pinned and not all(self.retriever.knows(w, [pinned]) for w in named.words)] if named.strong else []
            if others and pinned not in named.ids:
                return Route((pinned,), "pinned", refusal=f"This chat is about {t(pinned)}, and its profile doesn't cover {t(others[0])}.",
                             reason=f"asks about another career ({others[0]})", suggestions=tuple(self.starter_questions(3, pinned)))
            if named.unknown and not named.ids:
                return self._no_profile(named.unknown, (pinned,))
            return Route((pinned,), "pinned")
        if named.ids and named.strong:
            ids = named.ids[:MAX_COMPARED]
            if len(ids) > 1 and not (a.compare or _joined(a.corrected, named.spans)):
                goal = _goal(a.corrected, named, self.careers)
                if goal:  # "how long is culinary school if I want to be a baker?": the career to be
                    return Route((goal,), "named")
                return self._search(a, ids)  # "do I need to be an EMT to be a firefighter?": one of them answers
            return Route(ids, "named", compare=len(ids) > 1)
        if named.unknown:
            return self._no_profile(named.unknown, ())
        context = self.careers.in_history(earlier)
        if named.ids:  # a head noun several careers share ("teachers"): the conversation's, or let the search pick
            return Route((context,), "history") if context in named.ids else self._search(a, named.ids)
        if context:
            return Route((context,), "history")
        if len(self.careers) == 1:
            return Route((next(iter(self.careers.careers)),), "only")
        return self._search(a, None)

    def _no_profile(self, unknown: Sequence[str], careers: tuple[str, ...]) -> Route:
        name = unknown[0]
        listing = [c["title"] for c in self.careers.listing()]
        some = ", ".join(listing[:6]) + (" and others" if len(listing) > 6 else "")
        return Route(careers, "none", refusal=f"Sorry, I don't have a career profile for {name}. I can answer questions about {some}.",
                     reason=f"no profile for {name}", suggestions=tuple(self.starter_questions(3, careers[0] if careers else None)))

    def _search(self, a: Analysis, among: Sequence[str] | None) -> Route:
        """No career named: search all (or `among`); answer from the best career when it
        clearly leads, else ask which one is meant."""
        s = self.retriever.score(a, among)
        best: dict[str, float] = {}
        for i in s.rows:
            d = self.retriever.unit(int(i)).doc_id
            if d not in best:
                best[d] = float(s.total[int(i)])
            if len(best) >= 6:
                break
        ranked = sorted(best, key=lambda d: -best[d])
        passages = tuple(self.retriever.to_passages(s, 10))
        missing = find_gaps(a, self.retriever, among, self.policy, self._drop(a, []), self.synonyms).key
        if missing:
            listed = " or ".join(f"\u201c{w}\u201d" for w in missing)
            return Route((), "search", refusal=f"Sorry, none of the career profiles mentions {listed}, so I can't answer that from them.",
                         reason=f"no profile mentions {', '.join(missing)}", suggestions=self.suggest_for(s), passages=passages, missing=missing)
        if not ranked or best[ranked[0]] < self.policy.min_total:
            return Route((), "search", refusal=self._not_covered(None), reason="no profile matches well",
                         suggestions=self.suggest_for(s), passages=passages)
        lead = ranked[0]
        leads = len(ranked) == 1 or best[lead] - best[ranked[1]] >= DOMINANCE
        if among is None and len(self.careers) > 1:
            # No career named. A question about careers uses their words ("pay", "job",
            # "training"); one that speaks of a single career uses a term only a few
            # profiles have ("AT-SAT"). "What's the weather tomorrow?" or "tell me a
            # joke" is neither, however well one profile's words match it.
            about_careers = any(w in self._career_words for w in words(a.corrected))
            acronym = any(t.isupper() and len(t) >= 2 for t in re.findall(r"[A-Za-z][A-Za-z-]+", a.corrected))
            if not about_careers and not (acronym and self.retriever.distinctive(a.focus, lead)):
                return Route((), "search", refusal=self._not_covered(None), reason="not a question about a career",
                             suggestions=tuple(self.starter_questions(3)), passages=passages)
            leads = leads and self.retriever.distinctive(a.focus, lead)  # "how much do they earn?": which career?
        if leads:
            return Route((lead,), "search")
        close = [d for d in ranked if best[lead] - best[d] < DOMINANCE][:4] if len(ranked) > 1 else ranked[:1]
        close = close if len(close) > 1 else ranked[:3]
        titles = [self.careers.title(d) for d in close]
        listed = ", ".join(titles[:-1]) + f" or {titles[-1]}"
        topic = a.text.rstrip("?!. ")
        return Route(tuple(close), "search", kind="clarify", refusal=f"Which career do you mean: {listed}?", reason="several careers match",
                     suggestions=tuple(f"{t}: {topic}?" for t in titles), passages=passages)

    # -- answering ------------------------------------------------------------------------
    def _drop(self, a: Analysis, careers: Sequence[str]) -> set[str]:
        """Words that name careers (in their titles, or as the question named them): no
        topic for the search within a career."""
        drop: set[str] = set()
        for c in careers:
            drop |= self._name_words[c]
        for text in (a.corrected, a.previous):
            named = self.careers.named(text) if text else None
            if named is not None:
                for c in named.ids:
                    drop |= self._name_words[c]
                drop |= named.words | {w for w in words(text) if word_form(w) in named.words}
        return drop

    def _decide(self, a: Analysis, cid: str, named: Sequence[str]) -> tuple[Decision, Scored]:
        drop = self._drop(a, named)
        s = self.retriever.score(a, [cid], drop)
        if a.overview and not [t for t in a.focus if t not in drop]:
            # "what do actors do?", "tell me about actuaries": nothing but the career is asked about
            return overview_answer(self.retriever, self.policy, cid, confidence(float(s.total[int(s.rows[0])]), self.policy)), s
        gaps = find_gaps(a, self.retriever, [cid], self.policy, drop, self.synonyms)
        return decide(a, s, self.retriever, self.policy, gaps), s

    def _single(self, a: Analysis, cid: str, notices: tuple[str, ...]) -> Answer:
        d, s = self._decide(a, cid, [cid])
        passages = tuple(self.retriever.to_passages(s, 10))
        title = self.careers.title(cid)
        if d.reason:
            log.debug("abstained on %r: %s", a.text, d.reason)
            return Answer(question=a.text, kind="abstain", text=self._abstain_text(d, cid), confidence=d.confidence, passages=passages,
                          suggestions=self.suggest_for(s, cid), notices=notices, resolved_question=a.dense_text, reason=d.reason,
                          careers=(cid,), career_titles=(title,), missing=d.missing)
        sentences, citations = cite(d.units, self.index.documents)
        return Answer(question=a.text, kind="answer", text=render(sentences), confidence=d.confidence, sentences=tuple(sentences),
                      citations=tuple(citations), passages=passages, notices=notices, resolved_question=a.dense_text,
                      careers=(cid,), career_titles=(title,))

    def _compare(self, a: Analysis, route: Route, notices: tuple[str, ...]) -> Answer:
        """One part per career, each labelled with its title and answered from its own
        profile only; a career whose profile does not cover it is named in a notice."""
        sentences: list[AnswerSentence] = []
        citations: list[Citation] = []
        passages: list[Passage] = []
        extra: list[str] = []
        confidences: list[float] = []
        reasons: list[str] = []
        each = replace(a, compare=False)  # each part answers its own career; the student compares
        for cid in route.careers:
            d, s = self._decide(each, cid, route.careers)
            passages.extend(self.retriever.to_passages(s, 5))
            title = self.careers.title(cid)
            if d.reason:
                extra.append(f"The {title} profile doesn't cover that.")
                reasons.append(f"{cid}: {d.reason}")
                continue
            part, cites = cite(d.units, self.index.documents, part=title, first=len(citations) + 1)
            sentences.extend(part)
            citations.extend(cites)
            confidences.append(d.confidence)
        titles = tuple(self.careers.title(c) for c in route.careers)
        if not sentences:
            return Answer(question=a.text, kind="abstain", text=f"Sorry, the {' and '.join(titles)} profiles don't cover that.", confidence=0.0,
                          passages=tuple(passages), notices=notices, reason="; ".join(reasons), careers=route.careers, career_titles=titles,
                          resolved_question=a.dense_text, suggestions=tuple(self.starter_questions(2, route.careers[0])))
        return Answer(question=a.text, kind="answer", text=render(sentences), confidence=min(confidences), sentences=tuple(sentences),
                      citations=tuple(citations), passages=tuple(sorted(passages, key=lambda p: -p.score)[:10]), notices=notices + tuple(extra),
                      resolved_question=a.dense_text, careers=route.careers, career_titles=titles, reason="; ".join(reasons))

    def _section(self, a: Analysis, cid: str, section: tuple[str, ...], notices: tuple[str, ...]) -> Answer:
        s = self.retriever.score(a, [cid], self._drop(a, [cid]))
        d = section_answer(s, self.retriever, self.policy, cid, section)
        title = self.careers.title(cid)
        if d.reason:
            return Answer(question=a.text, kind="abstain", text=self._not_covered(cid), confidence=0.0, notices=notices, reason=d.reason,
                          careers=(cid,), career_titles=(title,))
        sentences, citations = cite(d.units, self.index.documents)
        return Answer(question=a.text, kind="answer", text=render(sentences), confidence=confidence(float(s.total[int(s.rows[0])]), self.policy) if len(s.rows) else 1.0,
                      sentences=tuple(sentences), citations=tuple(citations), passages=tuple(self.retriever.to_passages(s, 10)), notices=notices,
                      resolved_question=a.dense_text, careers=(cid,), career_titles=(title,))

    def _not_covered(self, cid: str | None) -> str:
        if cid is None or len(self.careers) == 1:
            return "Sorry, the profile doesn't cover that, so I can't answer it from the source." if len(self.careers) == 1 else \
                "Sorry, none of the career profiles covers that, so I can't answer it from the sources."
        return f"Sorry, the {self.careers.title(cid)} profile doesn't cover that, so I can't answer it from the source."

    def _abstain_text(self, d: Decision, cid: str) -> str:
        the = "The profile" if len(self.careers) == 1 else f"The {self.careers.title(cid)} profile"
        if d.missing:
            quoted = [f"\u201c{w}\u201d" for w in d.missing]
            listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
            return f"{the} doesn't mention {listed}, so I can't answer that from it."
        if d.reason.startswith("the profile gives no figure"):
            return f"{the} doesn't give that figure."
        if d.reason.startswith("the profile names none"):
            return f"{the} doesn't name any."
        return self._not_covered(cid)

    # ------------------------------------------------------------------------------------
    def suggest_for(self, scored: Scored | None, career: str | None = None, n: int = 3) -> tuple[str, ...]:
        """Questions the profile answers: those of the sections nearest the question, or
        a spread over the profile when there is no question to be near."""
        if scored is None:
            return tuple(self.starter_questions(n, career))
        ranked: list[str] = []
        for i in scored.rows:
            u = self.retriever.unit(int(i))
            q = self._question_of.get((u.doc_id, u.section))
            if q and q not in ranked:
                ranked.append(q)
                if len(ranked) >= n:
                    break
        return tuple(ranked)

    def starter_questions(self, n: int = 4, career: str | None = None) -> list[str]:
        """Questions for an empty chat, spread evenly over the sections of one career (or
        of the first careers when none is chosen), phrased as a student would ask."""
        if career is None and len(self.careers) > 1:  # one each from the first careers, then a second each…
            per: dict[str, list[str]] = {}
            for sq in self._sections:
                per.setdefault(sq.doc_id, []).append(sq.question)
            spread = [self._spread(qs, min(len(qs), n)) for qs in per.values()]
            out = [qs[i] for i in range(n) for qs in spread if i < len(qs)]
            return out[:n]
        return self._spread([sq.question for sq in self._sections if career is None or sq.doc_id == career], n)

    @staticmethod
    def _spread(items: list[str], n: int) -> list[str]:
        if len(items) <= n:
            return items
        step = len(items) / n
        return [items[int(i * step)] for i in range(n)]

    def career_intro(self, career: str | None) -> str:
        """"Ask about Imaging Technologists" (or about the careers loaded)."""
        if career:
            return f"Ask about {plural_title(self.careers.title(career))}"
        if len(self.careers) == 1:
            return self.career_intro(next(iter(self.careers.careers)))
        return f"Ask about {len(self.careers)} careers"


_JOINERS = frozenset("and or vs versus compared to with than".split())
_GOAL = re.compile(r"\b(?:be|become|becoming|being|as|work as|career as|job as)\s+(?:an?\s+)?$")


def _goal(text: str, named: Named, careers: CareerIndex) -> str | None:
    """Of several careers named, the one the student wants to be ("… to be a baker")."""
    forms = phrase_key(text)
    goals: set[str] = set()
    for a, b in named.spans:
        if _GOAL.search(" ".join(forms[max(0, a - 4) : a]) + " "):
            goals.update(c for c in careers.named(" ".join(forms[a:b])).ids[:1] if c in named.ids)
    return next(iter(goals)) if len(goals) == 1 else None


def _joined(text: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Two career names side by side ("actors and accountants", "actors vs. actuaries")."""
    forms = phrase_key(text)
    ordered = sorted(spans)
    return any(0 <= b[0] - a[1] <= 2 and all(f in _JOINERS for f in forms[a[1] : b[0]]) for a, b in zip(ordered, ordered[1:], strict=False))


def _openings(index: CorpusIndex) -> dict[str, set[tuple[str, ...]]]:
    """The first four words of every sentence of each career's profile."""
    out: dict[str, set[tuple[str, ...]]] = {}
    for u in index.units:
        if u.kind == "sentence":
            out.setdefault(u.doc_id, set()).add(phrase_key(" ".join(u.text.split()[:4])))
    return out
