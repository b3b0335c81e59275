"""Score sentence splitters on eval/splitting.jsonl (passages cut from real profiles).

    python eval/splitters.py            # table: boundary precision/recall/F1, passages exact

Each gold line is {"text", "sentences", "note"}; a splitter is scored on the boundaries
it places (character offsets where a sentence starts), overall and per note kind.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from advisor.index.sentences import split_sentences  # noqa: E402

Splitter = Callable[[str], list[tuple[int, int]]]


def gold_starts(text: str, sentences: list[str]) -> set[int]:
    starts, pos = set(), 0
    for s in sentences:
        at = text.index(s, pos)
        starts.add(at)
        pos = at + len(s)
    return starts - {0}


def naive(text: str) -> list[tuple[int, int]]:
    """Split after . ! ? followed by white space and a capital."""
    spans, start = [], 0
    for m in re.finditer(r"[.!?](?=\s+[A-Z])", text):
        spans.append((start, m.end()))
        start = m.end() + 1
        while start < len(text) and text[start].isspace():
            start += 1
    spans.append((start, len(text)))
    return spans


def pysbd_splitter() -> Splitter | None:
    try:
        import pysbd
    except ImportError:
        return None
    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)

    def split(text: str) -> list[tuple[int, int]]:
        return [(s.start, s.end) for s in seg.segment(text)]

    return split


def score(split: Splitter, lines: list[dict]) -> dict[str, object]:
    tp = fp = fn = exact = 0
    per: dict[str, list[int]] = {}
    t0 = time.perf_counter()
    for rec in lines:
        gold = gold_starts(rec["text"], rec["sentences"])
        got = {s for s, _ in split(rec["text"])} - {0}
        got = {s for s in got if rec["text"][:s].strip()}
        a, b, c = len(gold & got), len(got - gold), len(gold - got)
        tp, fp, fn = tp + a, fp + b, fn + c
        exact += gold == got
        k = per.setdefault(rec.get("note", "?"), [0, 0])
        k[0] += gold == got
        k[1] += 1
    ms = (time.perf_counter() - t0) * 1000
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "exact": exact / len(lines), "per_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per.items())}, "ms": ms}


def main() -> int:
    lines = [json.loads(x) for x in (HERE / "splitting.jsonl").read_text("utf-8").splitlines() if x.strip()]
    splitters: dict[str, Splitter | None] = {"advisor": lambda t: split_sentences(t), "pysbd": pysbd_splitter(), "naive regex": naive}
    print(f"{len(lines)} passages, {sum(len(x['sentences']) for x in lines)} sentences")
    print(f"{'splitter':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'exact':>6} {'ms':>7}  passages exactly right, by kind")
    for name, split in splitters.items():
        if split is None:
            print(f"{name:<12} (not installed)")
            continue
        s = score(split, lines)
        print(f"{name:<12} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['f1']:>6.3f} {s['exact']:>6.2f} {s['ms']:>7.0f}  {s['per_kind']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
