"""Sweep the abstention thresholds over the tuning sets and print a table.

    python eval/calibrate.py                       # imaging dev (pinned) + careers dev, 26 careers
    python eval/calibrate.py --total 0.5,0.55,0.6 --dense 0.2,0.3

For each (min_dense, min_total) pair it reports abstention on off-topic and near-domain
lines, false abstention and answer accuracy on answerable lines, over the tuning sets
only (the blind sets are never used here). The defaults in advisor/answer.py `Policy`
were chosen from this table: the lowest min_total that refuses every off-topic line,
then the best accuracy within 0.01 of it.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from report import corpus, lines_of  # noqa: E402

from advisor import Advisor  # noqa: E402
from advisor.evaluation import _relevant  # noqa: E402
from advisor.settings import Settings  # noqa: E402

SETS = [("dev.jsonl", "imaging-technologist"), ("holdout.jsonl", "imaging-technologist"), ("careers-dev.jsonl", None)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dense", default="0.15,0.20,0.25")
    ap.add_argument("--total", default="0.47,0.50,0.53,0.56,0.59,0.62")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "advisor-eval")
    args = ap.parse_args()
    adv = Advisor.load(Settings(corpus_dir=corpus("careers", args.work), data_dir=args.work / "data-careers"), progress=lambda m: None)
    gold = [(g, pin) for name, pin in SETS for g in lines_of(name, None)]
    print(f"{len(gold)} lines; {'min_dense':>9} {'min_total':>9} {'off-topic':>9} {'near':>6} {'false-abs':>9} {'accuracy':>8}")
    for md, mt in itertools.product(map(float, args.dense.split(",")), map(float, args.total.split(","))):
        adv.policy = dataclasses.replace(adv.policy, min_dense=md, min_total=mt)
        off, near, fa, acc = [], [], [], []
        for g, pin in gold:
            ans = adv.ask(g["question"], history=g.get("history", []), career=pin)
            if g["answerable"]:
                fa.append(ans.abstained)
                acc.append((not ans.abstained) and _relevant(ans.text, g["expect_any"]))
            elif g.get("type") == "off_topic":
                off.append(ans.abstained)
            else:
                near.append(ans.abstained)

        def mean(xs: list[bool]) -> float:
            return sum(xs) / len(xs) if xs else float("nan")

        print(f"{'':>{len(str(len(gold))) + 7}} {md:>9.2f} {mt:>9.2f} {mean(off):>9.3f} {mean(near):>6.3f} {mean(fa):>9.3f} {mean(acc):>8.3f}", flush=True)


if __name__ == "__main__":
    main()
