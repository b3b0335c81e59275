"""The evaluators' contract: batch records in, batch records out, and metrics.

Input line:  {"id": str, "question": str, "history": [str, ...]}  (other keys ignored)
Output line: {"id", "question", "answer", "abstained", "confidence", "citations",
              "passages", ...}, or {"id", "error"} for a line that cannot be answered.
Gold keys for `evaluate`: "answerable" (bool) and "expect_any" (verbatim phrases);
an optional "type" ("off_topic", "near_domain", "followup", …) breaks rates down.

`judge` decides one line (pass, why it failed, the rank of the first right passage) and
`score` averages exactly those verdicts, so a record's `pass` and the summary agree:

    >>> judge({"answerable": False, "type": "off_topic"}, {"abstained": True, "answer": "Sorry"}).passed
    True
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from advisor.errors import CareerError, InputError
from advisor.models import Answer

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})

WORD_CAP = 150  # an answer longer than this (in white-space separated words) is not accurate
TOP_PASSAGES = 10  # ranks and hit@k look at this many retrieved passages
EXPLORE_RIGHT = 2  # a question across careers is answered when this many of the careers listed are expected

# Why a line failed: the first check it failed, in this order.
ERROR = "error"  # the line could not be answered (bad JSON, no question, unknown career)
FALSE_REFUSAL = "false refusal"  # answerable, but the advisor refused
WRONG_PASSAGE = "wrong passage"  # answered; no expected phrase in the answer nor in any top-10 passage
MISSED = "right passage but answer missed it"  # answered; a top-10 passage held a phrase, the answer does not
OVER_CAP = "over the word cap"  # the answer holds a phrase but has more than WORD_CAP words
ANSWERED_UNANSWERABLE = "answered an unanswerable"  # not answerable, but the advisor answered
WHY = (ERROR, FALSE_REFUSAL, WRONG_PASSAGE, MISSED, OVER_CAP, ANSWERED_UNANSWERABLE)

# One line each, for the report and the README.
DEFINITIONS = {
    "lines (errors)": "lines read; errors are lines that could not be answered, and count as failures in every rate they would enter",
    "answerable / unanswerable": "lines with \"answerable\": true / false; a line without \"answerable\" is in no rate",
    "hit@1 / hit@3 / hit@5": "share of answerable lines where one of the first k retrieved passages holds an expected phrase",
    "MRR@10": "mean over answerable lines of 1 / rank of the first of the top 10 passages holding an expected phrase (0 if none)",
    "answer accuracy": f"share of answerable lines answered (not refused) with an answer holding an expected phrase, at most {WORD_CAP} words; "
                       f"a question across careers (\"expect_careers\") is answered right when {EXPLORE_RIGHT} of the careers listed are expected ones",
    "false abstention": "share of answerable lines the advisor refused (false refusals)",
    "abstention: KIND": "share of unanswerable lines of that type the advisor refused (all: every unanswerable line); higher is better",
    "grounded citations": "share of lines run (errors aside) whose every citation quote stands verbatim in the profile it cites and, "
                          "when answered, every answer sentence verbatim in the profiles",
    "by type: TYPE": "pass rate of the lines of that type: answer accuracy for answerable lines, refusals for unanswerable ones",
    "by career: ID": "answer accuracy of the answerable lines whose \"about\" names that career (how many in brackets)",
    "answers quoting another career": "answered lines citing a profile their \"about\" does not name",
    "reliability BAND": "of the answered lines whose confidence is in the band, the share answered right (answers to unanswerable lines count as wrong)",
    "latency p50 / p95 ms": "median and 95th percentile of the time one ask took",
    "abstained": "share of the lines answered without error that got no answer (every kind but \"answer\")",
    "kind: KIND": "share of the lines answered without error that got this kind (answer, abstain, clarify, smalltalk, invalid)",
    "answer words": f"length in words of the answers that were given (as the {WORD_CAP}-word cap counts them)",
}


class Asker(Protocol):
    def ask(self, question: object, history: Any = None, career: str | None = None) -> Answer: ...


def norm(text: str) -> str:
    """Case, white space and quote marks folded, for phrase matching."""
    return " ".join(text.translate(_QUOTES).lower().split())


@dataclass(frozen=True)
class Line:
    number: int
    record: dict[str, Any] | None
    error: str = ""
    source: str = ""  # the file it came from, for messages

    @property
    def where(self) -> str:
        return f"{self.source} line {self.number}" if self.source else f"line {self.number}"


def _json_reason(exc: json.JSONDecodeError, raw: str) -> str:
    """The decoder's whole reason: "Invalid control character at" names the character."""
    msg = exc.msg.removesuffix(" at")
    if msg == "Invalid control character" and exc.pos < len(raw):
        ch = raw[exc.pos]
        msg += f" U+{ord(ch):04X} {ch!r} inside a string (write it escaped, e.g. \\t or \\n)"
    return msg


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true or false", type(None): "null"}


def read_jsonl(path: Path) -> Iterator[Line]:
    """Each line parsed, or an error naming the file, line and column; a missing file
    raises InputError."""
    try:
        fh = path.open("r", encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"Cannot open {path}: {exc.strerror or exc}.") from exc
    with fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except json.JSONDecodeError as exc:
                yield Line(n, None, f"{path} line {n}, column {exc.colno}: not valid JSON: {_json_reason(exc, raw)}", str(path))
                continue
            if not isinstance(rec, dict):
                yield Line(n, None, f"{path} line {n}: expected a JSON object {{...}}, got {_JSON_TYPES.get(type(rec), 'something else')}", str(path))
                continue
            yield Line(n, rec, source=str(path))


def answer_line(advisor: Asker, line: Line, career: str | None = None) -> dict[str, Any]:
    """One output record for one input line; never raises for bad input. The line's own
    "career" pins its career, else `career` does."""
    rec = line.record or {}
    rid = rec.get("id", f"line-{line.number}")
    rid = rid if isinstance(rid, str) else json.dumps(rid)
    if line.error:
        return {"id": rid, "error": line.error}
    question = rec.get("question")
    history = rec.get("history", [])
    if "question" not in rec:
        return {"id": rid, "error": f"{line.where}: no 'question' key (each line needs {{\"question\": \"...\"}})"}
    if not isinstance(question, str):
        return {"id": rid, "error": f"{line.where}: 'question' must be a string"}
    if history is None:
        history = []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        return {"id": rid, "error": f"{line.where}: 'history' must be a list of strings"}
    pin = rec.get("career", career)
    if pin is not None and not isinstance(pin, str):
        return {"id": rid, "error": f"{line.where}: 'career' must be a string (a career id)"}
    t0 = time.perf_counter()
    try:
        answer = advisor.ask(question, history=history, career=pin or None)
    except CareerError as exc:
        return {"id": rid, "error": f"{line.where}: {exc}"}
    ms = (time.perf_counter() - t0) * 1000
    return {"id": rid, **answer.to_dict(), "latency_ms": round(ms, 2)}


def run_batch(advisor: Asker, lines: Iterable[Line], career: str | None = None) -> Iterator[tuple[Line, dict[str, Any]]]:
    for line in lines:
        yield line, answer_line(advisor, line, career)


# -- one line's verdict -----------------------------------------------------------------


def _relevant(text: str, phrases: list[str]) -> bool:
    t = norm(text)
    return any(norm(p) in t for p in phrases if p.strip())


def _phrases(gold: dict[str, Any]) -> list[str]:
    want = gold.get("expect_any") or []
    return [want] if isinstance(want, str) else [p for p in want if isinstance(p, str)]


def words(text: str) -> int:
    """An answer's length as the word cap counts it (citation marks included)."""
    return len(text.split())


@dataclass(frozen=True)
class Verdict:
    """One line judged against its gold keys.

    passed is None for a line without "answerable" (nothing to judge), why is one of WHY
    when it failed, rank the 1-based rank of the first of the top 10 retrieved passages
    that holds an expected phrase (answerable lines only; None when none does)."""

    passed: bool | None
    why: str | None = None
    rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"pass": self.passed, "why": self.why, "rank": self.rank}


def has_gold(gold: dict[str, Any]) -> bool:
    return "answerable" in gold


def line_type(gold: dict[str, Any]) -> str:
    """The line's "type", else "answerable" / "unanswerable"."""
    return str(gold.get("type", "answerable" if gold.get("answerable") else "unanswerable"))


def judge(gold: dict[str, Any], out: dict[str, Any]) -> Verdict:
    """Pass or fail, and why, by the checks `score` averages: an answerable line passes
    when it is answered, the answer holds one of `expect_any` (case, quotes and white
    space folded) and has at most WORD_CAP words; an unanswerable line when it is refused."""
    if "error" in out:
        return Verdict(False if has_gold(gold) else None, ERROR)
    if not has_gold(gold):
        return Verdict(None)
    if not gold["answerable"]:
        return Verdict(True) if out.get("abstained") else Verdict(False, ANSWERED_UNANSWERABLE)
    if gold.get("expect_careers"):
        return _judge_explore(gold, out)
    phrases = _phrases(gold)
    texts = [str(p.get("text", "")) for p in (out.get("passages") or [])[:TOP_PASSAGES]]
    rank = next((i + 1 for i, t in enumerate(texts) if _relevant(t, phrases)), None)
    answer = str(out.get("answer", ""))
    if out.get("abstained"):
        return Verdict(False, FALSE_REFUSAL, rank)
    if not _relevant(answer, phrases):
        return Verdict(False, WRONG_PASSAGE if rank is None else MISSED, rank)
    if words(answer) > WORD_CAP:
        return Verdict(False, OVER_CAP, rank)
    return Verdict(True, None, rank)


_SOC = re.compile(r"-\d\d-\d{4}$")  # "cooks-35-2012": another saved version of the page "cooks"


def same_career(a: str, b: str) -> bool:
    return _SOC.sub("", a) == _SOC.sub("", b)


def _judge_explore(gold: dict[str, Any], out: dict[str, Any]) -> Verdict:
    """A question across careers passes when it is answered with a list of careers of which
    at least EXPLORE_RIGHT (or all, when fewer are expected) are among `expect_careers`."""
    if out.get("abstained"):
        return Verdict(False, FALSE_REFUSAL)
    want = [str(c) for c in gold["expect_careers"]]
    listed = [str(c) for c in out.get("careers") or []]
    right = sum(any(same_career(c, w) for w in want) for c in listed)
    if right >= min(EXPLORE_RIGHT, len(want)):
        return Verdict(True, None, 1)
    return Verdict(False, WRONG_PASSAGE)


_NOT_GOLD = ("id", "question", "history")


def eval_record(line: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    """The output record of `advisor eval -o`: the batch record plus the line's history,
    its gold keys (every input key but id, question and history) and its verdict."""
    gold = {k: v for k, v in line.items() if k not in _NOT_GOLD}
    rec = dict(out)
    if "question" not in rec and isinstance(line.get("question"), str):
        rec["question"] = line["question"]  # an error record still says which question it was
    history = line.get("history")
    rec["history"] = history if isinstance(history, list) else []
    rec["gold"] = gold
    rec.update(judge(gold, out).to_dict())
    return rec


# -- metrics --------------------------------------------------------------------------


def grounded(out: dict[str, Any], sources: dict[str, str]) -> bool:
    """Every citation's text and every answer sentence is verbatim in its document."""
    for c in out.get("citations", []):
        if c.get("text", "") not in sources.get(c.get("doc", ""), ""):
            return False
    if out.get("abstained"):
        return True
    body = " ".join(" ".join(sources.values()).split())  # sentences wrapped over lines read as one line
    labels = {f"{t}:" for t in str(out.get("career_title") or "").split(" / ")} if len(out.get("careers") or []) > 1 else set()
    for line in out.get("answer", "").split("\n"):
        if line in labels:  # "Actors:" heads one career's part of a comparison
            continue
        for piece in re.split(r"\s*\[\d+\]\s*", line.removeprefix("- ")):
            if piece.strip() and " ".join(piece.split()) not in body:
                return False
    return True


def _mean(xs: list[float]) -> float | None:
    return round(float(np.mean(xs)), 4) if xs else None


def _percentiles(xs: list[float]) -> dict[str, float | None]:
    return {
        "p50": round(float(np.percentile(xs, 50)), 2) if xs else None,
        "p95": round(float(np.percentile(xs, 95)), 2) if xs else None,
    }


def score(pairs: list[tuple[dict[str, Any], dict[str, Any]]], sources: dict[str, str], canonical: dict[str, str] | None = None) -> dict[str, Any]:
    """Metrics over (gold line, output record) pairs: the means of `judge`'s verdicts.
    An error line counts as a failure in every rate it would have entered. `canonical`:
    profile id → the career it is one of (`CareerIndex.canonical`: pages of one career
    from several sites), so that quoting any of them is no answer about another career."""
    one = canonical or {}

    def same(doc: str, asked: str) -> bool:
        return same_career(doc, asked) or one.get(doc, doc) == one.get(asked, asked)

    hits: dict[int, list[float]] = {1: [], 3: [], 5: []}
    rr: list[float] = []
    acc: list[float] = []
    false_abs: list[float] = []
    abst: dict[str, list[float]] = {}
    ground: list[float] = []
    lat: list[float] = []
    by_type: dict[str, list[float]] = {}
    by_career: dict[str, list[float]] = {}
    other_career: list[str] = []
    answered: list[tuple[float, float]] = []  # (confidence, right) of every answered line with gold
    errors = 0
    for gold, out in pairs:
        v = judge(gold, out)
        if v.passed is not None and "error" not in out and not out.get("abstained"):
            answered.append((float(out.get("confidence", 0.0)), float(v.passed)))
        about = gold.get("about")
        asked = {about} if isinstance(about, str) else set(about or [])
        if "error" in out:
            errors += 1
        else:
            lat.append(float(out.get("latency_ms", 0.0)))
            ground.append(float(grounded(out, sources)))
            if asked and not out.get("abstained") and any(not any(same(str(c.get("doc")), x) for x in asked) for c in out.get("citations", [])):
                other_career.append(str(out.get("id")))
        if v.passed is None:
            continue
        kind = line_type(gold)
        ok = float(v.passed)
        by_type.setdefault(kind, []).append(ok)
        if gold["answerable"]:
            for k in hits:
                hits[k].append(float(v.rank is not None and v.rank <= k))
            rr.append(1.0 / v.rank if v.rank else 0.0)
            acc.append(ok)
            false_abs.append(float(v.why == FALSE_REFUSAL))
            for c in sorted(asked):
                by_career.setdefault(c, []).append(ok)
        else:
            abst.setdefault(kind, []).append(ok)
            abst.setdefault("all", []).append(ok)

    return {
        "lines": len(pairs),
        "errors": errors,
        "answerable": len(acc),
        "unanswerable": len(abst.get("all", [])),
        "hit@1": _mean(hits[1]),
        "hit@3": _mean(hits[3]),
        "hit@5": _mean(hits[5]),
        "mrr@10": _mean(rr),
        "answer_accuracy": _mean(acc),
        "false_abstention": _mean(false_abs),
        "abstention": {k: _mean(v) for k, v in sorted(abst.items())},
        "grounded_citations": _mean(ground),
        "by_type": {k: _mean(v) for k, v in sorted(by_type.items())},
        "by_career": {k: {"answer_accuracy": _mean(v), "answerable": len(v)} for k, v in sorted(by_career.items())},
        "other_career_answers": other_career,
        "reliability": reliability(answered),
        "latency_ms": _percentiles(lat),
    }


BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0001)


def reliability(answered: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """Confidence band → share of the answers in it that were right: `confidence` is the
    probability that an answer is right, and this shows how well it keeps that promise."""
    out = []
    for lo, hi in zip(BANDS, BANDS[1:], strict=False):
        band = [ok for c, ok in answered if lo <= c < hi]
        out.append({"band": f"{lo:.1f}\u2013{min(hi, 1.0):.1f}", "answers": len(band), "right": _mean(band)})
    return out


def answer_stats(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What needs no gold: how often each answer kind came, answer length, latency."""
    answered = [r for r in records if "error" not in r]
    kinds = Counter(str(r.get("kind") or ("abstain" if r.get("abstained") else "answer")) for r in answered)
    lengths = [float(words(str(r.get("answer", "")))) for r in answered if not r.get("abstained")]
    return {
        "lines": len(records),
        "errors": len(records) - len(answered),
        "abstained": _mean([float(bool(r.get("abstained"))) for r in answered]),
        "kinds": {k: round(n / len(answered), 4) for k, n in sorted(kinds.items())},
        "answer_words": {"mean": round(float(np.mean(lengths)), 1) if lengths else None, **_percentiles(lengths), "max": max(lengths, default=None)},
        "latency_ms": _percentiles([float(r.get("latency_ms", 0.0)) for r in answered]),
    }


def _show(x: object) -> str:
    return "n/a" if x is None else str(x)


def _table(rows: list[tuple[str, str, str]]) -> str:
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b, _ in rows)


def summary_rows(m: dict[str, Any]) -> list[tuple[str, str, str]]:
    """`score`'s metrics as (label, value, definition) rows; a rate with no line to
    average is "n/a"."""
    s, d = _show, DEFINITIONS
    rows = [
        ("lines (errors)", f"{m['lines']} ({m['errors']})", d["lines (errors)"]),
        ("answerable / unanswerable", f"{m['answerable']} / {m['unanswerable']}", d["answerable / unanswerable"]),
        ("hit@1 / hit@3 / hit@5", f"{s(m['hit@1'])} / {s(m['hit@3'])} / {s(m['hit@5'])}", d["hit@1 / hit@3 / hit@5"]),
        ("MRR@10", s(m["mrr@10"]), d["MRR@10"]),
        ("answer accuracy", s(m["answer_accuracy"]), d["answer accuracy"]),
        ("false abstention", s(m["false_abstention"]), d["false abstention"]),
    ]
    rows += [(f"abstention: {k}", s(v), d["abstention: KIND"]) for k, v in m["abstention"].items()]
    rows += [("grounded citations", s(m["grounded_citations"]), d["grounded citations"])]
    rows += [(f"by type: {k}", s(v), d["by type: TYPE"]) for k, v in m["by_type"].items()]
    rows += [(f"by career: {k}", f"{s(v['answer_accuracy'])} ({v['answerable']})", d["by career: ID"]) for k, v in m.get("by_career", {}).items()]
    rows += [("answers quoting another career", str(len(m.get("other_career_answers", []))), d["answers quoting another career"])]
    rows += [(f"reliability {b['band']}", f"{s(b['right'])} of {b['answers']}", d["reliability BAND"]) for b in m.get("reliability", []) if b["answers"]]
    rows += [("latency p50 / p95 ms", f"{s(m['latency_ms']['p50'])} / {s(m['latency_ms']['p95'])}", d["latency p50 / p95 ms"])]
    return rows


def stats_rows(st: dict[str, Any]) -> list[tuple[str, str, str]]:
    """`answer_stats` as (label, value, definition) rows."""
    s, d = _show, DEFINITIONS
    w, lat = st["answer_words"], st["latency_ms"]
    rows = [
        ("lines (errors)", f"{st['lines']} ({st['errors']})", d["lines (errors)"]),
        ("abstained", s(st["abstained"]), d["abstained"]),
    ]
    rows += [(f"kind: {k}", s(v), d["kind: KIND"]) for k, v in st["kinds"].items()]
    rows += [
        ("answer words mean / p50 / p95 / max", f"{s(w['mean'])} / {s(w['p50'])} / {s(w['p95'])} / {s(w['max'])}", d["answer words"]),
        ("latency p50 / p95 ms", f"{s(lat['p50'])} / {s(lat['p95'])}", d["latency p50 / p95 ms"]),
    ]
    return rows


def format_table(m: dict[str, Any]) -> str:
    """The metrics as an aligned two-column table."""
    return _table(summary_rows(m))


def format_stats(st: dict[str, Any]) -> str:
    """`answer_stats` as a table, for a file without gold keys."""
    return _table(stats_rows(st))
