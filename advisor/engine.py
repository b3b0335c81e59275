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
from dataclasses import replace

import numpy as np

from advisor.answer import Candidate, Policy, candidate, cite, find_gaps, overview_answer, render, section_answer
from advisor.calibration import load as load_model
from advisor.careers import CareerIndex
from advisor.decision import Decision, decide, none_mention, route_signals
from advisor.dialogue import SMALLTALK_REPLIES, history_texts, plural_title, question_key, resolve_history, section_questions, topics_phrase
from advisor.errors import IndexMissingError, IndexStaleError
from advisor.explore import asks_across_careers, asks_kinds_of, explore, strength
from advisor.fields import FieldIndex
from advisor.index.corpus import corpus_files
from advisor.index.embedder import Embedder, make_embedder
from advisor.index.store import CorpusIndex, IndexSetAsideError, build_index, check_fresh, ensure_writable, open_index
from advisor.models import Answer, AnswerSentence, Citation, Passage, Unit
from advisor.question import Analysis, analyse, asked_part, clean_question, looks_foreign, searchable, smalltalk_kind
from advisor.retrieval import Retriever, Scored, Weights
from advisor.routing import Route, Router, default_career_words
from advisor.settings import Settings
from advisor.spelling import zipf
from advisor.text import STOPWORDS, forms, stem, word_form, words
from advisor.vocabulary.synonyms import load_synonyms, phrase_key

log = logging.getLogger(__name__)
LEDE_SENTENCES = 3
USUAL_GAIN = 90  # percentile of the career's passages' gain for a word its profile lacks: what a passage gains that answers nothing in particular

NOT_ENGLISH = "Sorry, I can only answer questions in English, from the English career profiles."
EMPTY = "Please type a question, for example: how long is the training?"
NO_WORDS = "I couldn't find any words in that. Please ask your question in words."
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
        self._name_words = {c.id: forms(c.title) for c in self.careers.careers.values()}
        # the words of career questions: those of the vocabulary files ("degree", "pay")
        self._career_words = default_career_words(self.synonyms)
        self.fields = FieldIndex(_field_texts(index))
        self._profile_words: dict[tuple[str, ...], list[str]] = {}  # per career, its words (real-word slips are read against them)
        self.decision = load_model("decision")
        # the share of the careers such a reply lists that answer the question, measured on
        # the development sets (`eval/fit.py`): the reply's confidence
        self.explore_confidence = float(self.decision.fitted_on.get("explore_precision", 0.5))
        self.router = Router(self.careers, self.retriever, self.fields, FieldIndex(_lede_texts(index)), load_model("route"), self._career_words,
                             lambda q, before: self.understand(q, before)[0])

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
        a, earlier = self.understand(words_only, history)
        own = self._section_of.get(question_key(q))
        if own is not None and (pinned is None or own.doc_id == pinned):  # one of our own starters or suggestions
            return replace(self._section(a, own.doc_id, own.section, notices), question=q)
        if pinned is None and len(self.careers) > 1:
            named = self.careers.named(a.corrected)
            if asks_across_careers(a.corrected) and not named.strong:
                return replace(self._explore(a, notices), question=q)
            if asks_kinds_of(a.corrected, named.words) and len(named.ids) > 1 and not named.strong:
                # "what kinds of engineers are there?": the careers that head noun names
                return replace(self._explore(a, notices, among=named.ids), question=q)
        route = self.route(a, pinned, earlier)
        reply = self._routed_reply(a, route, pinned, notices)
        if reply is not None:
            return replace(reply, question=q)
        answer = self._compare(a, route, notices) if route.compare else self._single(a, route.careers[0], route, notices)
        return replace(answer, question=q, route=route.how)  # as typed (cleaned), markup and all: the chat shows it

    def understand(self, question: str, history: Sequence[object] | None = None) -> tuple[Analysis, list[str]]:
        """The question analysed (markup dropped, spelling repaired, what it asks for), and
        the earlier questions as clean text."""
        max_chars = self.settings.max_question_chars
        earlier = history_texts(history or [], max_chars)
        text = searchable(clean_question(question, max_chars).text)
        return analyse(text, self.retriever.vocabulary, self.synonyms, resolve_history(earlier)), earlier

    # -- routing --------------------------------------------------------------------------
    def route(self, a: Analysis, pinned: str | None, earlier: Sequence[str]) -> Route:
        """The careers that answer (see `advisor.routing`)."""
        return self.router.route(a, pinned, earlier)

    def _routed_reply(self, a: Analysis, route: Route, pinned: str | None, notices: tuple[str, ...]) -> Answer | None:
        """The reply when the route itself ends the question (another career, none
        loaded, none fits, which one?); None when a career answers."""
        t = self.careers.title
        base = {"question": a.text, "confidence": 0.0, "notices": notices, "resolved_question": a.dense_text, "route": route.how,
                "passages": tuple(self.retriever.to_passages(route.scored, 10)) if route.scored is not None else ()}
        if route.how == "other":
            return Answer(kind="abstain", text=f"This chat is about {t(route.careers[0])}, and its profile doesn't cover {t(route.unknown)}.",
                          reason=f"asks about another career ({route.unknown})", suggestions=tuple(self.starter_questions(3, pinned)),
                          careers=route.careers, career_titles=(t(route.careers[0]),), **base)  # type: ignore[arg-type]
        if route.how == "unknown":
            listing = [c["title"] for c in self.careers.listing()]
            some = ", ".join(listing[:6]) + (" and others" if len(listing) > 6 else "")
            return Answer(kind="abstain", text=f"Sorry, I don't have a career profile for {route.unknown}. I can answer questions about {some}.",
                          reason=f"no profile for {route.unknown}", suggestions=tuple(self.starter_questions(3, pinned)),
                          careers=route.careers, career_titles=tuple(t(c) for c in route.careers), **base)  # type: ignore[arg-type]
        if route.how == "none":
            # a word no profile uses is named ("none of the profiles mentions “france”")
            missing = find_gaps(a, self.retriever, None, self.policy, self._drop(a, []), self.synonyms).key
            if missing:
                return Answer(kind="abstain", text=none_mention(missing),
                              reason=f"no profile mentions {', '.join(missing)}", suggestions=self.suggest_for(route.scored), missing=missing,
                              **base)  # type: ignore[arg-type]
            return Answer(kind="abstain", text=self._not_covered(None), reason="no profile matches well", suggestions=tuple(self.starter_questions(3)),
                          **base)  # type: ignore[arg-type]
        if route.how == "clarify":
            titles = [t(c) for c in route.careers]
            listed = ", ".join(titles[:-1]) + f" or {titles[-1]}" if len(titles) > 1 else titles[0]
            suggestions = tuple(q for c in route.careers for q in self.suggest_for(route.scored, c, 1))
            return Answer(kind="clarify", text=f"Which career do you mean: {listed}?", reason="several careers match", suggestions=suggestions,
                          careers=route.careers, career_titles=tuple(titles), **base)  # type: ignore[arg-type]
        return None

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

    def _own_names(self, a: Analysis, profiles: Sequence[str]) -> set[str]:
        """The words of the question that name this career (its title's, or a name of its own
        the question uses): read as its title in the search within it (`as_titled`)."""
        named = self.careers.named(a.corrected)
        own = set().union(*(self._name_words[c] for c in profiles))
        return own | (set(named.words) if set(named.ids) & set(profiles) else set())

    def _decide(self, a: Analysis, cid: str, named: Sequence[str], route: Route) -> tuple[Decision, Scored]:
        profiles = list(self.careers.group.get(cid, (cid,)))  # the career's profiles: one, or its pages from several sites
        a = self._in_profile(a, profiles)
        asked = asked_part(a.corrected)
        if asked:  # "the job where you fix power lines, is it dangerous?": the description chose the career
            a = self._reread(a, asked)
        drop = self._drop(a, named)
        if route.how == "evidence":
            # "how do you become a lineman?": the word after "become a" is the student's name
            # for the career the evidence chose; one its profile never uses is no topic it lacks
            slot = [w for w in _career_slot(a.corrected) if not self.retriever.knows(w, profiles)]
            drop |= {f for w in slot for f in (w, stem(w), word_form(w))}
        if a.figure and a.figure_words and set(a.figure_words) <= drop:
            a = replace(a, figure=None, figure_words=())  # "what degree do cost estimators need?" asks for no sum
        s = self.retriever.score(a, profiles, drop, named_as=(self.careers.title(cid), self._own_names(a, profiles)))
        if a.overview and not [t for t in a.focus if t not in drop]:
            # "what do actors do?", "tell me about actuaries": nothing but the career is asked about
            lede = overview_answer(self.retriever, self.policy, cid)
            c = candidate(a, s, self.retriever, self.policy, drop=drop, synonyms=self.synonyms)
            c = Candidate(lede.units, {**c.signals, "overview": 1.0, "coverage": 1.0})
        else:
            gaps = find_gaps(a, self.retriever, profiles, self.policy, drop, self.synonyms)
            c = candidate(a, s, self.retriever, self.policy, gaps, drop, self.synonyms)
            if gaps.key or gaps.other:
                c = replace(c, signals={**c.signals, **self._gap_signals(a, (*gaps.key, *gaps.other), c.units, profiles)})
        signals = route_signals(route.how, route.confidence)
        # chosen by the evidence alone for a question that uses no word of career talk (no
        # pay, training, job, work…): "what's a good recipe for pancakes?" is no question
        # about bakers
        signals["route_untalked"] = signals["route_evidence"] * float(not self.router.talks_careers(a))
        return decide(c, signals, self.decision, self.policy.answer_all), s

    def _gap_signals(self, a: Analysis, missing: Sequence[str], units: Sequence[Unit], profiles: Sequence[str]) -> dict[str, float]:
        """What the words a profile lacks weigh, judged by the rarest of them (one more
        encoding, not one a word): `missing_weight`, how far the question moves in the
        model's space when it is left out ("fluoro" is nearly all of "do they do fluoro?");
        `gap_answered`, how much nearer the answer comes to the question for that word than
        the career's passages usually do (their USUAL_GAIN percentile): "could I be my own
        boss?" comes nearer to "start your own business" for "boss", a word the profile
        never uses; "is there a bursary for the training?" brings a sentence about the
        training no nearer for "bursary", and "angiograms" brings every passage of an imaging
        profile nearer alike."""
        w = min(missing, key=zipf)
        rest = re.sub(rf"\b{re.escape(w)}\b", " ", a.corrected, flags=re.I)
        whole, without = self.retriever.embed(a.corrected), self.retriever.embed(" ".join(rest.split()))
        gain = whole - without
        vecs = self.retriever.unit_vectors(units)
        rows = self.retriever.rows_of(profiles)
        usual = float(np.percentile(self.retriever.unit_vecs[rows] @ gain, USUAL_GAIN)) if len(rows) else 0.0
        answered = float(np.max(vecs @ gain)) - usual if len(vecs) else 0.0
        return {"missing_weight": 1.0 - float(whole @ without), "gap_answered": answered}

    def _in_profile(self, a: Analysis, profiles: Sequence[str]) -> Analysis:
        """Real-word slips read against the career's own words: "collage" in a question to
        the chefs' profile, which speaks of college and never of collage."""
        speller = self.retriever.vocabulary.speller
        key = tuple(profiles)
        own = self._profile_words.get(key)
        if own is None:
            own = self._profile_words[key] = sorted({w for c in profiles for w in self.retriever.doc_words.get(c, ()) if w.isalpha() and len(w) > 3})
        fixes = {}
        for w in a.topical:
            fix = speller.in_profile(w, lambda x: self.retriever.knows(x, profiles), own)
            if fix is None and not self.retriever.knows(w, profiles):
                # a slip for a word this profile does not use either ("collage" to a profile
                # that says only "degree"): the question read with it must sit nearer
                # to the profile's passages than the question as typed
                slip = speller.slip(w)
                if slip and self._nearer(a.corrected, w, slip, profiles):
                    fix = slip
            if fix:
                fixes[w] = fix
        if not fixes:
            return a
        text = " ".join(fixes.get(t.lower(), t) for t in a.corrected.split())
        return self._reread(a, text, fixes)

    def _reread(self, a: Analysis, text: str, fixes: dict[str, str] | None = None) -> Analysis:
        """The question read again as `text` (repaired, or only the part that asks), keeping
        what the first reading knew of the conversation."""
        fixed = analyse(text, self.retriever.vocabulary, self.synonyms, a.previous)
        return replace(fixed, text=a.text, corrections={**a.corrections, **(fixes or {})}, followup=a.followup, marker=a.marker,
                       context=a.context, context_matches=a.context_matches, previous=a.previous)

    def _nearer(self, text: str, word: str, fix: str, profiles: Sequence[str]) -> bool:
        """Whether `text` with `fix` for `word` is closer to the career's best passage than as typed."""
        rows = self.retriever.rows_of(profiles)
        if not len(rows):
            return False
        fixed = re.sub(rf"\b{re.escape(word)}\b", fix, text, flags=re.I)
        vecs = self.retriever.unit_vecs[rows]
        return float(np.max(vecs @ self.retriever.embed(fixed))) > float(np.max(vecs @ self.retriever.embed(text)))

    def _single(self, a: Analysis, cid: str, route: Route, notices: tuple[str, ...]) -> Answer:
        d, s = self._decide(a, cid, [cid], route)
        passages = tuple(self.retriever.to_passages(s, 10))
        title = self.careers.title(cid)
        if d.refusal is not None:
            log.debug("abstained on %r: %s", a.text, d.reason)
            text = d.refusal.reply(self._the(cid), d.missing)
            if route.how == "evidence" and d.missing and not any(self.retriever.knows(w, None) for w in d.missing):
                text = none_mention(d.missing)  # no career was named, and no profile uses the word: none covers it
            return Answer(question=a.text, kind="abstain", text=text, confidence=d.confidence, passages=passages,
                          suggestions=self.suggest_for(s, cid), notices=notices, resolved_question=a.dense_text, reason=d.reason,
                          careers=(cid,), career_titles=(title,), missing=d.missing, signals=dict(d.signals or {}))
        sentences, citations = cite(d.units, self.index.documents)
        suggestions: tuple[str, ...] = ()
        if route.others:  # no career stood out: say which one answered, and offer the others
            others = [self.careers.title(c) for c in route.others]
            notices = (*notices, f"Answered from the {title} profile. Other careers that may fit: {' or '.join(others)}.")
            suggestions = tuple(q for c in route.others for q in self.suggest_for(route.scored, c, 1))
        return Answer(question=a.text, kind="answer", text=render(sentences), confidence=d.confidence, sentences=tuple(sentences),
                      citations=tuple(citations), passages=passages, notices=notices, resolved_question=a.dense_text,
                      careers=(cid,), career_titles=(title,), signals=dict(d.signals or {}), suggestions=suggestions)

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
            d, s = self._decide(each, cid, route.careers, route)
            passages.extend(self.retriever.to_passages(s, 5))
            title = self.careers.title(cid)
            if d.refusal is not None:
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
        return Answer(question=a.text, kind="answer", text=render(sentences), confidence=1.0,  # one of our own questions about a section it has
                      sentences=tuple(sentences), citations=tuple(citations), passages=tuple(self.retriever.to_passages(s, 10)), notices=notices,
                      resolved_question=a.dense_text, careers=(cid,), career_titles=(title,))

    def _not_covered(self, cid: str | None) -> str:
        if cid is None or len(self.careers) == 1:
            return "Sorry, the profile doesn't cover that, so I can't answer it from the source." if len(self.careers) == 1 else \
                "Sorry, none of the career profiles covers that, so I can't answer it from the sources."
        return f"Sorry, the {self.careers.title(cid)} profile doesn't cover that, so I can't answer it from the source."

    def _explore(self, a: Analysis, notices: tuple[str, ...], among: Sequence[str] | None = None) -> Answer:
        """Careers whose profiles answer a question about careers in general (or about the
        careers `among`: the kinds of one worker), each with its one best sentence,
        labelled and cited (see `advisor.explore`)."""
        s = self.retriever.score(a, list(among) if among else None)
        picks = explore(s, self.retriever, self.careers.canonical, self.policy.terse_words)
        passages = tuple(self.retriever.to_passages(s, 10))
        if strength(picks) < self.policy.min_total:
            return Answer(question=a.text, kind="abstain", text=self._not_covered(None), confidence=0.0, passages=passages, notices=notices,
                          resolved_question=a.dense_text, reason="no profile matches well", route="explore", suggestions=tuple(self.starter_questions(3)))
        sentences: list[AnswerSentence] = []
        citations: list[Citation] = []
        kept: list[str] = []
        n_words = 0
        for pick in picks:
            title = self.careers.title(pick.career)
            cost = len(title.split()) + len(pick.unit.text.split()) + 1
            if kept and n_words + cost > self.policy.max_words:
                break
            part, cites = cite([pick.unit], self.index.documents, part=title, first=len(citations) + 1)
            sentences.extend(part)
            citations.extend(cites)
            kept.append(pick.career)
            n_words += cost
        titles = tuple(self.careers.title(c) for c in kept)
        return Answer(question=a.text, kind="answer", text=render(sentences), confidence=self.explore_confidence, sentences=tuple(sentences),
                      citations=tuple(citations), passages=passages, notices=notices, resolved_question=a.dense_text, careers=tuple(kept),
                      career_titles=titles, route="explore", suggestions=tuple(f"Tell me more about {plural_title(t)}" for t in titles[:3]))

    def _the(self, cid: str) -> str:
        return "The profile" if len(self.careers) == 1 else f"The {self.careers.title(cid)} profile"

    # ------------------------------------------------------------------------------------
    def suggest_for(self, scored: Scored | None, career: str | None = None, n: int = 3) -> tuple[str, ...]:
        """Questions the profile answers: those of the sections nearest the question, or
        a spread over the profile when there is no question to be near."""
        if scored is None:
            return tuple(self.starter_questions(n, career))
        ranked: list[str] = []
        for i in scored.rows:
            u = self.retriever.unit(int(i))
            if career is not None and u.doc_id != career:
                continue
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


_SLOT = re.compile(r"\b(?:be|become|becoming|being|work as|career as|job as)\s+(?:an?\s+)?(\w+)(?:\s+(\w+))?", re.I)


def _career_slot(text: str) -> set[str]:
    """The words that name the career a question asks about ("be a lineman", "become a
    plant manager"): the word after "be a"/"become a", and the next one."""
    out: set[str] = set()
    for m in _SLOT.finditer(text):
        out.update(w.lower() for w in m.groups() if w and w.lower() not in STOPWORDS)
    return out


def _openings(index: CorpusIndex) -> dict[str, set[tuple[str, ...]]]:
    """The first four words of every sentence of each career's profile."""
    out: dict[str, set[tuple[str, ...]]] = {}
    for u in index.units:
        if u.kind == "sentence":
            out.setdefault(u.doc_id, set()).add(phrase_key(" ".join(u.text.split()[:4])))
    return out


def _field_texts(index: CorpusIndex) -> dict[str, list[str]]:
    """Each career's words for its field: its title (twice: a title names the field), its
    headings and its text."""
    out: dict[str, list[str]] = {d: [doc.title, doc.title] for d, doc in index.documents.items()}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for u in index.units:
        texts = out.setdefault(u.doc_id, [])
        texts.append(u.text)
        if (u.doc_id, u.section) not in seen:
            seen.add((u.doc_id, u.section))
            texts.extend(u.section)
    return out


def _lede_texts(index: CorpusIndex) -> dict[str, list[str]]:
    """Each career's title and first sentences: where a profile says what its workers are
    and do ("Welders join metal parts…")."""
    out: dict[str, list[str]] = {d: [doc.title] for d, doc in index.documents.items()}
    for u in sorted(index.units, key=lambda u: u.position):
        texts = out.setdefault(u.doc_id, [])
        if u.kind == "sentence" and len(texts) <= LEDE_SENTENCES:
            texts.append(u.text)
    return out
