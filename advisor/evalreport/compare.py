"""Two `advisor eval -o` outputs compared question by question.

Lines are paired by id (when every line of both files has one of its own; `line-N` ids
are the ones `advisor eval` makes up for lines without one) or else by question and
history. Both sides are judged with B's gold keys, so a corrected answer key does not
show up as a change of the advisor. Each metric's change comes with a paired bootstrap
95% interval: the paired lines are resampled with replacement (seeded) and the change
recomputed each time.

    >>> r = compare_records(a_records, b_records)           # doctest: +SKIP
    >>> r["metrics"]["answer_accuracy"]["delta"], r["regressions"]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advisor.errors import InputError
from advisor.evaluation import FALSE_REFUSAL, Verdict, judge, line_type, read_jsonl

RESAMPLES, SEED, LEVEL = 2000, 0, 0.95
_MADE_UP_ID = re.compile(r"line-\d+")


@dataclass(frozen=True)
class Metric:
    """A rate over some of the paired lines: `value` maps a line's verdict (and record)
    to 0/1 or a score; `better` is +1 when higher is better; a `gate` metric that gets
    worse beyond the noise is a regression."""

    name: str
    label: str
    applies: Callable[[dict[str, Any]], bool]
    value: Callable[[Verdict, dict[str, Any]], float]
    better: int
    gate: bool = False
    needs_passages: bool = False


def _answerable(g: dict[str, Any]) -> bool:
    return bool(g.get("answerable"))


def _unanswerable(g: dict[str, Any]) -> bool:
    return "answerable" in g and not g["answerable"]


def _of_type(t: str) -> Callable[[dict[str, Any]], bool]:
    return lambda g: _unanswerable(g) and line_type(g) == t


def _hit(k: int) -> Callable[[Verdict, dict[str, Any]], float]:
    return lambda v, _: float(v.rank is not None and v.rank <= k)


METRICS = [
    Metric("answer_accuracy", "answer accuracy", _answerable, lambda v, _: float(bool(v.passed)), +1, gate=True),
    Metric("false_refusal", "false refusals", _answerable, lambda v, _: float(v.why == FALSE_REFUSAL), -1, gate=True),
    Metric("abstention", "refusals of unanswerable lines", _unanswerable, lambda v, _: float(bool(v.passed)), +1, gate=True),
    Metric("abstention:near_domain", "near-domain refusals", _of_type("near_domain"), lambda v, _: float(bool(v.passed)), +1),
    Metric("abstention:off_topic", "off-topic refusals", _of_type("off_topic"), lambda v, _: float(bool(v.passed)), +1),
    Metric("hit@1", "hit@1", _answerable, _hit(1), +1, needs_passages=True),
    Metric("hit@5", "hit@5", _answerable, _hit(5), +1, needs_passages=True),
    Metric("mrr@10", "MRR@10", _answerable, lambda v, _: 1.0 / v.rank if v.rank else 0.0, +1, needs_passages=True),
]


def read_records(path: Path) -> list[dict[str, Any]]:
    """An eval output file's records; every unreadable line is named (file, line,
    column, reason) in one InputError, and so is a file with no gold keys."""
    if not path.is_file():
        raise InputError(f"No such file: {path}")
    records, problems = [], []
    for line in read_jsonl(path):
        if line.error or line.record is None:
            problems.append(line.error)
            continue
        rec = line.record
        if not isinstance(rec.get("gold"), dict):
            problems.append(f"{line.where}: no \"gold\" object (compare reads the -o output of `advisor eval`, which adds it)")
        elif "question" not in rec:
            problems.append(f"{line.where}: no 'question' key")
        else:
            records.append(rec)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InputError("; ".join(problems[:5]) + more)
    if not records:
        raise InputError(f"{path} holds no records.")
    return records


def _by_id(*files: list[dict[str, Any]]) -> bool:
    ids = [r.get("id") for rs in files for r in rs]
    return all(isinstance(i, str) and i and not _MADE_UP_ID.fullmatch(i) for i in ids)


def _keyed(records: list[dict[str, Any]], by_id: bool) -> dict[tuple[Any, int], dict[str, Any]]:
    """Each record under (its key, how many records had that key before it), so a key
    repeated in both files pairs its first with its first, second with second."""
    seen: Counter[Any] = Counter()
    out = {}
    for r in records:
        base = r["id"] if by_id else (" ".join(str(r.get("question", "")).split()), tuple(r.get("history") or []))
        out[(base, seen[base])] = r
        seen[base] += 1
    return out


def paired_interval(a: np.ndarray, b: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL) -> tuple[float, float]:
    """A percentile bootstrap interval for mean(b - a) over paired lines."""
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    block = max(1, 2_000_000 // max(1, len(d)))  # bounded memory for long files
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        means[start:stop] = d[rng.integers(0, len(d), size=(stop - start, len(d)))].mean(axis=1)
    lo, hi = np.percentile(means, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return float(lo), float(hi)


def _item(r: dict[str, Any], v_a: Verdict, v_b: Verdict) -> dict[str, Any]:
    return {"id": r.get("id"), "question": r.get("question"), "history": r.get("history") or [], "type": line_type(r["gold"]),
            "why_a": v_a.why, "why_b": v_b.why}


def compare_records(a: list[dict[str, Any]], b: list[dict[str, Any]], resamples: int = RESAMPLES, seed: int = SEED) -> dict[str, Any]:
    """Paired metric changes from A to B, with the questions that got fixed and broke."""
    by_id = _by_id(a, b)
    ka, kb = _keyed(a, by_id), _keyed(b, by_id)
    keys = [k for k in ka if k in kb]

    def label(k: tuple[Any, int]) -> str:
        base = k[0] if by_id else k[0][0]
        return f"{base} (#{k[1] + 1})" if k[1] else str(base)

    verdicts = []
    gold_differs = []
    for k in keys:
        ra, rb = ka[k], kb[k]
        gold = rb["gold"]
        if ra["gold"] != gold:
            gold_differs.append(label(k))
        verdicts.append((ra, rb, judge(gold, ra), judge(gold, rb)))
    passages = all("passages" in r or "error" in r for ra, rb, _, _ in verdicts for r in (ra, rb))
    metrics: dict[str, Any] = {}
    for m in METRICS:
        if m.needs_passages and not passages:
            continue
        rows = [(m.value(va, ra), m.value(vb, rb)) for ra, rb, va, vb in verdicts if m.applies(rb["gold"])]
        if not rows:
            continue
        xa, xb = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
        lo, hi = paired_interval(xa, xb, resamples, seed)
        worse = (hi < 0) if m.better > 0 else (lo > 0)  # the whole interval on the bad side of 0
        metrics[m.name] = {"label": m.label, "lines": len(rows), "a": round(float(xa.mean()), 4), "b": round(float(xb.mean()), 4),
                           "delta": round(float(xb.mean() - xa.mean()), 4), "ci95": [round(lo, 4), round(hi, 4)],
                           "higher_is_better": m.better > 0, "worse": bool(worse), "gate": m.gate}
    fixed = [_item(rb, va, vb) for ra, rb, va, vb in verdicts if va.passed is False and vb.passed is True]
    broke = [_item(rb, va, vb) for ra, rb, va, vb in verdicts if va.passed is True and vb.passed is False]
    return {
        "paired_by": "id" if by_id else "question and history",
        "lines_a": len(a), "lines_b": len(b), "paired": len(keys),
        "only_in_a": [label(k) for k in ka if k not in kb],
        "only_in_b": [label(k) for k in kb if k not in ka],
        "gold_differs": gold_differs,
        "resamples": resamples, "seed": seed,
        "metrics": metrics,
        "fixed": fixed, "broke": broke,
        "regressions": [name for name, v in metrics.items() if v["gate"] and v["worse"]],
    }


def compare_files(a: Path, b: Path, resamples: int = RESAMPLES, seed: int = SEED) -> dict[str, Any]:
    result = compare_records(read_records(a), read_records(b), resamples, seed)
    if not result["paired"]:
        by = "id" if result["paired_by"] == "id" else "question and history"
        raise InputError(f"no line of {a} pairs with a line of {b} (paired by {by}): are they runs of the same question file?")
    return {"a": str(a), "b": str(b), **result}


def _list(title: str, items: list[dict[str, Any]], side: str) -> list[str]:
    lines = [f"{title} ({len(items)}):"]
    for it in items:
        q = " ".join(str(it["question"]).split())
        why = it["why_a"] if side == "a" else it["why_b"]
        lines.append(f"  {it['id']}  [{it['type']}]  {q[:90] + '…' if len(q) > 90 else q}  ({'was' if side == 'a' else 'now'}: {why})")
    return lines if items else [f"{title}: none"]


def format_comparison(r: dict[str, Any]) -> str:
    """The comparison as text: pairing, the metric table, the fixed and broken lines."""
    out = [f"A = {r.get('a', 'A')}  ({r['lines_a']} lines)", f"B = {r.get('b', 'B')}  ({r['lines_b']} lines)",
           f"paired {r['paired']} line(s) by {r['paired_by']}"]
    for side in ("a", "b"):
        dropped = r[f"only_in_{side}"]
        if dropped:
            shown = ", ".join(dropped[:10]) + (f", … ({len(dropped) - 10} more)" if len(dropped) > 10 else "")
            out.append(f"dropped, only in {side.upper()} ({len(dropped)}): {shown}")
    if r["gold_differs"]:
        out.append(f"gold keys differ on {len(r['gold_differs'])} paired line(s) (both judged with B's): {', '.join(r['gold_differs'][:10])}")
    out.append("")
    width = max([len(v["label"]) for v in r["metrics"].values()] + [6])
    out.append(f"{'metric':<{width}}  {'lines':>5}  {'A':>6}  {'B':>6}  {'B - A':>7}  95% CI (paired bootstrap, {r['resamples']} resamples)")
    for v in r["metrics"].values():
        lo, hi = v["ci95"]
        flag = "  worse" if v["worse"] else ""
        out.append(f"{v['label']:<{width}}  {v['lines']:>5}  {v['a']:>6.3f}  {v['b']:>6.3f}  {v['delta']:>+7.3f}  [{lo:+.3f}, {hi:+.3f}]{flag}")
    out.append("")
    out += _list("fixed (failed in A, pass in B)", r["fixed"], "a")
    out += _list("broke (passed in A, fail in B)", r["broke"], "b")
    if r["regressions"]:
        names = ", ".join(r["metrics"][n]["label"] for n in r["regressions"])
        out.append(f"\nregression beyond the noise: {names}")
    return "\n".join(out)
