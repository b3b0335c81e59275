"""One calibrated answer-or-refuse decision.

Every signal that used to be a rule that could refuse on its own (a word the profile
lacks, a figure asked and none found, a comparison no sentence makes, a weak match, a
career chosen on thin evidence) is now one input of a logistic model fitted on the
development sets (`eval/fit.py`, `calibrated/decision.json`). Its probability is the
answer's `confidence`: the chance, measured on data, that the answer is right. The advisor
answers when it is at least the model's threshold; otherwise the refusal says the most
telling reason in plain words (`Refusal`).

    >>> d = decide(candidate, route_signals(route), model)
    >>> d.confidence, d.refusal
    (0.93, None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from advisor.answer import Candidate
from advisor.calibration import Logistic
from advisor.models import Unit

FEATURES = (  # every signal a candidate carries (5-fold cross-validation on the development rows: these pass more than the first 15 alone)
    "total", "dense", "lexical", "margin", "coverage", "topical", "missing_weight", "n_key", "n_other", "unanchored", "gap_uncovered",
    "figure_asked", "figure_missing", "figure_elsewhere", "names_asked", "names_missing", "list_asked", "compare_asked", "compare_missing",
    "terse", "terse_open", "overview", "followup", "route_conf", "route_named", "route_history", "route_evidence",
    "list_margin", "same_section", "top3_dense", "name_gap", "fact_share", "route_untalked", "name_unanswered", "gap_answered",
)


def quoted(words: Sequence[str]) -> str:
    """“a”, “b” or “c”: the words a profile lacks, as a reply names them."""
    q = [f"\u201c{w}\u201d" for w in words]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + f" or {q[-1]}"


def none_mention(missing: Sequence[str]) -> str:
    """The reply when no profile of the catalogue uses the words."""
    return f"Sorry, none of the career profiles mentions {quoted(missing)}, so I can't answer that from them."


class Refusal(Enum):
    """Why a profile's best answer was not given; each carries the sentence that says so."""

    MISSING = "the profile never mentions {missing}"
    NO_FIGURE = "the profile gives no figure for this"
    NO_NAMES = "the profile names none"
    NOT_COMPARED = "the profile does not compare them"
    NOT_COVERED = "the profile's best match does not answer it"
    EMPTY = "the profile has no text"

    def reply(self, the: str, missing: tuple[str, ...] = ()) -> str:
        """The student's reply; `the` is "The profile" or "The Actors profile"."""
        if self is Refusal.MISSING and missing:
            return f"{the} doesn't mention {quoted(missing)}, so I can't answer that from it."
        if self is Refusal.NO_FIGURE:
            return f"{the} doesn't give that figure."
        if self is Refusal.NO_NAMES:
            return f"{the} doesn't name any."
        return f"Sorry, {the[0].lower()}{the[1:]} doesn't cover that, so I can't answer it from the source."

    def reason(self, missing: tuple[str, ...] = ()) -> str:
        return self.value.format(missing=", ".join(missing))


@dataclass(frozen=True)
class Decision:
    units: tuple[Unit, ...]  # the answer; the candidate's units even when refused (for the record)
    confidence: float  # the probability that the answer is right
    refusal: Refusal | None = None
    missing: tuple[str, ...] = ()
    signals: Mapping[str, float] | None = None

    @property
    def reason(self) -> str:
        if self.refusal is None:
            return ""
        return f"{self.refusal.reason(self.missing)} (confidence {self.confidence:.2f})"


def route_signals(how: str, confidence: float) -> dict[str, float]:
    """How the career was chosen, as decision inputs."""
    named = how in ("named", "pinned", "only")
    return {"route_conf": 1.0 if named else confidence, "route_named": float(named), "route_history": float(how == "history"),
            "route_evidence": float(how == "evidence")}


def decide(c: Candidate, route: Mapping[str, float], model: Logistic, answer_all: bool = False) -> Decision:
    """Answer with the candidate when the model says it is likely right (or always, with
    `answer_all`, to collect rows for fitting)."""
    if not c.units:
        return Decision((), 0.0, Refusal.EMPTY, signals=c.signals)
    signals = {**c.signals, **route}
    p = round(model.probability(signals), 4)
    if answer_all or p >= model.threshold:
        return Decision(c.units, p, None, signals=signals)
    return Decision(c.units, p, _why(signals, c.missing), c.missing if signals.get("n_key") or signals.get("unanchored") else (), signals)


def _why(s: Mapping[str, float], missing: tuple[str, ...]) -> Refusal:
    """The most telling reason a refused answer did not fit."""
    if s.get("n_key") and missing:
        return Refusal.MISSING
    if s.get("figure_missing"):
        return Refusal.NO_FIGURE
    if s.get("names_missing"):
        return Refusal.NO_NAMES
    if s.get("compare_missing"):
        return Refusal.NOT_COMPARED
    if s.get("unanchored") and missing:
        return Refusal.MISSING
    return Refusal.NOT_COVERED
