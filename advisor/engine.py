"""`Advisor`: the one entry point the CLI, the web app and tests use.

    >>> from advisor import Advisor
    >>> advisor = Advisor.load()                     # builds the index on first use
    >>> answer = advisor.ask("how long is school?")
    >>> print(answer.text)                           # verbatim sentences with [n] markers
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from advisor.answer import Policy, cite, decide, render, section_answer
from advisor.dialogue import SMALLTALK_REPLIES, question_key, resolve_history, section_questions, topics_phrase
from advisor.errors import IndexMissingError, IndexStaleError
from advisor.index.corpus import corpus_files
from advisor.index.embedder import Embedder, make_embedder
from advisor.index.store import CorpusIndex, build_index, check_fresh, load_index, read_manifest
from advisor.models import Answer
from advisor.question import analyse, clean_question, looks_foreign, searchable, smalltalk_kind
from advisor.retrieval import Retriever, Scored, Weights
from advisor.settings import Settings

log = logging.getLogger(__name__)

NOT_COVERED = "Sorry, the profile doesn't cover that, so I can't answer it from the source."
NOT_ENGLISH = "Sorry, I can only answer questions in English, from the English career profile."
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
        self.retriever = Retriever(index, embedder, weights)
        self._texts = {d: doc.text for d, doc in index.documents.items()}
        self._corpus_lower = "\n".join(self._texts.values()).lower()
        self._lock = threading.Lock()  # torch inference is not re-entrant on one model
        self._sections = section_questions(index)
        self._section_of = {question_key(sq.question): sq for sq in self._sections}
        self._question_of = {(sq.doc_id, sq.section): sq.question for sq in self._sections}

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
        embedder = embedder or make_embedder(settings.model)
        try:
            manifest = read_manifest(settings.data_dir)
            check_fresh(manifest, settings.corpus_dir, embedder.name)
            index = load_index(settings.data_dir)
            if manifest["model"].get("weights_sha256") != embedder.weights_hash:
                raise IndexStaleError("The model weights changed since the index was built. Run: advisor build")
        except (IndexMissingError, IndexStaleError) as exc:
            if not settings.auto_build:
                raise
            first = isinstance(exc, IndexMissingError)
            corpus_files(settings.corpus_dir)  # a missing or empty corpus says so before "building…"
            say("Building the search index (first run, about 10 seconds)…" if first else f"Rebuilding the index: {exc}".replace(" Run: advisor build", ""))
            index = build_index(settings.corpus_dir, settings.data_dir, embedder, progress=say, show_progress=show_progress)
        advisor = cls(index, embedder, settings)
        advisor.warm_up()
        return advisor

    def warm_up(self) -> None:
        """Run one query so the first real question is as fast as the rest."""
        self.retriever.embed("warm up")

    # ------------------------------------------------------------------------------------
    def ask(self, question: object, history: Sequence[object] | None = None) -> Answer:
        """Answer one question; `history` is the earlier user questions, oldest first."""
        max_chars = self.settings.max_question_chars
        clean = clean_question(question, max_chars)
        q, notices = clean.text, clean.notices
        if not q:
            return Answer(question=q, kind="invalid", text=EMPTY, confidence=0.0, notices=notices)
        words_only = searchable(q)
        if not any(ch.isalpha() for ch in words_only):
            return Answer(question=q, kind="invalid", text=NO_WORDS, confidence=0.0, notices=notices)
        kind = smalltalk_kind(words_only)
        if kind:
            text = SMALLTALK_REPLIES[kind].format(topics=topics_phrase(self.index))
            return Answer(question=q, kind="smalltalk", text=text, confidence=1.0, suggestions=self.suggest_for(None), notices=notices)
        if looks_foreign(words_only):
            return Answer(question=q, kind="abstain", text=NOT_ENGLISH, confidence=0.0, suggestions=self.suggest_for(None),
                          notices=notices, reason="not English")
        a = analyse(words_only, self.retriever.vocabulary, resolve_history(history or [], max_chars))
        with self._lock:
            scored = self.retriever.score(a)
        passages = tuple(self.retriever.to_passages(scored, 10))
        own = self._section_of.get(question_key(q))
        if own is not None:  # one of our own starters or suggestions: answer from its section
            d = section_answer(scored, self.retriever, self.policy, own.doc_id, own.section)
        else:
            d = decide(a, scored, self.retriever, self.policy, self._corpus_lower)
        if d.reason:
            log.debug("abstained on %r: %s", q, d.reason)
            return Answer(question=q, kind="abstain", text=NOT_COVERED, confidence=d.confidence, passages=passages,
                          suggestions=self.suggest_for(scored), notices=notices, resolved_question=a.dense_text, reason=d.reason)
        sentences, citations = cite(d.units, self._texts)
        return Answer(question=q, kind="answer", text=render(sentences), confidence=d.confidence, sentences=tuple(sentences),
                      citations=tuple(citations), passages=passages, notices=notices, resolved_question=a.dense_text)

    # ------------------------------------------------------------------------------------
    def suggest_for(self, scored: Scored | None, n: int = 3) -> tuple[str, ...]:
        """Questions the profile answers: those of the sections nearest the question, or
        a spread over the whole profile when there is no question to be near."""
        if scored is None:
            return tuple(self.starter_questions(n))
        ranked: list[str] = []
        for i in scored.rows:
            u = self.retriever.unit(int(i))
            q = self._question_of.get((u.doc_id, u.section))
            if q and q not in ranked:
                ranked.append(q)
                if len(ranked) >= n:
                    break
        return tuple(ranked)

    def starter_questions(self, n: int = 4) -> list[str]:
        """Questions for an empty chat, spread evenly over the profile's sections."""
        if len(self._sections) <= n:
            return [sq.question for sq in self._sections]
        step = len(self._sections) / n
        return [self._sections[int(i * step)].question for i in range(n)]
