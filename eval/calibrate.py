"""Sweep the abstention thresholds over a question set and print a table.

    python eval/calibrate.py eval/dev.jsonl

For each (min_dense, min_total) pair it reports abstention on off-topic and
near-domain lines, false abstention and answer accuracy on answerable lines. The
defaults in advisor/answer.py `Policy` were chosen from this table on eval/dev.jsonl:
the lowest thresholds that keep off-topic abstention at 1.0, then the pair with the
best answer accuracy among those within 0.01 of it.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor import Advisor  # noqa: E402
from advisor.evaluation import _relevant  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("questions", type=Path)
    ap.add_argument("--dense", default="0.26,0.30,0.33,0.36,0.40")
    ap.add_argument("--total", default="0.45,0.50,0.55,0.60,0.65")
    args = ap.parse_args()
    adv = Advisor.load()
    gold = [json.loads(x) for x in args.questions.read_text("utf-8").splitlines() if x.strip()]
    rows = []
    for md, mt in itertools.product(map(float, args.dense.split(",")), map(float, args.total.split(","))):
        adv.policy = dataclasses.replace(adv.policy, min_dense=md, min_total=mt)
        off, near, fa, acc = [], [], [], []
        for g in gold:
            ans = adv.ask(g["question"], history=g.get("history", []))
            if g["answerable"]:
                fa.append(ans.abstained)
                acc.append((not ans.abstained) and _relevant(ans.text, g["expect_any"]))
            elif g.get("type") == "off_topic":
                off.append(ans.abstained)
            else:
                near.append(ans.abstained)
        mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
        rows.append((md, mt, mean(off), mean(near), mean(fa), mean(acc)))
    print(f"{'min_dense':>9} {'min_total':>9} {'off-topic':>9} {'near':>6} {'false-abs':>9} {'accuracy':>8}")
    for r in rows:
        print(f"{r[0]:>9.2f} {r[1]:>9.2f} {r[2]:>9.3f} {r[3]:>6.3f} {r[4]:>9.3f} {r[5]:>8.3f}")


if __name__ == "__main__":
    main()
