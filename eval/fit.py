"""Fit the advisor's two decisions on the development sets and print how they do.

    python eval/fit.py                 # both: routing, then answer-or-refuse
    python eval/fit.py --only route

Routing (`advisor/calibrated/route.json`): for every development line about a career that
the router decides by evidence, each candidate career's evidence is a row, labelled by
whether it is the career the line is about. Answer-or-refuse
(`advisor/calibrated/decision.json`): every line's best candidate answer is a row,
labelled by whether it would pass (answerable, holding an expected phrase, within the word
cap). Both are scikit-learn logistic regressions; the threshold of the second is the lowest
that refuses 80% of the unanswerable development lines (the near-domain target), so that
the fewest answerable ones are refused. The blind sets are never read here.

The whole catalogue is loaded (`eval/corpora.py full`); the imaging set runs with the
imaging profile alone, as it is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from report import corpus  # noqa: E402

from advisor.calibration import HERE as MODELS  # noqa: E402
from advisor.calibration import Logistic  # noqa: E402
from advisor.engine import Advisor  # noqa: E402
from advisor.settings import Settings  # noqa: E402

ROUTE_SETS = ["catalogue-dev.jsonl", "catalogue-dev2.jsonl", "catalogue-dev3.jsonl", "careers-dev.jsonl", "careers-dev2.jsonl", "wild-dev.jsonl", "wild-dev2.jsonl"]
DUMP: Path | None = None
# signals that can only lower the probability that an answer is right, and ones that can only raise it
LOWERS = {"name_unanswered", "route_untalked", "missing_weight", "n_key", "n_other", "unanchored", "gap_uncovered", "figure_missing", "figure_elsewhere", "names_missing",
          "compare_missing", "terse", "terse_open", "name_gap"}
RAISES = {"total", "dense", "margin", "coverage", "route_conf", "same_section", "gap_answered"}
REFUSE_UNANSWERABLE = 0.80  # the share of unanswerable development lines the decision must refuse
DECISION_SETS = [("catalogue-dev.jsonl", "full"), ("catalogue-dev2.jsonl", "full"), ("catalogue-dev3.jsonl", "full"), ("careers-dev.jsonl", "full"),
                 ("careers-dev2.jsonl", "full"), ("dev.jsonl", "imaging"), ("wild-dev.jsonl", "wild"), ("wild-dev2.jsonl", "wild")]


def lines(name: str) -> list[dict]:
    return [json.loads(x) for x in (HERE / name).read_text("utf-8").splitlines() if x.strip()]


def fit_logistic(x: np.ndarray, y: np.ndarray, features: tuple[str, ...], c: float = 1.0, weight: str | None = None) -> Logistic:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=c, class_weight=weight, max_iter=2000).fit((x - mean) / scale, y)
    return Logistic(features, tuple(float(w) for w in lr.coef_[0]), float(lr.intercept_[0]), tuple(float(m) for m in mean), tuple(float(s) for s in scale))


def fit_choice(x: np.ndarray, y: np.ndarray, sizes: list[int], features: tuple[str, ...], l2: float = 0.5) -> Logistic:
    """A conditional logit: within each question, the probability of each candidate
    career is the softmax of w·x; w maximises the likelihood of the right ones (questions
    whose right career is not among the candidates are left out)."""
    from scipy.optimize import minimize

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    spans, start = [], 0
    for n in sizes:
        if n and y[start : start + n].sum() == 1:
            spans.append((start, start + n))
        start += n

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for a, b in spans:
            u = z[a:b] @ w
            u = u - u.max()
            p = np.exp(u) / np.exp(u).sum()
            k = int(np.argmax(y[a:b]))
            total -= float(np.log(p[k] + 1e-12))
            grad = grad - (z[a + k] - p @ z[a:b])
        return total, grad

    w = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    return Logistic(features, tuple(float(v) for v in w), 0.0, tuple(float(m) for m in mean), tuple(float(s) for s in scale))


def route_rows(adv: Advisor, recs: list[dict]) -> tuple[list[list[float]], list[int], list[tuple[str, list[str]]]]:
    from advisor.routing import ROUTE_FEATURES

    xs: list[list[float]] = []
    ys: list[int] = []
    groups: list[tuple[str, list[str]]] = []
    for r in recs:
        about = r.get("about")
        if not isinstance(about, str) or about not in adv.careers.careers:
            continue
        a, earlier = adv.understand(r["question"], r.get("history") or [])
        named = adv.careers.named(a.corrected)
        if named.strong and named.ids:
            continue  # named in full: no evidence is weighed
        context = adv.router.conversation(earlier)
        _, ev = adv.router.evidence(a, context, named.ids)
        want = adv.careers.canonical.get(about, about)
        ids = list(ev)
        for c in ids:
            xs.append([ev[c][f] for f in ROUTE_FEATURES])
            ys.append(int(c == want))
        groups.append((want, ids))
    return xs, ys, groups


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", choices=["route", "decision"])
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "advisor-eval")
    p.add_argument("--dump", type=Path, help="write the decision rows (signals, label) here, one JSON line each")
    a = p.parse_args()
    global DUMP
    DUMP = a.dump
    advisors: dict[str, Advisor] = {}

    def advisor(kind: str) -> Advisor:
        if kind not in advisors:
            c = corpus(kind, a.work)
            advisors[kind] = Advisor.load(Settings(corpus_dir=c, data_dir=a.work / f"data-{kind}"), progress=lambda m: None)
        return advisors[kind]

    if a.only in (None, "route"):
        from advisor.routing import ROUTE_FEATURES

        adv = advisor("full")
        xs, ys, groups = [], [], []
        for name in ROUTE_SETS:
            x, y, g = route_rows(adv, lines(name))
            xs += x
            ys += y
            groups += g
        X, Y = np.array(xs, dtype=np.float64), np.array(ys)
        old = adv.router.model
        model = fit_choice(X, Y, [len(ids) for _, ids in groups], ROUTE_FEATURES)
        # the threshold: route by evidence when the best career is at least this likely
        rows = 0
        top_right = {round(t, 2): [0, 0] for t in np.arange(0.0, 0.71, 0.05)}
        for want, ids in groups:
            u = np.array([model.margin(dict(zip(ROUTE_FEATURES, X[rows + i], strict=True))) for i in range(len(ids))])
            ps = list(np.exp(u - u.max()) / np.exp(u - u.max()).sum()) if len(ids) else []
            rows += len(ids)
            if not ids:
                continue
            best = int(np.argmax(ps))
            for t in top_right:
                if ps[best] >= t:
                    top_right[t][0] += 1
                    top_right[t][1] += int(ids[best] == want)
        print(f"routing: {len(groups)} questions, {len(Y)} candidate rows, {int(Y.sum())} right")
        # asking which career costs the student a turn; a wrong career costs a wrong answer:
        # the threshold maximises right routes less wrong ones
        print(f"{'threshold':>9} {'routed':>7} {'right':>6} {'right-wrong':>11}")
        threshold, best = old.threshold, -1.0
        for t, (n, ok) in top_right.items():
            gain = (ok - (n - ok)) / max(len(groups), 1)
            print(f"{t:>9.2f} {n / max(len(groups), 1):>7.2f} {ok / max(n, 1):>6.2f} {gain:>11.3f}")
            if gain > best + 1e-9:
                threshold, best = t, gain
        model = Logistic(model.features, model.weights, model.bias, model.mean, model.scale, threshold,
                         {"sets": ROUTE_SETS, "questions": len(groups), "rows": len(Y)})
        model.save(MODELS / "route.json")
        print("weights:", dict(zip(ROUTE_FEATURES, (round(w, 3) for w in model.weights), strict=True)))
    if a.only in (None, "decision"):
        fit_decision(advisor)
    return 0


def decision_rows(adv: Advisor, recs: list[dict]) -> tuple[list[dict[str, float]], list[int], list[dict]]:
    """Each line answered with its best candidate (nothing refused), its signals and
    whether that answer passes."""
    from dataclasses import replace

    from advisor.evaluation import Line, answer_line, judge

    keep = adv.policy
    adv.policy = replace(keep, answer_all=True)
    try:
        xs, ys, recs_out = [], [], []
        for i, r in enumerate(recs):
            out = answer_line(adv, Line(i + 1, r))
            if out.get("kind") != "answer" or not out.get("signals") or "answerable" not in r:
                continue  # routed away (which career?, none fits), smalltalk, comparisons: not this decision
            gold = dict(r, answerable=True) if r.get("answerable") else r
            passed = bool(r.get("answerable")) and judge(gold, out).passed
            xs.append(out["signals"])
            ys.append(int(passed))
            recs_out.append({"id": r.get("id"), "type": r.get("type"), "answerable": r.get("answerable")})
        return xs, ys, recs_out
    finally:
        adv.policy = keep


def explore_precision(adv: Advisor) -> float:
    """The share of the careers a reply to a question across careers lists that the line
    expects: that reply's confidence."""
    from advisor.evaluation import same_career

    right = listed = 0
    for name in ROUTE_SETS:
        for r in lines(name):
            if r.get("expect_careers"):
                a = adv.ask(r["question"], history=r.get("history") or [])
                if a.route == "explore":
                    listed += len(a.careers)
                    right += sum(any(same_career(c, w) for w in r["expect_careers"]) for c in a.careers)
    return right / listed if listed else 0.5


def fit_decision(advisor) -> None:  # type: ignore[no-untyped-def]
    from advisor.decision import FEATURES

    xs: list[dict[str, float]] = []
    ys: list[int] = []
    meta: list[dict] = []
    for name, kind in DECISION_SETS:
        x, y, m = decision_rows(advisor(kind), lines(name))
        xs += x
        ys += y
        meta += [dict(mm, set=name) for mm in m]
    X = np.array([[row.get(f, 0.0) for f in FEATURES] for row in xs], dtype=np.float64)
    Y = np.array(ys)
    if DUMP:
        DUMP.write_text("".join(json.dumps({**m, "y": int(y), "x": row}) + "\n" for m, y, row in zip(meta, ys, xs, strict=True)), "utf-8")
    # C chosen by 5-fold cross-validation on these rows. A signal of something missing can
    # only lower the probability (and one of fit only raise it): a signal whose fitted
    # weight has the wrong sign is fitting a few rows, and is left out and the rest refitted
    used = list(FEATURES)
    while True:
        cols = [FEATURES.index(f) for f in used]
        model = fit_logistic(X[:, cols], Y, tuple(used), c=0.1)
        wrong = [f for f, w in zip(used, model.weights, strict=True) if (f in LOWERS and w > 0) or (f in RAISES and w < 0)]
        if not wrong:
            break
        print("left out (weight of the wrong sign):", ", ".join(wrong))
        used = [f for f in used if f not in wrong]
    X = X[:, cols]
    ps = np.array([model.probability(dict(zip(used, row, strict=True))) for row in X])
    answerable = np.array([bool(m["answerable"]) for m in meta])
    # the threshold that passes the most lines: an answerable line passes when answered
    # right, an unanswerable one when refused
    print(f"decision: {len(Y)} candidate answers ({int(answerable.sum())} answerable, {int(Y.sum())} right)")
    print(f"{'threshold':>9} {'passed':>7} {'answered right':>14} {'false refusals':>14} {'unanswerable refused':>20}")
    # the threshold: the lowest that still refuses REFUSE_UNANSWERABLE of the unanswerable
    # lines (the near-domain target), so that as few answerable lines are refused as can be
    best_t, best_pass = 0.5, -1.0
    chosen: float | None = None
    for i, t in enumerate(np.arange(0.2, 0.805, 0.01)):
        ans = ps >= t
        passed = np.where(answerable, ans & (Y == 1), ~ans).mean()
        right = (ans & (Y == 1))[answerable].mean()
        false_ref = (~ans)[answerable].mean()
        refused = (~ans)[~answerable].mean() if (~answerable).any() else float("nan")
        if i % 5 == 0:
            print(f"{t:>9.2f} {passed:>7.3f} {right:>14.3f} {false_ref:>14.3f} {refused:>20.3f}")
        if passed > best_pass + 1e-9:
            best_t, best_pass = float(t), float(passed)
        if chosen is None and refused >= REFUSE_UNANSWERABLE:
            chosen = round(float(t), 2)
    print(f"most lines passed at {best_t:.2f}; the lowest refusing {REFUSE_UNANSWERABLE:.0%} of the unanswerable: {chosen}")
    best_t = chosen if chosen is not None else best_t
    print("reliability (confidence band → share right, answered lines):")
    for lo in (0.0, 0.2, 0.4, 0.6, 0.8, 0.9):
        hi = {0.0: 0.2, 0.2: 0.4, 0.4: 0.6, 0.6: 0.8, 0.8: 0.9, 0.9: 1.01}[lo]
        band = (ps >= lo) & (ps < hi)
        if band.any():
            print(f"  {lo:.1f}–{min(hi, 1.0):.1f}: {Y[band].mean():.2f} of {int(band.sum())}")
    precision = explore_precision(advisor("full"))
    print(f"questions across careers: {precision:.2f} of the careers listed are expected ones")
    model = Logistic(model.features, model.weights, model.bias, model.mean, model.scale, round(best_t, 2),
                     {"sets": [n for n, _ in DECISION_SETS], "rows": len(Y), "explore_precision": round(precision, 3)})
    model.save(MODELS / "decision.json")
    print(f"threshold {best_t:.2f}; weights:", dict(zip(model.features, (round(w, 2) for w in model.weights), strict=True)))


if __name__ == "__main__":
    sys.exit(main())
