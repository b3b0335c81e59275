"""Question analysis: clean the raw text, classify it, and describe what it asks for.

Pure functions of the text (and, for typo repair, of the corpus vocabulary); no model.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from advisor.spelling import NON_WORD_ZIPF, Speller
from advisor.text import STOPWORDS, stem, words
from advisor.vocabulary.files import GENERIC_WORDS, SHORTHAND, word_list
from advisor.vocabulary.synonyms import Match, Synonyms, one_way_map

# control characters, bidi overrides, zero-width characters and lone surrogates (which
# cannot even be written out as UTF-8)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]")
_TAG = re.compile(r"</?[A-Za-z!][^<>]{0,300}>")
_CODE_ELEMENT = re.compile(r"<(script|style)\b[^<>]{0,300}>.{0,2000}?</\1\s*>", re.I | re.S)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_URL = re.compile(r"\b(?:https?|ftp|javascript|data):\S+", re.I)
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class CleanQuestion:
    text: str  # what is echoed back and analysed: control characters gone, white space folded
    notices: tuple[str, ...] = ()


def clean_question(raw: object, max_chars: int) -> CleanQuestion:
    """Make any input safe to analyse: a string, no control characters, bounded length."""
    notices: list[str] = []
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    if len(text) > max_chars * 4:
        text = text[: max_chars * 4]  # bound the work below on huge input
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > max_chars:
        cut = text[:max_chars].rsplit(" ", 1)[0] if " " in text[:max_chars] else text[:max_chars]
        notices.append(f"Your question was long, so only its first {len(cut)} characters were read.")
        text = cut
    return CleanQuestion(text, tuple(notices))


def searchable(text: str) -> str:
    """The words of a question without markup: scripts and styles with their code, tags,
    image links and URLs removed."""
    text = _CODE_ELEMENT.sub(" ", text)
    text = _MD_IMAGE.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    return " ".join(text.split())


def letters_ratio_latin(text: str) -> float:
    letters = _LETTER.findall(text)
    if not letters:
        return 1.0
    return sum(1 for ch in letters if _LATIN_LETTER.match(ch)) / len(letters)


_FOREIGN_STOP = frozenset(
    """el la los las un una unos que de del es por para con como cuanto cuánto donde dónde qué cómo
    se su sus al lo le les est une des du et pour avec dans sur qui quoi combien comment où
    der die das ein eine und ist nicht mit wie viel wo was ich sie wir ihr zu auf für
    o os um uma não com quanto onde como ganha quelle quel quels quelles faut il je tu vous nous
    ce cette ces mon ma mes welche welcher welches brauche ich du wir ist sind nicht kein eine einen dem den""".split()
)
_EN_STOP_FOR_LANG = frozenset("the is are do does what how can i you a an of to in it and for be this that will".split())


def looks_foreign(text: str) -> bool:
    """True when the question is clearly not English (other script, or foreign function words)."""
    if letters_ratio_latin(text) < 0.5:
        return True
    toks = re.findall(r"[^\W\d_]+", text.lower())
    if len(toks) < 3:
        return False
    foreign = sum(t in _FOREIGN_STOP for t in toks)
    english = sum(t in _EN_STOP_FOR_LANG for t in toks)
    has_accents = bool(re.search(r"[áéíóúñçàèùâêîôûäöüß¿¡]", text.lower()))
    return foreign >= 2 and foreign > english * 2 or (has_accents and foreign >= 1 and english == 0)


# --- what the question asks for --------------------------------------------------------

_LIST_RE = re.compile(
    r"^(?:what|which|list|name)\b.*\b(?:equipment|machines|machinery|tools|devices|gear|software|systems|skills|abilities|"
    r"qualities|traits|responsibilities|duties|tasks|subjects|courses|specializations|specialities|specialties|"
    r"things|countries|states|areas|paths|options|technologies|tech|employers|industries|places|settings|types|kinds|steps|requirements|"
    r"careers|jobs|occupations|programs)\b"
    r"|^(?:list|name)\b|\b(?:give me a list|what are (?:all )?the|what kinds? of|what types? of|which kinds? of|what sort of)\b",
    re.I,
)
_NUM = r"(?:\d[\d,.]*|a few|few|several|a couple of|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|eighteen|twenty|thirty|forty|fifty|hundred)"
_MONEY_WORD = r"(?:salar(?:y|ies)|pay|paid|wages?|earn\w*|make|makes|income|costs?|tuition|fees?|price[sd]?|cheap\w*|expensive|afford\w*|dollars?|money|\$)"
# What a sentence needs to answer a money question: an amount in a currency ("£30,000",
# "€25", "$20.43", "30,000 pounds", "40k", "GBP 500"), a sum per period, or a bare number
# under a pay label ("Salary new: 21000", "Yearly median: 41000" — a report's field
# names the currency by its place, not by a sign); not a count of days under "Annual leave".
_MONEY_HOLDS = re.compile(
    rf"[$£€]\s?\d|\b(?:usd|gbp|eur)\s?\d|\d[\d,.]*\s?(?:k\b|dollars|usd|pounds|gbp|euros|eur\b|per hour|an hour|a year|per year|per annum|a week|per week|a month|per month)"
    rf"|\b{_NUM} (?:dollars|pounds|euros)\b"
    r"|\b(?:salar(?:y|ies)|wages?|pay|earnings|income|annual|annually|hourly|weekly|monthly|yearly)\b[^:\n|]{0,40}:\s*\d[\d,.]*(?![\d,.]*\s*(?:%|percent|days?|weeks?|months?|years?|hours?|hrs?)\b)",
    re.I,
)
# …a duration or a number of hours: "3 years", "37 to 40 hours", or a number under an hours
# or duration label ("Hours (a week): 37 to 40", "Minimum hours: 35", "Duration: 18").
_DURATION_HOLDS = re.compile(
    rf"\b{_NUM}(?:[\s-]+to[\s-]+{_NUM})?[\s-]*(?:years?|months?|weeks?|days?|hours?)\b"
    r"|\b(?:hours?|duration|length)\b[^:\n|]{0,30}:\s*\d",
    re.I,
)
# Each kind of figure a question can ask for, and what a sentence needs to answer it.
_FIGURE_KINDS: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    (
        "money",
        re.compile(
            rf"\bhow much\b.*\b{_MONEY_WORD}|\b{_MONEY_WORD}\b.*\bhow much\b|\b(?:average|median|starting|entry[\s-]level|exact|hourly|yearly|annual|typical)\s+(?:\w+\s+)?{_MONEY_WORD}"
            rf"|\bhow many (?:dollars|euros)\b|[$£€]|\b(?:dollars?|euros?)\b|\bcost(?:s|ly|ing)?\b|\btuition\b|\bfees?\b|\bprice\w*\b|\bcheap\w*|\bexpensive\b|\b(?:make|makes|paid|pays?|earn\w*|get)\b.*\b(?:per|an?) (?:hour|year|month|week)\b"
            r"|\b(?:what|how)\b.*\b(?:pay|salary|salaries|wages?|income|earnings)\b(?!\s+for\b)",
            re.I,
        ),
        _MONEY_HOLDS,
    ),
    (
        "rate",
        re.compile(r"\b(?:pass(?:ing)?|success|acceptance|failure|fail|employment|placement|job|growth) (?:rate|score|percentage|grade)s?\b|\bpercent\w*|%|\bscore\b|\bgpa\b|\bwhat are the odds\b|\bchances? of (?:passing|getting)\b", re.I),
        re.compile(rf"\d\s?%|\b{_NUM} percent\b|\bscore of \d|\b\d+ out of \d+", re.I),
    ),
    (
        "age",
        re.compile(r"^how old\b|\bhow old (?:do|does|must|should|can|are|is|to|you|i|they|people|someone)\b|\b(?:minimum|maximum|min|max) age\b|\bage (?:limit|requirement)\b|\btoo old\b|\bwhat age\b", re.I),
        re.compile(rf"\b{_NUM} years? old\b|\bage (?:of )?\d+|\baged? \d+", re.I),
    ),
    (
        "duration",
        re.compile(r"\bhow long\b|\bhow many (?:years|months|weeks|days|hours)\b|\bhow much time\b|\bhours (?:per|a|each) (?:week|day)\b|\bhow quickly\b|\bhow fast\b", re.I),
        _DURATION_HOLDS,
    ),
    (
        "count",
        re.compile(r"\bhow many\b|\b(?:average|median|maximum|minimum|max|min|exact|total)\s+(?:\w+\s+){0,2}(?:number|dose|amount|limit|hours|size|count)\b|\bwhat number\b", re.I),
        re.compile(rf"\b{_NUM}\b", re.I),
    ),
]


def figure_kind(text: str) -> str | None:
    """The kind of number a question asks for ("money", "rate", "age", "duration", "count")."""
    return figure_ask(text)[0]


def figure_ask(text: str) -> tuple[str | None, str]:
    """The kind of number asked for and the words that ask for it ("how much … make")."""
    for kind, asks, _ in _FIGURE_KINDS:
        m = asks.search(text)
        if m:
            return kind, m.group(0)
    return None, ""


# a span of time a statement is about is no duration of anything: "in the coming years",
# "over the past 10 years", "in recent years" (but "programs last two years" is one)
_HORIZON = re.compile(rf"\b(?:the|over|in)\s+(?:next|coming|past|last|previous)\s+(?:{_NUM}\s+)?(?:years?|months?|decades?)\b|\brecent\s+(?:years|months|decades)\b", re.I)


def has_figure(text: str, kind: str | None = "count") -> bool:
    """Whether a sentence holds a figure of that kind."""
    if kind in ("duration", "count"):
        text = _HORIZON.sub(" ", text)
    for k, _, holds in _FIGURE_KINDS:
        if k == kind:
            return bool(holds.search(text))
    return False


def wants_list(text: str) -> bool:
    return bool(_LIST_RE.search(text))


# --- smalltalk ---------------------------------------------------------------------------

_GREETING = re.compile(r"^(?:hi+|hello+|hey+|hiya|howdy|yo|good (?:morning|afternoon|evening)|greetings|sup|what'?s up)\b[\s!.,?]*(?:there|advisor|bot)?[\s!.,?]*$", re.I)
_THANKS = re.compile(r"^(?:thanks?|thank you|thx|ty|cheers|great|cool|ok(?:ay)?|awesome|perfect|got it|nice)\b(?: (?:so much|a lot|very much|you|again))*[\s!.,]*$", re.I)
_BYE = re.compile(r"^(?:bye|goodbye|see (?:you|ya)|later|cya)\b[\s!.,]*$", re.I)
_HELP = re.compile(
    r"^(?:help|what can (?:you|u) (?:do|answer|tell me)|how does this work|who are (?:you|u)|what are (?:you|u)|what do you know|what can i ask)\b[\s?!.]*(?:about)?[\s?!.]*$",
    re.I,
)


def smalltalk_kind(text: str) -> str | None:
    t = text.strip()
    for kind, rx in (("greeting", _GREETING), ("thanks", _THANKS), ("bye", _BYE), ("help", _HELP)):
        if rx.match(t):
            return kind
    return None


# --- follow-ups --------------------------------------------------------------------------

_FOLLOWUP_START = re.compile(
    r"^(?:and|also|plus|but|so|ok(?:ay)?|what about|how about|what of|and what about|and how about|same for|same with|is that|is it the same)\b[\s,]*",
    re.I,
)
_POINTING = frozenset({"that", "there", "those", "these", "them", "such", "then", "one", "ones"})


GENERIC = word_list(GENERIC_WORDS)
# Nouns for the career itself: "it" in a question that holds one refers to it
_CAREER_NOUNS = frozenset("job jobs career careers work profession field occupation role".split())


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


def is_followup(text: str) -> bool:
    """Needs the earlier turns to be understood: starts with "and…", "what about…"; or
    points back with "that", "there", "those"… while naming at most three topic words;
    or says "it"/"this" and names no topic at all ("how long does it take?"). "Is it a
    boring job?" is about the career itself, not about the turn before."""
    topical = [w for w in content_words(text) if w not in GENERIC]
    if _FOLLOWUP_START.match(text):
        return len(topical) <= 4
    toks = set(re.findall(r"[a-z']+", text.lower()))
    if toks & _POINTING:
        return len(topical) <= 3
    if not toks & {"it", "this"} or toks & _CAREER_NOUNS:  # "is it a boring job?": "it" is the job
        return False
    return len(topical) <= 2


def strip_followup_marker(text: str) -> str:
    return _FOLLOWUP_START.sub("", text, count=1).strip()


# --- vocabulary --------------------------------------------------------------------------

SHORTHAND_WORDS = one_way_map(SHORTHAND)
_YES_NO = re.compile(r"^(?:is|are|am|was|were|do|does|did|can|could|will|would|should|shall|may|might|must|has|have|had)\b", re.I)
# "what do actors do?", "tell me about actuaries": the career itself, once its name is set aside
_OVERVIEW = re.compile(r"^(?:what(?:'s| is| are)?\b.*\b(?:do|does|is|are)\b|tell me (?:more )?about|describe|explain|what about|what's|whats)\b", re.I)
# "difference between A and B", "compare A to B", "A vs B": two things set side by side
_COMPARE = re.compile(
    r"\b(?:differences?|compar\w*|similarit\w*)\b.*\b(?:between|and|or|to|with|vs\.?|versus)\b|\b(?:vs\.?|versus)\b|\bbetter\b.*\bor\b|\bmore than\b|\bless than\b",
    re.I,
)


@dataclass(frozen=True)
class Analysis:
    """A question made ready for search; nothing in it depends on which career answers."""

    text: str  # the student's words (cleaned, markup removed)
    corrected: str  # after typo repair and shorthand
    topical: tuple[str, ...]  # topic words of this turn (lower case, not stopwords or generic)
    focus: tuple[str, ...]  # their stems
    context: tuple[str, ...]  # stems of topic words carried over from the earlier turn
    matches: tuple[Match, ...]  # synonym rules that fired on this turn
    context_matches: tuple[Match, ...]  # …and on the earlier turn it follows up on
    list_question: bool
    figure: str | None  # the kind of number asked for, if any
    followup: bool
    marker: bool = False  # the follow-up opens with "and…", "what about…"
    previous: str = ""  # the earlier question this one leans on, if any
    yes_no: bool = False  # "is it…", "can I…"
    overview: bool = False  # "what do actors do?": shaped like a question about the career as a whole
    compare: bool = False  # "compare…", "…vs…", "difference between…"
    corrections: dict[str, str] = field(default_factory=dict)
    figure_words: tuple[str, ...] = ()  # the words that ask for the figure ("how much", "make")

    @property
    def dense_text(self) -> str:
        return f"{self.corrected} {self.previous}" if self.followup else self.corrected


JOINED_PART = 3  # each word of two typed as one is at least this long ("lineworker", not "atwork")


class Vocabulary:
    """Corpus words, for typo repair (`advisor.spelling.Speller` decides).

    `english`, when given, stands in for wordfreq's word list in tests: its words are
    spelled as meant and are the only English correction targets.
    """

    def __init__(self, corpus_words: set[str], english: frozenset[str] | None = None, known: set[str] = frozenset(),  # type: ignore[assignment]
                 pairs: Iterable[tuple[str, str]] = ()) -> None:
        """`known`: other words that are spelled as meant (those of the synonyms files).
        `pairs`: neighbouring words of the profiles, so that two of them typed as one
        ("lineworker") read as the profiles write them ("line worker")."""
        self.known = set(known)
        self.words = {w for w in corpus_words if len(w) > 1}
        self.joined = {a + b: f"{a} {b}" for a, b in pairs if len(a) >= JOINED_PART and len(b) >= JOINED_PART and a.isalpha() and b.isalpha()}
        self.stems = {stem(w) for w in self.words}
        self.english = english
        self._speller: Speller | None = None

    @property
    def speller(self) -> Speller:
        if self._speller is None:
            self._speller = Speller(self.words, self.known | set(self.english or ()), english=self.english)
        return self._speller

    def knows(self, word: str) -> bool:
        return word in self.words or stem(word) in self.stems

    def correct(self, word: str) -> str | None:
        """Shorthand ("u" → "you"), else the word meant for a misspelling (see
        `Speller.correct`); None when the word is known or spelled as meant."""
        if word in SHORTHAND_WORDS:
            return SHORTHAND_WORDS[word]
        if len(word) < 3 or word in self.known:
            return None
        if self.knows(word):  # known, if only by its stem ("archaeologist", by "archaeology")
            return self.speller.variant(word)  # None for a word the profiles use as typed
        if word in self.joined and self.speller.zipf(word) < NON_WORD_ZIPF:  # "lineworker": the profiles' "line worker"
            return self.joined[word]
        return self.speller.correct(word)


def repair(text: str, vocab: Vocabulary) -> tuple[str, dict[str, str]]:
    """Shorthand and typos replaced word by word; the replacements made."""
    corrections: dict[str, str] = {}
    fixed_words: list[str] = []
    for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'/]*|\S", text):
        lw = w.lower()
        if re.fullmatch(r"[A-Z]{2,}s", w):  # "CPAs": the acronym's plural
            lw = lw[:-1]
        if w.isupper() and len(w) > 1:  # "RN" is a nurse, "rn" is "right now": an acronym is never shorthand
            fixed_words.append(w)
            continue
        fix = vocab.correct(lw) if lw not in STOPWORDS or lw in SHORTHAND_WORDS else None
        if fix:
            corrections[lw] = fix
            fixed_words.append(fix)
        else:
            fixed_words.append(w)
    return re.sub(r"\s+([?.!,])", r"\1", " ".join(fixed_words)), corrections


def topic_words(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in content_words(text) if w not in GENERIC))


# "the job where you fix power lines after storms, is it dangerous?", "people who track
# disease outbreaks, do they need stats?": a career described, then the question asked of it
_DESCRIBED = re.compile(
    r"^(?:(?:the|a|an|that|those)\s+)?(?:[a-z]+\s+){0,2}?(?:jobs?|careers?|work|person|people|ppl|guys?|ones?|workers?|scientists?|helpers?)"
    r"\s+(?:where|who|that|which|whose|when)\s+[^,?;]{6,},\s*(?P<asked>\S.*)$",
    re.I,
)


def asked_part(text: str) -> str:
    """The question a student asks after describing the career ("…, is it dangerous?"), or
    "" when the question does not open with a description of one. The description is the
    routing's evidence; what is asked is the search within the career it chose."""
    m = _DESCRIBED.match(text.strip())
    return m.group("asked") if m and len(m.group("asked").split()) >= 2 else ""


def analyse(text: str, vocab: Vocabulary, synonyms: Synonyms, previous: str = "") -> Analysis:
    """Describe one question; `previous` is the resolved earlier question, if any."""
    base = searchable(text)
    if previous:  # the earlier question is read with its spelling repaired too ("ppl" → "people")
        previous = repair(searchable(previous), vocab)[0]
    followup = bool(previous) and is_followup(base)
    own = strip_followup_marker(base) if followup else base
    # "and the bachelor's?" / "what about MRI?" borrow the earlier question's intent
    marker = followup and bool(_FOLLOWUP_START.match(base))
    corrected, corrections = repair(own, vocab)
    topical = tuple(topic_words(corrected))
    focus = tuple(dict.fromkeys(stem(w) for w in topical))
    context: tuple[str, ...] = ()
    ctx_matches: tuple[Match, ...] = ()
    matches = tuple(synonyms.matches(corrected))
    figure, asking = figure_ask(corrected)
    # "and in London?", "what about hourly?" borrow the earlier question's figure or list;
    # "and what skills do I need?" (after a question about pay) asks for a list of its own,
    # and borrows no figure
    borrows = marker and len(focus) <= 2
    own_list = wants_list(corrected)
    if followup:
        context = tuple(dict.fromkeys(stem(w) for w in topic_words(previous) if stem(w) not in focus))
        fired = {id(m.rule) for m in matches}
        ctx_matches = tuple(m for m in synonyms.matches(previous) if id(m.rule) not in fired)
    return Analysis(
        text=base,
        corrected=corrected,
        topical=topical,
        focus=focus,
        context=context,
        matches=matches,
        context_matches=ctx_matches,
        list_question=own_list or (borrows and figure is None and wants_list(previous)),
        figure=figure or (figure_kind(previous) if borrows and not own_list else None),
        figure_words=tuple(words(asking)),
        followup=followup,
        marker=marker,
        previous=previous if followup else "",
        yes_no=bool(_YES_NO.match(own)),
        overview=bool(_OVERVIEW.match(corrected)) and figure is None and not wants_list(corrected),
        compare=bool(_COMPARE.search(own)),
        corrections=corrections,
    )

