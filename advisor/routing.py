"""Which career answers a question: decided from all of the evidence at once.

Evidence for each career: named in the question (a title, a part of one, a synonym; or
weakly, a head noun several titles share), the conversation's career, the profile's own
words for its field (`FieldIndex`: "dental hygiene", "beauty school"), and a search of the
whole catalogue (how well that career's passages answer the question). A fitted choice
model (`calibrated/route.json`: a conditional logit, fitted by `eval/fit.py`) turns each
candidate career's evidence into the probability that it is the one meant.

The router asks "which career do you mean?" only when the question names none, the
conversation has none, and no career's evidence stands out; it then offers the careers
whose passages answer the question best, one per title.

    >>> route = router.route(analysis, pinned=None, earlier=["what does a dental hygienist do?"])
    >>> route.careers, route.how
    (('dental-hygienists',), 'history')
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from advisor.calibration import Logistic
from advisor.careers import CareerIndex, Named
from advisor.fields import EVERYDAY, FieldIndex
from advisor.question import GENERIC, Analysis
from advisor.retrieval import Retriever, Scored
from advisor.spelling import CLIPPED, zipf
from advisor.text import STOPWORDS, stem, words
from advisor.vocabulary.synonyms import Synonyms, phrase_key

MAX_COMPARED = 3
CANDIDATES = 8  # careers looked at from each kind of evidence
OFFERED = 3  # careers offered when asking which one is meant
EXPANSION = 0.5  # a synonym's words count half as much as the student's own
CONVERSATION_DEPTH = 3  # earlier turns routed, at most, to find the conversation's career

ROUTE_FEATURES = ("passage", "passage_gap", "passage_top3", "dense", "passage_rank", "field_rel", "field_log", "field_rank", "lede_rel", "lede_log",
                  "centroid", "centroid_gap", "opening", "opening_gap", "weak", "history", "history_followup", "followup")
OPENING = 6  # a profile's first units: its title and what the workers do


@dataclass(frozen=True)
class Route:
    """The careers that answer, how they were chosen, and how sure the choice is.

    how: "pinned" | "named" | "history" | "only" | "evidence" (chosen by the evidence) |
    "clarify" (several fit; ask which) | "other" (a pinned chat asked about another
    career) | "unknown" (names a career that has no profile) | "none" (nothing fits)."""

    careers: tuple[str, ...]
    how: str
    confidence: float = 1.0
    compare: bool = False
    unknown: str = ""  # the career name that has no profile ("unknown"), or the other career ("other")
    scored: Scored | None = None  # the catalogue search, when one was run
    evidence: dict[str, dict[str, float]] = field(default_factory=dict)  # career → its evidence, for the record
    others: tuple[str, ...] = ()  # the next likeliest careers, when the evidence was split


class Router:
    """Routes analysed questions; built once at load from the careers and the retriever."""

    def __init__(self, careers: CareerIndex, retriever: Retriever, fields: FieldIndex, ledes: FieldIndex, model: Logistic, career_words: set[str],
                 understand: Callable[[str, Sequence[str]], Analysis]) -> None:
        """`understand(question, earlier)`: the analysis of an earlier turn, to route it too."""
        self.careers = careers
        self.understand = understand
        self._conversations: dict[tuple[str, ...], str | None] = {}
        self.retriever = retriever
        self.fields = fields
        self.ledes = ledes  # the same over each profile's title and first sentences
        self.model = model
        self.career_words = career_words  # words of questions about careers ("pay", "training")
        self.doc_order = list(retriever.doc_rows)
        # rows of each career, as ranges of one array: the per-career best score of a
        # catalogue search is one `np.maximum.reduceat`
        order = np.concatenate([retriever.doc_rows[d] for d in self.doc_order]) if self.doc_order else np.zeros(0, dtype=np.int64)
        self._order = order
        self._starts = np.cumsum([0] + [len(retriever.doc_rows[d]) for d in self.doc_order[:-1]]).astype(np.int64)
        self._canonical = careers.canonical  # one career per title
        self._title_words = {c: [w for w in words(careers.title(c)) if w not in STOPWORDS] for c in careers.careers}
        # each career's units, and its opening ones, as ranges of one array: the mean
        # similarity of the question to all of a profile (and to its opening) is one
        # `np.add.reduceat` of the catalogue search's dense scores
        self._sizes = np.array([len(retriever.doc_rows[d]) for d in self.doc_order], dtype=np.float64)
        opening = [np.sort(retriever.doc_rows[d])[:OPENING] for d in self.doc_order]
        self._opening = np.concatenate(opening) if opening else np.zeros(0, dtype=np.int64)
        self._opening_starts = np.cumsum([0] + [len(o) for o in opening[:-1]]).astype(np.int64)
        self._opening_sizes = np.array([len(o) for o in opening], dtype=np.float64)

    # ------------------------------------------------------------------------------------
    def route(self, a: Analysis, pinned: str | None, earlier: Sequence[str]) -> Route:
        named = self.careers.named(a.corrected)
        if pinned:
            return self._pinned(named, pinned)
        if named.ids and named.strong:
            stays = self._stays(a, named, earlier)
            if stays:  # "can I become a cook from that?" after a question about food prep: still about food prep
                return Route((stays,), "history")
            ids = named.ids[:MAX_COMPARED]
            if len(ids) > 1 and not (a.compare or _joined(a.corrected, named.spans)):
                goal = _goal(a.corrected, named, self.careers)
                if goal:  # "how long is culinary school if I want to be a baker?": the career to be
                    return Route((goal,), "named")
                return self.by_evidence(a, None, among=ids)  # "do I need to be an EMT to be a firefighter?"
            return Route(ids, "named", compare=len(ids) > 1)
        if named.unknown and not self.fields.holds(named.unknown[0]):
            return Route((), "unknown", 0.0, unknown=named.unknown[0])
        if len(self.careers) == 1:
            return Route((next(iter(self.careers.careers)),), "only")
        return self.by_evidence(a, self.conversation(earlier), weak=named.ids)

    def _stays(self, a: Analysis, named: Named, earlier: Sequence[str]) -> str | None:
        """A follow-up that points back ("from that", "them") and names another career
        its conversation's profile itself speaks of ("do most of them start out as
        lawyers?" after a question about arbitrators, whose profile speaks of lawyers)
        stays with the conversation's career."""
        if not a.followup or not earlier:
            return None
        context = self.conversation(earlier)
        if context is None or context in named.ids or not named.words:
            return None
        return context if all(self.retriever.knows(w, [context]) for w in named.words) else None

    def _pinned(self, named: Named, pinned: str) -> Route:
        # another career named, that the pinned career's profile does not itself speak of
        others = [c for c in named.ids if c != pinned and not all(self.retriever.knows(w, [pinned]) for w in named.words)] if named.strong else []
        if others and pinned not in named.ids:
            return Route((pinned,), "other", 0.0, unknown=others[0])
        if named.unknown and not named.ids:
            return Route((pinned,), "unknown", 0.0, unknown=named.unknown[0])
        return Route((pinned,), "pinned")

    def conversation(self, earlier: Sequence[str], depth: int = CONVERSATION_DEPTH) -> str | None:
        """The career the conversation is about: the one the latest earlier question was
        answered from (routed as it was then, with the turns before it), or, when that one
        asked which career was meant, the one before it."""
        turns = tuple(earlier)[-6:]
        if not turns or depth <= 0 or len(self.careers) < 2:
            return None
        if turns in self._conversations:
            return self._conversations[turns]
        *before, last = turns
        a = self.understand(last, before)
        named = self.careers.named(a.corrected)
        if named.strong and named.ids:
            found: str | None = named.ids[0]
        elif named.unknown and not self.fields.holds(named.unknown[0]):
            found = None
        else:
            r = self.by_evidence(a, self.conversation(before, depth - 1), weak=named.ids)
            # a turn that asked which career was meant leans to its likeliest one
            # a turn the router found no career question in still leans to a career its words name
            leans = r.how == "none" and bool(r.careers) and r.confidence >= self.model.threshold
            found = r.careers[0] if r.how in ("evidence", "history", "clarify") or leans else self.conversation(before, depth - 1)
        if len(self._conversations) > 4096:
            self._conversations.clear()
        self._conversations[turns] = found
        return found

    def _field(self, text: str, index: FieldIndex | None = None) -> dict[str, float]:
        """Field evidence of a text, one entry per title."""
        out: dict[str, float] = {}
        for c, s in (index or self.fields).scores([w for w in words(text) if w not in STOPWORDS]).items():
            k = self._canonical.get(c, c)
            out[k] = max(out.get(k, 0.0), s)
        return out

    def _field_of(self, a: Analysis, index: FieldIndex) -> dict[str, float]:
        """Field evidence of the question's own words and of the words its one-way synonym
        rules lead to ("sonography => sonographer"), each phrase on its own (a rule of
        equivalent words, "pay, salary, wage", is topic vocabulary, not a career's name)."""
        out = self._field(a.corrected, index)
        for m in a.matches:
            if not m.rule.explicit:
                continue
            for phrase in m.added:
                for c, v in self._field(phrase, index).items():
                    out[c] = out.get(c, 0.0) + v * EXPANSION
        return out

    def per_career(self, s: Scored) -> dict[str, float]:
        """The best fused score of each career's units in a catalogue search."""
        if not len(self._order):
            return {}
        best = np.maximum.reduceat(s.total[self._order], self._starts)
        out: dict[str, float] = {}
        for d, b in zip(self.doc_order, best.tolist(), strict=True):
            k = self._canonical.get(d, d)
            out[k] = max(out.get(k, -1.0), float(b))
        return out

    def profile_similarity(self, s: Scored) -> tuple[dict[str, float], dict[str, float]]:
        """How near the question is to each career's profile as a whole (the mean dense
        similarity of its units) and to its opening units, one entry per title."""
        if not len(self._order):
            return {}, {}
        whole = np.add.reduceat(s.dense[self._order], self._starts) / self._sizes
        opening = np.add.reduceat(s.dense[self._opening], self._opening_starts) / self._opening_sizes
        out_w: dict[str, float] = {}
        out_o: dict[str, float] = {}
        for d, w, o in zip(self.doc_order, whole.tolist(), opening.tolist(), strict=True):
            k = self._canonical.get(d, d)
            out_w[k] = max(out_w.get(k, -1.0), float(w))
            out_o[k] = max(out_o.get(k, -1.0), float(o))
        return out_w, out_o

    def evidence(self, a: Analysis, context: str | None, weak: Sequence[str] = (), among: Sequence[str] | None = None) -> tuple[Scored, dict[str, dict[str, float]]]:
        """Each candidate career's evidence (the features of `ROUTE_FEATURES`)."""
        s = self.retriever.score(a, among)
        passage = self.per_career(s) if among is None else {c: float(np.max(s.total[self.retriever.doc_rows[c]])) for c in among if c in self.retriever.doc_rows}
        fld = self._field_of(a, self.fields)
        lede = self._field_of(a, self.ledes)
        if among is not None:
            fld = {c: v for c, v in fld.items() if c in among}
            lede = {c: v for c, v in lede.items() if c in among}
        whole, opening = self.profile_similarity(s)
        if among is not None:
            whole = {c: whole[self._canonical.get(c, c)] for c in among if self._canonical.get(c, c) in whole}
            opening = {c: opening[self._canonical.get(c, c)] for c in among if self._canonical.get(c, c) in opening}
        top_w = max(whole.values(), default=0.0)
        top_o = max(opening.values(), default=0.0)
        top_l = max(lede.values(), default=0.0)
        top_p = max(passage.values(), default=0.0)
        top_f = max(fld.values(), default=0.0)
        cands: list[str] = []
        cands += sorted(passage, key=lambda c: -passage[c])[:CANDIDATES]
        cands += sorted(fld, key=lambda c: -fld[c])[:CANDIDATES]
        cands += sorted(lede, key=lambda c: -lede[c])[:CANDIDATES]
        cands += sorted(whole, key=lambda c: -whole[c])[:CANDIDATES]
        cands += sorted(opening, key=lambda c: -opening[c])[:CANDIDATES]
        cands += [self._canonical.get(c, c) for c in weak]
        if context:
            cands.append(self._canonical.get(context, context))
        weak_set = {self._canonical.get(c, c) for c in weak}
        p_rank = {c: i + 1 for i, c in enumerate(sorted(passage, key=lambda c: -passage[c]))}
        f_rank = {c: i + 1 for i, c in enumerate(sorted(fld, key=lambda c: -fld[c]))}
        out: dict[str, dict[str, float]] = {}
        for c in dict.fromkeys(cands):
            if among is not None and c not in among:
                continue
            rows = self.retriever.doc_rows.get(c)
            if rows is None or not len(rows):
                continue
            totals = s.total[rows]
            top3 = float(np.mean(np.sort(totals)[-3:]))
            p = passage.get(c, 0.0)
            f = fld.get(c, 0.0)
            hist = 1.0 if context and c == self._canonical.get(context, context) else 0.0
            out[c] = {"passage": p, "passage_gap": p - top_p, "passage_top3": top3, "dense": float(np.max(s.dense[rows])),
                      "passage_rank": 1.0 / p_rank.get(c, 50), "field_rel": f / top_f if top_f > 0 else 0.0, "field_log": math.log1p(f),
                      "field_rank": 1.0 / f_rank[c] if c in f_rank else 0.0,
                      "lede_rel": lede.get(c, 0.0) / top_l if top_l > 0 else 0.0, "lede_log": math.log1p(lede.get(c, 0.0)),
                      "centroid": whole.get(c, 0.0), "centroid_gap": whole.get(c, 0.0) - top_w,
                      "opening": opening.get(c, 0.0), "opening_gap": opening.get(c, 0.0) - top_o,
                      "weak": 1.0 if c in weak_set else 0.0, "history": hist, "history_followup": hist * float(a.followup), "followup": float(a.followup)}
        return s, out

    def by_evidence(self, a: Analysis, context: str | None, weak: Sequence[str] = (), among: Sequence[str] | None = None) -> Route:
        s, ev = self.evidence(a, context, weak, among)
        if not ev:
            return Route((), "none", 0.0, scored=s)
        p = choice_probabilities({c: self.model.margin(x) for c, x in ev.items()})
        ranked = sorted(p, key=lambda c: -p[c])
        best = ranked[0]
        record = {c: {**ev[c], "p": round(p[c], 4)} for c in ranked[:OFFERED + 2]}
        if context and best == self._canonical.get(context, context):
            return Route((context,), "history", p[best], scored=s, evidence=record)
        # a word that names the field of a career the evidence leads to, or is in its title
        names_nothing = not context and not weak and not any(ev[c]["field_log"] or ev[c]["lede_log"] or self._in_title(a, c) for c in ranked[:OFFERED])
        # "how much do they earn?", "is it stressful?": no word of it names a field, and it
        # asks only about a topic every profile covers, or no career's evidence stands out
        # ("what skills do you need to work behind a bar?" describes the work: the
        # career whose passages answer it best, when it stands out, answers)
        describes = any(w not in self.career_words for w in a.topical)
        if names_nothing and among is None and (not describes or p[best] < self.model.threshold):
            return Route(tuple(ranked[:OFFERED]), "clarify" if self.about_careers(a, ev[best]) else "none", p[best], scored=s, evidence=record)
        if p[best] >= self.model.threshold:
            return Route((best,), "evidence", p[best], scored=s, evidence=record)
        if context and not any(ev[c]["field_rel"] >= 1.0 and ev[c]["field_log"] > 2.0 for c in ranked[:1]):
            return Route((context,), "history", p.get(self._canonical.get(context, context), 0.0), scored=s, evidence=record)
        if not self.about_careers(a, ev[best]):
            return Route((best,), "none", p[best], scored=s, evidence=record)
        # the question names a field but no career stands out: the likeliest one answers,
        # with its probability as the decision's route confidence, and the next ones are
        # offered beside the answer (asking first would cost every student a turn)
        return Route((best,), "evidence", p[best], scored=s, evidence=record, others=tuple(ranked[1:OFFERED]))

    def _in_title(self, a: Analysis, career: str) -> bool:
        """Whether a topic word of the question is a word of the career's title, or a clipped
        form of one ("prep" for a title that says "preparation"): a field named, however
        many profiles use the word."""
        title = self._title_words.get(career, [])
        stems = {stem(w) for w in title}
        for w in a.topical:
            if w in self.career_words and w not in title:
                continue
            # a clipped word as long as the speller's and not an everyday word ("hard" is no "hardware")
            if stem(w) in stems or (len(w) >= CLIPPED and zipf(w) < EVERYDAY and any(t.startswith(w) for t in title)):
                return True
        return False

    def talks_careers(self, a: Analysis) -> bool:
        """Whether the question uses a word of career talk ("pay", "job", "training")."""
        return any(w in self.career_words for w in words(a.corrected))

    def about_careers(self, a: Analysis, best: dict[str, float]) -> bool:
        """A question about careers uses their words ("pay", "job", "training") or words
        only a few profiles use; "What's the weather tomorrow?" does neither."""
        if self.talks_careers(a):
            return True
        acronym = any(t.isupper() and len(t) >= 2 for t in re.findall(r"[A-Za-z][A-Za-z-]+", a.corrected))
        return acronym or best.get("field_log", 0.0) > 2.0


def choice_probabilities(utility: dict[str, float]) -> dict[str, float]:
    """Softmax of each candidate's utility: the probability that it is the career meant."""
    top = max(utility.values())
    e = {c: math.exp(u - top) for c, u in utility.items()}
    total = sum(e.values())
    return {c: v / total for c, v in e.items()}


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


COMMON = 6.0  # Zipf: a word this common ("good", "like", "know") is career talk only as a term of its own


def default_career_words(synonyms: Synonyms) -> set[str]:
    """The words of career talk: every one-word term of the vocabulary ("pay", "shift") and
    each word of a longer one that is no everyday word on its own ("apprenticeship" of "do an
    apprenticeship"; not "good" of "a good fit" nor "know" of "need to know": "what's a good recipe?"
    is no career question), with the generic words ("job", "career")."""
    terms = [t for r in synonyms.rules for t in r.sources + r.targets]
    single = {w for t in terms if len(ws := words(t)) == 1 for w in ws}
    rare = {w for t in terms for w in words(t) if zipf(w) < COMMON}
    return (single | rare | GENERIC) - STOPWORDS
