"""The evaluators' contract: batch records in, batch records out, and metrics.

Input line:  {"id": str, "question": str, "history": [str, ...]}  (other keys ignored)
Output line: {"id", "question", "answer", "abstained", "confidence", "citations",
              "passages", ...}, or {"id", "error"} for a line that cannot be answered.
Gold keys for `evaluate`: "answerable" (bool) and "expect_any" (verbatim phrases);
an optional "type" ("off_topic", "near_domain", "followup", …) breaks rates down.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from advisor.errors import CareerError, InputError
from advisor.models import Answer

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})


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


def read_jsonl(path: Path) -> Iterator[Line]:
    """Each line parsed, or an error naming the line; a missing file raises InputError."""
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
                yield Line(n, None, f"line {n}: not valid JSON ({exc.msg})")
                continue
            if not isinstance(rec, dict):
                yield Line(n, None, f"line {n}: expected a JSON object")
                continue
            yield Line(n, rec)


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
    if not isinstance(question, str):
        return {"id": rid, "error": f"line {line.number}: 'question' must be a string"}
    if history is None:
        history = []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        return {"id": rid, "error": f"line {line.number}: 'history' must be a list of strings"}
    pin = rec.get("career", career)
    if pin is not None and not isinstance(pin, str):
        return {"id": rid, "error": f"line {line.number}: 'career' must be a string (a career id)"}
    t0 = time.perf_counter()
    try:
        answer = advisor.ask(question, history=history, career=pin or None)
    except CareerError as exc:
        return {"id": rid, "error": f"line {line.number}: {exc}"}
    ms = (time.perf_counter() - t0) * 1000
    return {"id": rid, **answer.to_dict(), "latency_ms": round(ms, 2)}


def run_batch(advisor: Asker, lines: Iterable[Line], career: str | None = None) -> Iterator[tuple[Line, dict[str, Any]]]:
    for line in lines:
        yield line, answer_line(advisor, line, career)


# -- metrics --------------------------------------------------------------------------


def _relevant(text: str, phrases: list[str]) -> bool:
    t = norm(text)
    return any(norm(p) in t for p in phrases if p.strip())


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


def score(pairs: list[tuple[dict[str, Any], dict[str, Any]]], sources: dict[str, str]) -> dict[str, Any]:
    """Metrics over (gold line, output record) pairs."""
    hits = {1: [], 3: [], 5: []}  # type: dict[int, list[float]]
    rr: list[float] = []
    acc: list[float] = []
    false_abs: list[float] = []
    abst: dict[str, list[float]] = {}
    ground: list[float] = []
    lat: list[float] = []
    by_type: dict[str, list[float]] = {}
    by_career: dict[str, list[float]] = {}
    other_career: list[str] = []
    errors = 0
    for gold, out in pairs:
        if "error" in out:
            errors += 1  # an unanswered line counts against every rate it would have entered
            if gold.get("answerable") is True:
                for k in hits:
                    hits[k].append(0.0)
                rr.append(0.0)
                acc.append(0.0)
                false_abs.append(0.0)
            elif gold.get("answerable") is False:
                abst.setdefault("all", []).append(0.0)
            continue
        lat.append(float(out.get("latency_ms", 0.0)))
        ground.append(float(grounded(out, sources)))
        about = gold.get("about")
        asked = {about} if isinstance(about, str) else set(about or [])
        if asked and not out.get("abstained") and any(c.get("doc") not in asked for c in out.get("citations", [])):
            other_career.append(str(out.get("id")))
        kind = str(gold.get("type", "answerable" if gold.get("answerable") else "unanswerable"))
        if "answerable" not in gold:
            continue
        if gold["answerable"]:
            phrases = list(gold.get("expect_any", []))
            texts = [p["text"] for p in out.get("passages", [])[:10]]
            rank = next((i + 1 for i, t in enumerate(texts) if _relevant(t, phrases)), None)
            for k in hits:
                hits[k].append(float(rank is not None and rank <= k))
            rr.append(1.0 / rank if rank else 0.0)
            ok = (not out["abstained"]) and len(out["answer"].split()) <= 150 and _relevant(out["answer"], phrases)
            acc.append(float(ok))
            false_abs.append(float(out["abstained"]))
            by_type.setdefault(kind, []).append(float(ok))
            for c in sorted(asked):
                by_career.setdefault(c, []).append(float(ok))
        else:
            abst.setdefault(kind, []).append(float(out["abstained"]))
            abst.setdefault("all", []).append(float(out["abstained"]))
            by_type.setdefault(kind, []).append(float(out["abstained"]))

    def mean(xs: list[float]) -> float | None:
        return round(float(np.mean(xs)), 4) if xs else None

    return {
        "lines": len(pairs),
        "errors": errors,
        "answerable": len(acc),
        "unanswerable": len(abst.get("all", [])),
        "hit@1": mean(hits[1]),
        "hit@3": mean(hits[3]),
        "hit@5": mean(hits[5]),
        "mrr@10": mean(rr),
        "answer_accuracy": mean(acc),
        "false_abstention": mean(false_abs),
        "abstention": {k: mean(v) for k, v in sorted(abst.items())},
        "grounded_citations": mean(ground),
        "by_type": {k: mean(v) for k, v in sorted(by_type.items())},
        "by_career": {k: {"answer_accuracy": mean(v), "answerable": len(v)} for k, v in sorted(by_career.items())},
        "other_career_answers": other_career,
        "latency_ms": {
            "p50": round(float(np.percentile(lat, 50)), 2) if lat else None,
            "p95": round(float(np.percentile(lat, 95)), 2) if lat else None,
        },
    }


def format_table(m: dict[str, Any]) -> str:
    rows = [
        ("lines (errors)", f"{m['lines']} ({m['errors']})"),
        ("answerable / unanswerable", f"{m['answerable']} / {m['unanswerable']}"),
        ("hit@1 / hit@3 / hit@5", f"{m['hit@1']} / {m['hit@3']} / {m['hit@5']}"),
        ("MRR@10", str(m["mrr@10"])),
        ("answer accuracy", str(m["answer_accuracy"])),
        ("false abstention", str(m["false_abstention"])),
    ]
    rows += [(f"abstention: {k}", str(v)) for k, v in m["abstention"].items()]
    rows += [("grounded citations", str(m["grounded_citations"]))]
    rows += [(f"by type: {k}", str(v)) for k, v in m["by_type"].items()]
    rows += [(f"by career: {k}", f"{v['answer_accuracy']} ({v['answerable']})") for k, v in m.get("by_career", {}).items()]
    rows += [("answers quoting another career", str(len(m.get("other_career_answers", []))))]
    rows += [("latency p50 / p95 ms", f"{m['latency_ms']['p50']} / {m['latency_ms']['p95']}")]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b in rows)
