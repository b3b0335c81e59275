"""How well the counselors' report groups questions by meaning, and how near the profiles
come to unanswered ones; prints the tables the constants in advisor/records/meaning.py
were chosen from.

    python eval/clusters.py                       # thresholds 0.55 .. 0.85
    python eval/clusters.py --show 0.70           # also print the groups made at 0.70

Grouping: the 265 first-turn questions of the imaging sets (dev, holdout, blind), with 69
groups of same-meaning questions marked by hand in eval/same-meaning.json (every other
question counts as meaning something of its own). Pairwise precision = share of the
pairs put in one group that mean the same; recall = share of the same-meaning pairs put
in one group. Nearness: the cosine of the nearest profile sentence for the unanswerable
questions of the same sets, off-topic against near-domain.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from advisor import Advisor  # noqa: E402
from advisor.records.meaning import comparable_text, embed, group_by_meaning, nearest_section  # noqa: E402
from advisor.settings import Settings  # noqa: E402

SETS = ("dev.jsonl", "holdout.jsonl", "blind.jsonl")


def first_turns() -> list[dict]:
    lines = [json.loads(x) for name in SETS for x in (HERE / name).read_text("utf-8").splitlines() if x.strip()]
    return [g for g in lines if not g.get("history")]


def truth_of(lines: list[dict]) -> list[str]:
    label = {}
    for group in json.loads((HERE / "same-meaning.json").read_text("utf-8"))["groups"]:
        for i in group["ids"]:
            label[i] = group["name"]
    return [label.get(g["id"], g["id"]) for g in lines]


def pairwise(groups: list[list[int]], truth: list[str]) -> tuple[float, float, int]:
    pred = {m: k for k, g in enumerate(groups) for m in g}
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(len(truth)), 2):
        same, put = truth[i] == truth[j], pred[i] == pred[j]
        tp += same and put
        fp += put and not same
        fn += same and not put
    return (tp / (tp + fp) if tp + fp else 1.0), tp / (tp + fn), fp


def greedy(vecs: np.ndarray, t: float) -> list[list[int]]:
    """The baseline: each question joins the first group whose first question is alike enough."""
    groups: list[list[int]] = []
    for i, v in enumerate(vecs):
        for g in groups:
            if float(vecs[g[0]] @ v) >= t:
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--thresholds", default="0.55,0.60,0.65,0.70,0.75,0.80,0.85")
    ap.add_argument("--show", type=float, help="print the groups made at this threshold")
    args = ap.parse_args()
    advisor = Advisor.load(Settings(corpus_dir=HERE.parent / "corpus", data_dir=HERE.parent / "data"), progress=lambda m: None)
    lines = first_turns()
    truth = truth_of(lines)
    questions = [g["question"] for g in lines]
    raw = embed(advisor, questions)
    prepared = embed(advisor, [comparable_text(advisor, q) for q in questions])
    print(f"{len(lines)} questions with {len(set(truth))} meanings\n")
    print(f"{'grouping':44} {'threshold':>9} {'precision':>9} {'recall':>6} {'wrong pairs':>11}")
    for t in map(float, args.thresholds.split(",")):
        for name, groups in (("complete linkage, typos fixed, names left out", group_by_meaning(prepared, t)),
                             ("greedy on the raw questions", greedy(raw, t))):
            p, r, fp = pairwise(groups, truth)
            print(f"{name:44} {t:>9.2f} {p:>9.2f} {r:>6.2f} {fp:>11}")
    if args.show is not None:
        print(f"\ngroups of two or more at {args.show:.2f} (* = a question marked as meaning something else):")
        for g in group_by_meaning(prepared, args.show):
            if len(g) > 1:
                mixed = len({truth[i] for i in g}) > 1
                print(("* " if mixed else "  ") + " | ".join(questions[i] for i in g))

    print("\nnearest profile sentence (cosine) for the unanswerable questions:")
    for kind in ("off_topic", "near_domain"):
        sims = sorted(nearest_section(advisor, g["question"])[0].similarity for g in lines if not g["answerable"] and g.get("type") == kind)
        above = sum(s >= 0.40 for s in sims)
        print(f"  {kind:12} n={len(sims):3}  min {sims[0]:.2f}  median {sims[len(sims) // 2]:.2f}  max {sims[-1]:.2f}  at or above 0.40: {above}")


if __name__ == "__main__":
    main()
